//! Abuse limits: how often one client address may register, sign in or refresh, and how
//! often one buyer may ask for a booking. Each limit is a token bucket (GCRA, from
//! `governor`) per key: `count` requests at once, then one more every `per / count`.
//! Refused requests get 429 `RateLimited` with `Retry-After`, the seconds until the next
//! one would pass.

use std::net::IpAddr;
use std::num::NonZeroU32;
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use actix_web::HttpRequest;
use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::HeaderName;
use actix_web::middleware::Next;
use actix_web::web;
use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use uuid::Uuid;

use crate::problem::ApiError;

/// `count` requests per `per`, written `20/60s` in the environment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rate {
    pub count: NonZeroU32,
    pub per: Duration,
}

impl FromStr for Rate {
    type Err = String;

    fn from_str(raw: &str) -> Result<Self, Self::Err> {
        let shape = || format!("`{raw}` is not COUNT/SECONDSs, e.g. 20/60s");
        let (count, per) = raw.split_once('/').ok_or_else(shape)?;
        let count: NonZeroU32 = count.trim().parse().map_err(|_| shape())?;
        let seconds: u64 = per
            .trim()
            .strip_suffix('s')
            .ok_or_else(shape)?
            .parse()
            .map_err(|_| shape())?;
        if seconds == 0 {
            return Err(shape());
        }
        Ok(Self {
            count,
            per: Duration::from_secs(seconds),
        })
    }
}

