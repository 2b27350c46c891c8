//! Values as the app's clients write them: a purchase from a till, a time typed in a form.

use chrono::{DateTime, Duration, NaiveDate, Utc};

/// A purchase body for `member_id`, for the earning API.
pub fn purchase(member_id: i64, external_id: &str, amount: &str) -> String {
    serde_json::json!({
        "member_id": member_id,
        "external_id": external_id,
        "amount": amount,
        "currency": "USD",
        "purchased_at": (Utc::now() - Duration::minutes(1)).to_rfc3339(),
    })
    .to_string()
}

/// `at` as a `datetime-local` value in the test store's zone (America/New_York).
pub fn store_local(at: DateTime<Utc>) -> String {
    at.with_timezone(&chrono_tz::America::New_York)
        .format("%Y-%m-%dT%H:%M")
        .to_string()
}

/// Today in the test store's zone (America/New_York): the day staff's date fields mean. Late in
/// New York's evening UTC is already on the next day, which the store calls the future.
pub fn store_today() -> NaiveDate {
    Utc::now()
        .with_timezone(&chrono_tz::America::New_York)
        .date_naive()
}
