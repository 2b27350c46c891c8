//! Every member's scores: RFM quintiles and segment, and the models' forecasts (expected
//! purchases in the next 90 days, P(alive), expected spend per purchase, lifetime value).
//! Recomputed nightly and when staff ask, by one server at a time, written in batches to
//! `member_scores` (never to `accounts`, whose rows the redemption writer locks), with a weekly
//! copy kept for a year.

use std::collections::HashMap;
use std::time::Instant;

use chrono::{DateTime, Datelike, Duration, NaiveDate, Utc};
use sqlx::{Connection, PgConnection, PgPool};

use super::bg_nbd::{BgNbd, History};
use super::fit::Fitted;
use super::gamma_gamma::{GammaGamma, Spend};
use super::rfm::{RfmInput, Segment, score};
use super::summary::{PurchaseDay, lifetime_value, summarize};
use crate::AppError;

/// Members with at least one repeat purchase the models need before their forecast means
/// anything; with fewer, scores carry RFM only.
pub const MIN_REPEAT_MEMBERS: usize = 20;
/// The forecast horizon shown as "expected purchases", in weeks (90 days).
const NEXT_90_DAYS_WEEKS: f64 = 90.0 / 7.0;
/// Rows per write: small enough that each statement is brief, large enough to be quick.
const WRITE_BATCH: usize = 2_000;
/// Members' ids per page of the nightly run's reads and weekly copy.
const PAGE_MEMBERS: i64 = 5_000;
/// The advisory lock that lets one server at a time compute scores.
const SCORES_LOCK: i64 = 0x6a6f_6273_0007;

/// One member's purchase days, in order.
#[derive(Debug, Clone)]
pub struct MemberDays {
    pub account_id: i64,
    pub days: Vec<PurchaseDay>,
}

