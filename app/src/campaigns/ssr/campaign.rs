//! Campaigns on the server: starting one (the holdout drawn and recorded, the offer's emails
//! written, all in one transaction, audited), the list, and the report of treated against
//! held-out members.

use serde_json::json;
use sqlx::PgPool;

use super::next::Terms;
use crate::AppError;
use crate::audiences::Choice;
use crate::campaigns::{CampaignReport, CampaignRow, CampaignsView, Figure};
use crate::domain::campaign::{Action, NewCampaign};
use crate::domain::error::server::violated_constraint;
use crate::domain::i18n::{Tr, format_fixed, tr};
use crate::infra::audit::audit;
use crate::infra::caller::Staff;
use crate::infra::mail::{self, Compose, Kind, Outgoing, Topic};
use crate::insights::ssr::uplift::{Group, MIN_GROUP, Uplift};

/// Starts `campaign` now. Every member the audience takes in at this moment is drawn into the
/// treated group or the holdout: an exact share, in a random order, recorded with the member's
/// segment. A member stays in their group: nothing draws again.
pub async fn create(caller: &Staff, campaign: &NewCampaign) -> Result<i64, AppError> {
    let tr = tr();
    let mut tx = caller.pool().begin().await?;
    let audience = sqlx::query!(
        "SELECT name, rules FROM audiences WHERE id = $1 FOR SHARE",
        campaign.audience_id
    )
    .fetch_optional(&mut *tx)
    .await?
    .ok_or_else(|| AppError::invalid("audience", tr.t("campaigns.error.no_audience")))?;
    let id = sqlx::query_scalar!(
        r#"INSERT INTO campaigns (name, audience_id, action, bonus_points, with_email, holdout_pct,
                                  ends_at, created_by, early_item_id, early_hours, exclusive, gift_reward_id)
           VALUES ($1, $2, $3, $4, $5, $6, now() + make_interval(days => $7), $8, $9, $10, $11, $12)
           RETURNING id"#,
        campaign.name,
        campaign.audience_id,
        campaign.action.code(),
        campaign.bonus_points,
        campaign.with_email,
        i16::from(campaign.holdout_pct),
        i32::from(campaign.days),
        caller.account().id,
        campaign.reward.map(|r| r.item),
        campaign
            .reward
            .and_then(|r| r.early_hours)
            .map(|hours| hours as i16),
        campaign.reward.is_some_and(|r| r.exclusive),
        campaign.gift
    )
    .fetch_one(&mut *tx)
    .await
    .map_err(|e| match violated_constraint(&e) {
        Some("campaigns_name_unique") => AppError::invalid(
            "name",
            tr.f("campaigns.error.name_taken", &[("name", &campaign.name)]),
        ),
        Some("campaigns_early_item_id_fkey") => {
            AppError::invalid("early_item", tr.t("campaigns.error.early_item"))
        }
        Some("campaigns_gift_reward_id_fkey") => {
            AppError::invalid("gift_reward", tr.t("campaigns.error.gift_reward"))
        }
        _ => e.into(),
    })?;
    let early = match campaign.reward {
        Some(reward) => Some(super::early::grant(&mut tx, id, reward).await?),
        None => None,
    };
    let drawn = sqlx::query!(
        r#"WITH audience AS (
               SELECT f.account_id, f.segment, random() AS r
               FROM audience_facts f WHERE fits_audience(f, $2)
           ), ordered AS (
               SELECT account_id, segment, row_number() OVER (ORDER BY r) AS k, count(*) OVER () AS n
               FROM audience
           ), drawn AS (
               INSERT INTO campaign_members (campaign_id, account_id, held_out, segment)
               SELECT $1, account_id, k <= round(n * $3::int / 100.0), segment FROM ordered
               RETURNING held_out
           )
           SELECT count(*) AS "members!", count(*) FILTER (WHERE held_out) AS "held_out!" FROM drawn"#,
        id,
        audience.rules,
        i32::from(campaign.holdout_pct)
    )
    .fetch_one(&mut *tx)
    .await?;
    if drawn.members == 0 {
        return Err(AppError::invalid(
            "audience",
            tr.f(
                "campaigns.error.empty_audience",
                &[("name", &audience.name)],
            ),
        ));
    }
    let gift = match campaign.gift {
        Some(reward) => Some(super::gift::grant(&mut tx, id, reward).await?),
        None => None,
    };
    let mailed = if campaign.with_email {
        let given = Given {
            early: early.as_ref(),
            gift: gift.as_ref(),
        };
        write_offers(caller, &mut tx, id, campaign, given).await?
    } else {
        0
    };
    audit(
        &mut tx,
        caller.account().id,
        "campaign.create",
        &format!("campaign:{id}"),
        None,
        Some(json!({
            "name": campaign.name, "audience": audience.name, "action": campaign.action.code(),
            "bonus_points": campaign.bonus_points, "with_email": campaign.with_email,
            "holdout_pct": campaign.holdout_pct, "days": campaign.days,
            "early_item": campaign.reward.map(|r| r.item),
            "early_hours": campaign.reward.and_then(|r| r.early_hours),
            "exclusive": campaign.reward.is_some_and(|r| r.exclusive),
            "gift_reward": campaign.gift,
            "members": drawn.members, "held_out": drawn.held_out, "mailed": mailed,
        })),
    )
    .await?;
    tx.commit().await?;
    Ok(id)
}

