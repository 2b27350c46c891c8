//! Reading what the checks need (items, members, what they already hold) and reading
//! redemptions back.

use chrono::{DateTime, Duration, Utc};
use sqlx::PgConnection;
use uuid::Uuid;

use super::rules::*;
use crate::AppError;
use crate::domain::points::Points;
use crate::infra::caller::Member;
use crate::redemptions::{RedeemOffer, Redemption};

/// An item's texts in Spanish, where staff wrote them.
pub(super) struct Spanish {
    title: Option<String>,
    description: Option<String>,
    drop_title: Option<String>,
}

/// What the checks need about one drop item.
pub(super) struct Item {
    pub(super) title: String,
    pub(super) description: String,
    pub(super) category: String,
    pub(super) reward_id: i64,
    pub(super) drop_title: String,
    /// The Spanish texts staff wrote, if they did (shown to Spanish readers).
    pub(super) spanish: Spanish,
    pub(super) remaining: i32,
    pub(super) cost: i64,
    pub(super) limit: i32,
    pub(super) starts_at: DateTime<Utc>,
    pub(super) ends_at: DateTime<Utc>,
    pub(super) cancelled: bool,
    pub(super) required_tier: Option<(i16, String)>,
    /// The audience the item is for only, if staff aimed it at one.
    pub(super) audience: Option<i64>,
    /// Whether members outside `audience` see the item (greyed, with why) or not at all.
    pub(super) audience_shown: bool,
    /// The campaign whose treated members the item is set aside for (no one else sees it).
    pub(super) campaign: Option<i64>,
    pub(super) early_access: Option<(EarlyFor, Duration)>,
    /// Given by a draw (issue 26): members enter on the draw's page, never press Redeem.
    pub(super) drawn: bool,
    /// How long after redeeming a member may still cancel.
    pub(super) cancel_window: Duration,
    /// The store's time zone, for the times in answers.
    pub(super) zone: chrono_tz::Tz,
}

/// Who an item's early access is for: a tier (by rank) and those above it, an audience, or a
/// campaign's treated members.
#[derive(Clone, Copy)]
pub(super) enum EarlyFor {
    Tier(i16),
    Audience(i64),
    Campaign(i64),
}

impl Item {
    /// When `member` may start redeeming (earlier with early access).
    pub(super) fn opens_for(&self, member: &MemberRow) -> DateTime<Utc> {
        match self.early_access {
            Some((EarlyFor::Tier(rank), early)) if member.rank >= rank => self.starts_at - early,
            Some((EarlyFor::Audience(audience), early)) if member.audiences.contains(&audience) => {
                self.starts_at - early
            }
            Some((EarlyFor::Campaign(campaign), early)) if member.campaigns.contains(&campaign) => {
                self.starts_at - early
            }
            _ => self.starts_at,
        }
    }

    /// The audiences the item's rules name (for it only, or its early access).
    pub(super) fn audiences(&self) -> impl Iterator<Item = i64> {
        let early = match self.early_access {
            Some((EarlyFor::Audience(id), _)) => Some(id),
            _ => None,
        };
        self.audience.into_iter().chain(early)
    }

    /// The campaigns the item's rules name (set aside for its treated members, or their early
    /// access).
    pub(super) fn campaigns(&self) -> impl Iterator<Item = i64> {
        let early = match self.early_access {
            Some((EarlyFor::Campaign(id), _)) => Some(id),
            _ => None,
        };
        self.campaign.into_iter().chain(early)
    }

    /// Whether `member` may not see the item at all: it is kept out of sight of those outside
    /// its audience, or set aside for a campaign that does not treat them.
    pub(super) fn hidden_from(&self, member: &MemberRow) -> bool {
        self.audience
            .is_some_and(|a| !self.audience_shown && !member.audiences.contains(&a))
            || self
                .campaign
                .is_some_and(|c| !member.campaigns.contains(&c))
    }
}

/// Where one member stands: their tier and balance, and which of the batch's items'
/// audiences they are in now.
pub(super) struct MemberRow {
    pub(super) rank: i16,
    pub(super) balance: i64,
    pub(super) audiences: Vec<i64>,
    /// Which of the batch's items' early-access campaigns treat them.
    pub(super) campaigns: Vec<i64>,
}

