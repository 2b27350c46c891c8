//! The insights page's figures, read from the scores the last run wrote and written as the
//! reader reads them.

use sqlx::PgPool;

use super::rfm::Segment;
use crate::AppError;
use crate::domain::i18n::{Tr, format_day, tr};
use crate::insights::{
    CohortRow, FitRow, InsightsView, MigrationRow, ModelCheckView, MovementView, SegmentRow,
    TrackingChart, ValuedMember,
};

fn percent(tr: Tr, share: f64) -> String {
    tr.f(
        "common.percent",
        &[("n", &tr.number((share * 100.0).round() as i64))],
    )
}

pub async fn insights(pool: &PgPool) -> Result<InsightsView, AppError> {
    let tr = tr();
    let store = crate::infra::store::load(pool).await?;
    let base = super::base::base(pool).await?;
    let Some(as_of) = base.as_of else {
        return Ok(InsightsView {
            as_of: tr.t("insights.none_yet").to_owned(),
            segments: Vec::new(),
            p_alive: Vec::new(),
            fits: Vec::new(),
            top: Vec::new(),
            slipping: Vec::new(),
        });
    };
    let all_members: i64 = base.segments.iter().map(|c| c.members).sum();
    let all_revenue: i64 = base.segments.iter().map(|c| c.revenue_12m_cents).sum();
    let segments = base
        .segments
        .iter()
        .map(|row| SegmentRow {
            code: row.segment.to_owned(),
            name: Segment::parse(row.segment)
                .map_or(row.segment, |s| s.label(tr))
                .to_owned(),
            members: tr.number(row.members),
            share: percent(tr, row.members as f64 / all_members.max(1) as f64),
            revenue_share: percent(tr, row.revenue_12m_cents as f64 / all_revenue.max(1) as f64),
        })
        .collect();
    let forecast: i64 = base.p_alive.iter().map(|b| b.members).sum();
    let p_alive = base
        .p_alive
        .iter()
        .map(|band| {
            [
                tr.f(
                    "insights.p_alive_band",
                    &[
                        ("from", &tr.number(i64::from(band.from_percent))),
                        ("to", &tr.number(i64::from(band.to_percent))),
                    ],
                ),
                tr.number(band.members),
                percent(tr, band.members as f64 / forecast.max(1) as f64),
            ]
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

    let valued = |m: &super::base::MemberValue| ValuedMember {
        id: m.member_id,
        name: m.name.clone(),
        segment: Segment::parse(&m.segment)
            .map_or_else(|| m.segment.clone(), |s| s.label(tr).to_owned()),
        p_alive: m.p_alive.map_or_else(String::new, |p| percent(tr, p)),
        // Only a change worth reading: "100% · was 100%" says nothing.
        was: match (m.p_alive, m.p_alive_before) {
            (Some(now), Some(before)) if (now - before).abs() >= 0.01 => {
                tr.f("insights.was", &[("p", &percent(tr, before))])
            }
            _ => String::new(),
        },
        clv: m.clv_cents.map_or_else(String::new, |c| store.money(c)),
    };
    Ok(InsightsView {
        as_of: tr.f(
            "insights.as_of",
            &[("date", &format_day(tr.locale(), as_of))],
        ),
        segments,
        p_alive,
        fits,
        top: base.top.iter().map(valued).collect(),
        slipping: base.slipping.iter().map(valued).collect(),
    })
}

/// `value` with `places` decimals as the reader writes them.
fn decimal(tr: Tr, value: f64, places: i16) -> String {
    let scaled = (value * 10_f64.powi(i32::from(places))).round() as i64;
    crate::domain::i18n::format_fixed(tr.locale(), scaled, places)
}

/// The model check as staff read it.
pub async fn model_check(
    pool: &PgPool,
    cutoff: &str,
    end: &str,
) -> Result<ModelCheckView, AppError> {
    let tr = tr();
    let check = super::check::model_check(pool, cutoff, end).await?;
    let number = |n: u64| tr.number(i64::try_from(n).unwrap_or(i64::MAX));
    let round = |x: f64| tr.number(x.round() as i64);
    let summary = tr.f(
        "insights.check.summary",
        &[
            ("members", &number(check.members)),
            ("cutoff", &format_day(tr.locale(), check.cutoff)),
            ("end", &format_day(tr.locale(), check.end)),
            ("weeks", &round(check.holdout_weeks)),
            ("actual", &number(check.holdout_actual)),
            ("expected", &round(check.holdout_expected)),
        ],
    );
    let mut fits = Vec::new();
    if let Some(bg) = &check.bg_nbd {
        fits.push(FitRow {
            model: tr.t("insights.model.bg_nbd").to_owned(),
            params: format!(
                "r = {}, α = {}, a = {}, b = {}",
                decimal(tr, bg.r, 4),
                decimal(tr, bg.alpha, 4),
                decimal(tr, bg.a, 4),
                decimal(tr, bg.b, 4)
            ),
            log_likelihood: decimal(tr, bg.log_likelihood, 2),
            members: number(bg.members),
        });
    }
    if let Some(gg) = &check.gamma_gamma {
        fits.push(FitRow {
            model: tr.t("insights.model.gamma_gamma").to_owned(),
            params: format!(
                "p = {}, q = {}, γ = {}",
                decimal(tr, gg.p, 4),
                decimal(tr, gg.q, 4),
                decimal(tr, gg.gamma, 4)
            ),
            log_likelihood: decimal(tr, gg.log_likelihood, 2),
            members: number(gg.members),
        });
    }
    let chart = tracking_chart(&check);
    Ok(ModelCheckView {
        summary,
        fits,
        chart,
        tracking: check
            .tracking
            .iter()
            .map(|w| {
                [
                    tr.number(w.week.into()),
                    number(w.actual),
                    round(w.expected),
                ]
            })
            .collect(),
        calibration: check
            .calibration
            .iter()
            .map(|r| {
                [
                    r.repeat_purchases.clone(),
                    number(r.actual),
                    decimal(tr, r.expected, 1),
                ]
            })
            .collect(),
        by_frequency: check
            .by_frequency
            .iter()
            .map(|r| {
                [
                    r.repeat_purchases.clone(),
                    number(r.members),
                    decimal(tr, r.actual, 2),
                    decimal(tr, r.expected, 2),
                ]
            })
            .collect(),
    })
}

/// The chart's size in SVG units; the page scales it to the screen.
const CHART_WIDTH: f64 = 600.0;
const CHART_HEIGHT: f64 = 240.0;

fn tracking_chart(check: &crate::insights::ModelCheck) -> Option<TrackingChart> {
    let weeks = check.tracking.len();
    if weeks < 2 {
        return None;
    }
    let top = check
        .tracking
        .iter()
        .map(|w| (w.actual as f64).max(w.expected))
        .fold(1.0, f64::max);
    let x = |i: usize| i as f64 * CHART_WIDTH / (weeks - 1) as f64;
    let y = |v: f64| CHART_HEIGHT - v / top * CHART_HEIGHT;
    let line = |value: &dyn Fn(&crate::insights::TrackingWeek) -> f64| {
        check
            .tracking
            .iter()
            .enumerate()
            .map(|(i, w)| format!("{:.1},{:.1}", x(i), y(value(w))))
            .collect::<Vec<_>>()
            .join(" ")
    };
    // The cut-off falls after the calibration weeks: those ending on or before it.
    let first = check.end - chrono::Duration::days(7 * weeks as i64);
    let calibration_weeks =
        ((check.cutoff - first).num_days() as f64 / 7.0).clamp(0.0, weeks as f64);
    Some(TrackingChart {
        actual: line(&|w| w.actual as f64),
        expected: line(&|w| w.expected),
        cutoff_x: format!("{:.1}", calibration_weeks / weeks as f64 * CHART_WIDTH),
        top: tr().number(top.round() as i64),
    })
}

/// Members moving between segments, and retention by month of first purchase.
/// How members moved between `from` and `to` (by default the last 90 days), as figures: the
/// dates, the migration matrix and the cohorts.
pub async fn movement_figures(
    pool: &PgPool,
    from: Option<&str>,
    to: Option<&str>,
) -> Result<super::movement::Movement, AppError> {
    use super::movement::{Movement, cohorts, migration};
    let store = crate::infra::store::load(pool).await?;
    let today = chrono::Utc::now().with_timezone(&store.zone).date_naive();
    let default_from = (today - chrono::Duration::days(90))
        .format("%Y-%m-%d")
        .to_string();
    let default_to = today.format("%Y-%m-%d").to_string();
    let (from, to) = super::check::parse_period(
        ("from", from.unwrap_or(&default_from)),
        ("to", to.unwrap_or(&default_to)),
        today,
        (
            "insights.movement.to_before_from",
            "insights.movement.to_in_future",
        ),
    )?;
    let members = super::check::days_until(pool, &store, to).await?;
    crate::infra::background::low_priority("movement", move || Movement {
        from,
        to,
        migration: migration(&members, from, to),
        cohorts: cohorts(&members, to),
    })
    .await
}

pub async fn movement(
    pool: &PgPool,
    from: Option<&str>,
    to: Option<&str>,
) -> Result<MovementView, AppError> {
    let tr = tr();
    let super::movement::Movement {
        from,
        to,
        migration: rows,
        cohorts,
    } = movement_figures(pool, from, to).await?;
    let share = |part: u64, whole: u64| percent(tr, part as f64 / whole.max(1) as f64);
    let rows = rows
        .into_iter()
        .map(|(segment, cells)| {
            let total: u64 = cells.iter().sum();
            MigrationRow {
                name: segment.map_or_else(
                    || tr.t("insights.movement.not_yet").to_owned(),
                    |s| s.label(tr).to_owned(),
                ),
                total: tr.number(total as i64),
                cells: cells
                    .iter()
                    .map(|n| format!("{} ({})", tr.number(*n as i64), share(*n, total)))
                    .collect(),
            }
        })
        .collect();
    let longest = cohorts.iter().map(|c| c.active.len()).max().unwrap_or(0);
    Ok(MovementView {
        from: from.format("%Y-%m-%d").to_string(),
        to: to.format("%Y-%m-%d").to_string(),
        caption: tr.f(
            "insights.movement.caption",
            &[
                ("from", &format_day(tr.locale(), from)),
                ("to", &format_day(tr.locale(), to)),
            ],
        ),
        columns: Segment::ALL
            .iter()
            .map(|s| s.label(tr).to_owned())
            .collect(),
        rows,
        months: (0..longest)
            .map(|k| tr.f("insights.cohorts.month", &[("n", &tr.number(k as i64))]))
            .collect(),
        cohorts: cohorts
            .into_iter()
            .map(|c| CohortRow {
                month: crate::domain::i18n::format_month(tr.locale(), c.month),
                members: tr.number(c.members as i64),
                cells: c
                    .active
                    .iter()
                    .map(|n| {
                        let part = *n as f64 / c.members.max(1) as f64;
                        (percent(tr, part), (part * 5.0).round() as u8)
                    })
                    .collect(),
            })
            .collect(),
    })
}
