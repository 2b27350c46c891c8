//! Spanish and English: which language a page speaks, its words, and numbers, plurals and dates
//! as its readers read them.
//!
//! The words live in one catalog per language (`app/locales/{en,es}.toml`, keys such as
//! `bazaar.redeem`). The server reads both catalogs when it starts; a page carries its own
//! language's catalog to the browser inside the HTML (see [`Catalog::page_json`]), so the
//! WebAssembly bundle holds keys, not sentences in two languages (README, "Spanish and
//! English" says why, with the sizes measured). CLDR rules come from well-kept sources on each
//! side: ICU4X (`icu_decimal`, `icu_plurals`) and chrono's locales on the server, the browser's
//! own `Intl` in the browser; both read the same CLDR data, so the hydrated page matches the
//! server's.
//!
//! [`tr`] gives the caller's [`Tr`] anywhere: in a view, a server function or the JSON API.

#[cfg(feature = "hydrate")]
#[path = "browser.rs"]
mod platform;
#[cfg(not(feature = "hydrate"))]
#[path = "server.rs"]
mod platform;

#[cfg(not(feature = "hydrate"))]
pub use platform::{
    CURRENT, FILES, ReaderZone, catalog_for, default_lang, format_date, format_day, format_fixed,
    format_hundredths, format_money, format_month, page_json, parse_catalog, reader_zone,
    set_default_lang,
};
pub use platform::{ensure_staff_words, page_catalog, page_zone};
#[cfg(feature = "hydrate")]
pub use platform::{install_page_catalog, local_label};

/// The cookie holding a reader's chosen language.
pub const COOKIE: &str = "bazaar_lang";

/// The `Set-Cookie` value that remembers `lang` for a year (`Secure` under https). Not
/// `HttpOnly`: it holds nothing secret.
pub fn remember(lang: Lang, secure: bool) -> String {
    let secure = if secure { "; Secure" } else { "" };
    format!(
        "{COOKIE}={}; Path=/; Max-Age=31536000; SameSite=Lax{secure}",
        lang.code()
    )
}

/// The cookie holding the time zone a member chose on their account page (an IANA name).
pub const ZONE_COOKIE: &str = "bazaar_zone";

/// The `Set-Cookie` value that remembers a chosen time zone for a year, or forgets it (`None`:
/// times are then the store's, and the browser's own once the page is interactive).
pub fn remember_zone(zone: Option<&str>, secure: bool) -> String {
    let secure = if secure { "; Secure" } else { "" };
    match zone {
        Some(zone) => {
            format!("{ZONE_COOKIE}={zone}; Path=/; Max-Age=31536000; SameSite=Lax{secure}")
        }
        None => format!("{ZONE_COOKIE}=; Path=/; Max-Age=0; SameSite=Lax{secure}"),
    }
}

/// A language the portal speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Lang {
    #[default]
    En,
    Es,
}

impl Lang {
    pub const ALL: [Lang; 2] = [Lang::En, Lang::Es];

    /// The code in `<html lang>`, the language cookie and `accounts.language`.
    pub fn code(self) -> &'static str {
        match self {
            Lang::En => "en",
            Lang::Es => "es",
        }
    }

    /// `en`, `es`, `es-MX`, `EN-us`: the language part decides.
    pub fn parse(code: &str) -> Option<Lang> {
        let primary = code.trim().split(['-', '_']).next()?;
        if primary.eq_ignore_ascii_case("en") {
            Some(Lang::En)
        } else if primary.eq_ignore_ascii_case("es") {
            Some(Lang::Es)
        } else {
            None
        }
    }

    /// The language's own name, as the switch offers it ("English", "Español").
    pub fn own_name(self) -> &'static str {
        match self {
            Lang::En => "English",
            Lang::Es => "Español",
        }
    }

    /// Formats for this language when the reader's region asks for nothing else: Latin-American
    /// Spanish reads es-MX.
    pub fn default_locale(self) -> Locale {
        match self {
            Lang::En => Locale::En,
            Lang::Es => Locale::EsMx,
        }
    }
}

/// A language with the region whose number and date formats its reader expects. Spanish is
/// written the same everywhere here; Spain groups digits differently ("12.500", "4500") from
/// Mexico ("12,500", "4,500").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Locale {
    #[default]
    En,
    EsMx,
    EsEs,
}

impl Locale {
    pub fn lang(self) -> Lang {
        match self {
            Locale::En => Lang::En,
            Locale::EsMx | Locale::EsEs => Lang::Es,
        }
    }

