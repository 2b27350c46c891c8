//! Member care in the console: adjusting points, cancelling a member's redemption, finding
//! members.

use sqlx::PgPool;

use crate::support::{
    TestApp, account_with_role, assert_invariants, audit_actions, count, field_error, grant,
    live_item, staff, staff_console,
};

#[sqlx::test]
async fn staff_adjust_points_with_a_reason_and_never_below_zero(pool: PgPool) {
    let (app, staff) = staff_console(&pool).await;
    let (member, member_cookie) = account_with_role(&pool, "fan@example.com", "member").await;
    grant(&pool, member, 500).await;
    let id = member.to_string();
    let adjust = |points: &'static str, reason: &'static str| {
        let (app, staff, id) = (app.clone(), staff.clone(), id.clone());
        async move { app.adjust_points(&staff, &id, points, reason).await }
    };
    let added = adjust("+250", "Till was down on 12 Nov").await;
    assert!(added.status.is_success(), "{}", added.body);
    assert_eq!(added.text().trim(), "750");

    let too_much = adjust("-1000", "Duplicate purchase").await;
    assert_eq!(
        field_error(&too_much),
        (
            "points".to_owned(),
            "This member has 750 pts; you can take away at most that.".to_owned()
        )
    );
    let no_reason = adjust("100", " ").await;
    assert_eq!(
        field_error(&no_reason),
        (
            "reason".to_owned(),
            "Give a reason: the member sees it in their points history.".to_owned()
        )
    );
    let taken = adjust("-200", "Duplicate purchase").await;
    assert!(taken.status.is_success());

    // The member sees the reasons in their own history.
    let account = app.account(Some(&member_cookie)).await.json();
    assert_eq!(account["balance"], 550);
    assert_eq!(account["history"][0]["reason"], "Duplicate purchase");
    assert_eq!(account["history"][0]["points"], -200);
    assert_eq!(account["history"][1]["reason"], "Till was down on 12 Nov");
    assert_eq!(
        audit_actions(&pool).await,
        vec!["member.adjust", "member.adjust"]
    );
    assert_invariants(&pool).await;

    let found = app.search_members(&staff, "FAN").await.json();
    assert_eq!(found[0]["email"], "fan@example.com");
    assert_eq!(found[0]["balance"], 550);
    let care = app.member_care(&staff, &id).await.json();
    assert_eq!(care["ledger"].as_array().unwrap().len(), 3);
}

#[sqlx::test]
async fn staff_cancel_a_redemption_for_a_member_after_their_grace_period(pool: PgPool) {
    let item = live_item(&pool, 5, 300).await;
    let staff = staff(&pool).await;
    let (member, cookie) = account_with_role(&pool, "fan@example.com", "member").await;
    grant(&pool, member, 1000).await;
    let app = TestApp::new(pool.clone());
    let redeemed = app.press(&cookie, item).await;
    assert!(redeemed.status.is_success(), "{}", redeemed.body);
    let code = redeemed.json()["code"].as_str().unwrap().to_owned();
    sqlx::query("UPDATE redemptions SET created_at = now() - interval '1 hour'")
        .execute(&pool)
        .await
        .unwrap();
    let own = app.cancel_redemption(&cookie, &code).await;
    assert_eq!(
        own.app_error().to_string(),
        "This redemption can no longer be cancelled: cancelling is possible for 15 minutes after redeeming."
    );
    let send = |reason: &'static str| {
        let (app, staff, member, code) =
            (app.clone(), staff.clone(), member.to_string(), code.clone());
        async move { app.cancel_for_member(&staff, &member, &code, reason).await }
    };
    let no_reason = send("").await;
    assert_eq!(
        field_error(&no_reason),
        (
            "reason".to_owned(),
            "Give a reason for cancelling: it goes in the audit log.".to_owned()
        )
    );
    let done = send("Item damaged in store").await;
    assert!(done.status.is_success(), "{}", done.body);
    let (balance, remaining): (i64, i32) = sqlx::query_as(
        "SELECT (SELECT balance FROM accounts WHERE id = $1), (SELECT remaining FROM drop_items WHERE id = $2)",
    )
    .bind(member)
    .bind(item)
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!((balance, remaining), (1000, 5));
    let after: String =
        sqlx::query_scalar("SELECT after::text FROM audit_log WHERE action = 'redemption.cancel'")
            .fetch_one(&pool)
            .await
            .unwrap();
    assert!(after.contains("Item damaged in store"), "{after}");
    assert_invariants(&pool).await;
}

#[sqlx::test]
async fn each_mistake_in_adjusting_points_or_finding_a_member_is_explained(pool: PgPool) {
    let (app, staff) = staff_console(&pool).await;
    let (member, _) = account_with_role(&pool, "fan@example.com", "member").await;
    let id = member.to_string();
    let long_reason = "r".repeat(201);
    let cases = [
        (
            "lots",
            "Goodwill",
            "points",
            "Enter the points to add or take away as a whole number, e.g. 500 or -200.",
        ),
        ("0", "Goodwill", "points", "Enter a number other than 0."),
        (
            "1000001",
            "Goodwill",
            "points",
            "Adjust by at most 1,000,000 points at a time.",
        ),
        (
            "100",
            long_reason.as_str(),
            "reason",
            "Keep the reason to 200 characters.",
        ),
    ];
    for (points, reason, field, message) in cases {
        let reply = app.adjust_points(&staff, &id, points, reason).await;
        assert_eq!(reply.status, 422, "{message}: {}", reply.body);
        assert_eq!(field_error(&reply), (field.to_owned(), message.to_owned()));
    }
    assert_eq!(
        count(&pool, "ledger_entries").await,
        0,
        "nothing was written"
    );
    let nobody = app.member_care(&staff, "999999").await;
    assert_eq!(nobody.status, 404);
    assert_eq!(nobody.app_error().to_string(), "That member was not found.");
}

#[sqlx::test]
async fn no_one_can_adjust_their_own_points(pool: PgPool) {
    crate::support::store(&pool).await;
    let app = TestApp::new(pool.clone());
    for role in ["staff", "admin"] {
        let (me, cookie) = account_with_role(&pool, &format!("{role}@example.com"), role).await;
        let reply = app
            .adjust_points(&cookie, &me.to_string(), "+500", "Goodwill")
            .await;
        assert_eq!(
            field_error(&reply),
            (
                "points".to_owned(),
                "You can't adjust your own points. Ask another staff member to do it.".to_owned()
            ),
            "{role}"
        );
    }
    assert_eq!(
        count(&pool, "ledger_entries").await,
        0,
        "nothing was written"
    );
}

#[sqlx::test]
async fn adjustments_over_the_store_limit_need_an_admin(pool: PgPool) {
    let (app, staff) = staff_console(&pool).await;
    let (member, _) = account_with_role(&pool, "fan@example.com", "member").await;
    let id = member.to_string();
    let refused = app
        .adjust_points(&staff, &id, "+10001", "Big apology")
        .await;
    assert_eq!(
        field_error(&refused),
        (
            "points".to_owned(),
            "Adjustments over 10,000 pts need an admin. Ask an admin, or adjust by less."
                .to_owned()
        )
    );
    assert!(
        app.adjust_points(&staff, &id, "+10000", "Apology")
            .await
            .status
            .is_success()
    );
    let (_, admin) = account_with_role(&pool, "boss@example.com", "admin").await;
    let big = app
        .adjust_points(&admin, &id, "+10001", "Big apology")
        .await;
    assert!(big.status.is_success(), "{}", big.body);
    assert_eq!(big.text().trim(), "20001");
    assert_invariants(&pool).await;
}
