//! The server's side: both catalogs read from the TOML files compiled in, the request's locale,
//! and CLDR rules from ICU4X and chrono.

use std::sync::{LazyLock, OnceLock};

use chrono::{DateTime, Utc};
use icu_decimal::DecimalFormatter;
use icu_decimal::input::Decimal;
use icu_plurals::{PluralCategory, PluralRules};

use super::{Catalog, Lang, Locale, Plural, STAFF_ONLY, Tr};

/// Each catalog file, `(name, English, Spanish)`, compiled in. A new file under `app/locales`
/// is listed here (the catalog test checks).
macro_rules! files {
    ($($name:literal),* $(,)?) => {
        [$((
            $name,
            include_str!(concat!("../../../locales/en/", $name, ".toml")),
            include_str!(concat!("../../../locales/es/", $name, ".toml")),
        )),*]
    };
}

pub const FILES: [(&str, &str, &str); 24] = files!(
    "account",
    "api",
    "audiences",
    "audit_log",
    "bazaar",
    "campaigns",
    "catalog",
    "common",
    "draws",
    "drops",
    "errors",
    "forms",
    "imports",
    "insights",
    "kit",
    "language",
    "mail",
    "mailbox",
    "member_care",
    "redemptions",
    "reports",
    "shell",
    "team",
    "tiers",
);

/// Reads a language's catalog files: nested tables become dotted keys (`[bazaar] redeem = …` is
/// `bazaar.redeem`). The files are compiled in and checked by the tests, so a broken one is a
/// programming error.
pub fn parse_catalog<'a>(
    locale: Locale,
    sources: impl IntoIterator<Item = &'a str>,
) -> Result<Catalog, String> {
    fn flatten(prefix: &str, table: &toml::Table, into: &mut Vec<(String, String)>) {
        for (key, value) in table {
            let key = if prefix.is_empty() {
                key.clone()
            } else {
                format!("{prefix}.{key}")
            };
            match value {
                toml::Value::Table(inner) => flatten(&key, inner, into),
                toml::Value::String(text) => into.push((key, text.clone())),
                other => into.push((key, other.to_string())),
            }
        }
    }
    let mut entries = Vec::new();
    for source in sources {
        let table: toml::Table = source.parse().map_err(|e| format!("{e}"))?;
        flatten("", &table, &mut entries);
    }
    entries.sort();
    Ok(Catalog { locale, entries })
}

static CATALOGS: LazyLock<[Catalog; 3]> = LazyLock::new(|| {
    let read = |locale: Locale| {
        let sources = FILES.iter().map(|(_, en, es)| match locale.lang() {
            Lang::En => *en,
            Lang::Es => *es,
        });
        parse_catalog(locale, sources)
            .unwrap_or_else(|e| panic!("app/locales/{}: {e}", locale.lang().code()))
    };
    [read(Locale::En), read(Locale::EsMx), read(Locale::EsEs)]
});

/// The catalog a page in `locale` speaks.
pub fn catalog_for(locale: Locale) -> &'static Catalog {
    &CATALOGS[slot(locale)]
}

/// Where a locale's catalog (and its page JSON) sits in the arrays built at start-up.
fn slot(locale: Locale) -> usize {
    match locale {
        Locale::En => 0,
        Locale::EsMx => 1,
        Locale::EsEs => 2,
    }
}

/// Sections only the server uses (emails, the integrators' API): never sent to a browser.
const SERVER_ONLY: [&str; 2] = ["api", "mail"];

/// The catalog as the page carries it to the browser, inside `<script type="application/json">`:
/// one flat array, the locale's tag and then each key followed by its text (the browser reads
/// it with `JSON.parse` and a loop, with no decoder in the bundle). `<` is written as `\u003c`
/// so no text in it can close the script element. `staff`: with the console's sections.
pub fn page_json(catalog: &Catalog, staff: bool) -> String {
    let mut flat = vec![catalog.locale.tag()];
    for (key, text) in &catalog.entries {
        let section = key.split('.').next().unwrap_or_default();
        if !SERVER_ONLY.contains(&section) && (staff || !STAFF_ONLY.contains(&section)) {
            flat.extend([key.as_str(), text.as_str()]);
        }
    }
    serde_json::to_string(&flat)
        .unwrap_or_default()
        .replace('<', "\\u003c")
}