    /// The BCP 47 tag the formatters are given.
    pub fn from_tag(tag: &str) -> Option<Locale> {
        [Locale::En, Locale::EsMx, Locale::EsEs]
            .into_iter()
            .find(|l| l.tag() == tag)
    }

    pub fn tag(self) -> &'static str {
        match self {
            Locale::En => "en",
            Locale::EsMx => "es-MX",
            Locale::EsEs => "es-ES",
        }
    }

    /// The locale for `lang` given what the browser asks for (`Accept-Language`): Spain's
    /// formats when the reader's Spanish is from Spain, else the language's default.
    pub fn for_reader(lang: Lang, accept_language: &str) -> Locale {
        let from_spain = preferences(accept_language).any(|tag| {
            let mut parts = tag.split(['-', '_']);
            parts.next().is_some_and(|l| l.eq_ignore_ascii_case("es"))
                && parts.next().is_some_and(|r| r.eq_ignore_ascii_case("es"))
        });
        if lang == Lang::Es && from_spain {
            Locale::EsEs
        } else {
            lang.default_locale()
        }
    }
}

/// The first language we speak in an `Accept-Language` header, by the reader's order of
/// preference (`q` weights; `q=0` means "not this one").
pub fn preferred_lang(accept_language: &str) -> Option<Lang> {
    preferences(accept_language).find_map(Lang::parse)
}

/// The tags of an `Accept-Language` header, most wanted first.
fn preferences(header: &str) -> impl Iterator<Item = &str> {
    let mut tags: Vec<(&str, f32)> = header
        .split(',')
        .take(20)
        .filter_map(|item| {
            let mut parts = item.split(';');
            let tag = parts.next()?.trim();
            let q = parts
                .find_map(|p| p.trim().strip_prefix("q="))
                .map_or(Some(1.0), |q| q.trim().parse::<f32>().ok())?;
            (!tag.is_empty() && q > 0.0).then_some((tag, q))
        })
        .collect();
    // Stable: equal weights keep the header's order.
    tags.sort_by(|a, b| b.1.total_cmp(&a.1));
    tags.into_iter().map(|(tag, _)| tag)
}

/// The id of the `<script type="application/json">` a page carries its catalog in.
pub const PAGE_CATALOG_ID: &str = "i18n";

/// Catalog sections only the staff console shows in the browser. A member's or visitor's page
/// leaves them out: every page carries its catalog, and at drop time a member's page was 87 KB
/// of words, 38 KB of them for staff. Pages under `/staff` carry every section, and the console
/// reached in the browser from another page loads again from the server with them
/// (`ensure_staff_words`). The catalog test checks that no code outside the console names a key
/// in these.
pub const STAFF_ONLY: [&str; 8] = [
    "audiences",
    "audit_log",
    "campaigns",
    "imports",
    "insights",
    "mailbox",
    "member_care",
    "reports",
];

/// One language's words: `(key, text)` sorted by key.
#[derive(Debug, Clone)]
pub struct Catalog {
    pub locale: Locale,
    pub entries: Vec<(String, String)>,
}

impl Catalog {
    /// Whether any key of `section` (`campaigns` for `campaigns.…`) is in the catalog.
    pub fn has_section(&self, section: &str) -> bool {
        // Sorted: the first key at or after the section's name is one of it, if it has any.
        let first = self.entries.partition_point(|(k, _)| k.as_str() < section);
        self.entries.get(first).is_some_and(|(k, _)| {
            k.strip_prefix(section)
                .is_some_and(|rest| rest.starts_with('.'))
        })
    }

    pub fn get(&self, key: &str) -> Option<&str> {
        self.entries
            .binary_search_by(|(k, _)| k.as_str().cmp(key))
            .ok()
            .map(|i| self.entries[i].1.as_str())
    }
}

/// A CLDR plural category, as both ICU4X and `Intl.PluralRules` name them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Plural {
    Zero,
    One,
    Two,
    Few,
    Many,
    Other,
}

impl Plural {
    fn suffix(self) -> &'static str {
        match self {
            Plural::Zero => "zero",
            Plural::One => "one",
            Plural::Two => "two",
            Plural::Few => "few",
            Plural::Many => "many",
            Plural::Other => "other",
        }
    }
}

/// The words and formats of one reader: cheap to copy into any closure a view needs.
#[derive(Debug, Clone, Copy)]
pub struct Tr {
    catalog: &'static Catalog,
    locale: Locale,
}

