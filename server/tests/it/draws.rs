//! Draws (issue 26): entering holds the points, withdrawing and losing give them back to the
//! same lots, the draw picks exactly the quantity, once, reproducibly from what it publishes —
//! checked by the README's own reference script — and every refusal says why.

use chrono::{Duration, Utc};
use serde_json::Value;
use sqlx::PgPool;

use crate::support::endpoints::AppError;
use crate::support::{self, TestApp, assert_invariants};

pub(crate) fn key() -> String {
    uuid::Uuid::new_v4().to_string()
}

/// A reward of `quantity` costing `cost` in a drop opening in two hours, given by draw through
/// the staff form (Gold entries 2 tickets); then the drop and the window moved to open now
/// for an hour. The item's id.
pub(crate) async fn open_draw(
    pool: &PgPool,
    app: &TestApp,
    staff: &str,
    quantity: i32,
    cost: i64,
) -> i64 {
    let now = Utc::now();
    let title = format!("Drop {}", key());
    let drop = support::drop_window(
        pool,
        &title,
        now + Duration::hours(2),
        now + Duration::hours(6),
    )
    .await;
    let reward = support::reward(pool, "Signed handbag", "gift", cost).await;
    let item = support::drop_item(pool, drop, reward, quantity, quantity).await;
    let made = app
        .create_draw(
            Some(staff),
            &[
                ("item", &item.to_string()),
                ("hours", "24"),
                ("gold_tickets", "2"),
                ("silver_tickets", "1"),
                ("verified_email", "on"),
                ("account_days", "0"),
            ],
        )
        .await;
    assert!(made.status.is_success(), "{}", made.body);
    sqlx::query("UPDATE drops SET starts_at = now() - interval '1 hour' WHERE id = $1")
        .bind(drop)
        .execute(pool)
        .await
        .unwrap();
    sqlx::query("UPDATE draws SET opens_at = now() - interval '1 hour', closes_at = now() + interval '1 hour' WHERE drop_item_id = $1")
        .bind(item)
        .execute(pool)
        .await
        .unwrap();
    item
}

/// A member with a confirmed address and `points` in two lots: a third expiring in 10 days,
/// the rest in a year.
pub(crate) async fn entrant(pool: &PgPool, n: usize, points: i64) -> (i64, String) {
    let (id, cookie) = support::member_with(pool, n, 0).await;
    sqlx::query("UPDATE accounts SET email_verified_at = now() WHERE id = $1")
        .bind(id)
        .execute(pool)
        .await
        .unwrap();
    for (share, days) in [(points / 3, 10), (points - points / 3, 365)] {
        sqlx::query(
            "WITH e AS (INSERT INTO ledger_entries (account_id, kind, points, reason) VALUES ($1, 'adjust', $2, 'Gift') RETURNING id)
             INSERT INTO point_lots (account_id, entry_id, points, remaining, expires_at)
             SELECT $1, id, $2, $2, now() + make_interval(days => $3) FROM e",
        )
        .bind(id)
        .bind(share)
        .bind(days)
        .execute(pool)
        .await
        .unwrap();
    }
    (id, cookie)
}

/// `n` entrants with `points` each, every one entered in the draw of `item`.
pub(crate) async fn entered(
    pool: &PgPool,
    app: &TestApp,
    item: i64,
    n: usize,
    points: i64,
) -> Vec<(i64, String)> {
    let mut members = Vec::new();
    for i in 0..n {
        let (id, cookie) = entrant(pool, i, points).await;
        let reply = app.enter_draw(Some(&cookie), item, &key()).await;
        assert!(reply.status.is_success(), "{}", reply.body);
        members.push((id, cookie));
    }
    members
}

pub(crate) async fn balance(pool: &PgPool, id: i64) -> i64 {
    sqlx::query_scalar("SELECT balance FROM accounts WHERE id = $1")
        .bind(id)
        .fetch_one(pool)
        .await
        .unwrap()
}

