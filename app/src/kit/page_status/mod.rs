//! Lets a page component set the HTTP status of the server-rendered response (404 for an
//! unknown path, 400 for a bad filter), so crawlers and scripts see what a person sees.

#[cfg(feature = "ssr")]
#[path = "server.rs"]
mod imp;
#[cfg(not(feature = "ssr"))]
#[path = "browser.rs"]
mod imp;

#[cfg(feature = "ssr")]
pub use imp::set_server_timing;
#[cfg(feature = "ssr")]
pub use imp::{PageNonce, page_policy};
pub use imp::{provide_page_nonce, set_error_status, set_page_status};
