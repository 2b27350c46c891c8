//! One error type for everything a member, staff user or integrator can be told.
//!
//! It crosses the wire typed (server functions encode it as JSON), so the browser gets the same
//! variant the server produced and can show a specific message. Internal failures carry no
//! detail: the detail goes to the server log, the person sees an opaque message.

use serde::{Deserialize, Serialize};

use crate::domain::points::Points;
use server_fn::error::{FromServerFnError, ServerFnErrorErr};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", try_from = "Tagged")]
pub enum AppError {
    /// The request itself was wrong; the message says what to change.
    BadRequest {
        message: String,
    },
    /// A form field was wrong; `field` names the input so the UI can put the message beside it.
    Invalid {
        field: String,
        message: String,
    },
    NotFound {
        what: String,
    },
    Unauthenticated,
    /// Sign-in failed. Deliberately the same for an unknown email and a wrong password, so the
    /// form cannot be used to find out who has an account.
    WrongCredentials,
    TooManyAttempts {
        minutes: i64,
    },
    RateLimited {
        retry_after_secs: u64,
    },
    /// So many members are redeeming the same reward that this request was not let in. Nothing
    /// happened; pressing again in a moment is safe (the press keeps its idempotency key).
    Busy,
    /// This member already has a press of this reward waiting in the line: the extra press is
    /// answered at once instead of taking a place someone else could have.
    AlreadyPressing,
    /// More work than the server takes on at once (password hashing, connections): nothing was
    /// done, and trying again in a moment works.
    Overloaded,
    /// Too many accounts were made from this address (or everywhere) recently.
    TooManySignUps {
        minutes: i64,
    },
    /// The same request id was used before for something else.
    Conflict {
        message: String,
    },
    /// An integrator's API key is missing or not valid.
    ApiKey {
        message: String,
    },
    PayloadTooLarge {
        message: String,
    },
    // Redemption outcomes a member can meet at drop time.
    SoldOut,
    NotEnoughPoints {
        needed: Points,
        have: Points,
    },
    LimitReached {
        limit: i32,
    },
    TierRequired {
        tier: String,
    },
    /// The item is for an audience of members this one is not in. Its name is staff's own
    /// word for the group ("slipping away"), so the member hears a kind reason, never it.
    AudienceOnly,
    /// `opens` is an RFC 3339 moment and `zone` the store's IANA zone: the message writes it
    /// in the reader's language.
    NotOpenYet {
        opens: String,
        zone: String,
    },
    DropClosed,
    CannotCancel {
        message: String,
    },
    /// A state-changing request that did not come from this site's own pages.
    CrossSite,
    Forbidden,
    /// Anything the person cannot fix: database or programming errors. Logged on the server.
    Internal,
    /// The database cannot be reached just now (restarting, failing over): answered at once
    /// with `Retry-After` rather than after a long wait. A press is idempotent by its key, so
    /// pressing again is safe.
    Unavailable,
    /// The request never reached the server function (network down, server restarting).
    Unreachable,
}

impl std::error::Error for AppError {}

