use chrono::Utc;
use sqlx::PgPool;

use super::for_you;
use super::{BazaarView, CardAction, CategoryCount, DropSummary, RewardCard};
use crate::AppError;
use crate::domain::account::Viewer;
use crate::domain::category::Category;
use crate::domain::i18n::tr;
use crate::domain::points::Points;
use crate::infra::caller::Member;

/// Reads the bazaar as of now. `category` is the raw filter from the URL: an unknown one is the
/// member's mistake (a stale link), answered with the list of real categories.
pub async fn bazaar(
    pool: &PgPool,
    viewer: Option<&Viewer>,
    category: Option<&str>,
) -> Result<BazaarView, AppError> {
    let category = match category.filter(|c| !c.is_empty()) {
        Some(raw) => Some(
            raw.parse::<Category>()
                .map_err(|e| AppError::bad_request(e.to_string()))?,
        ),
        None => None,
    };
    let now = Utc::now();
    let store = crate::infra::store::load(pool).await?;
    // What staff wrote, in the reader's language where they wrote it (else in English).
    let lang = tr().lang().code();

    // Live drops and upcoming ones are limited separately: under one limit, enough live drops
    // would push the next drop (and the reminders for it) off the page.
    let drops = sqlx::query!(
        r#"(SELECT d.id AS "id!",
                   CASE WHEN $3 = 'es' THEN COALESCE(d.title_es, d.title) ELSE d.title END AS "title!",
                   d.starts_at AS "starts_at!", d.ends_at AS "ends_at!",
                   EXISTS (SELECT 1 FROM drop_reminders r WHERE r.drop_id = d.id AND r.account_id = $2) AS "reminded!"
            FROM drops d
            WHERE d.cancelled_at IS NULL AND d.starts_at <= $1 AND d.ends_at > $1
            ORDER BY d.starts_at, d.id
            LIMIT 20)
           UNION ALL
           (SELECT d.id, CASE WHEN $3 = 'es' THEN COALESCE(d.title_es, d.title) ELSE d.title END,
                   d.starts_at, d.ends_at,
                   EXISTS (SELECT 1 FROM drop_reminders r WHERE r.drop_id = d.id AND r.account_id = $2)
            FROM drops d
            WHERE d.cancelled_at IS NULL AND d.starts_at > $1
            ORDER BY d.starts_at, d.id
            LIMIT 9)"#,
        now,
        viewer.map(|v| v.id),
        lang
    )
    .fetch_all(pool)
    .await?;
    let zone = store.reader_zone();
    let (live, upcoming): (Vec<_>, Vec<_>) = drops
        .into_iter()
        .map(|d| DropSummary {
            id: d.id,
            starts_in: (d.starts_at - now >= chrono::Duration::days(1)).then(|| {
                let days = (d.starts_at.with_timezone(&zone).date_naive()
                    - now.with_timezone(&zone).date_naive())
                .num_days();
                tr().in_days(days)
            }),
            starts_label: store.format_time(d.starts_at),
            ends_label: store.format_time(d.ends_at),
            title: d.title,
            starts_at: d.starts_at,
            ends_at: d.ends_at,
            reminded: viewer.map(|_| d.reminded),
        })
        .partition(|d| d.starts_at <= now);
    let next = upcoming.first().cloned();
    let upcoming: Vec<DropSummary> = upcoming.into_iter().take(8).collect();

    // Live drops, and drops opening within a day (their cards count down to the opening). With
    // each, what the "For you" row weighs for the member looking (nothing for a visitor). What
    // is the member's, not the item's, is read once (`me`, `mine`) and matched per row in
    // memory: a subquery per row and signal cost the page a third of its database time.
    let rows = sqlx::query!(
        r#"WITH me AS MATERIALIZED (
               SELECT t.rank, sc.segment, sc.p_alive, st.for_you_weights AS weights,
                      lots.expiring, lots.first_expiry,
                      EXISTS (SELECT 1 FROM birthday_gifts g
                              WHERE g.account_id = $2 AND g.expires_at > $1) AS birthday_gift,
                      ARRAY(SELECT l.category FROM member_likes l
                            WHERE l.account_id = $2 AND l.category IS NOT NULL) AS loved_types,
                      -- The interests in the order staff list them: a card names the first.
                      ARRAY(SELECT i.tag FROM member_likes l JOIN interests i ON i.id = l.interest_id
                            WHERE l.account_id = $2 ORDER BY i.position, i.id) AS loved_tags,
                      ARRAY(SELECT CASE WHEN $3 = 'es' THEN COALESCE(i.name_es, i.name) ELSE i.name END
                            FROM member_likes l JOIN interests i ON i.id = l.interest_id
                            WHERE l.account_id = $2 ORDER BY i.position, i.id) AS loved_names,
                      ARRAY(SELECT dr.drop_id FROM drop_reminders dr JOIN drops rd ON rd.id = dr.drop_id
                            WHERE dr.account_id = $2 AND rd.ends_at > $1) AS reminded
               -- One row, always (store_settings_single_row; the store was read above).
               FROM store_settings st
               LEFT JOIN accounts a ON a.id = $2
               LEFT JOIN tiers t ON t.code = a.tier
               LEFT JOIN member_scores sc ON sc.account_id = $2
               CROSS JOIN LATERAL (
                   SELECT sum(remaining)::bigint AS expiring, min(expires_at) AS first_expiry
                   FROM point_lots
                   WHERE account_id = $2 AND remaining > 0
                     AND expires_at <= $1::timestamptz + interval '30 days') lots),
           mine AS MATERIALIZED (
               SELECT xr.category, count(*) AS n
               FROM redemptions x
               JOIN drop_items xi ON xi.id = x.drop_item_id
               JOIN rewards xr ON xr.id = xi.reward_id
               WHERE x.account_id = $2 AND x.status = 'confirmed'
               GROUP BY xr.category)
           SELECT di.id AS drop_item_id, r.id AS reward_id,
                  CASE WHEN $3 = 'es' THEN COALESCE(r.title_es, r.title) ELSE r.title END AS "title!",
                  CASE WHEN $3 = 'es' THEN COALESCE(r.description_es, r.description) ELSE r.description END AS "description!",
                  r.category,
                  di.points_cost, di.quantity, di.remaining, di.per_member_limit,
                  d.starts_at - CASE WHEN ea.rank IS NOT NULL AND me.rank >= ea.rank
                                     THEN di.early_access
                                     WHEN di.early_access_audience_id IS NOT NULL
                                      AND member_in_audience($2, di.early_access_audience_id)
                                     THEN di.early_access
                                     WHEN di.early_access_campaign_id IS NOT NULL
                                      AND EXISTS (SELECT 1 FROM campaign_members cm
                                                  WHERE cm.campaign_id = di.early_access_campaign_id
                                                    AND cm.account_id = $2 AND NOT cm.held_out)
                                     THEN di.early_access ELSE interval '0' END AS "opens_at!",
                  di.audience_id IS NOT NULL OR di.campaign_id IS NOT NULL AS "for_audience!",
                  di.audience_shown AND di.campaign_id IS NULL AS "audience_shown!",
                  di.allocation = 'draw' AS "drawn!",
                  (di.audience_id IS NULL OR member_in_audience($2, di.audience_id))
                  AND (di.campaign_id IS NULL
                      OR EXISTS (SELECT 1 FROM campaign_members cm
                                 WHERE cm.campaign_id = di.campaign_id
                                   AND cm.account_id = $2 AND NOT cm.held_out)) AS "in_audience!",
                  mt.rank AS "min_rank?", mt.name AS "min_name?", me.rank AS "member_rank?",
                  COALESCE((SELECT h.held FROM holdings h
                            WHERE h.drop_item_id = di.id AND h.account_id = $2), 0)::bigint AS "already!",
                  (SELECT i.updated_at FROM reward_images i WHERE i.reward_id = r.id) AS "photo_uploaded?",
                  r.created_at > $1::timestamptz - interval '14 days' AS "new!",
                  r.category = ANY (me.loved_types) AS "loved_type!",
                  CASE WHEN me.loved_tags <> '{}' THEN
                      (SELECT u.name FROM unnest(me.loved_tags, me.loved_names) WITH ORDINALITY u (tag, name, n)
                       WHERE u.tag = ANY (r.tags) ORDER BY u.n LIMIT 1) END AS "loved_interest?",
                  COALESCE(mine.n, 0) AS "redeemed_in_category!",
                  d.id = ANY (me.reminded) AS "reminded!",
                  me.expiring AS "expiring_points?", me.first_expiry AS "expiring_first?",
                  me.segment AS "segment?", me.p_alive AS "p_alive?", me.weights AS "weights!",
                  me.birthday_gift AS "birthday_gift!"
           FROM drop_items di
           JOIN drops d ON d.id = di.drop_id
           JOIN rewards r ON r.id = di.reward_id
           LEFT JOIN tiers mt ON mt.code = COALESCE(di.min_tier, r.min_tier)
           LEFT JOIN tiers ea ON ea.code = di.early_access_tier
           CROSS JOIN me
           LEFT JOIN mine ON mine.category = r.category
           WHERE d.cancelled_at IS NULL AND d.ends_at > $1 AND d.starts_at <= $1 + interval '1 day'
           ORDER BY di.points_cost, 2, di.id"#,
        now,
        viewer.map(|v| v.id),
        lang
    )
    .fetch_all(pool)
    .await?;

    let mut categories: Vec<CategoryCount> = Category::ALL
        .into_iter()
        .map(|category| CategoryCount { category, count: 0 })
        .collect();
    let mut member = for_you::Member::default();
    let mut weights = for_you::Weights::default();
    let mut cards = Vec::new();
    for (i, row) in rows.into_iter().enumerate() {
        if i == 0 && viewer.is_some() {
            let zone = store.reader_zone();
            member = for_you::Member {
                expiring: row
                    .expiring_points
                    .zip(row.expiring_first)
                    .map(|(points, first)| {
                        let days = (first.with_timezone(&zone).date_naive()
                            - now.with_timezone(&zone).date_naive())
                        .num_days();
                        (points, days)
                    }),
                segment: row.segment.clone(),
                p_alive: row.p_alive,
                birthday_gift: row.birthday_gift,
            };
        }
        if i == 0 {
            weights = for_you::Weights::from_setting(&row.weights);
        }
        // Set aside for an audience this reader is not in, and kept out of sight by staff.
        // A visitor is in no audience: they see only what staff show everyone.
        if row.for_audience && !row.in_audience && !row.audience_shown {
            continue;
        }
        let row_category: Category = row
            .category
            .parse()
            .map_err(|e| AppError::internal("bazaar", e))?;
        if let Some(count) = categories.iter_mut().find(|c| c.category == row_category) {
            count.count += 1;
        }
        if category.is_some_and(|c| c != row_category) {
            continue;
        }
        let action = if row.drawn {
            CardAction::Draw
        } else if row.remaining <= 0 {
            CardAction::SoldOut
        } else if now < row.opens_at {
            CardAction::Opens
        } else if let Some(viewer) = viewer {
            match (row.min_rank, row.min_name.clone()) {
                (Some(min), Some(name)) if row.member_rank.unwrap_or(0) < min => {
                    CardAction::TierRequired { tier: name }
                }
                _ if !row.in_audience => CardAction::AudienceOnly,
                _ if row.already >= i64::from(row.per_member_limit) => CardAction::LimitReached,
                _ if viewer.balance.get() < row.points_cost => CardAction::NeedPoints {
                    more: row.points_cost - viewer.balance.get(),
                },
                _ => CardAction::Redeem,
            }
        } else {
            CardAction::SignIn
        };
        let short_by = match &action {
            CardAction::Redeem | CardAction::SignIn => Some(0),
            CardAction::NeedPoints { more } => Some(*more),
            CardAction::Opens => {
                Some((row.points_cost - viewer.map_or(row.points_cost, |v| v.balance.get())).max(0))
            }
            CardAction::TierRequired { .. }
            | CardAction::Draw
            | CardAction::AudienceOnly
            | CardAction::LimitReached
            | CardAction::SoldOut => None,
        };
        let candidate = for_you::Candidate {
            category: row_category,
            cost: row.points_cost,
            short_by,
            loved_type: row.loved_type,
            loved_interest: row.loved_interest,
            redeemed_in_category: row.redeemed_in_category,
            reminded: row.reminded,
            tier_only: row.min_name.filter(|_| viewer.is_some()),
            quantity: row.quantity,
            remaining: row.remaining,
            new: row.new,
        };
        let card = RewardCard {
            drop_item_id: row.drop_item_id,
            reward_id: row.reward_id,
            image_url: crate::domain::category::image_url(row.reward_id, row.photo_uploaded),
            title: row.title,
            description: row.description,
            category: row_category,
            cost: Points::new(row.points_cost)?,
            quantity: row.quantity,
            remaining: row.remaining,
            opens_at: row.opens_at,
            action,
            why: None,
        };
        cards.push((card, candidate));
    }
    // Stable sort: within each group the query's order (cheapest first) stays.
    cards.sort_by_key(|(card, _)| card.action.rank());
    // "For you" on the whole bazaar only: a member who filtered has said what they want.
    let for_you = if category.is_none() {
        let candidates: Vec<for_you::Candidate> = cards.iter().map(|(_, c)| c.clone()).collect();
        for_you::pick(&candidates, &member, &weights, FOR_YOU_CARDS)
            .into_iter()
            .map(|(i, why)| RewardCard {
                why: why_text(&why, viewer.is_some()),
                ..cards[i].0.clone()
            })
            .collect()
    } else {
        Vec::new()
    };
    let rewards = cards.into_iter().map(|(card, _)| card).collect();

    Ok(BazaarView {
        store: store.info,
        now,
        live,
        next,
        upcoming,
        category,
        categories,
        for_you,
        rewards,
    })
}

