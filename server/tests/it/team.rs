//! The team in the console: admins give roles and manage the earning API's keys.

use sqlx::PgPool;

use crate::support::{self, TestApp, account_with_role, audit_actions, count, field_error};

#[sqlx::test]
async fn admins_give_roles_and_manage_api_keys(pool: PgPool) {
    support::store(&pool).await;
    let (_, admin) = account_with_role(&pool, "admin@example.com", "admin").await;
    let (_, future_staff) = account_with_role(&pool, "new@example.com", "member").await;
    let app = TestApp::new(pool.clone());
    let set = |email: &'static str, role: &'static str| {
        let (app, admin) = (app.clone(), admin.clone());
        async move { app.set_role(&admin, email, role).await }
    };
    assert!(set("new@example.com", "staff").await.status.is_success());
    assert_eq!(
        field_error(&set("nobody@example.com", "staff").await),
        (
            "email".to_owned(),
            "No account uses that email. Ask them to sign up first.".to_owned()
        )
    );
    assert_eq!(
        field_error(&set("admin@example.com", "member").await),
        (
            "email".to_owned(),
            "You can't change your own role. Ask another admin.".to_owned()
        )
    );
    // A changed role ends the person's sessions: they sign in again with their new rights.
    assert_eq!(app.account(Some(&future_staff)).await.status, 401);
    let team = app.team(&admin).await.json();
    assert!(team.to_string().contains("new@example.com"));

    let created = app.create_api_key(&admin, "Web shop", "webshop").await;
    assert!(created.status.is_success(), "{}", created.body);
    let listed = app.api_keys(&admin).await.json();
    let key = listed["fresh_key"].as_str().unwrap().to_owned();
    assert!(key.starts_with("rb_"));
    let again = app.api_keys(&admin).await.json();
    assert!(again["fresh_key"].is_null(), "shown only once");
    let bad = app.create_api_key(&admin, "Till", "Till 3!").await;
    assert_eq!(
        field_error(&bad),
        (
            "source".to_owned(),
            "The source is 1 to 40 lower-case letters, digits, - or _, e.g. webshop or till-3."
                .to_owned()
        )
    );

    let (member, _) = account_with_role(&pool, "buyer@example.com", "member").await;
    let body = support::purchase(member, "order-1", "10.00");
    assert_eq!(
        app.api_post("/api/v1/purchases", Some(&key), &body)
            .await
            .status,
        201
    );
    let id = again["keys"][0]["id"].as_i64().unwrap().to_string();
    assert!(app.revoke_api_key(&admin, &id).await.status.is_success());
    let body = support::purchase(member, "order-2", "10.00");
    assert_eq!(
        app.api_post("/api/v1/purchases", Some(&key), &body)
            .await
            .status,
        401
    );
    assert_eq!(
        audit_actions(&pool).await,
        vec!["account.role", "api_key.create", "api_key.revoke"]
    );
}

#[sqlx::test]
async fn each_mistake_an_admin_can_make_is_explained(pool: PgPool) {
    support::store(&pool).await;
    let (_, admin) = account_with_role(&pool, "admin@example.com", "admin").await;
    account_with_role(&pool, "new@example.com", "member").await;
    let app = TestApp::new(pool.clone());
    let role = app.set_role(&admin, "new@example.com", "owner").await;
    assert_eq!(
        field_error(&role),
        (
            "role".to_owned(),
            "Choose member, staff or admin.".to_owned()
        )
    );
    let unnamed = app.create_api_key(&admin, " ", "webshop").await;
    assert_eq!(
        field_error(&unnamed),
        (
            "name".to_owned(),
            "Name the key (1 to 80 characters), e.g. Web shop.".to_owned()
        )
    );
    assert_eq!(count(&pool, "api_keys").await, 0);
    let unknown = app.revoke_api_key(&admin, "999999").await;
    assert_eq!(unknown.status, 404);
    assert_eq!(
        unknown.app_error().to_string(),
        "That API key was not found."
    );
    let role: String =
        sqlx::query_scalar("SELECT role FROM accounts WHERE email = 'new@example.com'")
            .fetch_one(&pool)
            .await
            .unwrap();
    assert_eq!(role, "member", "nothing changed");
}
