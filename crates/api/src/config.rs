//! Configuration from the environment; `.env.example` lists every variable.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use actix_web::http::header::HeaderName;
use booking_domain::refresh::ACCESS_TOKEN_TTL;
use chrono::TimeDelta;

use crate::booking::Batching;

pub use crate::limits::{Rate, RateLimitSettings};
pub use crate::live::LiveSettings;

/// A production JWT secret shorter than this is refused: HS256 wants 256 bits of key.
pub const MIN_JWT_SECRET_BYTES: usize = 32;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AppEnv {
    Development,
    Production,
}

#[derive(Clone)]
pub struct Config {
    /// `None`: start the embedded PostgreSQL under `data_dir`.
    pub database_url: Option<String>,
    /// Where the public event list and event page may be read (a standby); `None`: the
    /// primary, as everything else.
    pub database_read_url: Option<String>,
    pub bind_addr: SocketAddr,
    pub jwt_secret: Vec<u8>,
    /// The key ticket codes are signed with (`TICKET_SECRET`).
    pub ticket_secret: Vec<u8>,
    /// How long an access token is valid; the refresh cookie outlives it.
    pub access_token_ttl: TimeDelta,
    pub app_env: AppEnv,
    pub bcrypt_cost: u32,
    pub db_pool_size: usize,
    pub db_pool_timeout: Duration,
    pub lock_timeout: Duration,
    pub statement_timeout: Duration,
    pub static_dir: PathBuf,
    pub data_dir: PathBuf,
    /// Share of payments the simulated gateway declines; 0 uses instant approval.
    pub payment_decline_rate: f64,
    /// How long the simulated gateway takes to answer.
    pub payment_latency: Duration,
    /// Group commit: most bookings one transaction takes (0 books every request in a
    /// transaction of its own), and how many batches run side by side.
    pub batching: Batching,
    pub live: LiveSettings,
    pub rate_limits: RateLimitSettings,
    /// Where people reach the app (`https://tickets.example.com`); decides whether the
    /// refresh cookie is `Secure`.
    pub public_url: Option<String>,
    /// Origins allowed to call the API from another origin (CORS); empty: none.
    pub cors_origins: Vec<String>,
}

impl std::fmt::Debug for Config {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Config")
            .field(
                "database_url",
                &self.database_url.as_deref().map(|_| "<set>"),
            )
            .field(
                "database_read_url",
                &self.database_read_url.as_deref().map(|_| "<set>"),
            )
            .field("bind_addr", &self.bind_addr)
            .field("jwt_secret", &"<redacted>")
            .field("ticket_secret", &"<redacted>")
            .field("app_env", &self.app_env)
            .field("bcrypt_cost", &self.bcrypt_cost)
            .field("db_pool_size", &self.db_pool_size)
            .field("db_pool_timeout", &self.db_pool_timeout)
            .field("lock_timeout", &self.lock_timeout)
            .field("statement_timeout", &self.statement_timeout)
            .field("static_dir", &self.static_dir)
            .field("data_dir", &self.data_dir)
            .field("payment_decline_rate", &self.payment_decline_rate)
            .field("payment_latency", &self.payment_latency)
            .field("batching", &self.batching)
            .field("live", &self.live)
            .field("rate_limits", &self.rate_limits)
            .field("public_url", &self.public_url)
            .field("cors_origins", &self.cors_origins)
            .finish()
    }
}

#[derive(Debug, PartialEq, Eq, thiserror::Error)]
pub enum ConfigError {
    #[error("{name} is invalid: {reason}")]
    Invalid { name: &'static str, reason: String },
    #[error(
        "JWT_SECRET must be set to at least {MIN_JWT_SECRET_BYTES} bytes when APP_ENV=production \
         (generate one with `openssl rand -base64 48`)"
    )]
    WeakJwtSecret,
    #[error(
        "TICKET_SECRET must be set to at least {MIN_JWT_SECRET_BYTES} bytes when APP_ENV=production \
         (generate one with `openssl rand -base64 48`); every ticket's code is signed with it"
    )]
    WeakTicketSecret,
}

