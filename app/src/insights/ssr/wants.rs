//! "What members want" and the interest list, on the server.

use serde_json::json;
use sqlx::PgPool;

use crate::AppError;
use crate::domain::category::Category;
use crate::domain::error::server::violated_constraint;
use crate::domain::i18n::tr;
use crate::infra::audit::audit;
use crate::infra::caller::Staff;
use crate::insights::wants::{QuestionRow, WantRow, WantsView};

/// The longest interest name, in either language (the table's CHECK says the same).
const NAME_MAX: usize = 40;

pub async fn wants(pool: &PgPool) -> Result<WantsView, AppError> {
    let lang = tr().lang().code();
    let answered = sqlx::query_scalar!(
        r#"SELECT count(*) AS "n!" FROM (
               SELECT account_id FROM member_likes
               UNION SELECT account_id FROM member_profiles) answered"#
    )
    .fetch_one(pool)
    .await?;
    // On offer: not archived; in drops: in a drop live now or opening within 30 days.
    let types = sqlx::query!(
        r#"SELECT c.slug AS "slug!",
                  (SELECT count(*) FROM member_likes l WHERE l.category = c.slug) AS "members!",
                  (SELECT count(*) FROM rewards r WHERE r.category = c.slug AND r.archived_at IS NULL) AS "catalogue!",
                  (SELECT count(DISTINCT r.id) FROM rewards r
                   JOIN drop_items di ON di.reward_id = r.id JOIN drops d ON d.id = di.drop_id
                   WHERE r.category = c.slug AND d.cancelled_at IS NULL AND d.ends_at > now()
                     AND d.starts_at < now() + interval '30 days') AS "in_drops!"
           FROM unnest($1::text[]) WITH ORDINALITY AS c(slug, n)
           ORDER BY c.n"#,
        &Category::ALL.map(|c| c.slug().to_owned())
    )
    .fetch_all(pool)
    .await?
    .into_iter()
    .filter_map(|r| {
        let category = r.slug.parse::<Category>().ok()?;
        Some(WantRow {
            id: None,
            name: category.label().to_owned(),
            tag: r.slug,
            members: r.members,
            catalogue: r.catalogue,
            in_drops: r.in_drops,
            retired: false,
        })
    })
    .collect();
    let interests = sqlx::query!(
        r#"SELECT i.id, i.tag, CASE WHEN $1 = 'es' THEN COALESCE(i.name_es, i.name) ELSE i.name END AS "name!",
                  i.retired_at IS NOT NULL AS "retired!",
                  (SELECT count(*) FROM member_likes l WHERE l.interest_id = i.id) AS "members!",
                  (SELECT count(*) FROM rewards r WHERE i.tag = ANY (r.tags) AND r.archived_at IS NULL) AS "catalogue!",
                  (SELECT count(DISTINCT r.id) FROM rewards r
                   JOIN drop_items di ON di.reward_id = r.id JOIN drops d ON d.id = di.drop_id
                   WHERE i.tag = ANY (r.tags) AND d.cancelled_at IS NULL AND d.ends_at > now()
                     AND d.starts_at < now() + interval '30 days') AS "in_drops!"
           FROM interests i
           ORDER BY i.retired_at IS NOT NULL, i.position, i.id"#,
        lang
    )
    .fetch_all(pool)
    .await?
    .into_iter()
    .map(|r| WantRow {
        id: Some(r.id),
        name: r.name,
        tag: r.tag,
        members: r.members,
        catalogue: r.catalogue,
        in_drops: r.in_drops,
        retired: r.retired,
    })
    .collect();
    let questions = crate::account::ssr::questions::counts(&mut *pool.acquire().await?)
        .await?
        .into_iter()
        .map(|(question, answered, put_off)| QuestionRow {
            question: question.text().to_owned(),
            answered,
            put_off,
        })
        .collect();
    Ok(WantsView {
        answered,
        types,
        interests,
        questions,
    })
}

/// A tag as rewards carry it: lower-case letters, digits and hyphens, up to 30.
fn parse_tag(raw: &str) -> Result<String, AppError> {
    let tag = raw.trim().to_lowercase();
    let shaped = !tag.is_empty()
        && tag.len() <= 30
        && tag.starts_with(|c: char| c.is_ascii_alphanumeric())
        && tag
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
    if shaped {
        Ok(tag)
    } else {
        Err(AppError::invalid("tag", tr().t("insights.wants.bad_tag")))
    }
}

fn parse_name(field: &str, raw: &str, required: bool) -> Result<Option<String>, AppError> {
    let name = raw.trim();
    if name.is_empty() && !required {
        return Ok(None);
    }
    if name.is_empty() || name.chars().count() > NAME_MAX {
        return Err(AppError::invalid(
            field,
            tr().f("insights.wants.bad_name", &[("max", &NAME_MAX.to_string())]),
        ));
    }
    Ok(Some(name.to_owned()))
}

pub async fn add_interest(
    caller: &Staff,
    tag: &str,
    name: &str,
    name_es: &str,
) -> Result<(), AppError> {
    let tag = parse_tag(tag)?;
    let name = parse_name("name", name, true)?.unwrap_or_default();
    let name_es = parse_name("name_es", name_es, false)?;
    let mut tx = caller.pool().begin().await?;
    let id = sqlx::query_scalar!(
        "INSERT INTO interests (tag, name, name_es, position)
         VALUES ($1, $2, $3, (SELECT COALESCE(max(position), 0) + 1 FROM interests))
         RETURNING id",
        tag,
        name,
        name_es
    )
    .fetch_one(&mut *tx)
    .await
    .map_err(|e| match violated_constraint(&e) {
        Some("interests_tag_unique") => {
            AppError::invalid("tag", tr().f("insights.wants.tag_taken", &[("tag", &tag)]))
        }
        _ => e.into(),
    })?;
    audit(
        &mut tx,
        caller.account().id,
        "interest.add",
        &format!("interest:{id}"),
        None,
        Some(json!({ "tag": tag, "name": name, "name_es": name_es })),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

pub async fn offer_interest(caller: &Staff, id: i64, offered: bool) -> Result<(), AppError> {
    let mut tx = caller.pool().begin().await?;
    let changed = sqlx::query_scalar!(
        "UPDATE interests SET retired_at = CASE WHEN $2 THEN NULL ELSE COALESCE(retired_at, now()) END
         WHERE id = $1 RETURNING tag",
        id,
        offered
    )
    .fetch_optional(&mut *tx)
    .await?
    .ok_or_else(|| AppError::not_found(tr().t("insights.wants.that_interest")))?;
    audit(
        &mut tx,
        caller.account().id,
        if offered {
            "interest.offer"
        } else {
            "interest.retire"
        },
        &format!("interest:{id}"),
        None,
        Some(json!({ "tag": changed, "offered": offered })),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::parse_tag;

    #[test]
    fn a_tag_is_what_rewards_carry() {
        assert_eq!(parse_tag(" Travel ").unwrap(), "travel");
        assert_eq!(parse_tag("home-spa").unwrap(), "home-spa");
        for bad in ["", "-spa", "spa & wellness", "ñandú", &"x".repeat(31)] {
            assert_eq!(
                parse_tag(bad).unwrap_err().to_string(),
                "A tag is lower-case letters, digits and hyphens (up to 30), as on rewards: skincare, home-spa.",
                "{bad:?}"
            );
        }
    }
}
