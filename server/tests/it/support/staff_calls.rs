//! What staff and admins do in the console: the catalog, drops and schedules, member care,
//! the post-drop report, the team and API keys. One method per server function, plus the
//! console's own shortcuts (`new_drop`, `add_item`) and the photo upload form.

use axum::body::Body;
use axum::http::Request;

use super::client::TestApp;
use super::endpoints::{AddInterest, DeleteMember, GetWants, OfferInterest};
use super::endpoints::{AddPool, GetRotation, RotationAlerts, SetFill, SetScheduleState, SkipDate};
use super::endpoints::{
    AdjustPoints, ArchiveReward, AuditEntries, CancelDrop, CancelForMember, CreateApiKey,
    CreateSchedule, GetDropCalendar, GetDropReport, GetImports, GetInsights, GetMemberCare,
    GetModelCheck, GetMovement, GetStaffDrop, GetUpload, ListApiKeys, ListStaffRewards, ListTeam,
    PreviewSchedule, RecomputeScores, RemoveDropItem, RevokeApiKey, SaveDrop, SaveDropItem,
    SaveReward, SearchMembers, SetRole, StartImport, UndoImport,
};
use super::endpoints::{
    CancelDraw, CheckDraw, CreateDraw, DrawCount, EnterDraw, GetDraw, GetStaffDraws, RemindDraw,
    WithdrawDraw,
};
use super::endpoints::{CountAudience, DeleteAudience, GetAudiences, SaveAudience};
use super::endpoints::{
    CreateCampaign, GetCampaign, GetCampaigns, GetNextActions, SaveActionTerms, SaveStoreTerms,
    next_actions_csv_path,
};
use super::http::{ORIGIN, Reply};

impl TestApp {
    /// The catalog, searched.
    pub async fn staff_rewards(&self, cookie: &str, search: &str) -> Reply {
        self.call::<ListStaffRewards>(&[("search", search)], Some(cookie))
            .await
    }

    /// The reward form (with `id` to edit, without to create).
    pub async fn save_reward(&self, cookie: &str, form: &[(&str, &str)]) -> Reply {
        self.submit::<SaveReward>(form, Some(cookie)).await
    }

    pub async fn archive_reward(&self, cookie: &str, id: &str) -> Reply {
        self.submit::<ArchiveReward>(&[("id", id)], Some(cookie))
            .await
    }

    /// The audit log, filtered by action prefix or actor if given.
    pub async fn audit(&self, cookie: &str, action: Option<&str>, actor: Option<&str>) -> Reply {
        let mut query = Vec::new();
        if let Some(action) = action {
            query.push(("action", action));
        }
        if let Some(actor) = actor {
            query.push(("actor", actor));
        }
        self.call::<AuditEntries>(&query, Some(cookie)).await
    }

    /// Uploads `bytes` as the reward's photo the way the edit page's form does; returns the
    /// status and where the browser is sent.
    pub async fn upload_photo(
        &self,
        reward: i64,
        bytes: &[u8],
        cookie: Option<&str>,
    ) -> (u16, String) {
        let mut body = b"--XBOUNDARY\r\nContent-Disposition: form-data; name=\"photo\"; filename=\"pic.png\"\r\nContent-Type: image/png\r\n\r\n".to_vec();
        body.extend_from_slice(bytes);
        body.extend_from_slice(b"\r\n--XBOUNDARY--\r\n");
        let mut request = Request::post(format!("/staff/rewards/{reward}/photo"))
            .header("host", "bazaar.test")
            .header("origin", ORIGIN)
            .header("content-type", "multipart/form-data; boundary=XBOUNDARY");
        if let Some(cookie) = cookie {
            request = request.header("cookie", cookie);
        }
        let response = self.response(request.body(Body::from(body)).unwrap()).await;
        let location = response
            .headers()
            .get("location")
            .map(|l| l.to_str().unwrap().to_owned())
            .unwrap_or_default();
        (response.status().as_u16(), location)
    }