/// The store's lifetime-value settings.
#[derive(Debug, Clone, Copy)]
pub struct ValueSettings {
    pub horizon_months: u32,
    pub monthly_discount: f64,
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Forecast {
    pub expected_90d: f64,
    pub p_alive: f64,
    /// Per purchase, in currency units.
    pub expected_spend: f64,
    pub clv: f64,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Score {
    pub account_id: i64,
    pub history: History,
    pub spend: Spend,
    pub last_purchase: NaiveDate,
    pub rfm: (u8, u8, u8),
    pub segment: Segment,
    pub forecast: Option<Forecast>,
}

/// The fitted models: Gamma-Gamma only when some members' repeat purchases cost something.
#[derive(Debug, Clone, Copy)]
pub struct Models {
    pub bg: Fitted<BgNbd>,
    pub gg: Option<Fitted<GammaGamma>>,
}

/// Fits the models on members' histories at a cut-off, on their distinct (x, t_x, T) triples;
/// `None` when too few members bought twice.
pub fn fit_models(summaries: &[(History, Spend)]) -> Option<Models> {
    let repeaters = summaries.iter().filter(|(h, _)| h.x > 0.0).count();
    if repeaters < MIN_REPEAT_MEMBERS {
        return None;
    }
    // Days are whole, so triples compare exactly in days.
    let mut histories: HashMap<(u64, u64, u64), u64> = HashMap::new();
    let mut spends: HashMap<(u64, u64), u64> = HashMap::new();
    for (h, s) in summaries {
        let days = |weeks: f64| (weeks * 7.0).round() as u64;
        *histories
            .entry((h.x as u64, days(h.t_x), days(h.age)))
            .or_default() += 1;
        if s.x > 0.0 && s.mean > 0.0 {
            *spends
                .entry((s.x as u64, (s.mean * 10_000.0).round() as u64))
                .or_default() += 1;
        }
    }
    let histories: Vec<(History, u64)> = histories
        .into_iter()
        .map(|((x, t_x, age), n)| {
            let h = History {
                x: x as f64,
                t_x: t_x as f64 / 7.0,
                age: age as f64 / 7.0,
            };
            (h, n)
        })
        .collect();
    let spends: Vec<(Spend, u64)> = spends
        .into_iter()
        .map(|((x, mean), n)| {
            let s = Spend {
                x: x as f64,
                mean: mean as f64 / 10_000.0,
            };
            (s, n)
        })
        .collect();
    let bg = BgNbd::fit(&histories);
    // The expected spend divides by q − 1: a fit with q ≤ 1 has no mean to give.
    let gg = (spends.len() >= MIN_REPEAT_MEMBERS)
        .then(|| GammaGamma::fit(&spends))
        .filter(|g| g.model.q > 1.0);
    Some(Models { bg, gg })
}

/// Every member's scores at `cutoff` (the store's calendar day), and the models fitted.
pub fn score_all(
    members: &[MemberDays],
    cutoff: NaiveDate,
    settings: ValueSettings,
) -> (Vec<Score>, Option<Models>) {
    let seen: Vec<(i64, History, Spend, NaiveDate, RfmInput)> = members
        .iter()
        .filter_map(|m| {
            let (h, s) = summarize(&m.days, cutoff)?;
            let rfm = RfmInput::at(&m.days, cutoff)?;
            let last = cutoff - Duration::days(rfm.days_since_last);
            Some((m.account_id, h, s, last, rfm))
        })
        .collect();
    let rfm = score(&seen.iter().map(|(.., i)| *i).collect::<Vec<_>>());
    let summaries: Vec<(History, Spend)> = seen.iter().map(|(_, h, s, ..)| (*h, *s)).collect();
    let models = fit_models(&summaries);
    let scores = seen
        .iter()
        .enumerate()
        .map(|(i, (account_id, h, s, last, _))| {
            let forecast = models.map(|models| {
                let bg = models.bg.model;
                // Without a spend model, a member's own mean (or the population's) stands in.
                let expected_spend = models.gg.map_or(s.mean, |gg| gg.model.expected_spend(*s));
                Forecast {
                    expected_90d: bg.expected_purchases_given(*h, NEXT_90_DAYS_WEEKS),
                    p_alive: bg.p_alive(*h),
                    expected_spend,
                    clv: lifetime_value(
                        &bg,
                        *h,
                        expected_spend,
                        settings.horizon_months,
                        settings.monthly_discount,
                    ),
                }
            });
            Score {
                account_id: *account_id,
                history: *h,
                spend: *s,
                last_purchase: *last,
                rfm: rfm[i].0,
                segment: rfm[i].1,
                forecast,
            }
        })
        .collect();
    (scores, models)
}

/// Every member's purchase days before `until`, bucketed by the store's calendar day (in
/// `zone`), refunds left out.
pub async fn purchase_days(
    pool: &PgPool,
    zone: &str,
    until: DateTime<Utc>,
) -> Result<Vec<MemberDays>, AppError> {
    let mut members = Vec::new();
    read_days(pool, zone, until, (i64::MIN, i64::MAX), &mut members).await?;
    Ok(members)
}

/// How long a run waits for a drop's presses to stop, at most, in all: a drop comes first, but
/// one that never quiets (a week-long drop with steady traffic) cannot hold the scores back
/// for longer than this.
const YIELD_BUDGET: std::time::Duration = std::time::Duration::from_secs(300);
/// How often a waiting run looks again.
const YIELD_STEP: std::time::Duration = std::time::Duration::from_millis(250);

/// How a run shares the machine with drops. Before each step it waits while members are
/// redeeming (a press recorded in the last two seconds, on any server), within
/// [`YIELD_BUDGET`]; after each step it rests as long as the step took, so it takes at most
/// half the database's time. The benchmark's insights row measured why: on two cores, a run's
/// reads, fit and writes beside a drop storm doubled the storm's slowest presses, even paced.
struct Pace<'a> {
    pool: &'a PgPool,
    waited: std::time::Duration,
}

impl<'a> Pace<'a> {
    fn new(pool: &'a PgPool) -> Self {
        Pace {
            pool,
            waited: std::time::Duration::ZERO,
        }
    }

    /// Waits while a drop is busy; returns when the step (`what`) may begin.
    async fn before(&mut self, what: &'static str) -> Result<Instant, AppError> {
        let waited_before = self.waited;
        while self.waited < YIELD_BUDGET && drop_is_busy(self.pool).await? {
            tokio::time::sleep(YIELD_STEP).await;
            self.waited += YIELD_STEP;
        }
        if self.waited > waited_before {
            tracing::info!(
                step = what,
                waited_ms = (self.waited - waited_before).as_millis() as u64,
                "a scores run waited for a drop's presses"
            );
        }
        tracing::debug!(step = what, "a scores run step begins");
        Ok(Instant::now())
    }

