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
    /// The state's name in the reader's language.
    pub fn label(self) -> &'static str {
        let tr = crate::domain::i18n::tr();
        match self {
            DropState::Scheduled => tr.t("drops.states.scheduled"),
            DropState::Live => tr.t("drops.states.live"),
            DropState::Ended => tr.t("drops.states.ended"),
            DropState::Cancelled => tr.t("drops.states.cancelled"),
        }
    }
}
