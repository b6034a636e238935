//! What browsers are told about this origin: a Content-Security-Policy that fits the
//! WASM app, no sniffing or framing, CORS only for listed origins, and a refresh cookie
//! that is `Secure` exactly when the app is reached over https.

use reqwest::StatusCode;
use reqwest::header::HeaderMap;

use crate::helpers::{TestApp, set_cookie, spawn_app, spawn_app_with};

fn header<'a>(headers: &'a HeaderMap, name: &str) -> &'a str {
    headers
        .get(name)
        .unwrap_or_else(|| panic!("no {name} header"))
        .to_str()
        .unwrap()
}

#[tokio::test]
async fn the_app_and_the_api_forbid_inline_scripts_framing_and_sniffing() {
    let app = spawn_app().await;
    for path in [
        "/",
        "/events/some-deep-link",
        "/api/v1/events",
        "/api/v1/nowhere",
    ] {
        let response = app.client.get(app.url(path)).send().await.unwrap();
        let headers = response.headers();
        let policy = header(headers, "content-security-policy");
        assert!(
            policy.contains("script-src 'self' 'wasm-unsafe-eval'"),
            "{path}: {policy}"
        );
        assert!(!policy.contains("unsafe-inline"), "{path}: {policy}");
        assert!(
            policy.contains("frame-ancestors 'none'"),
            "{path}: {policy}"
        );
        assert_eq!(
            header(headers, "x-content-type-options"),
            "nosniff",
            "{path}"
        );
        assert_eq!(header(headers, "x-frame-options"), "DENY", "{path}");
        assert_eq!(header(headers, "referrer-policy"), "same-origin", "{path}");
    }
}

async fn preflight(app: &TestApp, origin: &str) -> reqwest::Response {
    app.client
        .request(reqwest::Method::OPTIONS, app.url("/api/v1/bookings"))
        .header("Origin", origin)
        .header("Access-Control-Request-Method", "POST")
        .header(
            "Access-Control-Request-Headers",
            "authorization, content-type",
        )
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn cross_origin_calls_are_allowed_only_from_the_configured_origins() {
    let closed = spawn_app().await;
    let response = preflight(&closed, "https://elsewhere.example.com").await;
    assert!(
        response
            .headers()
            .get("access-control-allow-origin")
            .is_none()
    );

    let open = spawn_app_with(|config| {
        config.cors_origins = vec!["https://shop.example.com".into()];
        config.public_url = Some("https://tickets.example.com".into());
    })
    .await;
    let response = preflight(&open, "https://shop.example.com").await;
    assert!(response.status().is_success());
    let headers = response.headers();
    assert_eq!(
        header(headers, "access-control-allow-origin"),
        "https://shop.example.com"
    );
    assert_eq!(header(headers, "access-control-allow-credentials"), "true");
    let response = preflight(&open, "https://elsewhere.example.com").await;
    assert!(
        response
            .headers()
            .get("access-control-allow-origin")
            .is_none()
    );
    // The app's own origin still works: browsers send Origin on its POSTs too.
    let response = open
        .client
        .post(open.url("/api/v1/auth/login"))
        .header("Origin", "https://tickets.example.com")
        .json(&serde_json::json!({ "email": "x@example.com", "password": "Password123" }))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
}

/// The `Set-Cookie` headers of a sign-up: the refresh token's and the session hint's.
async fn session_cookies(app: &TestApp) -> [String; 2] {
    let response = app.register("cookie@example.com", "Cookie Tester").await;
    assert_eq!(response.status(), StatusCode::CREATED);
    ["refresh_token", "signed_in"].map(|name| set_cookie(&response, name).expect(name))
}

#[tokio::test]
async fn the_refresh_cookie_is_secure_exactly_when_the_public_url_is_https() {
    let https = spawn_app_with(|config| {
        config.public_url = Some("https://tickets.example.com".into());
    })
    .await;
    for cookie in session_cookies(&https).await {
        assert!(cookie.contains("; Secure"), "{cookie}");
    }
    // Production over plain http, as the compose file runs it: the cookie must work.
    let plain = spawn_app_with(|config| {
        config.app_env = booking_api::config::AppEnv::Production;
        config.public_url = Some("http://localhost:8080".into());
    })
    .await;
    let [refresh, hint] = session_cookies(&plain).await;
    for cookie in [&refresh, &hint] {
        assert!(!cookie.contains("Secure"), "{cookie}");
        assert!(cookie.contains("SameSite=Strict"), "{cookie}");
    }
    assert!(refresh.contains("HttpOnly"), "{refresh}");
}
