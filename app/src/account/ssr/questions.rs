//! Questions asked one at a time, on the server: which one is due for a member, their answer
//! (kept where "What you love" keeps it, `given_via = 'question'`), "Not now", and staff's
//! counts.

use sqlx::PgConnection;

use super::LikesForm;
use super::likes::{add_likes, likes, parse_interests, parse_types};
use crate::AppError;
use crate::account::questions::{Asked, Question};
use crate::domain::birthday::Birthday;
use crate::domain::i18n::tr;
use crate::infra::caller::Member;

/// A question put off with "Not now" is not asked again for this many days.
pub const PAUSE_AFTER_NOT_NOW_DAYS: i32 = 30;
/// A question answered is not asked again for this many days, even if the member clears the
/// answer on "What you love" (they chose to).
pub const PAUSE_AFTER_ANSWER_DAYS: i32 = 180;

/// The first question, in [`Question::ALL`]'s order, whose answer the member has not given
/// and that was not answered or put off lately; interests only when staff offer some.
pub async fn due(conn: &mut PgConnection, me: i64) -> Result<Option<Question>, AppError> {
    let order: Vec<String> = Question::ALL.iter().map(|q| q.code().to_owned()).collect();
    let due = sqlx::query_scalar!(
        r#"SELECT q.code AS "code!"
           FROM unnest($2::text[]) WITH ORDINALITY AS q (code, n)
           WHERE NOT EXISTS (
                   SELECT 1 FROM member_questions mq
                   WHERE mq.account_id = $1 AND mq.question = q.code
                     AND (mq.dismissed_at > now() - make_interval(days => $3)
                          OR mq.answered_at > now() - make_interval(days => $4)))
             AND CASE q.code
                   WHEN 'types' THEN NOT EXISTS (
                       SELECT 1 FROM member_likes l WHERE l.account_id = $1 AND l.category IS NOT NULL)
                   WHEN 'interests' THEN NOT EXISTS (
                           SELECT 1 FROM member_likes l WHERE l.account_id = $1 AND l.interest_id IS NOT NULL)
                       AND NOT EXISTS (
                           SELECT 1 FROM member_profiles p WHERE p.account_id = $1 AND p.no_interests_at IS NOT NULL)
                       AND EXISTS (SELECT 1 FROM interests WHERE retired_at IS NULL)
                   ELSE NOT EXISTS (
                       SELECT 1 FROM member_profiles p WHERE p.account_id = $1 AND p.birthday_month IS NOT NULL)
                 END
           ORDER BY q.n
           LIMIT 1"#,
        me,
        &order,
        PAUSE_AFTER_NOT_NOW_DAYS,
        PAUSE_AFTER_ANSWER_DAYS
    )
    .fetch_optional(&mut *conn)
    .await?;
    Ok(due.as_deref().and_then(Question::parse))
}

/// The question due for the signed-in member, with the choices its page offers.
pub async fn asked(caller: &Member) -> Result<Option<Asked>, AppError> {
    let me = caller.account().id;
    let mut conn = caller.pool().acquire().await?;
    let Some(question) = due(&mut conn, me).await? else {
        return Ok(None);
    };
    Ok(Some(Asked {
        question,
        likes: likes(&mut conn, me).await?,
    }))
}

fn question(code: &str) -> Result<Question, AppError> {
    Question::parse(code)
        .ok_or_else(|| AppError::invalid("question", tr().t("account.question.unknown")))
}

/// Saves the member's answer to one question and remembers it was answered, in one
/// transaction. An empty answer is refused (that is what "Not now" is for).
pub async fn answer(caller: &Member, code: &str, form: LikesForm) -> Result<(), AppError> {
    let tr = tr();
    let question = question(code)?;
    let me = caller.account().id;
    let mut tx = caller.pool().begin().await?;
    match question {
        Question::Types => {
            let types = parse_types(&form.types)?;
            if types.is_empty() {
                return Err(AppError::invalid(
                    "types",
                    tr.t("account.question.pick_one"),
                ));
            }
            add_likes(&mut tx, me, &types, &[], "question").await?;
        }
        Question::Interests => {
            let interests =
                parse_interests(&mut tx, me, &form.interests, form.no_interests).await?;
            if interests.is_empty() && !form.no_interests {
                return Err(AppError::invalid(
                    "interests",
                    tr.t("account.question.pick_one"),
                ));
            }
            add_likes(&mut tx, me, &[], &interests, "question").await?;
            if form.no_interests {
                sqlx::query!(
                    "INSERT INTO member_profiles (account_id, no_interests_at) VALUES ($1, now())
                     ON CONFLICT (account_id) DO UPDATE
                     SET no_interests_at = COALESCE(member_profiles.no_interests_at, now())",
                    me
                )
                .execute(&mut *tx)
                .await?;
            }
        }
        Question::Birthday => {
            let Some(birthday) = Birthday::parse(&form.birthday_month, &form.birthday_day)? else {
                return Err(AppError::invalid(
                    "birthday_day",
                    tr.t("account.question.day_and_month"),
                ));
            };
            sqlx::query!(
                "INSERT INTO member_profiles (account_id, birthday_month, birthday_day, birthday_given_at, birthday_via)
                 VALUES ($1, $2, $3, now(), 'question')
                 ON CONFLICT (account_id) DO UPDATE SET
                     birthday_month = EXCLUDED.birthday_month, birthday_day = EXCLUDED.birthday_day,
                     birthday_given_at = EXCLUDED.birthday_given_at, birthday_via = EXCLUDED.birthday_via",
                me,
                i16::from(birthday.month()),
                i16::from(birthday.day())
            )
            .execute(&mut *tx)
            .await?;
        }
    }
    sqlx::query!(
        "INSERT INTO member_questions (account_id, question, answered_at) VALUES ($1, $2, now())
         ON CONFLICT (account_id, question) DO UPDATE SET answered_at = now()",
        me,
        question.code()
    )
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(())
}

/// "Not now".
pub async fn dismiss(caller: &Member, code: &str) -> Result<(), AppError> {
    let question = question(code)?;
    sqlx::query!(
        "INSERT INTO member_questions (account_id, question, dismissed_at) VALUES ($1, $2, now())
         ON CONFLICT (account_id, question) DO UPDATE SET dismissed_at = now()",
        caller.account().id,
        question.code()
    )
    .execute(caller.pool())
    .await?;
    Ok(())
}

/// For staff: how many members answered each question, and how many put it off (now within
/// its pause), in [`Question::ALL`]'s order.
pub async fn counts(conn: &mut PgConnection) -> Result<Vec<(Question, i64, i64)>, AppError> {
    let rows = sqlx::query!(
        r#"SELECT question,
                  count(*) FILTER (WHERE answered_at IS NOT NULL) AS "answered!",
                  count(*) FILTER (WHERE dismissed_at > now() - make_interval(days => $1)) AS "put_off!"
           FROM member_questions GROUP BY question"#,
        PAUSE_AFTER_NOT_NOW_DAYS
    )
    .fetch_all(&mut *conn)
    .await?;
    Ok(Question::ALL
        .into_iter()
        .map(|q| {
            let row = rows.iter().find(|r| r.question == q.code());
            (
                q,
                row.map_or(0, |r| r.answered),
                row.map_or(0, |r| r.put_off),
            )
        })
        .collect())
}
