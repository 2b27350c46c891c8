//! Deleting an audience: the confirmation, an audience gone in another tab, and a drop form
//! naming one that is not there.

use chrono::{Duration, Utc};
use sqlx::PgPool;

use crate::audiences::hand_counted_store;
use crate::support::{self, TestApp, field_error};

#[sqlx::test]
async fn staff_delete_an_audience_nothing_uses_and_are_told_when_it_is_gone(pool: PgPool) {
    let store = hand_counted_store(&pool).await;
    let app = TestApp::new(pool.clone());
    let saved = app
        .save_audience(Some(&store.staff), &[("name", "Gold"), ("tiers[]", "gold")])
        .await;
    let id = saved.json().as_i64().unwrap();

    let deleted = app.delete_audience(&store.staff, id).await;
    assert!(deleted.status.is_success(), "{}", deleted.body);
    assert_eq!(
        app.audiences(Some(&store.staff)).await.json()["audiences"],
        serde_json::json!([])
    );
    assert_eq!(
        support::audit_actions(&pool).await,
        ["audience.create", "audience.delete"]
    );

    // Deleted in another tab: deleting or changing it again says it is gone, and saves nothing.
    let again = app.delete_audience(&store.staff, id).await;
    assert_eq!(again.status, 404);
    assert_eq!(
        again.app_error().to_string(),
        "That audience was not found."
    );
    let changed = app
        .save_audience(
            Some(&store.staff),
            &[
                ("id", &id.to_string()),
                ("name", "Gold"),
                ("tiers[]", "gold"),
            ],
        )
        .await;
    assert_eq!(changed.status, 404);
    assert_eq!(
        changed.app_error().to_string(),
        "That audience was not found."
    );
    assert_eq!(support::count(&pool, "audiences").await, 0);

    // A drop form naming an audience that is not there is refused on its field.
    let now = Utc::now();
    let drop = support::drop_window(
        &pool,
        "Soon",
        now + Duration::hours(2),
        now + Duration::hours(5),
    )
    .await;
    let reward = support::reward(&pool, "Chef's table", "experience", 100).await;
    let (drop_id, reward_id, gone) = (drop.to_string(), reward.to_string(), id.to_string());
    let refused = app
        .save_drop_item(
            &store.staff,
            &[
                ("drop_id", &drop_id),
                ("reward_id", &reward_id),
                ("quantity", "5"),
                ("per_member_limit", "1"),
                ("audience", &gone),
                ("audience_shown", "shown"),
            ],
        )
        .await;
    assert_eq!(
        field_error(&refused),
        (
            "audience".to_owned(),
            "Choose one of the audiences, or everyone.".to_owned()
        )
    );
    assert_eq!(support::count(&pool, "drop_items").await, 0);
}
