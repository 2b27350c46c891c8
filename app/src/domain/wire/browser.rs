//! The browser side of [`Wire`]: `JSON.parse`, then `serde-wasm-bindgen` into the Rust type.

use super::Wire;
use serde::{Serialize, de::DeserializeOwned};
use server_fn::{Bytes, Decodes, Encodes};
use wasm_bindgen::JsValue;

/// What went wrong reading or writing a value; it only ever reaches the browser's console
/// (a server function turns it into [`crate::AppError::Unreachable`]).
#[derive(Debug)]
pub struct WireError(String);

impl std::fmt::Display for WireError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl From<JsValue> for WireError {
    fn from(value: JsValue) -> Self {
        WireError(value.as_string().unwrap_or_else(|| "not JSON".to_owned()))
    }
}

impl From<serde_wasm_bindgen::Error> for WireError {
    fn from(error: serde_wasm_bindgen::Error) -> Self {
        WireError(error.to_string())
    }
}

fn to_json<T: Serialize>(value: &T) -> Result<String, WireError> {
    // Maps as plain objects and numbers as numbers, so `JSON.stringify` writes what
    // `serde_json` would.
    let value = value.serialize(&serde_wasm_bindgen::Serializer::json_compatible())?;
    Ok(String::from(js_sys::JSON::stringify(&value)?))
}

fn from_json<T: DeserializeOwned>(text: &str) -> Result<T, WireError> {
    Ok(serde_wasm_bindgen::from_value(js_sys::JSON::parse(text)?)?)
}

impl<T: Serialize> Encodes<T> for Wire {
    type Error = WireError;

    fn encode(value: &T) -> Result<Bytes, Self::Error> {
        to_json(value).map(Bytes::from)
    }
}

impl<T: DeserializeOwned> Decodes<T> for Wire {
    type Error = WireError;

    fn decode(bytes: Bytes) -> Result<T, Self::Error> {
        let text = std::str::from_utf8(&bytes).map_err(|e| WireError(e.to_string()))?;
        from_json(text)
    }
}

impl<T: Serialize + 'static> codee::Encoder<T> for Wire {
    type Error = WireError;
    type Encoded = String;

    fn encode(value: &T) -> Result<String, Self::Error> {
        to_json(value)
    }
}

impl<T: DeserializeOwned + 'static> codee::Decoder<T> for Wire {
    type Error = WireError;
    type Encoded = str;

    fn decode(text: &str) -> Result<T, Self::Error> {
        from_json(text)
    }
}

/// `#[serde(with = "crate::domain::wire::instant")]` on a `DateTime<Utc>`: the same RFC 3339 text, read
/// by the browser's `Date.parse` rather than chrono's parser, which the bundle then need not
/// carry.
pub mod instant {
    use chrono::{DateTime, Utc};
    use serde::de::Error as _;
    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    pub fn serialize<S: Serializer>(at: &DateTime<Utc>, to: S) -> Result<S::Ok, S::Error> {
        at.serialize(to)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(from: D) -> Result<DateTime<Utc>, D::Error> {
        let text = String::deserialize(from)?;
        let millis = js_sys::Date::parse(&super::super::at_most_millis(&text));
        if millis.is_nan() {
            return Err(D::Error::custom(format!("`{text}` is not a time")));
        }
        DateTime::from_timestamp_millis(millis as i64)
            .ok_or_else(|| D::Error::custom(format!("`{text}` is out of range")))
    }
}
