//! What the integration tests share: a `TestApp` that drives the real router like a client
//! (one method per endpoint), the rows seeded straight into the database, the starting points
//! many tests share (`fixtures`), and the checks read back from it. Every path into the `app`
//! crate goes through `endpoints`.

mod client;
mod config;
mod db;
pub mod endpoints;
pub mod events;
mod fixtures;
mod http;
pub mod mail;
mod member_calls;
mod seed;
mod staff_calls;
mod values;

pub use client::{TestApp, patient_line};
pub use config::cdnow_sample;
pub use db::*;
pub use fixtures::*;
pub use http::{ORIGIN, Reply, field_error, form_body, urlencode, visible_text};
pub use seed::*;
pub use values::*;
