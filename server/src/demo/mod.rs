//! The demo store: a believable bazaar on an empty database, so a newcomer sees the portal alive.
//!
//! Seeded only when demo mode is on and the database holds no accounts and no rewards, in one
//! transaction (a crash half-way leaves the database empty, and the next start seeds again).

mod catalog;
mod catalog_es;
mod logins;

pub use logins::{NewDemoLogin, demo_accounts, secure_demo_logins};

use anyhow::Result;
use chrono::{DateTime, Datelike, Duration, NaiveTime, Utc, Weekday};
use chrono_tz::Tz;
use sqlx::PgPool;

use app::drops::ssr::next_occurrences;

/// Demo sign-ins documented in the README.
pub const DEMO_LOGINS: [(&str, &str, &str, &str); 3] = [
    (
        "member@example.com",
        "bazaar-demo-member",
        "Maya Member",
        "member",
    ),
    (
        "staff@example.com",
        "bazaar-demo-staff",
        "Sasha Staff",
        "staff",
    ),
    (
        "admin@example.com",
        "bazaar-demo-admin",
        "Ari Admin",
        "admin",
    ),
];

pub const STORE_NAME: &str = "Lumen & Co.";
pub const STORE_ZONE: Tz = chrono_tz::America::New_York;

/// Sizes of the demo store; tests use smaller ones.
#[derive(Debug, Clone, Copy)]
pub struct DemoSize {
    pub rewards: usize,
    pub members: usize,
    pub live_items: usize,
    pub upcoming_drops: usize,
    pub items_per_drop: usize,
}

impl DemoSize {
    pub const FULL: DemoSize = DemoSize {
        rewards: 150,
        members: 1000,
        live_items: 40,
        upcoming_drops: 8,
        items_per_drop: 16,
    };
}

