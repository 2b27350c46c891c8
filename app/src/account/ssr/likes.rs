//! "What you love" on the server: read, saved and cleared for the signed-in member only (no
//! account id is ever taken from the request). Each answer keeps when and how it was given;
//! saving again keeps that for answers that did not change.

use sqlx::PgConnection;

use crate::AppError;
use crate::account::likes::{InterestChoice, Likes};
use crate::domain::birthday::Birthday;
use crate::domain::category::Category;
use crate::domain::i18n::{Locale, tr};
use crate::infra::caller::Member;

/// At most this many interests in one answer: the list staff keep is short; a longer post is
/// not a person's.
const MAX_INTERESTS: usize = 50;

/// The form's fields as posted.
pub struct LikesForm {
    pub types: Vec<String>,
    pub interests: Vec<String>,
    pub no_interests: bool,
    pub birthday_month: String,
    pub birthday_day: String,
}

impl LikesForm {
    /// The fields as a browser posts them: a box left unticked, or a choice left empty, is not
    /// sent at all.
    pub fn posted(
        types: Option<Vec<String>>,
        interests: Option<Vec<String>>,
        no_interests: Option<String>,
        birthday_month: Option<String>,
        birthday_day: Option<String>,
    ) -> Self {
        LikesForm {
            types: types.unwrap_or_default(),
            interests: interests.unwrap_or_default(),
            no_interests: no_interests.is_some(),
            birthday_month: birthday_month.unwrap_or_default(),
            birthday_day: birthday_day.unwrap_or_default(),
        }
    }
}

/// What the member told us, with the interests on offer (and any retired one they chose).
pub async fn likes(conn: &mut PgConnection, account_id: i64) -> Result<Likes, AppError> {
    let tr = tr();
    let types = sqlx::query_scalar!(
        r#"SELECT category AS "category!" FROM member_likes
           WHERE account_id = $1 AND category IS NOT NULL"#,
        account_id
    )
    .fetch_all(&mut *conn)
    .await?
    .iter()
    .filter_map(|c| c.parse::<Category>().ok())
    .collect();
    let interests = sqlx::query!(
        r#"SELECT i.id, CASE WHEN $2 = 'es' THEN COALESCE(i.name_es, i.name) ELSE i.name END AS "name!",
                  l.account_id IS NOT NULL AS "chosen!"
           FROM interests i
           LEFT JOIN member_likes l ON l.interest_id = i.id AND l.account_id = $1
           WHERE i.retired_at IS NULL OR l.account_id IS NOT NULL
           ORDER BY i.position, i.id"#,
        account_id,
        tr.lang().code()
    )
    .fetch_all(&mut *conn)
    .await?
    .into_iter()
    .map(|i| InterestChoice {
        id: i.id,
        name: i.name,
        chosen: i.chosen,
    })
    .collect();
    let profile = sqlx::query!(
        r#"SELECT birthday_month, birthday_day, no_interests_at IS NOT NULL AS "no_interests!"
           FROM member_profiles WHERE account_id = $1"#,
        account_id
    )
    .fetch_optional(&mut *conn)
    .await?;
    Ok(Likes {
        types,
        interests,
        no_interests: profile.as_ref().is_some_and(|p| p.no_interests),
        birthday_month: profile
            .as_ref()
            .and_then(|p| p.birthday_month)
            .and_then(|m| u8::try_from(m).ok()),
        birthday_day: profile
            .as_ref()
            .and_then(|p| p.birthday_day)
            .and_then(|d| u8::try_from(d).ok()),
        month_names: month_names(tr.locale()),
    })
}

/// "January" … "December", "enero" … "diciembre".
pub fn month_names(locale: Locale) -> Vec<String> {
    (1..=12)
        .map(|m| {
            let first = chrono::NaiveDate::from_ymd_opt(2000, m, 1).expect("a real month");
            match locale {
                Locale::En => first.format("%B").to_string(),
                Locale::EsMx => first
                    .format_localized("%B", chrono::Locale::es_MX)
                    .to_string(),
                Locale::EsEs => first
                    .format_localized("%B", chrono::Locale::es_ES)
                    .to_string(),
            }
        })
        .collect()
}

/// The reward types ticked (`types[]`), each once, as stored.
pub(super) fn parse_types(raw: &[String]) -> Result<Vec<String>, AppError> {
    let mut types: Vec<String> = Vec::new();
    for raw in raw {
        let category = raw
            .parse::<Category>()
            .map_err(|e| AppError::invalid("types", e.to_string()))?;
        if !types.iter().any(|t| t == category.slug()) {
            types.push(category.slug().to_owned());
        }
    }
    Ok(types)
}