/// Writes the offer's message for each treated member who wants offers by mail, whose address
/// takes mail, and who has had fewer than the week's messages (the contact cap); marks them
/// mailed. Returns how many.
async fn write_offers(
    caller: &Staff,
    tx: &mut sqlx::PgConnection,
    id: i64,
    campaign: &NewCampaign,
    given: Given<'_>,
) -> Result<u64, AppError> {
    let cap = Terms::from_setting(
        &sqlx::query_scalar!("SELECT next_action_terms FROM store_settings")
            .fetch_one(&mut *tx)
            .await?,
    )
    .messages_per_week;
    let due = sqlx::query!(
        r#"SELECT a.id, a.email, a.display_name, a.language,
                  COALESCE(a.time_zone, s.time_zone) AS "zone!", c.ends_at, g.code AS "gift_code?"
           FROM campaign_members m
           JOIN campaigns c ON c.id = m.campaign_id
           JOIN accounts a ON a.id = m.account_id
           LEFT JOIN campaign_gifts g ON g.campaign_id = m.campaign_id AND g.account_id = m.account_id
           CROSS JOIN store_settings s
           WHERE m.campaign_id = $1 AND NOT m.held_out
             AND a.mail_offers AND a.email_undeliverable_at IS NULL AND a.deleted_at IS NULL
             AND (SELECT count(*) FROM outbox o WHERE o.account_id = a.id AND NOT o.essential
                    AND o.created_at > now() - interval '7 days') < $2
           ORDER BY a.id"#,
        id,
        cap
    )
    .fetch_all(&mut *tx)
    .await?;
    if due.is_empty() {
        return Ok(0);
    }
    let state = caller.state();
    let key = mail::server_key(caller.pool(), "unsubscribe").await?;
    let site = mail::site_url(state);
    let account_page = format!("{site}/account#messages-heading");
    let mut messages = Vec::with_capacity(due.len());
    for r in &due {
        let (tr, zone) = mail::reader(r.language.as_deref(), &r.zone);
        let until = crate::domain::i18n::format_date(tr.locale(), zone, r.ends_at);
        let (unsubscribe, list_unsubscribe) =
            mail::unsubscribe_parts(&key, &site, tr, r.id, Topic::Offers);
        let mut paragraphs = Vec::new();
        let mut subject = None;
        if campaign.bonus_points > 0 {
            let points = tr.points(crate::domain::points::Points::new(campaign.bonus_points)?);
            subject = Some(tr.f("campaigns.mail.bonus_subject", &[("points", &points)]));
            paragraphs.push(tr.f(
                "campaigns.mail.bonus_body",
                &[("points", &points), ("until", &until)],
            ));
        }
        if let (Some(gift), Some(code)) = (given.gift, &r.gift_code) {
            let reward = tr.written(&gift.title, gift.title_es.as_deref());
            subject
                .get_or_insert_with(|| tr.f("campaigns.mail.gift_subject", &[("reward", reward)]));
            paragraphs.push(tr.f(
                "campaigns.mail.gift_body",
                &[("reward", reward), ("code", code), ("until", &until)],
            ));
        }
        if let Some(early) = given.early {
            let reward = tr.written(&early.title, early.title_es.as_deref());
            let when = crate::domain::i18n::format_date(tr.locale(), zone, early.opens_at);
            let (subject_key, body_key) = if early.exclusive {
                (
                    "campaigns.mail.exclusive_subject",
                    "campaigns.mail.exclusive_body",
                )
            } else {
                ("campaigns.mail.early_subject", "campaigns.mail.early_body")
            };
            subject.get_or_insert_with(|| tr.f(subject_key, &[("reward", reward)]));
            paragraphs.push(tr.f(body_key, &[("reward", reward), ("when", &when)]));
            if early.exclusive && early.early {
                paragraphs.push(tr.t("campaigns.mail.exclusive_early").to_owned());
            }
        }
        if paragraphs.is_empty() {
            paragraphs.push(tr.f("campaigns.mail.body", &[("until", &until)]));
        }
        let subject = subject.unwrap_or_else(|| tr.t("campaigns.mail.subject").to_owned());
        messages.push(Outgoing {
            account_id: Some(r.id),
            to: &r.email,
            kind: Kind::Offer,
            mail: Compose {
                tr,
                subject,
                greeting: tr.f("mail.greeting", &[("name", &r.display_name)]),
                paragraphs,
                action: Some((tr.t("campaigns.mail.action"), &site)),
                footer: vec![
                    tr.f("campaigns.mail.why", &[("url", &account_page)]),
                    unsubscribe,
                ],
            }
            .render(),
            unsubscribe_url: Some(list_unsubscribe),
        });
    }
    mail::enqueue_all(&mut *tx, state, messages).await?;
    // `now()` is the transaction's start: the offers written above are the ones it marks.
    let marked = sqlx::query!(
        r#"UPDATE campaign_members m SET mailed_at = now()
           WHERE m.campaign_id = $1 AND NOT m.held_out
             AND EXISTS (SELECT 1 FROM outbox o WHERE o.account_id = m.account_id
                           AND o.kind = 'offer' AND o.created_at = now())"#,
        id
    )
    .execute(&mut *tx)
    .await?;
    Ok(marked.rows_affected())
}

