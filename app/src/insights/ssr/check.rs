//! The model check: the models fitted on purchases up to a cut-off date and compared with what
//! happened after it, as Fader, Hardie & Lee (2005) check theirs on CDNOW: the holdout's total,
//! the conditional expectations by number of repeat purchases, the calibration histogram, and
//! the weekly tracking of cumulative repeat purchases.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use sqlx::PgPool;

use super::bg_nbd::BgNbd;
use super::scores::{MemberDays, fit_models, purchase_days};
use super::summary::summarize;
use crate::AppError;
use crate::domain::i18n::tr;
use crate::insights::{
    BgNbdFit, CalibrationRow, FrequencyRow, GammaGammaFit, ModelCheck, TrackingWeek,
};

/// Rows of the histogram and the conditional expectations: 0, 1, …, 6 and "7+".
const BUCKETS: u32 = 8;

fn bucket_label(x: u32) -> String {
    if x + 1 == BUCKETS {
        format!("{x}+")
    } else {
        x.to_string()
    }
}

/// The check on members' purchase days (the store's calendar days).
pub fn check(members: &[MemberDays], cutoff: NaiveDate, end: NaiveDate) -> ModelCheck {
    let cohort: Vec<(&MemberDays, NaiveDate)> = members
        .iter()
        .filter_map(|m| Some((m, m.days.first().filter(|d| d.day <= cutoff)?.day)))
        .collect();
    let summaries: Vec<_> = cohort
        .iter()
        .filter_map(|(m, _)| summarize(&m.days, cutoff))
        .collect();
    let models = fit_models(&summaries);
    let holdout_weeks = (end - cutoff).num_days() as f64 / 7.0;
    let holdout = |m: &MemberDays| {
        m.days
            .iter()
            .filter(|d| d.day > cutoff && d.day <= end)
            .count() as u64
    };

    let mut by_x: BTreeMap<u32, (u64, u64, f64)> = BTreeMap::new();
    let mut calibration: Vec<(u64, f64)> = vec![(0, 0.0); BUCKETS as usize];
    let mut holdout_actual = 0;
    let mut holdout_expected = 0.0;
    for ((m, _), (h, _)) in cohort.iter().zip(&summaries) {
        let x = (h.x as u32).min(BUCKETS - 1);
        let actual = holdout(m);
        let expected = models.map_or(0.0, |ms| {
            ms.bg.model.expected_purchases_given(*h, holdout_weeks)
        });
        let row = by_x.entry(x).or_default();
        *row = (row.0 + 1, row.1 + actual, row.2 + expected);
        holdout_actual += actual;
        holdout_expected += expected;
        calibration[x as usize].0 += 1;
        if let Some(ms) = models {
            let mut below = 0.0;
            for k in 0..BUCKETS - 1 {
                let p = ms.bg.model.probability_of(k, h.age);
                calibration[k as usize].1 += p;
                below += p;
            }
            calibration[(BUCKETS - 1) as usize].1 += (1.0 - below).max(0.0);
        }
    }

    ModelCheck {
        cutoff,
        end,
        members: cohort.len() as u64,
        bg_nbd: models.map(|ms| BgNbdFit {
            r: ms.bg.model.r,
            alpha: ms.bg.model.alpha,
            a: ms.bg.model.a,
            b: ms.bg.model.b,
            log_likelihood: ms.bg.log_likelihood,
            members: ms.bg.members,
        }),
        gamma_gamma: models.and_then(|ms| ms.gg).map(|gg| GammaGammaFit {
            p: gg.model.p,
            q: gg.model.q,
            gamma: gg.model.gamma,
            log_likelihood: gg.log_likelihood,
            members: gg.members,
        }),
        holdout_weeks,
        holdout_actual,
        holdout_expected,
        by_frequency: by_x
            .into_iter()
            .map(|(x, (members, actual, expected))| FrequencyRow {
                repeat_purchases: bucket_label(x),
                members,
                actual: actual as f64 / members as f64,
                expected: expected / members as f64,
            })
            .collect(),
        calibration: calibration
            .into_iter()
            .enumerate()
            .map(|(x, (actual, expected))| CalibrationRow {
                repeat_purchases: bucket_label(x as u32),
                actual,
                expected,
            })
            .collect(),
        tracking: models.map_or_else(Vec::new, |ms| tracking(&cohort, &ms.bg.model, end)),
    }
}

