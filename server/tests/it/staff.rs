use chrono::{Duration, Utc};
use sqlx::PgPool;

use crate::support::endpoints::{
    AdjustPoints, AppError, ArchiveReward, AuditEntries, CancelDrop, CancelForMember, CreateApiKey,
    CreateSchedule, GetDropCalendar, GetDropReport, GetMemberCare, GetStaffDrop, GetStaffReward,
    ListApiKeys, ListStaffRewards, ListTeam, PreviewSchedule, RemoveDropItem, RevokeApiKey,
    SaveDrop, SaveDropItem, SaveReward, SearchMembers, ServerFn, SetRole,
};
use crate::support::{self, TestApp};

/// An account with `role`, signed in (an admin with two-factor on, as admin pages require).
async fn account(pool: &PgPool, email: &str, role: &str) -> (i64, String) {
    support::account_with_role(pool, email, role).await
}

const FORM: [(&str, &str); 6] = [
    ("title", "Candle duo"),
    ("description", "Two candles."),
    ("category", "gift"),
    ("points_cost", "750"),
    ("tags", "home, scent"),
    ("min_tier", ""),
];

#[sqlx::test]
async fn every_staff_function_refuses_members_and_anonymous_callers(pool: PgPool) {
    support::store(&pool).await;
    let reward = support::reward(&pool, "Existing", "gift", 100).await;
    let now = Utc::now();
    let drop = support::drop_window(
        &pool,
        "Soon",
        now + Duration::days(1),
        now + Duration::days(2),
    )
    .await;
    let item = support::drop_item(&pool, drop, reward, 5, 5).await;
    let (member_id, member) = account(&pool, "member@example.com", "member").await;
    let (_, staff) = account(&pool, "staff@example.com", "staff").await;
    let app = TestApp::new(pool.clone());
    let (reward, drop, item, member_id) = (
        reward.to_string(),
        drop.to_string(),
        item.to_string(),
        member_id.to_string(),
    );
    let starts = support::store_local(now + Duration::days(3));
    let ends = support::store_local(now + Duration::days(4));
    let staff_gets = [
        ListStaffRewards::PATH.to_owned(),
        format!("{}?id={reward}", GetStaffReward::PATH),
        GetDropCalendar::PATH.to_owned(),
        format!("{}?id={drop}", GetStaffDrop::PATH),
        format!(
            "{}?days=tue&time=09:00&zone=Europe%2FMadrid",
            PreviewSchedule::PATH
        ),
        format!("{}?id={drop}", GetDropReport::PATH),
        format!("/staff/drops/{drop}/report.csv"),
        format!("{}?q=example", SearchMembers::PATH),
        format!("{}?id={member_id}", GetMemberCare::PATH),
    ];
    let admin_gets = [
        AuditEntries::PATH.to_owned(),
        ListTeam::PATH.to_owned(),
        ListApiKeys::PATH.to_owned(),
    ];
    // Server functions answer with the typed error; the CSV download with its JSON rendering.
    let message = |reply: &support::Reply| {
        if reply.body.starts_with("{\"error\"") {
            reply.json()["message"].as_str().unwrap().to_owned()
        } else {
            reply.app_error().to_string()
        }
    };
    for uri in staff_gets.iter().chain(&admin_gets) {
        let refused = app.get_as(uri, &member).await;
        assert_eq!(refused.status, 403, "{uri} as a member");
        assert_eq!(message(&refused), "You don't have access to this.");
        let anonymous = app.get(uri).await;
        assert_eq!(anonymous.status, 401, "{uri} anonymously");
        assert_eq!(message(&anonymous), "Please sign in to continue.");
    }
    let staff_posts: Vec<(&str, Vec<(&str, &str)>)> = vec![
        (SaveReward::PATH, FORM.to_vec()),
        (ArchiveReward::PATH, vec![("id", &reward)]),
        (
            SaveDrop::PATH,
            vec![("title", "New"), ("starts_at", &starts), ("ends_at", &ends)],
        ),
        (CancelDrop::PATH, vec![("id", &drop)]),
        (
            SaveDropItem::PATH,
            vec![
                ("drop_id", &drop),
                ("reward_id", &reward),
                ("quantity", "9"),
                ("per_member_limit", "1"),
            ],
        ),
        (
            RemoveDropItem::PATH,
            vec![("drop_id", &drop), ("item_id", &item)],
        ),
        (
            CreateSchedule::PATH,
            vec![
                ("title", "Weekly"),
                ("days", "tue"),
                ("time", "09:00"),
                ("zone", "Europe/Madrid"),
                ("hours", "24"),
            ],
        ),
        (
            AdjustPoints::PATH,
            vec![
                ("member_id", &member_id),
                ("points", "500"),
                ("reason", "Gift"),
            ],
        ),
        (
            CancelForMember::PATH,
            vec![
                ("member_id", &member_id),
                ("code", "RB-0000-0000"),
                ("reason", "Asked"),
            ],
        ),
    ];
    let admin_posts: Vec<(&str, Vec<(&str, &str)>)> = vec![
        (
            SetRole::PATH,
            vec![("email", "member@example.com"), ("role", "admin")],
        ),
        (
            CreateApiKey::PATH,
            vec![("name", "Till"), ("source", "till")],
        ),
        (RevokeApiKey::PATH, vec![("id", "1")]),
    ];
    for (uri, form) in staff_posts.iter().chain(&admin_posts) {
        let reply = app.post_form(uri, form, Some(&member)).await;
        assert_eq!(reply.status, 403, "{uri} as a member");
        assert_eq!(
            reply.app_error().to_string(),
            "You don't have access to this."
        );
        assert_eq!(
            app.post_form(uri, form, None).await.status,
            401,
            "{uri} anonymously"
        );
    }
    // Admin functions are for admins, not all staff.
    for uri in &admin_gets {
        assert_eq!(app.get_as(uri, &staff).await.status, 403, "{uri} as staff");
    }
    for (uri, form) in &admin_posts {
        assert_eq!(
            app.post_form(uri, form, Some(&staff)).await.status,
            403,
            "{uri} as staff"
        );
    }
    let written: (i64, i64, i64, i64, i64, i64, String) = sqlx::query_as(
        "SELECT (SELECT count(*) FROM rewards), (SELECT count(*) FROM drops), (SELECT count(*) FROM drop_items),
                (SELECT count(*) FROM ledger_entries), (SELECT count(*) FROM api_keys), (SELECT count(*) FROM audit_log),
                (SELECT role FROM accounts WHERE email = 'member@example.com')",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(
        written,
        (1, 1, 1, 0, 0, 0, "member".into()),
        "nothing was written"
    );
    let cancelled: bool = sqlx::query_scalar("SELECT cancelled_at IS NOT NULL FROM drops")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert!(!cancelled);
}

