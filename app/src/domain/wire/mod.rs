//! How typed values cross between server and browser: server-function answers, their errors, and
//! the data a page's resources carry from the server render into hydration.
//!
//! The wire format is JSON, as integrators, load tests and the integration tests see it. What
//! differs is the browser's decoder: `serde_json` is monomorphised once per type that crosses
//! the wire, and with the byte-level parser inlined into each copy it was the largest single part
//! of the bundle every member downloads at drop time. In the browser the text is parsed by the
//! browser's own `JSON.parse` and `serde-wasm-bindgen` walks the result, which needs far less
//! code per type. The server writes and reads with `serde_json` as before.
//!
//! `JSON.parse` reads numbers as doubles: an integer beyond 2^53 would come back wrong, and
//! serde-wasm-bindgen refuses it rather than round it (the call fails as if unreachable). Ids,
//! points and counts stay far below that.

use leptos::prelude::*;
use serde::{Serialize, de::DeserializeOwned};
use server_fn::{Bytes, ContentType, Decodes, Encodes, Format, FormatType};

#[cfg(feature = "hydrate")]
#[path = "browser.rs"]
mod codec;
#[cfg(not(feature = "hydrate"))]
#[path = "server.rs"]
mod codec;

pub use codec::WireError;

/// The encoding of every server function's answer and of [`crate::AppError`], and of page
/// resources ([`resource`]).
pub struct Wire;

/// For `#[server(output = Answer)]`: the answer is encoded with [`Wire`]. (The method is the
/// input's; an output encoding only names one because Leptos' encodings name both.)
pub type Answer = server_fn::codec::Post<Wire>;

impl ContentType for Wire {
    const CONTENT_TYPE: &'static str = "application/json";
}

impl FormatType for Wire {
    const FORMAT_TYPE: Format = Format::Text;
}

// The same four encodings in both builds; only `codec`'s reading and writing of JSON differ.
impl<T: Serialize> Encodes<T> for Wire {
    type Error = WireError;

    fn encode(value: &T) -> Result<Bytes, Self::Error> {
        codec::to_json(value).map(Bytes::from)
    }
}

impl<T: DeserializeOwned> Decodes<T> for Wire {
    type Error = WireError;

    fn decode(bytes: Bytes) -> Result<T, Self::Error> {
        codec::from_bytes(&bytes)
    }
}

impl<T: Serialize + 'static> codee::Encoder<T> for Wire {
    type Error = WireError;
    type Encoded = String;

    fn encode(value: &T) -> Result<String, Self::Error> {
        codec::to_json(value)
    }
}

impl<T: DeserializeOwned + 'static> codee::Decoder<T> for Wire {
    type Error = WireError;
    type Encoded = str;

    fn decode(text: &str) -> Result<T, Self::Error> {
        codec::from_json(text)
    }
}

/// A page's data: read on the server while rendering, carried into the page as JSON, and read
/// again in the browser whenever `source` changes.
#[track_caller]
pub fn resource<S, T, Fut>(
    source: impl Fn() -> S + Send + Sync + 'static,
    fetcher: impl Fn(S) -> Fut + Send + Sync + 'static,
) -> Resource<T, Wire>
where
    S: PartialEq + Clone + Send + Sync + 'static,
    T: Serialize + DeserializeOwned + Send + Sync + 'static,
    Fut: Future<Output = T> + Send + 'static,
{
    Resource::new_with_options(source, fetcher, false)
}

pub use codec::instant;

/// `2026-11-24T09:00:00.123456Z` → `2026-11-24T09:00:00.123Z`. Chrono writes as many digits as
/// the time has; the ISO form every browser's `Date.parse` is required to read has milliseconds
/// at most.
pub fn at_most_millis(text: &str) -> std::borrow::Cow<'_, str> {
    let Some(dot) = text.find('.') else {
        return text.into();
    };
    let digits = text[dot + 1..]
        .bytes()
        .take_while(u8::is_ascii_digit)
        .count();
    if digits <= 3 {
        return text.into();
    }
    format!("{}{}", &text[..dot + 4], &text[dot + 1 + digits..]).into()
}

#[cfg(test)]
mod tests {
    use super::at_most_millis;

    #[test]
    fn times_are_cut_to_milliseconds_for_the_browser_to_read() {
        assert_eq!(
            at_most_millis("2026-11-24T09:00:00.123456789Z"),
            "2026-11-24T09:00:00.123Z"
        );
        assert_eq!(
            at_most_millis("2026-11-24T09:00:00.5Z"),
            "2026-11-24T09:00:00.5Z"
        );
        assert_eq!(
            at_most_millis("2026-11-24T09:00:00Z"),
            "2026-11-24T09:00:00Z"
        );
        assert_eq!(
            at_most_millis("2026-11-24T09:00:00.1234+01:00"),
            "2026-11-24T09:00:00.123+01:00"
        );
    }
}