/// Each lot's (remaining, days to expiry), soonest first.
pub(crate) async fn lots(pool: &PgPool, id: i64) -> Vec<(i64, i64)> {
    sqlx::query_as(
        "SELECT remaining, round(extract(epoch FROM expires_at - now()) / 86400)::bigint
         FROM point_lots WHERE account_id = $1 ORDER BY expires_at",
    )
    .bind(id)
    .fetch_all(pool)
    .await
    .unwrap()
}

#[sqlx::test]
async fn entering_holds_the_points_and_withdrawing_gives_them_back_to_the_same_lots(pool: PgPool) {
    support::store(&pool).await;
    let staff = support::staff(&pool).await;
    let app = TestApp::new(pool.clone());
    let item = open_draw(&pool, &app, &staff, 3, 300).await;
    let (maya, cookie) = entrant(&pool, 1, 900).await;

    let press = key();
    let entered = app.enter_draw(Some(&cookie), item, &press).await;
    assert!(entered.status.is_success(), "{}", entered.body);
    let code = entered.json().as_str().unwrap().to_owned();
    assert_eq!(balance(&pool, maya).await, 600);
    // The soonest-expiring lot paid for the hold.
    assert_eq!(lots(&pool, maya).await, [(0, 10), (600, 365)]);
    let page = app.draw(Some(&cookie), item).await.json();
    assert_eq!(
        page["mine"]["status"],
        "300 points held for the draw · 1 ticket"
    );
    assert_eq!(page["counts"], "3 winners · 1 entry");

    // The same press again, or a second press with another key: the one entry there is.
    assert_eq!(
        app.enter_draw(Some(&cookie), item, &press).await.json(),
        code.as_str()
    );
    assert_eq!(
        app.enter_draw(Some(&cookie), item, &key()).await.json(),
        code.as_str()
    );
    assert_eq!(balance(&pool, maya).await, 600, "held once");

    // Held points cannot be spent: a 700-point reward is beyond the 600 left.
    let now = Utc::now();
    let live = support::drop_window(
        &pool,
        "Live",
        now - Duration::hours(1),
        now + Duration::hours(5),
    )
    .await;
    let lamp = support::reward(&pool, "Lamp", "gift", 700).await;
    let other = support::drop_item(&pool, live, lamp, 5, 5).await;
    let spend = app.redeem(&cookie, other, &key()).await;
    assert!(
        matches!(spend.app_error(), AppError::NotEnoughPoints { .. }),
        "{}",
        spend.body
    );

    let withdrawn = app.withdraw_draw(&cookie, item).await;
    assert!(withdrawn.status.is_success(), "{}", withdrawn.body);
    assert_eq!(balance(&pool, maya).await, 900);
    assert_eq!(
        lots(&pool, maya).await,
        [(300, 10), (600, 365)],
        "original expiry"
    );
    assert!(
        app.withdraw_draw(&cookie, item).await.status.is_success(),
        "again: no change"
    );
    assert_eq!(balance(&pool, maya).await, 900);
    let history: Vec<(String, i64)> = sqlx::query_as(
        "SELECT kind, points FROM ledger_entries WHERE account_id = $1 AND kind IN ('hold', 'release') ORDER BY id",
    )
    .bind(maya)
    .fetch_all(&pool)
    .await
    .unwrap();
    assert_eq!(
        history,
        [("hold".to_owned(), -300), ("release".to_owned(), 300)]
    );
    assert_eq!(
        app.draw(Some(&cookie), item).await.json()["mine"]["status"],
        "You withdrew — your 300 points are back."
    );
    assert_invariants(&pool).await;
}

