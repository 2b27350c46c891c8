//! Every setting the server reads from its environment, read once at start-up into one typed
//! value. Nothing else reads the environment: a setting is named, documented and defaulted here.

use std::net::IpAddr;
use std::path::PathBuf;
use std::time::Duration;

use ipnet::IpNet;
use leptos::config::LeptosOptions;

/// How the server is configured. `Default` is what a test or a fresh checkout gets.
#[derive(Debug, Clone)]
pub struct Config {
    /// `DATABASE_URL`: the PostgreSQL database. Unset or empty: a private embedded cluster.
    pub database_url: Option<String>,
    /// `DATABASE_POOL_SIZE`: connections kept to PostgreSQL, as written (checked by the server).
    pub database_pool_size: Option<String>,
    /// `BAZAAR_DATA_DIR`: where the embedded cluster keeps its data (default `.data`).
    pub data_dir: PathBuf,
    /// `BAZAAR_PG_BIN`: the PostgreSQL server binaries for the embedded cluster, if not found.
    pub pg_bin: Option<PathBuf>,
    /// `BAZAAR_DEMO`: `Some(true)` seeds the demo store into an empty database, `Some(false)`
    /// never does; `None` leaves it to the server (on with the embedded cluster only).
    pub demo: Option<bool>,
    /// `BAZAAR_STORE_NAME`, `BAZAAR_STORE_TIME_ZONE`: defaults for a brand-new store.
    pub store_name: String,
    pub store_time_zone: String,
    /// `BAZAAR_DEFAULT_LANGUAGE` (`en` or `es`, default `en`): the store's language, spoken to
    /// anyone who has not chosen one and whose browser asks for neither.
    pub default_language: crate::domain::i18n::Lang,
    /// `BAZAAR_PUBLIC_URL`'s scheme and host (`https://rewards.example.com`), as browsers
    /// send it in `Origin`: state-changing requests must come from it. Unset: from the host the
    /// request was sent to.
    pub public_origin: Option<String>,
    /// `BAZAAR_PUBLIC_URL` starts with `https://`: `Secure` and `__Host-` cookies, HSTS.
    pub https: bool,
    /// `BAZAAR_TRUSTED_PROXIES`: address ranges of the reverse proxies in front of the server
    /// (`10.0.0.0/8,127.0.0.1`). A request from one of them is from the right-most
    /// `X-Forwarded-For` entry that is not one of them; from anyone else, from its peer.
    pub trusted_proxies: Vec<IpNet>,
    /// `BAZAAR_HASHING_CONCURRENCY`: passwords hashed or checked at once (each takes 19 MiB and
    /// a core for a fraction of a second). Default: the machine's cores.
    pub hashing_concurrency: usize,
    /// How long a sign-in or sign-up waits for a hashing slot before hearing "busy".
    pub hashing_wait: Duration,
    /// New accounts per address per hour, and in all per minute, before sign-up says "wait".
    pub sign_ups_per_address_hour: i64,
    pub sign_ups_per_minute: i64,
    /// `BAZAAR_SMTP_URL`: the mail server, as `smtp://user:password@host:587` (STARTTLS when the
    /// server offers it; `?tls=required` insists) or `smtps://host:465`. Unset: mail stays in
    /// the admins' mailbox at `/staff/mailbox` (the run command's default).
    pub smtp_url: Option<String>,
    /// `BAZAAR_MAIL_FROM`: who mail comes from (`Rewards Bazaar <rewards@example.com>`).
    pub mail_from: String,
    /// Admins must sign in with two-factor to use admin pages. Always, except in the demo store
    /// listening on this machine only (the server turns it off there, as it keeps the published
    /// demo passwords only there): a newcomer reads the demo's mail without an authenticator.
    pub admin_two_factor: bool,
    /// A setting that could not be read: the server refuses to start, naming it.
    pub problems: Vec<String>,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            database_url: None,
            database_pool_size: None,
            data_dir: PathBuf::from(".data"),
            pg_bin: None,
            demo: None,
            store_name: "Rewards Bazaar".into(),
            store_time_zone: "UTC".into(),
            default_language: crate::domain::i18n::Lang::En,
            public_origin: None,
            https: false,
            trusted_proxies: Vec::new(),
            hashing_concurrency: std::thread::available_parallelism().map_or(2, |n| n.get()),
            hashing_wait: Duration::from_secs(3),
            sign_ups_per_address_hour: 20,
            sign_ups_per_minute: 300,
            smtp_url: None,
            mail_from: "Rewards Bazaar <rewards@localhost>".into(),
            admin_two_factor: true,
            problems: Vec::new(),
        }
    }
}

