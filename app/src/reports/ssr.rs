use axum::extract::{Path, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Duration, Utc};
use tower_sessions::Session;

use super::{Bar, DropReport, ItemReport, Suspect};
use crate::AppError;
use crate::domain::account::Tier;
use crate::domain::drop_state::DropState;
use crate::domain::i18n::{Locale, tr};
use crate::domain::points::Points;
use crate::infra::caller::Staff;
use crate::infra::state::AppState;

/// Attempts within one second from one account that look like a script rather than a thumb.
pub const ACCOUNT_BURST: i64 = 5;
/// The same for one address; higher, because a shop's or an office's members share one.
pub const ADDRESS_BURST: i64 = 20;
/// About this many bars in the chart.
const BARS: i64 = 30;

/// A bucket width that reads well on an axis: the smallest of these that gives at most `BARS`.
fn bucket_secs(span_secs: i64) -> i64 {
    const NICE: [i64; 12] = [1, 5, 10, 30, 60, 300, 600, 900, 1800, 3600, 6 * 3600, 86400];
    NICE.into_iter()
        .find(|b| span_secs / b < BARS)
        .unwrap_or(86400)
}

fn describe_secs(secs: i64) -> String {
    let tr = tr();
    match secs {
        s if s < 60 => tr.count("reports.bucket.seconds", s, &[]),
        s if s < 3600 => tr.count("reports.bucket.minutes", s / 60, &[]),
        s if s < 86400 => tr.count("reports.bucket.hours", s / 3600, &[]),
        _ => tr.count("reports.bucket.days", 1, &[]),
    }
}

/// "2 min 13 s".
fn elapsed(d: Duration) -> String {
    let s = d.num_seconds().max(0);
    match s {
        s if s < 60 => format!("{s} s"),
        s if s < 3600 => format!("{} min {} s", s / 60, s % 60),
        s => format!("{} h {} min", s / 3600, (s % 3600) / 60),
    }
}

fn outcome_label(outcome: &str) -> &'static str {
    let tr = tr();
    match outcome {
        "sold_out" => tr.t("reports.outcomes.sold_out"),
        "not_enough_points" => tr.t("reports.outcomes.not_enough_points"),
        "limit_reached" => tr.t("reports.outcomes.limit_reached"),
        "tier_required" => tr.t("reports.outcomes.tier_required"),
        "audience_only" => tr.t("reports.outcomes.audience_only"),
        "not_open" => tr.t("reports.outcomes.not_open"),
        "closed" => tr.t("reports.outcomes.closed"),
        "busy" => tr.t("reports.outcomes.busy"),
        "repeated" => tr.t("reports.outcomes.repeated"),
        _ => tr.t("reports.outcomes.unknown"),
    }
}

/// The start of a chart bar in the store's zone: `09:02:10`, or with the weekday for wide bars
/// (`Thu 09:00`, `jue 09:00`).
fn bar_label(locale: Locale, at: DateTime<chrono_tz::Tz>, with_day: bool) -> String {
    if !with_day {
        return at.format("%H:%M:%S").to_string();
    }
    let chrono_locale = match locale {
        Locale::En => return at.format("%a %H:%M").to_string(),
        Locale::EsMx => chrono::Locale::es_MX,
        Locale::EsEs => chrono::Locale::es_ES,
    };
    // chrono's Spanish abbreviations end in a full stop ("jue."); dates here drop it.
    at.format_localized("%a %H:%M", chrono_locale)
        .to_string()
        .replace('.', "")
}