#[sqlx::test]
async fn staff_create_and_edit_rewards_and_each_change_is_audited(pool: PgPool) {
    support::store(&pool).await;
    let (staff_id, staff) = account(&pool, "staff@example.com", "staff").await;
    let (_, admin) = account(&pool, "admin@example.com", "admin").await;
    let app = TestApp::new(pool.clone());
    let created = app.save_reward(&staff, &FORM).await;
    assert!(created.status.is_success(), "{}", created.body);
    let reward: serde_json::Value = serde_json::from_str(created.text()).unwrap();
    assert_eq!(reward["points_cost"], 750);
    assert_eq!(reward["tags"], serde_json::json!(["home", "scent"]));
    let id = reward["id"].as_i64().unwrap().to_string();

    let mut edit = FORM.to_vec();
    edit.push(("id", &id));
    edit[3] = ("points_cost", "900");
    assert!(app.save_reward(&staff, &edit).await.status.is_success());

    let entries = app.audit(&admin, Some("reward."), None).await.json();
    let entries = entries.as_array().unwrap();
    assert_eq!(entries.len(), 2);
    assert_eq!(entries[0]["action"], "reward.edit");
    assert_eq!(entries[0]["actor"], "staff@example.com");
    assert_eq!(entries[0]["subject"], format!("reward:{id}"));
    assert!(
        entries[0]["before"]
            .as_str()
            .unwrap()
            .contains("\"points_cost\":750")
    );
    assert!(
        entries[0]["after"]
            .as_str()
            .unwrap()
            .contains("\"points_cost\":900")
    );
    assert_eq!(entries[1]["action"], "reward.create");
    assert!(entries[1]["before"].is_null());
    // Filtering by someone else finds nothing.
    let none = app
        .audit(&admin, None, Some("admin@example.com"))
        .await
        .json();
    assert_eq!(none.as_array().unwrap().len(), 0);
    let _ = staff_id;
}

