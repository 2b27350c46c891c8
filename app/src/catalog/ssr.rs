use serde_json::json;

use super::{RewardDraft, StaffReward};
use crate::AppError;
use crate::domain::account::Tier;
use crate::domain::error::server::violated_constraint;
use crate::domain::points::Points;
use crate::infra::audit::audit;
use crate::infra::caller::Staff;

fn snapshot(r: &StaffReward) -> serde_json::Value {
    json!({
        "title": r.title, "description": r.description, "category": r.category.slug(),
        "title_es": r.title_es, "description_es": r.description_es,
        "points_cost": r.points_cost.get(), "tags": r.tags, "min_tier": r.min_tier, "archived": r.archived,
        "has_photo": r.has_photo,
    })
}

/// One row of `rewards` as staff see it.
struct RewardRow {
    id: i64,
    title: String,
    description: String,
    title_es: Option<String>,
    description_es: Option<String>,
    category: String,
    points_cost: Points,
    tags: Vec<String>,
    min_tier: Option<String>,
    archived: bool,
    photo_uploaded: Option<chrono::DateTime<chrono::Utc>>,
}

impl TryFrom<RewardRow> for StaffReward {
    type Error = AppError;

    fn try_from(r: RewardRow) -> Result<Self, AppError> {
        Ok(StaffReward {
            id: r.id,
            title: r.title,
            description: r.description,
            title_es: r.title_es,
            description_es: r.description_es,
            category: r
                .category
                .parse()
                .map_err(|e| AppError::internal("reward", e))?,
            points_cost: r.points_cost,
            tags: r.tags,
            min_tier: r
                .min_tier
                .map(|t| {
                    Tier::parse(&t).ok_or_else(|| AppError::internal("reward", "unknown tier"))
                })
                .transpose()?,
            archived: r.archived,
            image_url: crate::domain::category::image_url(r.id, r.photo_uploaded),
            has_photo: r.photo_uploaded.is_some(),
        })
    }
}

pub async fn reward(db: impl sqlx::PgExecutor<'_>, id: i64) -> Result<StaffReward, AppError> {
    sqlx::query_as!(
        RewardRow,
        r#"SELECT id, title, description, title_es, description_es, category, points_cost AS "points_cost: Points", tags, min_tier, archived_at IS NOT NULL AS "archived!",
                  (SELECT i.updated_at FROM reward_images i WHERE i.reward_id = rewards.id) AS "photo_uploaded?"
           FROM rewards WHERE id = $1"#,
        id
    )
    .fetch_optional(db)
    .await?
    .ok_or_else(|| AppError::not_found(crate::domain::i18n::tr().t("catalog.the_reward")))?
    .try_into()
}

pub async fn rewards(caller: &Staff, search: Option<&str>) -> Result<Vec<StaffReward>, AppError> {
    let pattern = search
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|s| format!("%{}%", s.replace('%', "\\%")));
    sqlx::query_as!(
        RewardRow,
        r#"SELECT id, title, description, title_es, description_es, category, points_cost AS "points_cost: Points", tags, min_tier, archived_at IS NOT NULL AS "archived!",
                  (SELECT i.updated_at FROM reward_images i WHERE i.reward_id = rewards.id) AS "photo_uploaded?"
           FROM rewards
           WHERE $1::text IS NULL OR title ILIKE $1 OR EXISTS (SELECT 1 FROM unnest(tags) t WHERE t ILIKE $1)
           ORDER BY archived_at IS NOT NULL, title LIMIT 200"#,
        pattern
    )
    .fetch_all(caller.pool())
    .await?
    .into_iter()
    .map(StaffReward::try_from)
    .collect()
}