    /// Uploads `bytes` as a CSV file of purchases the way the imports page's form does; returns
    /// the status and where the browser is sent.
    pub async fn upload_csv(&self, bytes: &[u8], cookie: Option<&str>) -> (u16, String) {
        let mut body = b"--XBOUNDARY\r\nContent-Disposition: form-data; name=\"file\"; filename=\"history.csv\"\r\nContent-Type: text/csv\r\n\r\n".to_vec();
        body.extend_from_slice(bytes);
        body.extend_from_slice(b"\r\n--XBOUNDARY--\r\n");
        let mut request = Request::post(app::imports::UPLOAD_PATH)
            .header("host", "bazaar.test")
            .header("origin", ORIGIN)
            .header("content-type", "multipart/form-data; boundary=XBOUNDARY");
        if let Some(cookie) = cookie {
            request = request.header("cookie", cookie);
        }
        let response = self.response(request.body(Body::from(body)).unwrap()).await;
        let location = response
            .headers()
            .get("location")
            .map(|l| l.to_str().unwrap().to_owned())
            .unwrap_or_default();
        (response.status().as_u16(), location)
    }

    /// An uploaded file's page: preview, mapping, progress or summary.
    pub async fn upload_view(&self, cookie: &str, id: i64) -> Reply {
        self.call::<GetUpload>(&[("id", &id.to_string())], Some(cookie))
            .await
    }

    /// "Import the purchases" with the columns chosen (field, column index).
    pub async fn start_import(&self, cookie: &str, id: i64, mapping: &[(&str, &str)]) -> Reply {
        let id = id.to_string();
        let mut form = vec![("id", id.as_str())];
        for field in [
            "member_email",
            "member_id",
            "external_id",
            "amount",
            "purchased_at",
            "currency",
        ] {
            let column = mapping
                .iter()
                .find(|(f, _)| *f == field)
                .map_or("", |(_, c)| *c);
            form.push((field, column));
        }
        self.submit::<StartImport>(&form, Some(cookie)).await
    }

    /// "Undo this import", for an upload (`Some`) or one batch.
    pub async fn undo_import(
        &self,
        cookie: &str,
        upload: Option<i64>,
        batch: Option<i64>,
    ) -> Reply {
        let (upload, batch) = (upload.map(|u| u.to_string()), batch.map(|b| b.to_string()));
        let mut form = Vec::new();
        if let Some(upload) = &upload {
            form.push(("upload", upload.as_str()));
        }
        if let Some(batch) = &batch {
            form.push(("batch", batch.as_str()));
        }
        self.submit::<UndoImport>(&form, Some(cookie)).await
    }

    /// The recent imports.
    pub async fn imports(&self, cookie: Option<&str>) -> Reply {
        self.call::<GetImports>(&[], cookie).await
    }

    /// The drop calendar: `view` ("week", "month") around `date`.
    pub async fn drop_calendar(&self, cookie: &str, view: &str, date: &str) -> Reply {
        self.call::<GetDropCalendar>(&[("view", view), ("date", date)], Some(cookie))
            .await
    }

    /// One drop as staff see it: its times, state and items.
    pub async fn staff_drop(&self, cookie: &str, id: &str) -> Reply {
        self.call::<GetStaffDrop>(&[("id", id)], Some(cookie)).await
    }

    /// The drop form (with `id` to edit, without to create).
    pub async fn save_drop(
        &self,
        cookie: &str,
        id: Option<&str>,
        title: &str,
        starts: &str,
        ends: &str,
    ) -> Reply {
        let mut form = vec![("title", title), ("starts_at", starts), ("ends_at", ends)];
        if let Some(id) = id {
            form.push(("id", id));
        }
        self.submit::<SaveDrop>(&form, Some(cookie)).await
    }

    /// The drop form, every field as given (its Spanish title, say).
    pub async fn save_drop_form(&self, cookie: &str, form: &[(&str, &str)]) -> Reply {
        self.submit::<SaveDrop>(form, Some(cookie)).await
    }

    /// A new drop, saved through the form; its id.
    pub async fn new_drop(&self, cookie: &str, title: &str, starts: &str, ends: &str) -> String {
        let created = self.save_drop(cookie, None, title, starts, ends).await;
        assert!(created.status.is_success(), "{}", created.body);
        created.text().trim().to_owned()
    }

    /// The form putting a reward in a drop, as sent.
    pub async fn save_drop_item(&self, cookie: &str, form: &[(&str, &str)]) -> Reply {
        self.submit::<SaveDropItem>(form, Some(cookie)).await
    }

