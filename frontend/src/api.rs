//! HTTP calls to the api, in the shapes of `booking-dto`.

use booking_dto::Health;
use gloo_net::http::Request;

pub async fn health() -> Result<Health, String> {
    let response = Request::get("/health")
        .send()
        .await
        .map_err(|error| format!("network error: {error}"))?;
    if !response.ok() {
        return Err(format!("the service answered {}", response.status()));
    }
    response
        .json()
        .await
        .map_err(|error| format!("unexpected answer: {error}"))
}
