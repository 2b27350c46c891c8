//! The browser's side: the catalog the page carries, and CLDR rules from the browser's `Intl`.

use std::sync::OnceLock;

use leptos::prelude::GetUntracked;
use wasm_bindgen::JsValue;

use super::{Catalog, Locale, Plural, Tr};

static PAGE: OnceLock<Catalog> = OnceLock::new();

/// Reads the page's catalog before hydration (a page without one, or with a broken one, shows
/// keys: the server wrote the page in its language already).
pub fn install_page_catalog() {
    let flat = leptos::prelude::document()
        .get_element_by_id(super::PAGE_CATALOG_ID)
        .and_then(|element| element.text_content())
        .and_then(|text| js_sys::JSON::parse(&text).ok())
        .map(|value| js_sys::Array::from(&value))
        .unwrap_or_default();
    let text = |i: u32| flat.get(i).as_string().unwrap_or_default();
    let locale = Locale::from_tag(&text(0)).unwrap_or_default();
    // Written sorted by key; read in that order.
    let entries = (1..flat.length())
        .step_by(2)
        .map(|i| (text(i), text(i + 1)))
        .collect();
    let _ = PAGE.set(Catalog { locale, entries });
}

/// The time zone the reader chose on their account page, which the server wrote the page's
/// times in (`<html data-zone>`); `None` means the browser's own.
pub fn page_zone() -> Option<String> {
    leptos::prelude::document()
        .document_element()?
        .get_attribute("data-zone")
}

/// The staff console's words came with this page; if not (the console was reached in the
/// browser from a member's page, which leaves them out), the console loads again from the
/// server, with them. A page that carried no catalog at all is left as it is.
pub fn ensure_staff_words() {
    let lacking = PAGE
        .get()
        .is_some_and(|c| !c.entries.is_empty() && !c.has_section(super::STAFF_ONLY[0]));
    if lacking {
        let location = leptos_router::hooks::use_location();
        let search = location.search.get_untracked();
        let href = if search.is_empty() {
            location.pathname.get_untracked()
        } else {
            format!("{}?{search}", location.pathname.get_untracked())
        };
        let _ = leptos::prelude::window().location().assign(&href);
    }
}

/// Only the server writes whole documents.
pub fn page_catalog() -> String {
    String::new()
}

pub(super) fn current() -> Tr {
    let catalog = PAGE.get_or_init(|| Catalog {
        locale: Locale::En,
        entries: Vec::new(),
    });
    Tr::new(catalog, catalog.locale)
}

fn locales(locale: Locale) -> js_sys::Array {
    js_sys::Array::of1(&JsValue::from_str(locale.tag()))
}

/// The page's number format and plural rules, built once per language: building an `Intl`
/// object costs far more than using one, and the bazaar formats a few numbers on every card
/// while it hydrates (README, Performance).
struct Rules {
    locale: Locale,
    format: js_sys::Function,
    plurals: js_sys::Intl::PluralRules,
}

thread_local! {
    static RULES: std::cell::RefCell<Option<Rules>> = const { std::cell::RefCell::new(None) };
}

fn with_rules<T>(locale: Locale, use_them: impl FnOnce(&Rules) -> T) -> T {
    RULES.with_borrow_mut(|cached| {
        if cached.as_ref().is_some_and(|rules| rules.locale != locale) {
            *cached = None;
        }
        use_them(cached.get_or_insert_with(|| Rules {
            locale,
            format:
                js_sys::Intl::NumberFormat::new(&locales(locale), &js_sys::Object::new()).format(),
            plurals: js_sys::Intl::PluralRules::new(&locales(locale), &js_sys::Object::new()),
        }))
    })
}

pub(super) fn number(locale: Locale, n: i64) -> String {
    with_rules(locale, |rules| {
        rules
            .format
            .call1(&JsValue::UNDEFINED, &JsValue::from_f64(n as f64))
            .ok()
            .and_then(|s| s.as_string())
    })
    .unwrap_or_else(|| n.to_string())
}

pub(super) fn plural(locale: Locale, n: i64) -> Plural {
    match with_rules(locale, |rules| rules.plurals.select(n as f64).as_string()).as_deref() {
        Some("zero") => Plural::Zero,
        Some("one") => Plural::One,
        Some("two") => Plural::Two,
        Some("few") => Plural::Few,
        Some("many") => Plural::Many,
        _ => Plural::Other,
    }
}

/// A moment as this page's reader reads it: in `zone` (an IANA name), or the browser's own zone
/// when `zone` is `None`, with the page's language for day and month names.
pub fn local_label(locale: Locale, millis: f64, zone: Option<&str>) -> Option<String> {
    let options = js_sys::Object::new();
    for (key, value) in [
        ("weekday", "short"),
        ("day", "numeric"),
        ("month", "short"),
        ("hour", "2-digit"),
        ("minute", "2-digit"),
        ("hourCycle", "h23"),
        ("timeZoneName", "short"),
    ]
    .into_iter()
    .chain(zone.map(|zone| ("timeZone", zone)))
    {
        js_sys::Reflect::set(&options, &JsValue::from_str(key), &JsValue::from_str(value)).ok()?;
    }
    let date = js_sys::Date::new(&JsValue::from_f64(millis));
    date.to_locale_string(locale.tag(), &options).as_string()
}

pub(super) fn moment(locale: Locale, rfc3339: &str, zone: &str) -> Option<String> {
    let millis = js_sys::Date::parse(rfc3339);
    (!millis.is_nan()).then_some(())?;
    local_label(locale, millis, Some(zone))
}
