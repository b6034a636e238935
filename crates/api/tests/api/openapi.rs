use std::path::Path;

use booking_api::openapi::ApiDoc;
use reqwest::StatusCode;
use utoipa::OpenApi;

use crate::helpers::spawn_app;

/// The document is part of the contract: a change to it shows up as a diff in review.
/// After an intended change: `UPDATE_SNAPSHOTS=1 just test`, then read the diff.
#[test]
fn the_openapi_document_matches_its_snapshot() {
    let document = ApiDoc::openapi().to_pretty_json().unwrap() + "\n";
    let snapshot = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/snapshots/openapi.json");
    if std::env::var_os("UPDATE_SNAPSHOTS").is_some() {
        std::fs::write(&snapshot, &document).unwrap();
    }
    let expected = std::fs::read_to_string(&snapshot).unwrap_or_default();
    assert!(
        document == expected,
        "the OpenAPI document changed; run `UPDATE_SNAPSHOTS=1 just test` and review the diff"
    );
}

#[test]
fn every_operation_documents_its_errors_as_problem_documents() {
    let document = serde_json::to_value(ApiDoc::openapi()).unwrap();
    assert_eq!(document["openapi"], "3.1.0");
    let paths = document["paths"].as_object().unwrap();
    assert_eq!(paths.len(), 27);
    let mut operation_ids = std::collections::HashSet::new();
    for (path, operations) in paths {
        for (method, operation) in operations.as_object().unwrap() {
            let id = operation["operationId"].as_str().unwrap();
            assert!(
                operation_ids.insert(id.to_owned()),
                "operationId {id} is used twice"
            );
            let responses = operation["responses"].as_object().unwrap();
            for (status, response) in responses {
                if status.starts_with('4') || status.starts_with('5') {
                    let problem = &response["content"]["application/problem+json"];
                    assert!(
                        problem.is_object(),
                        "{method} {path} {status} is not a problem document"
                    );
                }
            }
            if path != "/health" {
                assert!(responses.contains_key("503"), "{method} {path} lacks 503");
            }
        }
    }
}

#[tokio::test]
async fn the_document_and_the_docs_page_are_served() {
    let app = spawn_app().await;
    let response = app
        .client
        .get(app.url("/api/openapi.json"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let served: serde_json::Value = response.json().await.unwrap();
    assert_eq!(served, serde_json::to_value(ApiDoc::openapi()).unwrap());
    let page = app.client.get(app.url("/api/docs/")).send().await.unwrap();
    assert_eq!(page.status(), StatusCode::OK);
    assert!(page.text().await.unwrap().contains("swagger-ui"));
}
