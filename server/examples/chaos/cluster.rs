//! The processes the run breaks: the throwaway PostgreSQL cluster chaos.sh started (killed with
//! SIGKILL, postmaster and every backend, and started again with pg_ctl) and the two release
//! servers (killed with SIGKILL and started again on the same port).

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use sqlx::{Connection, PgConnection};
use tokio::io::AsyncWriteExt;
use tokio::sync::Mutex;

use crate::config::Config;

unsafe extern "C" {
    /// libc's kill(2): std offers it only for its own children, and the moment between seeing
    /// a commit in flight and killing its backend must not include starting a `kill` process.
    #[link_name = "kill"]
    fn libc_kill(pid: i32, sig: i32) -> i32;
}

pub fn sigkill(pid: u32) {
    // SAFETY: kill(2) takes plain integers and has no memory effects on this process.
    unsafe {
        libc_kill(pid as i32, 9);
    }
}

/// What `pg_stat_activity` showed just before a kill.
#[derive(Clone, Copy, Default, Debug)]
pub struct Snapshot {
    /// Backends of the run's database in a transaction that holds a transaction id
    /// (`state` active or idle in transaction, `backend_xid` set).
    pub open_xacts: i64,
    /// Of those, redemption batches (the writer's transaction: it locks or wrote `redemptions`,
    /// or is locking its accounts and items).
    pub open_batches: i64,
    /// Redemption batches whose COMMIT is executing.
    pub committing: i64,
}

impl Snapshot {
    pub fn label(&self) -> &'static str {
        if self.committing > 0 {
            "COMMIT of a batch"
        } else if self.open_batches > 0 {
            "open batch"
        } else if self.open_xacts > 0 {
            "other open xact"
        } else {
            "no open xact"
        }
    }

    pub fn hit_batch(&self) -> bool {
        self.committing > 0 || self.open_batches > 0
    }
}

const SNAPSHOT: &str = r#"
WITH a AS (
    SELECT a.pid, a.state, a.query, a.backend_xid IS NOT NULL AS has_xid,
           EXISTS (SELECT 1 FROM pg_locks l WHERE l.pid = a.pid AND l.relation = 'redemptions'::regclass) AS wrote,
           EXISTS (SELECT 1 FROM pg_locks l WHERE l.pid = a.pid AND l.relation = 'drop_items'::regclass) AS items
    FROM pg_stat_activity a
    WHERE a.datname = current_database() AND a.pid <> pg_backend_pid()
      AND a.state IN ('active', 'idle in transaction')
)
SELECT
    count(*) FILTER (WHERE has_xid) AS open_xacts,
    count(*) FILTER (WHERE has_xid AND (wrote OR query ILIKE '%FOR NO KEY UPDATE%'
        OR (items AND query NOT ILIKE '%redemption_attempts%' AND query NOT ILIKE 'COMMIT%'))) AS open_batches,
    count(*) FILTER (WHERE state = 'active' AND query ILIKE 'COMMIT%' AND wrote) AS committing
FROM a
"#;

pub struct Postgres {
    pub config: Config,
    data: PathBuf,
}

impl Postgres {
    pub fn new(config: &Config) -> Result<Self> {
        let data = std::fs::canonicalize(&config.pg_data)
            .with_context(|| format!("the cluster's data folder {}", config.pg_data.display()))?;
        Ok(Postgres {
            config: config.clone(),
            data,
        })
    }

    /// Every live process of this cluster: the postmaster and its children all work in the data
    /// folder (backends start their own sessions, so the postmaster's process group does not
    /// hold them, and once the postmaster is gone their parent is no longer it). Other clusters
    /// on the machine have other folders.
    pub fn pids(&self) -> Vec<u32> {
        let Ok(entries) = std::fs::read_dir("/proc") else {
            return Vec::new();
        };
        entries
            .filter_map(|e| e.ok()?.file_name().to_str()?.parse::<u32>().ok())
            .filter(|pid| {
                std::fs::read_link(format!("/proc/{pid}/cwd")).is_ok_and(|cwd| cwd == self.data)
            })
            .collect()
    }

