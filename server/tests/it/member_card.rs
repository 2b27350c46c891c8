//! The member card: its number and QR code on the member's phone, the till naming the member
//! by it through the earning API, and the web app that opens it in one tap.

use sqlx::PgPool;

use crate::support::endpoints::CARD_PATH;
use crate::support::{self, TestApp, maya_at_the_till, purchase};

async fn card_number_of(pool: &PgPool, member: i64) -> String {
    sqlx::query_scalar("SELECT card_number FROM accounts WHERE id = $1")
        .bind(member)
        .fetch_one(pool)
        .await
        .unwrap()
}

/// The dark squares of a QR code drawn as the card's SVG (`M{x} {y}h{w}v{h}H{x}V{y}` for
/// each run of dark modules), read back by a QR decoder as a till's scanner reads the screen.
fn decode_qr(svg: &str) -> String {
    let number = |s: &str| s.parse::<usize>().expect("a coordinate");
    let attribute = |name: &str| {
        let at = svg.find(&format!(" {name}=\"")).expect("a size") + name.len() + 3;
        number(&svg[at..at + svg[at..].find('"').unwrap()])
    };
    let (width, height) = (attribute("width"), attribute("height"));
    let mut dark = vec![false; width * height];
    let path = &svg[svg.find(" d=\"").expect("a path") + 4..];
    let path = &path[..path.find('"').unwrap()];
    for square in path.split('M').filter(|s| !s.is_empty()) {
        let parts: Vec<usize> = square
            .split(|c: char| c == ' ' || c.is_ascii_alphabetic())
            .filter(|s| !s.is_empty())
            .map(number)
            .collect();
        let (x, y, w, h) = (parts[0], parts[1], parts[2], parts[3]);
        for row in y..y + h {
            for col in x..x + w {
                dark[row * width + col] = true;
            }
        }
    }
    let mut image = rqrr::PreparedImage::prepare_from_greyscale(width, height, |x, y| {
        if dark[y * width + x] { 0 } else { 255 }
    });
    let grids = image.detect_grids();
    assert_eq!(grids.len(), 1, "one QR code on the card");
    grids[0].decode().expect("the QR code reads").1
}

#[sqlx::test]
async fn a_member_sees_their_card_and_its_qr_code_reads_back_as_the_number(pool: PgPool) {
    support::store(&pool).await;
    let (member, cookie) = support::member_with(&pool, 1, 100).await;
    let app = TestApp::new(pool.clone());
    let stored = card_number_of(&pool, member).await;

    let card = app.member_card(Some(&cookie)).await;
    assert_eq!(card.status, 200, "{}", card.body);
    let card = card.json();
    let shown = card["number"].as_str().unwrap();
    assert_eq!(shown.replace(' ', ""), stored);
    assert_eq!(shown.len(), 19, "four groups of four: {shown}");
    assert_eq!(decode_qr(card["qr_svg"].as_str().unwrap()), stored);

    // The page itself, as the home-screen icon opens it (no JavaScript needed).
    let page = app.get_as(CARD_PATH, &cookie).await;
    assert_eq!(page.status, 200);
    assert!(page.body.contains("Your member card"));
    assert!(page.body.contains(shown), "the number as printed");

    // Another member's card is another number.
    let (other, _) = support::member_with(&pool, 2, 100).await;
    assert_ne!(card_number_of(&pool, other).await, stored);
}

#[sqlx::test]
async fn a_visitor_is_asked_to_sign_in_for_a_card(pool: PgPool) {
    support::store(&pool).await;
    let app = TestApp::new(pool.clone());
    let reply = app.member_card(None).await;
    assert_eq!(reply.status, 401);
    let page = app.get(CARD_PATH).await;
    assert_eq!(page.status, 401);
    assert!(page.body.contains("Sign in to show your member card"));
}

#[sqlx::test]
async fn a_purchase_sent_with_the_card_number_earns_to_that_member(pool: PgPool) {
    let (app, maya, key) = maya_at_the_till(&pool).await;
    let card = card_number_of(&pool, maya).await;
    // As a cashier types it from the card: in groups.
    let typed = format!(
        "{} {} {} {}",
        &card[..4],
        &card[4..8],
        &card[8..12],
        &card[12..]
    );
    let mut body: serde_json::Value =
        serde_json::from_str(&purchase(maya, "till-card-1", "42.00")).unwrap();
    body.as_object_mut().unwrap().remove("member_id");
    body["card_number"] = typed.into();

    let reply = app
        .api_post("/api/v1/purchases", Some(&key), &body.to_string())
        .await;
    assert_eq!(reply.status, 201, "{}", reply.body);
    assert_eq!(reply.json()["member_id"], maya);
    assert_eq!(reply.json()["points_earned"], 42);
    assert_eq!(support::books(&pool, maya).await.0, 42);
}

