//! The insights page's figures, read from the scores the last run wrote and written as the
//! reader reads them.

use sqlx::PgPool;

use super::rfm::Segment;
use crate::AppError;
use crate::domain::i18n::{Tr, tr};
use crate::insights::{FitRow, InsightsView, SegmentRow, ValuedMember};

/// Members in each list.
const LIST_LENGTH: i64 = 10;

fn percent(tr: Tr, share: f64) -> String {
    tr.f(
        "common.percent",
        &[("n", &tr.number((share * 100.0).round() as i64))],
    )
}

pub async fn insights(pool: &PgPool) -> Result<InsightsView, AppError> {
    let tr = tr();
    let store = crate::infra::store::load(pool).await?;
    let as_of = sqlx::query_scalar!("SELECT max(as_of) FROM member_scores")
        .fetch_one(pool)
        .await?;
    let Some(as_of) = as_of else {
        return Ok(InsightsView {
            as_of: tr.t("insights.none_yet").to_owned(),
            segments: Vec::new(),
            fits: Vec::new(),
            top: Vec::new(),
            slipping: Vec::new(),
        });
    };

    // Revenue: the last 12 months' purchases of each segment's members.
    let counts = sqlx::query!(
        r#"SELECT s.segment, count(*) AS "members!",
                  COALESCE(sum((SELECT sum(p.amount_cents) FROM purchases p
                                 WHERE p.account_id = s.account_id AND p.refunded_at IS NULL
                                   AND p.purchased_at > now() - interval '12 months')), 0)::bigint AS "revenue!"
           FROM member_scores s GROUP BY s.segment"#
    )
    .fetch_all(pool)
    .await?;
    let all_members: i64 = counts.iter().map(|c| c.members).sum();
    let all_revenue: i64 = counts.iter().map(|c| c.revenue).sum();
    let segments = Segment::ALL
        .iter()
        .map(|segment| {
            let row = counts.iter().find(|c| c.segment == segment.code());
            let (members, revenue) = row.map_or((0, 0), |r| (r.members, r.revenue));
            SegmentRow {
                code: segment.code().to_owned(),
                name: segment.label(tr).to_owned(),
                members: tr.number(members),
                share: percent(tr, members as f64 / all_members.max(1) as f64),
                revenue_share: percent(tr, revenue as f64 / all_revenue.max(1) as f64),
            }
        })
        .collect();

    let fits = sqlx::query!(
        r#"SELECT DISTINCT ON (model) model, params, log_likelihood, members
           FROM model_fits ORDER BY model, fitted_at DESC, id DESC"#
    )
    .fetch_all(pool)
    .await?
    .into_iter()
    .map(|f| {
        let params = f
            .params
            .as_object()
            .map(|o| {
                o.iter()
                    .map(|(k, v)| {
                        let value = v.as_f64().unwrap_or(f64::NAN);
                        format!("{k} = {}", decimal(tr, value, 4))
                    })
                    .collect::<Vec<_>>()
                    .join(", ")
            })
            .unwrap_or_default();
        FitRow {
            model: match f.model.as_str() {
                "bg_nbd" => tr.t("insights.model.bg_nbd").to_owned(),
                _ => tr.t("insights.model.gamma_gamma").to_owned(),
            },
            params,
            log_likelihood: decimal(tr, f.log_likelihood, 2),
            members: tr.number(f.members),
        }
    })
    .collect();

    let valued = |r: (i64, String, String, Option<f64>, Option<i64>)| {
        let (id, name, segment, p_alive, clv) = r;
        ValuedMember {
            id,
            name,
            segment: Segment::parse(&segment).map_or(segment, |s| s.label(tr).to_owned()),
            p_alive: p_alive.map_or_else(String::new, |p| percent(tr, p)),
            clv: clv.map_or_else(String::new, |c| store.money(c)),
        }
    };
    let top = sqlx::query!(
        r#"SELECT a.id, a.display_name, s.segment, s.p_alive, s.clv_cents
           FROM member_scores s JOIN accounts a ON a.id = s.account_id
           WHERE s.clv_cents IS NOT NULL ORDER BY s.clv_cents DESC, a.id LIMIT $1"#,
        LIST_LENGTH
    )
    .fetch_all(pool)
    .await?
    .into_iter()
    .map(|r| valued((r.id, r.display_name, r.segment, r.p_alive, r.clv_cents)))
    .collect();
    let slipping = sqlx::query!(
        r#"WITH ranked AS (
               SELECT account_id, segment, p_alive, clv_cents,
                      percent_rank() OVER (ORDER BY clv_cents) AS value_rank
               FROM member_scores WHERE clv_cents IS NOT NULL)
           SELECT a.id, a.display_name, r.segment, r.p_alive, r.clv_cents
           FROM ranked r JOIN accounts a ON a.id = r.account_id
           WHERE r.value_rank >= 0.8 AND r.p_alive < 0.5
           ORDER BY r.clv_cents DESC, a.id LIMIT $1"#,
        LIST_LENGTH
    )
    .fetch_all(pool)
    .await?
    .into_iter()
    .map(|r| valued((r.id, r.display_name, r.segment, r.p_alive, r.clv_cents)))
    .collect();

    Ok(InsightsView {
        as_of: tr.f(
            "insights.as_of",
            &[("date", &crate::domain::i18n::format_day(tr.locale(), as_of))],
        ),
        segments,
        fits,
        top,
        slipping,
    })
}

/// `value` with `places` decimals as the reader writes them.
fn decimal(tr: Tr, value: f64, places: i16) -> String {
    let scaled = (value * 10_f64.powi(i32::from(places))).round() as i64;
    crate::domain::i18n::format_fixed(tr.locale(), scaled, places)
}
