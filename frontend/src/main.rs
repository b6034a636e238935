//! The booking web app, compiled to WebAssembly and served by the api on the same origin.

mod actions;
mod api;
mod app;
mod booking_messages;
mod browser;
mod components;
mod format;
mod live;
mod pages;
mod state;

fn main() {
    console_error_panic_hook::set_once();
    leptos::mount::mount_to_body(app::App);
}
