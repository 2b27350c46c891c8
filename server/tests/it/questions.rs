//! One short question at a time: after a redemption and on the account page, answered (and
//! kept as given through a question) or put off, and not asked again for a while.

use sqlx::PgPool;

use crate::support::endpoints::{AnswerQuestion, DismissQuestion, ServerFn};
use crate::support::{self, TestApp, field_error};

/// The question on a page's data, as its prompt shows it.
fn asked(data: &serde_json::Value) -> Option<&str> {
    data["question"].as_str()
}

/// A member with points, signed in, who has just redeemed a reward: the redemption's code.
async fn redeemed(pool: &PgPool, app: &TestApp) -> (i64, String, String) {
    let (_, item) = support::live_store(pool).await;
    let (member, cookie) = support::member_with(pool, 1, 1000).await;
    let reply = app
        .redeem(&cookie, item, &uuid::Uuid::new_v4().to_string())
        .await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    let code = reply.json()["code"].as_str().unwrap().to_owned();
    (member, cookie, code)
}

#[sqlx::test]
async fn after_a_redemption_a_member_answers_one_question_and_it_is_kept_as_theirs(pool: PgPool) {
    let app = TestApp::new(pool.clone());
    let (member, cookie, code) = redeemed(&pool, &app).await;

    // The answer to Redeem itself carries no question: nothing stands in its way.
    let page = app.redemption(&cookie, &code).await.json();
    assert_eq!(
        asked(&page),
        Some("types"),
        "the first question, on the redemption's page"
    );

    let answered = app
        .post_form(
            AnswerQuestion::PATH,
            &[("question", "types"), ("types[]", "experience")],
            Some(&cookie),
        )
        .await;
    assert_eq!(
        answered.headers["location"],
        "/account?step=question&answered=1"
    );
    let via: String = sqlx::query_scalar(
        "SELECT given_via FROM member_likes WHERE account_id = $1 AND category = 'experience'",
    )
    .bind(member)
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(via, "question", "kept with how it was given");

    // One at a time: the next question waits for the next natural moment.
    let page = app.redemption(&cookie, &code).await.json();
    assert_eq!(asked(&page), Some("interests"));
    // What you love shows the answer.
    let account = app.account(Some(&cookie)).await.json();
    assert_eq!(account["likes"]["types"], serde_json::json!(["experience"]));
}

#[sqlx::test]
async fn a_question_put_off_is_not_asked_again_within_its_pause(pool: PgPool) {
    let app = TestApp::new(pool.clone());
    let (member, cookie, code) = redeemed(&pool, &app).await;
    let back = format!("/redemptions/{code}");
    let put_off = app
        .post_form(
            DismissQuestion::PATH,
            &[("question", "types"), ("back", &back)],
            Some(&cookie),
        )
        .await;
    assert_eq!(
        put_off.headers["location"],
        back.as_str(),
        "back where they were"
    );
    assert_eq!(
        asked(&app.account(Some(&cookie)).await.json()),
        Some("interests"),
        "the next question instead"
    );

    // Twenty-nine days on, still not asked; thirty-one days on, asked again.
    for (days, expected) in [(29, Some("interests")), (31, Some("types"))] {
        sqlx::query(
            "UPDATE member_questions SET dismissed_at = now() - make_interval(days => $2)
             WHERE account_id = $1 AND question = 'types'",
        )
        .bind(member)
        .bind(days)
        .execute(&pool)
        .await
        .unwrap();
        let page = app.redemption(&cookie, &code).await.json();
        assert_eq!(asked(&page), expected, "{days} days after Not now");
    }
}

/// A form answering a question, the field refused, and what the member reads ("" when the
/// message is another test's business).
type Refused = (
    &'static [(&'static str, &'static str)],
    &'static str,
    &'static str,
);

#[sqlx::test]
async fn an_empty_or_unknown_answer_is_refused_with_why_and_nothing_is_kept(pool: PgPool) {
    let app = TestApp::new(pool.clone());
    let (_, cookie, _) = redeemed(&pool, &app).await;
    let cases: [Refused; 6] = [
        (
            &[("question", "types")],
            "types",
            "Tick at least one, or choose Not now.",
        ),
        (
            &[("question", "interests")],
            "interests",
            "Tick at least one, or choose Not now.",
        ),
        (
            &[("question", "birthday")],
            "birthday_day",
            "Choose the day and the month, or choose Not now.",
        ),
        (
            &[("question", "birthday"), ("birthday_day", "3")],
            "birthday_month",
            "Choose the month of your birthday too.",
        ),
        (
            &[
                ("question", "birthday"),
                ("birthday_day", "31"),
                ("birthday_month", "2"),
            ],
            "birthday_day",
            "",
        ),
        (
            &[("question", "shoe_size")],
            "question",
            "That question is not one we ask. Go back to your account page and try again.",
        ),
    ];
    for (form, field, message) in cases {
        let reply = app
            .post_form(AnswerQuestion::PATH, form, Some(&cookie))
            .await;
        let (got_field, got) = field_error(&reply);
        assert_eq!(got_field, field, "{form:?}: {got}");
        if !message.is_empty() {
            assert_eq!(got, message, "{form:?}");
        }
    }
    let kept: i64 = sqlx::query_scalar(
        "SELECT (SELECT count(*) FROM member_questions) + (SELECT count(*) FROM member_likes)
              + (SELECT count(*) FROM member_profiles)",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(kept, 0, "nothing written");
}

#[sqlx::test]
async fn only_a_signed_in_member_answers_or_puts_off_their_own_questions(pool: PgPool) {
    support::store(&pool).await;
    let app = TestApp::new(pool.clone());
    for path in [AnswerQuestion::PATH, DismissQuestion::PATH] {
        let reply = app
            .post_form(path, &[("question", "types"), ("types[]", "gift")], None)
            .await;
        assert_eq!(reply.status, 401, "{path}");
    }
    let kept: i64 = sqlx::query_scalar("SELECT count(*) FROM member_questions")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(kept, 0);
}

#[sqlx::test]
async fn staff_see_how_many_members_answered_each_question(pool: PgPool) {
    let app = TestApp::new(pool.clone());
    let (_, first, _) = redeemed(&pool, &app).await;
    let (_, second) = support::member_with(&pool, 2, 10).await;
    app.post_form(
        AnswerQuestion::PATH,
        &[("question", "types"), ("types[]", "gift")],
        Some(&first),
    )
    .await;
    app.post_form(
        AnswerQuestion::PATH,
        &[
            ("question", "birthday"),
            ("birthday_day", "9"),
            ("birthday_month", "7"),
        ],
        Some(&first),
    )
    .await;
    app.post_form(
        DismissQuestion::PATH,
        &[("question", "types")],
        Some(&second),
    )
    .await;
    let staff = support::staff(&pool).await;
    let wants = app.wants(Some(&staff)).await;
    assert_eq!(wants.status, 200, "{}", wants.body);
    let rows: Vec<(String, i64, i64)> = wants.json()["questions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["question"].as_str().unwrap().to_owned(),
                r["answered"].as_i64().unwrap(),
                r["put_off"].as_i64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        rows,
        vec![
            ("Which kinds of rewards do you like most?".to_owned(), 1, 1),
            ("What are you into?".to_owned(), 0, 0),
            ("When is your birthday? We send a gift.".to_owned(), 1, 0),
        ]
    );
}