#[sqlx::test]
async fn one_entry_per_member_under_500_concurrent_entries_from_300_members(pool: PgPool) {
    support::store(&pool).await;
    let staff = support::staff(&pool).await;
    let app = TestApp::with_line(pool.clone(), support::patient_line());
    let item = open_draw(&pool, &app, &staff, 10, 100).await;
    let mut members = Vec::new();
    for n in 0..300 {
        members.push(entrant(&pool, n, 300).await);
    }
    let mut tasks = Vec::new();
    for press in 0..500 {
        let (app, (_, cookie)) = (app.clone(), members[press % 300].clone());
        tasks.push(tokio::spawn(async move {
            app.enter_draw(Some(&cookie), item, &key()).await.status
        }));
    }
    for task in tasks {
        let status = task.await.unwrap();
        assert!(status.is_success(), "{status}");
    }
    let (entries, holders): (i64, i64) = sqlx::query_as(
        "SELECT count(*), count(DISTINCT account_id) FROM draw_entries WHERE drop_item_id = $1 AND outcome IS NULL",
    )
    .bind(item)
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!((entries, holders), (300, 300));
    let wrong: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM accounts WHERE role = 'member' AND balance <> 200",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(wrong, 0, "every member holds 100 once");
    assert_invariants(&pool).await;
}

/// The README's reference script, as a reader would copy it.
fn readme_script() -> String {
    let readme = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../README.md"))
        .expect("the README");
    let start = readme
        .find("```python\n# check_draw.py")
        .expect("the README's draw check script")
        + "```python\n".len();
    let end = start + readme[start..].find("```").expect("the script's end");
    readme[start..end].to_owned()
}

/// Runs the README's script on a draw's published data; what it prints.
fn run_readme_script(published: &Value, commitment: &str, quantity: i64) -> (bool, String) {
    let dir = tempfile::tempdir().unwrap();
    let script = dir.path().join("check_draw.py");
    std::fs::write(&script, readme_script()).unwrap();
    let input = serde_json::json!({
        "commitment": commitment,
        "seed": published["seed"],
        "entries_hash": published["entries_hash"],
        "entry_list": published["entry_list"],
        "quantity": quantity,
        "winners": published["winners"],
    });
    let mut child = std::process::Command::new("python3")
        .arg(&script)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("python3");
    use std::io::Write;
    child
        .stdin
        .take()
        .unwrap()
        .write_all(input.to_string().as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    (out.status.success(), String::from_utf8(out.stdout).unwrap())
}

#[sqlx::test]
async fn the_draw_picks_the_quantity_once_releases_the_rest_and_anyone_can_recompute_it(
    pool: PgPool,
) {
    support::store(&pool).await;
    let staff = support::staff(&pool).await;
    let app = TestApp::new(pool.clone());
    let item = open_draw(&pool, &app, &staff, 5, 300).await;
    let members = entered(&pool, &app, item, 30, 900).await;
    // Gold entries carry two tickets, as the page says.
    sqlx::query("UPDATE accounts SET tier = 'gold' WHERE id = $1")
        .bind(members[0].0)
        .execute(&pool)
        .await
        .unwrap();
    let page = app.draw(Some(&members[0].1), item).await.json();
    assert_eq!(
        page["rules"][0],
        "Gold members' entries have 2 tickets: a better chance."
    );
    assert!(
        page["published"].is_null(),
        "nothing published before the draw"
    );

    // The window closes; a server that is not due yet draws nothing.
    assert_eq!(
        app::draws::ssr::run::draw_due(&pool, Utc::now())
            .await
            .unwrap(),
        0
    );
    sqlx::query("UPDATE draws SET closes_at = now() WHERE drop_item_id = $1")
        .bind(item)
        .execute(&pool)
        .await
        .unwrap();
    assert_eq!(
        app::draws::ssr::run::draw_due(&pool, Utc::now())
            .await
            .unwrap(),
        1
    );
    assert_eq!(
        app::draws::ssr::run::draw_due(&pool, Utc::now())
            .await
            .unwrap(),
        0,
        "once"
    );

    let outcomes: Vec<(i64, String)> = sqlx::query_as(
        "SELECT account_id, outcome FROM draw_entries WHERE drop_item_id = $1 ORDER BY account_id",
    )
    .bind(item)
    .fetch_all(&pool)
    .await
    .unwrap();
    let winners: Vec<i64> = outcomes
        .iter()
        .filter(|o| o.1 == "won")
        .map(|o| o.0)
        .collect();
    assert_eq!(winners.len(), 5);
    assert_eq!(outcomes.iter().filter(|o| o.1 == "lost").count(), 25);
    for (id, outcome) in &outcomes {
        if outcome == "won" {
            assert_eq!(balance(&pool, *id).await, 600);
        } else {
            assert_eq!(balance(&pool, *id).await, 900);
            // Given back to the lots they came from, with their original expiry.
            assert_eq!(lots(&pool, *id).await, [(300, 10), (600, 365)]);
        }
    }
    let redeemed: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM redemptions WHERE drop_item_id = $1 AND status = 'confirmed'",
    )
    .bind(item)
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(redeemed, 5);
    let winner = members.iter().find(|m| m.0 == winners[0]).unwrap();
    let mine = app.draw(Some(&winner.1), item).await.json();
    assert_eq!(mine["mine"]["status"], "You won! Your points paid for it.");
    assert!(
        mine["mine"]["redemption"]
            .as_str()
            .unwrap()
            .starts_with("RB-")
    );
    let loser = members.iter().find(|m| !winners.contains(&m.0)).unwrap();
    let theirs = app.draw(Some(&loser.1), item).await.json();
    assert_eq!(
        theirs["mine"]["status"],
        "Not this time — your 300 points are back."
    );
    let notice: String =
        sqlx::query_scalar("SELECT message FROM member_notices WHERE account_id = $1")
            .bind(loser.0)
            .fetch_one(&pool)
            .await
            .unwrap();
    assert_eq!(
        notice,
        "Not this time: the draw for Signed handbag picked others. Your 300 points are back."
    );

    // Anyone can check it: the page's own check, and the README's independent script.
    let check = app.check_draw(item).await.json();
    assert_eq!(
        (
            &check["commitment_holds"],
            &check["hash_holds"],
            &check["same_winners"]
        ),
        (&Value::Bool(true), &Value::Bool(true), &Value::Bool(true))
    );
    let published = &mine["published"];
    let (ok, printed) = run_readme_script(published, mine["commitment"].as_str().unwrap(), 5);
    assert!(ok, "{printed}");
    let codes: Vec<String> = printed
        .lines()
        .filter(|l| l.starts_with("E-"))
        .map(str::to_owned)
        .collect();
    assert_eq!(Value::from(codes), published["winners"]);
    // A list changed after the fact does not check out.
    let mut forged = published.clone();
    forged["entry_list"] = Value::from(
        published["entry_list"]
            .as_str()
            .unwrap()
            .replacen(",1\n", ",9\n", 1),
    );
    let (ok, printed) = run_readme_script(&forged, mine["commitment"].as_str().unwrap(), 5);
    assert!(!ok, "{printed}");
    assert_invariants(&pool).await;
}