impl Rate {
    fn quota(self) -> Quota {
        let interval = self.per / self.count.get();
        Quota::with_period(interval.max(Duration::from_nanos(1)))
            .unwrap_or_else(|| Quota::per_second(self.count))
            .allow_burst(self.count)
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RateLimitSettings {
    /// Register, login and refresh, per client address; `None`: unlimited.
    pub auth: Option<Rate>,
    /// `POST /bookings`, per signed-in user; `None`: unlimited.
    pub bookings: Option<Rate>,
    /// Behind a reverse proxy: the header it puts the client's address in (the last
    /// address of a list is the one the proxy saw). Unset: the TCP peer's address, the
    /// only one a client cannot forge.
    pub client_ip_header: Option<HeaderName>,
}

pub struct RateLimits {
    auth: Option<DefaultKeyedRateLimiter<IpAddr>>,
    bookings: Option<DefaultKeyedRateLimiter<Uuid>>,
    client_ip_header: Option<HeaderName>,
    clock: DefaultClock,
}

impl RateLimits {
    pub fn new(settings: &RateLimitSettings) -> Arc<Self> {
        Arc::new(Self {
            auth: settings.auth.map(|rate| RateLimiter::keyed(rate.quota())),
            bookings: settings
                .bookings
                .map(|rate| RateLimiter::keyed(rate.quota())),
            client_ip_header: settings.client_ip_header.clone(),
            clock: DefaultClock::default(),
        })
    }

    /// The client's address: from the configured proxy header when it holds one, else
    /// the peer's.
    pub fn client_address(&self, req: &HttpRequest) -> Option<IpAddr> {
        self.client_ip_header
            .as_ref()
            .and_then(|name| req.headers().get(name))
            .and_then(|value| value.to_str().ok())
            .and_then(|value| value.rsplit(',').next())
            .and_then(|last| last.trim().parse().ok())
            .or_else(|| req.peer_addr().map(|peer| peer.ip()))
    }

    pub fn check_address(&self, req: &HttpRequest) -> Result<(), ApiError> {
        match (&self.auth, self.client_address(req)) {
            (Some(limiter), Some(address)) => self.check(limiter, &address),
            _ => Ok(()),
        }
    }

    pub fn check_buyer(&self, user_id: Uuid) -> Result<(), ApiError> {
        match &self.bookings {
            Some(limiter) => self.check(limiter, &user_id),
            None => Ok(()),
        }
    }

    fn check<K>(&self, limiter: &DefaultKeyedRateLimiter<K>, key: &K) -> Result<(), ApiError>
    where
        K: std::hash::Hash + Eq + Clone,
    {
        limiter.check_key(key).map_err(|not_until| {
            let wait = not_until.wait_time_from(self.clock.now());
            // Whole seconds, rounded up: a client that waits exactly this long passes.
            let seconds = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
            ApiError::RateLimited {
                retry_after: seconds.max(1),
            }
        })
    }

    /// Every `period`, forgets the clients that have been quiet for long enough; runs
    /// as long as the server.
    pub async fn forget_idle_every(self: Arc<Self>, period: Duration) {
        let mut ticks = tokio::time::interval(period);
        loop {
            ticks.tick().await;
            self.forget_idle();
        }
    }

    /// Forgets keys whose buckets are full again (as if never seen), so the tables hold
    /// only recent clients, not every address that ever called.
    fn forget_idle(&self) {
        if let Some(limiter) = &self.auth {
            limiter.retain_recent();
            limiter.shrink_to_fit();
        }
        if let Some(limiter) = &self.bookings {
            limiter.retain_recent();
            limiter.shrink_to_fit();
        }
    }

    #[cfg(test)]
    fn tracked(&self) -> usize {
        self.auth.as_ref().map_or(0, |l| l.len()) + self.bookings.as_ref().map_or(0, |l| l.len())
    }
}

/// Middleware for the sign-in routes: refuses a client address over its limit before
/// the request's body is read or a password hashed.
pub async fn per_address(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<EitherBody<impl MessageBody>>, actix_web::Error> {
    // Its own app data, not the whole state: the limits know nothing of what they guard.
    let refused = req
        .app_data::<web::Data<RateLimits>>()
        .and_then(|limits| limits.check_address(req.request()).err());
    match refused {
        Some(error) => Ok(req.error_response(error).map_into_right_body()),
        None => next
            .call(req)
            .await
            .map(ServiceResponse::map_into_left_body),
    }
}

#[cfg(test)]
mod tests {
    use actix_web::test::TestRequest;

    use super::*;

    fn rate(raw: &str) -> Rate {
        raw.parse().unwrap()
    }

    #[test]
    fn rates_are_read_as_count_per_seconds() {
        assert_eq!(
            rate("20/60s"),
            Rate {
                count: NonZeroU32::new(20).unwrap(),
                per: Duration::from_secs(60)
            }
        );
        for bad in ["20", "20/60", "0/60s", "20/0s", "x/60s", "20/ms"] {
            assert!(bad.parse::<Rate>().is_err(), "{bad} must be refused");
        }
    }

    fn limits(auth: &str, header: Option<&str>) -> Arc<RateLimits> {
        RateLimits::new(&RateLimitSettings {
            auth: Some(rate(auth)),
            bookings: Some(rate("2/60s")),
            client_ip_header: header.map(|h| HeaderName::from_str(h).unwrap()),
        })
    }

    #[test]
    fn a_burst_passes_then_the_next_request_is_told_when_to_retry() {
        let limits = limits("3/30s", None);
        let req = TestRequest::default()
            .peer_addr("192.0.2.1:5000".parse().unwrap())
            .to_http_request();
        for _ in 0..3 {
            assert!(limits.check_address(&req).is_ok());
        }
        match limits.check_address(&req) {
            // One token every 10 s.
            Err(ApiError::RateLimited { retry_after }) => assert!((9..=10).contains(&retry_after)),
            other => panic!("expected RateLimited, got {other:?}"),
        }
        // Another address has a bucket of its own.
        let other = TestRequest::default()
            .peer_addr("192.0.2.2:5000".parse().unwrap())
            .to_http_request();
        assert!(limits.check_address(&other).is_ok());
    }

    #[test]
    fn buyers_are_limited_one_by_one() {
        let limits = limits("3/30s", None);
        let (alice, bob) = (Uuid::from_u128(1), Uuid::from_u128(2));
        assert!(limits.check_buyer(alice).is_ok());
        assert!(limits.check_buyer(alice).is_ok());
        assert!(limits.check_buyer(alice).is_err());
        assert!(limits.check_buyer(bob).is_ok());
    }

    #[test]
    fn the_proxy_header_is_read_only_when_configured() {
        let forwarded = |limits: &RateLimits| {
            let req = TestRequest::default()
                .peer_addr("10.0.0.9:5000".parse().unwrap())
                .insert_header(("x-forwarded-for", "203.0.113.7, 198.51.100.4"))
                .to_http_request();
            limits.client_address(&req)
        };
        // Unconfigured, the header is anyone's to forge: the peer counts.
        assert_eq!(
            forwarded(&limits("3/30s", None)),
            Some("10.0.0.9".parse().unwrap())
        );
        // Configured: the last address, the one the proxy appended.
        assert_eq!(
            forwarded(&limits("3/30s", Some("x-forwarded-for"))),
            Some("198.51.100.4".parse().unwrap())
        );
        // A configured header that is missing or garbled falls back to the peer.
        let garbled = TestRequest::default()
            .peer_addr("10.0.0.9:5000".parse().unwrap())
            .insert_header(("x-forwarded-for", "not-an-address"))
            .to_http_request();
        assert_eq!(
            limits("3/30s", Some("x-forwarded-for")).client_address(&garbled),
            Some("10.0.0.9".parse().unwrap())
        );
    }

    #[test]
    fn idle_keys_are_forgotten() {
        let limits = RateLimits::new(&RateLimitSettings {
            auth: None,
            // One token per millisecond: full again almost at once.
            bookings: Some(Rate {
                count: NonZeroU32::new(1000).unwrap(),
                per: Duration::from_secs(1),
            }),
            client_ip_header: None,
        });
        for n in 0..100 {
            limits.check_buyer(Uuid::from_u128(n)).unwrap();
        }
        assert_eq!(limits.tracked(), 100);
        std::thread::sleep(Duration::from_millis(20));
        limits.forget_idle();
        assert_eq!(limits.tracked(), 0);
    }
}
