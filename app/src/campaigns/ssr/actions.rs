//! Next best actions on the server: what is known of each member (one query), the responses
//! finished campaigns measured, and from them the lists per action staff work from, one
//! member's best action for member care, and the CSV of a list.

use axum::extract::{Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use sqlx::PgPool;
use tower_sessions::Session;

use super::next::{Action, Facts, Learned, Ranked, Terms, best};
use crate::AppError;
use crate::campaigns::{ActionCount, ActionMember, ActionTermsRow, NextActionsView, TermsView};
use crate::domain::action_terms::{ActionTermsEntry, StoreTerms};
use crate::domain::i18n::tr;
use crate::infra::audit::audit;
use crate::infra::caller::{Staff, authorize_session};
use crate::infra::state::AppState;
use crate::insights::ssr::rfm::Segment;
use crate::insights::ssr::uplift::MIN_GROUP;
use serde_json::json;

/// One member as the lists show them, with what is known of them.
pub struct Known {
    pub id: i64,
    pub email: String,
    pub display_name: String,
    pub facts: Facts,
}

/// The store's terms for next best actions.
pub async fn terms(pool: &PgPool) -> Result<Terms, AppError> {
    let json = sqlx::query_scalar!("SELECT next_action_terms FROM store_settings")
        .fetch_one(pool)
        .await?;
    Ok(Terms::from_setting(&json))
}

/// What is known of every member (or only `only`), in one statement: scores, spend still
/// needed for the next tier (12-month rolling spend, as tiers are judged), points expiring in
/// 30 days, whether they shared what they love and a coming drop has a reward of a type they
/// love, and the non-essential messages they got in the last seven days.
pub async fn known(pool: &PgPool, only: Option<i64>) -> Result<Vec<Known>, AppError> {
    let rows = sqlx::query!(
        r#"SELECT a.id, a.email, a.display_name, s.segment AS "segment?", s.p_alive,
                  (SELECT min(t.min_spend_cents) FROM tiers t WHERE t.min_spend_cents > spend.total)
                      - spend.total AS tier_gap,
                  (SELECT COALESCE(sum(l.remaining), 0) FROM point_lots l
                   WHERE l.account_id = a.id AND l.remaining > 0 AND l.expires_at > now()
                     AND l.expires_at <= now() + interval '30 days')::bigint AS "expiring!",
                  EXISTS (SELECT 1 FROM member_likes ml WHERE ml.account_id = a.id) AS "shared!",
                  EXISTS (SELECT 1 FROM member_likes ml
                          JOIN rewards r ON r.category = ml.category
                          JOIN drop_items di ON di.reward_id = r.id
                          JOIN drops d ON d.id = di.drop_id
                          WHERE ml.account_id = a.id AND d.cancelled_at IS NULL
                            AND d.starts_at > now()) AS "loved_drop!",
                  (SELECT count(*) FROM outbox o WHERE o.account_id = a.id AND NOT o.essential
                     AND o.created_at > now() - interval '7 days') AS "messages!"
           FROM accounts a
           LEFT JOIN member_scores s ON s.account_id = a.id
           CROSS JOIN LATERAL (
               SELECT COALESCE(sum(p.amount_cents), 0)::bigint AS total FROM purchases p
               WHERE p.account_id = a.id AND p.refunded_at IS NULL
                 AND p.purchased_at > now() - interval '12 months') spend
           WHERE a.role = 'member' AND a.deleted_at IS NULL
             AND ($1::bigint IS NULL OR a.id = $1)
           ORDER BY a.id"#,
        only
    )
    .fetch_all(pool)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| Known {
            id: r.id,
            email: r.email,
            display_name: r.display_name,
            facts: Facts {
                p_alive: r.p_alive,
                segment: r.segment,
                tier_gap_cents: r.tier_gap,
                expiring_points: r.expiring,
                shared_likes: r.shared,
                loved_drop_coming: r.loved_drop,
                messages_this_week: r.messages,
            },
        })
        .collect())
}

