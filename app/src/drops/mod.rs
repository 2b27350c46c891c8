//! Drops: windows of time in which rewards can be redeemed, scheduled in the store's zone.

#[cfg(feature = "ssr")]
pub mod server;