pub async fn save(
    caller: &Staff,
    id: Option<i64>,
    draft: RewardDraft,
) -> Result<StaffReward, AppError> {
    let actor = caller.account().id;
    let mut tx = caller.pool().begin().await?;
    let before = match id {
        Some(id) => Some(reward(&mut *tx, id).await?),
        None => None,
    };
    let tier_error = |e: sqlx::Error| match violated_constraint(&e) {
        Some("rewards_min_tier_fkey") => AppError::invalid(
            "min_tier",
            crate::domain::i18n::tr().t("catalog.invalid.tier"),
        ),
        _ => e.into(),
    };
    // One statement for both: a new reward when there is no id, else the edit.
    let saved_id = sqlx::query_scalar!(
        r#"WITH edited AS (
               UPDATE rewards SET title = $2, description = $3, category = $4, points_cost = $5,
                                  tags = $6, min_tier = $7, title_es = $8, description_es = $9
               WHERE id = $1 RETURNING id
           ), created AS (
               INSERT INTO rewards (title, description, category, points_cost, tags, min_tier,
                                    title_es, description_es)
               SELECT $2, $3, $4, $5, $6, $7, $8, $9 WHERE $1::bigint IS NULL RETURNING id
           )
           SELECT id AS "id!" FROM edited UNION ALL SELECT id FROM created"#,
        id,
        draft.title,
        draft.description,
        draft.category.slug(),
        draft.points_cost,
        &draft.tags,
        draft.min_tier.map(Tier::code),
        draft.title_es,
        draft.description_es
    )
    .fetch_one(&mut *tx)
    .await
    .map_err(tier_error)?;
    let after = reward(&mut *tx, saved_id).await?;
    let action = if before.is_some() {
        "reward.edit"
    } else {
        "reward.create"
    };
    audit(
        &mut tx,
        actor,
        action,
        &format!("reward:{saved_id}"),
        before.as_ref().map(snapshot),
        Some(snapshot(&after)),
    )
    .await?;
    tx.commit().await?;
    Ok(after)
}

pub async fn archive(caller: &Staff, id: i64) -> Result<StaffReward, AppError> {
    let actor = caller.account().id;
    let mut tx = caller.pool().begin().await?;
    let before = reward(&mut *tx, id).await?;
    if before.archived {
        return Ok(before);
    }
    sqlx::query!("UPDATE rewards SET archived_at = now() WHERE id = $1", id)
        .execute(&mut *tx)
        .await?;
    // Out of every drop that has not opened yet; drops that ran keep it, with its redemptions.
    sqlx::query!(
        r#"DELETE FROM drop_items di USING drops d
           WHERE di.drop_id = d.id AND di.reward_id = $1 AND d.starts_at > now()
             AND NOT EXISTS (SELECT 1 FROM redemptions x WHERE x.drop_item_id = di.id)"#,
        id
    )
    .execute(&mut *tx)
    .await?;
    let after = reward(&mut *tx, id).await?;
    audit(
        &mut tx,
        actor,
        "reward.archive",
        &format!("reward:{id}"),
        Some(snapshot(&before)),
        Some(snapshot(&after)),
    )
    .await?;
    tx.commit().await?;
    Ok(after)
}

/// A picture for a reward, its type read from the bytes themselves: the name and the type the
/// browser claimed are not trusted, and nothing else (SVG with scripts, HTML) gets served back.
#[derive(Debug, PartialEq, Eq)]
pub struct Photo {
    content_type: &'static str,
    bytes: Vec<u8>,
}

impl Photo {
    pub fn parse(bytes: Vec<u8>) -> Result<Photo, super::PhotoProblem> {
        use super::PhotoProblem;
        if bytes.is_empty() {
            return Err(PhotoProblem::Missing);
        }
        if bytes.len() > super::PHOTO_MAX_BYTES {
            return Err(PhotoProblem::TooLarge);
        }
        let content_type = if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
            "image/png"
        } else if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
            "image/jpeg"
        } else if bytes.len() >= 12 && &bytes[..4] == b"RIFF" && &bytes[8..12] == b"WEBP" {
            "image/webp"
        } else {
            return Err(PhotoProblem::NotAnImage);
        };
        Ok(Photo {
            content_type,
            bytes,
        })
    }
}

/// Reads the `photo` field, stopping as soon as it is over the limit so a huge upload costs
/// no more than the limit in memory.
async fn photo_field(mut form: axum::extract::Multipart) -> Result<Vec<u8>, AppError> {
    let unreadable = |e: axum::extract::multipart::MultipartError| {
        AppError::bad_request(crate::domain::i18n::tr().f(
            "catalog.invalid.upload_unreadable",
            &[("detail", &e.body_text())],
        ))
    };
    while let Some(mut field) = form.next_field().await.map_err(unreadable)? {
        if field.name() != Some("photo") {
            continue;
        }
        let mut bytes = Vec::new();
        while let Some(chunk) = field.chunk().await.map_err(unreadable)? {
            bytes.extend_from_slice(&chunk);
            if bytes.len() > super::PHOTO_MAX_BYTES {
                break;
            }
        }
        return Ok(bytes);
    }
    Ok(Vec::new())
}

