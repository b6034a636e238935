//! What the browser tests stand on: the real server serving the built web app over a
//! seeded database, one chromedriver per test, and a [`Browser`] whose methods read like
//! what a person does (fill the field labelled "Email", click the button "Checkout").
//!
//! Controls are found the way a screen reader finds them: by their label, their role or
//! their text. CSS classes appear only where the UI contract (`frontend/UI.md`) gives a
//! thing no label: toasts, badges, the cart total, the user name.

use std::fmt::Display;
use std::fs::File;
use std::ops::Deref;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::Duration;

use booking_api::config::Config;
use booking_dto::{Event, Page, Tier};
use booking_persistence::seed::{SeedOutcome, seed};
use nix::sys::signal::{Signal, killpg};
use nix::unistd::Pid;
use serde::de::DeserializeOwned;
use serde_json::Value;
use thirtyfour::LoggingPrefsLogLevel;
use thirtyfour::prelude::*;
use tokio::sync::{Semaphore, SemaphorePermit};
use tokio::time::Instant;

use crate::helpers::{PASSWORD, TestApp, spawn_app_with};

/// How long a step may take before the test gives up. Generous: the machines have two
/// shared cores, and the first page load compiles the WASM bundle. Only the issue's own
/// bounds (live updates within 2 s) are asserted as times; this is a give-up limit.
pub const UI_TIMEOUT: Duration = Duration::from_secs(20);

/// The simulated gateway's test cards (`domain::card`): approved, and declined.
pub const APPROVING_CARD: &str = "4242424242424242";
pub const DECLINING_CARD: &str = "4000000000000002";

/// Height of every window; only the width varies between layouts.
const WINDOW_HEIGHT: u32 = 900;

/// Chromium flags that work on these machines (see TOOLCHAIN.md): headless, no sandbox
/// (root in a container), nothing that reaches for the network on its own.
const CHROMIUM_FLAGS: [&str; 12] = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
    "--window-size=1280,900",
    // A tab in the background keeps its timers and work on time, as a person's second
    // window on screen would: the two-tab tests act in both at once.
    "--disable-background-timer-throttling",
    "--disable-renderer-backgrounding",
];

/// One browser test at a time: each runs a server, a chromedriver, one or two Chromiums
/// and a WASM app on two shared cores, next to the rest of the suite. Running them side by
/// side buys little time and makes the 2-second live-update bound a coin toss.
static ONE_AT_A_TIME: Semaphore = Semaphore::const_new(1);

/// The workspace root, from this crate's manifest folder.
pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .ancestors()
        .nth(2)
        .expect("crates/api sits two folders below the workspace root")
        .to_path_buf()
}

/// `name` from the environment as a path; a relative one is taken from the workspace root.
fn path_from_env(name: &str) -> Option<PathBuf> {
    std::env::var_os(name)
        .filter(|value| !value.is_empty())
        .map(|value| workspace_root().join(value))
}

/// The built web app: `STATIC_DIR`, or `frontend/dist` in the workspace.
pub fn web_app_dir() -> PathBuf {
    path_from_env("STATIC_DIR").unwrap_or_else(|| workspace_root().join("frontend").join("dist"))
}

/// The built web app's folder; fails the test with the command that builds it when the
/// folder does not hold a build.
pub fn built_web_app() -> PathBuf {
    let dir = web_app_dir();
    let index = dir.join("index.html");
    let assets = dir.join("assets");
    assert!(
        index.is_file() && assets.is_dir(),
        "build the web app first: just frontend ({} has no {})",
        dir.display(),
        if index.is_file() {
            "assets/ folder"
        } else {
            "index.html"
        },
    );
    dir
}

/// Where screenshots go: `<target dir>/screenshots/`.
pub fn screenshot_dir() -> PathBuf {
    path_from_env("CARGO_TARGET_DIR")
        .unwrap_or_else(|| workspace_root().join("target"))
        .join("screenshots")
}

fn executable(env_name: &str, default: &str) -> PathBuf {
    let path = path_from_env(env_name).unwrap_or_else(|| PathBuf::from(default));
    assert!(
        path.is_file(),
        "{} is missing: install Debian's chromium and chromium-driver (`just _chromium`, or \
         apt-get install chromium chromium-driver), or point {env_name} at it",
        path.display()
    );
    path
}

