//! The store the bazaar belongs to: its name, currency and time zone.

use serde::{Deserialize, Serialize};

/// What pages need to know about the store.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoreInfo {
    pub name: String,
    /// IANA zone name, e.g. `America/New_York`: drop times are scheduled and shown in it.
    pub time_zone: String,
    pub currency: String,
}
