//! The chaos run's settings, read once from the `CHAOS_*` variables chaos.sh sets (and the ones
//! a person sets: `CHAOS_RUNS`, `CHAOS_SECONDS`, `CHAOS_QUICK`, `CHAOS_SEED`).

use std::path::PathBuf;

#[derive(Clone)]
pub struct Config {
    /// `postgres://postgres@127.0.0.1:PORT`, without a database.
    pub admin_url: String,
    pub pg_bin: PathBuf,
    pub pg_data: PathBuf,
    pub pg_log: PathBuf,
    /// The postmaster's options, as chaos.sh first started it (`pg_ctl -o`).
    pub pg_opts: String,
    /// How to run pg_ctl as the cluster's owner (`runuser -u postgres --` when run as root).
    pub pg_runas: Vec<String>,
    pub server_bin: PathBuf,
    /// target/chaos: logs, kept databases' names, the report.
    pub out: PathBuf,
    pub runs: usize,
    pub seconds: f64,
    /// The first run's seed; run n uses seed + n.
    pub seed: u64,
    /// `CHAOS_SERVER_LOG`: the servers' `RUST_LOG` (default `warn`).
    pub server_log: String,
}

fn var(name: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| {
        eprintln!("{name} is not set; run the chaos test with server/scripts/chaos.sh");
        std::process::exit(2)
    })
}

fn number<T: std::str::FromStr>(name: &str) -> Option<T> {
    let text = std::env::var(name).ok()?;
    match text.trim().parse() {
        Ok(n) => Some(n),
        Err(_) => {
            eprintln!("{name}={text:?} is not a number");
            std::process::exit(2)
        }
    }
}

impl Config {
    pub fn from_env() -> Self {
        let quick = std::env::var("CHAOS_QUICK").is_ok_and(|v| v == "1");
        let seed = number("CHAOS_SEED").unwrap_or_else(|| {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(1, |d| d.as_nanos() as u64 % 1_000_000_000)
        });
        Config {
            admin_url: var("CHAOS_ADMIN_URL"),
            pg_bin: var("CHAOS_PG_BIN").into(),
            pg_data: var("CHAOS_PG_DATA").into(),
            pg_log: var("CHAOS_PG_LOG").into(),
            pg_opts: var("CHAOS_PG_OPTS"),
            pg_runas: std::env::var("CHAOS_PG_RUNAS")
                .unwrap_or_default()
                .split_whitespace()
                .map(str::to_owned)
                .collect(),
            server_bin: var("CHAOS_SERVER_BIN").into(),
            out: var("CHAOS_OUT").into(),
            runs: number("CHAOS_RUNS").unwrap_or(if quick { 3 } else { 50 }),
            seconds: number("CHAOS_SECONDS").unwrap_or(if quick { 5.0 } else { 10.0 }),
            seed,
            server_log: std::env::var("CHAOS_SERVER_LOG").unwrap_or_else(|_| "warn".into()),
        }
    }

    pub fn database_url(&self, db: &str) -> String {
        format!("{}/{db}", self.admin_url)
    }
}
