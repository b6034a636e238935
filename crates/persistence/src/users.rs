//! The users table.

use booking_domain::{Email, Role};
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel::result::{DatabaseErrorKind, Error as DieselError};
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use uuid::Uuid;

use crate::error::DbError;
use crate::schema::users;

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = users, check_for_backend(diesel::pg::Pg))]
struct UserRow {
    id: Uuid,
    email: String,
    name: String,
    password_hash: String,
    role: String,
    created_at: DateTime<Utc>,
}

/// A stored user, its role already parsed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserRecord {
    pub id: Uuid,
    pub email: String,
    pub name: String,
    pub password_hash: String,
    pub role: Role,
    pub created_at: DateTime<Utc>,
}

impl TryFrom<UserRow> for UserRecord {
    type Error = DbError;

    fn try_from(row: UserRow) -> Result<Self, Self::Error> {
        let role = row
            .role
            .parse()
            .map_err(|error| DbError::Corrupt(format!("user {}: {error}", row.id)))?;
        Ok(Self {
            id: row.id,
            email: row.email,
            name: row.name,
            password_hash: row.password_hash,
            role,
            created_at: row.created_at,
        })
    }
}

#[derive(Debug, Clone, Copy, Insertable)]
#[diesel(table_name = users)]
pub struct NewUser<'a> {
    pub email: &'a str,
    pub name: &'a str,
    pub password_hash: &'a str,
    pub role: &'a str,
}

#[derive(Debug, thiserror::Error)]
pub enum InsertUserError {
    #[error("email is already registered")]
    EmailTaken,
    #[error(transparent)]
    Db(#[from] DbError),
}

// Transactions surface diesel's own error for a failed BEGIN or COMMIT.
impl From<DieselError> for InsertUserError {
    fn from(error: DieselError) -> Self {
        Self::Db(error.into())
    }
}

pub async fn insert(
    conn: &mut AsyncPgConnection,
    new_user: NewUser<'_>,
) -> Result<UserRecord, InsertUserError> {
    let row = diesel::insert_into(users::table)
        .values(new_user)
        .returning(UserRow::as_returning())
        .get_result(conn)
        .await
        .map_err(|error| match error {
            // The unique index on the lower-cased email decides races between two sign-ups.
            DieselError::DatabaseError(DatabaseErrorKind::UniqueViolation, _) => {
                InsertUserError::EmailTaken
            }
            other => InsertUserError::Db(other.into()),
        })?;
    Ok(row.try_into()?)
}

pub async fn find_by_email(
    conn: &mut AsyncPgConnection,
    email: &Email,
) -> Result<Option<UserRecord>, DbError> {
    let row = users::table
        .filter(users::email.eq(email.as_str()))
        .select(UserRow::as_select())
        .first(conn)
        .await
        .optional()?;
    row.map(UserRecord::try_from).transpose()
}

pub async fn find_by_id(
    conn: &mut AsyncPgConnection,
    id: Uuid,
) -> Result<Option<UserRecord>, DbError> {
    let row = users::table
        .find(id)
        .select(UserRow::as_select())
        .first(conn)
        .await
        .optional()?;
    row.map(UserRecord::try_from).transpose()
}
