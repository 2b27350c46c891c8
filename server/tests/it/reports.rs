//! The post-drop report: sell-out, failures, bursts, its chart and the CSV export.

use chrono::{Duration, Utc};
use sqlx::PgPool;

use crate::support::{self, account_with_role, grant, staff_console};

#[sqlx::test]
async fn the_post_drop_report_shows_sell_out_failures_bursts_and_exports_csv(pool: PgPool) {
    let (app, staff) = staff_console(&pool).await;
    let now = Utc::now();
    let drop = support::drop_window(
        &pool,
        "Live",
        now - Duration::minutes(10),
        now + Duration::hours(5),
    )
    .await;
    let reward = support::reward(&pool, "Candle duo", "gift", 300).await;
    let item = support::drop_item(&pool, drop, reward, 2, 2).await;
    let mut members = Vec::new();
    for n in 0..3 {
        let (id, cookie) = account_with_role(&pool, &format!("m{n}@example.com"), "member").await;
        grant(&pool, id, 1000).await;
        members.push((id, cookie));
    }
    assert!(app.press(&members[0].1, item).await.status.is_success());
    assert!(app.press(&members[1].1, item).await.status.is_success());
    // The third member is too late, and keeps pressing: a burst within one second.
    for _ in 0..6 {
        assert_eq!(
            app.press(&members[2].1, item).await.app_error().to_string(),
            "Sorry, this reward just sold out."
        );
    }
    sqlx::query(
        "UPDATE redemption_attempts SET at = date_trunc('second', now()) WHERE account_id = $1",
    )
    .bind(members[2].0)
    .execute(&pool)
    .await
    .unwrap();

    let report = app.drop_report(&staff, drop).await.json();
    assert_eq!(report["redemptions"], 2);
    assert_eq!(report["unique_redeemers"], 2);
    assert_eq!(report["attempts"], 8);
    assert_eq!(report["points_spent"], 600);
    assert!(
        report["items"][0]["sell_out"]
            .as_str()
            .unwrap()
            .starts_with("Sold out ")
    );
    assert_eq!(report["failures"], serde_json::json!([["Sold out", 6]]));
    assert_eq!(report["suspects"][0]["who"], "m2@example.com");
    assert_eq!(report["suspects"][0]["peak_per_second"], 6);
    assert_eq!(report["by_tier"], serde_json::json!([["Bronze", 2]]));
    let charted: i64 = report["timeline"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b["count"].as_i64().unwrap())
        .sum();
    assert_eq!(charted, 2);

    // The page draws the chart on the server.
    let page = app
        .get_as(&format!("/staff/drops/{drop}/report"), &staff)
        .await;
    assert_eq!(page.status, 200);
    assert!(page.body.contains("<svg"), "an SVG chart");
    assert!(page.body.contains("class=\"chart-bar\""));

    let csv = app
        .get_as(&format!("/staff/drops/{drop}/report.csv"), &staff)
        .await;
    assert_eq!(csv.status, 200);
    assert!(csv.content_type.starts_with("text/csv"));
    let lines: Vec<&str> = csv.body.lines().collect();
    assert_eq!(
        lines[0],
        "code,reward,member,tier,points,status,redeemed_at,cancelled_at"
    );
    assert_eq!(lines.len(), 3);
    assert!(lines[1].contains("Candle duo,m0@example.com,Bronze,300,confirmed,"));

    // Staff reading Spanish get its headers in Spanish.
    let spanish = app
        .get_as(
            &format!("/staff/drops/{drop}/report.csv"),
            &format!("{staff}; bazaar_lang=es"),
        )
        .await;
    assert_eq!(
        spanish.body.lines().next(),
        Some(SPANISH_CSV_HEADER),
        "{}",
        spanish.body
    );
}

/// The CSV export's header row for a Spanish reader.
const SPANISH_CSV_HEADER: &str =
    "código,recompensa,miembro,nivel,puntos,estado,canjeado_el,cancelado_el";