    /// Puts `quantity` of a reward in a drop: two per member, Gold members 30 minutes early.
    pub async fn add_item(&self, cookie: &str, drop: &str, reward: &str, quantity: &str) -> Reply {
        let form = [
            ("drop_id", drop),
            ("reward_id", reward),
            ("quantity", quantity),
            ("per_member_limit", "2"),
            ("early_access_tier", "gold"),
            ("early_access_minutes", "30"),
        ];
        self.save_drop_item(cookie, &form).await
    }

    pub async fn remove_drop_item(&self, cookie: &str, drop: &str, item: &str) -> Reply {
        let form = [("drop_id", drop), ("item_id", item)];
        self.submit::<RemoveDropItem>(&form, Some(cookie)).await
    }

    pub async fn cancel_drop(&self, cookie: &str, id: &str) -> Reply {
        self.submit::<CancelDrop>(&[("id", id)], Some(cookie)).await
    }

    /// The next occurrences of a weekly rule, before it is saved.
    pub async fn preview_schedule(
        &self,
        cookie: &str,
        days: &str,
        time: &str,
        zone: &str,
    ) -> Reply {
        let query = [("days", days), ("time", time), ("zone", zone)];
        self.call::<PreviewSchedule>(&query, Some(cookie)).await
    }

    /// A weekly schedule: drops on `days` at `time` in `zone`, each lasting `hours`.
    pub async fn create_schedule(
        &self,
        cookie: &str,
        title: &str,
        days: &str,
        time: &str,
        zone: &str,
        hours: &str,
    ) -> Reply {
        let form = [
            ("title", title),
            ("days", days),
            ("time", time),
            ("zone", zone),
            ("hours", hours),
        ];
        self.submit::<CreateSchedule>(&form, Some(cookie)).await
    }

    /// The post-drop report.
    pub async fn drop_report(&self, cookie: &str, drop: i64) -> Reply {
        let id = drop.to_string();
        self.call::<GetDropReport>(&[("id", &id)], Some(cookie))
            .await
    }

    /// Members found by name or email.
    pub async fn search_members(&self, cookie: &str, q: &str) -> Reply {
        self.call::<SearchMembers>(&[("q", q)], Some(cookie)).await
    }

    /// The insights page's figures: segments, the models' fit, valued members.
    pub async fn insights(&self, cookie: Option<&str>) -> Reply {
        self.call::<GetInsights>(&[], cookie).await
    }

    /// The model check between two dates.
    pub async fn model_check(&self, cookie: &str, cutoff: &str, end: &str) -> Reply {
        self.call::<GetModelCheck>(&[("cutoff", cutoff), ("end", end)], Some(cookie))
            .await
    }

    /// Members moving between segments (by default over the last 90 days), and cohorts.
    pub async fn movement(&self, cookie: &str, period: Option<(&str, &str)>) -> Reply {
        let query = period.map_or_else(Vec::new, |(from, to)| vec![("from", from), ("to", to)]);
        self.call::<GetMovement>(&query, Some(cookie)).await
    }

    /// "Compute scores now".
    /// Member care's "Delete their account" (`member_id`, `open_redemptions`, `confirm`).
    pub async fn delete_member(&self, cookie: &str, form: &[(&str, &str)]) -> Reply {
        self.submit::<DeleteMember>(form, Some(cookie)).await
    }

    /// "What members want" on the Insights page.
    pub async fn wants(&self, cookie: Option<&str>) -> Reply {
        self.call::<GetWants>(&[], cookie).await
    }

    /// The Insights page's "Add an interest" form (`tag`, `name`, `name_es`).
    pub async fn add_interest(&self, cookie: Option<&str>, form: &[(&str, &str)]) -> Reply {
        self.submit::<AddInterest>(form, cookie).await
    }

    /// "Stop offering" (`offered = false`) or "Offer again" an interest.
    pub async fn offer_interest(&self, cookie: &str, id: i64, offered: bool) -> Reply {
        let (id, offered) = (id.to_string(), offered.to_string());
        self.submit::<OfferInterest>(&[("id", &id), ("offered", &offered)], Some(cookie))
            .await
    }

    /// The Audiences page's list, with each audience's size now.
    pub async fn audiences(&self, cookie: Option<&str>) -> Reply {
        self.call::<GetAudiences>(&[], cookie).await
    }

