//! What the benchmark reports: the figures of each run, the machine, memory, bundle sizes and
//! Lighthouse's scores, and the sections and targets table of the markdown printed.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::io::Write as _;
use std::time::Duration;

use chrono::Utc;

use crate::config::Config;
use crate::load::{Answer, Timing};

/// A target of the table: what, the figure measured, and whether it was met.
pub type Target = (String, String, bool);

/// What one run saw. Refusals and failures are counted by the error's kind, as the server
/// names it (`{"kind": "busy"}`) with its status: `busy 429`, `already_pressing 429`,
/// `overloaded 503`…
#[derive(Default)]
pub struct Figures {
    pub ok: u64,
    /// Answers with a 5xx status (also counted by kind in `refused`).
    pub server_errors: u64,
    pub transport_errors: u64,
    /// Answers other than 2xx, by "kind status".
    pub refused: BTreeMap<String, u64>,
    pub micros: Vec<u64>,
    /// Each press the writer settled: its latency (µs) and where its time went in the server.
    pub timed: Vec<(u64, Timing)>,
    pub elapsed: Duration,
}

impl Figures {
    pub fn record(&mut self, answer: Result<Answer, ()>, micros: u64) {
        if let Some(timing) = answer.as_ref().ok().and_then(|a| a.timing) {
            self.timed.push((micros, timing));
        }
        match answer {
            Ok(a) if (200..300).contains(&a.status) => self.ok += 1,
            Ok(a) => {
                if a.status >= 500 {
                    self.server_errors += 1;
                }
                *self.refused.entry(a.label()).or_default() += 1;
            }
            Err(()) => self.transport_errors += 1,
        }
        self.micros.push(micros);
    }

    pub fn merge(&mut self, other: Figures) {
        self.ok += other.ok;
        self.server_errors += other.server_errors;
        self.transport_errors += other.transport_errors;
        for (kind, n) in other.refused {
            *self.refused.entry(kind).or_default() += n;
        }
        self.micros.extend(other.micros);
        self.timed.extend(other.timed);
    }

    /// Where the time of the slowest 1% of presses went, beside the middle 10%: waiting in
    /// the line, the batch's statements, its commit (the WAL flush), the batch's size, and the
    /// rest (outside the writer: the client's wait for a connection, HTTP, the session and
    /// account reads through the shared pool, the answer).
    pub fn breakdown(&mut self, run: &str) -> String {
        if self.timed.is_empty() {
            return format!("{run}: no press carried a Server-Timing header.\n");
        }
        self.timed.sort_unstable_by_key(|(micros, _)| *micros);
        let n = self.timed.len();
        let slowest = &self.timed[(n * 99 / 100).min(n - 1)..];
        let median = &self.timed[n * 45 / 100..(n * 55 / 100).max(n * 45 / 100 + 1)];
        let row = |label: &str, presses: &[(u64, Timing)]| {
            let k = presses.len() as f64;
            let mean = |f: fn(&Timing) -> f64| presses.iter().map(|(_, t)| f(t)).sum::<f64>() / k;
            let total = presses.iter().map(|(m, _)| *m as f64 / 1000.0).sum::<f64>() / k;
            let (line, work, commit) = (mean(|t| t.line), mean(|t| t.work), mean(|t| t.commit));
            format!(
                "| {run}, {label} ({} presses) | {total:.1} | {line:.1} | {work:.1} | {commit:.1} | {:.0} | {:.1} |",
                presses.len(),
                mean(|t| t.batch),
                (total - line - work - commit).max(0.0),
            )
        };
        format!(
            "{}\n{}\n",
            row("middle 10% (p45–p55)", median),
            row("slowest 1%", slowest)
        )
    }

    pub fn ok_per_sec(&self) -> f64 {
        self.ok as f64 / self.elapsed.as_secs_f64()
    }

    pub fn answers_per_sec(&self) -> f64 {
        self.micros.len() as f64 / self.elapsed.as_secs_f64()
    }

    /// The `p` quantile in milliseconds (nearest rank).
    pub fn ms(&mut self, p: f64) -> f64 {
        if self.micros.is_empty() {
            return f64::NAN;
        }
        self.micros.sort_unstable();
        let rank = ((self.micros.len() as f64) * p).ceil() as usize;
        self.micros[rank.clamp(1, self.micros.len()) - 1] as f64 / 1000.0
    }

