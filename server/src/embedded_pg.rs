//! A private PostgreSQL cluster for running the portal without setting anything up.
//!
//! With `DATABASE_URL` unset, the server keeps a cluster of its own under the data folder
//! (`.data/postgres` by default), started from the machine's PostgreSQL binaries on a free
//! loopback port and stopped again when the server stops. PostgreSQL refuses to run as root, so
//! when the server runs as root the cluster runs as the `postgres` OS user.

use anyhow::{Context, Result, anyhow, bail};
use std::fs;
use std::io::Write;
use std::net::TcpListener;
use std::os::unix::fs::{PermissionsExt, chown};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

const DATABASE: &str = "bazaar";

pub struct EmbeddedPostgres {
    bin_dir: PathBuf,
    data_dir: PathBuf,
    log_file: PathBuf,
    /// The OS user the cluster runs as, when it is not the current user.
    run_as: Option<String>,
    port: u16,
    password: String,
    running: bool,
}

impl EmbeddedPostgres {
    /// Initialises the cluster under `root` on first use, then starts it (or adopts it, if a
    /// previous run was killed and left it running).
    pub fn start(root: &Path) -> Result<Self> {
        Self::start_with(root, None)
    }

    /// As [`start`](Self::start), with the server binaries in `bin` (`BAZAAR_PG_BIN`) if given,
    /// else the newest found on the machine.
    pub fn start_with(root: &Path, bin: Option<PathBuf>) -> Result<Self> {
        let bin_dir = match bin {
            Some(dir) => dir,
            None => find_bin_dir()?,
        };
        let run_as = if is_root() {
            Some(postgres_user()?)
        } else {
            None
        };
        let root = usable_root(root, run_as.as_deref())?;
        fs::create_dir_all(&root).with_context(|| format!("creating {}", root.display()))?;

        let mut pg = Self {
            bin_dir,
            data_dir: root.join("postgres"),
            log_file: root.join("postgres.log"),
            run_as,
            port: 0,
            password: String::new(),
            running: false,
        };
        let password_file = root.join("postgres.password");
        if !pg.data_dir.join("PG_VERSION").exists() {
            pg.init(&root, &password_file)?;
        }
        pg.password = fs::read_to_string(&password_file)
            .with_context(|| {
                format!(
                    "reading {} (the embedded database's password); delete {} to start afresh",
                    password_file.display(),
                    pg.data_dir.display()
                )
            })?
            .trim()
            .to_owned();

        if let Some(port) = pg.running_port() {
            tracing::info!(port, dir = %pg.data_dir.display(), "reusing the embedded PostgreSQL that is already running");
            pg.port = port;
        } else {
            pg.port = free_port()?;
            tracing::info!(port = pg.port, dir = %pg.data_dir.display(), "starting the embedded PostgreSQL");
            let log = pg.log_file.to_string_lossy().into_owned();
            let data = pg.data_dir.to_string_lossy().into_owned();
            let port_opt = format!("-p {}", pg.port);
            let out = pg.pg_command(
                "pg_ctl",
                &[
                    "start", "-w", "-t", "60", "-D", &data, "-l", &log, "-o", &port_opt,
                ],
            )?;
            if !out.status.success() {
                bail!(
                    "the embedded PostgreSQL did not start: {}\nlast lines of {}:\n{}",
                    String::from_utf8_lossy(&out.stderr).trim(),
                    pg.log_file.display(),
                    tail(&pg.log_file, 15)
                );
            }
        }
        pg.running = true;
        Ok(pg)
    }

    /// The connection URL of the portal's database in this cluster.
    pub fn database_url(&self) -> String {
        self.url(DATABASE)
    }

    /// The URL of the cluster's maintenance database, for creating the portal's own.
    pub fn admin_url(&self) -> String {
        self.url("postgres")
    }

    pub fn database_name(&self) -> &'static str {
        DATABASE
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    pub fn data_dir(&self) -> &Path {
        &self.data_dir
    }

