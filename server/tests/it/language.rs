//! Spanish and English: the language a reader gets, the switch that keeps their choice, the
//! page cache kept per language, and numbers, plurals and dates as each reader reads them.

use axum::body::Body;
use axum::http::Request;
use sqlx::PgPool;

use crate::support::{self, TestApp};

/// A page as a browser asking for `accept_language` (and sending `cookie`) gets it.
pub(crate) async fn page(
    app: &TestApp,
    uri: &str,
    accept_language: &str,
    cookie: Option<&str>,
) -> String {
    let mut request = Request::get(uri).header("accept-language", accept_language);
    if let Some(cookie) = cookie {
        request = request.header("cookie", cookie);
    }
    let reply = app.send(request.body(Body::empty()).unwrap()).await;
    assert_eq!(reply.status, 200, "{uri}: {}", reply.body);
    reply.body
}

/// The bazaar with a live reward costing 12,500 points.
async fn bazaar_with_a_five_digit_cost(pool: &PgPool) -> TestApp {
    support::live_store(pool).await;
    sqlx::query("UPDATE drop_items SET points_cost = 12500 WHERE reward_id = (SELECT id FROM rewards WHERE title = 'Candle duo')")
        .execute(pool)
        .await
        .unwrap();
    TestApp::new(pool.clone())
}

