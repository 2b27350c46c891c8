//! The server side of [`Wire`]: `serde_json`, as for any JSON API.

use serde::{Serialize, de::DeserializeOwned};

pub type WireError = serde_json::Error;

pub fn to_json<T: Serialize>(value: &T) -> Result<String, WireError> {
    serde_json::to_string(value)
}

pub fn from_json<T: DeserializeOwned>(text: &str) -> Result<T, WireError> {
    serde_json::from_str(text)
}

pub fn from_bytes<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, WireError> {
    serde_json::from_slice(bytes)
}

/// `#[serde(with = "crate::domain::wire::instant")]` on a `DateTime<Utc>`: RFC 3339, as chrono writes
/// and reads it.
pub mod instant {
    use chrono::{DateTime, Utc};
    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    pub fn serialize<S: Serializer>(at: &DateTime<Utc>, to: S) -> Result<S::Ok, S::Error> {
        at.serialize(to)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(from: D) -> Result<DateTime<Utc>, D::Error> {
        DateTime::deserialize(from)
    }
}
