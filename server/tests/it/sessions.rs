//! Sessions by role: staff sessions are short, members' long and kept alive by use, and a
//! member can see and end the sessions of their other devices.

use axum::body::Body;
use axum::http::Request;
use sqlx::PgPool;

use crate::support::endpoints::{ServerFn, SignIn};
use crate::support::{self, TestApp};

const PW: &str = "correct horse battery";
const PHONE: &str = "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Mobile Safari/537.36";
const LAPTOP: &str = "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0";

async fn signed_in_as(app: &TestApp, email: &str, device: &str) -> String {
    let request = Request::post(SignIn::PATH)
        .header("host", "bazaar.test")
        .header("origin", support::ORIGIN)
        .header("user-agent", device)
        .header("content-type", "application/x-www-form-urlencoded")
        .body(Body::from(format!(
            "email={}&password={}",
            support::urlencode(email),
            support::urlencode(PW)
        )))
        .unwrap();
    let reply = app.send(request).await;
    let set_cookie = reply
        .headers
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|c| c.contains("bazaar_session="))
        .expect("signed in");
    set_cookie.split(';').next().unwrap().to_owned()
}

async fn staff_signed_in(pool: &PgPool) -> (TestApp, String) {
    support::store(pool).await;
    let id = support::member(pool, "sasha@example.com", PW).await;
    sqlx::query("UPDATE accounts SET role = 'staff' WHERE id = $1")
        .bind(id)
        .execute(pool)
        .await
        .unwrap();
    let app = TestApp::new(pool.clone());
    let cookie = signed_in_as(&app, "sasha@example.com", LAPTOP).await;
    (app, cookie)
}

async fn age(pool: &PgPool, sql: &str) {
    sqlx::query(sql).execute(pool).await.unwrap();
}

#[sqlx::test]
async fn a_staff_session_idle_for_31_minutes_is_refused(pool: PgPool) {
    let (app, cookie) = staff_signed_in(&pool).await;
    assert!(app.staff_rewards(&cookie, "").await.status.is_success());
    age(
        &pool,
        "UPDATE sessions SET last_seen_at = now() - interval '29 minutes'",
    )
    .await;
    assert!(
        app.staff_rewards(&cookie, "").await.status.is_success(),
        "29 minutes away is fine, and the visit counts as use"
    );
    age(
        &pool,
        "UPDATE sessions SET last_seen_at = now() - interval '31 minutes'",
    )
    .await;
    let refused = app.staff_rewards(&cookie, "").await;
    assert_eq!(refused.status, 401);
    assert_eq!(
        refused.app_error().to_string(),
        "Please sign in to continue."
    );
    assert_eq!(
        support::count(&pool, "sessions").await,
        0,
        "the session is gone"
    );
}

#[sqlx::test]
async fn a_staff_session_ends_twelve_hours_after_sign_in_however_busy(pool: PgPool) {
    let (app, cookie) = staff_signed_in(&pool).await;
    // Signed in thirteen hours ago, used a minute ago.
    age(
        &pool,
        "UPDATE sessions SET data = jsonb_set(data, '{signed_in_at}',
             to_jsonb((extract(epoch FROM now() - interval '13 hours') * 1000)::bigint))",
    )
    .await;
    let refused = app.staff_rewards(&cookie, "").await;
    assert_eq!(refused.status, 401, "{}", refused.body);
}

#[sqlx::test]
async fn a_members_session_outlasts_a_week_away_but_not_fifteen_days(pool: PgPool) {
    support::store(&pool).await;
    support::member(&pool, "maya@example.com", PW).await;
    let app = TestApp::new(pool.clone());
    let cookie = signed_in_as(&app, "maya@example.com", PHONE).await;
    age(
        &pool,
        "UPDATE sessions SET last_seen_at = now() - interval '7 days'",
    )
    .await;
    assert_eq!(
        app.viewer(&cookie).await.json()["email"],
        "maya@example.com"
    );
    let seen: bool =
        sqlx::query_scalar("SELECT last_seen_at > now() - interval '1 minute' FROM sessions")
            .fetch_one(&pool)
            .await
            .unwrap();
    assert!(seen, "coming back counts as use");
    age(
        &pool,
        "UPDATE sessions SET last_seen_at = now() - interval '15 days'",
    )
    .await;
    assert!(app.viewer(&cookie).await.json().is_null());
}

#[sqlx::test]
async fn a_member_sees_where_they_are_signed_in_and_can_sign_out_the_others(pool: PgPool) {
    support::store(&pool).await;
    support::member(&pool, "maya@example.com", PW).await;
    let app = TestApp::new(pool.clone());
    let laptop = signed_in_as(&app, "maya@example.com", LAPTOP).await;
    let phone = signed_in_as(&app, "maya@example.com", PHONE).await;
    let account = app.account(Some(&laptop)).await.json();
    let sessions = account["sessions"].as_array().unwrap().clone();
    let listed: Vec<(&str, bool)> = sessions
        .iter()
        .map(|s| {
            (
                s["device"].as_str().unwrap(),
                s["current"].as_bool().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        listed,
        [("Firefox on Linux", true), ("Chrome on Android", false)]
    );

    // The phone was lost: sign it out from the laptop.
    let handle = sessions[1]["handle"].as_str().unwrap();
    let ended = app.end_session(&laptop, handle).await;
    assert!(
        ended.status.is_success() || ended.status.is_redirection(),
        "{}",
        ended.body
    );
    assert!(
        app.viewer(&phone).await.json().is_null(),
        "the phone is signed out"
    );
    assert_eq!(
        app.viewer(&laptop).await.json()["email"],
        "maya@example.com"
    );
    // Someone else's session (or one already gone) is not found, whoever asks.
    let again = app.end_session(&laptop, handle).await;
    assert_eq!(
        again.app_error().to_string(),
        "That signed-in device was not found."
    );

    let tablet = signed_in_as(&app, "maya@example.com", PHONE).await;
    let others = app.end_other_sessions(&laptop).await;
    assert!(
        others.status.is_success() || others.status.is_redirection(),
        "{}",
        others.body
    );
    assert!(app.viewer(&tablet).await.json().is_null());
    assert_eq!(
        app.viewer(&laptop).await.json()["email"],
        "maya@example.com"
    );
}
