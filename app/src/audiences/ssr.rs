//! Audiences on the server: reading the form into rules, counting who the rules take in (the
//! database's `fits_audience`, the one reading of them the writer and the bazaar use too), and
//! saving and deleting audiences, audited.

use serde_json::json;
use sqlx::PgPool;

use super::{AudienceRow, AudiencesView, Choice};
use crate::AppError;
use crate::domain::account::Tier;
use crate::domain::audience::{AudienceRules, RulesForm, parse_name};
use crate::domain::category::Category;
use crate::domain::error::server::violated_constraint;
use crate::domain::i18n::{Lang, tr};
use crate::infra::audit::audit;
use crate::infra::caller::Staff;
use crate::insights::ssr::rfm::Segment;

/// The form's fields as posted: boxes not ticked are not sent.
#[expect(
    clippy::too_many_arguments,
    reason = "one argument per field of the form"
)]
pub fn rules_form(
    tiers: Option<Vec<String>>,
    segments: Option<Vec<String>>,
    p_alive_min: Option<String>,
    p_alive_max: Option<String>,
    clv_min: Option<String>,
    clv_max: Option<String>,
    types: Option<Vec<String>>,
    interests: Option<Vec<String>>,
    birthday_month: Option<String>,
    redeemed_within: Option<String>,
    not_redeemed_within: Option<String>,
    languages: Option<Vec<String>>,
) -> RulesForm {
    RulesForm {
        tiers: tiers.unwrap_or_default(),
        segments: segments.unwrap_or_default(),
        p_alive_min: p_alive_min.unwrap_or_default(),
        p_alive_max: p_alive_max.unwrap_or_default(),
        clv_min: clv_min.unwrap_or_default(),
        clv_max: clv_max.unwrap_or_default(),
        types: types.unwrap_or_default(),
        interests: interests.unwrap_or_default(),
        birthday_month: birthday_month.unwrap_or_default(),
        redeemed_within: redeemed_within.unwrap_or_default(),
        not_redeemed_within: not_redeemed_within.unwrap_or_default(),
        languages: languages.unwrap_or_default(),
    }
}

/// The interests members can pick now: (tag, name in the reader's language).
async fn offered_interests(pool: &PgPool) -> Result<Vec<(String, String)>, AppError> {
    let lang = tr().lang().code();
    Ok(sqlx::query!(
        r#"SELECT tag, CASE WHEN $1 = 'es' THEN COALESCE(name_es, name) ELSE name END AS "name!"
           FROM interests WHERE retired_at IS NULL ORDER BY position, id"#,
        lang
    )
    .fetch_all(pool)
    .await?
    .into_iter()
    .map(|r| (r.tag, r.name))
    .collect())
}

async fn parse(pool: &PgPool, form: &RulesForm) -> Result<AudienceRules, AppError> {
    let interests = offered_interests(pool).await?;
    let tags: Vec<&str> = interests.iter().map(|(tag, _)| tag.as_str()).collect();
    AudienceRules::parse(form, &tags)
}

fn rules_json(rules: &AudienceRules) -> Result<serde_json::Value, AppError> {
    serde_json::to_value(rules).map_err(|e| AppError::internal("audience rules", e))
}

/// The members the rules being edited take in now, in words ("1,204 members").
pub async fn count(pool: &PgPool, form: &RulesForm) -> Result<String, AppError> {
    let rules = rules_json(&parse(pool, form).await?)?;
    let members = sqlx::query_scalar!(
        r#"SELECT count(*) AS "n!" FROM audience_facts f WHERE fits_audience(f, $1)"#,
        rules
    )
    .fetch_one(pool)
    .await?;
    Ok(tr().count("audiences.members", members, &[]))
}

/// "January" … "December" in the reader's language.
fn months() -> Vec<Choice> {
    crate::account::ssr::month_names(tr().locale())
        .into_iter()
        .enumerate()
        .map(|(i, label)| Choice {
            value: (i + 1).to_string(),
            label,
        })
        .collect()
}