/// How many rewards the "For you" row shows: a phone's width and a half, so it is seen to scroll.
const FOR_YOU_CARDS: usize = 4;

/// Why a reward is in the "For you" row, in a few words in the reader's language; empty for a
/// visitor's plain "affordable" (a visitor has no points to afford anything with).
fn why_text(why: &for_you::Why, member: bool) -> Option<String> {
    use for_you::Why;
    let tr = tr();
    Some(match why {
        Why::Birthday => tr.t("bazaar.why.birthday").to_owned(),
        Why::LovedType(c) => tr
            .t(match c {
                Category::Sample => "bazaar.why.loved.sample",
                Category::Experience => "bazaar.why.loved.experience",
                Category::Service => "bazaar.why.loved.service",
                Category::Discount => "bazaar.why.loved.discount",
                Category::FreeShipping => "bazaar.why.loved.free_shipping",
                Category::Gift => "bazaar.why.loved.gift",
            })
            .to_owned(),
        Why::LovedInterest(name) => tr.f("bazaar.why.loved_interest", &[("interest", name)]),
        Why::RedeemedBefore(_) => tr.t("bazaar.why.redeemed_before").to_owned(),
        Why::Reminded => tr.t("bazaar.why.reminded").to_owned(),
        Why::Expiring { points, days } => tr.count(
            "bazaar.why.expiring",
            *points,
            &[("when", &tr.in_days(*days))],
        ),
        Why::TierOnly(tier) => {
            let tier = crate::domain::account::Tier::parse_name(tier)
                .map_or_else(|| tier.clone(), |t| t.label(tr).to_owned());
            tr.f("bazaar.why.tier_only", &[("tier", &tier)])
        }
        Why::WinBack => tr.t("bazaar.why.win_back").to_owned(),
        Why::Affordable if member => tr.t("bazaar.why.affordable").to_owned(),
        Why::Affordable => return None,
        Why::WithinReach(more) => tr.count("bazaar.why.within_reach", *more, &[]),
        Why::Popular => tr.t("bazaar.why.popular").to_owned(),
        Why::New => tr.t("bazaar.why.new").to_owned(),
    })
}

