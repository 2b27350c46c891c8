//! Reward photos in the catalog: staff upload one, members see it on the card.

use axum::body::Body;
use axum::http::Request;
use http_body_util::BodyExt;
use sqlx::PgPool;

use crate::support::{self, TestApp, account_with_role, audit_actions, count, staff};

const PNG: &[u8] = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR-not-a-real-picture-but-png-bytes";

#[sqlx::test]
async fn staff_upload_a_reward_photo_and_members_see_it_on_the_card(pool: PgPool) {
    let (_, _) = support::live_store(&pool).await;
    let staff = staff(&pool).await;
    let reward: i64 = sqlx::query_scalar(
        "SELECT r.id FROM rewards r JOIN drop_items di ON di.reward_id = r.id LIMIT 1",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    let app = TestApp::new(pool.clone());

    let (status, location) = app.upload_photo(reward, PNG, Some(&staff)).await;
    assert_eq!(status, 303);
    assert!(
        location.starts_with(&format!("/staff/rewards/{reward}?photo=saved")),
        "{location}"
    );
    let page = app.get_as(&location, &staff).await;
    assert!(
        page.text()
            .contains("Picture saved. Members see it on the reward"),
        "the edit page confirms the upload"
    );

    let card = app.bazaar(None).await.json();
    let url = card["rewards"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["reward_id"] == reward)
        .unwrap()["image_url"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(
        url.starts_with(&format!("/media/rewards/{reward}/photo?v=")),
        "{url}"
    );
    let picture = app
        .response(Request::get(&url).body(Body::empty()).unwrap())
        .await;
    assert_eq!(picture.status(), 200);
    assert_eq!(picture.headers()["content-type"], "image/png");
    assert_eq!(picture.headers()["x-content-type-options"], "nosniff");
    let bytes = picture.into_body().collect().await.unwrap().to_bytes();
    assert_eq!(&bytes[..], PNG, "members get exactly the uploaded picture");
    assert_eq!(audit_actions(&pool).await, vec!["reward.photo"]);
}

#[sqlx::test]
async fn a_photo_that_is_too_large_or_not_a_picture_is_refused_with_its_message(pool: PgPool) {
    support::store(&pool).await;
    let staff = staff(&pool).await;
    let (_, member) = account_with_role(&pool, "fan@example.com", "member").await;
    let reward = support::reward(&pool, "Candle", "gift", 500).await;
    let app = TestApp::new(pool.clone());

    let mut huge = PNG.to_vec();
    huge.resize(1024 * 1024 + 1, 0);
    let svg = b"<svg xmlns=\"http://www.w3.org/2000/svg\"><script>alert(1)</script></svg>";
    let cases: [(&[u8], &str, &str); 3] = [
        (
            &huge,
            "too_large",
            "That picture is larger than 1 MB. Export it smaller (e.g. 1200 px wide) and try again.",
        ),
        (
            svg,
            "type",
            "That file is not a PNG, JPEG or WebP picture. Other types (GIF, SVG, HEIC, PDF) are not accepted.",
        ),
        (b"", "missing", "Choose a picture to upload."),
    ];
    for (bytes, code, message) in cases {
        let (status, location) = app.upload_photo(reward, bytes, Some(&staff)).await;
        assert_eq!(status, 303, "{code}");
        assert_eq!(
            location,
            format!("/staff/rewards/{reward}?photo_error={code}")
        );
        let page = app.get_as(&location, &staff).await;
        assert!(
            page.text().contains(message),
            "the edit page says {message:?}"
        );
    }
    assert_eq!(app.upload_photo(reward, PNG, Some(&member)).await.0, 403);
    assert_eq!(app.upload_photo(reward, PNG, None).await.0, 401);
    assert_eq!(count(&pool, "reward_images").await, 0, "nothing stored");
    assert!(audit_actions(&pool).await.is_empty());
    // A reward that does not exist is not given a picture either.
    assert_eq!(
        app.upload_photo(reward + 99, PNG, Some(&staff)).await.0,
        404
    );
}