impl Config {
    /// Reads every `BAZAAR_*` and `DATABASE_*` variable.
    pub fn from_env() -> Self {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    /// The same reading from any source of variables (tests pass a map).
    pub fn from_lookup(var: impl Fn(&str) -> Option<String>) -> Self {
        let set = |name: &str| var(name).filter(|v| !v.is_empty());
        let defaults = Config::default();
        let mut problems = Vec::new();
        let public_url = set("BAZAAR_PUBLIC_URL");
        let public_origin = public_url.as_deref().and_then(|url| {
            let origin = origin_of(url);
            if origin.is_none() {
                problems.push(format!(
                    "BAZAAR_PUBLIC_URL {url:?} is not an http:// or https:// address such as https://rewards.example.com"
                ));
            }
            origin
        });
        let trusted_proxies = set("BAZAAR_TRUSTED_PROXIES")
            .map(|list| {
                parse_ranges(&list).unwrap_or_else(|bad| {
                    problems.push(format!(
                        "BAZAAR_TRUSTED_PROXIES: {bad:?} is not an address or range such as 10.0.0.0/8"
                    ));
                    Vec::new()
                })
            })
            .unwrap_or_default();
        if set("BAZAAR_TRUST_PROXY").is_some() {
            problems.push(
                "BAZAAR_TRUST_PROXY is replaced by BAZAAR_TRUSTED_PROXIES, the address ranges of your proxies (README, Behind a proxy)".into(),
            );
        }
        let hashing_concurrency = match set("BAZAAR_HASHING_CONCURRENCY") {
            None => defaults.hashing_concurrency,
            Some(text) => text
                .parse()
                .ok()
                .filter(|n| (1..=256).contains(n))
                .unwrap_or_else(|| {
                    problems.push(format!(
                        "BAZAAR_HASHING_CONCURRENCY {text:?} is not a number from 1 to 256"
                    ));
                    defaults.hashing_concurrency
                }),
        };
        let default_language = match set("BAZAAR_DEFAULT_LANGUAGE") {
            None => defaults.default_language,
            Some(code) => crate::domain::i18n::Lang::ALL
                .into_iter()
                .find(|lang| lang.code() == code)
                .unwrap_or_else(|| {
                    problems.push(format!(
                        "BAZAAR_DEFAULT_LANGUAGE {code:?} is not a language the bazaar speaks: en or es"
                    ));
                    defaults.default_language
                }),
        };
        Config {
            database_url: set("DATABASE_URL"),
            database_pool_size: set("DATABASE_POOL_SIZE"),
            data_dir: set("BAZAAR_DATA_DIR").map_or(defaults.data_dir, PathBuf::from),
            pg_bin: set("BAZAAR_PG_BIN").map(PathBuf::from),
            demo: match set("BAZAAR_DEMO").as_deref() {
                Some("1" | "true" | "yes") => Some(true),
                Some("0" | "false" | "no") => Some(false),
                _ => None,
            },
            store_name: set("BAZAAR_STORE_NAME").unwrap_or(defaults.store_name),
            store_time_zone: set("BAZAAR_STORE_TIME_ZONE").unwrap_or(defaults.store_time_zone),
            https: public_origin
                .as_deref()
                .is_some_and(|u| u.starts_with("https://")),
            public_origin,
            trusted_proxies,
            hashing_concurrency,
            default_language,
            smtp_url: set("BAZAAR_SMTP_URL"),
            mail_from: set("BAZAAR_MAIL_FROM").unwrap_or(defaults.mail_from),
            problems,
            ..defaults
        }
    }

    /// Whether `peer` is one of the trusted proxies.
    pub fn is_trusted_proxy(&self, peer: IpAddr) -> bool {
        self.trusted_proxies
            .iter()
            .any(|range| range.contains(&peer))
    }

    /// Leptos' own settings (`LEPTOS_SITE_ADDR`, `LEPTOS_SITE_ROOT`, …, set by cargo-leptos and
    /// the README's run command), read by Leptos from the same environment.
    pub fn leptos() -> Result<LeptosOptions, String> {
        leptos::config::get_configuration(None)
            .map(|conf| conf.leptos_options)
            .map_err(|e| format!("reading the Leptos configuration: {e}"))
    }
}

/// `scheme://host[:port]` of an http(s) URL, lower-cased, as an `Origin` header carries it.
fn origin_of(url: &str) -> Option<String> {
    let (scheme, rest) = url.split_once("://")?;
    let scheme = scheme.to_ascii_lowercase();
    let host = rest.split(['/', '?', '#']).next()?.to_ascii_lowercase();
    let valid = matches!(scheme.as_str(), "http" | "https")
        && !host.is_empty()
        && !host.contains('@')
        && host.bytes().all(|b| b.is_ascii_graphic());
    valid.then(|| format!("{scheme}://{host}"))
}

/// A comma-separated list of addresses (`10.0.0.7`) and ranges (`10.0.0.0/8`); `Err` holds the
/// first entry that is neither.
fn parse_ranges(list: &str) -> Result<Vec<IpNet>, String> {
    list.split(',')
        .map(str::trim)
        .filter(|entry| !entry.is_empty())
        .map(|entry| {
            entry
                .parse::<IpNet>()
                .or_else(|_| entry.parse::<IpAddr>().map(IpNet::from))
                .map_err(|_| entry.to_owned())
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::Config;
    use std::collections::HashMap;

    fn read(pairs: &[(&str, &str)]) -> Config {
        let vars: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        Config::from_lookup(|name| vars.get(name).cloned())
    }

    #[test]
    fn unset_and_empty_settings_take_their_defaults() {
        let config = read(&[("DATABASE_URL", ""), ("BAZAAR_DEMO", "maybe")]);
        assert_eq!(config.database_url, None);
        assert_eq!(config.demo, None);
        assert_eq!(config.data_dir, std::path::PathBuf::from(".data"));
        assert_eq!(config.store_time_zone, "UTC");
        assert!(!config.https && config.trusted_proxies.is_empty());
        assert!(config.problems.is_empty());
    }

    #[test]
    fn settings_that_cannot_be_read_are_named_so_the_server_does_not_start() {
        let config = read(&[
            ("BAZAAR_TRUSTED_PROXIES", "10.0.0.0/8, proxy.internal"),
            ("BAZAAR_PUBLIC_URL", "rewards.example.com"),
            ("BAZAAR_TRUST_PROXY", "1"),
            ("BAZAAR_HASHING_CONCURRENCY", "0"),
            ("BAZAAR_DEFAULT_LANGUAGE", "fr"),
        ]);
        assert_eq!(
            config.problems,
            [
                "BAZAAR_PUBLIC_URL \"rewards.example.com\" is not an http:// or https:// address such as https://rewards.example.com",
                "BAZAAR_TRUSTED_PROXIES: \"proxy.internal\" is not an address or range such as 10.0.0.0/8",
                "BAZAAR_TRUST_PROXY is replaced by BAZAAR_TRUSTED_PROXIES, the address ranges of your proxies (README, Behind a proxy)",
                "BAZAAR_HASHING_CONCURRENCY \"0\" is not a number from 1 to 256",
                "BAZAAR_DEFAULT_LANGUAGE \"fr\" is not a language the bazaar speaks: en or es",
            ]
        );
    }

    #[test]
    fn each_setting_is_read_from_its_variable() {
        let config = read(&[
            ("DATABASE_URL", "postgres://db/bazaar"),
            ("BAZAAR_DEMO", "no"),
            ("BAZAAR_PUBLIC_URL", "HTTPS://Rewards.example.com/bazaar"),
            ("BAZAAR_TRUSTED_PROXIES", "10.0.0.0/8, 192.0.2.7"),
            ("BAZAAR_STORE_TIME_ZONE", "Europe/Madrid"),
            ("BAZAAR_DEFAULT_LANGUAGE", "es"),
        ]);
        assert_eq!(config.default_language, crate::domain::i18n::Lang::Es);
        assert_eq!(config.database_url.as_deref(), Some("postgres://db/bazaar"));
        assert_eq!(config.demo, Some(false));
        assert!(config.https);
        assert_eq!(
            config.public_origin.as_deref(),
            Some("https://rewards.example.com")
        );
        assert!(config.is_trusted_proxy("10.1.2.3".parse().unwrap()));
        assert!(config.is_trusted_proxy("192.0.2.7".parse().unwrap()));
        assert!(!config.is_trusted_proxy("192.0.2.8".parse().unwrap()));
        assert_eq!(config.store_time_zone, "Europe/Madrid");
    }
}