/// What the treated members were given besides bonus points, for the offer's email.
struct Given<'a> {
    early: Option<&'a super::early::Granted>,
    gift: Option<&'a super::gift::Given>,
}

/// The list's rows, newest first (`only` one of them for a report).
async fn rows(pool: &PgPool, only: Option<i64>) -> Result<Vec<CampaignRow>, AppError> {
    let tr = tr();
    let store = crate::infra::store::load(pool).await?;
    let rows = sqlx::query!(
        r#"SELECT c.id, c.name, au.name AS audience, c.action, c.bonus_points, c.with_email,
                  c.ends_at, c.ends_at <= now() AS "ended!", c.early_hours, c.exclusive,
                  (SELECT r.title FROM drop_items di JOIN rewards r ON r.id = di.reward_id
                   WHERE di.id = c.early_item_id) AS "early_title?",
                  (SELECT r.title FROM rewards r WHERE r.id = c.gift_reward_id) AS "gift_title?",
                  (SELECT count(*) FROM campaign_members m WHERE m.campaign_id = c.id) AS "members!",
                  (SELECT count(*) FROM campaign_members m
                   WHERE m.campaign_id = c.id AND m.held_out) AS "held_out!"
           FROM campaigns c JOIN audiences au ON au.id = c.audience_id
           WHERE $1::bigint IS NULL OR c.id = $1
           ORDER BY c.id DESC"#,
        only
    )
    .fetch_all(pool)
    .await?;
    rows.into_iter()
        .map(|r| {
            let mut offer = Vec::new();
            if r.bonus_points > 0 {
                let points = tr.points(crate::domain::points::Points::new(r.bonus_points)?);
                offer.push(tr.f("campaigns.offer.bonus", &[("points", &points)]));
            }
            if let Some(reward) = &r.early_title {
                if r.exclusive {
                    offer.push(tr.f("campaigns.offer.exclusive", &[("reward", reward)]));
                }
                if let Some(hours) = r.early_hours {
                    offer.push(tr.count(
                        "campaigns.offer.early",
                        i64::from(hours),
                        &[("reward", reward)],
                    ));
                }
            }
            if let Some(reward) = &r.gift_title {
                offer.push(tr.f("campaigns.offer.gift", &[("reward", reward)]));
            }
            if r.with_email {
                offer.push(tr.t("campaigns.offer.email").to_owned());
            }
            let when = store.format_time(r.ends_at);
            Ok(CampaignRow {
                id: r.id,
                name: r.name,
                audience: r.audience,
                action: Action::parse(&r.action)
                    .map_or(r.action.clone(), |a| a.label(tr).to_owned()),
                offer: offer.join(" · "),
                members: tr.count(
                    "campaigns.members",
                    r.members,
                    &[("held_out", &tr.number(r.held_out))],
                ),
                window: if r.ended {
                    tr.f("campaigns.ended", &[("when", &when)])
                } else {
                    tr.f("campaigns.until", &[("when", &when)])
                },
            })
        })
        .collect()
}