    /// Everything but the successes, most frequent first: `"12 busy 429, 3 timeout/transport"`.
    pub fn errors(&self) -> String {
        let mut kinds: Vec<(u64, String)> = self
            .refused
            .iter()
            .map(|(kind, n)| (*n, kind.clone()))
            .collect();
        if self.transport_errors > 0 {
            kinds.push((self.transport_errors, "timeout/transport".into()));
        }
        kinds.sort_by(|a, b| b.0.cmp(&a.0).then_with(|| a.1.cmp(&b.1)));
        if kinds.is_empty() {
            "none".into()
        } else {
            kinds
                .iter()
                .map(|(n, kind)| format!("{n} {kind}"))
                .collect::<Vec<_>>()
                .join(", ")
        }
    }

    /// Every answer by kind, the successes first: `"40 ok, 560 overloaded 503"`.
    pub fn answers(&self) -> String {
        let rest = self.errors();
        match (self.ok, rest.as_str()) {
            (0, _) => rest,
            (ok, "none") => format!("{ok} ok"),
            (ok, _) => format!("{ok} ok, {rest}"),
        }
    }
}

/// Peak and current resident memory of a process, in MiB, from /proc.
pub fn memory_mib(pid: u32) -> (f64, f64) {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    let field = |name: &str| {
        status
            .lines()
            .find_map(|l| l.strip_prefix(name))
            .and_then(|v| v.split_whitespace().next())
            .and_then(|kb| kb.parse::<f64>().ok())
            .map_or(f64::NAN, |kb| kb / 1024.0)
    };
    (field("VmHWM:"), field("VmRSS:"))
}

pub fn machine(pg_version: &str) -> String {
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|s| {
            s.lines()
                .find_map(|l| l.strip_prefix("model name"))
                .map(|v| v.trim_start_matches([' ', '\t', ':']).to_owned())
        })
        .unwrap_or_else(|| "unknown CPU".into());
    let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
    let mem_gib = std::fs::read_to_string("/proc/meminfo")
        .ok()
        .and_then(|s| {
            s.lines()
                .find_map(|l| l.strip_prefix("MemTotal:"))
                .and_then(|v| v.split_whitespace().next()?.parse::<f64>().ok())
        })
        .map_or(f64::NAN, |kb| kb / 1024.0 / 1024.0);
    let load = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
    let load: Vec<&str> = load.split_whitespace().take(3).collect();
    format!(
        "{} · {cores} cores ({cpu}) · {mem_gib:.0} GiB RAM · load average {} at start · {pg_version} (fsync on, synchronous_commit on)",
        Utc::now().format("%Y-%m-%d %H:%M UTC"),
        load.join(" ")
    )
}

fn kib(n: usize) -> f64 {
    n as f64 / 1024.0
}

/// Raw, gzip -9 and brotli 11 sizes of the hydrate bundle, in bytes.
fn wasm_sizes(path: &str) -> (usize, usize, usize) {
    let raw = std::fs::read(path).unwrap_or_else(|e| panic!("reading {path}: {e}"));
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    gz.write_all(&raw).expect("gzip");
    let gzip = gz.finish().expect("gzip").len();
    let mut br = Vec::new();
    brotli::BrotliCompress(
        &mut raw.as_slice(),
        &mut br,
        &brotli::enc::BrotliEncoderParams {
            quality: 11,
            ..Default::default()
        },
    )
    .expect("brotli");
    (raw.len(), gzip, br.len())
}

/// Lighthouse's category scores (0–100) and key metrics from its JSON report.
struct Lighthouse {
    performance: f64,
    accessibility: f64,
    best_practices: f64,
    seo: f64,
    fcp_ms: f64,
    lcp_ms: f64,
    tbt_ms: f64,
    cls: f64,
}

fn lighthouse(path: &str) -> Option<Lighthouse> {
    let report: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(path).ok()?).ok()?;
    let score = |c: &str| {
        report["categories"][c]["score"]
            .as_f64()
            .map_or(f64::NAN, |s| s * 100.0)
    };
    let metric = |a: &str| {
        report["audits"][a]["numericValue"]
            .as_f64()
            .unwrap_or(f64::NAN)
    };
    Some(Lighthouse {
        performance: score("performance"),
        accessibility: score("accessibility"),
        best_practices: score("best-practices"),
        seo: score("seo"),
        fcp_ms: metric("first-contentful-paint"),
        lcp_ms: metric("largest-contentful-paint"),
        tbt_ms: metric("total-blocking-time"),
        cls: metric("cumulative-layout-shift"),
    })
}

fn verdict(met: bool) -> &'static str {
    if met { "met" } else { "**not met**" }
}

