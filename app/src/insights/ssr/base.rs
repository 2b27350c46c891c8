//! The member base now, as figures: what the insights page writes for staff and what BI tools
//! read as JSON (`GET /api/v1/insights/members`). Read from the scores the last run wrote.

use chrono::NaiveDate;
use serde::Serialize;
use sqlx::PgPool;

use super::rfm::Segment;
use crate::AppError;

/// Members in each list.
pub const LIST_LENGTH: i64 = 10;
/// "Falling" compares with the weekly snapshot at least this many days older than the scores…
pub const TREND_DAYS: i64 = 28;
/// …and means P(alive) lower by at least this much.
pub const FALL: f64 = 0.1;

#[derive(Debug, Clone, Serialize)]
pub struct SegmentFigures {
    /// The segment's code: `champions`, `loyal`, `potential_loyalist`, `new`,
    /// `need_attention`, `at_risk`, `hibernating`, `lost`.
    pub segment: &'static str,
    pub members: i64,
    /// The segment's members' purchases over the last 12 months, refunds excluded.
    pub revenue_12m_cents: i64,
}

/// Members whose P(alive) is in `[from, to)` percent (the last band includes 100).
#[derive(Debug, Clone, Serialize)]
pub struct PAliveBand {
    pub from_percent: u8,
    pub to_percent: u8,
    pub members: i64,
}

#[derive(Debug, Clone, Serialize)]
pub struct MemberValue {
    pub member_id: i64,
    pub name: String,
    pub segment: String,
    pub p_alive: Option<f64>,
    /// P(alive) in the snapshot the trend compares with (`compared_with`), when there is one.
    pub p_alive_before: Option<f64>,
    pub clv_cents: Option<i64>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Base {
    /// The day the scores are as of; `None` before the first run.
    pub as_of: Option<NaiveDate>,
    /// The weekly snapshot "falling" compares with, when one is old enough.
    pub compared_with: Option<NaiveDate>,
    pub segments: Vec<SegmentFigures>,
    /// Ten bands of P(alive), members with a forecast only.
    pub p_alive: Vec<PAliveBand>,
    /// The members with the highest lifetime value.
    pub top: Vec<MemberValue>,
    /// Valuable and slipping away: in the top fifth by lifetime value, with P(alive) fallen
    /// by at least [`FALL`] since `compared_with` (or, before a snapshot that old exists,
    /// more likely gone than not).
    pub slipping: Vec<MemberValue>,
}

pub async fn base(pool: &PgPool) -> Result<Base, AppError> {
    let as_of = sqlx::query_scalar!("SELECT max(as_of) FROM member_scores")
        .fetch_one(pool)
        .await?;
    let Some(as_of) = as_of else {
        return Ok(Base {
            as_of: None,
            compared_with: None,
            segments: Vec::new(),
            p_alive: Vec::new(),
            top: Vec::new(),
            slipping: Vec::new(),
        });
    };
    let counts = sqlx::query!(
        r#"SELECT s.segment, count(*) AS "members!",
                  COALESCE(sum((SELECT sum(p.amount_cents) FROM purchases p
                                 WHERE p.account_id = s.account_id AND p.refunded_at IS NULL
                                   AND p.purchased_at > now() - interval '12 months')), 0)::bigint AS "revenue!"
           FROM member_scores s GROUP BY s.segment"#
    )
    .fetch_all(pool)
    .await?;
    let segments = Segment::ALL
        .iter()
        .map(|segment| {
            let row = counts.iter().find(|c| c.segment == segment.code());
            SegmentFigures {
                segment: segment.code(),
                members: row.map_or(0, |r| r.members),
                revenue_12m_cents: row.map_or(0, |r| r.revenue),
            }
        })
        .collect();
    let bands = sqlx::query!(
        r#"SELECT least(floor(p_alive * 10), 9)::int AS "band!", count(*) AS "members!"
           FROM member_scores WHERE p_alive IS NOT NULL GROUP BY 1"#
    )
    .fetch_all(pool)
    .await?;
    let p_alive = if bands.is_empty() {
        Vec::new()
    } else {
        (0..10_u8)
            .map(|band| PAliveBand {
                from_percent: band * 10,
                to_percent: band * 10 + 10,
                members: bands
                    .iter()
                    .find(|b| b.band == i32::from(band))
                    .map_or(0, |b| b.members),
            })
            .collect()
    };
    let compared_with = sqlx::query_scalar!(
        "SELECT max(week) FROM member_score_snapshots WHERE week <= $1",
        as_of - chrono::Duration::days(TREND_DAYS)
    )
    .fetch_one(pool)
    .await?;
    let top = sqlx::query_as!(
        MemberValue,
        r#"SELECT a.id AS member_id, a.display_name AS name, s.segment, s.p_alive,
                  b.p_alive AS p_alive_before, s.clv_cents
           FROM member_scores s JOIN accounts a ON a.id = s.account_id
           LEFT JOIN member_score_snapshots b ON b.account_id = s.account_id AND b.week = $2
           WHERE s.clv_cents IS NOT NULL ORDER BY s.clv_cents DESC, a.id LIMIT $1"#,
        LIST_LENGTH,
        compared_with
    )
    .fetch_all(pool)
    .await?;
    let slipping = sqlx::query_as!(
        MemberValue,
        r#"WITH ranked AS (
               SELECT account_id, segment, p_alive, clv_cents,
                      percent_rank() OVER (ORDER BY clv_cents) AS value_rank
               FROM member_scores WHERE clv_cents IS NOT NULL)
           SELECT a.id AS member_id, a.display_name AS name, r.segment, r.p_alive,
                  b.p_alive AS p_alive_before, r.clv_cents
           FROM ranked r JOIN accounts a ON a.id = r.account_id
           LEFT JOIN member_score_snapshots b ON b.account_id = r.account_id AND b.week = $2
           WHERE r.value_rank >= 0.8
             AND CASE WHEN $2::date IS NULL THEN r.p_alive < 0.5
                      ELSE r.p_alive <= b.p_alive - $3 END
           ORDER BY r.clv_cents DESC, a.id LIMIT $1"#,
        LIST_LENGTH,
        compared_with,
        FALL
    )
    .fetch_all(pool)
    .await?;
    Ok(Base {
        as_of: Some(as_of),
        compared_with,
        segments,
        p_alive,
        top,
        slipping,
    })
}
