//! Draws on the server.

pub mod algorithm;
pub mod entries;
pub mod run;
pub mod staff;
pub mod view;