/// The rules in words, one line per rule, in the reader's language.
fn describe(
    rules: &AudienceRules,
    interests: &[(String, String)],
    months: &[Choice],
    store: &crate::infra::store::Store,
) -> Vec<String> {
    let tr = tr();
    let list = |key: &'static str, items: Vec<String>| {
        (!items.is_empty()).then(|| tr.f(key, &[("list", &items.join(", "))]))
    };
    let percent = |key: &'static str, n: Option<u8>| n.map(|n| tr.f(key, &[("n", &n.to_string())]));
    let money = |key: &'static str, cents: Option<i64>| {
        cents.map(|c| tr.f(key, &[("amount", &store.money(c))]))
    };
    let days = |key: &'static str, n: Option<u16>| n.map(|n| tr.count(key, i64::from(n), &[]));
    [
        list(
            "audiences.rule.tiers",
            rules.tiers.iter().map(|t| t.name().to_owned()).collect(),
        ),
        list(
            "audiences.rule.segments",
            rules
                .segments
                .iter()
                .filter_map(|s| Segment::parse(s))
                .map(|s| s.label(tr).to_owned())
                .collect(),
        ),
        percent("audiences.rule.p_alive_min", rules.p_alive_min_pct),
        percent("audiences.rule.p_alive_max", rules.p_alive_max_pct),
        money("audiences.rule.clv_min", rules.clv_min_cents),
        money("audiences.rule.clv_max", rules.clv_max_cents),
        list(
            "audiences.rule.types",
            rules.types.iter().map(|c| c.label().to_owned()).collect(),
        ),
        list(
            "audiences.rule.interests",
            rules
                .interests
                .iter()
                .map(|tag| {
                    interests
                        .iter()
                        .find(|(t, _)| t == tag)
                        .map_or_else(|| format!("#{tag}"), |(_, name)| name.clone())
                })
                .collect(),
        ),
        rules.birthday_month.and_then(|m| {
            months
                .get(usize::from(m).saturating_sub(1))
                .map(|month| tr.f("audiences.rule.birthday", &[("month", &month.label)]))
        }),
        days("audiences.rule.redeemed_within", rules.redeemed_within_days),
        days(
            "audiences.rule.not_redeemed_within",
            rules.not_redeemed_within_days,
        ),
        list(
            "audiences.rule.languages",
            rules
                .languages
                .iter()
                .filter_map(|l| Lang::parse(l))
                .map(|l| l.own_name().to_owned())
                .collect(),
        ),
    ]
    .into_iter()
    .flatten()
    .collect()
}

/// Every audience with its size now, and the form's choices.
pub async fn view(pool: &PgPool) -> Result<AudiencesView, AppError> {
    let tr = tr();
    let store = crate::infra::store::load(pool).await?;
    let interests = offered_interests(pool).await?;
    let months = months();
    let rows = sqlx::query!(
        r#"SELECT au.id, au.name, au.rules,
                  (SELECT count(*) FROM audience_facts f WHERE fits_audience(f, au.rules)) AS "members!",
                  (SELECT count(*) FROM drop_items di
                   WHERE di.audience_id = au.id OR di.early_access_audience_id = au.id) AS "items!"
           FROM audiences au ORDER BY lower(au.name), au.id"#
    )
    .fetch_all(pool)
    .await?;
    let mut audiences = Vec::with_capacity(rows.len());
    for row in rows {
        let rules: AudienceRules = serde_json::from_value(row.rules)
            .map_err(|e| AppError::internal("audience rules", e))?;
        audiences.push(AudienceRow {
            id: row.id,
            name: row.name,
            described: describe(&rules, &interests, &months, &store),
            rules,
            members: tr.count("audiences.members", row.members, &[]),
            items: row.items,
        });
    }
    Ok(AudiencesView {
        audiences,
        tiers: Tier::ALL
            .into_iter()
            .map(|t| Choice {
                value: t.code().to_owned(),
                label: t.name().to_owned(),
            })
            .collect(),
        segments: Segment::ALL
            .into_iter()
            .map(|s| Choice {
                value: s.code().to_owned(),
                label: s.label(tr).to_owned(),
            })
            .collect(),
        types: Category::ALL
            .into_iter()
            .map(|c| Choice {
                value: c.slug().to_owned(),
                label: c.label().to_owned(),
            })
            .collect(),
        interests: interests
            .into_iter()
            .map(|(value, label)| Choice { value, label })
            .collect(),
        months,
        languages: Lang::ALL
            .into_iter()
            .map(|l| Choice {
                value: l.code().to_owned(),
                label: l.own_name().to_owned(),
            })
            .collect(),
    })
}

