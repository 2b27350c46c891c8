//! Drop scheduling on the server, where the time-zone database lives (chrono-tz is kept out of
//! the browser bundle).
//!
//! One file per kind of operation: `rules` (no database), `queries`, `commands`, `schedules`.

mod commands;
mod queries;
mod rotation;
pub mod rotation_staff;
mod rules;
mod schedules;

pub use commands::{cancel, remove_item, save, save_item};
pub use queries::{calendar, detail};
pub use rotation::{WEEKS_AHEAD, fill_due, fill_one, keep_rolling};
pub use rules::{DropWindow, ItemDraft, WeeklyRule, local_moment, next_occurrences, preview};
pub use schedules::create_schedule;