/// The server with the built web app over a database holding the demo data (seed.rs), and
/// a chromedriver for the test's browsers. Derefs to [`TestApp`] for the HTTP and SQL
/// helpers.
pub struct WebApp {
    // Fields drop in this order: the server and its database, then the driver (browsers,
    // locals of the test, are gone by then), then the turn.
    app: TestApp,
    chromedriver: Arc<Chromedriver>,
    _turn: SemaphorePermit<'static>,
}

impl Deref for WebApp {
    type Target = TestApp;

    fn deref(&self) -> &TestApp {
        &self.app
    }
}

impl WebApp {
    pub async fn start() -> Self {
        Self::start_with(|_| {}).await
    }

    /// Like [`WebApp::start`], with the server's configuration adjusted first.
    pub async fn start_with(adjust: impl FnOnce(&mut Config)) -> Self {
        let static_dir = built_web_app();
        let turn = ONE_AT_A_TIME
            .acquire()
            .await
            .expect("browser test semaphore");
        let app = spawn_app_with(|config| {
            config.static_dir = static_dir;
            adjust(config);
        })
        .await;
        seed_demo_data(&app).await;
        let chromedriver = Chromedriver::start().await;
        Self {
            app,
            chromedriver,
            _turn: turn,
        }
    }

    /// A fresh browser with a profile (cookies, storage) of its own, on a blank page: open
    /// one with [`Browser::open`].
    pub async fn browser(&self) -> Browser {
        Browser::start(&self.chromedriver, &self.app.address).await
    }

    /// The published event titled `title`, as the public API shows it.
    pub async fn event(&self, title: &str) -> Event {
        let query = form_urlencoded::Serializer::new(String::new())
            .append_pair("search", title)
            .finish();
        let page: Page<Event> = self
            .app
            .get_ok(None, &format!("/api/v1/events?{query}"))
            .await;
        page.data
            .into_iter()
            .find(|event| event.title == title)
            .unwrap_or_else(|| panic!("no event titled {title:?}"))
    }

    /// The tier `tier` of the event titled `title`.
    pub async fn tier(&self, title: &str, tier: &str) -> Tier {
        self.event(title)
            .await
            .tiers
            .into_iter()
            .find(|t| t.name == tier)
            .unwrap_or_else(|| panic!("{title:?} has no tier {tier:?}"))
    }

    /// How many bookings the account `email` has, in any status.
    /// `quantity` tickets of `tier`, booked and paid at once by the seeded account
    /// `email`.
    pub async fn seeded_booking(
        &self,
        email: &str,
        tier: uuid::Uuid,
        quantity: i64,
    ) -> booking_dto::Booking {
        self.booked(
            &self.seeded_token(email).await,
            &serde_json::json!([{ "tierId": tier, "quantity": quantity }]),
        )
        .await
    }

    /// An access token of the seeded account `email`.
    pub async fn seeded_token(&self, email: &str) -> String {
        let signed_in: booking_dto::AuthResponse = self
            .login(email, booking_persistence::seed::SEED_PASSWORD)
            .await
            .json()
            .await
            .expect("the seeded account signs in");
        signed_in.access_token
    }

    pub async fn bookings_of(&self, email: &str) -> i64 {
        self.app
            .scalar(&format!(
                "SELECT count(*) AS value FROM bookings b JOIN users u ON u.id = b.user_id \
                 WHERE u.email = '{email}'"
            ))
            .await
    }

    pub async fn user_count(&self) -> i64 {
        self.app.scalar("SELECT count(*) AS value FROM users").await
    }
}

/// The demo accounts and events, loaded by the same function as `booking-api seed`.
async fn seed_demo_data(app: &TestApp) {
    let hash = booking_api::auth::password::hash_now(PASSWORD, 4).expect("hash");
    let outcome = seed(&mut app.connection().await, &hash, chrono::Utc::now())
        .await
        .expect("seed the demo data");
    assert!(
        matches!(outcome, SeedOutcome::Seeded { .. }),
        "a fresh database gets the demo data, got {outcome:?}"
    );
}

/// A chromedriver on a free port, in its own process group: dropping it kills that group
/// (the driver and any Chromium it left behind), by the driver's own PID.
pub struct Chromedriver {
    child: Child,
    url: String,
    log: PathBuf,
    _log_dir: tempfile::TempDir,
}