/// The front-end section: the hydrate bundle, its lazily loaded chunks, Lighthouse's scores.
pub fn front_end(config: &Config, report: &mut String, targets: &mut Vec<Target>) {
    let (raw, gzip, br) = wasm_sizes(&config.wasm);
    writeln!(
        report,
        "## Front end\n\nHydrate WebAssembly (what every page loads): raw {:.1} KiB, gzip {:.1} KiB, brotli {:.1} KiB.\n",
        kib(raw),
        kib(gzip),
        kib(br)
    )
    .unwrap();
    // The split-off chunks (the lazy routes: staff, account and sign-up pages, and code only
    // they share), each served compressed on its own, fetched only when such a page is shown.
    let chunks: Vec<(usize, usize, usize)> = std::fs::read_dir(
        std::path::Path::new(&config.wasm)
            .parent()
            .expect("the bundle's folder"),
    )
    .expect("reading the bundle's folder")
    .filter_map(|entry| entry.ok().map(|e| e.path()))
    .filter(|path| {
        path.extension().is_some_and(|x| x == "wasm")
            && path.as_os_str() != std::ffi::OsStr::new(&config.wasm)
    })
    .map(|path| wasm_sizes(&path.to_string_lossy()))
    .collect();
    if !chunks.is_empty() {
        writeln!(
            report,
            "Lazily loaded chunks (staff, account, sign-up and sign-in pages): {} files, raw {:.1} KiB, brotli {:.1} KiB in all.\n",
            chunks.len(),
            kib(chunks.iter().map(|c| c.0).sum()),
            kib(chunks.iter().map(|c| c.2).sum()),
        )
        .unwrap();
    }
    targets.push((
        "hydrate wasm ≤ 250 KB brotli".into(),
        format!("{:.1} KB", br as f64 / 1000.0),
        br <= 250_000,
    ));
    lighthouse_rows(&config.lighthouse, "English", report, targets);
    lighthouse_rows(&config.lighthouse_es, "Spanish", report, targets);
}

/// Lighthouse's scores on the bazaar page in one language, from the runs' reports at `paths`.
fn lighthouse_rows(paths: &str, language: &str, report: &mut String, targets: &mut Vec<Target>) {
    // Headless Chromium on a shared VM sometimes holds its first frame for about a second
    // whatever the page does, which swings one run's score by 20 points; Lighthouse's own advice
    // is the median of several runs.
    let mut runs: Vec<Lighthouse> = paths
        .split(',')
        .filter_map(lighthouse)
        .filter(|lh| !lh.performance.is_nan())
        .collect();
    runs.sort_by(|a, b| a.performance.total_cmp(&b.performance));
    let scores: Vec<String> = runs
        .iter()
        .map(|lh| format!("{:.0}", lh.performance))
        .collect();
    match runs.get(runs.len() / 2) {
        Some(lh) => {
            writeln!(
                report,
                "Lighthouse (mobile emulation, Debian Chromium) on the bazaar page in {language}, median of {} runs (performance per run: {}): performance {:.0}, accessibility {:.0}, best practices {:.0}, SEO {:.0}; FCP {:.0} ms, LCP {:.0} ms, TBT {:.0} ms, CLS {:.3}.\n",
                runs.len(), scores.join(", "),
                lh.performance, lh.accessibility, lh.best_practices, lh.seo, lh.fcp_ms, lh.lcp_ms, lh.tbt_ms, lh.cls
            )
            .unwrap();
            targets.push((
                format!("Lighthouse mobile performance ≥ 95 (median), {language}"),
                format!("{:.0}", lh.performance),
                lh.performance >= 95.0,
            ));
            targets.push((
                format!("Lighthouse accessibility 100, {language}"),
                format!("{:.0}", lh.accessibility),
                lh.accessibility >= 100.0,
            ));
        }
        None => {
            writeln!(
                report,
                "Lighthouse in {language}: no report at {paths} (see the bench log).\n"
            )
            .unwrap();
            targets.push((
                format!("Lighthouse, {language}"),
                "did not run".into(),
                false,
            ));
        }
    }
}

/// The targets table, last in the report.
pub fn targets_table(report: &mut String, targets: &mut Vec<Target>) {
    targets.push((
        "zero invariant violations in every run".into(),
        "0".into(),
        true,
    ));

    writeln!(
        report,
        "## Targets\n\n| target | measured | |\n|---|---|---|"
    )
    .unwrap();
    for (target, measured, met) in targets.iter() {
        writeln!(report, "| {target} | {measured} | {} |", verdict(*met)).unwrap();
    }
}