/// The tier an item requires is its own if it has one, else its reward's: a minimum tier set in
/// the catalog holds in every drop the reward is put in.
pub(super) async fn items(
    conn: &mut PgConnection,
    ids: &[i64],
) -> Result<std::collections::HashMap<i64, Item>, sqlx::Error> {
    let rows = sqlx::query!(
        r#"SELECT di.id, r.title, r.description, r.category, r.id AS reward_id, d.title AS drop_title,
                  r.title_es, r.description_es, d.title_es AS drop_title_es,
                  di.remaining, di.points_cost, di.per_member_limit,
                  d.starts_at, d.ends_at, d.cancelled_at IS NOT NULL AS "cancelled!",
                  mt.rank AS "min_rank?", mt.name AS "min_name?",
                  ea.rank AS "early_rank?", (extract(epoch FROM di.early_access))::bigint AS early_secs,
                  di.audience_id, di.audience_shown, di.early_access_audience_id,
                  di.early_access_campaign_id, di.campaign_id,
                  di.allocation = 'draw' AS "drawn!",
                  (extract(epoch FROM s.redemption_cancel_window))::bigint AS "window_secs!",
                  s.time_zone
           FROM drop_items di
           JOIN drops d ON d.id = di.drop_id
           JOIN rewards r ON r.id = di.reward_id
           LEFT JOIN tiers mt ON mt.code = COALESCE(di.min_tier, r.min_tier)
           LEFT JOIN tiers ea ON ea.code = di.early_access_tier
           CROSS JOIN store_settings s
           WHERE di.id = ANY($1)"#,
        ids
    )
    .fetch_all(conn)
    .await?;
    rows.into_iter()
        .map(|r| {
            let zone = r.time_zone.parse().map_err(|e: chrono_tz::ParseError| {
                sqlx::Error::Decode(format!("store time zone: {e}").into())
            })?;
            let item = Item {
                title: r.title,
                description: r.description,
                category: r.category,
                reward_id: r.reward_id,
                drop_title: r.drop_title,
                spanish: Spanish {
                    title: r.title_es,
                    description: r.description_es,
                    drop_title: r.drop_title_es,
                },
                remaining: r.remaining,
                cost: r.points_cost,
                limit: r.per_member_limit,
                starts_at: r.starts_at,
                ends_at: r.ends_at,
                cancelled: r.cancelled,
                required_tier: r.min_rank.zip(r.min_name),
                audience: r.audience_id,
                audience_shown: r.audience_shown,
                campaign: r.campaign_id,
                early_access: r
                    .early_rank
                    .map(EarlyFor::Tier)
                    .or(r.early_access_audience_id.map(EarlyFor::Audience))
                    .or(r.early_access_campaign_id.map(EarlyFor::Campaign))
                    .zip(r.early_secs.map(Duration::seconds)),
                drawn: r.drawn,
                cancel_window: Duration::seconds(r.window_secs),
                zone,
            };
            Ok((r.id, item))
        })
        .collect()
}

/// The members `ids` with which of `audiences` each is in now, judged by the database's
/// `fits_audience` in the same statement (and, in the writer, the same transaction) as the
/// rest: the batch makes no extra round trip for it, and none at all is read without one.
/// Likewise which of `campaigns` treat them (a held-out member is not treated).
pub(super) async fn members(
    conn: &mut PgConnection,
    ids: &[i64],
    audiences: &[i64],
    campaigns: &[i64],
) -> Result<std::collections::HashMap<i64, MemberRow>, sqlx::Error> {
    let rows = sqlx::query!(
        r#"SELECT a.id, a.balance, t.rank,
                  ARRAY(SELECT au.id FROM audiences au, audience_facts f
                        WHERE au.id = ANY($2) AND f.account_id = a.id
                          AND fits_audience(f, au.rules)) AS "audiences!",
                  ARRAY(SELECT cm.campaign_id FROM campaign_members cm
                        WHERE cm.campaign_id = ANY($3) AND cm.account_id = a.id
                          AND NOT cm.held_out) AS "campaigns!"
           FROM accounts a JOIN tiers t ON t.code = a.tier WHERE a.id = ANY($1)"#,
        ids,
        audiences,
        campaigns
    )
    .fetch_all(conn)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| {
            let member = MemberRow {
                rank: r.rank,
                balance: r.balance,
                audiences: r.audiences,
                campaigns: r.campaigns,
            };
            (r.id, member)
        })
        .collect())
}