pub async fn report(
    pool: &sqlx::PgPool,
    id: i64,
    now: DateTime<Utc>,
) -> Result<DropReport, AppError> {
    let tr = tr();
    let store = crate::infra::store::load(pool).await?;
    let drop = sqlx::query!(
        r#"SELECT title, starts_at, ends_at, cancelled_at IS NOT NULL AS "cancelled!" FROM drops WHERE id = $1"#,
        id
    )
    .fetch_optional(pool)
    .await?
    .ok_or_else(|| AppError::not_found(tr.t("reports.that_drop")))?;
    let state = if drop.cancelled {
        DropState::Cancelled
    } else if now < drop.starts_at {
        DropState::Scheduled
    } else if now < drop.ends_at {
        DropState::Live
    } else {
        DropState::Ended
    };

    let totals = sqlx::query!(
        r#"SELECT count(*) AS "redemptions!", count(DISTINCT x.account_id) AS "unique!",
                  COALESCE(sum(x.points), 0)::bigint AS "points!",
                  min(x.created_at) AS first, max(x.created_at) AS last
           FROM redemptions x JOIN drop_items di ON di.id = x.drop_item_id
           WHERE di.drop_id = $1 AND x.status = 'confirmed'"#,
        id
    )
    .fetch_one(pool)
    .await?;
    let attempts = sqlx::query_scalar!(
        r#"SELECT count(*) AS "n!" FROM redemption_attempts ra JOIN drop_items di ON di.id = ra.drop_item_id
           WHERE di.drop_id = $1"#,
        id
    )
    .fetch_one(pool)
    .await?;

    let items = sqlx::query!(
        r#"SELECT r.title, di.quantity, di.remaining,
                  (SELECT count(*) FROM redemptions x WHERE x.drop_item_id = di.id AND x.status = 'confirmed') AS "redeemed!",
                  (SELECT max(x.created_at) FROM redemptions x WHERE x.drop_item_id = di.id AND x.status = 'confirmed') AS last
           FROM drop_items di JOIN rewards r ON r.id = di.reward_id
           WHERE di.drop_id = $1 ORDER BY r.title"#,
        id
    )
    .fetch_all(pool)
    .await?
    .into_iter()
    .map(|r| ItemReport {
        sell_out: match (r.remaining, r.last) {
            (0, Some(last)) => tr.f(
                "reports.sold_out_after",
                &[
                    ("after", &elapsed(last - drop.starts_at)),
                    ("at", &store.format_time(last)),
                ],
            ),
            (left, _) => tr.count("reports.left", left.into(), &[]),
        },
        title: r.title,
        quantity: r.quantity,
        redeemed: r.redeemed,
    })
    .collect();

    // The chart covers the activity: from the opening (or the first early-access redemption) to
    // the last redemption.
    let (bucket, timeline) = match (totals.first, totals.last) {
        (Some(first), Some(last)) => {
            let start = first.min(drop.starts_at);
            let span = (last - start).num_seconds().max(1);
            let width = bucket_secs(span);
            let counts = sqlx::query!(
                r#"SELECT (floor(extract(epoch FROM (x.created_at - $2)) / $3))::bigint AS "bucket!", count(*) AS "n!"
                   FROM redemptions x JOIN drop_items di ON di.id = x.drop_item_id
                   WHERE di.drop_id = $1 AND x.status = 'confirmed'
                   GROUP BY 1 ORDER BY 1"#,
                id,
                start,
                width as f64
            )
            .fetch_all(pool)
            .await?;
            let bars = (0..=span / width)
                .map(|b| Bar {
                    label: bar_label(
                        tr.locale(),
                        (start + Duration::seconds(b * width)).with_timezone(&store.zone),
                        width >= 60,
                    ),
                    count: counts.iter().find(|c| c.bucket == b).map_or(0, |c| c.n),
                })
                .collect();
            (describe_secs(width), bars)
        }
        _ => (String::new(), Vec::new()),
    };

    let by_tier = sqlx::query!(
        r#"SELECT t.name, count(DISTINCT x.account_id) AS "n!"
           FROM redemptions x JOIN drop_items di ON di.id = x.drop_item_id
           JOIN accounts a ON a.id = x.account_id JOIN tiers t ON t.code = a.tier
           WHERE di.drop_id = $1 AND x.status = 'confirmed'
           GROUP BY t.name, t.rank ORDER BY t.rank"#,
        id
    )
    .fetch_all(pool)
    .await?
    .into_iter()
    .map(|r| {
        let name = Tier::parse_name(&r.name).map_or(r.name, |t| t.label(tr).to_owned());
        (name, r.n)
    })
    .collect();

    let failures = sqlx::query!(
        r#"SELECT ra.outcome, count(*) AS "n!"
           FROM redemption_attempts ra JOIN drop_items di ON di.id = ra.drop_item_id
           WHERE di.drop_id = $1 AND ra.outcome <> 'redeemed'
           GROUP BY ra.outcome ORDER BY 2 DESC"#,
        id
    )
    .fetch_all(pool)
    .await?
    .into_iter()
    .map(|r| (outcome_label(&r.outcome).to_owned(), r.n))
    .collect();

    let suspects = sqlx::query!(
        r#"WITH per_second AS (
               SELECT 'Account' AS kind, a.email AS who, date_trunc('second', ra.at) AS s, count(*) AS n
               FROM redemption_attempts ra JOIN drop_items di ON di.id = ra.drop_item_id
               JOIN accounts a ON a.id = ra.account_id
               WHERE di.drop_id = $1 GROUP BY a.email, 3
               UNION ALL
               SELECT 'Address', ra.client_ip, date_trunc('second', ra.at), count(*)
               FROM redemption_attempts ra JOIN drop_items di ON di.id = ra.drop_item_id
               WHERE di.drop_id = $1 GROUP BY ra.client_ip, 3
           )
           SELECT kind AS "kind!", who AS "who!", max(n) AS "peak!", sum(n)::bigint AS "attempts!"
           FROM per_second GROUP BY kind, who
           HAVING max(n) >= CASE kind WHEN 'Account' THEN $2::bigint ELSE $3::bigint END
           ORDER BY 3 DESC, 2 LIMIT 50"#,
        id,
        ACCOUNT_BURST,
        ADDRESS_BURST
    )
    .fetch_all(pool)
    .await?
    .into_iter()
    .map(|r| Suspect {
        kind: match r.kind.as_str() {
            "Account" => tr.t("reports.suspects.account").to_owned(),
            _ => tr.t("reports.suspects.address").to_owned(),
        },
        who: r.who,
        peak_per_second: r.peak,
        attempts: r.attempts,
    })
    .collect();

    Ok(DropReport {
        drop_id: id,
        title: drop.title,
        state,
        window: format!(
            "{} – {}",
            store.format_time(drop.starts_at),
            store.format_time(drop.ends_at)
        ),
        redemptions: totals.redemptions,
        unique_redeemers: totals.unique,
        attempts,
        points_spent: Points::new(totals.points)?,
        items,
        bucket,
        timeline,
        by_tier,
        failures,
        suspects,
    })
}