/// The message the person sees, in their language (see [`crate::domain::i18n::tr`]): the
/// caller's on the server, the page's in the browser. Messages that carry their own text were
/// written in the caller's language where they were made.
impl std::fmt::Display for AppError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let tr = crate::domain::i18n::tr();
        let text = match self {
            Self::BadRequest { message }
            | Self::Invalid { message, .. }
            | Self::Conflict { message }
            | Self::ApiKey { message }
            | Self::PayloadTooLarge { message }
            | Self::CannotCancel { message } => message.clone(),
            Self::NotFound { what } => tr.f("errors.not_found", &[("what", what)]),
            Self::Unauthenticated => tr.t("errors.unauthenticated").to_owned(),
            Self::WrongCredentials => tr.t("errors.wrong_credentials").to_owned(),
            Self::TooManyAttempts { minutes } => {
                tr.count("errors.too_many_attempts", *minutes, &[])
            }
            Self::RateLimited { retry_after_secs } => {
                tr.count("errors.rate_limited", *retry_after_secs as i64, &[])
            }
            Self::Busy => tr.t("errors.busy").to_owned(),
            Self::AlreadyPressing => tr.t("errors.already_pressing").to_owned(),
            Self::Overloaded => tr.t("errors.overloaded").to_owned(),
            Self::TooManySignUps { minutes } => tr.count("errors.too_many_sign_ups", *minutes, &[]),
            Self::SoldOut => tr.t("errors.sold_out").to_owned(),
            Self::NotEnoughPoints { needed, have } => {
                let short = Points::new(needed.get() - have.get()).unwrap_or(Points::ZERO);
                tr.count(
                    "errors.not_enough_points",
                    short.get(),
                    &[("needed", &tr.points(*needed)), ("have", &tr.points(*have))],
                )
            }
            Self::LimitReached { limit } => {
                tr.count("errors.limit_reached", i64::from(*limit), &[])
            }
            Self::TierRequired { tier } => {
                tr.f("errors.tier_required", &[("tier", &tier_name(tr, tier))])
            }
            Self::AudienceOnly => tr.t("errors.audience_only").to_owned(),
            Self::NotOpenYet { opens, zone } => {
                tr.f("errors.not_open_yet", &[("opens", &tr.moment(opens, zone))])
            }
            Self::DropClosed => tr.t("errors.drop_closed").to_owned(),
            Self::CrossSite => tr.t("errors.cross_site").to_owned(),
            Self::Forbidden => tr.t("errors.forbidden").to_owned(),
            Self::Internal => tr.t("errors.internal").to_owned(),
            Self::Unavailable => tr.t("errors.unavailable").to_owned(),
            Self::Unreachable => tr.t("errors.unreachable").to_owned(),
        };
        f.write_str(&text)
    }
}

/// A tier's name in the reader's language, from the name the server sent (`Gold`).
fn tier_name(tr: crate::domain::i18n::Tr, tier: &str) -> String {
    match crate::domain::account::Tier::parse_name(tier) {
        Some(tier) => tier.label(tr).to_owned(),
        None => tier.to_owned(),
    }
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
            Self::TooManyAttempts { .. }
            | Self::TooManySignUps { .. }
            | Self::RateLimited { .. }
            | Self::Busy
            | Self::AlreadyPressing => 429,
            Self::Overloaded | Self::Unavailable => 503,
            Self::Conflict { .. } => 409,
            Self::CrossSite => 403,
            Self::PayloadTooLarge { .. } => 413,
            Self::SoldOut
            | Self::NotEnoughPoints { .. }
            | Self::LimitReached { .. }
            | Self::NotOpenYet { .. }
            | Self::DropClosed
            | Self::CannotCancel { .. } => 409,
            Self::TierRequired { .. } | Self::AudienceOnly => 403,
            Self::Forbidden => 403,
            Self::Internal => 500,
            Self::Unreachable => 503,
        }
    }
}

/// An error as the wire has it: `{"kind": "sold_out"}`, `{"kind": "invalid", "field": …,
/// "message": …}`. Serde reads an internally tagged enum by buffering the whole object into a
/// generic tree and reading each variant back out of it, which in the browser bundle meant a
/// copy of that machinery per variant; every field any variant has, side by side, reads in
/// one pass instead.
#[derive(Deserialize)]
struct Tagged {
    kind: String,
    message: Option<String>,
    field: Option<String>,
    what: Option<String>,
    minutes: Option<i64>,
    retry_after_secs: Option<u64>,
    needed: Option<Points>,
    have: Option<Points>,
    limit: Option<i32>,
    tier: Option<String>,
    opens: Option<String>,
    zone: Option<String>,
}

impl TryFrom<Tagged> for AppError {
    type Error = String;