impl Config {
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_lookup(|name| std::env::var(name).ok().filter(|v| !v.is_empty()))
    }

    /// Reads configuration through `lookup`, so tests need not touch the process environment.
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let Security {
            app_env,
            jwt_secret,
            access_token_ttl,
            bcrypt_cost,
        } = security(&lookup)?;
        let ticket_secret = ticket_secret(&lookup, app_env)?;
        let db_pool_size = parse(&lookup, "DB_POOL_SIZE", 16)?;
        if db_pool_size == 0 {
            return Err(ConfigError::Invalid {
                name: "DB_POOL_SIZE",
                reason: "must be at least 1".into(),
            });
        }
        let payment_decline_rate: f64 = parse(&lookup, "PAYMENT_DECLINE_RATE", 0.0)?;
        if !(0.0..=1.0).contains(&payment_decline_rate) {
            return Err(ConfigError::Invalid {
                name: "PAYMENT_DECLINE_RATE",
                reason: "must be between 0 and 1".into(),
            });
        }
        let rate_limits = rate_limits(&lookup, app_env)?;
        let public_url = lookup("PUBLIC_URL")
            .map(|url| origin(&url).map(|_| url.trim_end_matches('/').to_owned()))
            .transpose()
            .map_err(|reason| ConfigError::Invalid {
                name: "PUBLIC_URL",
                reason,
            })?;
        let cors_origins = lookup("CORS_ORIGINS")
            .iter()
            .flat_map(|list| list.split(','))
            .map(str::trim)
            .filter(|origin| !origin.is_empty())
            .map(origin)
            .collect::<Result<Vec<_>, _>>()
            .map_err(|reason| ConfigError::Invalid {
                name: "CORS_ORIGINS",
                reason,
            })?;
        Ok(Self {
            rate_limits,
            public_url,
            cors_origins,
            payment_decline_rate,
            payment_latency: Duration::from_millis(parse(&lookup, "PAYMENT_LATENCY_MS", 0)?),
            batching: Batching {
                max: parse(&lookup, "BOOKING_BATCH_MAX", 256)?,
                lanes: parse(&lookup, "BOOKING_BATCH_LANES", 1)?,
            },
            database_url: lookup("DATABASE_URL"),
            database_read_url: lookup("DATABASE_READ_URL"),
            bind_addr: parse(
                &lookup,
                "BIND_ADDR",
                SocketAddr::from(([127, 0, 0, 1], 8080)),
            )?,
            jwt_secret,
            ticket_secret,
            access_token_ttl,
            app_env,
            bcrypt_cost,
            db_pool_size,
            db_pool_timeout: millis(&lookup, "DB_POOL_TIMEOUT_MS", 5_000)?,
            lock_timeout: millis(&lookup, "LOCK_TIMEOUT_MS", 5_000)?,
            statement_timeout: millis(&lookup, "STATEMENT_TIMEOUT_MS", 30_000)?,
            static_dir: lookup("STATIC_DIR").map_or_else(|| "frontend/dist".into(), PathBuf::from),
            data_dir: lookup("DATA_DIR").map_or_else(|| ".data".into(), PathBuf::from),
            live: live_settings(&lookup)?,
        })
    }

    pub fn is_production(&self) -> bool {
        self.app_env == AppEnv::Production
    }

    /// The refresh cookie is `Secure` when the app is reached over https, or, with no
    /// public URL given, in production (served behind TLS, presumably). A plain-http
    /// deployment (the compose file) says so with `PUBLIC_URL=http://...`.
    pub fn secure_cookies(&self) -> bool {
        match &self.public_url {
            Some(url) => url.starts_with("https://"),
            None => self.is_production(),
        }
    }

    /// The origins CORS lets in: the listed ones and, when any is listed, the app's own
    /// (browsers send `Origin` on its own POSTs too).
    pub fn allowed_origins(&self) -> Vec<String> {
        if self.cors_origins.is_empty() {
            return Vec::new();
        }
        let own = self.public_url.as_deref().and_then(|url| origin(url).ok());
        self.cors_origins.iter().cloned().chain(own).collect()
    }
}

