use sqlx::PgPool;

#[sqlx::test]
async fn a_migration_changed_after_it_was_applied_stops_start_up_with_a_clear_message(
    pool: PgPool,
) {
    sqlx::query("UPDATE _sqlx_migrations SET checksum = '\\x00' WHERE version = 1")
        .execute(&pool)
        .await
        .unwrap();
    let error = server::migrate(&pool).await.unwrap_err().to_string();
    assert!(error.starts_with("database migration failed: "), "{error}");
    assert!(
        error.contains("migration 1 was previously applied but has been modified"),
        "{error}"
    );
    assert!(error.contains("The server will not start"), "{error}");
}

#[sqlx::test]
async fn migrations_are_idempotent_on_an_up_to_date_database(pool: PgPool) {
    server::migrate(&pool).await.unwrap();
    server::migrate(&pool).await.unwrap();
}
