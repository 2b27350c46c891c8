//! `bazaar`: the Rewards Bazaar server.
//!
//! Environment:
//! - `DATABASE_URL`: the PostgreSQL database to use. Unset: run a private embedded cluster
//!   under `BAZAAR_DATA_DIR` (default `.data`).
//! - `BAZAAR_DEMO`: `1` seeds the demo store into an empty database, `0` never does. Default:
//!   on with the embedded cluster, off with `DATABASE_URL` (production).
//! - `BAZAAR_STORE_NAME`, `BAZAAR_STORE_TIME_ZONE`: defaults for a brand-new store.
//! - `BAZAAR_PUBLIC_URL`: the address members use; `https://…` makes cookies `Secure`.
//! - `LEPTOS_SITE_ADDR` etc.: where to listen and where the built site is (set by cargo-leptos
//!   and by the README's run command).
//!
//! Commands:
//! - `bazaar`: serve the portal.
//! - `bazaar api-key create --name NAME --source SOURCE [--scopes earn,import,insights:read]`:
//!   create a key for the earning API and print it (it is shown only this once). A key earns
//!   unless given other scopes.

use anyhow::{Context, Result};
use tokio::sync::watch;
use tracing_subscriber::EnvFilter;

use app::infra::config::Config;
use app::infra::state::AppState;
use server::embedded_pg::EmbeddedPostgres;

// Rendering a page and settling a batch allocate and free many small strings from every
// worker thread: with glibc's allocator, malloc and free took a large share of the server's
// CPU (README, Performance: pages). mimalloc keeps per-thread free lists.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info,sqlx=warn")),
        )
        .init();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("the async runtime starts");
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.first().map(String::as_str) {
        None | Some("serve") => runtime.block_on(run(Config::from_env())),
        Some("api-key") => runtime.block_on(api_key_command(&args[1..], &Config::from_env())),
        Some(other) => Err(anyhow::anyhow!(
            "unknown command {other:?}; use `bazaar` to serve or `bazaar api-key create --name NAME --source SOURCE`"
        )),
    };
    match result {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("\nThe bazaar stopped: {error:#}");
            std::process::ExitCode::FAILURE
        }
    }
}

async fn run(config: Config) -> Result<()> {
    if !config.problems.is_empty() {
        anyhow::bail!("{}", config.problems.join("; "));
    }
    let transport = server::mail::Transport::from_config(&config)?;
    let leptos_options = Config::leptos().map_err(anyhow::Error::msg)?;
    let addr = leptos_options.site_addr;
    let (stop_tx, stop_rx) = watch::channel(false);
    tokio::spawn(async move {
        shutdown_signal().await;
        let _ = stop_tx.send(true);
    });

    let external_url = config.database_url.clone();
    // Dropped at the end of `run` (or on any error), which stops the embedded cluster.
    let mut embedded = None;
    let url = match &external_url {
        Some(url) => {
            tracing::info!(database = %redact(url), "using the database in DATABASE_URL");
            url.clone()
        }
        None => {
            let root = config.data_dir.clone();
            let bin = config.pg_bin.clone();
            let pg = tokio::task::spawn_blocking(move || EmbeddedPostgres::start_with(&root, bin))
                .await?
                .context("starting the embedded PostgreSQL")?;
            create_database_if_missing(&pg).await?;
            tracing::info!(
                port = pg.port(),
                "using the embedded PostgreSQL (DATABASE_URL is not set)"
            );
            let url = pg.database_url();
            embedded = Some(pg);
            url
        }
    };

    let demo = config.demo.unwrap_or(embedded.is_some());

    let started = until_stopped(stop_rx.clone(), async {
        let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
        let pool_size = server::pool_size(config.database_pool_size.as_deref(), cores)?;
        let pool = server::connect(&url, pool_size, config.default_language).await?;
        if demo
            && server::demo::seed_if_empty(&pool, server::demo::DemoSize::FULL, chrono::Utc::now())
                .await?
        {
            tracing::info!("seeded the demo store (BAZAAR_DEMO=0 turns this off)");
        }
        server::ensure_store_settings(&pool, &config.store_name, &config.store_time_zone).await?;
        anyhow::Ok(pool)
    })
    .await;
    let Some(pool) = started? else {
        tracing::info!("stopped during start-up");
        return Ok(());
    };

    announce_demo_logins(&pool, addr).await?;
    let http = server::HttpConfig::new(&config);
    let mut config = config;
    // The demo store on this machine only: its admin reads the demo's mail without setting up an
    // authenticator. Anywhere else, admins need two-factor sign-in.
    if demo && addr.ip().is_loopback() {
        config.admin_two_factor = false;
        tracing::info!(
            "demo store on loopback: admins may use admin pages without two-factor sign-in"
        );
    }
    // Mail has a small pool of its own: draining a drop's receipts must not take the
    // connections its pages and presses need.
    let mail_pool = sqlx::postgres::PgPoolOptions::new()
        .max_connections(server::mail::MAIL_CONNECTIONS)
        .acquire_timeout(std::time::Duration::from_secs(30))
        .connect_lazy(&url)?;
    let state = AppState::new(leptos_options, pool.clone(), config);
    let mail_state = AppState {
        pool: mail_pool.clone(),
        ..state.clone()
    };
    let app = server::router(
        state.clone(),
        Default::default(),
        &http,
        &server::Pages::list(),
    );
    let jobs = tokio::spawn(server::jobs::run(pool.clone()));
    let mail_jobs = tokio::spawn(server::jobs::mail_jobs(mail_state));
    let mail = tokio::spawn(server::mail::run(mail_pool, transport));
    let listener = tokio::net::TcpListener::bind(&addr)
        .await
        .with_context(|| {
            format!("listening on {addr} (set LEPTOS_SITE_ADDR to use another address)")
        })?;
    tracing::info!("Rewards Bazaar is running at http://{addr}/");
    if external_url.is_none() {
        println!(
            "\n  Rewards Bazaar is running: open http://{addr}/  (Ctrl-C stops it and its database)\n"
        );
    }
    let mut stop = stop_rx;
    server::serve::serve(listener, app, Default::default(), async move {
        let _ = stop.wait_for(|s| *s).await;
        tracing::info!("shutting down");
    })
    .await;
    jobs.abort();
    mail_jobs.abort();
    mail.abort();
    pool.close().await;
    drop(embedded);
    Ok(())
}

