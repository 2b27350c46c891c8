//! Rewards Bazaar: the Leptos app shared by the server (feature `ssr`) and the browser
//! (feature `hydrate`). One folder per feature; each keeps its queries in a `server` module that
//! only the server build compiles.

#![recursion_limit = "256"]

pub mod admin;
pub mod auth;
pub mod bazaar;
pub mod care;
pub mod countdown;
pub mod drops;
pub mod error;
pub mod focus;
pub mod ledger;
pub mod live;
pub mod members;
pub mod page_status;
pub mod redemptions;
pub mod reports;
pub mod rewards;
pub mod shell;
pub mod staff;
pub mod store;
pub mod ui;
pub mod wire;

#[cfg(feature = "ssr")]
pub mod state;

#[cfg(feature = "hydrate")]
mod hydrate;

pub use error::AppError;
pub use shell::{App, shell};

/// Every server function lives under this prefix, with a readable endpoint of its own, so
/// integrators, load tests and caches see stable URLs such as `/api/fn/bazaar`.
pub const SERVER_FN_PREFIX: &str = "/api/fn";
