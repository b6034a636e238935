//! The rows a batch of bookings writes, sent as one statement per table whatever the
//! batch's size: each column travels as one array and `unnest` turns them into rows. A
//! multi-row `VALUES` list would be a new statement for every batch size (parsed and
//! planned again each time, its binds growing with the rows); this one is prepared once.

use std::collections::HashMap;

use booking_domain::BookingPlan;
use chrono::{DateTime, Utc};
use diesel::sql_types::{
    Array, BigInt, Bytea, Integer, Nullable, Text, Timestamptz, Uuid as SqlUuid,
};
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use uuid::Uuid;

use super::BookingRecord;

/// The columns of the bookings and items a batch inserts, and how many tickets it takes
/// from each tier.
#[derive(Debug, Default)]
pub(crate) struct Rows {
    id: Vec<Uuid>,
    reference: Vec<String>,
    user_id: Vec<Uuid>,
    status: Vec<&'static str>,
    origin: Vec<&'static str>,
    expires_at: Vec<Option<DateTime<Utc>>>,
    total_cents: Vec<i64>,
    currency: Vec<String>,
    idempotency_key: Vec<Option<String>>,
    request_hash: Vec<Option<Vec<u8>>>,
    items: Items,
    pub(crate) sold: HashMap<Uuid, i32>,
}

#[derive(Debug, Default)]
struct Items {
    booking_id: Vec<Uuid>,
    user_id: Vec<Uuid>,
    tier_id: Vec<Uuid>,
    event_id: Vec<Uuid>,
    quantity: Vec<i32>,
    unit_price_cents: Vec<i64>,
}

impl Rows {
    pub(crate) fn is_empty(&self) -> bool {
        self.id.is_empty()
    }

    /// Adds `booking`, made by `plan`, under the request's key if it had one.
    pub(crate) fn add(
        &mut self,
        booking: &BookingRecord,
        plan: &BookingPlan,
        key: Option<(&str, &[u8])>,
    ) {
        self.id.push(booking.id);
        self.reference.push(booking.reference.clone());
        self.user_id.push(booking.user_id);
        self.status.push(booking.status.as_str());
        self.origin.push(booking.origin.as_str());
        self.expires_at.push(booking.expires_at);
        self.total_cents.push(plan.total_cents);
        self.currency.push(plan.currency.clone());
        self.idempotency_key
            .push(key.map(|(key, _)| key.to_owned()));
        self.request_hash.push(key.map(|(_, hash)| hash.to_vec()));
        for item in &plan.items {
            let quantity = i32::try_from(item.quantity).unwrap_or(i32::MAX);
            let sold = self.sold.entry(item.tier_id).or_insert(0);
            *sold = sold.saturating_add(quantity);
            self.items.booking_id.push(booking.id);
            self.items.user_id.push(booking.user_id);
            self.items.tier_id.push(item.tier_id);
            self.items.event_id.push(item.event_id);
            self.items.quantity.push(quantity);
            self.items.unit_price_cents.push(item.unit_price_cents);
        }
    }

    /// `INSERT` of every booking, all created at `now`.
    pub(crate) async fn insert_bookings(
        &self,
        mut conn: &AsyncPgConnection,
        now: DateTime<Utc>,
    ) -> Result<usize, diesel::result::Error> {
        diesel::sql_query(
            "INSERT INTO bookings (id, reference, user_id, status, total_cents, currency, \
                                   idempotency_key, request_hash, expires_at, origin, \
                                   created_at) \
             SELECT b.*, $11 FROM unnest($1::uuid[], $2::text[], $3::uuid[], $4::text[], \
                                         $5::int8[], $6::text[], $7::text[], $8::bytea[], \
                                         $9::timestamptz[], $10::text[]) \
               AS b(id, reference, user_id, status, total_cents, currency, \
                    idempotency_key, request_hash, expires_at, origin)",
        )
        .bind::<Array<SqlUuid>, _>(&self.id)
        .bind::<Array<Text>, _>(&self.reference)
        .bind::<Array<SqlUuid>, _>(&self.user_id)
        .bind::<Array<Text>, _>(&self.status)
        .bind::<Array<BigInt>, _>(&self.total_cents)
        .bind::<Array<Text>, _>(&self.currency)
        .bind::<Array<Nullable<Text>>, _>(&self.idempotency_key)
        .bind::<Array<Nullable<Bytea>>, _>(&self.request_hash)
        .bind::<Array<Nullable<Timestamptz>>, _>(&self.expires_at)
        .bind::<Array<Text>, _>(&self.origin)
        .bind::<Timestamptz, _>(now)
        .execute(&mut conn)
        .await
    }

    /// `INSERT` of every booking's items; the triggers of `ticket_holdings` run per row.
    pub(crate) async fn insert_items(
        &self,
        mut conn: &AsyncPgConnection,
    ) -> Result<usize, diesel::result::Error> {
        let items = &self.items;
        diesel::sql_query(
            "INSERT INTO booking_items (booking_id, user_id, tier_id, event_id, quantity, \
                                        unit_price_cents) \
             SELECT * FROM unnest($1::uuid[], $2::uuid[], $3::uuid[], $4::uuid[], \
                                  $5::int4[], $6::int8[])",
        )
        .bind::<Array<SqlUuid>, _>(&items.booking_id)
        .bind::<Array<SqlUuid>, _>(&items.user_id)
        .bind::<Array<SqlUuid>, _>(&items.tier_id)
        .bind::<Array<SqlUuid>, _>(&items.event_id)
        .bind::<Array<Integer>, _>(&items.quantity)
        .bind::<Array<BigInt>, _>(&items.unit_price_cents)
        .execute(&mut conn)
        .await
    }
}