/// Week by week from the cohort's first purchase to `end`: cumulative repeat purchase days,
/// actual, and expected from each member's first purchase day on (the paper's Figure 2).
fn tracking(cohort: &[(&MemberDays, NaiveDate)], bg: &BgNbd, end: NaiveDate) -> Vec<TrackingWeek> {
    let Some(start) = cohort.iter().map(|(_, first)| *first).min() else {
        return Vec::new();
    };
    // Members who started on the same day share their expectation: computed once per day.
    let mut starts: BTreeMap<NaiveDate, u64> = BTreeMap::new();
    for (_, first) in cohort {
        *starts.entry(*first).or_default() += 1;
    }
    let mut repeats: Vec<NaiveDate> = cohort
        .iter()
        .flat_map(|(m, _)| m.days.iter().skip(1).map(|d| d.day))
        .filter(|d| *d <= end)
        .collect();
    repeats.sort_unstable();
    let weeks = ((end - start).num_days() + 6) / 7;
    (1..=weeks)
        .map(|week| {
            let until = (start + chrono::Duration::days(week * 7)).min(end);
            let actual = repeats.partition_point(|d| *d <= until) as u64;
            let expected = starts
                .iter()
                .filter(|(first, _)| **first <= until)
                .map(|(first, n)| {
                    *n as f64 * bg.expected_purchases((until - *first).num_days() as f64 / 7.0)
                })
                .sum();
            TrackingWeek {
                week: week as u32,
                actual,
                expected,
            }
        })
        .collect()
}

/// A date a person typed ("YYYY-MM-DD"), or a message for `field` saying how to write it.
pub fn parse_day(field: &'static str, raw: &str) -> Result<NaiveDate, AppError> {
    NaiveDate::parse_from_str(raw.trim(), "%Y-%m-%d").map_err(|_| {
        AppError::invalid(
            field,
            tr().f("insights.check.not_a_date", &[("raw", raw.trim())]),
        )
    })
}

/// Two dates in order, the second not after `today`; `messages` say what is wrong when they
/// are out of order, and when the second is in the future (catalog keys).
pub fn parse_period(
    first: (&'static str, &str),
    second: (&'static str, &str),
    today: NaiveDate,
    messages: (&'static str, &'static str),
) -> Result<(NaiveDate, NaiveDate), AppError> {
    let tr = tr();
    let (from, to) = (parse_day(first.0, first.1)?, parse_day(second.0, second.1)?);
    if to <= from {
        return Err(AppError::invalid(second.0, tr.t(messages.0)));
    }
    if to > today {
        return Err(AppError::invalid(second.0, tr.t(messages.1)));
    }
    Ok((from, to))
}

/// Every member's purchase days up to the end of `end` in the store's zone.
pub async fn days_until(
    pool: &PgPool,
    store: &crate::infra::store::Store,
    end: NaiveDate,
) -> Result<Vec<MemberDays>, AppError> {
    let until = end
        .succ_opt()
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .and_then(|t| t.and_local_timezone(store.zone).earliest())
        .map(|t| t.with_timezone(&chrono::Utc))
        .ok_or_else(|| AppError::invalid("end", tr().t("insights.check.end_in_future")))?;
    purchase_days(pool, &store.info.time_zone, until).await
}

/// The check on the store's purchases: cut-off and end as dates in the store's zone
/// ("YYYY-MM-DD"), refused with a message if they are not dates, not in order, or the end is in
/// the future.
pub async fn model_check(pool: &PgPool, cutoff: &str, end: &str) -> Result<ModelCheck, AppError> {
    let store = crate::infra::store::load(pool).await?;
    let today = chrono::Utc::now().with_timezone(&store.zone).date_naive();
    let (cutoff, end) = parse_period(
        ("cutoff", cutoff),
        ("end", end),
        today,
        (
            "insights.check.end_before_cutoff",
            "insights.check.end_in_future",
        ),
    )?;
    let members = days_until(pool, &store, end).await?;
    crate::infra::background::low_priority("model check", move || check(&members, cutoff, end))
        .await
}
