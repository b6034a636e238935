//! Wiring: from configuration and a pool to a running HTTP server.

use std::net::TcpListener;
use std::sync::Arc;
use std::time::Duration;

use actix_web::dev::{Server, ServerHandle};
use actix_web::http::StatusCode;
use actix_web::middleware::{Condition, ErrorHandlers, from_fn};
use actix_web::{App, HttpServer, web};
use booking_persistence::DbPool;

use crate::admitter;
use crate::auth::{AuthSettings, JwtKeys, password};
use crate::booking::BookingService;
use crate::config::Config;
use crate::database;
use crate::json::MAX_BODY_BYTES;
use crate::limits::RateLimits;
use crate::live::Live;
use crate::metrics::Metrics;
use crate::openapi;
use crate::organizing::Organizing;
use crate::payment::{InstantApproval, PaymentGateway, SimulatedGateway};
use crate::routes;
use crate::security;
use crate::spa;
use crate::state::AppState;
use crate::telemetry;
use crate::tickets::TicketCodes;

/// How often the rate limiters forget clients that have gone quiet.
const FORGET_IDLE_CLIENTS_EVERY: Duration = Duration::from_secs(60);
/// How soon after its `expiresAt` a hold nobody paid gives its tickets back (reads call it
/// expired from the instant itself). The scan is one indexed probe when nothing is due.
const EXPIRE_HOLDS_EVERY: Duration = Duration::from_secs(1);
/// How often waiting rooms are ticked: a room admits at most once a second, so a
/// quarter second keeps its rounds within a quarter second of their due time.
const ADMIT_EVERY: Duration = Duration::from_millis(250);

/// How long in-flight requests get to finish after a stop signal.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(10);

fn gateway(config: &Config) -> Arc<dyn PaymentGateway> {
    if config.payment_decline_rate > 0.0 || !config.payment_latency.is_zero() {
        tracing::info!(
            decline_rate = config.payment_decline_rate,
            latency_ms = config.payment_latency.as_millis(),
            "payments go through the simulated gateway"
        );
        Arc::new(SimulatedGateway {
            decline_rate: config.payment_decline_rate,
            latency: config.payment_latency,
        })
    } else {
        Arc::new(InstantApproval)
    }
}

pub struct Application {
    port: u16,
    server: Server,
    live: Live,
    bookings: BookingService,
}