/// Turns a member's reminder for a drop on or off. Only drops that have not opened take one.
pub async fn remind(
    caller: &Member,
    drop_id: i64,
    on: bool,
    now: chrono::DateTime<Utc>,
) -> Result<(), AppError> {
    let me = caller.account();
    let pool = caller.pool();
    if !on {
        sqlx::query!(
            "DELETE FROM drop_reminders WHERE account_id = $1 AND drop_id = $2",
            me.id,
            drop_id
        )
        .execute(pool)
        .await?;
        return Ok(());
    }
    let drop = sqlx::query!(
        r#"SELECT starts_at, cancelled_at IS NOT NULL AS "cancelled!" FROM drops WHERE id = $1"#,
        drop_id
    )
    .fetch_optional(pool)
    .await?
    .ok_or_else(|| AppError::not_found(tr().t("bazaar.that_drop")))?;
    if drop.cancelled {
        return Err(AppError::bad_request(tr().t("bazaar.remind_cancelled")));
    }
    if drop.starts_at <= now {
        return Err(AppError::bad_request(tr().t("bazaar.remind_open")));
    }
    // The button says "Email me 15 minutes before it opens": pressing it is the member's consent
    // to reminder mail again, even after an unsubscribe.
    let mut tx = pool.begin().await?;
    sqlx::query!(
        "INSERT INTO drop_reminders (account_id, drop_id) VALUES ($1, $2) ON CONFLICT DO NOTHING",
        me.id,
        drop_id
    )
    .execute(&mut *tx)
    .await?;
    sqlx::query!(
        "UPDATE accounts SET mail_drop_reminders = true WHERE id = $1",
        me.id
    )
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(())
}

