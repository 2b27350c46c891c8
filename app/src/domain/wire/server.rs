//! The server side of [`Wire`]: `serde_json`, as for any JSON API.

use super::Wire;
use serde::{Serialize, de::DeserializeOwned};
use server_fn::{Bytes, Decodes, Encodes};

pub type WireError = serde_json::Error;

impl<T: Serialize> Encodes<T> for Wire {
    type Error = WireError;

    fn encode(value: &T) -> Result<Bytes, Self::Error> {
        serde_json::to_vec(value).map(Bytes::from)
    }
}

impl<T: DeserializeOwned> Decodes<T> for Wire {
    type Error = WireError;

    fn decode(bytes: Bytes) -> Result<T, Self::Error> {
        serde_json::from_slice(&bytes)
    }
}

impl<T: Serialize + 'static> codee::Encoder<T> for Wire {
    type Error = WireError;
    type Encoded = String;

    fn encode(value: &T) -> Result<String, Self::Error> {
        serde_json::to_string(value)
    }
}

impl<T: DeserializeOwned + 'static> codee::Decoder<T> for Wire {
    type Error = WireError;
    type Encoded = str;

    fn decode(text: &str) -> Result<T, Self::Error> {
        serde_json::from_str(text)
    }
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
