//! App-wide state, provided once by `App` through context and read by any component.

pub mod cart;
pub mod counts;
pub mod form_errors;
pub mod offers;
pub mod passes;
pub mod session;
pub mod toasts;

pub use cart::{Cart, CartLine};
pub use counts::LiveCounts;
pub use offers::LiveOffers;
pub use passes::QueuePasses;
pub use session::{AuthState, Session};
pub use toasts::Toasts;