impl Chromedriver {
    pub async fn start() -> Arc<Self> {
        let binary = executable("CHROMEDRIVER", "/usr/bin/chromedriver");
        // The free port may be taken between our look and the driver's bind (the suite
        // starts servers on port 0 all the time): then the driver exits, and we try again.
        let mut last_log = String::new();
        for _ in 0..3 {
            let mut driver = Self::spawn(&binary);
            match driver.until_ready().await {
                Ok(()) => return Arc::new(driver),
                Err(log) => last_log = log,
            }
        }
        panic!("chromedriver exited three times:\n{last_log}");
    }

    fn spawn(binary: &Path) -> Self {
        let log_dir = tempfile::tempdir().expect("chromedriver log folder");
        let log = log_dir.path().join("chromedriver.log");
        let out = File::create(&log).expect("chromedriver log");
        let port = free_port();
        let child = Command::new(binary)
            .arg(format!("--port={port}"))
            .stdin(Stdio::null())
            .stdout(out.try_clone().expect("chromedriver log"))
            .stderr(out)
            // Its own group: Chromium inherits it, so one signal ends them all, and no
            // other process on the machine is touched.
            .process_group(0)
            .spawn()
            .unwrap_or_else(|e| panic!("starting {}: {e}", binary.display()));
        Self {
            child,
            url: format!("http://127.0.0.1:{port}"),
            log,
            _log_dir: log_dir,
        }
    }