impl Application {
    /// Binds `config.bind_addr` (port 0 picks a free port), starts live availability and
    /// prepares the server. Call it on the runtime that will serve.
    pub fn build(config: &Config, pool: DbPool) -> anyhow::Result<Self> {
        let listener = TcpListener::bind(config.bind_addr)?;
        let port = listener.local_addr()?.port();
        let metrics = Metrics::new();
        let live = Live::start(config.live.clone(), pool.clone(), metrics.live.clone());
        let payments = gateway(config);
        let bookings = BookingService::new(
            pool.clone(),
            live.clone(),
            payments,
            config.batching,
            metrics.batches.clone(),
            routes::bookings::new_reference,
        );
        tokio::spawn(bookings.clone().expire_lapsed_every(EXPIRE_HOLDS_EVERY));
        tokio::spawn(admitter::admit_every(
            pool.clone(),
            live.clone(),
            ADMIT_EVERY,
        ));
        let limits = RateLimits::new(&config.rate_limits);
        tokio::spawn(limits.clone().forget_idle_every(FORGET_IDLE_CLIENTS_EVERY));
        let organizing = Organizing::new(pool.clone(), live.clone());
        let public_reads = match &config.database_read_url {
            Some(url) => database::pool_for(url, config)?,
            None => pool.clone(),
        };
        let state = AppState {
            limits,
            pool,
            public_reads,
            auth: Arc::new(AuthSettings {
                jwt: JwtKeys::new(&config.jwt_secret, config.access_token_ttl),
                bcrypt_cost: config.bcrypt_cost,
                secure_cookies: config.secure_cookies(),
                dummy_hash: password::hash_now("not-a-real-password-1", config.bcrypt_cost)?,
            }),
            bookings: bookings.clone(),
            organizing,
            live: live.clone(),
            ticket_codes: TicketCodes::new(&config.ticket_secret),
            metrics,
        };
        let allowed_origins = config.allowed_origins();
        let static_dir = config.static_dir.clone();
        let serve_app = static_dir.join("index.html").is_file();
        if !serve_app {
            tracing::warn!(dir = %static_dir.display(), "no built web app found; serving the API only (build it with `just frontend`)");
        }
        let server = HttpServer::new(move || {
            let app = App::new()
                .wrap(
                    ErrorHandlers::new()
                        .handler(StatusCode::METHOD_NOT_ALLOWED, openapi::method_not_allowed),
                )
                .wrap(Condition::new(
                    !allowed_origins.is_empty(),
                    security::cors(&allowed_origins),
                ))
                .wrap(security::headers())
                // Outermost: sees every answer, the error handlers' included.
                .wrap(from_fn(telemetry::observe))
                .app_data(web::Data::new(state.clone()))
                .app_data(web::Data::from(Arc::clone(&state.limits)))
                .app_data(web::PayloadConfig::new(MAX_BODY_BYTES))
                .service(web::resource("/health").get(routes::health::health))
                .service(web::resource("/ready").get(routes::health::ready))
                .service(web::resource("/metrics").get(routes::health::metrics))
                .service(openapi::docs())
                .service(web::scope("/api").service(web::scope("/v1").configure(routes::api_v1)))
                // Unmatched paths inside any scope fall through to the app's default, so
                // this one handler answers every unknown API path with a problem document.
                .default_service(web::to(routes::api_not_found));
            if serve_app {
                app.service(spa::service(&static_dir))
            } else {
                app
            }
        })
        .listen(listener)?
        .shutdown_timeout(SHUTDOWN_GRACE.as_secs())
        // Stopping is `Stopper`'s job: it closes the WebSockets first, which would
        // otherwise hold the grace period to its end and then drop without a word.
        .disable_signals()
        .run();
        Ok(Self {
            port,
            server,
            live,
            bookings,
        })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// Where work outside a request announces committed changes of availability.
    pub fn live(&self) -> &Live {
        &self.live
    }

    /// The booking service, for the sweeper.
    pub fn bookings(&self) -> &BookingService {
        &self.bookings
    }

    /// What stops this server gracefully.
    pub fn stopper(&self) -> Stopper {
        Stopper {
            server: self.server.handle(),
            live: self.live.clone(),
        }
    }

    /// Serves until stopped through its [`Stopper`].
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        self.server.await
    }
}

/// Stops a server gracefully: no new connections, WebSockets closed with 1012 (clients
/// reconnect), and requests in flight (bookings waiting in a batch included) finished
/// within `SHUTDOWN_GRACE`.
#[derive(Clone)]
pub struct Stopper {
    server: ServerHandle,
    live: Live,
}

impl Stopper {
    pub async fn stop(&self) {
        tracing::info!(
            grace_s = SHUTDOWN_GRACE.as_secs(),
            "stopping: closing WebSockets, finishing requests in flight"
        );
        self.live.close_all();
        self.server.stop(true).await;
    }

    /// Stops on Ctrl-C or SIGTERM.
    pub async fn stop_on_signal(self) {
        let interrupt = tokio::signal::ctrl_c();
        #[cfg(unix)]
        let terminate = async {
            match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                Ok(mut signal) => {
                    signal.recv().await;
                }
                Err(error) => {
                    tracing::warn!(%error, "cannot watch SIGTERM; Ctrl-C still stops");
                    std::future::pending::<()>().await;
                }
            }
        };
        #[cfg(not(unix))]
        let terminate = std::future::pending::<()>();
        tokio::select! {
            _ = interrupt => {}
            () = terminate => {}
        }
        self.stop().await;
    }
}