    /// The rest after a step that began at `began`.
    async fn after(&self, began: Instant) {
        tokio::time::sleep(began.elapsed()).await;
    }
}

/// Whether members pressed Redeem in the last two seconds (the newest attempt, by its key).
async fn drop_is_busy(pool: &PgPool) -> Result<bool, AppError> {
    Ok(sqlx::query_scalar!(
        r#"SELECT EXISTS (SELECT 1 FROM (SELECT at FROM redemption_attempts ORDER BY id DESC LIMIT 1) newest
                          WHERE newest.at > now() - interval '2 seconds') AS "busy!""#
    )
    .fetch_one(pool)
    .await?)
}

/// [`purchase_days`] for a run that shares the database with drops: [`PAGE_MEMBERS`] members'
/// ids at a time, each page paced.
async fn purchase_days_paced(
    pace: &mut Pace<'_>,
    zone: &str,
    until: DateTime<Utc>,
) -> Result<Vec<MemberDays>, AppError> {
    let pool = pace.pool;
    let range =
        sqlx::query!("SELECT min(account_id) AS low, max(account_id) AS high FROM purchases")
            .fetch_one(pool)
            .await?;
    let mut members = Vec::new();
    let (Some(low), Some(high)) = (range.low, range.high) else {
        return Ok(members);
    };
    let mut from = low;
    while from <= high {
        let began = pace.before("read").await?;
        let to = from.saturating_add(PAGE_MEMBERS);
        read_days(pool, zone, until, (from, to), &mut members).await?;
        from = to;
        pace.after(began).await;
    }
    Ok(members)
}

/// Appends the purchase days of the members whose ids are in `[ids.0, ids.1)`.
async fn read_days(
    pool: &PgPool,
    zone: &str,
    until: DateTime<Utc>,
    ids: (i64, i64),
    members: &mut Vec<MemberDays>,
) -> Result<(), AppError> {
    let rows = sqlx::query!(
        r#"SELECT account_id, (purchased_at AT TIME ZONE $1)::date AS "day!",
                  sum(amount_cents)::bigint AS "cents!"
           FROM purchases WHERE refunded_at IS NULL AND purchased_at < $2
             AND account_id >= $3 AND account_id < $4
           GROUP BY 1, 2 ORDER BY 1, 2"#,
        zone,
        until,
        ids.0,
        ids.1
    )
    .fetch_all(pool)
    .await?;
    for row in rows {
        let day = PurchaseDay {
            day: row.day,
            cents: row.cents,
        };
        match members.last_mut() {
            Some(m) if m.account_id == row.account_id => m.days.push(day),
            _ => members.push(MemberDays {
                account_id: row.account_id,
                days: vec![day],
            }),
        }
    }
    Ok(())
}

/// What a run did, for the log and for staff.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RunSummary {
    pub members: usize,
    pub fitted: bool,
    pub seconds: f64,
}

