use sqlx::Connection;
use std::os::unix::fs::PermissionsExt;
use std::process::Command;

use server::embedded_pg::EmbeddedPostgres;

fn postmaster_running(data_dir: &std::path::Path) -> bool {
    // A running cluster has a postmaster.pid naming a live process.
    let Ok(pid_file) = std::fs::read_to_string(data_dir.join("postmaster.pid")) else {
        return false;
    };
    let pid = pid_file
        .lines()
        .next()
        .unwrap_or_default()
        .trim()
        .to_owned();
    Command::new("kill")
        .args(["-0", &pid])
        .status()
        .map(|s| s.success())
        .unwrap_or(false)
}

/// Where a test's cluster lives: a fresh directory the `postgres` user may enter (the cluster runs
/// as it when the tests run as root), removed when its handle drops; and the root to start in.
fn cluster_root() -> (tempfile::TempDir, std::path::PathBuf) {
    let dir = tempfile::Builder::new()
        .prefix("bazaar-embedded-")
        .tempdir()
        .unwrap();
    std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    let root = dir.path().join("data");
    (dir, root)
}

async fn create_db(pg: &EmbeddedPostgres) {
    let mut conn = sqlx::PgConnection::connect(&pg.admin_url()).await.unwrap();
    sqlx::query("CREATE DATABASE bazaar")
        .execute(&mut conn)
        .await
        .unwrap();
}

#[tokio::test]
async fn embedded_cluster_keeps_its_data_across_restarts_and_stops_cleanly() {
    let (_dir, root) = cluster_root();

    let mut pg = tokio::task::spawn_blocking({
        let root = root.clone();
        move || EmbeddedPostgres::start(&root)
    })
    .await
    .unwrap()
    .expect("the embedded cluster starts");
    let data_dir = pg.data_dir().to_path_buf();
    assert!(postmaster_running(&data_dir));
    create_db(&pg).await;
    let mut conn = sqlx::PgConnection::connect(&pg.database_url())
        .await
        .unwrap();
    sqlx::query("CREATE TABLE kept (note text)")
        .execute(&mut conn)
        .await
        .unwrap();
    sqlx::query("INSERT INTO kept VALUES ('still here')")
        .execute(&mut conn)
        .await
        .unwrap();
    conn.close().await.unwrap();
    tokio::task::spawn_blocking(move || pg.stop())
        .await
        .unwrap()
        .unwrap();
    assert!(
        !postmaster_running(&data_dir),
        "no PostgreSQL process is left after a stop"
    );

    // A second start reuses the cluster and its data; dropping the handle stops it too.
    let pg = tokio::task::spawn_blocking({
        let root = root.clone();
        move || EmbeddedPostgres::start(&root)
    })
    .await
    .unwrap()
    .unwrap();
    let mut conn = sqlx::PgConnection::connect(&pg.database_url())
        .await
        .unwrap();
    let note: String = sqlx::query_scalar("SELECT note FROM kept")
        .fetch_one(&mut conn)
        .await
        .unwrap();
    assert_eq!(note, "still here");
    conn.close().await.unwrap();
    tokio::task::spawn_blocking(move || drop(pg)).await.unwrap();
    assert!(!postmaster_running(&data_dir));
}

#[test]
fn embedded_cluster_refuses_passwordless_connections() {
    let (_dir, root) = cluster_root();
    let pg = EmbeddedPostgres::start(&root).unwrap();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let url = format!("postgres://postgres@127.0.0.1:{}/postgres", pg.port());
    let result = runtime.block_on(sqlx::PgConnection::connect(&url));
    assert!(
        result.is_err(),
        "a connection without the password must be refused"
    );
    drop(pg);
}