/// The response each action had in each segment, as finished campaigns measured it: the
/// treated members' purchase rate in the window minus the held-out members', pooled over the
/// campaigns that tried the action, where both groups of the segment have at least
/// [`MIN_GROUP`] members. Never below zero: an offer that measured worse than nothing is
/// expected to do nothing, not harm (its cost already counts against it).
pub async fn learned(pool: &PgPool) -> Result<Learned, AppError> {
    let rows = sqlx::query!(
        r#"SELECT c.action, m.segment AS "segment!",
                  count(*) FILTER (WHERE NOT m.held_out) AS "treated!",
                  count(*) FILTER (WHERE NOT m.held_out AND b.bought) AS "treated_bought!",
                  count(*) FILTER (WHERE m.held_out) AS "held!",
                  count(*) FILTER (WHERE m.held_out AND b.bought) AS "held_bought!"
           FROM campaigns c
           JOIN campaign_members m ON m.campaign_id = c.id
           CROSS JOIN LATERAL (SELECT EXISTS (
               SELECT 1 FROM purchases p WHERE p.account_id = m.account_id AND p.refunded_at IS NULL
                 AND p.purchased_at >= c.starts_at AND p.purchased_at < c.ends_at) AS bought) b
           WHERE c.ends_at <= now() AND m.segment IS NOT NULL
           GROUP BY c.action, m.segment"#
    )
    .fetch_all(pool)
    .await?;
    let min = MIN_GROUP as i64;
    Ok(rows
        .into_iter()
        .filter(|r| r.treated >= min && r.held >= min)
        .filter_map(|r| {
            let action = Action::parse(&r.action)?;
            let rate = |yes: i64, n: i64| yes as f64 / n as f64;
            let response =
                (rate(r.treated_bought, r.treated) - rate(r.held_bought, r.held)).max(0.0);
            Some(((action, r.segment), response))
        })
        .collect())
}

/// Each member with their best action, the members without one left out.
async fn ranked(pool: &PgPool, terms: &Terms) -> Result<Vec<(Known, Ranked)>, AppError> {
    let learned = learned(pool).await?;
    Ok(known(pool, None)
        .await?
        .into_iter()
        .map(|k| {
            let best = best(&k.facts, terms, &learned);
            (k, best)
        })
        .filter(|(_, best)| best.action != Action::Nothing)
        .collect())
}

/// How many to list on the page; the CSV has them all.
const LISTED: usize = 50;

/// The lists per action: how many members each action is best for this week and what they are
/// worth together, and the members of `chosen` (most valuable first).
pub async fn view(pool: &PgPool, chosen: Option<&str>) -> Result<NextActionsView, AppError> {
    let tr = tr();
    let store = crate::infra::store::load(pool).await?;
    let chosen = chosen.and_then(Action::parse);
    let terms = terms(pool).await?;
    let mut all = ranked(pool, &terms).await?;
    all.sort_by(|a, b| {
        b.1.value_cents
            .cmp(&a.1.value_cents)
            .then(a.0.id.cmp(&b.0.id))
    });
    let counts = Action::TRIED
        .into_iter()
        .map(|action| {
            let (n, value) = all
                .iter()
                .filter(|(_, r)| r.action == action)
                .fold((0i64, 0i64), |(n, v), (_, r)| (n + 1, v + r.value_cents));
            ActionCount {
                action: action.code().to_owned(),
                label: action.label(tr).to_owned(),
                members: tr.count(
                    "campaigns.next.should_get",
                    n,
                    &[("action", &action.label(tr).to_lowercase())],
                ),
                value: store.money(value),
            }
        })
        .collect();
    let members = all
        .iter()
        .filter(|(_, r)| Some(r.action) == chosen)
        .take(LISTED)
        .map(|(k, r)| member(k, r, &store))
        .collect();
    Ok(NextActionsView {
        counts,
        chosen: chosen.map(|a| a.code().to_owned()),
        chosen_label: chosen.map(|a| a.label(tr).to_owned()),
        members,
        terms: terms_view(&terms, &store),
    })
}
/// The terms as the next-actions page shows them: each action's in a table, the store's in
/// the form that changes them.
fn terms_view(terms: &Terms, store: &crate::infra::store::Store) -> TermsView {
    let tr = tr();
    let percent = |rate: f64| {
        // Whole percents read as "15", a tenth as "12.5".
        let tenths = (rate * 1000.0).round() / 10.0;
        tr.f("campaigns.terms.percent", &[("n", &tenths.to_string())])
    };
    TermsView {
        margin: ((terms.margin_rate * 1000.0).round() / 10.0).to_string(),
        messages_per_week: terms.messages_per_week.to_string(),
        reach_within: format!("{:.2}", terms.reach_tier_within_cents as f64 / 100.0),
        actions: Action::TRIED
            .into_iter()
            .filter_map(|action| {
                let t = terms.of(action)?;
                Some(ActionTermsRow {
                    action: action.code().to_owned(),
                    label: action.label(tr).to_owned(),
                    response: percent(t.response),
                    extra_spend: store.money(t.extra_spend_cents),
                    cost: store.money(t.cost_cents),
                })
            })
            .collect(),
    }
}

/// Changes the store-wide terms. Audited with the terms as they were.
pub async fn save_store_terms(caller: &Staff, store: &StoreTerms) -> Result<(), AppError> {
    let patch = json!({
        "margin_rate": store.margin_rate,
        "messages_per_week": store.messages_per_week,
        "reach_tier_within_cents": store.reach_tier_within_cents,
    });
    save_terms(caller, "store", patch).await
}

/// Changes what staff expect of one action. Audited with the terms as they were.
pub async fn save_action_terms(caller: &Staff, entry: &ActionTermsEntry) -> Result<(), AppError> {
    let patch = json!({ entry.action.code(): entry.terms });
    save_terms(caller, entry.action.code(), patch).await
}