/// `bazaar api-key create --name NAME --source SOURCE [--scopes earn,import,insights:read]`
async fn api_key_command(args: &[String], config: &Config) -> Result<()> {
    let usage = "usage: bazaar api-key create --name \"Web shop\" --source webshop [--scopes earn,import,insights:read]";
    let mut name = None;
    let mut scopes = "earn".to_owned();
    let mut source = None;
    let mut rest = args.iter();
    if rest.next().map(String::as_str) != Some("create") {
        anyhow::bail!("{usage}");
    }
    while let Some(flag) = rest.next() {
        let value = rest
            .next()
            .with_context(|| format!("{flag} needs a value; {usage}"))?;
        match flag.as_str() {
            "--name" => name = Some(value.clone()),
            "--source" => source = Some(value.clone()),
            "--scopes" => scopes = value.clone(),
            _ => anyhow::bail!("unknown option {flag}; {usage}"),
        }
    }
    let (Some(name), Some(source)) = (name, source) else {
        anyhow::bail!("{usage}");
    };
    let url = config
        .database_url
        .as_deref()
        .context("api-key needs DATABASE_URL to reach the portal's database")?;
    let pool = server::connect(url, 2, config.default_language).await?;
    let scopes: Vec<&str> = scopes.split(',').map(str::trim).collect();
    let key = server::api::create_api_key(&pool, &name, &source, &scopes, None).await?;
    println!("{key}");
    eprintln!(
        "Created API key {:?} for source {source:?} that may {}. It is shown only now: store it in the integration's secrets.",
        name,
        scopes.join(", ")
    );
    Ok(())
}

/// Beyond loopback, demo accounts on their published passwords get random ones, printed here
/// once; and while demo accounts exist, every start says so.
async fn announce_demo_logins(pool: &sqlx::PgPool, addr: std::net::SocketAddr) -> Result<()> {
    let replaced = server::demo::secure_demo_logins(pool, addr).await?;
    if !replaced.is_empty() {
        println!(
            "\n  Listening on {addr}, beyond this machine: the demo accounts' published passwords are off.\n  Their new passwords (shown only now):"
        );
        for login in &replaced {
            println!("    {:<6} {}  {}", login.role, login.email, login.password);
        }
        println!();
    }
    let demo = server::demo::demo_accounts(pool).await?;
    if !demo.is_empty() {
        tracing::warn!(
            accounts = %demo.join(", "),
            "this database has the demo accounts: fine for trying the portal, not for a real store (start a real store with BAZAAR_DEMO=0 on an empty database)"
        );
    }
    Ok(())
}

/// Runs `work` unless a stop signal arrives first (then returns `None`).
async fn until_stopped<T>(
    mut stop: watch::Receiver<bool>,
    work: impl std::future::Future<Output = Result<T>>,
) -> Result<Option<T>> {
    tokio::select! {
        result = work => result.map(Some),
        _ = stop.wait_for(|s| *s) => Ok(None),
    }
}

async fn create_database_if_missing(pg: &EmbeddedPostgres) -> Result<()> {
    use sqlx::Connection;
    let mut conn = sqlx::PgConnection::connect(&pg.admin_url()).await?;
    let exists: bool =
        sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)")
            .bind(pg.database_name())
            .fetch_one(&mut conn)
            .await?;
    if !exists {
        sqlx::query(&format!("CREATE DATABASE {}", pg.database_name()))
            .execute(&mut conn)
            .await?;
    }
    Ok(())
}

async fn shutdown_signal() {
    let ctrl_c = tokio::signal::ctrl_c();
    let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        .expect("SIGTERM handler installs");
    tokio::select! {
        _ = ctrl_c => {},
        _ = term.recv() => {},
    }
}

/// A database URL without its password, for logs.
fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme), Some(at)) if at > scheme => {
            let userinfo = &url[scheme + 3..at];
            let user = userinfo.split(':').next().unwrap_or("");
            format!("{}{}:***{}", &url[..scheme + 3], user, &url[at..])
        }
        _ => url.to_owned(),
    }
}