/// Recomputes every member's scores as of today in the store's zone, unless another server is
/// doing it now (`None`).
pub async fn recompute(pool: &PgPool, now: DateTime<Utc>) -> Result<Option<RunSummary>, AppError> {
    // The lock's holder is a connection of its own, not one of the pool's: a run lasts as long
    // as a drop's presses keep it waiting, and on two cores the pool is eight connections, so
    // holding one of them took an eighth of the drop's (the benchmark's insights row: the
    // storm lost 13% of its redemptions per second while a run waited). Closing it, or losing
    // it with the process, lets the lock go.
    let mut holder = PgConnection::connect_with(&pool.connect_options()).await?;
    let mine = sqlx::query_scalar!(r#"SELECT pg_try_advisory_lock($1) AS "mine!""#, SCORES_LOCK)
        .fetch_one(&mut holder)
        .await?;
    if !mine {
        holder.close().await?;
        return Ok(None);
    }
    let outcome = compute_and_write(pool, now).await;
    sqlx::query_scalar!("SELECT pg_advisory_unlock($1)", SCORES_LOCK)
        .fetch_one(&mut holder)
        .await?;
    holder.close().await?;
    outcome.map(Some)
}

async fn compute_and_write(pool: &PgPool, now: DateTime<Utc>) -> Result<RunSummary, AppError> {
    let started = Instant::now();
    let store = crate::infra::store::load(pool).await?;
    let settings =
        sqlx::query!("SELECT clv_horizon_months, clv_monthly_discount FROM store_settings")
            .fetch_one(pool)
            .await?;
    let settings = ValueSettings {
        horizon_months: u32::try_from(settings.clv_horizon_months).unwrap_or(12),
        monthly_discount: settings.clv_monthly_discount,
    };
    let as_of = now.with_timezone(&store.zone).date_naive();
    let mut pace = Pace::new(pool);
    let members = purchase_days_paced(&mut pace, &store.info.time_zone, now).await?;
    pace.before("fit").await?;
    let fit_started = Instant::now();
    // Fitting and scoring are seconds of CPU for a large store: at the lowest priority, off
    // the async workers that answer redemptions.
    let (scores, models) = crate::infra::background::low_priority("scores", move || {
        score_all(&members, as_of, settings)
    })
    .await?;
    let fit_seconds = fit_started.elapsed().as_secs_f64();
    for batch in scores.chunks(WRITE_BATCH) {
        let began = pace.before("write").await?;
        write_batch(pool, as_of, batch).await?;
        pace.after(began).await;
    }
    // Members no longer scored (every purchase refunded) leave the table.
    sqlx::query!("DELETE FROM member_scores WHERE as_of < $1", as_of)
        .execute(pool)
        .await?;
    keep_weekly_copy(&mut pace, as_of).await?;
    if let Some(models) = models {
        record_fits(pool, as_of, &models, fit_seconds).await?;
    }
    let summary = RunSummary {
        members: scores.len(),
        fitted: models.is_some(),
        seconds: started.elapsed().as_secs_f64(),
    };
    tracing::info!(
        members = summary.members,
        seconds = summary.seconds,
        waited_s = pace.waited.as_secs_f64(),
        "scores computed"
    );
    Ok(summary)
}

fn cents(units: f64) -> i64 {
    (units * 100.0).round() as i64
}

async fn write_batch(pool: &PgPool, as_of: NaiveDate, batch: &[Score]) -> Result<(), AppError> {
    let forecast = |f: fn(&Forecast) -> f64| -> Vec<Option<f64>> {
        batch.iter().map(|s| s.forecast.as_ref().map(f)).collect()
    };
    let money = |f: fn(&Forecast) -> f64| -> Vec<Option<i64>> {
        batch
            .iter()
            .map(|s| s.forecast.as_ref().map(|x| cents(f(x))))
            .collect()
    };
    sqlx::query!(
        r#"INSERT INTO member_scores (account_id, as_of, frequency, recency_weeks, age_weeks, last_purchase,
               monetary_cents, r_score, f_score, m_score, segment, expected_purchases_90d, p_alive,
               expected_spend_cents, clv_cents)
           SELECT id, $2, x, t_x, age, last, money, r, f, m, segment, e90, alive, spend, clv
             FROM unnest($1::bigint[], $3::int[], $4::float8[], $5::float8[], $6::date[], $7::bigint[],
                         $8::int2[], $9::int2[], $10::int2[], $11::text[], $12::float8[], $13::float8[],
                         $14::bigint[], $15::bigint[])
                  AS s (id, x, t_x, age, last, money, r, f, m, segment, e90, alive, spend, clv)
           ON CONFLICT (account_id) DO UPDATE SET
               as_of = EXCLUDED.as_of, frequency = EXCLUDED.frequency,
               recency_weeks = EXCLUDED.recency_weeks, age_weeks = EXCLUDED.age_weeks,
               last_purchase = EXCLUDED.last_purchase, monetary_cents = EXCLUDED.monetary_cents,
               r_score = EXCLUDED.r_score, f_score = EXCLUDED.f_score, m_score = EXCLUDED.m_score,
               segment = EXCLUDED.segment, expected_purchases_90d = EXCLUDED.expected_purchases_90d,
               p_alive = EXCLUDED.p_alive, expected_spend_cents = EXCLUDED.expected_spend_cents,
               clv_cents = EXCLUDED.clv_cents"#,
        &batch.iter().map(|s| s.account_id).collect::<Vec<_>>(),
        as_of,
        &batch.iter().map(|s| s.history.x as i32).collect::<Vec<_>>(),
        &batch.iter().map(|s| s.history.t_x).collect::<Vec<_>>(),
        &batch.iter().map(|s| s.history.age).collect::<Vec<_>>(),
        &batch.iter().map(|s| s.last_purchase).collect::<Vec<_>>(),
        &batch.iter().map(|s| cents(s.spend.mean)).collect::<Vec<_>>(),
        &batch.iter().map(|s| i16::from(s.rfm.0)).collect::<Vec<_>>(),
        &batch.iter().map(|s| i16::from(s.rfm.1)).collect::<Vec<_>>(),
        &batch.iter().map(|s| i16::from(s.rfm.2)).collect::<Vec<_>>(),
        &batch.iter().map(|s| s.segment.code().to_owned()).collect::<Vec<_>>(),
        &forecast(|f| f.expected_90d) as &[Option<f64>],
        &forecast(|f| f.p_alive.clamp(0.0, 1.0)) as &[Option<f64>],
        &money(|f| f.expected_spend) as &[Option<i64>],
        &money(|f| f.clv) as &[Option<i64>],
    )
    .execute(pool)
    .await?;
    Ok(())
}