    fn try_from(t: Tagged) -> Result<Self, String> {
        fn needs<T>(value: Option<T>, kind: &str, field: &str) -> Result<T, String> {
            value.ok_or_else(|| format!("a `{kind}` error needs `{field}`"))
        }
        let kind = t.kind.as_str();
        // Six kinds carry a message.
        let message = || needs(t.message, kind, "message");
        Ok(match kind {
            "bad_request" => Self::BadRequest {
                message: message()?,
            },
            "invalid" => Self::Invalid {
                field: needs(t.field, kind, "field")?,
                message: message()?,
            },
            "not_found" => Self::NotFound {
                what: needs(t.what, kind, "what")?,
            },
            "unauthenticated" => Self::Unauthenticated,
            "wrong_credentials" => Self::WrongCredentials,
            "too_many_attempts" => Self::TooManyAttempts {
                minutes: needs(t.minutes, kind, "minutes")?,
            },
            "rate_limited" => Self::RateLimited {
                retry_after_secs: needs(t.retry_after_secs, kind, "retry_after_secs")?,
            },
            "busy" => Self::Busy,
            "already_pressing" => Self::AlreadyPressing,
            "overloaded" => Self::Overloaded,
            "too_many_sign_ups" => Self::TooManySignUps {
                minutes: needs(t.minutes, kind, "minutes")?,
            },
            "unavailable" => Self::Unavailable,
            "conflict" => Self::Conflict {
                message: message()?,
            },
            "api_key" => Self::ApiKey {
                message: message()?,
            },
            "payload_too_large" => Self::PayloadTooLarge {
                message: message()?,
            },
            "sold_out" => Self::SoldOut,
            "not_enough_points" => Self::NotEnoughPoints {
                needed: needs(t.needed, kind, "needed")?,
                have: needs(t.have, kind, "have")?,
            },
            "limit_reached" => Self::LimitReached {
                limit: needs(t.limit, kind, "limit")?,
            },
            "tier_required" => Self::TierRequired {
                tier: needs(t.tier, kind, "tier")?,
            },
            "audience_only" => Self::AudienceOnly,
            "not_open_yet" => Self::NotOpenYet {
                opens: needs(t.opens, kind, "opens")?,
                zone: needs(t.zone, kind, "zone")?,
            },
            "drop_closed" => Self::DropClosed,
            "cannot_cancel" => Self::CannotCancel {
                message: message()?,
            },
            "cross_site" => Self::CrossSite,
            "forbidden" => Self::Forbidden,
            "internal" => Self::Internal,
            "unreachable" => Self::Unreachable,
            other => return Err(format!("unknown error kind `{other}`")),
        })
    }
}

impl FromServerFnError for AppError {
    type Encoder = crate::domain::wire::Wire;

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

#[cfg(test)]
mod tests {
    use super::AppError;
    use crate::domain::points::Points;

    /// One of each variant. The match has no wildcard, so a new variant does not compile until
    /// it is listed here too.
    fn one_of_each() -> Vec<AppError> {
        let all = vec![
            AppError::bad_request("Pick a date."),
            AppError::invalid("email", "That doesn't look like an email address."),
            AppError::not_found("That reward"),
            AppError::Unauthenticated,
            AppError::WrongCredentials,
            AppError::TooManyAttempts { minutes: 3 },
            AppError::RateLimited {
                retry_after_secs: 7,
            },
            AppError::Busy,
            AppError::AlreadyPressing,
            AppError::Overloaded,
            AppError::TooManySignUps { minutes: 1 },
            AppError::Unavailable,
            AppError::Conflict {
                message: "Used before.".into(),
            },
            AppError::ApiKey {
                message: "Unknown key.".into(),
            },
            AppError::PayloadTooLarge {
                message: "Too big.".into(),
            },
            AppError::SoldOut,
            AppError::NotEnoughPoints {
                needed: Points::new(500).unwrap(),
                have: Points::new(120).unwrap(),
            },
            AppError::LimitReached { limit: 2 },
            AppError::TierRequired {
                tier: "Gold".into(),
            },
            AppError::AudienceOnly,
            AppError::NotOpenYet {
                opens: "2026-12-01T14:00:00Z".into(),
                zone: "America/New_York".into(),
            },
            AppError::DropClosed,
            AppError::CannotCancel {
                message: "Too late.".into(),
            },
            AppError::CrossSite,
            AppError::Forbidden,
            AppError::Internal,
            AppError::Unreachable,
        ];
        for error in &all {
            match error {
                AppError::BadRequest { .. }
                | AppError::Invalid { .. }
                | AppError::NotFound { .. }
                | AppError::Unauthenticated
                | AppError::WrongCredentials
                | AppError::TooManyAttempts { .. }
                | AppError::RateLimited { .. }
                | AppError::Busy
                | AppError::AlreadyPressing
                | AppError::Overloaded
                | AppError::TooManySignUps { .. }
                | AppError::Unavailable
                | AppError::Conflict { .. }
                | AppError::ApiKey { .. }
                | AppError::PayloadTooLarge { .. }
                | AppError::SoldOut
                | AppError::NotEnoughPoints { .. }
                | AppError::LimitReached { .. }
                | AppError::TierRequired { .. }
                | AppError::AudienceOnly
                | AppError::NotOpenYet { .. }
                | AppError::DropClosed
                | AppError::CannotCancel { .. }
                | AppError::CrossSite
                | AppError::Forbidden
                | AppError::Internal
                | AppError::Unreachable => {}
            }
        }
        all
    }

