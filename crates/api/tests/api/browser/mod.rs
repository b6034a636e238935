//! Browser tests of the web app: the real server serves the built app (`just frontend`)
//! over a seeded database, and Chromium, driven through chromedriver, does what a person
//! would. The labels, texts and routes they rely on are the web app's UI contract
//! (`frontend/UI.md`). Screenshots land in `<target dir>/screenshots/`.
//!
//! Run them alone (after `just frontend`, or with `STATIC_DIR` naming another build):
//! `cargo build -p booking-local-db --bin with-postgres`, then
//! `<target dir>/debug/with-postgres cargo test -p booking-api --test api browser::`.

mod accessibility;
mod accounts;
mod audit;
mod checkout;
mod deep_links;
mod delivery;
mod dev_reload;
mod door;
mod harness;
mod holds;
mod journey;
mod layout;
mod live;
mod organizer;
mod routes;
mod tickets;
mod waiting_list;
mod waiting_room;