    /// The audience form's live count of the rules being edited (`tiers[]`, `p_alive_max`, …).
    pub async fn count_audience(&self, cookie: Option<&str>, rules: &[(&str, &str)]) -> Reply {
        self.call::<CountAudience>(rules, cookie).await
    }

    /// The audience form's "Save" (`id` empty for a new one, `name`, the rules).
    pub async fn save_audience(&self, cookie: Option<&str>, form: &[(&str, &str)]) -> Reply {
        self.submit::<SaveAudience>(form, cookie).await
    }

    pub async fn delete_audience(&self, cookie: &str, id: i64) -> Reply {
        self.submit::<DeleteAudience>(&[("id", &id.to_string())], Some(cookie))
            .await
    }

    /// The rotation page: every schedule with its template.
    pub async fn rotation(&self, cookie: &str) -> Reply {
        self.call::<GetRotation>(&[], Some(cookie)).await
    }

    /// The staff home page's warnings about pools that ran dry.
    pub async fn rotation_alerts(&self, cookie: &str) -> Reply {
        self.call::<RotationAlerts>(&[], Some(cookie)).await
    }

    /// "Add a pool" (`schedule`, `source`, `picks`, `quantity`, `points_cost`,
    /// `per_member_limit`, optionally `early_tier` and `early_minutes`).
    pub async fn add_pool(&self, cookie: &str, form: &[(&str, &str)]) -> Reply {
        self.submit::<AddPool>(form, Some(cookie)).await
    }

    pub async fn set_fill(
        &self,
        cookie: &str,
        schedule: i64,
        hours: &str,
        no_repeat: &str,
    ) -> Reply {
        let schedule = schedule.to_string();
        let form = [
            ("schedule", schedule.as_str()),
            ("fill_hours", hours),
            ("no_repeat_drops", no_repeat),
        ];
        self.submit::<SetFill>(&form, Some(cookie)).await
    }

    pub async fn skip_date(&self, cookie: &str, schedule: i64, date: &str) -> Reply {
        let schedule = schedule.to_string();
        self.submit::<SkipDate>(
            &[("schedule", schedule.as_str()), ("date", date)],
            Some(cookie),
        )
        .await
    }

    /// Pause, resume or end a schedule.
    pub async fn set_schedule_state(&self, cookie: &str, schedule: i64, state: &str) -> Reply {
        let schedule = schedule.to_string();
        self.submit::<SetScheduleState>(
            &[("schedule", schedule.as_str()), ("state", state)],
            Some(cookie),
        )
        .await
    }

    /// A draw's page (the member's own entry when `cookie` is a member's).
    pub async fn draw(&self, cookie: Option<&str>, item: i64) -> Reply {
        self.call::<GetDraw>(&[("item", &item.to_string())], cookie)
            .await
    }

    /// "Check this draw".
    pub async fn check_draw(&self, item: i64) -> Reply {
        self.call::<CheckDraw>(&[("item", &item.to_string())], None)
            .await
    }

    /// A member's "Enter the draw" with the page's key.
    pub async fn enter_draw(&self, cookie: Option<&str>, item: i64, key: &str) -> Reply {
        self.submit::<EnterDraw>(
            &[("item", &item.to_string()), ("idempotency_key", key)],
            cookie,
        )
        .await
    }

    /// "Email me before entries close".
    pub async fn remind_draw(&self, cookie: &str, item: i64) -> Reply {
        self.submit::<RemindDraw>(&[("item", &item.to_string())], Some(cookie))
            .await
    }

    /// The entry count the open draw's page reads again every few seconds.
    pub async fn draw_count(&self, item: i64) -> Reply {
        self.call::<DrawCount>(&[("item", &item.to_string())], None)
            .await
    }

    pub async fn withdraw_draw(&self, cookie: &str, item: i64) -> Reply {
        self.submit::<WithdrawDraw>(&[("item", &item.to_string())], Some(cookie))
            .await
    }

    pub async fn staff_draws(&self, cookie: Option<&str>) -> Reply {
        self.call::<GetStaffDraws>(&[], cookie).await
    }

    /// "Give it by draw" (`item`, `hours`, `gold_tickets`, `silver_tickets`, `verified_email`,
    /// `account_days`, `purchase`).
    pub async fn create_draw(&self, cookie: Option<&str>, form: &[(&str, &str)]) -> Reply {
        self.submit::<CreateDraw>(form, cookie).await
    }