    async fn snapshot(conn: &mut PgConnection) -> Option<Snapshot> {
        let row: (i64, i64, i64) = sqlx::query_as(SNAPSHOT).fetch_one(conn).await.ok()?;
        Some(Snapshot {
            open_xacts: row.0,
            open_batches: row.1,
            committing: row.2,
        })
    }

    /// Kills the whole cluster with SIGKILL. Aimed: watches `pg_stat_activity` of `db_url`'s
    /// database for up to `window` and kills the moment a redemption batch is committing (after
    /// half the window, an open batch will do). Returns what the last look before the kill saw.
    pub async fn kill(&self, db_url: &str, aimed: bool, window: Duration) -> Snapshot {
        let mut seen = Snapshot::default();
        let mut pids = self.pids();
        if let Ok(mut conn) = PgConnection::connect(db_url).await {
            let begun = Instant::now();
            let mut listed = Instant::now();
            loop {
                match Self::snapshot(&mut conn).await {
                    Some(s) => seen = s,
                    None => break,
                }
                if !aimed
                    || seen.committing > 0
                    || (seen.open_batches > 0 && begun.elapsed() > window / 2)
                    || begun.elapsed() > window
                {
                    break;
                }
                if listed.elapsed() > Duration::from_millis(100) {
                    pids = self.pids();
                    listed = Instant::now();
                }
            }
            drop(conn);
        }
        // Backends first (the one committing among them), then the postmaster, in a few
        // microseconds; then whatever the list missed, until nothing of the cluster is left.
        let postmaster = self.postmaster_pid();
        for &pid in pids.iter().filter(|p| Some(**p) != postmaster) {
            sigkill(pid);
        }
        if let Some(pid) = postmaster {
            sigkill(pid);
        }
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let left = self.pids();
            if left.is_empty() || Instant::now() > deadline {
                break;
            }
            left.into_iter().for_each(sigkill);
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        // PostgreSQL refuses to start while the old postmaster's pid exists, and a killed
        // postmaster exists (as a zombie) until init reaps it.
        if let Some(pid) = postmaster {
            while Path::new(&format!("/proc/{pid}")).exists() && Instant::now() < deadline {
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
        }
        seen
    }

    fn postmaster_pid(&self) -> Option<u32> {
        std::fs::read_to_string(self.data.join("postmaster.pid"))
            .ok()?
            .lines()
            .next()?
            .trim()
            .parse()
            .ok()
    }

    /// Starts the cluster with pg_ctl (as its owner) and waits until it accepts connections,
    /// crash recovery included.
    pub async fn start(&self) -> Result<()> {
        for attempt in 1..=5 {
            let c = &self.config;
            let mut command = match c.pg_runas.split_first() {
                Some((first, rest)) => {
                    let mut cmd = tokio::process::Command::new(first);
                    cmd.args(rest);
                    cmd.arg(c.pg_bin.join("pg_ctl"));
                    cmd
                }
                None => tokio::process::Command::new(c.pg_bin.join("pg_ctl")),
            };
            command
                .arg("-D")
                .arg(&c.pg_data)
                .args(["-w", "-t", "120", "-l"])
                .arg(&c.pg_log)
                .arg("-o")
                .arg(&c.pg_opts)
                .arg("start")
                .stdout(Stdio::null())
                .stderr(Stdio::piped());
            let out = command.output().await.context("running pg_ctl")?;
            if out.status.success() {
                return Ok(());
            }
            eprintln!(
                "    pg_ctl start failed (attempt {attempt}): {}",
                String::from_utf8_lossy(&out.stderr).trim()
            );
            tokio::time::sleep(Duration::from_millis(500)).await;
        }
        bail!(
            "PostgreSQL did not start again; see {}",
            self.config.pg_log.display()
        )
    }

    pub fn is_up(&self) -> bool {
        self.postmaster_pid()
            .is_some_and(|pid| self.pids().contains(&pid))
    }
}

/// One release server: its port stays the same across restarts.
pub struct Server {
    pub port: u16,
    child: Option<tokio::process::Child>,
    /// Set when we killed it on purpose; a server that exited otherwise is a finding.
    pub starts: u32,
}

pub struct Servers {
    config: Config,
    database_url: String,
    log_dir: PathBuf,
    slots: [Mutex<Server>; 2],
}

pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

impl Servers {
    pub fn new(config: &Config, database_url: &str, log_dir: &Path) -> Self {
        let slot = || {
            Mutex::new(Server {
                port: free_port(),
                child: None,
                starts: 0,
            })
        };
        Servers {
            config: config.clone(),
            database_url: database_url.to_owned(),
            log_dir: log_dir.to_owned(),
            slots: [slot(), slot()],
        }
    }

