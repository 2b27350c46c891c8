//! Draws on the server.

pub mod algorithm;
pub mod entries;
pub mod reminders;
pub mod run;
pub mod staff;
pub mod stats;
pub mod view;