/// Who the server is and how it signs people in.
struct Security {
    app_env: AppEnv,
    jwt_secret: Vec<u8>,
    access_token_ttl: TimeDelta,
    bcrypt_cost: u32,
}

fn security(lookup: &impl Fn(&str) -> Option<String>) -> Result<Security, ConfigError> {
    let app_env = match lookup("APP_ENV").as_deref() {
        None | Some("development") => AppEnv::Development,
        Some("production") => AppEnv::Production,
        Some(other) => {
            return Err(ConfigError::Invalid {
                name: "APP_ENV",
                reason: format!("`{other}` is not `development` or `production`"),
            });
        }
    };
    let jwt_secret = match (lookup("JWT_SECRET"), app_env) {
        (Some(secret), _) if secret.len() >= MIN_JWT_SECRET_BYTES => secret.into_bytes(),
        (_, AppEnv::Production) => return Err(ConfigError::WeakJwtSecret),
        (Some(secret), AppEnv::Development) => {
            tracing::warn!(
                "JWT_SECRET is shorter than {MIN_JWT_SECRET_BYTES} bytes; acceptable only in development"
            );
            secret.into_bytes()
        }
        (None, AppEnv::Development) => {
            tracing::warn!(
                "JWT_SECRET is not set; using a random secret (sign-ins end when the server restarts)"
            );
            random_secret()?
        }
    };
    // Shorter lifetimes are for tests and demos of the silent refresh; longer ones
    // would widen the window of a stolen token, so the ceiling is the default.
    let access_token_ttl = TimeDelta::seconds(parse(
        lookup,
        "ACCESS_TOKEN_TTL_SECS",
        ACCESS_TOKEN_TTL.num_seconds(),
    )?);
    if access_token_ttl < TimeDelta::seconds(1) || access_token_ttl > ACCESS_TOKEN_TTL {
        return Err(ConfigError::Invalid {
            name: "ACCESS_TOKEN_TTL_SECS",
            reason: format!(
                "must be between 1 and {} seconds",
                ACCESS_TOKEN_TTL.num_seconds()
            ),
        });
    }
    let bcrypt_cost = parse(lookup, "BCRYPT_COST", 12)?;
    if !(4..=31).contains(&bcrypt_cost) {
        return Err(ConfigError::Invalid {
            name: "BCRYPT_COST",
            reason: "must be between 4 and 31".into(),
        });
    }
    Ok(Security {
        app_env,
        jwt_secret,
        access_token_ttl,
        bcrypt_cost,
    })
}

/// The key of ticket codes. Unlike the JWT secret, a development server without one does
/// not draw a random key: tickets are shown and scanned across restarts (and by every
/// instance), so development uses one fixed, public key, and says so.
fn ticket_secret(
    lookup: &impl Fn(&str) -> Option<String>,
    app_env: AppEnv,
) -> Result<Vec<u8>, ConfigError> {
    match (lookup("TICKET_SECRET"), app_env) {
        (Some(secret), _) if secret.len() >= MIN_JWT_SECRET_BYTES => Ok(secret.into_bytes()),
        (_, AppEnv::Production) => Err(ConfigError::WeakTicketSecret),
        (secret, AppEnv::Development) => {
            tracing::warn!(
                "TICKET_SECRET is not set or shorter than {MIN_JWT_SECRET_BYTES} bytes; \
                 using the public development key (anyone could forge tickets)"
            );
            Ok(secret.map_or_else(|| DEVELOPMENT_TICKET_KEY.to_vec(), String::into_bytes))
        }
    }
}

/// Development only: a production start refuses to run without a key of its own.
const DEVELOPMENT_TICKET_KEY: &[u8] = b"booking development ticket key: never use in production";