    fn url(&self, db: &str) -> String {
        format!(
            "postgres://postgres:{}@127.0.0.1:{}/{db}",
            self.password, self.port
        )
    }

    /// Stops the cluster, waiting for it to shut down cleanly.
    pub fn stop(&mut self) -> Result<()> {
        if !self.running {
            return Ok(());
        }
        self.running = false;
        let data = self.data_dir.to_string_lossy().into_owned();
        let out = self.pg_command(
            "pg_ctl",
            &["stop", "-w", "-t", "60", "-m", "fast", "-D", &data],
        )?;
        if !out.status.success() {
            bail!(
                "stopping the embedded PostgreSQL failed: {}",
                String::from_utf8_lossy(&out.stderr).trim()
            );
        }
        tracing::info!(dir = %self.data_dir.display(), "stopped the embedded PostgreSQL");
        Ok(())
    }

    fn init(&self, root: &Path, password_file: &Path) -> Result<()> {
        tracing::info!(dir = %self.data_dir.display(), "creating the embedded PostgreSQL cluster (first run)");
        let password = app::infra::secret::random_token(32);
        // initdb reads the superuser password from a file; that file must be readable by the
        // cluster's user and is removed straight after.
        let pwfile = root.join("initdb.pw");
        write_private(&pwfile, &password)?;
        if let Some(user) = &self.run_as {
            let (uid, gid) = user_ids(user)?;
            chown(&pwfile, Some(uid), Some(gid))?;
            fs::create_dir_all(&self.data_dir)?;
            chown(&self.data_dir, Some(uid), Some(gid))?;
            chown(root, Some(uid), Some(gid))?;
        }
        let data = self.data_dir.to_string_lossy().into_owned();
        let pw = pwfile.to_string_lossy().into_owned();
        let out = self.pg_command(
            "initdb",
            &[
                "-D",
                &data,
                "-U",
                "postgres",
                "--pwfile",
                &pw,
                "--auth=scram-sha-256",
                "-E",
                "UTF8",
                "--no-locale",
            ],
        );
        let _ = fs::remove_file(&pwfile);
        let out = out?;
        if !out.status.success() {
            bail!(
                "initdb failed: {}",
                String::from_utf8_lossy(&out.stderr).trim()
            );
        }
        // Loopback only and no unix socket: nothing outside this machine can reach the cluster,
        // and no system socket folder (which may not be writable) is needed.
        let mut conf = fs::OpenOptions::new()
            .append(true)
            .open(self.data_dir.join("postgresql.conf"))
            .context("opening postgresql.conf")?;
        writeln!(
            conf,
            "\n# Rewards Bazaar embedded cluster\nlisten_addresses = '127.0.0.1'\nunix_socket_directories = ''\nmax_connections = 300\n"
        )?;
        write_private(password_file, &password)?;
        Ok(())
    }

    /// The port of a cluster already running on this data folder, if any.
    fn running_port(&self) -> Option<u16> {
        let data = self.data_dir.to_string_lossy().into_owned();
        let status = self.pg_command("pg_ctl", &["status", "-D", &data]).ok()?;
        if !status.status.success() {
            return None;
        }
        // Line 4 of postmaster.pid is the port.
        let pid_file = fs::read_to_string(self.data_dir.join("postmaster.pid")).ok()?;
        pid_file.lines().nth(3)?.trim().parse().ok()
    }

    fn pg_command(&self, program: &str, args: &[&str]) -> Result<Output> {
        let exe = self.bin_dir.join(program);
        let mut cmd = match &self.run_as {
            Some(user) => {
                let mut c = Command::new("runuser");
                c.args(["-u", user, "--"]).arg(&exe);
                c
            }
            None => Command::new(&exe),
        };
        cmd.args(args)
            .output()
            .with_context(|| format!("running {}", exe.display()))
    }
}

impl Drop for EmbeddedPostgres {
    fn drop(&mut self) {
        if let Err(error) = self.stop() {
            tracing::error!(%error, "could not stop the embedded PostgreSQL");
        }
    }
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
        .unwrap_or(false)
}