/// The interests ticked (`interests[]`), each once: interests on offer, or retired ones the
/// member already had. Anything else is a page older than the list (staff retired it since) or
/// not from the page at all. Ticking some and "None of these" together is refused.
pub(super) async fn parse_interests(
    conn: &mut PgConnection,
    me: i64,
    raw: &[String],
    no_interests: bool,
) -> Result<Vec<i64>, AppError> {
    let tr = tr();
    let gone = || AppError::invalid("interests", tr.t("account.likes.interest_gone"));
    if raw.len() > MAX_INTERESTS {
        return Err(gone());
    }
    let mut interests: Vec<i64> = raw
        .iter()
        .map(|raw| raw.trim().parse::<i64>())
        .collect::<Result<_, _>>()
        .map_err(|_| gone())?;
    if no_interests && !interests.is_empty() {
        return Err(AppError::invalid(
            "interests",
            tr.t("account.likes.none_and_some"),
        ));
    }
    interests.sort_unstable();
    interests.dedup();
    let known = sqlx::query_scalar!(
        r#"SELECT count(*) AS "n!" FROM interests i
           WHERE i.id = ANY($2)
             AND (i.retired_at IS NULL
                  OR EXISTS (SELECT 1 FROM member_likes l WHERE l.account_id = $1 AND l.interest_id = i.id))"#,
        me,
        &interests
    )
    .fetch_one(&mut *conn)
    .await?;
    if known != interests.len() as i64 {
        return Err(gone());
    }
    Ok(interests)
}

/// Adds likes (types and interests) the member does not have yet, saying how they told us
/// (`preferences` or `question`); likes they had keep when and how they were given.
pub(super) async fn add_likes(
    conn: &mut PgConnection,
    me: i64,
    types: &[String],
    interests: &[i64],
    via: &str,
) -> Result<(), AppError> {
    sqlx::query!(
        "INSERT INTO member_likes (account_id, category, given_via)
         SELECT $1, c, $3 FROM unnest($2::text[]) AS c
         ON CONFLICT (account_id, category) DO NOTHING",
        me,
        types,
        via
    )
    .execute(&mut *conn)
    .await?;
    sqlx::query!(
        "INSERT INTO member_likes (account_id, interest_id, given_via)
         SELECT $1, i, $3 FROM unnest($2::bigint[]) AS i
         ON CONFLICT (account_id, interest_id) DO NOTHING",
        me,
        interests,
        via
    )
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Saves the answers in one transaction; a refused answer saves nothing.
pub async fn save_likes(caller: &Member, form: LikesForm) -> Result<(), AppError> {
    let types = parse_types(&form.types)?;
    let birthday = Birthday::parse(&form.birthday_month, &form.birthday_day)?;
    let me = caller.account().id;
    let mut tx = caller.pool().begin().await?;
    let interests = parse_interests(&mut tx, me, &form.interests, form.no_interests).await?;
    sqlx::query!(
        "DELETE FROM member_likes
         WHERE account_id = $1
           AND ((category IS NOT NULL AND category <> ALL($2)) OR (interest_id IS NOT NULL AND interest_id <> ALL($3)))",
        me,
        &types,
        &interests
    )
    .execute(&mut *tx)
    .await?;
    add_likes(&mut tx, me, &types, &interests, "preferences").await?;
    let (month, day) = match birthday {
        Some(b) => (Some(i16::from(b.month())), Some(i16::from(b.day()))),
        None => (None, None),
    };
    sqlx::query!(
        "INSERT INTO member_profiles AS p
             (account_id, birthday_month, birthday_day, birthday_given_at, birthday_via, no_interests_at)
         VALUES ($1, $2, $3,
                 CASE WHEN $2::smallint IS NOT NULL THEN now() END,
                 CASE WHEN $2::smallint IS NOT NULL THEN 'preferences' END,
                 CASE WHEN $4 THEN now() END)
         ON CONFLICT (account_id) DO UPDATE SET
             birthday_month = EXCLUDED.birthday_month,
             birthday_day = EXCLUDED.birthday_day,
             birthday_given_at = CASE
                 WHEN (p.birthday_month, p.birthday_day) IS NOT DISTINCT FROM (EXCLUDED.birthday_month, EXCLUDED.birthday_day)
                 THEN p.birthday_given_at ELSE EXCLUDED.birthday_given_at END,
             birthday_via = CASE
                 WHEN (p.birthday_month, p.birthday_day) IS NOT DISTINCT FROM (EXCLUDED.birthday_month, EXCLUDED.birthday_day)
                 THEN p.birthday_via ELSE EXCLUDED.birthday_via END,
             no_interests_at = CASE WHEN $4 THEN COALESCE(p.no_interests_at, now()) END",
        me,
        month,
        day,
        form.no_interests
    )
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Forgets every answer: the member's likes and profile rows are deleted, not blanked.
pub async fn clear_likes(caller: &Member) -> Result<(), AppError> {
    let me = caller.account().id;
    let mut tx = caller.pool().begin().await?;
    sqlx::query!("DELETE FROM member_likes WHERE account_id = $1", me)
        .execute(&mut *tx)
        .await?;
    sqlx::query!("DELETE FROM member_profiles WHERE account_id = $1", me)
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(())
}
