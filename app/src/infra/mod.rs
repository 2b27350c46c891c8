//! Server-only infrastructure every feature may use: the app's state and configuration, the
//! authorized caller, the audit log, the points ledger and the store's settings. It knows no
//! feature and no view.

pub mod audit;
pub mod background;
pub mod caller;
pub mod config;
pub mod csv;
pub mod ledger;
pub mod mail;
pub mod secret;
pub mod state;
pub mod store;

/// A value that differs on every call, put in the URL a change redirects to: the page's data is
/// keyed on the URL, so it reloads after each change, even an identical one.
pub fn fresh() -> i64 {
    chrono::Utc::now().timestamp_millis()
}
