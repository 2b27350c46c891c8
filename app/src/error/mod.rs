//! One error type for everything a member, staff user or integrator can be told.
//!
//! It crosses the wire typed (server functions encode it as JSON), so the browser gets the same
//! variant the server produced and can show a specific message. Internal failures carry no
//! detail: the detail goes to the server log, the person sees an opaque message.

use serde::{Deserialize, Serialize};

use crate::ledger::Points;
use server_fn::codec::JsonEncoding;
use server_fn::error::{FromServerFnError, ServerFnErrorErr};

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum AppError {
    /// The request itself was wrong; the message says what to change.
    #[error("{message}")]
    BadRequest { message: String },
    /// A form field was wrong; `field` names the input so the UI can put the message beside it.
    #[error("{message}")]
    Invalid { field: String, message: String },
    #[error("{what} was not found.")]
    NotFound { what: String },
    #[error("Please sign in to continue.")]
    Unauthenticated,
    /// Sign-in failed. Deliberately the same for an unknown email and a wrong password, so the
    /// form cannot be used to find out who has an account.
    #[error("That email and password don't match an account.")]
    WrongCredentials,
    #[error("Too many sign-in attempts. Try again in {minutes} {}.", if *minutes == 1 { "minute" } else { "minutes" })]
    TooManyAttempts { minutes: i64 },
    #[error("Too many requests. Try again in {retry_after_secs} seconds.")]
    RateLimited { retry_after_secs: u64 },
    /// So many members are redeeming the same reward that this request was not let in. Nothing
    /// happened; pressing again in a moment is safe (the press keeps its idempotency key).
    #[error(
        "So many members are redeeming this right now that we couldn't fit yours in. Nothing was taken from your points. Please press Redeem again in a moment."
    )]
    Busy,
    /// The same request id was used before for something else.
    #[error("{message}")]
    Conflict { message: String },
    /// An integrator's API key is missing or not valid.
    #[error("{message}")]
    ApiKey { message: String },
    #[error("{message}")]
    PayloadTooLarge { message: String },
    // Redemption outcomes a member can meet at drop time.
    #[error("Sorry, this reward just sold out.")]
    SoldOut,
    #[error("You need {} more for this reward: it costs {needed} and you have {have}.", Points::new(needed.get() - have.get()).unwrap_or(Points::ZERO))]
    NotEnoughPoints { needed: Points, have: Points },
    #[error("You have already redeemed this reward {limit} {} in this drop, the most allowed.", if *limit == 1 { "time" } else { "times" })]
    LimitReached { limit: i32 },
    #[error("This reward is for {tier} members and above.")]
    TierRequired { tier: String },
    #[error("This drop opens {opens}.")]
    NotOpenYet { opens: String },
    #[error("This drop has closed.")]
    DropClosed,
    #[error("{message}")]
    CannotCancel { message: String },
    /// A state-changing request that did not come from this site's own pages.
    #[error("This request came from another site and was refused.")]
    CrossSite,
    #[error("You don't have access to this.")]
    Forbidden,
    /// Anything the person cannot fix: database or programming errors. Logged on the server.
    #[error("Something went wrong on our side. Please try again in a moment.")]
    Internal,
    /// The request never reached the server function (network down, server restarting).
    #[error("We couldn't reach the bazaar. Check your connection and try again.")]
    Unreachable,
}

impl AppError {
    pub fn bad_request(message: impl Into<String>) -> Self {
        Self::BadRequest {
            message: message.into(),
        }
    }

    pub fn invalid(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self::Invalid {
            field: field.into(),
            message: message.into(),
        }
    }

    pub fn not_found(what: impl Into<String>) -> Self {
        Self::NotFound { what: what.into() }
    }

    /// The HTTP status this error maps to, shared by server functions and the JSON API.
    pub fn status(&self) -> u16 {
        match self {
            Self::BadRequest { .. } => 400,
            Self::Invalid { .. } => 422,
            Self::NotFound { .. } => 404,
            Self::Unauthenticated | Self::WrongCredentials | Self::ApiKey { .. } => 401,
            Self::TooManyAttempts { .. } | Self::RateLimited { .. } | Self::Busy => 429,
            Self::Conflict { .. } => 409,
            Self::CrossSite => 403,
            Self::PayloadTooLarge { .. } => 413,
            Self::SoldOut
            | Self::NotEnoughPoints { .. }
            | Self::LimitReached { .. }
            | Self::NotOpenYet { .. }
            | Self::DropClosed
            | Self::CannotCancel { .. } => 409,
            Self::TierRequired { .. } => 403,
            Self::Forbidden => 403,
            Self::Internal => 500,
            Self::Unreachable => 503,
        }
    }
}

impl FromServerFnError for AppError {
    type Encoder = JsonEncoding;

    fn from_server_fn_error(value: ServerFnErrorErr) -> Self {
        match value {
            // Malformed arguments are the caller's mistake; say which.
            ServerFnErrorErr::Args(message) => {
                Self::bad_request(format!("The request was not understood: {message}"))
            }
            ServerFnErrorErr::MissingArg(arg) => {
                Self::bad_request(format!("The request is missing `{arg}`."))
            }
            // Client side: the request failed or what came back was not our answer (a proxy's
            // error page, a dropped connection).
            ServerFnErrorErr::Request(_) | ServerFnErrorErr::Deserialization(_) => {
                Self::Unreachable
            }
            _ => Self::Internal,
        }
    }
}

#[cfg(feature = "ssr")]
pub mod server;
