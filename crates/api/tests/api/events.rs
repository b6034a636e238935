use booking_dto::{Event, Page};
use reqwest::StatusCode;

use crate::helpers::{EventSpec, expect_problem, spawn_app};

async fn page(app: &crate::helpers::TestApp, query: &str) -> Page<Event> {
    let response = app
        .client
        .get(app.url(&format!("/api/v1/events{query}")))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK, "{query}");
    response.json().await.unwrap()
}

fn titles(page: &Page<Event>) -> Vec<&str> {
    page.data.iter().map(|e| e.title.as_str()).collect()
}

#[tokio::test]
async fn the_public_list_shows_only_upcoming_published_events_with_totals() {
    let app = spawn_app().await;
    app.create_event(&EventSpec::published(
        "Visible",
        4,
        vec![("A", 2_000, 10), ("B", 500, 5)],
    ))
    .await;
    app.create_event(&EventSpec {
        status: "draft",
        ..EventSpec::published("Hidden draft", 4, vec![("A", 1, 1)])
    })
    .await;
    app.create_event(&EventSpec {
        starts_in_days: -2,
        ..EventSpec::published("Over", 4, vec![("A", 1, 1)])
    })
    .await;
    let page = page(&app, "").await;
    assert_eq!(titles(&page), ["Visible"]);
    let event = &page.data[0];
    assert_eq!(
        (
            event.total_tickets,
            event.remaining_tickets,
            event.lowest_price_cents
        ),
        (15, 15, Some(500))
    );
    assert_eq!(
        (
            page.meta.total,
            page.meta.page,
            page.meta.limit,
            page.meta.total_pages
        ),
        (1, 1, 10, 1)
    );
}

#[tokio::test]
async fn the_list_searches_sorts_and_paginates() {
    let app = spawn_app().await;
    for (title, venue, price, days) in [
        ("Jazz Night", "Harbour Hall", 2_500, 3),
        ("Rock Gala", "Jazz Cellar", 1_000, 1),
        ("Opera", "Grand Theatre", 9_000, 2),
    ] {
        app.create_event(&EventSpec {
            venue: venue.to_owned(),
            starts_in_days: days,
            ..EventSpec::published(title, 4, vec![("GA", price, 10)])
        })
        .await;
    }
    assert_eq!(
        titles(&page(&app, "?search=JAZZ").await),
        ["Rock Gala", "Jazz Night"]
    );
    assert_eq!(
        titles(&page(&app, "?sortBy=price").await),
        ["Rock Gala", "Jazz Night", "Opera"]
    );
    assert_eq!(
        titles(&page(&app, "?sortBy=price&sortOrder=desc").await),
        ["Opera", "Jazz Night", "Rock Gala"]
    );
    assert_eq!(
        titles(&page(&app, "?sortBy=title").await),
        ["Jazz Night", "Opera", "Rock Gala"]
    );
    let second = page(&app, "?limit=2&page=2").await;
    assert_eq!(titles(&second), ["Jazz Night"]);
    assert_eq!((second.meta.total, second.meta.total_pages), (3, 2));
    assert!(
        page(&app, "?search=100%25").await.data.is_empty(),
        "% is literal"
    );
}

#[tokio::test]
async fn bad_list_parameters_are_validation_errors() {
    let app = spawn_app().await;
    for query in [
        "?limit=51",
        "?limit=0",
        "?page=0",
        "?page=x",
        "?sortBy=popularity",
        "?colour=red",
    ] {
        let response = app
            .client
            .get(app.url(&format!("/api/v1/events{query}")))
            .send()
            .await
            .unwrap();
        expect_problem(response, StatusCode::BAD_REQUEST, "ValidationError").await;
    }
}

#[tokio::test]
async fn an_event_shows_its_tiers_and_drafts_stay_hidden() {
    let app = spawn_app().await;
    let event = app
        .create_event(&EventSpec::published(
            "Detail",
            2,
            vec![("VIP", 10_000, 3), ("GA", 1_000, 7)],
        ))
        .await;
    let draft = app
        .create_event(&EventSpec {
            status: "draft",
            ..EventSpec::published("Secret", 4, vec![("A", 1, 1)])
        })
        .await;
    let shown: Event = app
        .get_ok(None, &format!("/api/v1/events/{}", event.id))
        .await;
    let tiers: Vec<(&str, i64, i32)> = shown
        .tiers
        .iter()
        .map(|t| (t.name.as_str(), t.price_cents, t.capacity))
        .collect();
    assert_eq!(tiers, [("VIP", 10_000, 3), ("GA", 1_000, 7)]);
    assert_eq!(shown.max_tickets_per_user, 2);
    for id in [
        draft.id.to_string(),
        uuid::Uuid::new_v4().to_string(),
        "nope".to_owned(),
    ] {
        let response = app
            .client
            .get(app.url(&format!("/api/v1/events/{id}")))
            .send()
            .await
            .unwrap();
        expect_problem(response, StatusCode::NOT_FOUND, "EventNotFound").await;
    }
}

#[tokio::test]
async fn a_draft_is_shown_to_its_organizer_and_admins_only() {
    let app = spawn_app().await;
    let draft = app
        .create_event(&EventSpec {
            status: "draft",
            ..EventSpec::published("Work in progress", 4, vec![("A", 1, 1)])
        })
        .await;
    let path = format!("/api/v1/events/{}", draft.id);
    let owner = app
        .token_for_role(&draft.organizer_email, "organizer")
        .await;
    let admin = app.token_for_role("root@example.com", "admin").await;
    for token in [&owner, &admin] {
        let shown: Event = app.get_ok(Some(token), &path).await;
        assert_eq!(shown.title, "Work in progress");
        assert_eq!(shown.status, booking_dto::EventStatus::Draft);
    }
    let other = app
        .token_for_role("someone-else@example.com", "organizer")
        .await;
    let buyer = app.buyers(1).await.remove(0).token;
    for token in [other.as_str(), buyer.as_str(), "not-a-token"] {
        let response = app
            .client
            .get(app.url(&path))
            .bearer_auth(token)
            .send()
            .await
            .unwrap();
        expect_problem(response, StatusCode::NOT_FOUND, "EventNotFound").await;
    }
}

/// With DATABASE_READ_URL set, the public list and event page are read there (in
/// production a standby); bookings and everything else still go to the primary. A
/// second database that has never seen the event stands in for a standby behind.
#[tokio::test]
async fn public_reads_come_from_the_read_database_and_bookings_from_the_primary() {
    let behind = booking_local_db::test_db::TestDatabase::create()
        .await
        .expect("second database");
    let read_url = behind.url().to_owned();
    let app =
        crate::helpers::spawn_app_with(|config| config.database_read_url = Some(read_url)).await;
    let event = app
        .create_event(&EventSpec::published(
            "On the primary",
            4,
            vec![("A", 1_000, 10)],
        ))
        .await;

    assert_eq!(
        page(&app, "").await.meta.total,
        0,
        "the list is the read database's"
    );
    let response = app
        .client
        .get(app.url(&format!("/api/v1/events/{}", event.id)))
        .send()
        .await
        .unwrap();
    expect_problem(response, StatusCode::NOT_FOUND, "EventNotFound").await;

    let buyer = app.buyers(1).await.remove(0);
    let items = serde_json::json!([{ "tierId": event.tier_ids[0], "quantity": 2 }]);
    let response = app.book(&buyer.token, &items, None).await;
    assert_eq!(
        response.status(),
        StatusCode::CREATED,
        "booked on the primary"
    );
    drop(app);
}