    #[test]
    fn every_error_reads_back_as_the_same_error_from_its_tagged_json() {
        for error in one_of_each() {
            let json = serde_json::to_string(&error).unwrap();
            let back: AppError = serde_json::from_str(&json)
                .unwrap_or_else(|e| panic!("{json} did not read back: {e}"));
            assert_eq!(back, error, "{json}");
        }
    }

    /// What a reader of `locale` sees for `error` (as a request in that language would).
    fn message(locale: crate::domain::i18n::Locale, error: &AppError) -> String {
        crate::domain::i18n::CURRENT.sync_scope(locale, || error.to_string())
    }

    #[test]
    fn every_error_reads_in_english_and_in_spanish() {
        use crate::domain::i18n::Locale;
        for error in one_of_each() {
            let (en, es) = (message(Locale::En, &error), message(Locale::EsMx, &error));
            assert!(
                !en.contains("errors.") && !es.contains("errors."),
                "{en} / {es}"
            );
            // The six that carry their own text were written in the caller's language already.
            let own_text = matches!(
                error,
                AppError::BadRequest { .. }
                    | AppError::Invalid { .. }
                    | AppError::Conflict { .. }
                    | AppError::ApiKey { .. }
                    | AppError::PayloadTooLarge { .. }
                    | AppError::CannotCancel { .. }
            );
            assert!(
                own_text || en != es,
                "{error:?} reads the same in both: {en}"
            );
        }
        let short = AppError::NotEnoughPoints {
            needed: Points::new(12_500).unwrap(),
            have: Points::new(120).unwrap(),
        };
        assert_eq!(
            message(Locale::En, &short),
            "You need 12,380 more points for this reward: it costs 12,500 points and you have 120 points."
        );
        assert_eq!(
            message(Locale::EsMx, &short),
            "Te faltan 12,380 puntos para esta recompensa: cuesta 12,500 puntos y tienes 120 puntos."
        );
        assert_eq!(
            message(Locale::EsEs, &short),
            "Te faltan 12.380 puntos para esta recompensa: cuesta 12.500 puntos y tienes 120 puntos."
        );
        let one = AppError::TooManyAttempts { minutes: 1 };
        assert_eq!(
            message(Locale::EsMx, &one),
            "Demasiados intentos de inicio de sesión. Vuelve a intentarlo en 1 minuto."
        );
        let tier = AppError::TierRequired {
            tier: "Gold".into(),
        };
        assert_eq!(
            message(Locale::EsMx, &tier),
            "Esta recompensa es para miembros Oro o superior."
        );
        let opens = AppError::NotOpenYet {
            opens: "2026-12-03T14:00:00Z".into(),
            zone: "America/New_York".into(),
        };
        assert_eq!(
            message(Locale::En, &opens),
            "This drop opens at Thu 3 Dec, 09:00 EST."
        );
        assert_eq!(
            message(Locale::EsMx, &opens),
            "Este drop abre el jue 3 dic, 09:00 EST."
        );
    }

    #[test]
    fn errors_are_tagged_by_kind_on_the_wire() {
        let json = serde_json::to_value(AppError::LimitReached { limit: 2 }).unwrap();
        assert_eq!(
            json,
            serde_json::json!({ "kind": "limit_reached", "limit": 2 })
        );
    }

    #[test]
    fn an_error_missing_its_fields_or_of_an_unknown_kind_is_refused() {
        let missing = serde_json::from_str::<AppError>(r#"{"kind":"invalid","message":"x"}"#);
        assert!(missing.unwrap_err().to_string().contains("needs `field`"));
        let unknown = serde_json::from_str::<AppError>(r#"{"kind":"gremlins"}"#);
        assert!(
            unknown
                .unwrap_err()
                .to_string()
                .contains("unknown error kind `gremlins`")
        );
    }
}