/// `POST /staff/rewards/{id}/photo` (multipart, field `photo`): stores the picture and sends
/// staff back to the reward's page, which says what happened. A plain form rather than a server
/// function, so the upload needs no WebAssembly and no base64 detour.
pub async fn upload_photo(
    axum::extract::State(state): axum::extract::State<crate::infra::state::AppState>,
    session: tower_sessions::Session,
    axum::extract::Path(id): axum::extract::Path<i64>,
    form: Result<axum::extract::Multipart, axum::extract::multipart::MultipartRejection>,
) -> axum::response::Response {
    use axum::response::{IntoResponse, Redirect};
    let caller = match crate::infra::caller::authorize_session::<Staff>(state, session).await {
        Ok(caller) => caller,
        Err(e) => return e.into_response(),
    };
    let form = match form {
        Ok(form) => form,
        Err(e) => {
            return AppError::bad_request(crate::domain::i18n::tr().f(
                "catalog.invalid.upload_not_multipart",
                &[("detail", &e.to_string())],
            ))
            .into_response();
        }
    };
    let stored = match photo_field(form).await.map(Photo::parse) {
        Ok(Ok(photo)) => store_photo(&caller, id, photo).await,
        Ok(Err(problem)) => {
            let back = format!("/staff/rewards/{id}?photo_error={}", problem.code());
            return Redirect::to(&back).into_response();
        }
        Err(e) => Err(e),
    };
    match stored {
        Ok(()) => Redirect::to(&format!(
            "/staff/rewards/{id}?photo=saved&at={}",
            crate::infra::fresh()
        ))
        .into_response(),
        Err(e) => e.into_response(),
    }
}

async fn store_photo(caller: &Staff, id: i64, photo: Photo) -> Result<(), AppError> {
    let actor = caller.account().id;
    let mut tx = caller.pool().begin().await?;
    let before = sqlx::query!(
        r#"SELECT content_type, octet_length(bytes) AS "size!" FROM reward_images WHERE reward_id = $1"#,
        id
    )
    .fetch_optional(&mut *tx)
    .await?
    .map(|r| json!({ "content_type": r.content_type, "bytes": r.size }));
    let size = photo.bytes.len();
    sqlx::query!(
        r#"INSERT INTO reward_images (reward_id, content_type, bytes) VALUES ($1, $2, $3)
           ON CONFLICT (reward_id) DO UPDATE SET content_type = EXCLUDED.content_type,
               bytes = EXCLUDED.bytes, updated_at = now()"#,
        id,
        photo.content_type,
        photo.bytes
    )
    .execute(&mut *tx)
    .await
    .map_err(|e| match violated_constraint(&e) {
        Some("reward_images_reward_id_fkey") => {
            AppError::not_found(crate::domain::i18n::tr().t("catalog.the_reward"))
        }
        _ => e.into(),
    })?;
    audit(
        &mut tx,
        actor,
        "reward.photo",
        &format!("reward:{id}"),
        before,
        Some(json!({ "content_type": photo.content_type, "bytes": size })),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::Photo;
    use crate::catalog::PhotoProblem;

    #[test]
    fn photos_are_recognised_by_their_bytes_not_their_names() {
        let png = b"\x89PNG\r\n\x1a\n0000".to_vec();
        assert_eq!(Photo::parse(png).unwrap().content_type, "image/png");
        let jpeg = vec![0xFF, 0xD8, 0xFF, 0xE0, 0, 0];
        assert_eq!(Photo::parse(jpeg).unwrap().content_type, "image/jpeg");
        let webp = b"RIFF\x10\0\0\0WEBPVP8 ".to_vec();
        assert_eq!(Photo::parse(webp).unwrap().content_type, "image/webp");
        let svg = b"<svg xmlns=\"http://www.w3.org/2000/svg\"><script/></svg>".to_vec();
        assert_eq!(Photo::parse(svg), Err(PhotoProblem::NotAnImage));
        assert_eq!(
            Photo::parse(b"GIF89a".to_vec()),
            Err(PhotoProblem::NotAnImage)
        );
        assert_eq!(Photo::parse(Vec::new()), Err(PhotoProblem::Missing));
        let mut big = b"\x89PNG\r\n\x1a\n".to_vec();
        big.resize(crate::catalog::PHOTO_MAX_BYTES + 1, 0);
        assert_eq!(Photo::parse(big), Err(PhotoProblem::TooLarge));
    }
}
