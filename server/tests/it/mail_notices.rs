//! The mail members get besides reminders, through a real SMTP server: a receipt for every
//! redemption, a word when a drop they asked about moves or is cancelled, points about to
//! expire, and the daily cap on the mail a member did not ask for by name.

use chrono::{Duration, Utc};
use sqlx::PgPool;

use crate::outbox::{PW, mailing_app, second_server, spanish_member_reminded};
use crate::support::mail::{address, deliver, inbox, mail_config, only_message};
use crate::support::{self, TestApp};

/// Gives account `id` a mail address of its own (the tests share one SMTP server) and a
/// language; returns the address.
async fn own_address(pool: &PgPool, id: i64, name: &str, language: &str) -> String {
    let email = address(name);
    sqlx::query("UPDATE accounts SET email = $2, language = $3 WHERE id = $1")
        .bind(id)
        .bind(&email)
        .bind(language)
        .execute(pool)
        .await
        .unwrap();
    email
}

#[sqlx::test]
async fn every_redemption_gets_a_receipt_with_its_code_once(pool: PgPool) {
    let item = support::live_item(&pool, 10, 100).await;
    let (member, cookie) = support::member_with(&pool, 1, 500).await;
    let email = own_address(&pool, member, "receipt", "es").await;
    let app = TestApp::with_settings(pool.clone(), mail_config(), support::patient_line());
    let redeemed = app
        .redeem(&cookie, item, &uuid::Uuid::new_v4().to_string())
        .await
        .json();
    let code = redeemed["code"].as_str().expect("a code").to_owned();

    let state = second_server(&pool).await.1;
    assert_eq!(
        app::redemptions::ssr::mail_due_receipts(&state)
            .await
            .unwrap(),
        1
    );
    assert_eq!(
        app::redemptions::ssr::mail_due_receipts(&state)
            .await
            .unwrap(),
        0
    );
    deliver(&pool).await;
    let mail = only_message(&email);
    assert_eq!(
        mail.subject(),
        format!("Tu recompensa: Candle duo — código {code}")
    );
    assert!(
        mail.text.contains("Canjeaste Candle duo por 100 puntos el"),
        "{}",
        mail.text
    );
    assert!(
        mail.text.contains(&format!("/redemptions/{code}")),
        "{}",
        mail.text
    );
    assert_eq!(
        mail.header("list-unsubscribe"),
        None,
        "a receipt is not optional mail"
    );
}

#[sqlx::test]
async fn members_who_asked_about_a_drop_hear_by_mail_that_it_moved_or_was_cancelled(pool: PgPool) {
    support::store(&pool).await;
    let app = mailing_app(&pool);
    let email = address("lucia");
    let (drop, starts) = spanish_member_reminded(&pool, &app, &email).await;
    // Another member turned reminder mail off: the page's notice only.
    let quiet = address("quiet");
    support::member(&pool, &quiet, PW).await;
    let quiet_cookie = app.signed_in(&quiet, PW).await;
    app.remind(Some(&quiet_cookie), &drop.to_string(), true)
        .await;
    app.set_messages(&quiet_cookie, &[]).await;

    let staff = support::staff(&pool).await;
    let later = starts + Duration::days(1);
    let fmt = |t: chrono::DateTime<Utc>| {
        t.with_timezone(&chrono_tz::America::New_York)
            .format("%Y-%m-%dT%H:%M")
            .to_string()
    };
    let moved = app
        .save_drop_form(
            &staff,
            &[
                ("id", drop.to_string().as_str()),
                ("title", "Tuesday Drop"),
                ("title_es", "Drop del martes"),
                ("starts_at", &fmt(later)),
                ("ends_at", &fmt(later + Duration::hours(2))),
            ],
        )
        .await;
    assert!(
        moved.status.is_success() || moved.status.is_redirection(),
        "{}",
        moved.body
    );
    deliver(&pool).await;
    let mail = only_message(&email);
    assert_eq!(mail.subject(), "Drop del martes cambió de fecha");
    let new = app::domain::i18n::format_date(
        app::domain::i18n::Locale::EsMx,
        chrono_tz::America::Mexico_City,
        later,
    );
    assert!(
        mail.text.contains(&format!("ahora abre el {new}")),
        "{}",
        mail.text
    );
    assert!(inbox(&quiet).is_empty());
    // Each member's account page says it in their language, the time in their zone: the
    // Spanish member in Mexico City and the quiet one in English, in the store's New York.
    let notice = |account: serde_json::Value| {
        account["notices"][0]["message"]
            .as_str()
            .unwrap()
            .to_owned()
    };
    let lucia = app.signed_in(&email, PW).await;
    assert_eq!(
        notice(app.account(Some(&lucia)).await.json()),
        format!(
            "El drop \u{201c}Drop del martes\u{201d} cambió de horario: ahora abre el {new} en lugar del {}.",
            app::domain::i18n::format_date(
                app::domain::i18n::Locale::EsMx,
                chrono_tz::America::Mexico_City,
                starts,
            )
        )
    );
    let quiet_notice = notice(app.account(Some(&quiet_cookie)).await.json());
    let new_en = app::domain::i18n::format_date(
        app::domain::i18n::Locale::En,
        chrono_tz::America::New_York,
        later,
    );
    assert!(
        quiet_notice.starts_with("The drop \u{201c}Tuesday Drop\u{201d} has moved: it now opens ")
            && quiet_notice.contains(&new_en),
        "{quiet_notice}"
    );

    let cancelled = app.cancel_drop(&staff, &drop.to_string()).await;
    assert!(
        cancelled.status.is_success() || cancelled.status.is_redirection(),
        "{}",
        cancelled.body
    );
    deliver(&pool).await;
    let all = inbox(&email);
    assert_eq!(all.len(), 2);
    assert_eq!(all[1].subject(), "Drop del martes se canceló");
    assert!(inbox(&quiet).is_empty());
    assert!(
        notice(app.account(Some(&lucia)).await.json())
            .starts_with("El drop \u{201c}Drop del martes\u{201d} programado para el "),
    );
    assert!(
        notice(app.account(Some(&quiet_cookie)).await.json())
            .starts_with("The drop \u{201c}Tuesday Drop\u{201d} planned for "),
    );
}