/// `GET /staff/drops/{id}/report.csv`: one line per redemption. Staff only, like the page.
pub async fn csv(State(state): State<AppState>, session: Session, Path(id): Path<i64>) -> Response {
    match csv_inner(state, session, id).await {
        Ok(body) => (
            [
                (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_owned()),
                (
                    header::CONTENT_DISPOSITION,
                    format!(
                        "attachment; filename=\"{}\"",
                        tr().f("reports.csv.filename", &[("id", &id.to_string())])
                    ),
                ),
                (header::CACHE_CONTROL, "no-store".to_owned()),
            ],
            body,
        )
            .into_response(),
        Err(error) => error.into_response(),
    }
}

async fn csv_inner(state: AppState, session: Session, id: i64) -> Result<String, AppError> {
    let caller = crate::infra::caller::authorize_session::<Staff>(state, session).await?;
    let pool = caller.pool();
    let store = crate::infra::store::load(pool).await?;
    sqlx::query_scalar!("SELECT id FROM drops WHERE id = $1", id)
        .fetch_optional(pool)
        .await?
        .ok_or_else(|| AppError::not_found(tr().t("reports.that_drop")))?;
    let rows = sqlx::query!(
        r#"SELECT x.code, r.title, a.email, t.name AS tier, x.points, x.status, x.created_at, x.cancelled_at
           FROM redemptions x JOIN drop_items di ON di.id = x.drop_item_id
           JOIN rewards r ON r.id = di.reward_id
           JOIN accounts a ON a.id = x.account_id JOIN tiers t ON t.code = a.tier
           WHERE di.drop_id = $1 ORDER BY x.created_at, x.id"#,
        id
    )
    .fetch_all(pool)
    .await?;
    let local = |at: DateTime<Utc>| {
        at.with_timezone(&store.zone)
            .format("%Y-%m-%d %H:%M:%S %Z")
            .to_string()
    };
    let lines: Vec<[String; 8]> = rows
        .into_iter()
        .map(|r| {
            [
                r.code,
                r.title,
                r.email,
                r.tier,
                r.points.to_string(),
                r.status,
                local(r.created_at),
                r.cancelled_at.map(local).unwrap_or_default(),
            ]
        })
        .collect();
    crate::infra::csv::text(
        {
            let tr = tr();
            [
                tr.t("reports.csv.code"),
                tr.t("reports.csv.reward"),
                tr.t("reports.csv.member"),
                tr.t("reports.csv.tier"),
                tr.t("reports.csv.points"),
                tr.t("reports.csv.status"),
                tr.t("reports.csv.redeemed_at"),
                tr.t("reports.csv.cancelled_at"),
            ]
        },
        &lines,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buckets_keep_the_chart_to_about_thirty_bars() {
        assert_eq!(bucket_secs(20), 1);
        assert_eq!(bucket_secs(100), 5);
        assert_eq!(bucket_secs(3600), 300);
        assert_eq!(bucket_secs(2 * 86400), 6 * 3600);
    }
}