/// Every campaign, and the form's choices.
pub async fn view(pool: &PgPool) -> Result<CampaignsView, AppError> {
    let tr = tr();
    let audiences = sqlx::query!("SELECT id, name FROM audiences ORDER BY lower(name), id")
        .fetch_all(pool)
        .await?
        .into_iter()
        .map(|r| Choice {
            value: r.id.to_string(),
            label: r.name,
        })
        .collect();
    Ok(CampaignsView {
        campaigns: rows(pool, None).await?,
        early_items: super::early::choices(pool).await?,
        gift_rewards: super::gift::choices(pool).await?,
        audiences,
        actions: Action::TRIED
            .into_iter()
            .map(|a| Choice {
                value: a.code().to_owned(),
                label: a.label(tr).to_owned(),
            })
            .collect(),
    })
}

/// How a figure's values are written: a rate in percent (its difference in points), money per
/// member, or a count per member.
#[derive(Clone, Copy)]
enum Unit {
    Rate,
    Money,
    PerMember,
}

fn write(tr: Tr, store: &crate::infra::store::Store, unit: Unit, value: f64) -> String {
    match unit {
        // One decimal: 4.3%.
        Unit::Rate => tr.f(
            "common.percent",
            &[(
                "n",
                &format_fixed(tr.locale(), (value * 1000.0).round() as i64, 1),
            )],
        ),
        // The values are in cents.
        Unit::Money => store.money(value.round() as i64),
        Unit::PerMember => format_fixed(tr.locale(), (value * 100.0).round() as i64, 2),
    }
}

fn figure(
    tr: Tr,
    store: &crate::infra::store::Store,
    label: &'static str,
    unit: Unit,
    treated: Group,
    held_out: Group,
) -> Figure {
    let uplift = Uplift::between(treated, held_out);
    let value = |v: f64| write(tr, store, unit, v);
    let difference = match unit {
        Unit::Rate => tr.f(
            "campaigns.report.points",
            &[(
                "n",
                &format_fixed(tr.locale(), (uplift.difference * 1000.0).round() as i64, 1),
            )],
        ),
        _ => value(uplift.difference),
    };
    let bound = |v: f64| match unit {
        Unit::Rate => format_fixed(tr.locale(), (v * 1000.0).round() as i64, 1),
        _ => value(v),
    };
    let verdict = if uplift.too_few {
        tr.f(
            "campaigns.report.too_few",
            &[("min", &MIN_GROUP.to_string())],
        )
    } else if uplift.significant() {
        tr.t("campaigns.report.significant").to_owned()
    } else {
        tr.t("campaigns.report.not_significant").to_owned()
    };
    Figure {
        label: tr.t(label).to_owned(),
        treated: value(treated.mean),
        held_out: value(held_out.mean),
        difference,
        interval: tr.f(
            "campaigns.report.interval",
            &[("low", &bound(uplift.low)), ("high", &bound(uplift.high))],
        ),
        verdict,
        significant: uplift.significant(),
    }
}

/// One member of a campaign as the report counts them (1.0 / 0.0 for a yes or no).
struct Seen {
    held_out: bool,
    paid: bool,
    mailed: bool,
    gifted: bool,
    bought: f64,
    spend: f64,
    redemptions: f64,
    active: f64,
}