/// The reader's [`Tr`]: the page's language in the browser; on the server, the language chosen
/// for the request being answered (the language cookie, else `Accept-Language`, else the
/// store's default), or the default language outside any request.
pub fn tr() -> Tr {
    platform::current()
}

impl Tr {
    pub fn new(catalog: &'static Catalog, locale: Locale) -> Tr {
        Tr { catalog, locale }
    }

    pub fn locale(self) -> Locale {
        self.locale
    }

    pub fn lang(self) -> Lang {
        self.locale.lang()
    }

    /// What staff wrote in both languages (a reward's or a drop's title), in this reader's: the
    /// Spanish version for a Spanish reader when staff wrote one, else the English one.
    pub fn written<'a>(self, english: &'a str, spanish: Option<&'a str>) -> &'a str {
        match (self.lang(), spanish) {
            (Lang::Es, Some(spanish)) => spanish,
            _ => english,
        }
    }

    /// The text for `key`. A key the catalog lacks shows as itself, so a slip is visible on the
    /// page rather than blank (and the catalog check in the tests fails first).
    pub fn t(self, key: &'static str) -> &'static str {
        self.catalog.get(key).unwrap_or(key)
    }

    /// The text for `key` with each `{name}` replaced by its value.
    pub fn f(self, key: &'static str, args: &[(&str, &str)]) -> String {
        fill(self.t(key), args)
    }

    /// The plural form of `key` for `n` (`key.one`, `key.other`, …, falling back to
    /// `key.other`), with `{n}` as the locale writes `n` and each other `{name}` filled.
    pub fn count(self, key: &'static str, n: i64, args: &[(&str, &str)]) -> String {
        let category = platform::plural(self.locale, n);
        let form = |suffix: &str| {
            let mut full = String::with_capacity(key.len() + 6);
            full.push_str(key);
            full.push('.');
            full.push_str(suffix);
            self.catalog.get(&full)
        };
        let pattern = form(category.suffix())
            .or_else(|| form("other"))
            .unwrap_or(key);
        let number = self.number(n);
        fill_with(pattern, |name| {
            if name == "n" {
                Some(number.as_str())
            } else {
                lookup(args, name)
            }
        })
    }

    /// `n` with the locale's digit grouping: "12,500" (en, es-MX), "12.500" and "4500" (es-ES).
    pub fn number(self, n: i64) -> String {
        platform::number(self.locale, n)
    }

    /// An RFC 3339 moment written for this reader in the IANA `zone`: "Thu 3 Dec, 09:00 EST",
    /// "jue 3 dic, 09:00 EST". Text that is not a moment is shown as it is.
    pub fn moment(self, rfc3339: &str, zone: &str) -> String {
        platform::moment(self.locale, rfc3339, zone).unwrap_or_else(|| rfc3339.to_owned())
    }

    /// A day relative to today as the reader says it, with CLDR's plural rules: "today",
    /// "tomorrow", "in 9 days"; "hoy", "mañana", "en 9 días".
    pub fn in_days(self, days: i64) -> String {
        match days {
            ..=0 => self.t("common.today").to_owned(),
            1 => self.t("common.tomorrow").to_owned(),
            n => self.count("common.in_days", n, &[]),
        }
    }

    /// "1 point", "12,500 puntos".
    pub fn points(self, points: crate::domain::points::Points) -> String {
        self.count("common.points", points.get(), &[])
    }
}

fn fill(pattern: &str, args: &[(&str, &str)]) -> String {
    fill_with(pattern, |name| lookup(args, name))
}

fn lookup<'a>(args: &[(&str, &'a str)], name: &str) -> Option<&'a str> {
    args.iter().find(|(n, _)| *n == name).map(|(_, v)| *v)
}

/// `pattern` with each `{name}` that `value` knows replaced; others are left as written. One
/// pass with character searches: this runs in the browser bundle, where a general substring
/// replace would bring its search machinery along.
fn fill_with<'a>(pattern: &str, value: impl Fn(&str) -> Option<&'a str>) -> String {
    let mut out = String::with_capacity(pattern.len() + 16);
    let mut rest = pattern;
    while let Some(open) = rest.find('{') {
        out.push_str(&rest[..open]);
        let after = &rest[open + 1..];
        match after
            .find('}')
            .and_then(|close| Some((close, value(&after[..close])?)))
        {
            Some((close, text)) => {
                out.push_str(text);
                rest = &after[close + 1..];
            }
            None => {
                out.push('{');
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests;
