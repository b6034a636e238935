//! Accessibility, checked by a machine: axe-core (from npm, installed by `just test`) is
//! injected into each page of the app and run; a violation of impact "serious" or
//! "critical" fails the test.

use std::path::PathBuf;
use std::sync::OnceLock;

use serde::Deserialize;
use serde_json::Value;

use super::harness::Browser;

/// axe-core's script: `AXE_CORE_JS`, or where `just test` installs it.
fn axe_script() -> &'static str {
    static SCRIPT: OnceLock<String> = OnceLock::new();
    SCRIPT.get_or_init(|| {
        let path = std::env::var_os("AXE_CORE_JS")
            .filter(|value| !value.is_empty())
            .map(PathBuf::from)
            .unwrap_or_else(|| {
                let cache = std::env::var_os("XDG_CACHE_HOME")
                    .map(PathBuf::from)
                    .or_else(|| {
                        std::env::var_os("HOME").map(|home| PathBuf::from(home).join(".cache"))
                    })
                    .unwrap_or_else(|| PathBuf::from("/tmp"));
                cache.join("booking/tools/node_modules/axe-core/axe.min.js")
            });
        std::fs::read_to_string(&path).unwrap_or_else(|e| {
            panic!(
                "axe-core is missing at {} ({e}): run `just test`, which installs it with npm, \
                 or point AXE_CORE_JS at axe.min.js",
                path.display()
            )
        })
    })
}

#[derive(Debug, Deserialize)]
struct Violation {
    id: String,
    impact: Option<String>,
    help: String,
    nodes: Vec<Value>,
}

#[derive(Debug, Deserialize)]
struct Results {
    violations: Vec<Violation>,
    passes: Vec<Value>,
    incomplete: Vec<Value>,
    inapplicable: Vec<Value>,
}

/// What one audit found.
#[derive(Debug)]
pub struct Audit {
    /// How many axe rules ran on the page.
    pub rules: usize,
    /// Serious and critical violations, as `rule: help (n elements)`.
    pub blocking: Vec<String>,
    /// Minor and moderate ones, reported but not failing.
    pub other: Vec<String>,
}

/// Runs axe-core on the page as it is now, WCAG 2.1 A and AA plus best practices.
pub async fn audit(browser: &Browser) -> Audit {
    let driver = browser.driver();
    let loaded: bool = browser.js("return typeof window.axe !== 'undefined'").await;
    if !loaded {
        driver
            .execute(axe_script(), Vec::new())
            .await
            .expect("inject axe-core");
    }
    let results: Results = driver
        .execute_async(
            "const done = arguments[arguments.length - 1];
             axe.run(document, { runOnly: { type: 'tag', values:
                 ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice'] } })
               .then(done, (error) => done({ error: String(error) }));",
            Vec::new(),
        )
        .await
        .expect("run axe-core")
        .convert()
        .expect("axe-core results");
    let describe = |v: &Violation| {
        format!(
            "{} [{}]: {} ({} elements)",
            v.id,
            v.impact.as_deref().unwrap_or("?"),
            v.help,
            v.nodes.len()
        )
    };
    let (blocking, other): (Vec<&Violation>, Vec<&Violation>) = results
        .violations
        .iter()
        .partition(|v| matches!(v.impact.as_deref(), Some("serious" | "critical")));
    Audit {
        rules: results.passes.len()
            + results.violations.len()
            + results.incomplete.len()
            + results.inapplicable.len(),
        blocking: blocking.into_iter().map(describe).collect(),
        other: other.into_iter().map(describe).collect(),
    }
}

/// axe-core finds nothing serious or critical on the page as it is, at both widths.
pub async fn assert_accessible(browser: &Browser, what: &str) {
    for width in [375, 1280] {
        browser.set_width(width).await;
        let found = audit(browser).await;
        assert!(
            found.blocking.is_empty(),
            "{what} at {width} px: {:?}",
            found.blocking
        );
    }
}