/// The report of campaign `id`: for the treated and the held-out members, the share who bought
/// in the window, spend and redemptions per member in the window, and the share still likely
/// active (P(alive) at least a half in the latest scores), each difference with its 95%
/// interval.
pub async fn report(pool: &PgPool, id: i64) -> Result<CampaignReport, AppError> {
    let tr = tr();
    let store = crate::infra::store::load(pool).await?;
    let row = rows(pool, Some(id))
        .await?
        .into_iter()
        .next()
        .ok_or_else(|| AppError::not_found(tr.t("campaigns.that_campaign")))?;
    let members = sqlx::query!(
        r#"SELECT m.held_out, m.bonus_entry_id IS NOT NULL AS "paid!", m.mailed_at IS NOT NULL AS "mailed!",
                  EXISTS (SELECT 1 FROM campaign_gifts g WHERE g.campaign_id = m.campaign_id
                            AND g.account_id = m.account_id) AS "gifted!",
                  c.ends_at > now() AS "running!",
                  (SELECT count(*) FROM purchases p WHERE p.account_id = m.account_id
                     AND p.refunded_at IS NULL AND p.purchased_at >= c.starts_at
                     AND p.purchased_at < c.ends_at) AS "purchases!",
                  (SELECT COALESCE(sum(p.amount_cents), 0) FROM purchases p WHERE p.account_id = m.account_id
                     AND p.refunded_at IS NULL AND p.purchased_at >= c.starts_at
                     AND p.purchased_at < c.ends_at)::bigint AS "spend!",
                  (SELECT count(*) FROM redemptions r WHERE r.account_id = m.account_id
                     AND r.status = 'confirmed' AND r.created_at >= c.starts_at
                     AND r.created_at < c.ends_at) AS "redemptions!",
                  COALESCE(s.p_alive >= 0.5, false) AS "active!"
           FROM campaign_members m
           JOIN campaigns c ON c.id = m.campaign_id
           LEFT JOIN member_scores s ON s.account_id = m.account_id
           WHERE m.campaign_id = $1"#,
        id
    )
    .fetch_all(pool)
    .await?;
    let running = members.first().is_some_and(|m| m.running);
    let flag = |b: bool| if b { 1.0 } else { 0.0 };
    let seen: Vec<Seen> = members
        .iter()
        .map(|m| Seen {
            held_out: m.held_out,
            paid: m.paid,
            mailed: m.mailed,
            gifted: m.gifted,
            bought: flag(m.purchases > 0),
            spend: m.spend as f64,
            redemptions: m.redemptions as f64,
            active: flag(m.active),
        })
        .collect();
    let both = |value: fn(&Seen) -> f64| {
        let of = |held_out: bool| {
            Group::of(
                &seen
                    .iter()
                    .filter(|m| m.held_out == held_out)
                    .map(value)
                    .collect::<Vec<f64>>(),
            )
        };
        (of(false), of(true))
    };
    let figures = [
        ("campaigns.report.bought", Unit::Rate, both(|m| m.bought)),
        ("campaigns.report.spend", Unit::Money, both(|m| m.spend)),
        (
            "campaigns.report.redemptions",
            Unit::PerMember,
            both(|m| m.redemptions),
        ),
        ("campaigns.report.active", Unit::Rate, both(|m| m.active)),
    ]
    .into_iter()
    .map(|(label, unit, (treated, held_out))| figure(tr, &store, label, unit, treated, held_out))
    .collect();
    let count = |f: fn(&Seen) -> bool| seen.iter().filter(|m| f(m)).count() as i64;
    Ok(CampaignReport {
        id,
        name: row.name.clone(),
        treated: tr.count("campaigns.report.treated_n", count(|m| !m.held_out), &[]),
        held_out: tr.count("campaigns.report.held_out_n", count(|m| m.held_out), &[]),
        given: tr.f(
            "campaigns.report.given",
            &[
                ("paid", &tr.number(count(|m| m.paid))),
                ("mailed", &tr.number(count(|m| m.mailed))),
                ("gifts", &tr.number(count(|m| m.gifted))),
            ],
        ),
        running,
        figures,
        row,
    })
}
