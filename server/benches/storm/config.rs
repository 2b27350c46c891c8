//! The benchmark's settings, read once from the `BENCH_*` variables bench.sh sets: the only
//! place the benchmark reads its environment.

/// Where the servers, databases and tools are, and how long and how hard to storm.
pub struct Config {
    pub storm_url: String,
    pub page_url: String,
    pub database_url: String,
    pub baseline_url: String,
    pub pgbench: String,
    pub server_pid: u32,
    pub wasm: String,
    pub lighthouse: String,
    /// The same runs on the page in Spanish.
    pub lighthouse_es: String,
    pub seconds: u64,
    pub members: usize,
    /// `BENCH_QUICK=1`: only pgbench and the hot reward at 64 clients, closed and open loop (at
    /// 80% of that), for trying a change to the redeem path in a minute rather than the whole
    /// report.
    pub quick: bool,
    /// `BENCH_HERD_PAGES` (default 5,000): open pages in the herd row.
    pub herd_pages: usize,
    /// `BENCH_ONLY=herd,hashing`: only these rows (no pgbench or storm table; `pages` is the
    /// page measurements with Lighthouse and the bundle), for trying a change to what they
    /// measure.
    pub only: Option<Vec<String>>,
    /// `BAZAAR_HASHING_CONCURRENCY` as the storm server got it (unset: one slot per core).
    pub hashing_slots: Option<String>,
    /// `BENCH_LIFETIMES_PYTHON`: the Python with the pinned `lifetimes` (bench.sh makes it).
    pub lifetimes_python: String,
    /// `BENCH_COMPARE=<commit>`: that commit's demo-store server (bench.sh builds and starts it),
    /// as (commit, URL), for the signed-in bazaar page of this build against it.
    pub previous: Option<(String, String)>,
}

impl Config {
    /// Whether the run includes `row` (`herd`, `hashing`): every row unless `BENCH_ONLY` names
    /// some; none of the new rows in a `BENCH_QUICK` run.
    pub fn runs(&self, row: &str) -> bool {
        if row == "compare" {
            return self.previous.is_some();
        }
        match &self.only {
            Some(rows) => rows.iter().any(|r| r == row),
            None => !self.quick,
        }
    }
}

fn var(name: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| {
        eprintln!("{name} is not set; run the benchmark with server/scripts/bench.sh");
        std::process::exit(2)
    })
}

impl Config {
    pub fn from_env() -> Self {
        Self {
            storm_url: var("BENCH_STORM_URL"),
            page_url: var("BENCH_PAGE_URL"),
            database_url: var("BENCH_DATABASE_URL"),
            baseline_url: var("BENCH_BASELINE_URL"),
            pgbench: var("BENCH_PGBENCH"),
            server_pid: var("BENCH_SERVER_PID").parse().expect("a process id"),
            wasm: var("BENCH_WASM"),
            lighthouse: var("BENCH_LIGHTHOUSE_JSON"),
            lighthouse_es: var("BENCH_LIGHTHOUSE_ES_JSON"),
            seconds: std::env::var("BENCH_SECONDS")
                .ok()
                .and_then(|s| s.parse().ok())
                .unwrap_or(10),
            members: std::env::var("BENCH_MEMBERS")
                .ok()
                .and_then(|s| s.parse().ok())
                .unwrap_or(2_000),
            quick: std::env::var("BENCH_QUICK").is_ok_and(|v| v == "1"),
            herd_pages: std::env::var("BENCH_HERD_PAGES")
                .ok()
                .and_then(|s| s.parse().ok())
                .unwrap_or(5_000),
            only: std::env::var("BENCH_ONLY")
                .ok()
                .filter(|v| !v.trim().is_empty())
                .map(|v| {
                    let rows: Vec<String> = v.split(',').map(|r| r.trim().to_owned()).collect();
                    if let Some(bad) = rows.iter().find(|r| {
                        !["herd", "hashing", "insights", "reminders", "pages", "compare"]
                            .contains(&r.as_str())
                    }) {
                        eprintln!(
                            "BENCH_ONLY: {bad:?} is not a row (herd, hashing, insights, reminders, pages, compare)"
                        );
                        std::process::exit(2);
                    }
                    rows
                }),
            hashing_slots: std::env::var("BAZAAR_HASHING_CONCURRENCY").ok(),
            lifetimes_python: std::env::var("BENCH_LIFETIMES_PYTHON")
                .unwrap_or_else(|_| "python3".to_owned()),
            previous: std::env::var("BENCH_COMPARE")
                .ok()
                .filter(|v| !v.trim().is_empty())
                .map(|commit| (commit, var("BENCH_PREVIOUS_URL"))),
        }
    }
}