/// A zone where it is now daytime (9:00–17:59) and one where it is not.
fn day_and_night_zones() -> (&'static str, &'static str) {
    use chrono::Timelike;
    let zones = [
        "Pacific/Kiritimati",
        "Pacific/Auckland",
        "Asia/Tokyo",
        "Asia/Kolkata",
        "Europe/Madrid",
        "Atlantic/Azores",
        "America/Sao_Paulo",
        "America/New_York",
        "America/Chicago",
        "America/Denver",
        "America/Los_Angeles",
        "Pacific/Honolulu",
        "Asia/Dubai",
        "Asia/Bangkok",
    ];
    let hour = |zone: &str| {
        Utc::now()
            .with_timezone(&zone.parse::<chrono_tz::Tz>().unwrap())
            .hour()
    };
    let day = zones.iter().find(|z| (9..=17).contains(&hour(z))).unwrap();
    let night = zones.iter().find(|z| !(8..=18).contains(&hour(z))).unwrap();
    (day, night)
}

#[sqlx::test]
async fn points_about_to_expire_are_mailed_in_the_members_daytime_to_those_who_asked(pool: PgPool) {
    support::store(&pool).await;
    let (day, night) = day_and_night_zones();
    let mut emails = Vec::new();
    for (name, zone, asked) in [
        ("day", day, true),
        ("night", night, true),
        ("silent", day, false),
    ] {
        let (id, _) = support::member_with(&pool, emails.len() + 1, 300).await;
        let email = own_address(&pool, id, name, "en").await;
        sqlx::query("UPDATE accounts SET time_zone = $2, mail_expiring_points = $3 WHERE id = $1")
            .bind(id)
            .bind(zone)
            .bind(asked)
            .execute(&pool)
            .await
            .unwrap();
        sqlx::query(
            "UPDATE point_lots SET expires_at = now() + interval '10 days' WHERE account_id = $1",
        )
        .bind(id)
        .execute(&pool)
        .await
        .unwrap();
        emails.push(email);
    }
    let state = second_server(&pool).await.1;
    assert_eq!(
        app::account::ssr::mail_expiring_points(&state)
            .await
            .unwrap(),
        1
    );
    assert_eq!(
        app::account::ssr::mail_expiring_points(&state)
            .await
            .unwrap(),
        0,
        "weekly at most"
    );
    deliver(&pool).await;
    let mail = only_message(&emails[0]);
    assert_eq!(mail.subject(), "300 points expire soon");
    assert!(
        mail.header("list-unsubscribe")
            .unwrap()
            .contains("/mail/unsubscribe?token=")
    );
    assert!(inbox(&emails[1]).is_empty(), "night in {night}");
    assert!(inbox(&emails[2]).is_empty(), "did not ask");
}

#[sqlx::test]
async fn a_member_gets_at_most_six_optional_mails_a_day_but_every_essential_one(pool: PgPool) {
    support::store(&pool).await;
    let app = mailing_app(&pool);
    let email = address("busy");
    let id = support::member(&pool, &email, PW).await;
    // Eight drops open in ten minutes, and the member asked about every one.
    let starts = Utc::now() + Duration::minutes(10);
    for n in 1..=8 {
        let drop = support::drop_window(
            &pool,
            &format!("Drop {n}"),
            starts,
            starts + Duration::hours(1),
        )
        .await;
        sqlx::query("INSERT INTO drop_reminders (account_id, drop_id) VALUES ($1, $2)")
            .bind(id)
            .bind(drop)
            .execute(&pool)
            .await
            .unwrap();
    }
    let (_server_pool, server) = second_server(&pool).await;
    app::bazaar::ssr::mail_due_reminders(&server, Utc::now())
        .await
        .unwrap();
    // A password reset is essential: it goes past the cap.
    app.request_password_reset(&email).await;
    while deliver(&pool).await > 0 {}

    let received = inbox(&email);
    let reminders = received
        .iter()
        .filter(|m| m.subject().ends_with("opens in 15 minutes"))
        .count();
    assert_eq!(reminders, 6, "six reminders a day at most");
    assert!(
        received
            .iter()
            .any(|m| m.subject() == "Reset your password"),
        "{:?}",
        received.iter().map(|m| m.subject()).collect::<Vec<_>>()
    );
    // Looking again does not send the other two later the same day.
    assert_eq!(
        app::bazaar::ssr::mail_due_reminders(&server, Utc::now())
            .await
            .unwrap(),
        0
    );
}