    pub async fn cancel_draw(&self, cookie: &str, item: i64) -> Reply {
        self.submit::<CancelDraw>(&[("item", &item.to_string())], Some(cookie))
            .await
    }

    /// The Campaigns page: every campaign and the form's choices.
    pub async fn campaigns(&self, cookie: Option<&str>) -> Reply {
        self.call::<GetCampaigns>(&[], cookie).await
    }

    /// "Start the campaign" (`name`, `audience`, `action`, `bonus_points`, `with_email`,
    /// `holdout`, `days`).
    pub async fn create_campaign(&self, cookie: Option<&str>, form: &[(&str, &str)]) -> Reply {
        self.submit::<CreateCampaign>(form, cookie).await
    }

    /// A campaign's report.
    pub async fn campaign(&self, cookie: &str, id: i64) -> Reply {
        self.call::<GetCampaign>(&[("id", &id.to_string())], Some(cookie))
            .await
    }

    /// The next best actions page, with one action's members if `action` is given.
    pub async fn next_actions(&self, cookie: Option<&str>, action: Option<&str>) -> Reply {
        match action {
            Some(action) => {
                self.call::<GetNextActions>(&[("action", action)], cookie)
                    .await
            }
            None => self.call::<GetNextActions>(&[], cookie).await,
        }
    }

    /// "Save the action's terms" (`terms_action`, `response`, `extra_spend`, `cost`).
    pub async fn save_action_terms(&self, cookie: Option<&str>, form: &[(&str, &str)]) -> Reply {
        self.submit::<SaveActionTerms>(form, cookie).await
    }

    /// "Save the store's terms" (`margin`, `messages_per_week`, `reach_within`).
    pub async fn save_store_terms(&self, cookie: Option<&str>, form: &[(&str, &str)]) -> Reply {
        self.submit::<SaveStoreTerms>(form, cookie).await
    }

    /// The CSV of the members an action is best for.
    pub async fn next_actions_csv(&self, cookie: &str, action: &str) -> Reply {
        self.get_as(&next_actions_csv_path(action), cookie).await
    }

    pub async fn recompute_scores(&self, cookie: Option<&str>) -> Reply {
        self.submit::<RecomputeScores>(&[], cookie).await
    }

    /// One member as member care sees them: balance, ledger, redemptions.
    pub async fn member_care(&self, cookie: &str, id: &str) -> Reply {
        self.call::<GetMemberCare>(&[("id", id)], Some(cookie))
            .await
    }

    pub async fn adjust_points(
        &self,
        cookie: &str,
        member_id: &str,
        points: &str,
        reason: &str,
    ) -> Reply {
        let form = [
            ("member_id", member_id),
            ("points", points),
            ("reason", reason),
        ];
        self.submit::<AdjustPoints>(&form, Some(cookie)).await
    }

    /// Staff cancel a member's redemption, after the member's own window.
    pub async fn cancel_for_member(
        &self,
        cookie: &str,
        member_id: &str,
        code: &str,
        reason: &str,
    ) -> Reply {
        let form = [("member_id", member_id), ("code", code), ("reason", reason)];
        self.submit::<CancelForMember>(&form, Some(cookie)).await
    }

    /// Everyone with a staff or admin role.
    pub async fn team(&self, cookie: &str) -> Reply {
        self.call::<ListTeam>(&[], Some(cookie)).await
    }

    pub async fn set_role(&self, cookie: &str, email: &str, role: &str) -> Reply {
        self.submit::<SetRole>(&[("email", email), ("role", role)], Some(cookie))
            .await
    }

    /// The API keys, and a key just created (shown once).
    pub async fn api_keys(&self, cookie: &str) -> Reply {
        self.call::<ListApiKeys>(&[], Some(cookie)).await
    }

    pub async fn create_api_key(&self, cookie: &str, name: &str, source: &str) -> Reply {
        let form = [("name", name), ("source", source)];
        self.submit::<CreateApiKey>(&form, Some(cookie)).await
    }

    pub async fn revoke_api_key(&self, cookie: &str, id: &str) -> Reply {
        self.submit::<RevokeApiKey>(&[("id", id)], Some(cookie))
            .await
    }
}