/// Seeds the demo store if the database is empty. Returns whether it seeded.
pub async fn seed_if_empty(pool: &PgPool, size: DemoSize, now: DateTime<Utc>) -> Result<bool> {
    let mut tx = pool.begin().await?;
    // Two servers starting together on one database must not both seed.
    sqlx::query!("SELECT pg_advisory_xact_lock(727274)")
        .execute(&mut *tx)
        .await?;
    let taken = sqlx::query_scalar!(
        r#"SELECT (EXISTS (SELECT 1 FROM accounts) OR EXISTS (SELECT 1 FROM rewards)) AS "taken!""#
    )
    .fetch_one(&mut *tx)
    .await?;
    if taken {
        return Ok(false);
    }
    let mut rng = fastrand::Rng::with_seed(20_261_124);

    sqlx::query!(
        r#"INSERT INTO store_settings (name, time_zone, currency) VALUES ($1, $2, 'USD')
           ON CONFLICT (id) DO UPDATE SET name = EXCLUDED.name, time_zone = EXCLUDED.time_zone"#,
        STORE_NAME,
        STORE_ZONE.name()
    )
    .execute(&mut *tx)
    .await?;

    // Rewards.
    let seeds = catalog::rewards(size.rewards, &mut rng);
    let costs: Vec<i64> = seeds.iter().map(|r| r.points_cost).collect();
    let texts = |text: fn(&catalog::RewardSeed) -> &str| -> Vec<String> {
        seeds.iter().map(|r| text(r).to_owned()).collect()
    };
    let reward_ids: Vec<i64> = sqlx::query_scalar(
        r#"INSERT INTO rewards (category, title, description, points_cost, title_es, description_es)
           SELECT * FROM UNNEST($1::text[], $2::text[], $3::text[], $4::bigint[], $5::text[], $6::text[])
           RETURNING id"#,
    )
    .bind(texts(|r| r.category))
    .bind(texts(|r| &r.title))
    .bind(texts(|r| &r.description))
    .bind(&costs)
    .bind(texts(|r| &r.title_es))
    .bind(texts(|r| &r.description_es))
    .fetch_all(&mut *tx)
    .await?;

    // Accounts: the documented logins, then members imported without passwords.
    let mut emails = Vec::new();
    let mut names = Vec::new();
    let mut hashes: Vec<Option<String>> = Vec::new();
    let mut roles = Vec::new();
    for (email, password, name, role) in DEMO_LOGINS {
        emails.push(email.to_owned());
        names.push(name.to_owned());
        hashes.push(Some(
            app::account::ssr::hash_password(password.to_owned()).await?,
        ));
        roles.push(role.to_owned());
    }
    for n in 0..size.members {
        let first = catalog::FIRST_NAMES[rng.usize(..catalog::FIRST_NAMES.len())];
        let last = catalog::LAST_NAMES[rng.usize(..catalog::LAST_NAMES.len())];
        emails.push(format!(
            "{}.{}{n}@example.com",
            first.to_lowercase(),
            ascii(last).to_lowercase()
        ));
        names.push(format!("{first} {last}"));
        hashes.push(None);
        roles.push("member".to_owned());
    }
    let account_ids: Vec<i64> = sqlx::query_scalar!(
        r#"INSERT INTO accounts (email, display_name, password_hash, role)
           SELECT * FROM UNNEST($1::text[], $2::text[], $3::text[], $4::text[])
           RETURNING id"#,
        &emails,
        &names,
        &hashes as &[Option<String>],
        &roles,
    )
    .fetch_all(&mut *tx)
    .await?;

    // Purchase histories over the last eleven months, one earn entry and one lot each.
    let mut p_account = Vec::new();
    let mut p_external = Vec::new();
    let mut p_cents = Vec::new();
    let mut p_at = Vec::new();
    for (i, &account) in account_ids.iter().enumerate() {
        let (count, high_spender) = match roles[i].as_str() {
            "member" if i == 0 => (9, true),
            "member" => (rng.usize(0..=14), rng.u8(..) < 30),
            _ => (0, false),
        };
        for n in 0..count {
            let dollars = if high_spender {
                rng.i64(40..=260)
            } else {
                rng.i64(12..=140)
            };
            p_account.push(account);
            p_external.push(format!("demo-{account}-{n}"));
            p_cents.push(dollars * 100 + rng.i64(0..100));
            p_at.push(now - Duration::days(rng.i64(2..=330)) - Duration::minutes(rng.i64(0..1440)));
        }
    }
    sqlx::query!(
        r#"WITH p AS (
               INSERT INTO purchases (account_id, source, external_id, amount_cents, currency, purchased_at, points_earned)
               SELECT a, 'demo', e, c, 'USD', t, c / 100
               FROM UNNEST($1::bigint[], $2::text[], $3::bigint[], $4::timestamptz[]) AS u(a, e, c, t)
               RETURNING id, account_id, external_id, points_earned, purchased_at
           ), entries AS (
               INSERT INTO ledger_entries (account_id, kind, points, reason, reference, purchase_id, created_at)
               SELECT account_id, 'earn', points_earned, 'Purchase', external_id, id, purchased_at
               FROM p WHERE points_earned > 0
               RETURNING id, account_id, points, created_at
           )
           INSERT INTO point_lots (account_id, entry_id, points, remaining, expires_at)
           SELECT account_id, id, points, points, created_at + interval '12 months' FROM entries"#,
        &p_account,
        &p_external,
        &p_cents,
        &p_at,
    )
    .execute(&mut *tx)
    .await?;

    // Tiers from each member's rolling 12-month spend.
    sqlx::query!(
        r#"UPDATE accounts a SET tier = (
               SELECT t.code FROM tiers t
               WHERE t.min_spend_cents <= COALESCE((
                   SELECT sum(p.amount_cents) FROM purchases p
                   WHERE p.account_id = a.id AND p.purchased_at > $1::timestamptz - interval '12 months'), 0)
               ORDER BY t.rank DESC LIMIT 1)"#,
        now
    )
    .execute(&mut *tx)
    .await?;

    // A drop that is live now, with a few rewards already gone or nearly gone.
    let live_id = insert_drop(
        &mut tx,
        "Welcome drop",
        "Drop de bienvenida",
        now - Duration::hours(1),
        now + Duration::days(7),
    )
    .await?;
    let picks = pick(&mut rng, reward_ids.len(), size.live_items);
    let mut items = DropItems::default();
    for (n, &r) in picks.iter().enumerate() {
        let quantity = 10 * rng.i32(2..=20);
        let remaining = match n % 10 {
            3 => 0,
            7 => rng.i32(1..=3),
            _ => quantity - rng.i32(0..=quantity / 2),
        };
        items.push(reward_ids[r], quantity, remaining, costs[r]);
    }
    items.insert(&mut tx, live_id).await?;

    // Upcoming drops every Tuesday and Thursday at 09:00 store time, open for two days.
    let opens = next_occurrences(
        STORE_ZONE,
        &[Weekday::Tue, Weekday::Thu],
        NaiveTime::from_hms_opt(9, 0, 0).expect("09:00 is a valid time"),
        now,
        size.upcoming_drops,
    );
    for starts_at in opens {
        let local = starts_at.with_timezone(&STORE_ZONE);
        let title = format!("{} drop · {}", local.format("%A"), local.format("%-d %B"));
        let title_es = catalog_es::drop_title(local.weekday(), local.day(), local.month0());
        let ends_at = starts_at + Duration::days(2);
        let drop_id = insert_drop(&mut tx, &title, &title_es, starts_at, ends_at).await?;
        let mut items = DropItems::default();
        for r in pick(&mut rng, reward_ids.len(), size.items_per_drop) {
            let quantity = 10 * rng.i32(2..=20);
            items.push(reward_ids[r], quantity, quantity, costs[r]);
        }
        items.insert(&mut tx, drop_id).await?;
    }

    tx.commit().await?;
    Ok(true)
}

