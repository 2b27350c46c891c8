//! The words each page carries to the browser: a member's page leaves the staff console's out.

use sqlx::PgPool;

use crate::language::page;
use crate::support;

/// The page's catalog (the `i18n` script's text).
fn catalog_of(page: &str) -> &str {
    let start = page.find(r#"id="i18n""#).expect("a catalog");
    let start = start + page[start..].find('>').unwrap() + 1;
    &page[start..start + page[start..].find("</script>").unwrap()]
}

#[sqlx::test]
async fn a_members_page_carries_its_own_words_and_the_staff_console_carries_its_too(pool: PgPool) {
    let (app, staff) = support::staff_console(&pool).await;
    let bazaar = page(&app, "/", "en", None).await;
    let words = catalog_of(&bazaar);
    assert!(words.contains(r#""bazaar.redeem""#), "{words}");
    assert!(words.contains(r#""draws."#), "{words}");
    // The staff console's words stay out of the page every member downloads at drop time, as
    // do the emails' and the integrators' (only the server writes those).
    for section in app::domain::i18n::STAFF_ONLY.iter().chain(&["mail", "api"]) {
        assert!(
            !words.contains(&format!("\"{section}.")),
            "{section} in {words}"
        );
    }

    let console = page(&app, "/staff/campaigns", "es-MX", Some(&staff)).await;
    let words = catalog_of(&console);
    for section in app::domain::i18n::STAFF_ONLY {
        assert!(
            words.contains(&format!("\"{section}.")),
            "{section} not in {words}"
        );
    }
    assert!(words.contains(r#""bazaar.redeem""#));
    assert!(!words.contains(r#""mail."#));
}
