//! Recurring schedules: one rule creates the next weeks' drops at once.

use chrono::{DateTime, Utc};
use serde_json::json;

use crate::AppError;
use crate::domain::error::server::violated_constraint;
use crate::domain::i18n::{Locale, Tr, catalog_for, tr};
use crate::drops::SCHEDULE_AHEAD;
use crate::infra::audit::audit;
use crate::infra::caller::Staff;

use super::commands::*;
use super::rules::*;

pub async fn create_schedule(
    caller: &Staff,
    title: &str,
    days: &str,
    time: &str,
    zone: &str,
    hours: &str,
    now: DateTime<Utc>,
) -> Result<Vec<i64>, AppError> {
    let actor = caller.account().id;
    // Room for the " · Tue 24 Nov" each occurrence's title gets.
    let title = parse_title(title, crate::drops::SCHEDULE_TITLE_MAX)?;
    let rule = WeeklyRule::parse(days, time, zone)?;
    let duration = parse_hours(hours)?;
    let mut tx = caller.pool().begin().await?;
    let schedule_id = sqlx::query_scalar!(
        r#"INSERT INTO drop_schedules (title, weekdays, local_time, time_zone, duration, created_by)
           VALUES ($1, $2, $3, $4, make_interval(hours => $5::int), $6) RETURNING id"#,
        title,
        &rule.iso_days(),
        rule.time,
        rule.zone.name(),
        duration.num_hours() as i32,
        actor
    )
    .fetch_one(&mut *tx)
    .await?;
    let mut created = Vec::with_capacity(SCHEDULE_AHEAD);
    for starts_at in rule.next(now, SCHEDULE_AHEAD) {
        // The day in the language the title was typed in: "Tue 24 Nov", "mar 24 nov".
        let name = format!(
            "{title} \u{b7} {}",
            local_format(tr(), &starts_at.with_timezone(&rule.zone), "%a %-d %b")
        );
        let id = sqlx::query_scalar!(
            "INSERT INTO drops (title, starts_at, ends_at, schedule_id) VALUES ($1, $2, $3, $4) RETURNING id",
            name,
            starts_at,
            starts_at + duration,
            schedule_id
        )
        .fetch_one(&mut *tx)
        .await
        .map_err(|e| match violated_constraint(&e) {
            Some("drops_no_overlapping_duplicate") => duplicate_title(&name),
            _ => e.into(),
        })?;
        created.push(id);
    }
    // The audit log keeps one language, whoever made the schedule.
    let english = Tr::new(catalog_for(Locale::En), Locale::En);
    audit(
        &mut tx,
        actor,
        "schedule.create",
        &format!("schedule:{schedule_id}"),
        None,
        Some(json!({ "rule": rule.describe_in(english), "hours": duration.num_hours(), "drops": created })),
    )
    .await?;
    tx.commit().await?;
    Ok(created)
}