#[sqlx::test]
async fn each_invalid_reward_field_gets_its_message_and_nothing_is_saved(pool: PgPool) {
    support::store(&pool).await;
    let (_, staff) = account(&pool, "staff@example.com", "staff").await;
    let app = TestApp::new(pool.clone());
    let (long_title, long_description) = ("t".repeat(121), "d".repeat(2001));
    let long_tag = format!("home, {}", "g".repeat(31));
    let cases = [
        (0, "", "title", "Give the reward a title."),
        (
            0,
            long_title.as_str(),
            "title",
            "Keep the title to 120 characters.",
        ),
        (
            1,
            long_description.as_str(),
            "description",
            "Keep the description to 2,000 characters.",
        ),
        (
            4,
            long_tag.as_str(),
            "tags",
            "Keep each tag to 30 characters.",
        ),
        (2, "shoes", "category", "Choose a category."),
        (
            3,
            "lots",
            "points_cost",
            "Enter the cost in points as a whole number, e.g. 500.",
        ),
        (
            3,
            "-5",
            "points_cost",
            "The cost must be between 1 and 1,000,000 points.",
        ),
        (4, "a,b,c,d,e,f,g,h,i,j,k", "tags", "Use at most 10 tags."),
        (
            5,
            "platinum",
            "min_tier",
            "Choose one of the tiers, or none.",
        ),
    ];
    for (index, value, field, message) in cases {
        let mut form = FORM.to_vec();
        form[index].1 = value;
        let reply = app.save_reward(&staff, &form).await;
        assert_eq!(reply.status, 422, "{field}: {}", reply.body);
        match reply.app_error() {
            AppError::Invalid {
                field: f,
                message: m,
            } => assert_eq!((f.as_str(), m.as_str()), (field, message)),
            other => panic!("{other:?}"),
        }
    }
    let (rewards, audit): (i64, i64) =
        sqlx::query_as("SELECT (SELECT count(*) FROM rewards), (SELECT count(*) FROM audit_log)")
            .fetch_one(&pool)
            .await
            .unwrap();
    assert_eq!((rewards, audit), (0, 0));
}

#[sqlx::test]
async fn an_archived_reward_leaves_future_drops_but_history_keeps_it(pool: PgPool) {
    support::store(&pool).await;
    let (_, staff) = account(&pool, "staff@example.com", "staff").await;
    let now = Utc::now();
    let past = support::drop_window(
        &pool,
        "Past",
        now - Duration::days(3),
        now - Duration::days(2),
    )
    .await;
    let future = support::drop_window(
        &pool,
        "Future",
        now + Duration::days(2),
        now + Duration::days(3),
    )
    .await;
    let reward = support::reward(&pool, "Old favourite", "gift", 100).await;
    support::drop_item(&pool, past, reward, 5, 5).await;
    support::drop_item(&pool, future, reward, 5, 5).await;
    let app = TestApp::new(pool.clone());
    let reply = app.archive_reward(&staff, &reward.to_string()).await;
    assert!(reply.status.is_success(), "{}", reply.body);
    let drops: Vec<i64> = sqlx::query_scalar("SELECT drop_id FROM drop_items WHERE reward_id = $1")
        .bind(reward)
        .fetch_all(&pool)
        .await
        .unwrap();
    assert_eq!(drops, vec![past]);
    let action: String = sqlx::query_scalar("SELECT action FROM audit_log")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(action, "reward.archive");
    let list = app.staff_rewards(&staff, "favourite").await.json();
    assert_eq!(list[0]["archived"], true);
}