    /// Polls `GET /status` until the driver says it is ready; its log if it exited.
    async fn until_ready(&mut self) -> Result<(), String> {
        let client = reqwest::Client::new();
        let deadline = Instant::now() + UI_TIMEOUT;
        loop {
            if let Some(status) = self.child.try_wait().expect("chromedriver status") {
                return Err(format!("exited with {status}: {}", self.log_text()));
            }
            let ready = match client.get(format!("{}/status", self.url)).send().await {
                Ok(response) => response
                    .json::<Value>()
                    .await
                    .is_ok_and(|body| body["value"]["ready"] == true),
                Err(_) => false,
            };
            if ready {
                return Ok(());
            }
            assert!(
                Instant::now() < deadline,
                "chromedriver did not answer on {} within {UI_TIMEOUT:?}:\n{}",
                self.url,
                self.log_text()
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    fn log_text(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }
}

impl Drop for Chromedriver {
    fn drop(&mut self) {
        if let Ok(pid) = i32::try_from(self.child.id()) {
            // The group was created with the driver's PID as its id (process_group(0)).
            let _ = killpg(Pid::from_raw(pid), Signal::SIGKILL);
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A port nobody listens on right now. (Another process could take it before chromedriver
/// binds it; on a test machine that is rare enough, and the failure is loud.)
fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .expect("a free port")
        .port()
}

/// One browser session: one Chromium with a fresh profile (cookies, storage) of its own.
/// End it with [`Browser::quit`]; a test that fails first ends it on drop.
pub struct Browser {
    driver: WebDriver,
    base: String,
    _chromedriver: Arc<Chromedriver>,
    _profile: tempfile::TempDir,
}

impl Browser {
    pub async fn start(chromedriver: &Arc<Chromedriver>, base: &str) -> Self {
        let chromium = executable("CHROMIUM", "/usr/bin/chromium");
        let profile = tempfile::tempdir().expect("browser profile");
        let mut caps = DesiredCapabilities::chrome();
        caps.set_binary(&chromium.to_string_lossy())
            .expect("chromium binary");
        for flag in CHROMIUM_FLAGS {
            caps.add_arg(flag).expect("chromium flag");
        }
        caps.add_arg(&format!("--user-data-dir={}", profile.path().display()))
            .expect("chromium profile");
        // The page's console and failed loads, read by `Browser::errors_logged`.
        caps.set_browser_log_level(LoggingPrefsLogLevel::All)
            .expect("browser log capability");
        let driver = WebDriver::new(chromedriver.url.clone(), caps)
            .await
            .unwrap_or_else(|e| {
                panic!(
                    "starting Chromium through chromedriver: {e}\n{}",
                    chromedriver.log_text()
                )
            });
        let browser = Self {
            driver,
            base: base.trim_end_matches('/').to_owned(),
            _chromedriver: Arc::clone(chromedriver),
            _profile: profile,
        };
        browser.set_width(1280).await;
        browser
    }

    /// Ends the session; Chromium exits.
    pub async fn quit(self) {
        self.driver
            .clone()
            .quit()
            .await
            .expect("quit the browser session");
    }

    /// The WebDriver session, for what the helpers below do not cover.
    pub fn driver(&self) -> &WebDriver {
        &self.driver
    }

    /// Opens `path` (e.g. `/cart`) on the app, as if typed into the address bar.
    pub async fn open(&self, path: &str) {
        self.driver
            .goto(format!("{}{path}", self.base))
            .await
            .unwrap_or_else(|e| panic!("opening {path}: {e}"));
    }

    /// Reloads the page, like F5.
    pub async fn reload(&self) {
        self.driver.refresh().await.expect("reload");
    }

    /// The current path and query, e.g. `/?search=Summer`.
    pub async fn location(&self) -> String {
        let url = self.driver.current_url().await.expect("current url");
        match url.query() {
            Some(query) => format!("{}?{query}", url.path()),
            None => url.path().to_owned(),
        }
    }

    /// Waits until the path (without query) is `path`.
    pub async fn wait_for_path(&self, path: &str) {
        self.eventually(format!("the path {path}"), UI_TIMEOUT, async || {
            let url = self.driver.current_url().await.ok()?;
            (url.path() == path).then_some(())
        })
        .await;
    }

    /// Makes the window `width` CSS pixels wide (the viewport: headless Chromium has no
    /// window frame), and checks the page sees that width.
    pub async fn set_width(&self, width: u32) {
        self.driver
            .set_window_rect(0, 0, width, WINDOW_HEIGHT)
            .await
            .expect("resize the window");
        let inner: u32 = self.js("return window.innerWidth").await;
        assert_eq!(inner, width, "the viewport is as wide as the window");
    }

    /// Screenshots `<name>-375.png`, `<name>-768.png` and `<name>-1280.png` (phone,
    /// tablet and desktop), leaving the window at 1280 px.
    pub async fn screenshots(&self, name: &str) {
        for width in [375, 768, 1280] {
            self.set_width(width).await;
            self.screenshot(&format!("{name}-{width}")).await;
        }
    }

    /// Runs `script` in the page and decodes what it returns.
    pub async fn js<T: DeserializeOwned>(&self, script: &str) -> T {
        self.driver
            .execute(script, Vec::<Value>::new())
            .await
            .unwrap_or_else(|e| panic!("running {script:?}: {e}"))
            .convert()
            .unwrap_or_else(|e| panic!("the result of {script:?}: {e}"))
    }

    /// Writes a PNG of the viewport to `<target dir>/screenshots/<name>.png`.
    pub async fn screenshot(&self, name: &str) -> PathBuf {
        let dir = screenshot_dir();
        std::fs::create_dir_all(&dir).expect("screenshot folder");
        let path = dir.join(format!("{name}.png"));
        self.driver
            .screenshot(&path)
            .await
            .unwrap_or_else(|e| panic!("screenshot {}: {e}", path.display()));
        path
    }

    /// Polls `check` (every 50 ms) until it gives a value, and returns it; fails the test
    /// after `timeout`, with a screenshot, the URL and the page's text. A check sees a
    /// missing or stale element as "not yet": pages re-render while we look.
    pub async fn eventually<T>(
        &self,
        what: impl Display,
        timeout: Duration,
        mut check: impl AsyncFnMut() -> Option<T>,
    ) -> T {
        let deadline = Instant::now() + timeout;
        loop {
            if let Some(value) = check().await {
                return value;
            }
            if Instant::now() >= deadline {
                let report = self.report(&format!("waited {timeout:?} for {what}")).await;
                panic!("{report}");
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// `message`, with what the page looked like: a screenshot, the URL and its text.
    pub async fn report(&self, message: &str) -> String {
        let slug: String = message
            .chars()
            .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
            .take(60)
            .collect();
        let shot = self.screenshot(&format!("FAILED-{slug}")).await;
        let location = self.location().await;
        let text: String = self
            .driver
            .execute(
                "return document.body ? document.body.innerText : ''",
                Vec::<Value>::new(),
            )
            .await
            .ok()
            .and_then(|ret| ret.convert::<String>().ok())
            .unwrap_or_default()
            .chars()
            .take(3_000)
            .collect();
        format!(
            "{message}\n  at {location}\n  screenshot {}\n  page text:\n{text}",
            shot.display()
        )
    }

    /// The first displayed element that `by` finds, once there is one.
    pub async fn find(&self, what: impl Display, by: By) -> WebElement {
        self.eventually(what, UI_TIMEOUT, async || {
            first_displayed(self.driver.find_all(by.clone()).await.ok()?).await
        })
        .await
    }

    /// Waits until an element matching the CSS `selector` shows text containing `text`
    /// (whitespace normalised), and returns it.
    pub async fn wait_for_text(&self, selector: &str, text: &str, timeout: Duration) -> WebElement {
        self.eventually(
            format!("{selector} showing {text:?}"),
            timeout,
            async || {
                for element in self.driver.find_all(By::Css(selector)).await.ok()? {
                    if normalized(&element.text().await.ok()?).contains(text) {
                        return Some(element);
                    }
                }
                None
            },
        )
        .await
    }

    /// Waits for the page's `<h1>` to read `text`.
    pub async fn wait_for_heading(&self, text: &str) {
        self.eventually(format!("the heading {text:?}"), UI_TIMEOUT, async || {
            let h1 = self.driver.find(By::Css("h1")).await.ok()?;
            (normalized(&h1.text().await.ok()?) == text).then_some(())
        })
        .await;
    }

    /// Waits for a toast whose text contains `text`, and returns its whole text.
    pub async fn wait_for_toast(&self, text: &str) -> String {
        let toast = self.wait_for_text(".toasts .toast", text, UI_TIMEOUT).await;
        normalized(&toast.text().await.expect("toast text"))
    }

    /// The form control labelled `label`: by `<label for>`, a wrapping `<label>`, or
    /// `aria-label`.
    pub async fn field(&self, label: &str) -> WebElement {
        self.find(
            format!("the field labelled {label:?}"),
            By::XPath(control(label)),
        )
        .await
    }

    /// Types `text` into the field labelled `label`, replacing what it held.
    pub async fn fill(&self, label: &str, text: &str) {
        let field = self.field(label).await;
        if field
            .value()
            .await
            .ok()
            .flatten()
            .is_some_and(|v| !v.is_empty())
        {
            field.clear().await.expect("clear the field");
        }
        field
            .send_keys(text)
            .await
            .unwrap_or_else(|e| panic!("typing into {label:?}: {e}"));
    }

    /// Sets the field labelled `label` to `value` the way a picker would, for inputs such
    /// as `datetime-local` whose typing order depends on the browser's locale.
    pub async fn set_value(&self, label: &str, value: &str) {
        let field = self.field(label).await;
        let element = field.to_json().expect("the field as a script argument");
        self.driver
            .execute(
                "arguments[0].value = arguments[1];
                 arguments[0].dispatchEvent(new Event('input', { bubbles: true }));",
                vec![element, Value::String(value.to_owned())],
            )
            .await
            .unwrap_or_else(|e| panic!("setting {label:?} to {value:?}: {e}"));
    }

    /// Picks the option `option` (its text or value) of the `<select>` labelled `label`.
    pub async fn choose(&self, label: &str, option: &str) {
        let select = self.field(label).await;
        let literal = xpath_literal(option);
        let choice = select
            .find(By::XPath(format!(
                ".//option[normalize-space()={literal} or @value={literal}]"
            )))
            .await
            .unwrap_or_else(|e| panic!("{label:?} has no option {option:?}: {e}"));
        choice
            .click()
            .await
            .unwrap_or_else(|e| panic!("choosing {option:?} in {label:?}: {e}"));
    }

    /// The enabled `<button>` reading `text`, once there is one.
    pub async fn button(&self, text: &str) -> WebElement {
        let xpath = format!("//button[normalize-space()={}]", xpath_literal(text));
        self.eventually(format!("a button {text:?}"), UI_TIMEOUT, async || {
            let buttons = self.driver.find_all(By::XPath(xpath.as_str())).await.ok()?;
            first_enabled(buttons).await
        })
        .await
    }

    /// On the checkout page a hold leads to: types the card `number` (with a future
    /// expiry and any code) and clicks "Pay $…".
    pub async fn pay_with_card(&self, number: &str) {
        self.wait_for_heading("Checkout").await;
        self.fill("Card number", number).await;
        self.fill("Expiry (MM/YY)", "12/34").await;
        self.fill("Security code", "123").await;
        let pay = self
            .eventually("the button \"Pay $…\"", UI_TIMEOUT, async || {
                let buttons = self
                    .driver
                    .find_all(By::XPath(
                        "//button[starts-with(normalize-space(), 'Pay ')]",
                    ))
                    .await
                    .ok()?;
                first_enabled(buttons).await
            })
            .await;
        self.click(&pay, "the button \"Pay $…\"").await;
    }

    pub async fn click_button(&self, text: &str) {
        let button = self.button(text).await;
        self.click(&button, format!("the button {text:?}")).await;
    }

    /// Scrolls `element` to the middle of the window, as a person would before clicking
    /// it (the desktop header is sticky and would cover the top edge), and clicks it.
    pub async fn click(&self, element: &WebElement, what: impl Display) {
        let argument = element.to_json().expect("the element as a script argument");
        self.driver
            .execute(
                "arguments[0].scrollIntoView({ block: 'center', inline: 'nearest' });",
                vec![argument],
            )
            .await
            .unwrap_or_else(|e| panic!("scrolling to {what}: {e}"));
        element
            .click()
            .await
            .unwrap_or_else(|e| panic!("clicking {what}: {e}"));
    }

    /// Clicks the link reading `text`.
    pub async fn click_link(&self, text: &str) {
        let xpath = format!("//a[normalize-space()={}]", xpath_literal(text));
        let link = self
            .find(format!("a link {text:?}"), By::XPath(xpath))
            .await;
        self.click(&link, format!("the link {text:?}")).await;
    }

    /// The main navigation's link whose text starts with `text` (e.g. "Cart" for
    /// "Cart (3)"), once it is there.
    pub async fn nav_link(&self, text: &str) -> WebElement {
        let xpath = format!(
            "//nav[@aria-label='Main']//a[starts-with(normalize-space(), {})]",
            xpath_literal(text)
        );
        self.find(
            format!("the main navigation's link {text:?}"),
            By::XPath(xpath),
        )
        .await
    }

    /// Waits for the main navigation's link starting with `prefix` to read exactly `text`.
    pub async fn wait_for_nav_link(&self, prefix: &str, text: &str) {
        let xpath = format!(
            "//nav[@aria-label='Main']//a[starts-with(normalize-space(), {})]",
            xpath_literal(prefix)
        );
        self.eventually(
            format!("the link {text:?} in the header"),
            UI_TIMEOUT,
            async || {
                let link = self.driver.find(By::XPath(xpath.as_str())).await.ok()?;
                (normalized(&link.text().await.ok()?) == text).then_some(())
            },
        )
        .await;
    }

    /// Waits until the header shows `name` as the signed-in user, with "Sign out" (both
    /// beside the main navigation, not in it).
    pub async fn wait_signed_in_as(&self, name: &str) {
        self.wait_for_text("header .user-name", name, UI_TIMEOUT)
            .await;
        self.button("Sign out").await;
    }

    /// Signs in on `/login` with the seed password and waits for the app to leave the page.
    pub async fn sign_in(&self, email: &str, name: &str) {
        self.open("/login").await;
        self.wait_for_heading("Sign in").await;
        self.submit_sign_in(email).await;
        self.wait_signed_in_as(name).await;
        self.wait_for_path("/").await;
    }

    /// On the sign-in page on screen: signs in as `email` with the seed password.
    pub async fn submit_sign_in(&self, email: &str) {
        self.fill("Email", email).await;
        self.fill("Password", PASSWORD).await;
        // The form's submit is a <button>; the header's "Sign in" is a link.
        self.click_button("Sign in").await;
    }

    /// The errors the browser logged since the last call (Chromium's SEVERE entries: a
    /// failed request, an uncaught exception, `console.error`), each as its message.
    pub async fn errors_logged(&self) -> Vec<String> {
        self.driver
            .browser_log()
            .await
            .expect("read the browser's log")
            .into_iter()
            .filter(|entry| entry.level == "SEVERE")
            .map(|entry| entry.message)
            .collect()
    }

    /// Clicks the button reading `button` on the events page's card (`<article>`) headed
    /// `title`.
    pub async fn click_on_card(&self, title: &str, button: &str) {
        let xpath = format!(
            "{}//button[normalize-space()={}]",
            card_xpath(title),
            xpath_literal(button)
        );
        let what = format!("the card {title:?}'s button {button:?}");
        let element = self.find(&what, By::XPath(xpath)).await;
        self.click(&element, what).await;
    }

    /// Waits until the card `title` shows the badge `badge` and its button reads one of
    /// `buttons`; fails after `timeout`.
    pub async fn wait_for_card(
        &self,
        title: &str,
        badge: &str,
        buttons: &[&str],
        timeout: Duration,
    ) {
        let xpath = card_xpath(title);
        self.eventually(
            format!("the card {title:?} showing {badge:?} and a button {buttons:?}"),
            timeout,
            async || {
                let card = self.driver.find(By::XPath(xpath.as_str())).await.ok()?;
                let shown_badge = card.find(By::XPath(badge_xpath())).await.ok()?;
                let shown_button = card.find(By::XPath(".//button")).await.ok()?;
                let button = normalized(&shown_button.text().await.ok()?);
                (normalized(&shown_badge.text().await.ok()?) == badge
                    && buttons.contains(&button.as_str()))
                .then_some(())
            },
        )
        .await;
    }

    /// The titles of the event cards on the page, in order.
    pub async fn card_titles(&self) -> Vec<String> {
        let mut titles = Vec::new();
        for heading in self
            .driver
            .find_all(By::XPath("//article//h2"))
            .await
            .unwrap_or_default()
        {
            if let Ok(text) = heading.text().await {
                titles.push(normalized(&text));
            }
        }
        titles
    }

    /// Waits until the page lists exactly the event cards `titles`.
    pub async fn wait_for_cards(&self, titles: &[&str]) {
        self.eventually(
            format!("exactly the cards {titles:?}"),
            UI_TIMEOUT,
            async || (self.card_titles().await == titles).then_some(()),
        )
        .await;
    }

    /// Waits until the page lists at least one event card.
    pub async fn wait_for_some_cards(&self) {
        self.eventually("an event card", UI_TIMEOUT, async || {
            (!self.card_titles().await.is_empty()).then_some(())
        })
        .await;
    }

    /// On an event page: waits until the tier `tier` (the list item headed by its name)
    /// shows the badge `badge`.
    pub async fn wait_for_tier(&self, tier: &str, badge: &str) {
        let xpath = format!("//li[.//h3[normalize-space()={}]]", xpath_literal(tier));
        self.eventually(
            format!("the tier {tier:?} showing {badge:?}"),
            UI_TIMEOUT,
            async || {
                let item = self.driver.find(By::XPath(xpath.as_str())).await.ok()?;
                let shown = item.find(By::XPath(badge_xpath())).await.ok()?;
                (normalized(&shown.text().await.ok()?) == badge).then_some(())
            },
        )
        .await;
    }

    /// On an event page: picks `quantity` for `tier`, clicks its "Add to cart" and waits
    /// for the toast that confirms it.
    pub async fn add_to_cart(&self, tier: &str, quantity: u32) {
        self.choose(&format!("Quantity for {tier}"), &quantity.to_string())
            .await;
        let xpath = format!(
            "//li[.//h3[normalize-space()={}]]//button[normalize-space()='Add to cart']",
            xpath_literal(tier)
        );
        let what = format!("the tier {tier:?}'s button \"Add to cart\"");
        let element = self.find(&what, By::XPath(xpath)).await;
        self.click(&element, what).await;
        self.wait_for_toast(&format!("Added {quantity} × {tier} to your cart."))
            .await;
    }

    /// On "My bookings": the `<article>` headed by the reference `reference`.
    pub async fn booking(&self, reference: &str) -> WebElement {
        self.find(
            format!("the booking {reference}"),
            By::XPath(booking_xpath(reference)),
        )
        .await
    }

    /// On "My bookings": waits until the booking `reference` shows the status `status`.
    pub async fn wait_for_booking_status(&self, reference: &str, status: &str) {
        let xpath = booking_xpath(reference);
        self.eventually(
            format!("the booking {reference} showing {status:?}"),
            UI_TIMEOUT,
            async || {
                let article = self.driver.find(By::XPath(xpath.as_str())).await.ok()?;
                let badge = article.find(By::XPath(badge_xpath())).await.ok()?;
                (normalized(&badge.text().await.ok()?) == status).then_some(())
            },
        )
        .await;
    }
}

impl Drop for Browser {
    /// Ends a session the test did not quit (it failed first). thirtyfour's own fallback
    /// would block for its 120 s request timeout: it reuses a connection of the test's
    /// runtime, which cannot run while this drop blocks it. So the session is marked
    /// ended for thirtyfour, and the DELETE goes out on a thread with a runtime and a
    /// client of its own.
    fn drop(&mut self) {
        if self.driver.clone().leak().is_err() {
            return; // quit already
        }
        let url = format!(
            "{}/session/{}",
            self._chromedriver.url,
            self.driver.session_id()
        );
        // If this fails too, the driver's drop kills Chromium with its process group.
        let _ = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .ok()?;
            runtime.block_on(async {
                reqwest::Client::new()
                    .delete(url)
                    .timeout(Duration::from_secs(15))
                    .send()
                    .await
                    .ok()
            })
        })
        .join();
    }
}

fn card_xpath(title: &str) -> String {
    format!(
        "//article[.//h2[normalize-space()={}]]",
        xpath_literal(title)
    )
}

fn booking_xpath(reference: &str) -> String {
    format!(
        "//article[.//h2[normalize-space()={}]]",
        xpath_literal(reference)
    )
}

/// A badge inside the context node (the UI contract gives badges no label: the class is
/// what there is).
fn badge_xpath() -> &'static str {
    ".//span[contains(concat(' ', normalize-space(@class), ' '), ' badge ')]"
}

/// XPath of the form control whose accessible name is `label`.
fn control(label: &str) -> String {
    let l = xpath_literal(label);
    format!(
        "//*[@id=//label[normalize-space()={l}]/@for] \
         | //label[normalize-space()={l}]//*[self::input or self::select or self::textarea] \
         | //*[(self::input or self::select or self::textarea) and @aria-label={l}]"
    )
}

/// `text` as an XPath 1.0 string literal (which has no escapes: quotes need `concat`).
pub fn xpath_literal(text: &str) -> String {
    if !text.contains('\'') {
        format!("'{text}'")
    } else if !text.contains('"') {
        format!("\"{text}\"")
    } else {
        let parts: Vec<String> = text.split('\'').map(|part| format!("'{part}'")).collect();
        format!("concat({})", parts.join(", \"'\", "))
    }
}

/// Text with runs of whitespace collapsed, as `normalize-space()` sees it.
pub fn normalized(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

async fn first_displayed(elements: Vec<WebElement>) -> Option<WebElement> {
    for element in elements {
        if element.is_displayed().await.unwrap_or(false) {
            return Some(element);
        }
    }
    None
}

async fn first_enabled(elements: Vec<WebElement>) -> Option<WebElement> {
    for element in elements {
        if element.is_displayed().await.unwrap_or(false)
            && element.is_enabled().await.unwrap_or(false)
        {
            return Some(element);
        }
    }
    None
}

#[test]
fn xpath_literals_survive_quotes() {
    assert_eq!(xpath_literal("Events"), "'Events'");
    assert_eq!(xpath_literal("Rock 'n' Roll"), "\"Rock 'n' Roll\"");
    assert_eq!(
        xpath_literal("It's \"on\""),
        "concat('It', \"'\", 's \"on\"')"
    );
}

#[tokio::test]
async fn the_harness_drives_chromium_against_the_api_server() {
    // The minimal page of `spawn_app`, not the web app: this checks Chromium, the driver
    // and the helpers on their own, so a broken browser is not mistaken for a broken app.
    let _turn = ONE_AT_A_TIME
        .acquire()
        .await
        .expect("browser test semaphore");
    let app = crate::helpers::spawn_app().await;
    let chromedriver = Chromedriver::start().await;
    let browser = Browser::start(&chromedriver, &app.address).await;

    browser.open("/events/a-deep-link?page=2").await;
    assert_eq!(browser.driver().title().await.unwrap(), "Booking");
    assert_eq!(browser.location().await, "/events/a-deep-link?page=2");
    browser.set_width(375).await;
    let shot = browser.screenshot("harness-smoke").await;
    assert!(std::fs::metadata(&shot).unwrap().len() > 0);

    browser.quit().await;
}
