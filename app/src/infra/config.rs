//! Every setting the server reads from its environment, read once at start-up into one typed
//! value. Nothing else reads the environment: a setting is named, documented and defaulted here.

use std::path::PathBuf;

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
    /// `BAZAAR_PUBLIC_URL` starts with `https://`: cookies get `Secure`.
    pub https: bool,
    /// `BAZAAR_TRUST_PROXY=1`: the client's address is the last `X-Forwarded-For` entry.
    pub trust_proxy: bool,
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
            https: false,
            trust_proxy: false,
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
            https: set("BAZAAR_PUBLIC_URL").is_some_and(|u| u.starts_with("https://")),
            trust_proxy: set("BAZAAR_TRUST_PROXY").as_deref() == Some("1"),
        }
    }

    /// Leptos' own settings (`LEPTOS_SITE_ADDR`, `LEPTOS_SITE_ROOT`, …, set by cargo-leptos and
    /// the README's run command), read by Leptos from the same environment.
    pub fn leptos() -> Result<LeptosOptions, String> {
        leptos::config::get_configuration(None)
            .map(|conf| conf.leptos_options)
            .map_err(|e| format!("reading the Leptos configuration: {e}"))
    }
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
        assert!(!config.https && !config.trust_proxy);
    }

    #[test]
    fn each_setting_is_read_from_its_variable() {
        let config = read(&[
            ("DATABASE_URL", "postgres://db/bazaar"),
            ("BAZAAR_DEMO", "no"),
            ("BAZAAR_PUBLIC_URL", "https://rewards.example.com"),
            ("BAZAAR_TRUST_PROXY", "1"),
            ("BAZAAR_STORE_TIME_ZONE", "Europe/Madrid"),
        ]);
        assert_eq!(config.database_url.as_deref(), Some("postgres://db/bazaar"));
        assert_eq!(config.demo, Some(false));
        assert!(config.https && config.trust_proxy);
        assert_eq!(config.store_time_zone, "Europe/Madrid");
    }
}