/// The catalog of the request being answered, for its page. It is the same for every page of a
/// kind in a locale, so it is written once: writing it anew for each page took more of a
/// page's time than any one query.
pub fn page_catalog() -> &'static str {
    static PAGE_JSON: LazyLock<[[String; 2]; 3]> = LazyLock::new(|| {
        [Locale::En, Locale::EsMx, Locale::EsEs]
            .map(|locale| [false, true].map(|staff| page_json(catalog_for(locale), staff)))
    });
    let staff = leptos::prelude::use_context::<axum::http::request::Parts>()
        .is_some_and(|parts| parts.uri.path().starts_with("/staff"));
    &PAGE_JSON[slot(current().locale())][usize::from(staff)]
}

/// The server writes each page whole, with the words it needs.
pub fn ensure_staff_words() {}

static DEFAULT: OnceLock<Lang> = OnceLock::new();

/// The store's default language (set once at start-up from the configuration): what a reader
/// who states no preference gets, and what work outside a request speaks.
pub fn set_default_lang(lang: Lang) {
    let _ = DEFAULT.set(lang);
}

pub fn default_lang() -> Lang {
    DEFAULT.get().copied().unwrap_or_default()
}

/// The time zone the reader chose (the `bazaar_zone` cookie, which a member's account carries
/// to every device they sign in on), put in the request's extensions by the server's language
/// middleware.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReaderZone(pub chrono_tz::Tz);

/// The reader's chosen time zone, if they chose one: times on their pages are written in it.
pub fn reader_zone() -> Option<chrono_tz::Tz> {
    leptos::prelude::use_context::<ReaderZone>()
        .or_else(|| {
            leptos::prelude::use_context::<axum::http::request::Parts>()
                .and_then(|parts| parts.extensions.get::<ReaderZone>().copied())
        })
        .map(|zone| zone.0)
}

/// The zone this page's times are written in when the reader chose one, for `<html data-zone>`.
pub fn page_zone() -> Option<String> {
    reader_zone().map(|zone| zone.name().to_owned())
}

tokio::task_local! {
    /// The locale of the request being answered, for code that runs outside Leptos' reactive
    /// owner (the JSON API, middleware).
    pub static CURRENT: Locale;
}

pub(super) fn current() -> Tr {
    let locale = leptos::prelude::use_context::<Locale>()
        .or_else(|| {
            leptos::prelude::use_context::<axum::http::request::Parts>()
                .and_then(|parts| parts.extensions.get::<Locale>().copied())
        })
        .or_else(|| CURRENT.try_with(|locale| *locale).ok())
        .unwrap_or_else(|| default_lang().default_locale());
    Tr::new(catalog_for(locale), locale)
}

fn icu_locale(locale: Locale) -> icu_locale_core::Locale {
    locale
        .tag()
        .parse()
        .unwrap_or(icu_locale_core::locale!("en"))
}

pub(super) fn number(locale: Locale, n: i64) -> String {
    static FORMATTERS: LazyLock<Vec<(Locale, DecimalFormatter)>> = LazyLock::new(|| {
        [Locale::En, Locale::EsMx, Locale::EsEs]
            .into_iter()
            .filter_map(|l| {
                DecimalFormatter::try_new(icu_locale(l).into(), Default::default())
                    .ok()
                    .map(|f| (l, f))
            })
            .collect()
    });
    match FORMATTERS.iter().find(|(l, _)| *l == locale) {
        Some((_, formatter)) => formatter.format(&Decimal::from(n)).to_string(),
        None => n.to_string(),
    }
}

/// An amount of money as `locale` writes it, by CLDR: "$1,234.50" (en), "US$1,234.50"
/// (es-MX, where "$" would mean pesos), "1234,50 US$" (es-ES). Falls back to "1234.50 XYZ"
/// for a currency ICU4X cannot name.
pub fn format_money(locale: Locale, cents: i64, currency: &str) -> String {
    use icu_experimental::dimension::currency::CurrencyType;
    use icu_experimental::dimension::currency::formatter::CurrencyFormatter;
    let mut amount = Decimal::from(cents);
    amount.absolute.multiply_pow10(-2);
    icu_locale_core::extensions::unicode::Value::try_from_str(&currency.to_ascii_lowercase())
        .ok()
        .and_then(|value| CurrencyType::try_from(value).ok())
        .and_then(|code| {
            CurrencyFormatter::try_new_symbol(icu_locale(locale).into(), code, Default::default())
                .ok()
        })
        .map(|formatter| formatter.format_fixed_decimal(&amount).to_string())
        .unwrap_or_else(|| format!("{amount} {currency}"))
}

