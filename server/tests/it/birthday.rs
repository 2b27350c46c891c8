//! The birthday gift: points on the day a member gave, once a year across servers, never twice
//! within twelve months, and "Happy birthday" where the member looks.

use chrono::{DateTime, NaiveDate, TimeZone, Utc};
use sqlx::PgPool;

use crate::outbox::second_server;
use crate::support::{self, TestApp};

/// Noon on `day` in the test store's zone (New York).
fn noon(day: NaiveDate) -> DateTime<Utc> {
    chrono_tz::America::New_York
        .from_local_datetime(&day.and_hms_opt(12, 0, 0).unwrap())
        .unwrap()
        .with_timezone(&Utc)
}

fn day(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap()
}

/// The live test store giving 500 points for 30 days on birthdays, and a member (with a
/// session) whose birthday is `month`/`day`, given on "What you love".
async fn member_born(pool: &PgPool, app: &TestApp, month: u32, day: u32) -> (i64, String) {
    sqlx::query("UPDATE store_settings SET birthday_points = 500, birthday_window_days = 30")
        .execute(pool)
        .await
        .unwrap();
    let (member, cookie) = support::member_with(pool, 1, 0).await;
    let (m, d) = (month.to_string(), day.to_string());
    let saved = app
        .save_likes(
            Some(&cookie),
            &[("birthday_month", &m), ("birthday_day", &d)],
        )
        .await;
    assert!(
        saved.status.is_redirection() || saved.status.is_success(),
        "{}",
        saved.body
    );
    (member, cookie)
}

async fn gifts(pool: &PgPool, member: i64) -> Vec<(i16, i64)> {
    sqlx::query_as("SELECT year, points FROM birthday_gifts WHERE account_id = $1 ORDER BY year")
        .bind(member)
        .fetch_all(pool)
        .await
        .unwrap()
}

async fn grant(pool: &PgPool, at: DateTime<Utc>) -> usize {
    app::account::ssr::grant_birthday_gifts(pool, at)
        .await
        .unwrap()
}

#[sqlx::test]
async fn two_servers_give_the_gift_once_and_the_member_sees_it_in_their_language(pool: PgPool) {
    support::live_store(&pool).await;
    let app = TestApp::new(pool.clone());
    let today = Utc::now()
        .with_timezone(&chrono_tz::America::New_York)
        .date_naive();
    let (member, cookie) = member_born(
        &pool,
        &app,
        chrono::Datelike::month(&today),
        chrono::Datelike::day(&today),
    )
    .await;
    sqlx::query("UPDATE accounts SET language = 'es' WHERE id = $1")
        .bind(member)
        .execute(&pool)
        .await
        .unwrap();
    let (other, _) = second_server(&pool).await;
    let now = Utc::now();
    let (a, b) = tokio::join!(grant(&pool, now), grant(&other, now));
    assert_eq!(a + b, 1, "one gift between the two servers");
    assert_eq!(grant(&pool, now).await, 0);
    assert_eq!(gifts(&pool, member).await.len(), 1);

    let account = app.account(Some(&cookie)).await.json();
    assert_eq!(account["balance"], 500);
    let notice = account["notices"][0]["message"].as_str().unwrap();
    assert!(
        notice.starts_with("¡Feliz cumpleaños! 500 puntos son tuyos para canjear antes del "),
        "{notice}"
    );
    // The bazaar puts what the gift buys first and says why, in the page's language (this
    // browser never switched it).
    let view = app.bazaar(Some(&cookie)).await.json();
    assert_eq!(view["for_you"][0]["why"], "Happy birthday — a gift for you");
}

#[sqlx::test]
async fn a_member_who_changes_their_birthday_gets_no_second_gift_within_twelve_months(
    pool: PgPool,
) {
    support::store(&pool).await;
    let app = TestApp::new(pool.clone());
    let (member, cookie) = member_born(&pool, &app, 3, 10).await;
    assert_eq!(
        grant(&pool, noon(day(2027, 3, 9))).await,
        0,
        "not before the day"
    );
    assert_eq!(grant(&pool, noon(day(2027, 3, 10))).await, 1);
    // Moved to April: not again in April 2027 (twelve months have not passed); in April 2028.
    app.save_likes(
        Some(&cookie),
        &[("birthday_month", "4"), ("birthday_day", "5")],
    )
    .await;
    assert_eq!(grant(&pool, noon(day(2027, 4, 5))).await, 0);
    assert_eq!(grant(&pool, noon(day(2027, 4, 30))).await, 0);
    assert_eq!(grant(&pool, noon(day(2028, 4, 5))).await, 1);
    assert_eq!(gifts(&pool, member).await, vec![(2027, 500), (2028, 500)]);
}

#[sqlx::test]
async fn a_29_february_birthday_is_the_28th_outside_leap_years(pool: PgPool) {
    support::store(&pool).await;
    let app = TestApp::new(pool.clone());
    let (member, _) = member_born(&pool, &app, 2, 29).await;
    assert_eq!(grant(&pool, noon(day(2027, 2, 27))).await, 0);
    assert_eq!(grant(&pool, noon(day(2027, 2, 28))).await, 1);
    assert_eq!(
        grant(&pool, noon(day(2028, 2, 28))).await,
        0,
        "a leap year waits for the 29th"
    );
    assert_eq!(grant(&pool, noon(day(2028, 2, 29))).await, 1);
    assert_eq!(gifts(&pool, member).await.len(), 2);
}

#[sqlx::test]
async fn no_gift_when_the_store_gives_none(pool: PgPool) {
    support::store(&pool).await;
    let app = TestApp::new(pool.clone());
    let (member, _) = member_born(&pool, &app, 6, 1).await;
    sqlx::query("UPDATE store_settings SET birthday_points = 0")
        .execute(&pool)
        .await
        .unwrap();
    assert_eq!(grant(&pool, noon(day(2027, 6, 1))).await, 0);
    assert!(gifts(&pool, member).await.is_empty());
}
