//! The store's systems enrol customers through `/api/v1/members`; a customer claims the account
//! through a link mailed to the address, never by signing up with it.

use serde_json::json;
use sqlx::PgPool;

use crate::support::mail::{address, deliver, mail_config, only_message};
use crate::support::{self, TestApp};

const MEMBERS: &str = "/api/v1/members";

async fn importing_key(pool: &PgPool) -> String {
    server::api::create_api_key(pool, "Back office", "crm", &["earn", "import"], None)
        .await
        .unwrap()
}

#[sqlx::test]
async fn an_enrolled_customer_claims_the_account_by_mail_and_a_stranger_signing_up_with_it_gets_nothing(
    pool: PgPool,
) {
    support::store(&pool).await;
    let app = TestApp::with_settings(pool.clone(), mail_config(), Default::default());
    let key = importing_key(&pool).await;
    let ana = address("ana");
    let enrol = json!({"email": ana, "name": "Ana López", "customer_id": "C-481",
        "joined_at": "2019-04-02T10:00:00Z"})
    .to_string();

    let first = app.api_post(MEMBERS, Some(&key), &enrol).await;
    assert_eq!(first.status, 201, "{}", first.body);
    let member = first.json()["member_id"].as_i64().unwrap();
    assert_eq!(first.json()["claimed"], false);
    let again = app.api_post(MEMBERS, Some(&key), &enrol).await;
    assert_eq!(
        again.status, 200,
        "enrolling the same customer again is no error"
    );
    assert_eq!(again.json()["member_id"], member);
    assert_eq!(again.json()["created"], false);

    // The store's history makes the enrolled member's points.
    let purchase = json!({"member_id": member, "external_id": "t-1", "amount": "80.00",
        "currency": "USD", "purchased_at": chrono::Utc::now().to_rfc3339()});
    let earned = app
        .api_post("/api/v1/purchases", Some(&key), &purchase.to_string())
        .await;
    assert_eq!(earned.status, 201, "{}", earned.body);

    // Nobody can sign in to an unclaimed account, whatever they type.
    assert_eq!(app.sign_in(&ana, "").await.status, 401);

    // A stranger who knows the address signs up with it: the answer is a newcomer's, and
    // nothing about the account changes.
    let stranger = app
        .sign_up(&ana, "Not Ana", "the stranger's password")
        .await;
    let newcomer = app
        .sign_up(&address("newcomer"), "Someone", "another password 123")
        .await;
    assert_eq!(stranger.status, newcomer.status);
    assert_eq!(stranger.body, newcomer.body);
    assert_eq!(stranger.cookie().is_some(), newcomer.cookie().is_some());
    assert_eq!(
        app.sign_in(&ana, "the stranger's password").await.status,
        401,
        "signing up did not set a password on the enrolled account"
    );

    // The address's owner is invited to claim it; following the link proves the address.
    deliver(&pool).await;
    let invite = only_message(&ana);
    assert_eq!(
        invite.subject(),
        "Your Rewards Bazaar membership is waiting"
    );
    assert!(invite.text.contains("Hi Ana López,"), "{}", invite.text);
    let token = invite.token("/account?step=reset-password");
    let claimed = app.reset_password(&token, "ana's own password").await;
    assert_eq!(claimed.headers["location"], "/account?password=reset");
    let session = claimed.cookie().expect("signed in after claiming");
    let account = app.account(Some(&session)).await.json();
    assert_eq!(account["display_name"], "Ana López");
    assert_eq!(
        account["balance"], 80,
        "the enrolled history's points are hers"
    );
    let (verified, joined): (bool, String) = sqlx::query_as(
        "SELECT email_verified_at IS NOT NULL, to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD') FROM accounts WHERE id = $1",
    )
    .bind(member)
    .fetch_one(&pool)
    .await
    .unwrap();
    assert!(verified, "claiming confirmed the address");
    assert_eq!(
        joined, "2019-04-02",
        "a member since the date the store sent"
    );
    let now = app.api_post(MEMBERS, Some(&key), &enrol).await;
    assert_eq!(now.json()["claimed"], true);
}

#[sqlx::test]
async fn enrolment_refuses_bad_customers_with_the_reason_and_writes_nothing(pool: PgPool) {
    let (app, _maya, till) = support::maya_at_the_till(&pool).await;
    let key = importing_key(&pool).await;
    let accounts = support::count(&pool, "accounts").await;
    let taken = json!({"email": "first@example.com", "name": "First", "customer_id": "C-1"});
    assert_eq!(
        app.api_post(MEMBERS, Some(&key), &taken.to_string())
            .await
            .status,
        201
    );
    let cases = [
        (
            json!({"email": "not an address", "name": "X", "customer_id": "C-2"}),
            422,
            "\"not an address\" is not an email address.",
        ),
        (
            json!({"email": "x@example.com", "name": "  ", "customer_id": "C-2"}),
            422,
            "name must be 1-80 characters.",
        ),
        (
            json!({"email": "x@example.com", "name": "X", "customer_id": ""}),
            422,
            "customer_id must be 1-128 printable characters.",
        ),
        (
            json!({"email": "x@example.com", "name": "X", "customer_id": "C-2",
                "joined_at": "2999-01-01T00:00:00Z"}),
            422,
            "joined_at is in the future; send the date the customer joined.",
        ),
        (
            json!({"email": "other@example.com", "name": "X", "customer_id": "C-1"}),
            409,
            "customer_id \"C-1\" is already another member's (a different email address). Send that member's address, or a new customer_id.",
        ),
        (
            json!({"email": "first@example.com", "name": "First", "customer_id": "C-3"}),
            409,
            "first@example.com is already a member with another customer_id from an integration.",
        ),
        (
            json!({"email": "x@example.com", "customer_id": "C-2"}),
            422,
            "The member is incomplete or has a wrong field: Failed to deserialize the JSON body into the target type: missing field `name` at line 1 column 45",
        ),
    ];
    for (body, status, message) in cases {
        let reply = app.api_post(MEMBERS, Some(&key), &body.to_string()).await;
        assert_eq!(reply.status, status, "{body}: {}", reply.body);
        assert_eq!(reply.json()["message"], message, "{body}");
    }
    let till_reply = app
        .api_post(
            MEMBERS,
            Some(&till),
            &json!({"email": "y@example.com", "name": "Y", "customer_id": "C-9"}).to_string(),
        )
        .await;
    assert_eq!(till_reply.status, 403);
    assert_eq!(
        till_reply.json()["message"],
        "This API key may not do this: it needs the \"import\" scope. Ask the store's staff for a key with it."
    );
    assert_eq!(
        app.api_post(MEMBERS, None, &taken.to_string()).await.status,
        401
    );
    assert_eq!(
        support::count(&pool, "accounts").await,
        accounts + 1,
        "only the one good enrolment was written"
    );
}
