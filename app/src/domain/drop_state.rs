//! Where a drop is in its life.

use serde::{Deserialize, Serialize};

/// Where a drop is in its life, as staff see it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum DropState {
    Scheduled,
    Live,
    Ended,
    Cancelled,
}

impl DropState {
    pub fn label(self) -> &'static str {
        match self {
            DropState::Scheduled => "Scheduled",
            DropState::Live => "Live",
            DropState::Ended => "Ended",
            DropState::Cancelled => "Cancelled",
        }
    }
}