/// Copies the scores into the week's snapshot, once a week: the first run of a week (Monday
/// to Sunday in the store's calendar) is that week's copy, so staff asking for runs again and
/// again during a drop do not rewrite (and write to the log) 100,000 rows each time. Copied a
/// page of members at a time, paced like the reads; copies older than a year are dropped.
async fn keep_weekly_copy(pace: &mut Pace<'_>, as_of: NaiveDate) -> Result<(), AppError> {
    let pool = pace.pool;
    let week = as_of - Duration::days(i64::from(as_of.weekday().num_days_from_monday()));
    let copied = sqlx::query_scalar!(
        r#"SELECT EXISTS (SELECT 1 FROM member_score_snapshots WHERE week = $1) AS "copied!""#,
        week
    )
    .fetch_one(pool)
    .await?;
    if copied {
        return Ok(());
    }
    let range =
        sqlx::query!("SELECT min(account_id) AS low, max(account_id) AS high FROM member_scores")
            .fetch_one(pool)
            .await?;
    if let (Some(low), Some(high)) = (range.low, range.high) {
        let mut from = low;
        while from <= high {
            let began = pace.before("copy").await?;
            let to = from.saturating_add(PAGE_MEMBERS);
            sqlx::query!(
                "INSERT INTO member_score_snapshots SELECT $1::date, s.* FROM member_scores s
                 WHERE s.account_id >= $2 AND s.account_id < $3",
                week,
                from,
                to
            )
            .execute(pool)
            .await?;
            from = to;
            pace.after(began).await;
        }
    }
    sqlx::query!(
        "DELETE FROM member_score_snapshots WHERE week < $1",
        week - Duration::days(365)
    )
    .execute(pool)
    .await?;
    Ok(())
}

async fn record_fits(
    pool: &PgPool,
    as_of: NaiveDate,
    models: &Models,
    seconds: f64,
) -> Result<(), AppError> {
    let bg = models.bg;
    let mut fits = vec![(
        "bg_nbd",
        serde_json::json!({"r": bg.model.r, "alpha": bg.model.alpha, "a": bg.model.a, "b": bg.model.b}),
        bg.log_likelihood,
        bg.members,
    )];
    if let Some(gg) = models.gg {
        fits.push((
            "gamma_gamma",
            serde_json::json!({"p": gg.model.p, "q": gg.model.q, "gamma": gg.model.gamma}),
            gg.log_likelihood,
            gg.members,
        ));
    }
    for (model, params, log_likelihood, members) in fits {
        sqlx::query!(
            "INSERT INTO model_fits (as_of, model, params, log_likelihood, members, seconds) VALUES ($1, $2, $3, $4, $5, $6)",
            as_of,
            model,
            params,
            log_likelihood,
            i64::try_from(members).unwrap_or(i64::MAX),
            seconds
        )
        .execute(pool)
        .await?;
    }
    Ok(())
}
