//! Integration tests: the real router and real PostgreSQL. Each `#[sqlx::test]` gets a fresh
//! database with the migrations applied, created from the server in `DATABASE_URL`.

mod abuse;
mod account;
mod accounts_by_mail;
mod auth;
mod bazaar;
mod catalog_photos;
mod demo;
mod drops;
mod earning_api;
mod embedded_pg;
mod enrolment;
mod headers;
mod history_import;
mod imports;
mod insights;
mod insights_cdnow;
mod insights_trends;
mod language;
mod ledger;
mod live;
mod mail_notices;
mod member_care;
mod migrations;
mod outage;
mod outbox;
mod redemptions;
mod reminders;
mod reports;
mod sessions;
mod staff;
mod storm;
mod support;
mod team;
mod two_factor;
mod what_you_love;
