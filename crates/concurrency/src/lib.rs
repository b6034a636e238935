//! Load tests for a running booking-api, used by the `booking-load` CLI and by the
//! project's own end-to-end tests and benchmark.
//!
//! - [`race`]: N buyers released at one instant against the last tickets; a verdict.
//! - [`storm`]: C clients booking for a while; rates, latency percentiles, answers, and
//!   the no-oversell invariant read back through the API.
//! - [`watch`]: M WebSocket clients watching a storm; how soon each booking shows.
//! - [`door`]: C door staff scanning distinct tickets in; scans per second.
//! - [`queue`]: N buyers through an on-sale's waiting room; fairness, pace, sell-out.
//! - [`report`]: the markdown of a `just bench` run, from the files it left.

pub mod api;
pub mod buyers;
pub mod door;
pub mod latency;
pub mod live;
pub mod memory;
pub mod queue;
pub mod race;
pub mod report;
pub mod storm;
pub mod tally;
pub mod watch;
