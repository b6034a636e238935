//! `just dev`'s reload signal: a page of a development build reloads itself once the
//! build's `/build-id` changes, and not before, under the real Content-Security-Policy.
//! (The rebuild itself is watchexec running `just _web-dev`, measured by hand.)

use std::fs;
use std::path::Path;
use std::time::Duration;

use super::harness::{UI_TIMEOUT, WebApp, built_web_app, workspace_root};

/// What `just _web-dev` makes of a build: the app, `dev-reload.js` loaded by the page,
/// and the build's id.
fn development_build(into: &Path) {
    copy_folder(&built_web_app(), into);
    fs::copy(
        workspace_root().join("frontend/dev-reload.js"),
        into.join("dev-reload.js"),
    )
    .unwrap();
    let index = fs::read_to_string(into.join("index.html")).unwrap();
    let index = index.replace(
        "</body>",
        "<script type=\"module\" src=\"/dev-reload.js\"></script>\n  </body>",
    );
    assert!(index.contains("dev-reload.js"));
    fs::write(into.join("index.html"), index).unwrap();
    fs::write(into.join("build-id"), "first build\n").unwrap();
}

fn copy_folder(from: &Path, to: &Path) {
    fs::create_dir_all(to).unwrap();
    for entry in fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_folder(&entry.path(), &target);
        } else {
            fs::copy(entry.path(), target).unwrap();
        }
    }
}

#[tokio::test]
async fn a_development_page_reloads_itself_after_a_rebuild_and_only_then() {
    let build = tempfile::tempdir().unwrap();
    development_build(build.path());
    let app = WebApp::start_with(|config| config.static_dir = build.path().to_path_buf()).await;
    let browser = app.browser().await;
    browser.open("/").await;
    browser.wait_for_heading("Events").await;
    // Survives until the page is loaded again.
    browser
        .js::<serde_json::Value>("window.stillTheSamePage = true; return null")
        .await;

    // Four polls with the same build: no reload.
    tokio::time::sleep(Duration::from_secs(2)).await;
    let same: bool = browser.js("return window.stillTheSamePage === true").await;
    assert!(same, "reloaded without a new build");

    fs::write(build.path().join("build-id"), "second build\n").unwrap();
    browser
        .eventually("the reload after the new build", UI_TIMEOUT, async || {
            let reloaded: bool = browser
                .js("return window.stillTheSamePage === undefined")
                .await;
            reloaded.then_some(())
        })
        .await;
    browser.wait_for_heading("Events").await;
    browser.quit().await;
}
