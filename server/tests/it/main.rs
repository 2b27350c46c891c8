//! Integration tests: the real router and real PostgreSQL. Each `#[sqlx::test]` gets a fresh
//! database with the migrations applied, created from the server in `DATABASE_URL`.

mod bazaar;
mod demo;
mod embedded_pg;
mod migrations;
mod support;