fn live_settings(lookup: &impl Fn(&str) -> Option<String>) -> Result<LiveSettings, ConfigError> {
    Ok(LiveSettings {
        heartbeat: millis(lookup, "WS_HEARTBEAT_MS", 10_000)?,
        client_timeout: millis(lookup, "WS_CLIENT_TIMEOUT_MS", 30_000)?,
        queue: parse(lookup, "WS_CLIENT_QUEUE", 64_usize)?.max(1),
        min_interval: Duration::from_millis(parse(lookup, "WS_MIN_INTERVAL_MS", 100)?),
        resync: millis(lookup, "WS_RESYNC_MS", 30_000)?,
    })
}

/// The origin (`scheme://host[:port]`) of an http(s) URL.
fn origin(url: &str) -> Result<String, String> {
    let url = url.trim();
    let rest = url
        .strip_prefix("https://")
        .or_else(|| url.strip_prefix("http://"))
        .ok_or_else(|| format!("`{url}` is not an http:// or https:// URL"))?;
    let host = rest.split('/').next().unwrap_or_default();
    if host.is_empty() || host.contains(char::is_whitespace) {
        return Err(format!("`{url}` has no host"));
    }
    let scheme_len = url.len() - rest.len();
    Ok(format!(
        "{}{host}",
        url.get(..scheme_len).unwrap_or_default()
    ))
}

/// On in production, off in development (where `booking-load` races and storms from one
/// address are the point); `RATE_LIMITS` decides either way. Each limit has a default
/// that no person clicking through the app comes near.
fn rate_limits(
    lookup: &impl Fn(&str) -> Option<String>,
    app_env: AppEnv,
) -> Result<RateLimitSettings, ConfigError> {
    let on = match lookup("RATE_LIMITS").as_deref() {
        None => app_env == AppEnv::Production,
        Some("on") => true,
        Some("off") => false,
        Some(other) => {
            return Err(ConfigError::Invalid {
                name: "RATE_LIMITS",
                reason: format!("`{other}` is not `on` or `off`"),
            });
        }
    };
    let rate = |name, default: &str| -> Result<Option<Rate>, ConfigError> {
        let rate = parse(
            lookup,
            name,
            default
                .parse::<Rate>()
                .map_err(|reason| ConfigError::Invalid { name, reason })?,
        )?;
        Ok(on.then_some(rate))
    };
    let client_ip_header = lookup("TRUSTED_PROXY_HEADER")
        .map(|name| {
            HeaderName::from_bytes(name.trim().as_bytes()).map_err(|error| ConfigError::Invalid {
                name: "TRUSTED_PROXY_HEADER",
                reason: error.to_string(),
            })
        })
        .transpose()?;
    Ok(RateLimitSettings {
        auth: rate("RATE_LIMIT_AUTH", "20/60s")?,
        bookings: rate("RATE_LIMIT_BOOKINGS", "30/60s")?,
        client_ip_header,
    })
}

fn parse<T>(
    lookup: &impl Fn(&str) -> Option<String>,
    name: &'static str,
    default: T,
) -> Result<T, ConfigError>
where
    T: std::str::FromStr,
    T::Err: std::fmt::Display,
{
    match lookup(name) {
        None => Ok(default),
        Some(raw) => raw
            .trim()
            .parse()
            .map_err(|error: T::Err| ConfigError::Invalid {
                name,
                reason: error.to_string(),
            }),
    }
}

/// A timeout in milliseconds. Zero is refused: PostgreSQL reads 0 as "no limit", which
/// would let a request hang, and a zero pool wait would fail every request.
fn millis(
    lookup: &impl Fn(&str) -> Option<String>,
    name: &'static str,
    default: u64,
) -> Result<Duration, ConfigError> {
    match parse(lookup, name, default)? {
        0 => Err(ConfigError::Invalid {
            name,
            reason: "must be at least 1 millisecond".into(),
        }),
        millis => Ok(Duration::from_millis(millis)),
    }
}

