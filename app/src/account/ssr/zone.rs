//! The member's time zone: saved with the account (mail is written in it), and carried to
//! each device in the `bazaar_zone` cookie, which the server's language middleware reads so
//! every page's times are written in it.

use crate::AppError;
use crate::domain::i18n::tr;
use crate::infra::caller::Member;

/// Saves the zone the member chose: an IANA name (`America/Mexico_City`), or empty for the
/// store's. A name that is not a time zone is refused and nothing is saved.
pub async fn set_time_zone(caller: &Member, zone: &str) -> Result<(), AppError> {
    let zone = match zone.trim() {
        "" => None,
        name => Some(
            name.parse::<chrono_tz::Tz>()
                .map_err(|_| AppError::invalid("time_zone", tr().t("account.zone.unknown")))?,
        ),
    };
    sqlx::query!(
        "UPDATE accounts SET time_zone = $2 WHERE id = $1",
        caller.account().id,
        zone.map(|z| z.name())
    )
    .execute(caller.pool())
    .await?;
    remember_zone(caller.state(), zone.map(|z| z.name()));
    Ok(())
}

/// Sets (or, with `None`, clears) the zone cookie on the response being made.
pub fn remember_zone(state: &crate::infra::state::AppState, zone: Option<&str>) {
    let cookie = crate::domain::i18n::remember_zone(zone, state.config.https);
    if let (Some(response), Ok(value)) = (
        leptos::prelude::use_context::<leptos_axum::ResponseOptions>(),
        axum::http::HeaderValue::from_str(&cookie),
    ) {
        response.append_header(axum::http::header::SET_COOKIE, value);
    }
}