    pub async fn port(&self, n: usize) -> u16 {
        self.slots[n].lock().await.port
    }

    fn log(&self, n: usize) -> PathBuf {
        self.log_dir.join(format!("server-{n}.log"))
    }

    /// Starts server `n` and waits until it listens; while PostgreSQL is down it exits at once
    /// (it migrates before listening), so it is started again until it stays up.
    pub async fn start(&self, n: usize, since: Instant) -> Result<()> {
        let mut slot = self.slots[n].lock().await;
        let deadline = Instant::now() + Duration::from_secs(120);
        loop {
            let mut log = tokio::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(self.log(n))
                .await?;
            log.write_all(
                format!(
                    "\n===== chaos: start at {} ms into the run\n",
                    since.elapsed().as_millis()
                )
                .as_bytes(),
            )
            .await?;
            let log = log.into_std().await;
            let mut child = tokio::process::Command::new(&self.config.server_bin)
                .env("DATABASE_URL", &self.database_url)
                .env("BAZAAR_DEMO", "0")
                .env("LEPTOS_SITE_ADDR", format!("127.0.0.1:{}", slot.port))
                .env("RUST_LOG", &self.config.server_log)
                .stdin(Stdio::null())
                .stdout(log.try_clone()?)
                .stderr(log)
                .kill_on_drop(true)
                .spawn()
                .context("starting the release server")?;
            if let Some(pid) = child.id() {
                record_pid(&self.config, pid);
            }
            slot.starts += 1;
            loop {
                if tokio::net::TcpStream::connect(("127.0.0.1", slot.port))
                    .await
                    .is_ok()
                {
                    slot.child = Some(child);
                    return Ok(());
                }
                if child.try_wait()?.is_some() {
                    break;
                }
                if Instant::now() > deadline {
                    let _ = child.start_kill();
                    bail!("server {n} did not start; see {}", self.log(n).display());
                }
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
            if Instant::now() > deadline {
                bail!("server {n} kept exiting; see {}", self.log(n).display());
            }
            tokio::time::sleep(Duration::from_millis(300)).await;
        }
    }

    /// SIGKILL to server `n`; waits until it is gone.
    pub async fn kill(&self, n: usize) {
        let mut slot = self.slots[n].lock().await;
        if let Some(mut child) = slot.child.take() {
            let _ = child.start_kill();
            let _ = child.wait().await;
        }
    }

    /// Whether server `n` exited without being killed, and how.
    pub async fn exited(&self, n: usize) -> Option<String> {
        let mut slot = self.slots[n].lock().await;
        match slot.child.as_mut().map(|c| c.try_wait()) {
            Some(Ok(Some(status))) => Some(status.to_string()),
            Some(Err(e)) => Some(e.to_string()),
            None => Some("not running".into()),
            Some(Ok(None)) => None,
        }
    }

    pub async fn stop_all(&self) {
        for n in 0..2 {
            self.kill(n).await;
        }
    }

    pub fn log_path(&self, n: usize) -> PathBuf {
        self.log(n)
    }
}

/// Server process ids go to a file chaos.sh reads on exit, so none outlives the script even if
/// this program is killed.
fn record_pid(config: &Config, pid: u32) {
    use std::io::Write;
    if let Ok(mut f) = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(config.out.join("server.pids"))
    {
        let _ = writeln!(f, "{pid}");
    }
}