fn random_secret() -> Result<Vec<u8>, ConfigError> {
    let mut secret = vec![0_u8; 48];
    getrandom::fill(&mut secret).map_err(|error| ConfigError::Invalid {
        name: "JWT_SECRET",
        reason: format!("no randomness to generate one: {error}"),
    })?;
    Ok(secret)
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;

    fn config(vars: &[(&str, &str)]) -> Result<Config, ConfigError> {
        let vars: HashMap<String, String> = vars
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        Config::from_lookup(|name| vars.get(name).cloned())
    }

    #[test]
    fn defaults_suit_local_development() {
        let config = config(&[]).unwrap();
        assert_eq!(config.app_env, AppEnv::Development);
        assert_eq!(config.bind_addr.to_string(), "127.0.0.1:8080");
        assert_eq!(config.database_url, None);
        assert_eq!(
            config.database_read_url, None,
            "public reads from the primary"
        );
        assert_eq!(config.bcrypt_cost, 12);
        assert_eq!(config.lock_timeout, Duration::from_secs(5));
        assert_eq!(config.jwt_secret.len(), 48);
        assert_eq!(config.access_token_ttl, TimeDelta::minutes(15));
    }

    #[test]
    fn access_tokens_may_be_shortened_but_never_lengthened() {
        let short = config(&[("ACCESS_TOKEN_TTL_SECS", "2")]).unwrap();
        assert_eq!(short.access_token_ttl, TimeDelta::seconds(2));
        for refused in ["0", "901"] {
            assert!(matches!(
                config(&[("ACCESS_TOKEN_TTL_SECS", refused)]),
                Err(ConfigError::Invalid {
                    name: "ACCESS_TOKEN_TTL_SECS",
                    ..
                })
            ));
        }
    }

    #[test]
    fn rate_limits_have_defaults_and_can_be_turned_off() {
        let development = config(&[]).unwrap().rate_limits;
        assert_eq!((development.auth, development.bookings), (None, None));
        let production = config(&production(&[])).unwrap().rate_limits;
        assert_eq!(production.auth, Some("20/60s".parse().unwrap()));
        let on = config(&[("RATE_LIMITS", "on")]).unwrap().rate_limits;
        assert_eq!(on.auth, Some("20/60s".parse().unwrap()));
        assert_eq!(on.bookings, Some("30/60s".parse().unwrap()));
        assert_eq!(on.client_ip_header, None);
        let tuned = config(&[
            ("RATE_LIMITS", "on"),
            ("RATE_LIMIT_BOOKINGS", "5/10s"),
            ("TRUSTED_PROXY_HEADER", "X-Forwarded-For"),
        ])
        .unwrap()
        .rate_limits;
        assert_eq!(tuned.bookings, Some("5/10s".parse().unwrap()));
        assert_eq!(tuned.client_ip_header.unwrap().as_str(), "x-forwarded-for");
        let off = config(&[("RATE_LIMITS", "off")]).unwrap().rate_limits;
        assert_eq!((off.auth, off.bookings), (None, None));
        for (name, bad) in [
            ("RATE_LIMITS", "sometimes"),
            ("RATE_LIMIT_AUTH", "20 per minute"),
            ("TRUSTED_PROXY_HEADER", "not a header"),
        ] {
            assert!(
                matches!(config(&[(name, bad)]), Err(ConfigError::Invalid { name: n, .. }) if n == name),
                "{name}={bad} must be refused"
            );
        }
    }

    #[test]
    fn the_refresh_cookie_is_secure_when_the_public_url_is_https() {
        let secure = |vars: &[(&str, &str)]| config(vars).unwrap().secure_cookies();
        assert!(!secure(&[]));
        assert!(secure(&[("PUBLIC_URL", "https://tickets.example.com")]));
        assert!(secure(&production(&[])));
        // Production over plain http (the compose file): cookies must still work.
        assert!(!secure(&production(&[(
            "PUBLIC_URL",
            "http://localhost:8080"
        )])));
        assert!(matches!(
            config(&[("PUBLIC_URL", "tickets.example.com")]),
            Err(ConfigError::Invalid {
                name: "PUBLIC_URL",
                ..
            })
        ));
    }

    #[test]
    fn cors_lets_in_the_listed_origins_and_then_the_apps_own() {
        assert!(config(&[]).unwrap().allowed_origins().is_empty());
        let listed = config(&[
            (
                "CORS_ORIGINS",
                "https://a.example.com, https://b.example.com:8443/",
            ),
            ("PUBLIC_URL", "https://tickets.example.com/app"),
        ])
        .unwrap();
        assert_eq!(
            listed.allowed_origins(),
            [
                "https://a.example.com",
                "https://b.example.com:8443",
                "https://tickets.example.com"
            ]
        );
        assert!(matches!(
            config(&[("CORS_ORIGINS", "*")]),
            Err(ConfigError::Invalid {
                name: "CORS_ORIGINS",
                ..
            })
        ));
    }

    #[test]
    fn production_refuses_a_missing_secret() {
        assert_eq!(
            config(&[("APP_ENV", "production")]).err(),
            Some(ConfigError::WeakJwtSecret)
        );
    }

    #[test]
    fn production_refuses_a_short_secret() {
        let short = "x".repeat(MIN_JWT_SECRET_BYTES - 1);
        assert_eq!(
            config(&[("APP_ENV", "production"), ("JWT_SECRET", &short)]).err(),
            Some(ConfigError::WeakJwtSecret)
        );
        let long = "x".repeat(MIN_JWT_SECRET_BYTES);
        assert!(config(&[("APP_ENV", "production"), ("JWT_SECRET", &long)]).is_err());
        assert!(config(&production(&[])).is_ok());
    }

    #[test]
    fn production_refuses_a_missing_or_short_ticket_key_and_development_has_a_fixed_one() {
        let jwt = "j".repeat(MIN_JWT_SECRET_BYTES);
        let short = "t".repeat(MIN_JWT_SECRET_BYTES - 1);
        for ticket in [None, Some(short.as_str())] {
            let mut vars = vec![("APP_ENV", "production"), ("JWT_SECRET", jwt.as_str())];
            vars.extend(ticket.map(|key| ("TICKET_SECRET", key)));
            assert_eq!(config(&vars).err(), Some(ConfigError::WeakTicketSecret));
        }
        // Two development servers without a key agree on it: tickets outlive a restart.
        assert_eq!(
            config(&[]).unwrap().ticket_secret,
            config(&[]).unwrap().ticket_secret
        );
    }

    /// A production configuration with good secrets, and `extra`.
    fn production(extra: &[(&'static str, &'static str)]) -> Vec<(&'static str, &'static str)> {
        const KEY: &str = "0123456789abcdef0123456789abcdef";
        let mut vars = vec![
            ("APP_ENV", "production"),
            ("JWT_SECRET", KEY),
            ("TICKET_SECRET", KEY),
        ];
        vars.extend_from_slice(extra);
        vars
    }

    #[test]
    fn bad_numbers_name_their_variable() {
        assert!(matches!(
            config(&[("DB_POOL_SIZE", "many")]),
            Err(ConfigError::Invalid {
                name: "DB_POOL_SIZE",
                ..
            })
        ));
        assert!(matches!(
            config(&[("BCRYPT_COST", "3")]),
            Err(ConfigError::Invalid {
                name: "BCRYPT_COST",
                ..
            })
        ));
        for name in [
            "LOCK_TIMEOUT_MS",
            "STATEMENT_TIMEOUT_MS",
            "DB_POOL_TIMEOUT_MS",
        ] {
            assert!(
                matches!(config(&[(name, "0")]), Err(ConfigError::Invalid { name: n, .. }) if n == name),
                "{name}=0 must be refused"
            );
        }
        assert!(matches!(
            config(&[("APP_ENV", "staging")]),
            Err(ConfigError::Invalid {
                name: "APP_ENV",
                ..
            })
        ));
    }
}
