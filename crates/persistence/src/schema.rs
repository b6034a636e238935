//! Diesel's view of the tables in `migrations/`. Kept by hand; the integration tests
//! exercise every column, so a mismatch fails there.

diesel::table! {
    users (id) {
        id -> Uuid,
        email -> Text,
        name -> Text,
        password_hash -> Text,
        role -> Text,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    refresh_tokens (id) {
        id -> Uuid,
        user_id -> Uuid,
        family_id -> Uuid,
        token_hash -> Bytea,
        created_at -> Timestamptz,
        expires_at -> Timestamptz,
        used_at -> Nullable<Timestamptz>,
        revoked_at -> Nullable<Timestamptz>,
    }
}

diesel::table! {
    events (id) {
        id -> Uuid,
        organizer_id -> Uuid,
        title -> Text,
        description -> Text,
        venue -> Text,
        starts_at -> Timestamptz,
        status -> Text,
        max_tickets_per_user -> Int4,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
        /// Kept by triggers on ticket_tiers (migration 000004); read-only for the code.
        lowest_price_cents -> Nullable<Int8>,
        hold_minutes -> Int4,
        offer_minutes -> Int4,
        sales_start_at -> Nullable<Timestamptz>,
    }
}

diesel::table! {
    ticket_tiers (id) {
        id -> Uuid,
        event_id -> Uuid,
        name -> Text,
        price_cents -> Int8,
        currency -> Text,
        capacity -> Int4,
        remaining -> Int4,
        position -> Int4,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
        /// Bumped by every change of `remaining` (migration 000006): orders change records.
        version -> Int8,
    }
}

diesel::table! {
    bookings (id) {
        id -> Uuid,
        reference -> Text,
        user_id -> Uuid,
        status -> Text,
        total_cents -> Int8,
        currency -> Text,
        idempotency_key -> Nullable<Text>,
        request_hash -> Nullable<Bytea>,
        created_at -> Timestamptz,
        cancelled_at -> Nullable<Timestamptz>,
        expires_at -> Nullable<Timestamptz>,
        origin -> Text,
    }
}

diesel::table! {
    booking_items (booking_id, tier_id) {
        booking_id -> Uuid,
        tier_id -> Uuid,
        event_id -> Uuid,
        quantity -> Int4,
        unit_price_cents -> Int8,
        user_id -> Uuid,
    }
}

diesel::table! {
    ticket_holdings (user_id, event_id) {
        user_id -> Uuid,
        event_id -> Uuid,
        quantity -> Int4,
    }
}

diesel::table! {
    check_ins (ticket_id) {
        ticket_id -> Uuid,
        booking_id -> Uuid,
        tier_id -> Uuid,
        event_id -> Uuid,
        ticket_index -> Int4,
        checked_in_at -> Timestamptz,
        checked_in_by -> Uuid,
    }
}

diesel::table! {
    check_in_scans (id) {
        id -> Int8,
        event_id -> Uuid,
        ticket_id -> Nullable<Uuid>,
        scanned_by -> Uuid,
        scanned_at -> Timestamptz,
        result -> Text,
    }
}

diesel::table! {
    waiting_list (id) {
        id -> Int8,
        tier_id -> Uuid,
        event_id -> Uuid,
        user_id -> Uuid,
        quantity -> Int4,
        joined_at -> Timestamptz,
    }
}

diesel::table! {
    waiting_rooms (event_id) {
        event_id -> Uuid,
        admit_per_minute -> Int4,
        opens_minutes -> Int4,
        drawn_at -> Nullable<Timestamptz>,
        admitted_through -> Int8,
        last_position -> Int8,
        last_admitted_at -> Nullable<Timestamptz>,
    }
}

diesel::table! {
    queue_entries (event_id, user_id) {
        event_id -> Uuid,
        user_id -> Uuid,
        arrived_at -> Timestamptz,
        position -> Nullable<Int8>,
        admitted_at -> Nullable<Timestamptz>,
    }
}

diesel::joinable!(refresh_tokens -> users (user_id));
diesel::joinable!(bookings -> users (user_id));
diesel::joinable!(booking_items -> bookings (booking_id));
diesel::joinable!(booking_items -> ticket_tiers (tier_id));
diesel::joinable!(booking_items -> events (event_id));
diesel::joinable!(events -> users (organizer_id));
diesel::joinable!(ticket_tiers -> events (event_id));
diesel::joinable!(waiting_list -> ticket_tiers (tier_id));
diesel::joinable!(waiting_rooms -> events (event_id));

diesel::allow_tables_to_appear_in_same_query!(
    users,
    refresh_tokens,
    events,
    ticket_tiers,
    ticket_holdings,
    bookings,
    booking_items,
    check_ins,
    check_in_scans,
    waiting_list,
    waiting_rooms,
    queue_entries
);