#[sqlx::test]
async fn an_unknown_card_number_gets_the_same_answer_as_an_unknown_member(pool: PgPool) {
    let (app, maya, key) = maya_at_the_till(&pool).await;
    let body = |naming: serde_json::Value| {
        let mut body: serde_json::Value =
            serde_json::from_str(&purchase(maya, "till-x", "10.00")).unwrap();
        body.as_object_mut().unwrap().remove("member_id");
        for (k, v) in naming.as_object().unwrap() {
            body[k] = v.clone();
        }
        body.to_string()
    };
    // A well-formed number (its check digit holds) that no member has.
    let mut unknown = "4539148803436467".to_owned();
    if card_number_of(&pool, maya).await == unknown {
        unknown = "4716108999716531".to_owned();
    }
    let by_card = app
        .api_post(
            "/api/v1/purchases",
            Some(&key),
            &body(serde_json::json!({"card_number": unknown})),
        )
        .await;
    let by_id = app
        .api_post(
            "/api/v1/purchases",
            Some(&key),
            &body(serde_json::json!({"member_id": 999_999})),
        )
        .await;
    assert_eq!(by_card.status, 422);
    assert_eq!(by_card.status, by_id.status);
    let (card, id) = (by_card.json(), by_id.json());
    assert_eq!(
        card["error"]["kind"], id["error"]["kind"],
        "the same stable error code"
    );
    let keys = |v: &serde_json::Value| {
        let mut k: Vec<String> = v.as_object().unwrap().keys().cloned().collect();
        k.sort();
        k
    };
    assert_eq!(keys(&card), keys(&id), "the same shape");
    assert_eq!(keys(&card["error"]), keys(&id["error"]));
    assert_eq!(card["error"]["field"], "card_number");
    assert_eq!(
        card["message"],
        format!(
            "No member has the card number {} {} {} {}.",
            &unknown[..4],
            &unknown[4..8],
            &unknown[8..12],
            &unknown[12..]
        )
    );
    assert_eq!(support::books(&pool, maya).await.0, 0, "nothing earned");
}

#[sqlx::test]
async fn a_deleted_members_card_no_longer_names_anyone(pool: PgPool) {
    let (app, maya, key) = maya_at_the_till(&pool).await;
    let old = card_number_of(&pool, maya).await;
    let cookie = app.signed_in("maya@example.com", support::PASSWORD).await;
    let deleted = app
        .delete_account(
            Some(&cookie),
            &[
                ("password", support::PASSWORD),
                ("open_redemptions", "honour"),
            ],
        )
        .await;
    assert!(
        deleted.status.is_redirection() || deleted.status.is_success(),
        "{}",
        deleted.body
    );
    // Signing out (here by deleting) asks the browser to drop the card it kept for offline use.
    assert_eq!(
        deleted
            .headers
            .get("clear-site-data")
            .map(|v| v.to_str().unwrap()),
        Some("\"storage\"")
    );
    let mut body: serde_json::Value =
        serde_json::from_str(&purchase(maya, "till-after", "10.00")).unwrap();
    body.as_object_mut().unwrap().remove("member_id");
    body["card_number"] = old.clone().into();
    let reply = app
        .api_post("/api/v1/purchases", Some(&key), &body.to_string())
        .await;
    assert_eq!(reply.status, 422, "{}", reply.body);
    assert_ne!(card_number_of(&pool, maya).await, old);
}

#[sqlx::test]
async fn the_home_screen_app_opens_the_card_in_the_readers_language(pool: PgPool) {
    support::store(&pool).await;
    let app = TestApp::new(pool.clone());
    let manifest = app
        .send(
            axum::http::Request::get("/manifest.webmanifest")
                .header("accept-language", "es-MX")
                .body(axum::body::Body::empty())
                .unwrap(),
        )
        .await;
    assert_eq!(manifest.status, 200);
    assert_eq!(manifest.content_type, "application/manifest+json");
    let manifest = manifest.json();
    assert_eq!(manifest["start_url"], CARD_PATH);
    assert_eq!(manifest["lang"], "es");
    assert_eq!(manifest["shortcuts"][0]["name"], "Tu tarjeta de miembro");
    assert!(
        manifest["icons"]
            .as_array()
            .unwrap()
            .iter()
            .any(|i| i["sizes"] == "512x512"),
        "an icon large enough for a splash screen"
    );

    // The worker that keeps the card for a till with no signal may fetch from this site (the
    // deny-all policy other files get would stop it), and pages may register it.
    let worker = app.get("/sw.js").await;
    assert_eq!(worker.status, 200);
    assert!(worker.content_type.starts_with("text/javascript"));
    assert_eq!(
        worker.headers["content-security-policy"],
        "default-src 'self'"
    );
    assert!(worker.body.contains("/account?step=card"));
    let page = app.get("/").await;
    assert!(
        page.headers["content-security-policy"]
            .to_str()
            .unwrap()
            .contains("worker-src 'self'")
    );
    assert!(
        page.body
            .contains(r#"<link rel="manifest" href="/manifest.webmanifest""#)
    );
}
