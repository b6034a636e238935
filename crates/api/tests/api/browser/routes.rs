//! The app's routes as a visitor meets them by their address (a bookmark, a link in an
//! email, a reload): which routes exist, read from the app's router so a new page is
//! covered without a new test, and where each one lands for whom.

use std::collections::HashMap;
use std::fmt;
use std::time::Duration;

use tokio::time::Instant;

use super::harness::{Browser, WebApp, normalized, workspace_root};

/// How long a page opened by its address may take to show its heading: the bound of the
/// issue that found a tab freezing on a deep link. A give-up limit, not a speed target.
pub const ANSWER_WITHIN: Duration = Duration::from_secs(5);

/// Routes under these paths need an account: a signed-out visitor signs in first.
const SIGNED_IN_AREAS: [&str; 2] = ["/bookings", "/organizer"];
/// Routes outside those areas that need an account too.
const SIGNED_IN_ROUTES: [&str; 1] = ["/events/:id/queue"];
/// Routes under this path are for organizers and admins; anyone else goes to the events page.
const ORGANIZER_AREA: &str = "/organizer";
/// The sign-in and register pages send a signed-in visitor on (to `next`, by default `/`).
const AUTH_PAGES: [&str; 2] = ["/login", "/register"];

/// One route of the app's router, e.g. `/events/:id`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AppRoute {
    pub pattern: String,
}

impl fmt::Display for AppRoute {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.pattern)
    }
}

impl AppRoute {
    fn is_under(&self, area: &str) -> bool {
        self.pattern == area || self.pattern.starts_with(&format!("{area}/"))
    }

    pub fn needs_sign_in(&self) -> bool {
        SIGNED_IN_AREAS.iter().any(|area| self.is_under(area))
            || SIGNED_IN_ROUTES.contains(&self.pattern.as_str())
    }

    fn is_organizers(&self) -> bool {
        self.is_under(ORGANIZER_AREA)
    }

    /// An address of this route, its `:params` taken from `values`.
    pub fn address(&self, values: &HashMap<&str, String>) -> String {
        self.pattern
            .split('/')
            .map(|segment| match segment.strip_prefix(':') {
                Some(param) => values.get(param).cloned().unwrap_or_else(|| {
                    panic!(
                        "the route {self} has a parameter :{param} with no demo value: add one \
                         to `demo_parameters`"
                    )
                }),
                None => segment.to_owned(),
            })
            .collect::<Vec<_>>()
            .join("/")
    }

    /// A name for files: `/organizer/events/:id` is `organizer-events-id`.
    pub fn slug(&self) -> String {
        let words: Vec<&str> = self
            .pattern
            .split(|c: char| !c.is_ascii_alphanumeric())
            .filter(|word| !word.is_empty())
            .collect();
        if words.is_empty() {
            "home".to_owned()
        } else {
            words.join("-")
        }
    }
}

/// Demo values for the routes' parameters: the festival, which the demo organizer runs,
/// and a hold of one festival ticket that `booker` (a seeded account) made, for the
/// checkout page: a booking is only ever shown to its own buyer.
pub async fn demo_parameters(app: &WebApp, booker: &str) -> HashMap<&'static str, String> {
    let festival = app.event("Summer Open Air Festival").await;
    let signed_in: booking_dto::AuthResponse = app
        .login(booker, booking_persistence::seed::SEED_PASSWORD)
        .await
        .json()
        .await
        .expect("the seeded account signs in");
    let tier = &festival.tiers[0];
    let hold = app
        .held(
            &signed_in.access_token,
            &serde_json::json!([{ "tierId": tier.id, "quantity": 1 }]),
        )
        .await;
    HashMap::from([
        ("id", festival.id.to_string()),
        ("booking", hold.id.to_string()),
    ])
}

/// Every route the app's router knows: each `path!("...")` in `frontend/src/app.rs`, and
/// an address no route matches, which the router's fallback answers.
pub fn app_routes() -> Vec<AppRoute> {
    let source_path = workspace_root().join("frontend/src/app.rs");
    let source = std::fs::read_to_string(&source_path)
        .unwrap_or_else(|e| panic!("reading {}: {e}", source_path.display()));
    let mut routes: Vec<AppRoute> = source
        .split("path!(\"")
        .skip(1)
        .filter_map(|rest| rest.split_once("\")"))
        .map(|(pattern, _)| AppRoute {
            pattern: pattern.to_owned(),
        })
        .collect();
    assert!(
        routes.len() >= 9 && routes.iter().any(|route| route.pattern == "/"),
        "expected the app's routes in {}, found {routes:?}",
        source_path.display()
    );
    routes.push(AppRoute {
        pattern: "/no-such-page".to_owned(),
    });
    routes
}

