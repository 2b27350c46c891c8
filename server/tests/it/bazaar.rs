use chrono::{Duration, Utc};
use sqlx::PgPool;

use crate::support::{self, TestApp};

#[sqlx::test]
async fn bazaar_lists_the_live_drops_rewards_with_cost_and_stock(pool: PgPool) {
    support::live_store(&pool).await;
    let app = TestApp::new(pool);

    let reply = app.bazaar(None).await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    let view = reply.json();
    assert_eq!(view["store"]["name"], "Test Shop");
    assert_eq!(view["live"].as_array().unwrap().len(), 1);
    assert_eq!(view["live"][0]["title"], "Live test drop");
    assert_eq!(view["next"]["title"], "Next week drop");

    let rewards = view["rewards"].as_array().unwrap();
    let titles: Vec<&str> = rewards
        .iter()
        .map(|r| r["title"].as_str().unwrap())
        .collect();
    // Cheapest first, sold out last; the next drop's reward is not on offer yet.
    assert_eq!(titles, ["Serum sample", "Candle duo", "Masterclass"]);
    assert_eq!(rewards[1]["cost"], 750);
    assert_eq!(rewards[1]["remaining"], 42);
    assert_eq!(rewards[1]["quantity"], 50);
    assert_eq!(rewards[1]["category"], "gift");
    assert_eq!(rewards[2]["remaining"], 0);
}

#[sqlx::test]
async fn bazaar_shows_drop_times_in_the_stores_time_zone(pool: PgPool) {
    support::store(&pool).await;
    // 14:00 UTC on 24 Nov 2026 is 09:00 in New York (EST).
    let starts = "2026-11-24T14:00:00Z".parse().unwrap();
    let now = Utc::now();
    let starts = if starts > now {
        starts
    } else {
        now + Duration::days(1)
    };
    support::drop_window(&pool, "Tuesday drop", starts, starts + Duration::days(2)).await;
    let view = TestApp::new(pool).bazaar(None).await.json();
    let label = view["next"]["starts_label"].as_str().unwrap();
    let expected = starts
        .with_timezone(&chrono_tz::America::New_York)
        .format("%a %-d %b, %H:%M %Z")
        .to_string();
    assert_eq!(label, expected);
    assert!(label.ends_with("EST") || label.ends_with("EDT"), "{label}");
}

#[sqlx::test]
async fn bazaar_filters_rewards_by_category_and_counts_every_category(pool: PgPool) {
    support::live_store(&pool).await;
    let view = TestApp::new(pool).bazaar_in("gift").await.json();
    let titles: Vec<&str> = view["rewards"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["title"].as_str().unwrap())
        .collect();
    assert_eq!(titles, ["Candle duo"]);
    assert_eq!(view["category"], "gift");
    let counts: Vec<(String, i64)> = view["categories"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                c["category"].as_str().unwrap().to_owned(),
                c["count"].as_i64().unwrap(),
            )
        })
        .collect();
    assert_eq!(counts.len(), 6);
    assert!(counts.contains(&("gift".into(), 1)));
    assert!(counts.contains(&("sample".into(), 1)));
    assert!(counts.contains(&("experience".into(), 1)));
    assert!(counts.contains(&("discount".into(), 0)));
}

#[sqlx::test]
async fn bazaar_rejects_an_unknown_category_and_names_the_real_ones(pool: PgPool) {
    support::live_store(&pool).await;
    let reply = TestApp::new(pool).bazaar_in("shoes").await;
    assert_eq!(reply.status, 400);
    let error = reply.json();
    assert_eq!(error["kind"], "bad_request");
    assert_eq!(
        error["message"],
        "Unknown category \u{201c}shoes\u{201d}. Choose one of: samples, experiences, services, discounts, free shipping, gifts."
    );
}

