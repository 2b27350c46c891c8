//! Staff bring purchase history in from a CSV file (upload, map the columns, watch it import,
//! read the summary, download the rejected rows) and undo an import.

use axum::body::Body;
use axum::http::Request;
use chrono::{Duration, Utc};
use serde_json::Value;
use sqlx::PgPool;

use crate::support::{self, TestApp, account};

/// The test file's columns: date, email, order, amount (field, column index).
const COLUMNS: [(&str, &str); 4] = [
    ("purchased_at", "0"),
    ("member_email", "1"),
    ("external_id", "2"),
    ("amount", "3"),
];

/// The upload's page once its import is done (the batches are written after the answer).
async fn finished(app: &TestApp, staff: &str, id: i64) -> Value {
    for _ in 0..100 {
        let view = app.upload_view(staff, id).await.json();
        if view["stage"].get("Done").is_some() || view["stage"].get("Failed").is_some() {
            return view;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    panic!("the import did not finish");
}

fn uploaded_id(location: &str) -> i64 {
    location
        .strip_prefix("/staff/imports?upload=")
        .and_then(|id| id.parse().ok())
        .unwrap_or_else(|| panic!("sent to {location:?}"))
}

async fn balance(pool: &PgPool, id: i64) -> i64 {
    sqlx::query_scalar("SELECT balance FROM accounts WHERE id = $1")
        .bind(id)
        .fetch_one(pool)
        .await
        .unwrap()
}

#[sqlx::test]
async fn staff_import_a_csv_file_read_the_summary_download_the_rejected_rows_and_undo_it(
    pool: PgPool,
) {
    let (app, staff) = support::staff_console(&pool).await;
    sqlx::query("UPDATE store_settings SET import_points = 'within_expiry'")
        .execute(&pool)
        .await
        .unwrap();
    let ana = account(&pool, "ana@example.com", "Ana", "member").await;
    let recent = (Utc::now() - Duration::days(10)).format("%Y-%m-%d");
    // As a spreadsheet in Spain saves it: semicolons, the header in Spanish.
    let file = format!(
        "Fecha;Correo;Pedido;Importe\n\
         {recent} 14:30;ana@example.com;T-1;80.00\n\
         2019-05-02;ana@example.com;T-2;35.50\n\
         2019-06-01;ana@example.com;T-3;0.00\n\
         15/06/2019;ana@example.com;T-4;10.00\n\
         2019-07-01;nobody@example.com;T-5;10.00\n\
         2019-08-01;ana@example.com;T-6;12,50\n"
    );

    let (status, location) = app.upload_csv(file.as_bytes(), Some(&staff)).await;
    assert_eq!(status, 303);
    let id = uploaded_id(&location);
    let view = app.upload_view(&staff, id).await.json();
    assert_eq!(view["rows"], "6 purchases in the file");
    assert_eq!(view["columns"][1], "Correo");
    assert_eq!(view["preview"][0][2], "T-1");
    // The columns are guessed from the Spanish header.
    let guessed: Vec<(String, Value)> = view["stage"]["Mapping"]["fields"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| (f["name"].as_str().unwrap().to_owned(), f["column"].clone()))
        .collect();
    let column = |name: &str| guessed.iter().find(|(n, _)| n == name).unwrap().1.clone();
    assert_eq!(
        [
            column("purchased_at"),
            column("member_email"),
            column("external_id"),
            column("amount")
        ],
        [0, 1, 2, 3]
    );
    assert_eq!(column("currency"), Value::Null);

    let started = app.start_import(&staff, id, &COLUMNS).await;
    assert!(
        started.headers["location"]
            .to_str()
            .unwrap()
            .starts_with(&format!("/staff/imports?upload={id}&")),
        "{:?}",
        started.headers
    );
    // Pressing "Import" again (a second tab, a double click without JavaScript) starts nothing.
    let twice = app.start_import(&staff, id, &COLUMNS).await;
    assert_eq!(twice.status, 400);
    assert_eq!(
        twice.app_error().to_string(),
        "This file is already being imported (or was). Upload it again to import it with other columns."
    );
    let done = finished(&app, &staff, id).await;
    let done = &done["stage"]["Done"];
    assert_eq!(
        done["summary"],
        "6 rows: 3 purchases imported, 0 already imported before, 3 rejected."
    );
    assert_eq!(
        done["rejected"],
        serde_json::json!([
            [
                "5",
                "T-4",
                "purchased_at \"15/06/2019\" is not a date: write 2024-03-15, 2024-03-15 14:30 or 2024-03-15T14:30:00Z."
            ],
            ["6", "T-5", "No member has the email nobody@example.com."],
            [
                "7",
                "T-6",
                "amount must be a positive decimal like \"25.40\" (got \"12,50\")."
            ],
        ])
    );
    // Only the purchase still within the points' expiry earned (80 points at Bronze's 1 a dollar).
    assert_eq!(balance(&pool, ana).await, 80);

    let csv = app
        .get_as(&format!("/staff/imports/{id}/rejected.csv"), &staff)
        .await;
    assert_eq!(csv.status, 200);
    assert_eq!(csv.headers["content-type"], "text/csv; charset=utf-8");
    let lines: Vec<&str> = csv.body.lines().collect();
    assert_eq!(lines[0], "Line,Purchase id,Reason");
    assert_eq!(
        lines[2],
        "6,T-5,No member has the email nobody@example.com."
    );

    let listed = app.imports(Some(&staff)).await.json();
    assert_eq!(listed["batches"][0]["from"], "CSV: history.csv");
    assert_eq!(listed["batches"][0]["written"], "3");
    assert_eq!(listed["batches"][0]["points"], "80");

    // Undone: the purchases stop counting and the points go back.
    let undone = app.undo_import(&staff, Some(id), None).await;
    assert!(undone.headers.contains_key("location"), "{}", undone.body);
    assert!(
        undone.headers["location"]
            .to_str()
            .unwrap()
            .starts_with(&format!("/staff/imports?upload={id}&undone=1")),
        "{:?}",
        undone.headers
    );
    assert_eq!(balance(&pool, ana).await, 0);
    let counted: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM purchases WHERE account_id = $1 AND refunded_at IS NULL",
    )
    .bind(ana)
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(counted, 0);
    let again = app.undo_import(&staff, Some(id), None).await;
    assert_eq!(again.status, 400);
    assert_eq!(
        again.app_error().to_string(),
        "This import was already undone."
    );
    let audit: i64 =
        sqlx::query_scalar("SELECT count(*) FROM audit_log WHERE action = 'import.undo'")
            .fetch_one(&pool)
            .await
            .unwrap();
    assert_eq!(audit, 1);

    // A corrected file with the same purchase ids imports again.
    let fixed = file
        .replace("15/06/2019", "2019-06-15")
        .replace("12,50", "12.50");
    let (_, location) = app.upload_csv(fixed.as_bytes(), Some(&staff)).await;
    let second = uploaded_id(&location);
    app.start_import(&staff, second, &COLUMNS).await;
    let done = finished(&app, &staff, second).await;
    assert_eq!(
        done["stage"]["Done"]["summary"],
        "6 rows: 5 purchases imported, 0 already imported before, 1 rejected."
    );
    assert_eq!(balance(&pool, ana).await, 80);
}

#[sqlx::test]
async fn a_file_that_cannot_be_imported_is_refused_with_the_reason_and_nothing_is_kept(
    pool: PgPool,
) {
    let (app, staff) = support::staff_console(&pool).await;
    let mut too_large = b"email,order,amount,date\n".to_vec();
    too_large.resize(4 * 1024 * 1024 + 1, b'x');
    let mut too_many = b"email,amount\n".to_vec();
    for _ in 0..50_001 {
        too_many.extend_from_slice(b"a@example.com,1.00\n");
    }
    for (bytes, code, message) in [
        (&b""[..], "missing", "Choose a CSV file to upload."),
        (
            &too_large[..],
            "too_large",
            "That file is larger than 4 MiB. Split it into smaller files.",
        ),
        (
            &too_many[..],
            "too_many_rows",
            "That file has more than 50,000 rows. Split it into smaller files.",
        ),
        (
            &b"email,order,amount,date\n"[..],
            "no_rows",
            "That file has no purchases: it needs a header row and at least one row below it.",
        ),
        (
            &b"email,amount\n\xff\xfe,1\n"[..],
            "not_text",
            "That file is not a CSV file we can read: save it as CSV (UTF-8) and upload it again.",
        ),
    ] {
        let (status, location) = app.upload_csv(bytes, Some(&staff)).await;
        assert_eq!(status, 303);
        assert_eq!(location, format!("/staff/imports?error={code}"));
        let page = support::visible_text(&app.get_as(&location, &staff).await.body);
        assert!(page.contains(message), "{page}");
    }
    // A form cut off mid-way (a dropped connection) says so.
    let cut_off = app
        .response(
            Request::post(app::imports::UPLOAD_PATH)
                .header("host", "bazaar.test")
                .header("origin", support::ORIGIN)
                .header("cookie", &staff)
                .header("content-type", "multipart/form-data; boundary=XBOUNDARY")
                .body(Body::from(
                    "--XBOUNDARY\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.csv\"\r\n\r\nemail,amount\n",
                ))
                .unwrap(),
        )
        .await;
    assert_eq!(cut_off.status(), 400);
    let body = axum::body::to_bytes(cut_off.into_body(), usize::MAX)
        .await
        .unwrap();
    let body = String::from_utf8_lossy(&body);
    assert!(body.contains("The upload could not be read: "), "{body}");
    assert_eq!(support::count(&pool, "import_uploads").await, 0);

    // A mapping without an amount column says which column is missing and starts nothing.
    let (_, location) = app
        .upload_csv(
            b"email,order,amount,date\na@example.com,1,5.00,2020-01-01\n",
            Some(&staff),
        )
        .await;
    let id = uploaded_id(&location);
    let refused = app
        .start_import(
            &staff,
            id,
            &[
                ("member_email", "0"),
                ("external_id", "1"),
                ("purchased_at", "3"),
            ],
        )
        .await;
    assert_eq!(refused.status, 422);
    assert_eq!(
        support::field_error(&refused),
        (
            "amount".to_owned(),
            "Choose the column with the amount.".to_owned()
        )
    );
    let view = app.upload_view(&staff, id).await.json();
    assert!(view["stage"].get("Mapping").is_some(), "{view}");

    // Members and visitors cannot upload or read imports.
    let (_, member) = support::member_with(&pool, 1, 0).await;
    assert_eq!(app.upload_csv(b"a,b\n1,2\n", Some(&member)).await.0, 403);
    assert_eq!(app.upload_csv(b"a,b\n1,2\n", None).await.0, 401);
    assert_eq!(app.imports(Some(&member)).await.status, 403);
    assert_eq!(app.imports(None).await.status, 401);
    assert_eq!(
        app.get_as(&format!("/staff/imports/{id}/rejected.csv"), &member)
            .await
            .status,
        403
    );
}

#[sqlx::test]
async fn staff_undo_an_integrators_import_batch_from_the_list(pool: PgPool) {
    let (app, staff) = support::staff_console(&pool).await;
    let ana = account(&pool, "ana@example.com", "Ana", "member").await;
    let key = server::api::create_api_key(&pool, "Back office", "crm", &["import"], None)
        .await
        .unwrap();
    let rows = serde_json::json!([
        {"member_id": ana, "external_id": "h-1", "amount": "20.00", "currency": "USD",
         "purchased_at": "2020-01-05T10:00:00Z"},
        {"member_id": ana, "external_id": "h-2", "amount": "30.00", "currency": "USD",
         "purchased_at": "2020-02-05T10:00:00Z"},
    ]);
    let report = app
        .api_post("/api/v1/purchases/import", Some(&key), &rows.to_string())
        .await
        .json();
    let batch = report["batch_id"].as_i64().unwrap();

    let listed = app.imports(Some(&staff)).await.json();
    assert_eq!(listed["batches"][0]["from"], "Back office (crm)");
    assert_eq!(listed["batches"][0]["undone"], Value::Null);
    let undone = app.undo_import(&staff, None, Some(batch)).await;
    assert!(
        undone.headers["location"]
            .to_str()
            .unwrap()
            .starts_with("/staff/imports?undone=1"),
        "{}",
        undone.body
    );
    let listed = app.imports(Some(&staff)).await.json();
    let status = listed["batches"][0]["undone"].as_str().unwrap();
    assert!(
        status.starts_with("Undone ") && status.ends_with(" by Someone"),
        "{status}"
    );
    let page = support::visible_text(&app.get_as("/staff/imports?undone=1", &staff).await.body);
    assert!(
        page.contains("The import was undone: its purchases no longer count"),
        "{page}"
    );
    // Replayed after the undo, the integrator's rows are imported again.
    let again = app
        .api_post("/api/v1/purchases/import", Some(&key), &rows.to_string())
        .await
        .json();
    assert_eq!(again["written"], 2, "{again}");
    let missing = app.undo_import(&staff, None, Some(999_999)).await;
    assert_eq!(missing.status, 404);
}