/// Saves a new audience (`id` empty) or changes one; the name is unique whatever its case.
pub async fn save(caller: &Staff, id: &str, name: &str, form: &RulesForm) -> Result<i64, AppError> {
    let tr = tr();
    let id = match id.trim() {
        "" => None,
        raw => Some(
            raw.parse::<i64>()
                .map_err(|_| AppError::not_found(tr.t("audiences.that_audience")))?,
        ),
    };
    let name = parse_name(name)?;
    let rules = rules_json(&parse(caller.pool(), form).await?)?;
    let taken = |e: sqlx::Error| match violated_constraint(&e) {
        Some("audiences_name_unique") => {
            AppError::invalid("name", tr.f("audiences.name_taken", &[("name", &name)]))
        }
        _ => e.into(),
    };
    let mut tx = caller.pool().begin().await?;
    let (saved, action, before) = match id {
        None => {
            let saved = sqlx::query_scalar!(
                "INSERT INTO audiences (name, rules) VALUES ($1, $2) RETURNING id",
                name,
                rules
            )
            .fetch_one(&mut *tx)
            .await
            .map_err(taken)?;
            (saved, "audience.create", None)
        }
        Some(id) => {
            let before = sqlx::query!(
                "SELECT name, rules FROM audiences WHERE id = $1 FOR UPDATE",
                id
            )
            .fetch_optional(&mut *tx)
            .await?
            .ok_or_else(|| AppError::not_found(tr.t("audiences.that_audience")))?;
            sqlx::query!(
                "UPDATE audiences SET name = $2, rules = $3, updated_at = now() WHERE id = $1",
                id,
                name,
                rules
            )
            .execute(&mut *tx)
            .await
            .map_err(taken)?;
            (
                id,
                "audience.update",
                Some(json!({ "name": before.name, "rules": before.rules })),
            )
        }
    };
    audit(
        &mut tx,
        caller.account().id,
        action,
        &format!("audience:{saved}"),
        before,
        Some(json!({ "name": name, "rules": rules })),
    )
    .await?;
    tx.commit().await?;
    Ok(saved)
}

/// Deletes an audience no drop item is aimed at (the items' foreign keys hold it otherwise).
pub async fn delete(caller: &Staff, id: i64) -> Result<(), AppError> {
    let tr = tr();
    let mut tx = caller.pool().begin().await?;
    let row = sqlx::query!(
        r#"SELECT name, rules,
                  (SELECT count(*) FROM drop_items di
                   WHERE di.audience_id = $1 OR di.early_access_audience_id = $1) AS "items!"
           FROM audiences WHERE id = $1 FOR UPDATE"#,
        id
    )
    .fetch_optional(&mut *tx)
    .await?
    .ok_or_else(|| AppError::not_found(tr.t("audiences.that_audience")))?;
    if row.items > 0 {
        return Err(AppError::bad_request(tr.count(
            "audiences.in_use",
            row.items,
            &[("name", &row.name)],
        )));
    }
    sqlx::query!("DELETE FROM audiences WHERE id = $1", id)
        .execute(&mut *tx)
        .await?;
    audit(
        &mut tx,
        caller.account().id,
        "audience.delete",
        &format!("audience:{id}"),
        Some(json!({ "name": row.name, "rules": row.rules })),
        None,
    )
    .await?;
    tx.commit().await?;
    Ok(())
}
