//! The browser side of [`Wire`]: `JSON.parse`, then `serde-wasm-bindgen` into the Rust type.

use serde::{Serialize, de::DeserializeOwned};
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

pub fn to_json<T: Serialize>(value: &T) -> Result<String, WireError> {
    // Maps as plain objects and numbers as numbers, so `JSON.stringify` writes what
    // `serde_json` would.
    let value = value.serialize(&serde_wasm_bindgen::Serializer::json_compatible())?;
    Ok(String::from(js_sys::JSON::stringify(&value)?))
}

pub fn from_json<T: DeserializeOwned>(text: &str) -> Result<T, WireError> {
    Ok(serde_wasm_bindgen::from_value(js_sys::JSON::parse(text)?)?)
}

pub fn from_bytes<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, WireError> {
    from_json(std::str::from_utf8(bytes).map_err(|e| WireError(e.to_string()))?)
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