#[sqlx::test]
async fn a_minimum_tier_set_on_a_reward_in_the_catalog_holds_in_the_drops_it_is_in(pool: PgPool) {
    support::store(&pool).await;
    let (_, staff) = account(&pool, "staff@example.com", "staff").await;
    let app = TestApp::new(pool.clone());
    let mut form = FORM.to_vec();
    form[5].1 = "gold";
    let saved = app.save_reward(&staff, &form).await;
    assert!(saved.status.is_success(), "{}", saved.body);
    let reward: i64 = sqlx::query_scalar("SELECT id FROM rewards")
        .fetch_one(&pool)
        .await
        .unwrap();
    let now = Utc::now();
    let drop = support::drop_window(
        &pool,
        "Now",
        now - Duration::hours(1),
        now + Duration::hours(1),
    )
    .await;
    let item = support::drop_item(&pool, drop, reward, 5, 5).await;
    let (_, bronze) = support::member_with(&pool, 1, 2_000).await;

    let page = app.get_as("/", &bronze).await;
    assert!(
        page.body.contains("Gold tier and above"),
        "the card says who may redeem"
    );
    let refused = app.press(&bronze, item).await;
    assert_eq!(refused.status, 403, "{}", refused.body);
    assert_eq!(
        refused.app_error().to_string(),
        "This reward is for Gold members and above."
    );
    let remaining: i32 = sqlx::query_scalar("SELECT remaining FROM drop_items WHERE id = $1")
        .bind(item)
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(remaining, 5, "nothing was sold to a Bronze member");
}

#[sqlx::test]
async fn rewards_pressed_for_before_their_drop_opened_can_still_be_removed_or_archived(
    pool: PgPool,
) {
    support::store(&pool).await;
    let (_, staff) = account(&pool, "staff@example.com", "staff").await;
    let now = Utc::now();
    let drop = support::drop_window(
        &pool,
        "Friday",
        now + Duration::days(1),
        now + Duration::days(2),
    )
    .await;
    let removed = support::reward(&pool, "Tote bag", "gift", 100).await;
    let archived = support::reward(&pool, "Mug", "gift", 100).await;
    let tote = support::drop_item(&pool, drop, removed, 5, 5).await;
    let mug = support::drop_item(&pool, drop, archived, 5, 5).await;
    let (_, eager) = support::member_with(&pool, 1, 500).await;
    let app = TestApp::new(pool.clone());
    for item in [tote, mug] {
        let early = app.press(&eager, item).await;
        assert_eq!(early.status, 409, "{}", early.body);
    }
    let pressed: i64 = sqlx::query_scalar("SELECT count(*) FROM redemption_attempts")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(
        pressed, 2,
        "the early presses are on record for the drop report"
    );

    let (drop, tote) = (drop.to_string(), tote.to_string());
    let remove = app.remove_drop_item(&staff, &drop, &tote).await;
    assert!(
        remove.cookie().is_some() || remove.status.is_success(),
        "{}",
        remove.body
    );
    let archived = archived.to_string();
    let archive = app.archive_reward(&staff, &archived).await;
    assert!(archive.status.is_success(), "{}", archive.body);
    let items: i64 = sqlx::query_scalar("SELECT count(*) FROM drop_items")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(items, 0, "both rewards left the drop");
}