fn postgres_user() -> Result<String> {
    user_ids("postgres").map(|_| "postgres".to_owned()).map_err(|_| {
        anyhow!(
            "PostgreSQL refuses to run as root and this machine has no `postgres` user. \
             Install PostgreSQL (apt-get install postgresql), or set DATABASE_URL to a database you run yourself."
        )
    })
}

fn user_ids(user: &str) -> Result<(u32, u32)> {
    let id = |flag: &str| -> Result<u32> {
        let out = Command::new("id").args([flag, user]).output()?;
        if !out.status.success() {
            bail!("no user {user}");
        }
        Ok(String::from_utf8_lossy(&out.stdout).trim().parse()?)
    };
    Ok((id("-u")?, id("-g")?))
}

/// The cluster's user must be able to reach its folder. A checkout under a private home folder
/// is out of its reach, so the cluster then lives under /var/lib instead, one folder per checkout.
fn usable_root(root: &Path, run_as: Option<&str>) -> Result<PathBuf> {
    let Some(user) = run_as else {
        return Ok(root.to_path_buf());
    };
    fs::create_dir_all(root).with_context(|| format!("creating {}", root.display()))?;
    let root = root.canonicalize()?;
    let parent = root.parent().unwrap_or(Path::new("/"));
    let reachable = Command::new("runuser")
        .args(["-u", user, "--", "test", "-x"])
        .arg(parent)
        .status()
        .map(|s| s.success())
        .unwrap_or(false);
    if reachable {
        return Ok(root);
    }
    let key: u64 = root
        .to_string_lossy()
        .bytes()
        .fold(0xcbf2_9ce4_8422_2325, |h, b| {
            (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
        });
    let fallback = PathBuf::from(format!("/var/lib/rewards-bazaar/{key:016x}"));
    tracing::info!(
        wanted = %root.display(),
        using = %fallback.display(),
        "the postgres user cannot reach the data folder; keeping the embedded cluster elsewhere"
    );
    fs::create_dir_all("/var/lib/rewards-bazaar")?;
    fs::set_permissions("/var/lib/rewards-bazaar", fs::Permissions::from_mode(0o755))?;
    Ok(fallback)
}

/// The newest PostgreSQL server binaries on the machine.
fn find_bin_dir() -> Result<PathBuf> {
    let mut versions: Vec<(u32, PathBuf)> = fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| {
            let version = e.file_name().to_string_lossy().parse().ok()?;
            let bin = e.path().join("bin");
            bin.join("initdb").exists().then_some((version, bin))
        })
        .collect();
    versions.sort();
    if let Some((_, bin)) = versions.pop() {
        return Ok(bin);
    }
    let on_path = Command::new("sh")
        .args(["-c", "command -v initdb"])
        .output()?;
    let found = String::from_utf8_lossy(&on_path.stdout).trim().to_owned();
    if let Some(dir) = Path::new(&found).parent().filter(|_| !found.is_empty()) {
        return Ok(dir.to_path_buf());
    }
    bail!(
        "PostgreSQL server binaries (initdb, pg_ctl) were not found. Install PostgreSQL \
         (apt-get install postgresql), set BAZAAR_PG_BIN to their folder, or set DATABASE_URL."
    )
}

fn free_port() -> Result<u16> {
    let listener = TcpListener::bind("127.0.0.1:0").context("finding a free port")?;
    Ok(listener.local_addr()?.port())
}

fn write_private(path: &Path, contents: &str) -> Result<()> {
    let mut f = fs::OpenOptions::new()
        .create(true)
        .write(true)
        .truncate(true)
        .open(path)
        .with_context(|| format!("writing {}", path.display()))?;
    f.set_permissions(fs::Permissions::from_mode(0o600))?;
    f.write_all(contents.as_bytes())?;
    Ok(())
}

fn tail(path: &Path, lines: usize) -> String {
    let text = fs::read_to_string(path).unwrap_or_default();
    let all: Vec<&str> = text.lines().collect();
    all[all.len().saturating_sub(lines)..].join("\n")
}