/// How long before a drop opens its reminder mail goes.
pub const REMINDER_LEAD_MINUTES: i32 = 15;
/// Reminders written to the outbox per transaction.
const REMINDER_BATCH: i64 = 500;
/// Reminders written but not yet sent, at most: writing follows sending rather than racing
/// ahead of it. Rendering and storing 50,000 messages at once took the CPU a drop's presses
/// need (the benchmark's reminders row); they would only have waited in the queue anyway.
const REMINDERS_AHEAD: i64 = 2000;
/// How long one look keeps topping the queue up before it leaves the rest to the next look (the
/// receipts job runs between looks).
const REMINDERS_LOOK: std::time::Duration = std::time::Duration::from_secs(15);

/// Writes the reminder mails that have come due (drops opening within the next
/// `REMINDER_LEAD_MINUTES`, not cancelled) to the outbox, once per member and drop, each in the
/// member's language with the time in their zone; returns how many. The outbox rows and the
/// reminders' `emailed_at` are written in one transaction, so a server that dies half-way
/// leaves the rest for the next look. With `REMINDERS_AHEAD` waiting to be sent, it waits for
/// the delivery worker (for up to `REMINDERS_LOOK`) before writing more.
pub async fn mail_due_reminders(
    state: &crate::infra::state::AppState,
    now: chrono::DateTime<Utc>,
) -> Result<usize, AppError> {
    use crate::domain::i18n::format_date;
    use crate::infra::mail;
    let key = mail::server_key(&state.pool, "unsubscribe").await?;
    let site = mail::site_url(state);
    let mut total = 0;
    let look = std::time::Instant::now();
    loop {
        let queued = sqlx::query_scalar!(
            r#"SELECT count(*) AS "n!" FROM (
                   SELECT 1 FROM outbox WHERE sent_at IS NULL AND failed_at IS NULL AND priority = 1
                   LIMIT $1) q"#,
            REMINDERS_AHEAD
        )
        .fetch_one(&state.pool)
        .await?;
        if queued >= REMINDERS_AHEAD {
            if look.elapsed() >= REMINDERS_LOOK {
                return Ok(total);
            }
            tokio::time::sleep(std::time::Duration::from_millis(500)).await;
            continue;
        }
        let mut tx = state.pool.begin().await?;
        let due = sqlx::query!(
            r#"SELECT r.account_id, r.drop_id, a.email, a.display_name, a.language,
                      COALESCE(a.time_zone, s.time_zone) AS "zone!", d.title, d.title_es, d.starts_at
               FROM drop_reminders r
               JOIN drops d ON d.id = r.drop_id
               JOIN accounts a ON a.id = r.account_id
               CROSS JOIN store_settings s
               WHERE r.emailed_at IS NULL AND d.cancelled_at IS NULL
                 AND d.starts_at > $1 AND d.starts_at <= $1 + make_interval(mins => $2)
                 AND a.mail_drop_reminders AND a.email_undeliverable_at IS NULL
               ORDER BY r.drop_id, r.account_id
               LIMIT $3
               FOR UPDATE OF r SKIP LOCKED"#,
            now,
            REMINDER_LEAD_MINUTES,
            REMINDER_BATCH
        )
        .fetch_all(&mut *tx)
        .await?;
        if due.is_empty() {
            return Ok(total);
        }
        let mut messages = Vec::with_capacity(due.len());
        for r in &due {
            let (tr, zone) = mail::reader(r.language.as_deref(), &r.zone);
            let title = tr.written(&r.title, r.title_es.as_deref());
            let when = format_date(tr.locale(), zone, r.starts_at);
            let bazaar = format!("{site}/");
            let footer = tr.f("mail.reminder.why", &[("drop", title)]);
            let (unsubscribe, list_unsubscribe) =
                mail::unsubscribe_parts(&key, &site, tr, r.account_id, mail::Topic::DropReminders);
            let message = mail::Compose {
                tr,
                subject: tr.f("mail.reminder.subject", &[("drop", title)]),
                greeting: tr.f("mail.greeting", &[("name", &r.display_name)]),
                paragraphs: vec![tr.f("mail.reminder.body", &[("drop", title), ("when", &when)])],
                action: Some((tr.t("mail.reminder.action"), &bazaar)),
                footer: vec![footer, unsubscribe],
            }
            .render();
            messages.push(mail::Outgoing {
                account_id: Some(r.account_id),
                to: &r.email,
                kind: mail::Kind::DropReminder,
                mail: message,
                unsubscribe_url: Some(list_unsubscribe),
            });
        }
        // One statement for the whole batch: the reminders drain beside a storm.
        mail::enqueue_all(&mut tx, state, messages).await?;
        let accounts: Vec<i64> = due.iter().map(|r| r.account_id).collect();
        let drops: Vec<i64> = due.iter().map(|r| r.drop_id).collect();
        sqlx::query!(
            "UPDATE drop_reminders r SET emailed_at = now()
             FROM unnest($1::bigint[], $2::bigint[]) AS d(account_id, drop_id)
             WHERE r.account_id = d.account_id AND r.drop_id = d.drop_id",
            &accounts,
            &drops
        )
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        total += due.len();
    }
}