async fn insert_drop(
    tx: &mut sqlx::PgTransaction<'_>,
    title: &str,
    title_es: &str,
    starts_at: DateTime<Utc>,
    ends_at: DateTime<Utc>,
) -> Result<i64> {
    Ok(sqlx::query_scalar(
        "INSERT INTO drops (title, title_es, starts_at, ends_at) VALUES ($1, $2, $3, $4) RETURNING id",
    )
    .bind(title)
    .bind(title_es)
    .bind(starts_at)
    .bind(ends_at)
    .fetch_one(&mut **tx)
    .await?)
}

#[derive(Default)]
struct DropItems {
    rewards: Vec<i64>,
    quantities: Vec<i32>,
    remaining: Vec<i32>,
    costs: Vec<i64>,
}

impl DropItems {
    fn push(&mut self, reward: i64, quantity: i32, remaining: i32, cost: i64) {
        self.rewards.push(reward);
        self.quantities.push(quantity);
        self.remaining.push(remaining);
        self.costs.push(cost);
    }

    async fn insert(&self, tx: &mut sqlx::PgTransaction<'_>, drop_id: i64) -> Result<()> {
        sqlx::query!(
            r#"INSERT INTO drop_items (drop_id, reward_id, quantity, remaining, points_cost)
               SELECT $1, * FROM UNNEST($2::bigint[], $3::int[], $4::int[], $5::bigint[])"#,
            drop_id,
            &self.rewards,
            &self.quantities,
            &self.remaining,
            &self.costs,
        )
        .execute(&mut **tx)
        .await?;
        Ok(())
    }
}

/// `count` distinct indexes below `len`.
fn pick(rng: &mut fastrand::Rng, len: usize, count: usize) -> Vec<usize> {
    let mut all: Vec<usize> = (0..len).collect();
    rng.shuffle(&mut all);
    all.truncate(count.min(len));
    all
}

/// Email addresses stay ASCII.
fn ascii(name: &str) -> String {
    name.replace('ü', "u")
}