#[sqlx::test]
async fn a_visitor_whose_browser_asks_for_spanish_gets_the_bazaar_in_spanish(pool: PgPool) {
    let app = bazaar_with_a_five_digit_cost(&pool).await;
    let page = page(&app, "/", "es-MX,es;q=0.9,en;q=0.5", None).await;
    assert!(page.contains(r#"<html lang="es""#), "{page}");
    assert!(page.contains("<title>Bazar · Bazar de Recompensas</title>"));
    for spanish in [
        "Bazar de Test Shop",
        "Inicia sesión para canjear",
        "12,500 puntos",
        "Agotado",
        "Próximo drop:",
        "Abre en",
        "Cierra en",
        "Todas las recompensas",
    ] {
        assert!(
            page.contains(spanish),
            "no {spanish:?} in the Spanish bazaar"
        );
    }
    let on_screen = support::visible_text(&page);
    for english in ["Sign in to redeem", "Sold out", "Opens in", "All rewards"] {
        assert!(
            !on_screen.contains(english),
            "{english:?} in the Spanish bazaar"
        );
    }
}

#[sqlx::test]
async fn a_reader_in_spain_gets_spains_digit_grouping(pool: PgPool) {
    let app = bazaar_with_a_five_digit_cost(&pool).await;
    let spain = page(&app, "/", "es-ES,es;q=0.9", None).await;
    assert!(spain.contains("12.500 puntos"), "{spain}");
    let mexico = page(&app, "/", "es-MX", None).await;
    assert!(mexico.contains("12,500 puntos"));
    let english = page(&app, "/", "en-US", None).await;
    assert!(english.contains("12,500 points") && english.contains(r#"<html lang="en""#));
}

#[sqlx::test]
async fn a_browser_asking_for_neither_language_gets_the_stores_default(pool: PgPool) {
    support::live_store(&pool).await;
    let spanish_store = server::HttpConfig {
        default_lang: app::domain::i18n::Lang::Es,
        ..Default::default()
    };
    let app = TestApp::with_config(pool.clone(), &spanish_store);
    let page = page(&app, "/", "fr-FR,de;q=0.8", None).await;
    assert!(page.contains(r#"<html lang="es""#) && page.contains("Agotado"));
    let asked = self::page(&app, "/", "en", None).await;
    assert!(asked.contains(r#"<html lang="en""#) && asked.contains("Sold out"));
}

#[sqlx::test]
async fn the_language_switch_keeps_the_choice_over_the_browsers_and_goes_back(pool: PgPool) {
    support::live_store(&pool).await;
    let app = TestApp::new(pool.clone());
    let switched = app
        .post_form(
            "/language",
            &[("lang", "es"), ("back", "/?category=gift")],
            None,
        )
        .await;
    assert_eq!(switched.status, 303, "{}", switched.body);
    assert_eq!(switched.headers["location"], "/?category=gift");
    let cookie = switched.set_cookie().expect("the choice is remembered");
    assert!(cookie.starts_with("bazaar_lang=es;") && cookie.contains("Max-Age=31536000"));

    let page = page(&app, "/?category=gift", "en-US", Some("bazaar_lang=es")).await;
    assert!(
        page.contains(r#"<html lang="es""#) && page.contains("Regalos"),
        "{page}"
    );

    // Back only to a page of this site, whatever the form said.
    let elsewhere = app
        .post_form(
            "/language",
            &[("lang", "en"), ("back", "//evil.example/")],
            None,
        )
        .await;
    assert_eq!(elsewhere.headers["location"], "/");
    let unknown = app.post_form("/language", &[("lang", "fr")], None).await;
    assert_eq!(unknown.status, 400);
    assert_eq!(unknown.json()["message"], "Choose English or Spanish.");
}

#[sqlx::test]
async fn the_cached_visitors_page_is_kept_per_language(pool: PgPool) {
    support::live_store(&pool).await;
    let config = server::HttpConfig {
        page_cache: std::time::Duration::from_secs(60),
        ..Default::default()
    };
    let app = TestApp::with_config(pool.clone(), &config);
    let first = page(&app, "/", "es", None).await;
    assert!(first.contains("Agotado") && first.contains("Candle duo"));
    sqlx::query("UPDATE rewards SET title = 'Candle trio' WHERE title = 'Candle duo'")
        .execute(&pool)
        .await
        .unwrap();
    // An English reader is not served the Spanish page kept a moment ago…
    let english = page(&app, "/", "en", None).await;
    assert!(english.contains("Sold out") && english.contains("Candle trio"));
    // …while Spanish readers still share theirs.
    let again = page(&app, "/", "es-MX", None).await;
    assert!(
        again.contains("Candle duo"),
        "the Spanish page was not kept"
    );

    let reply = app
        .send(
            Request::get("/")
                .header("accept-language", "es")
                .body(Body::empty())
                .unwrap(),
        )
        .await;
    let vary = reply
        .headers
        .get_all("vary")
        .iter()
        .map(|v| v.to_str().unwrap().to_owned())
        .collect::<Vec<_>>()
        .join(", ");
    assert!(
        vary.contains("Accept-Language") && vary.contains("Cookie"),
        "{vary}"
    );
    assert_eq!(reply.headers["content-language"], "es");
}

#[sqlx::test]
async fn a_member_reading_spanish_who_lacks_points_is_told_how_many_in_spanish(pool: PgPool) {
    let item = support::live_item(&pool, 10, 750).await;
    let (_, member) = support::member_with(&pool, 1, 100).await;
    let app = TestApp::new(pool.clone());
    let cookies = format!("{member}; bazaar_lang=es");
    let bazaar = page(&app, "/", "en", Some(&cookies)).await;
    assert!(bazaar.contains("Te faltan 650 puntos"), "{bazaar}");
    let confirm = page(&app, &format!("/redeem/{item}"), "en", Some(&cookies)).await;
    assert!(
        confirm.contains(
            "Te faltan 650 puntos para esta recompensa: cuesta 750 puntos y tienes 100 puntos."
        ),
        "{confirm}"
    );
}

/// The English texts a Spanish page must not show: each catalog text that differs from its
/// Spanish one, cut at its placeholders into the parts that are long enough to be telling.
fn english_only_texts() -> Vec<(String, String)> {
    use app::domain::i18n::{Locale, catalog_for};
    let (en, es) = (catalog_for(Locale::En), catalog_for(Locale::EsMx));
    en.entries
        .iter()
        .filter(|(key, text)| es.get(key) != Some(text.as_str()))
        .flat_map(|(key, text)| {
            text.split(['{', '}'])
                .step_by(2)
                .map(str::trim)
                .filter(|part| part.len() >= 12 && part.contains(' '))
                .map(|part| (key.clone(), part.to_owned()))
                .collect::<Vec<_>>()
        })
        .collect()
}

#[sqlx::test]
async fn every_page_renders_in_spanish_without_a_word_from_the_english_catalog(pool: PgPool) {
    let (live, _) = support::live_store(&pool).await;
    let item: i64 = sqlx::query_scalar(
        "SELECT di.id FROM drop_items di JOIN rewards r ON r.id = di.reward_id WHERE r.title = 'Candle duo'",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    let reward: i64 = sqlx::query_scalar("SELECT id FROM rewards WHERE title = 'Candle duo'")
        .fetch_one(&pool)
        .await
        .unwrap();
    let (member, member_cookie) = support::member_with(&pool, 1, 5_000).await;
    let (_, admin) = support::account_with_role(&pool, "admin@example.com", "admin").await;
    let app = TestApp::new(pool.clone());
    let redemption: serde_json::Value = serde_json::from_str(
        app.redeem(&member_cookie, item, &uuid::Uuid::new_v4().to_string())
            .await
            .text(),
    )
    .unwrap();
    let code = redemption["code"].as_str().unwrap();
    let as_member = format!("{member_cookie}; bazaar_lang=es");
    let as_admin = format!("{admin}; bazaar_lang=es");
    let pages: Vec<(String, Option<&str>)> = vec![
        ("/".into(), None),
        ("/sign-in".into(), None),
        ("/sign-up".into(), None),
        ("/no-such-page".into(), None),
        ("/".into(), Some(&as_member)),
        ("/account".into(), Some(&as_member)),
        ("/account?step=card".into(), Some(&as_member)),
        ("/account?step=question".into(), Some(&as_member)),
        (format!("/redeem/{item}"), Some(&as_member)),
        (format!("/redemptions/{code}"), Some(&as_member)),
        ("/staff".into(), Some(&as_admin)),
        ("/staff/rewards".into(), Some(&as_admin)),
        (format!("/staff/rewards/{reward}"), Some(&as_admin)),
        ("/staff/audit".into(), Some(&as_admin)),
        ("/staff/drops".into(), Some(&as_admin)),
        ("/staff/drops/schedule".into(), Some(&as_admin)),
        (format!("/staff/drops/{live}"), Some(&as_admin)),
        (format!("/staff/drops/{live}/report"), Some(&as_admin)),
        ("/staff/members".into(), Some(&as_admin)),
        (format!("/staff/members/{member}"), Some(&as_admin)),
        ("/staff/team".into(), Some(&as_admin)),
        ("/staff/api-keys".into(), Some(&as_admin)),
        ("/staff/insights".into(), Some(&as_admin)),
    ];
    let english = english_only_texts();
    let mut found = Vec::new();
    for (uri, cookie) in &pages {
        let mut request = Request::get(uri.as_str()).header("accept-language", "es-MX");
        if let Some(cookie) = cookie {
            request = request.header("cookie", *cookie);
        }
        let reply = app.send(request.body(Body::empty()).unwrap()).await;
        assert!(
            reply.body.contains(r#"<html lang="es""#),
            "{uri} is not in Spanish"
        );
        let text = support::visible_text(&reply.body);
        for (key, part) in &english {
            if text.contains(part.as_str()) {
                found.push(format!("{uri}: {key} {part:?}"));
            }
        }
    }
    assert!(
        found.is_empty(),
        "English on Spanish pages:\n{}",
        found.join("\n")
    );
}

#[sqlx::test]
async fn an_integrator_gets_a_stable_error_code_with_the_message_in_their_language(pool: PgPool) {
    let (app, _, _) = support::maya_at_the_till(&pool).await;
    let ask = |language: &'static str| {
        Request::post("/api/v1/purchases")
            .header("content-type", "application/json")
            .header("accept-language", language)
            .body(Body::from("{}"))
            .unwrap()
    };
    let spanish = app.send(ask("es-MX")).await.json();
    let english = app.send(ask("en-US")).await.json();
    assert_eq!(spanish["error"]["kind"], "api_key");
    assert_eq!(english["error"]["kind"], "api_key", "the code is the same");
    assert_eq!(
        spanish["message"],
        "Falta la clave de API: envíala como `Authorization: Bearer <key>`."
    );
    assert_eq!(
        english["message"],
        "Missing API key: send it as `Authorization: Bearer <key>`."
    );
}

#[sqlx::test]
async fn staff_write_a_reward_in_both_languages_and_a_missing_spanish_title_falls_back_to_english(
    pool: PgPool,
) {
    let (app, staff) = support::staff_console(&pool).await;
    let saved = app
        .save_reward(
            &staff,
            &[
                ("title", "Candle duo"),
                ("description", "Two hand-poured candles."),
                ("category", "gift"),
                ("points_cost", "750"),
                ("title_es", "Dúo de velas"),
                ("description_es", "Dos velas hechas a mano."),
            ],
        )
        .await;
    assert_eq!(saved.status, 200, "{}", saved.body);
    assert_eq!(saved.json()["title_es"], "Dúo de velas");
    let plain = app
        .save_reward(
            &staff,
            &[
                ("title", "Serum sample"),
                ("description", "A deluxe sample."),
                ("category", "sample"),
                ("points_cost", "250"),
                ("title_es", "   "),
            ],
        )
        .await;
    assert_eq!(plain.status, 200, "{}", plain.body);
    assert_eq!(
        plain.json()["title_es"],
        serde_json::Value::Null,
        "blank is not a translation"
    );
    let now = chrono::Utc::now();
    let drop = support::drop_window(
        &pool,
        "Winter drop",
        now - chrono::Duration::hours(1),
        now + chrono::Duration::hours(2),
    )
    .await;
    for title in ["Candle duo", "Serum sample"] {
        let reward: i64 = sqlx::query_scalar("SELECT id FROM rewards WHERE title = $1")
            .bind(title)
            .fetch_one(&pool)
            .await
            .unwrap();
        support::drop_item(&pool, drop, reward, 5, 5).await;
    }
    sqlx::query("UPDATE drops SET title_es = 'Drop de invierno' WHERE id = $1")
        .bind(drop)
        .execute(&pool)
        .await
        .unwrap();

    let spanish = support::visible_text(&page(&app, "/", "es-MX", None).await);
    assert!(spanish.contains("Dúo de velas") && spanish.contains("Dos velas hechas a mano."));
    assert!(
        spanish.contains("Serum sample"),
        "no Spanish title: the English one"
    );
    assert!(spanish.contains("Drop de invierno"));
    let english = support::visible_text(&page(&app, "/", "en", None).await);
    assert!(english.contains("Candle duo") && !english.contains("Dúo de velas"));
    assert!(english.contains("Winter drop"));

    let too_long = "x".repeat(app::catalog::TITLE_MAX + 1);
    let refused = app
        .save_reward(
            &staff,
            &[
                ("title", "Lamp"),
                ("description", ""),
                ("category", "gift"),
                ("points_cost", "100"),
                ("title_es", &too_long),
            ],
        )
        .await;
    assert_eq!(
        support::field_error(&refused),
        (
            "title_es".to_owned(),
            "Keep the title to 120 characters.".to_owned()
        )
    );
}

#[sqlx::test]
async fn a_members_language_is_saved_with_their_account_and_comes_back_when_they_sign_in(
    pool: PgPool,
) {
    let (app, _, _) = support::maya_at_the_till(&pool).await;
    let cookie = app.signed_in("maya@example.com", support::PASSWORD).await;
    let switched = app
        .post_form(
            "/language",
            &[("lang", "es"), ("back", "/account")],
            Some(&cookie),
        )
        .await;
    assert_eq!(switched.headers["location"], "/account");
    let saved: Option<String> =
        sqlx::query_scalar("SELECT language FROM accounts WHERE email = 'maya@example.com'")
            .fetch_one(&pool)
            .await
            .unwrap();
    assert_eq!(saved.as_deref(), Some("es"));

    // Another device, whose browser asks for English: signing in brings her Spanish back.
    let other = app.sign_in("maya@example.com", support::PASSWORD).await;
    let cookies: Vec<&str> = other
        .headers
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap())
        .collect();
    assert!(
        cookies.iter().any(|c| c.starts_with("bazaar_lang=es;")),
        "{cookies:?}"
    );
}

#[sqlx::test]
async fn a_stale_category_link_is_explained_in_the_readers_language(pool: PgPool) {
    support::live_store(&pool).await;
    let app = TestApp::new(pool.clone());
    let reply = app
        .send(
            Request::get("/?category=shoes")
                .header("accept-language", "es-MX")
                .body(Body::empty())
                .unwrap(),
        )
        .await;
    let text = support::visible_text(&reply.body);
    assert!(
        text.contains("Categoría desconocida «shoes». Elige una de: muestras,"),
        "{text}"
    );
}

/// The `Set-Cookie` values of a reply.
fn set_cookies(reply: &support::Reply) -> Vec<String> {
    reply
        .headers
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap().to_owned())
        .collect()
}

#[sqlx::test]
async fn a_member_who_chooses_a_time_zone_sees_every_time_in_it_on_each_device(pool: PgPool) {
    use chrono::TimeZone;
    let (app, _, _) = support::maya_at_the_till(&pool).await;
    // Opens on 15 January 2027 at 15:00 UTC: 10:00 in the store's New York.
    let starts = chrono::Utc.with_ymd_and_hms(2027, 1, 15, 15, 0, 0).unwrap();
    let drop = support::drop_window(
        &pool,
        "Winter drop",
        starts,
        starts + chrono::Duration::hours(2),
    )
    .await;
    let cookie = app.signed_in("maya@example.com", support::PASSWORD).await;
    app.remind(Some(&cookie), &drop.to_string(), true).await;
    let before = app.get_as("/account", &cookie).await.body;
    assert!(before.contains("10:00 EST"), "{before}");

    let saved = app.set_time_zone(&cookie, "America/Mexico_City").await;
    assert!(
        saved.headers["location"]
            .to_str()
            .unwrap()
            .starts_with("/account?zone=saved"),
        "{}",
        saved.body
    );
    let cookies = set_cookies(&saved);
    assert!(
        cookies
            .iter()
            .any(|c| c.starts_with("bazaar_zone=America/Mexico_City;")),
        "{cookies:?}"
    );
    let after = app
        .get_as(
            "/account?zone=saved",
            &format!("{cookie}; bazaar_zone=America/Mexico_City"),
        )
        .await
        .body;
    assert!(after.contains("09:00 CST"), "{after}");
    assert!(!after.contains("10:00 EST"));
    assert!(after.contains(r#"data-zone="America/Mexico_City""#));
    assert!(support::visible_text(&after).contains("Your time zone is saved."));

    // Another device: signing in brings the zone along.
    let other = app.sign_in("maya@example.com", support::PASSWORD).await;
    let cookies = set_cookies(&other);
    assert!(
        cookies
            .iter()
            .any(|c| c.starts_with("bazaar_zone=America/Mexico_City;")),
        "{cookies:?}"
    );
    // Back to the store's: the cookie is cleared.
    let store_again = app.set_time_zone(&cookie, "").await;
    assert!(
        set_cookies(&store_again)
            .iter()
            .any(|c| c.starts_with("bazaar_zone=;") && c.contains("Max-Age=0")),
    );
}

#[sqlx::test]
async fn a_time_zone_that_does_not_exist_is_refused_in_the_members_language_and_nothing_is_saved(
    pool: PgPool,
) {
    let (app, _, _) = support::maya_at_the_till(&pool).await;
    let cookie = app.signed_in("maya@example.com", support::PASSWORD).await;
    for (cookie, message) in [
        (cookie.clone(), "Choose a time zone from the list."),
        (
            format!("{cookie}; bazaar_lang=es"),
            "Elige una zona horaria de la lista.",
        ),
    ] {
        let refused = app.set_time_zone(&cookie, "Mars/Olympus_Mons").await;
        assert!(refused.status.is_client_error(), "{}", refused.body);
        assert_eq!(refused.app_error().to_string(), message);
        assert!(
            !set_cookies(&refused)
                .iter()
                .any(|c| c.starts_with("bazaar_zone"))
        );
    }
    let saved: Option<String> =
        sqlx::query_scalar("SELECT time_zone FROM accounts WHERE email = 'maya@example.com'")
            .fetch_one(&pool)
            .await
            .unwrap();
    assert_eq!(saved, None);
}

#[sqlx::test]
async fn a_member_reading_spanish_in_spain_sees_money_as_spain_writes_it(pool: PgPool) {
    let (app, maya, key) = support::maya_at_the_till(&pool).await;
    app.api_post(
        "/api/v1/purchases",
        Some(&key),
        &support::purchase(maya, "m-1", "500.00"),
    )
    .await;
    let cookie = app.signed_in("maya@example.com", support::PASSWORD).await;
    let spain = page(&app, "/account", "es-ES,es;q=0.9", Some(&cookie)).await;
    for text in [
        "Gasta 500,00\u{a0}US$ más para llegar a Oro.",
        "1,25 puntos por cada 1,00\u{a0}US$ de compra",
    ] {
        assert!(spain.contains(text), "no {text:?} in Spain's account page");
    }
    let english = page(&app, "/account", "en-US", Some(&cookie)).await;
    for text in [
        "Spend $500.00 more to reach Gold.",
        "1.25 points per $1.00 spent",
    ] {
        assert!(
            english.contains(text),
            "no {text:?} in the English account page"
        );
    }
}