#[sqlx::test]
async fn bazaar_page_is_server_rendered_with_rewards_countdowns_and_filter(pool: PgPool) {
    support::live_store(&pool).await;
    let reply = TestApp::new(pool).get("/").await;
    assert_eq!(reply.status, 200);
    assert!(
        reply.content_type.starts_with("text/html"),
        "{}",
        reply.content_type
    );
    let html = reply.body;
    for text in [
        "Test Shop Bazaar",
        "Live now",
        "Live test drop",
        "Candle duo",
        "750 points",
        "42 of 50 left",
        "Sold out",
        "Next drop:",
    ] {
        assert!(html.contains(text), "page lacks {text:?}");
    }
    assert!(html.contains(r#"role="timer""#), "no countdown");
    assert!(html.contains(r#"aria-label="Reward categories""#));
    assert!(html.contains(r#"href="/?category=gift""#));
    assert!(html.contains("/pkg/bazaar.js"), "no hydration script");
    assert!(html.contains(r#"href="/pkg/bazaar.css""#), "no stylesheet");
    // The first screen's pictures are the page's largest paint: fetched at once, the rest lazily.
    // The first screen is the "For you" row's first two (the two rewards in stock); the grid's
    // three come after it.
    assert!(html.contains(r#"id="for-you-heading""#));
    assert_eq!(html.matches(r#"loading="eager""#).count(), 2);
    assert_eq!(html.matches(r#"fetchpriority="high""#).count(), 2);
    assert_eq!(html.matches(r#"loading="lazy""#).count(), 3);
}

#[sqlx::test]
async fn hashed_site_files_are_kept_for_a_year_and_unhashed_ones_revalidated(pool: PgPool) {
    let site = tempfile::tempdir().unwrap();
    std::fs::create_dir(site.path().join("pkg")).unwrap();
    std::fs::write(site.path().join("pkg/bazaar.3f9a1c.js"), "export {};").unwrap();
    for (hashed, expected) in [
        (true, "public, max-age=31536000, immutable"),
        (false, "no-cache"),
    ] {
        let options = leptos::config::LeptosOptions::builder()
            .output_name("bazaar")
            .site_root(site.path().to_str().unwrap())
            .hash_files(hashed)
            .build();
        let app = TestApp::with_options(pool.clone(), options, &server::HttpConfig::default());
        let reply = app.get("/pkg/bazaar.3f9a1c.js").await;
        assert_eq!(reply.status, 200, "{}", reply.body);
        assert_eq!(reply.headers["cache-control"], expected);
        // A file that is not there must not be remembered as missing for a year.
        let missing = app.get("/pkg/bazaar.0000.js").await;
        assert_eq!(missing.status, 404);
        assert!(missing.headers.get("cache-control").is_none());
    }
}

#[sqlx::test]
async fn bazaar_page_filtered_by_link_shows_only_that_category(pool: PgPool) {
    support::live_store(&pool).await;
    let html = TestApp::new(pool).get("/?category=sample").await.body;
    assert!(html.contains("Serum sample"));
    assert!(!html.contains("Candle duo"));
    // The heading names the category (a dynamic text node, followed by its hydration marker).
    assert!(html.contains(r#"<h2 id="rewards-heading">Samples"#));
}

#[sqlx::test]
async fn bazaar_page_with_an_unknown_category_is_a_400_with_the_message(pool: PgPool) {
    support::live_store(&pool).await;
    let reply = TestApp::new(pool).get("/?category=shoes").await;
    assert_eq!(reply.status, 400);
    assert!(reply.body.contains(r#"role="alert""#));
    assert!(reply.body.contains("Unknown category “shoes”"));
}

#[sqlx::test]
async fn bazaar_with_nothing_live_says_when_the_next_drop_opens(pool: PgPool) {
    support::store(&pool).await;
    let now = Utc::now();
    support::drop_window(
        &pool,
        "Thursday drop",
        now + Duration::hours(3),
        now + Duration::hours(30),
    )
    .await;
    let html = TestApp::new(pool).get("/").await.body;
    assert!(html.contains("No drop is live right now."));
    assert!(html.contains("Thursday drop"));
    assert!(html.contains("Rewards appear here when the next drop opens."));
    assert!(
        html.contains("02:59:5") || html.contains("03:00:00"),
        "countdown to the next drop"
    );
}

#[sqlx::test]
async fn the_next_drop_is_shown_however_many_drops_are_live(pool: PgPool) {
    support::store(&pool).await;
    let now = Utc::now();
    for i in 0..25 {
        support::drop_window(
            &pool,
            &format!("Live drop {i}"),
            now - Duration::hours(1),
            now + Duration::hours(2),
        )
        .await;
    }
    support::drop_window(
        &pool,
        "Thursday drop",
        now + Duration::hours(3),
        now + Duration::hours(30),
    )
    .await;
    let view = TestApp::new(pool).bazaar(None).await.json();
    assert_eq!(view["next"]["title"], "Thursday drop");
    assert_eq!(view["upcoming"][0]["title"], "Thursday drop");
}

#[sqlx::test]
async fn cancelled_and_closed_drops_are_not_on_offer(pool: PgPool) {
    support::store(&pool).await;
    let now = Utc::now();
    let cancelled = support::drop_window(
        &pool,
        "Cancelled drop",
        now - Duration::hours(1),
        now + Duration::hours(1),
    )
    .await;
    let closed = support::drop_window(
        &pool,
        "Closed drop",
        now - Duration::hours(5),
        now - Duration::hours(1),
    )
    .await;
    let a = support::reward(&pool, "Gone pouch", "gift", 100).await;
    let b = support::reward(&pool, "Old sample", "sample", 100).await;
    support::drop_item(&pool, cancelled, a, 5, 5).await;
    support::drop_item(&pool, closed, b, 5, 5).await;
    sqlx::query("UPDATE drops SET cancelled_at = now() WHERE id = $1")
        .bind(cancelled)
        .execute(&pool)
        .await
        .unwrap();
    let view = TestApp::new(pool).bazaar(None).await.json();
    assert_eq!(view["live"].as_array().unwrap().len(), 0);
    assert_eq!(view["rewards"].as_array().unwrap().len(), 0);
    assert!(view["next"].is_null());
}

#[sqlx::test]
async fn reward_images_are_svg_and_unknown_ones_are_404(pool: PgPool) {
    support::store(&pool).await;
    let id = support::reward(&pool, "Candle <duo>", "gift", 750).await;
    let app = TestApp::new(pool);
    let reply = app.get(&format!("/media/rewards/{id}.svg")).await;
    assert_eq!(reply.status, 200);
    assert_eq!(reply.content_type, "image/svg+xml");
    assert!(reply.body.starts_with("<svg"));
    assert!(reply.body.contains(">CD<"), "initials of the title");
    assert_eq!(app.get("/media/rewards/999999.svg").await.status, 404);
    assert_eq!(app.get("/media/rewards/nope.svg").await.status, 404);
}

#[sqlx::test]
async fn an_unknown_page_is_a_404_with_a_way_back(pool: PgPool) {
    support::store(&pool).await;
    let reply = TestApp::new(pool).get("/no-such-page").await;
    assert_eq!(reply.status, 404);
    assert!(reply.body.contains("We couldn't find that page"));
    assert!(reply.body.contains(r#"href="/""#));
}

#[sqlx::test]
async fn visitors_may_share_a_cached_bazaar_but_a_members_own_page_is_never_stored_or_shared(
    pool: PgPool,
) {
    support::live_store(&pool).await;
    let app = TestApp::new(pool.clone());
    // Candle duo costs 750: this member is 200 short, and their page says so.
    let (_, short) = support::member_with(&pool, 1, 550).await;
    // The text on screen (the page also carries its catalog for the browser).
    let visitor = support::visible_text(&app.get("/").await.body);
    assert!(visitor.contains("Candle duo") && !visitor.contains("more points"));
    let member = support::visible_text(&app.get_as("/", &short).await.body);
    assert!(
        member.contains("200 more points"),
        "the member got their own page, not the visitors' copy"
    );
    let visitor = support::visible_text(&app.get("/").await.body);
    assert!(
        !visitor.contains("more points"),
        "the member's page was not kept for visitors"
    );
}

#[sqlx::test]
async fn a_visitor_sees_stock_changes_within_a_second(pool: PgPool) {
    support::live_store(&pool).await;
    let app = TestApp::new(pool.clone());
    assert!(app.get("/").await.body.contains("42 of 50 left"));
    sqlx::query("UPDATE drop_items SET remaining = 30 WHERE remaining = 42")
        .execute(&pool)
        .await
        .unwrap();
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    assert!(app.get("/").await.body.contains("30 of 50 left"));
}

#[sqlx::test]
async fn a_drop_shows_as_open_the_moment_it_opens_even_to_visitors_sharing_a_cached_page(
    pool: PgPool,
) {
    support::store(&pool).await;
    let opens = Utc::now() + Duration::seconds(2);
    let drop = support::drop_window(&pool, "Flash drop", opens, opens + Duration::hours(1)).await;
    let reward = support::reward(&pool, "Lip balm", "sample", 100).await;
    support::drop_item(&pool, drop, reward, 10, 10).await;
    // A cache that would otherwise keep the page for a minute: only the drop's opening can
    // end it early.
    let config = server::HttpConfig {
        page_cache: std::time::Duration::from_secs(60),
        ..Default::default()
    };
    let app = TestApp::with_config(pool, &config);
    let before = app.get("/").await.body;
    assert!(before.contains("No drop is live right now."));
    let wait = (opens - Utc::now()).to_std().unwrap_or_default();
    tokio::time::sleep(wait + std::time::Duration::from_millis(200)).await;
    let after = support::visible_text(&app.get("/").await.body);
    assert!(!after.contains("No drop is live right now."));
    assert!(after.contains("Lip balm"), "the reward is on offer at once");
}

#[sqlx::test]
async fn pages_keep_loading_while_another_server_is_built_in_the_same_process(pool: PgPool) {
    support::store(&pool).await;
    // Every request renders: a cached page would hide a render that never finishes.
    let config = server::HttpConfig {
        page_cache: std::time::Duration::ZERO,
        ..Default::default()
    };
    let app = TestApp::with_config(pool, &config);
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let starting = std::thread::spawn({
        // Another app over the same database, built again and again.
        let (stop, pool) = (stop.clone(), app.pool.clone());
        move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            let _inside = runtime.enter();
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                drop(TestApp::new(pool.clone()));
            }
        }
    });
    let mut stalled = None;
    for n in 1..=200 {
        match tokio::time::timeout(std::time::Duration::from_secs(5), app.get("/")).await {
            Ok(page) => assert_eq!(page.status, 200),
            Err(_) => {
                stalled = Some(n);
                break;
            }
        }
    }
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    starting.join().unwrap();
    assert_eq!(stalled, None, "the page that never finished rendering");
}

/// The bazaar as a drop's visitors share it: kept for a minute unless something ends it.
async fn cached_bazaar(pool: &PgPool) -> TestApp {
    support::live_store(pool).await;
    let config = server::HttpConfig {
        page_cache: std::time::Duration::from_secs(60),
        ..Default::default()
    };
    let app = TestApp::with_config(pool.clone(), &config);
    assert!(app.get("/").await.body.contains("Candle duo"));
    // Renamed behind the cache's back: a page rendered from now on says "Candle trio", so a
    // page that still says "Candle duo" came from the cache.
    sqlx::query("UPDATE rewards SET title = 'Candle trio' WHERE title = 'Candle duo'")
        .execute(pool)
        .await
        .unwrap();
    app
}

#[sqlx::test]
async fn junk_query_strings_do_not_evict_the_bazaar_page(pool: PgPool) {
    let app = cached_bazaar(&pool).await;
    for n in 0..100 {
        let page = app.get(&format!("/?utm_source=bot{n}&x={n}")).await;
        assert!(
            page.body.contains("Candle duo"),
            "junk URL {n} shares the page's entry instead of rendering"
        );
    }
    assert!(
        app.get("/").await.body.contains("Candle duo"),
        "the real page is still cached"
    );
}

#[sqlx::test]
async fn a_made_up_session_cookie_is_served_the_visitors_cached_page(pool: PgPool) {
    let app = cached_bazaar(&pool).await;
    for cookie in [
        "bazaar_session=made-up",
        // Well-formed, but no such session.
        "bazaar_session=AAAAAAAAAAAAAAAAAAAAAA",
    ] {
        let page = app.get_as("/", cookie).await;
        assert!(
            page.body.contains("Candle duo"),
            "{cookie} skipped the cache"
        );
    }
}