#[sqlx::test]
async fn a_draw_runs_once_across_two_servers_even_when_one_dies_mid_draw(pool: PgPool) {
    support::store(&pool).await;
    let staff = support::staff(&pool).await;
    let app = TestApp::new(pool.clone());
    let item = open_draw(&pool, &app, &staff, 2, 100).await;
    entered(&pool, &app, item, 6, 300).await;
    sqlx::query("UPDATE draws SET closes_at = now() WHERE drop_item_id = $1")
        .bind(item)
        .execute(&pool)
        .await
        .unwrap();
    // One server is mid-draw (it holds the draw's row) when the other looks: the other skips.
    let mut dying = pool.begin().await.unwrap();
    sqlx::query("SELECT 1 FROM draws WHERE drop_item_id = $1 FOR UPDATE")
        .bind(item)
        .execute(&mut *dying)
        .await
        .unwrap();
    assert!(!app::draws::ssr::run::draw_one(&pool, item).await.unwrap());
    // It dies: PostgreSQL rolls back what it had done (here, at once, rather than when the
    // server notices the closed connection), and the next look draws.
    dying.rollback().await.unwrap();
    assert!(app::draws::ssr::run::draw_one(&pool, item).await.unwrap());
    assert!(!app::draws::ssr::run::draw_one(&pool, item).await.unwrap());
    let won: i64 = sqlx::query_scalar("SELECT count(*) FROM draw_entries WHERE outcome = 'won'")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(won, 2);
    assert_invariants(&pool).await;
}