/// A number given in hundredths, with two decimals as `locale` writes them: 150 → "1.50"
/// (en, es-MX), "1,50" (es-ES).
pub fn format_hundredths(locale: Locale, hundredths: i64) -> String {
    format_fixed(locale, hundredths, 2)
}

/// `scaled` divided by 10^`places`, with that many decimals, as `locale` writes them:
/// (-4413532, 6) → "-4.413532" (en), "-4,413532" (es).
pub fn format_fixed(locale: Locale, scaled: i64, places: i16) -> String {
    let mut value = Decimal::from(scaled);
    value.absolute.multiply_pow10(-places);
    value.absolute.pad_end(-places);
    match DecimalFormatter::try_new(icu_locale(locale).into(), Default::default()) {
        Ok(formatter) => formatter.format(&value).to_string(),
        Err(_) => value.to_string(),
    }
}

pub(super) fn plural(locale: Locale, n: i64) -> Plural {
    static RULES: LazyLock<Vec<(Locale, PluralRules)>> = LazyLock::new(|| {
        [Locale::En, Locale::EsMx, Locale::EsEs]
            .into_iter()
            .filter_map(|l| {
                PluralRules::try_new_cardinal(icu_locale(l).into())
                    .ok()
                    .map(|r| (l, r))
            })
            .collect()
    });
    let Some((_, rules)) = RULES.iter().find(|(l, _)| *l == locale) else {
        return Plural::Other;
    };
    match rules.category_for(n) {
        PluralCategory::Zero => Plural::Zero,
        PluralCategory::One => Plural::One,
        PluralCategory::Two => Plural::Two,
        PluralCategory::Few => Plural::Few,
        PluralCategory::Many => Plural::Many,
        PluralCategory::Other => Plural::Other,
    }
}

/// A moment as a reader of `locale` reads it in `zone`: "Thu 3 Dec, 09:00 EST",
/// "jue 3 dic, 09:00 EST".
/// A calendar day as the reader writes it: "3 Dec 2025", "3 dic 2025".
pub fn format_day(locale: Locale, day: chrono::NaiveDate) -> String {
    let spanish = match locale {
        Locale::En => return day.format("%-d %b %Y").to_string(),
        Locale::EsMx => chrono::Locale::es_MX,
        Locale::EsEs => chrono::Locale::es_ES,
    };
    // chrono's Spanish month abbreviations end in a full stop ("dic."); dates drop it, as the
    // browser's Intl does.
    day.format_localized("%-d %b %Y", spanish)
        .to_string()
        .replace('.', "")
}

/// A month as the reader writes it: "Dec 2026", "dic 2026".
pub fn format_month(locale: Locale, day: chrono::NaiveDate) -> String {
    let spanish = match locale {
        Locale::En => return day.format("%b %Y").to_string(),
        Locale::EsMx => chrono::Locale::es_MX,
        Locale::EsEs => chrono::Locale::es_ES,
    };
    day.format_localized("%b %Y", spanish)
        .to_string()
        .replace('.', "")
}

pub fn format_date(locale: Locale, zone: chrono_tz::Tz, at: DateTime<Utc>) -> String {
    let chrono_locale = match locale {
        Locale::En => chrono::Locale::en_US,
        Locale::EsMx => chrono::Locale::es_MX,
        Locale::EsEs => chrono::Locale::es_ES,
    };
    let local = at.with_timezone(&zone);
    match locale {
        // English keeps the day-first form the portal has always shown.
        Locale::En => local.format("%a %-d %b, %H:%M %Z").to_string(),
        _ => local
            .format_localized("%a %-d %b, %H:%M %Z", chrono_locale)
            .to_string()
            // chrono's Spanish abbreviations end in a full stop ("jue.", "dic."); CLDR's
            // format form, which the browser's Intl writes, drops them in dates like these.
            .replace('.', ""),
    }
}

pub(super) fn moment(locale: Locale, rfc3339: &str, zone: &str) -> Option<String> {
    let at = DateTime::parse_from_rfc3339(rfc3339)
        .ok()?
        .with_timezone(&Utc);
    let zone: chrono_tz::Tz = zone.parse().ok()?;
    Some(format_date(locale, zone, at))
}