/// What a batch needs to know about its members' earlier redemptions.
pub(super) struct Earlier {
    /// (member, item) → confirmed redemptions.
    pub(super) held: std::collections::HashMap<(i64, i64), i64>,
    /// (member, key) → the redemption that key made: its code and item.
    pub(super) by_key: std::collections::HashMap<(i64, Uuid), (String, i64)>,
}

/// How many units each (member, item) pair holds, and the redemptions made with each (member,
/// key). Each is read by its key, so a batch reads a row per press however many redemptions
/// its members hold.
pub(super) async fn earlier(
    conn: &mut PgConnection,
    holders: &[(i64, i64)],
    keyed: &[(i64, Uuid)],
) -> Result<Earlier, sqlx::Error> {
    let (held_accounts, held_items): (Vec<i64>, Vec<i64>) = holders.iter().copied().unzip();
    let (key_accounts, keys): (Vec<i64>, Vec<Uuid>) = keyed.iter().copied().unzip();
    let rows = sqlx::query!(
        r#"SELECT h.account_id AS "account_id!", h.drop_item_id AS "drop_item_id!", h.held AS "held!",
                  NULL::uuid AS "key?", NULL::text AS "code?"
           FROM holdings h
           JOIN unnest($1::bigint[], $2::bigint[]) AS p(account_id, drop_item_id)
             ON h.account_id = p.account_id AND h.drop_item_id = p.drop_item_id
           UNION ALL
           SELECT r.account_id, r.drop_item_id, 0, r.idempotency_key, r.code
           FROM redemptions r
           JOIN unnest($3::bigint[], $4::uuid[]) AS p(account_id, key)
             ON r.account_id = p.account_id AND r.idempotency_key = p.key"#,
        &held_accounts,
        &held_items,
        &key_accounts,
        &keys
    )
    .fetch_all(conn)
    .await?;
    let mut earlier = Earlier {
        held: Default::default(),
        by_key: Default::default(),
    };
    for r in rows {
        match (r.key, r.code) {
            (Some(key), Some(code)) => {
                earlier
                    .by_key
                    .insert((r.account_id, key), (code, r.drop_item_id));
            }
            _ => {
                earlier
                    .held
                    .insert((r.account_id, r.drop_item_id), i64::from(r.held));
            }
        }
    }
    Ok(earlier)
}

pub async fn preview(
    caller: &Member,
    item_id: i64,
    now: DateTime<Utc>,
) -> Result<RedeemOffer, AppError> {
    let me = caller.account();
    let tr = crate::domain::i18n::tr();
    let pool = caller.pool();
    let mut conn = pool.acquire().await?;
    let item = items(&mut conn, &[item_id])
        .await?
        .remove(&item_id)
        // Only what the bazaar shows: a cancelled drop's items, or those of a drop not yet
        // announced (opening more than a day from now), are not there to be looked up by id.
        .filter(|item| !item.cancelled && item.starts_at <= now + Duration::days(1))
        .ok_or_else(|| AppError::not_found(tr.t("redemptions.the_reward")))?;
    let audiences: Vec<i64> = item.audiences().collect();
    let campaigns: Vec<i64> = item.campaigns().collect();
    let member = members(&mut conn, &[me.id], &audiences, &campaigns)
        .await?
        .remove(&me.id)
        .ok_or_else(|| AppError::not_found(tr.t("redemptions.the_member")))?;
    // An item staff keep out of sight of members outside its audience is not there for them.
    if item.hidden_from(&member) {
        return Err(AppError::not_found(tr.t("redemptions.the_reward")));
    }
    let held = earlier(&mut conn, &[(me.id, item_id)], &[])
        .await?
        .held
        .get(&(me.id, item_id))
        .copied()
        .unwrap_or(0);
    let photo = sqlx::query_scalar!(
        "SELECT updated_at FROM reward_images WHERE reward_id = $1",
        item.reward_id
    )
    .fetch_optional(&mut *conn)
    .await?;
    let refusal = blocked(&item, &member, item.remaining, held, now);
    // What staff wrote, in the reader's language where they wrote it (else in English).
    let spanish = crate::domain::i18n::tr().lang() == crate::domain::i18n::Lang::Es;
    let text = |english: String, translated: Option<String>| match translated {
        Some(text) if spanish => text,
        _ => english,
    };
    let Spanish {
        title: title_es,
        description: description_es,
        drop_title: drop_title_es,
    } = item.spanish;
    Ok(RedeemOffer {
        drop_item_id: item_id,
        blocked: refusal,
        image_url: crate::domain::category::image_url(item.reward_id, photo),
        category: item
            .category
            .parse()
            .map_err(|e| AppError::internal("redemption", e))?,
        cost: Points::new(item.cost)?,
        remaining: item.remaining,
        reward_title: text(item.title, title_es),
        description: text(item.description, description_es),
        drop_title: text(item.drop_title, drop_title_es),
        balance: me.balance,
        idempotency_key: Uuid::new_v4().to_string(),
    })
}

