//! Rewards Bazaar: the Leptos app shared by the server (feature `ssr`) and the browser
//! (feature `hydrate`).
//!
//! # Layers
//! Each layer may use the layers below it, never one above (`app/tests/layers.rs` checks):
//! 1. `domain`: the error type, domain types parsed from input, form reading, the wire
//!    encoding. Both builds; no views, no database.
//! 2. `infra` (server only): app state and config, the authorized caller, the audit log, the
//!    ledger, the store's settings. Knows no feature.
//! 3. `kit`: the view kit (notices, form fields, the post form, the page skeleton, countdowns,
//!    live stock, focus, page status).
//! 4. Features, one folder each, named as users name them: `bazaar`, `account`, `redemptions`,
//!    `catalog`, `drops`, `member_care`, `team`, `audit_log`, `reports`, `mailbox`,
//!    `insights`, `imports`, `audiences`, `campaigns`, `draws`. DTOs and `#[server]` functions in `mod.rs`, components in `pages.rs`, queries and commands in `ssr`.
//! 5. The shell (`shell`: document, router, routes) and the browser entry (`hydrate`): the only
//!    modules that name features all together; nothing names the shell.
//!
//! # Features that use another feature
//! Only these, and only through the used feature's public items:
//! - account -> redemptions (the account page lists the member's redemptions)
//! - member_care -> account (a member's statement lines)
//! - team -> account (an admin resets a colleague's two-factor sign-in)
//! - member_care -> redemptions (staff cancel a member's redemption)
//! - member_care -> insights (a member's segment and value)
//! - redemptions -> account (one quick question on a redemption's page)
//! - insights -> account (how many members answered each quick question)
//! - audiences -> insights (the RFM segments' codes and names)
//! - audiences -> account (the months' names for the birthday-month rule)
//! - campaigns -> audiences (a campaign is aimed at an audience; the form's choices)
//! - campaigns -> insights (the segments' names, the uplift statistics)
//! - campaigns -> redemptions (a reward a campaign gives gets a code like a redemption's)
//! - member_care -> campaigns (a member's best next action)
//! - draws -> redemptions (a winner's redemption gets the usual code)
//! - catalog -> drops (the staff home warns of a rotation pool that ran dry)
//! - account -> draws (deleting an account withdraws its open draw entries)
//! - draws -> reports (a draw's presses judged automated as the post-drop report judges them)

#![recursion_limit = "256"]

pub mod domain;
#[cfg(feature = "ssr")]
pub mod infra;
pub mod kit;

pub mod account;
pub mod audiences;
pub mod audit_log;
pub mod bazaar;
pub mod campaigns;
pub mod catalog;
pub mod draws;
pub mod drops;
pub mod imports;
pub mod insights;
pub mod mailbox;
pub mod member_care;
pub mod redemptions;
pub mod reports;
pub mod team;

pub mod shell;

#[cfg(feature = "hydrate")]
mod hydrate;

pub use domain::error::AppError;
pub use shell::{App, shell};
