//! The pool hands out connections already carrying the service's session limits.

use std::time::Duration;

use booking_local_db::test_db::TestDatabase;
use booking_persistence::DbError;
use booking_persistence::pool::{PoolSettings, build_pool, ping};
use diesel::QueryableByName;
use diesel::sql_types::Text;
use diesel_async::RunQueryDsl;

#[derive(QueryableByName)]
struct Setting {
    #[diesel(sql_type = Text)]
    value: String,
}

fn settings(database_url: &str) -> PoolSettings {
    PoolSettings {
        database_url: database_url.to_owned(),
        max_size: 2,
        wait_timeout: Duration::from_millis(300),
        statement_timeout: Duration::from_secs(7),
        lock_timeout: Duration::from_millis(1500),
        application_name: "pool-test".into(),
    }
}

#[tokio::test]
async fn pooled_connections_carry_the_configured_limits() {
    let db = TestDatabase::create().await.expect("test database");
    let pool = build_pool(&settings(db.url())).unwrap();
    let mut conn = pool.get().await.unwrap();
    let show = |name: &'static str| {
        diesel::sql_query(format!("SELECT current_setting('{name}') AS value"))
    };
    let read = async |conn: &mut _, name| -> String {
        let row: Setting = show(name).get_result(conn).await.unwrap();
        row.value
    };
    assert_eq!(read(&mut conn, "lock_timeout").await, "1500ms");
    assert_eq!(read(&mut conn, "statement_timeout").await, "7s");
    assert_eq!(read(&mut conn, "application_name").await, "pool-test");
}

#[tokio::test]
async fn an_exhausted_pool_answers_unavailable_instead_of_waiting_forever() {
    let db = TestDatabase::create().await.expect("test database");
    let pool = build_pool(&settings(db.url())).unwrap();
    let _held = (pool.get().await.unwrap(), pool.get().await.unwrap());
    let error = ping(&pool).await.unwrap_err();
    assert!(matches!(error, DbError::Unavailable(_)), "{error:?}");
}