pub async fn one(caller: &Member, code: &str, now: DateTime<Utc>) -> Result<Redemption, AppError> {
    let me = caller.account();
    let tr = crate::domain::i18n::tr();
    let all = list(caller, me.id, Some(code), now).await?;
    all.into_iter()
        .next()
        .ok_or_else(|| AppError::not_found(tr.t("redemptions.the_redemption")))
}

/// A redemption as its own page shows it: with one quick question, when one is due (never in
/// the answer to Redeem itself, a retried press included).
pub async fn page(caller: &Member, code: &str, now: DateTime<Utc>) -> Result<Redemption, AppError> {
    let mut one = one(caller, code, now).await?;
    one.question = crate::account::ssr::questions::due(
        &mut *caller.pool().acquire().await?,
        caller.account().id,
    )
    .await?;
    Ok(one)
}

pub async fn mine(caller: &Member, now: DateTime<Utc>) -> Result<Vec<Redemption>, AppError> {
    let me = caller.account();
    list(caller, me.id, None, now).await
}

/// The member's redemptions (or one of them). Always filtered by the session's account, so a
/// code belonging to someone else is simply not found.
pub(super) async fn list(
    caller: &Member,
    account_id: i64,
    code: Option<&str>,
    now: DateTime<Utc>,
) -> Result<Vec<Redemption>, AppError> {
    let pool = caller.pool();
    let store = crate::infra::store::load(pool).await?;
    let rows = sqlx::query!(
        r#"SELECT x.code, x.drop_item_id, x.points, x.status, x.created_at,
                  CASE WHEN $3 = 'es' THEN COALESCE(r.title_es, r.title) ELSE r.title END AS "title!",
                  a.balance,
                  d.ends_at, (extract(epoch FROM s.redemption_cancel_window))::bigint AS "window_secs!"
           FROM redemptions x
           JOIN drop_items di ON di.id = x.drop_item_id
           JOIN drops d ON d.id = di.drop_id
           JOIN rewards r ON r.id = di.reward_id
           JOIN accounts a ON a.id = x.account_id
           CROSS JOIN store_settings s
           WHERE x.account_id = $1 AND ($2::text IS NULL OR x.code = $2)
           ORDER BY x.created_at DESC
           LIMIT 50"#,
        account_id,
        code,
        crate::domain::i18n::tr().lang().code()
    )
    .fetch_all(pool)
    .await?;
    rows.into_iter()
        .map(|r| {
            let cancelled = r.status == "cancelled";
            let until = (r.created_at + Duration::seconds(r.window_secs)).min(r.ends_at);
            Ok(Redemption {
                code: r.code,
                reward_title: r.title,
                drop_item_id: r.drop_item_id,
                points: Points::new(r.points)?,
                cancelled,
                created_label: store.format_time(r.created_at),
                created_at: r.created_at,
                balance: Points::new(r.balance)?,
                cancel_until: (!cancelled && now < until).then(|| store.format_time(until)),
                question: None,
            })
        })
        .collect()
}
