//! Campaigns and next best actions on the server.

pub mod actions;
pub mod bonus;
pub mod campaign;
pub mod early;
pub mod gift;
pub mod next;