/// Who opens the page.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Visitor {
    SignedOut,
    Buyer,
    Organizer,
}

/// Where a page opened by its address should end up.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Landing {
    /// On the address itself.
    Here,
    /// On the sign-in page, with `next` naming the address.
    SignIn,
    /// On another page of the app, e.g. `/`.
    Elsewhere(&'static str),
}

pub fn expected_landing(route: &AppRoute, visitor: Visitor) -> Landing {
    match visitor {
        Visitor::SignedOut if route.needs_sign_in() => Landing::SignIn,
        Visitor::SignedOut => Landing::Here,
        _ if AUTH_PAGES.contains(&route.pattern.as_str()) => Landing::Elsewhere("/"),
        Visitor::Buyer if route.is_organizers() => Landing::Elsewhere("/"),
        Visitor::Buyer | Visitor::Organizer => Landing::Here,
    }
}

/// The page a visitor was shown: where and under which heading.
#[derive(Debug)]
pub struct Shown {
    pub path: String,
    pub next: Option<String>,
    pub heading: String,
}

impl Shown {
    pub fn is(&self, landing: &Landing, address: &str) -> bool {
        match landing {
            Landing::Here => self.path == address,
            Landing::SignIn => {
                self.path == "/login"
                    && self.next.as_deref() == Some(address)
                    && self.heading == "Sign in"
            }
            Landing::Elsewhere(path) => self.path == *path,
        }
    }
}

/// What the browser shows now, once the page has a heading that is not a loading notice.
async fn shown(browser: &Browser) -> Option<Shown> {
    let url = browser.driver().current_url().await.ok()?;
    let heading = browser
        .driver()
        .find(thirtyfour::By::Css("h1"))
        .await
        .ok()?
        .text()
        .await
        .ok()?;
    let heading = normalized(&heading);
    if heading.is_empty() || heading.starts_with("Loading") {
        return None;
    }
    let next = url
        .query_pairs()
        .find(|(key, _)| key == "next")
        .map(|(_, value)| value.into_owned());
    Some(Shown {
        path: url.path().to_owned(),
        next,
        heading,
    })
}

/// Waits until the page shows `landing` for `address`, at most [`ANSWER_WITHIN`] from
/// `since`; fails the test with what it showed instead. A frozen tab fails it too: the
/// browser then stops answering, and the wait runs out.
pub async fn wait_for_landing(
    browser: &Browser,
    what: &str,
    address: &str,
    landing: &Landing,
    since: Instant,
) -> Shown {
    let deadline = since + ANSWER_WITHIN;
    let mut last = None;
    loop {
        let remaining = deadline.saturating_duration_since(Instant::now());
        match tokio::time::timeout(remaining, shown(browser)).await {
            Ok(Some(page)) if page.is(landing, address) => return page,
            Ok(page) => last = page.or(last),
            Err(_) => {}
        }
        if Instant::now() >= deadline {
            panic!(
                "{what}: no answer within {ANSWER_WITHIN:?}: expected {landing:?} for \
                 {address}, the page showed {last:?}"
            );
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Opens `address` as if typed into the address bar and waits for `landing`.
pub async fn open_and_land(
    browser: &Browser,
    what: &str,
    address: &str,
    landing: &Landing,
) -> Shown {
    let since = Instant::now();
    browser.open(address).await;
    wait_for_landing(browser, what, address, landing, since).await
}

#[test]
fn routes_turn_into_addresses_and_file_names() {
    let route = AppRoute {
        pattern: "/organizer/events/:id".into(),
    };
    let values = HashMap::from([("id", "42".to_owned())]);
    assert_eq!(route.address(&values), "/organizer/events/42");
    assert_eq!(route.slug(), "organizer-events-id");
    assert!(route.needs_sign_in() && route.is_organizers());
    let home = AppRoute {
        pattern: "/".into(),
    };
    assert_eq!(home.slug(), "home");
    assert!(!home.needs_sign_in());
    assert!(
        !AppRoute {
            pattern: "/bookingsx".into()
        }
        .needs_sign_in()
    );
}