/// Merges `patch` into the stored terms, in one transaction with its audit record.
async fn save_terms(caller: &Staff, part: &str, patch: serde_json::Value) -> Result<(), AppError> {
    let mut tx = caller.pool().begin().await?;
    let before = sqlx::query_scalar!("SELECT next_action_terms FROM store_settings FOR UPDATE")
        .fetch_one(&mut *tx)
        .await?;
    sqlx::query!(
        "UPDATE store_settings SET next_action_terms = next_action_terms || $1::jsonb",
        patch
    )
    .execute(&mut *tx)
    .await?;
    audit(
        &mut tx,
        caller.account().id,
        "next_actions.terms",
        &format!("next_action_terms:{part}"),
        Some(before),
        Some(patch),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Back to the page, which reads the lists again under the new terms.
pub fn terms_saved() {
    leptos_axum::redirect(&format!(
        "/staff/next-actions?saved={}#terms-heading",
        crate::infra::fresh()
    ));
}

fn segment_label(segment: Option<&str>) -> String {
    segment
        .and_then(Segment::parse)
        .map(|s| s.label(tr()).to_owned())
        .unwrap_or_default()
}

fn member(k: &Known, r: &Ranked, store: &crate::infra::store::Store) -> ActionMember {
    ActionMember {
        id: k.id,
        email: k.email.clone(),
        display_name: k.display_name.clone(),
        segment: segment_label(k.facts.segment.as_deref()),
        value: store.money(r.value_cents),
        measured: r.measured,
    }
}

/// One member's best action in a line for member care: "Best next: win-back offer, expected
/// value $14.00", or why there is none.
pub async fn best_for(pool: &PgPool, id: i64) -> Result<String, AppError> {
    let tr = tr();
    let store = crate::infra::store::load(pool).await?;
    let Some(known) = known(pool, Some(id)).await?.into_iter().next() else {
        return Ok(String::new());
    };
    if known.facts.p_alive.is_none() {
        return Ok(tr.t("campaigns.next.no_forecast").to_owned());
    }
    let best = best(&known.facts, &terms(pool).await?, &learned(pool).await?);
    Ok(match best.action {
        Action::Nothing => tr.t("campaigns.next.best_nothing").to_owned(),
        action => tr.f(
            if best.measured {
                "campaigns.next.best_measured"
            } else {
                "campaigns.next.best"
            },
            &[
                ("action", action.label(tr)),
                ("value", &store.money(best.value_cents)),
            ],
        ),
    })
}

#[derive(serde::Deserialize)]
pub struct CsvQuery {
    action: String,
}

/// `GET /staff/next-actions.csv?action=win_back`: every member the action is best for, most
/// valuable first. Staff only, like the page.
pub async fn csv(
    State(state): State<AppState>,
    session: Session,
    Query(query): Query<CsvQuery>,
) -> Response {
    match csv_inner(state, session, &query.action).await {
        Ok((action, body)) => (
            [
                (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_owned()),
                (
                    header::CONTENT_DISPOSITION,
                    format!("attachment; filename=\"next-action-{}.csv\"", action.code()),
                ),
                (header::CACHE_CONTROL, "no-store".to_owned()),
            ],
            body,
        )
            .into_response(),
        Err(error) => error.into_response(),
    }
}

async fn csv_inner(
    state: AppState,
    session: Session,
    action: &str,
) -> Result<(Action, String), AppError> {
    let caller = authorize_session::<Staff>(state, session).await?;
    let tr = tr();
    let action = Action::parse(action)
        .filter(|a| *a != Action::Nothing)
        .ok_or_else(|| AppError::invalid("action", tr.t("campaigns.error.no_action")))?;
    let store = crate::infra::store::load(caller.pool()).await?;
    let terms = terms(caller.pool()).await?;
    let mut all = ranked(caller.pool(), &terms).await?;
    all.retain(|(_, r)| r.action == action);
    all.sort_by(|a, b| {
        b.1.value_cents
            .cmp(&a.1.value_cents)
            .then(a.0.id.cmp(&b.0.id))
    });
    let rows: Vec<[String; 5]> = all
        .iter()
        .map(|(k, r)| {
            [
                k.id.to_string(),
                k.email.clone(),
                k.display_name.clone(),
                segment_label(k.facts.segment.as_deref()),
                store.money(r.value_cents),
            ]
        })
        .collect();
    let body = crate::infra::csv::text(
        [
            tr.t("campaigns.csv.member_id"),
            tr.t("campaigns.csv.email"),
            tr.t("campaigns.csv.name"),
            tr.t("campaigns.csv.segment"),
            tr.t("campaigns.csv.value"),
        ],
        &rows,
    )?;
    Ok((action, body))
}
