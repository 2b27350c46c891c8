//! The account feature on the server: sessions and passwords, and the account's statement.

mod sessions;
mod statement;

pub use sessions::{
    back_to_sessions, change_password, end_other_sessions, end_session, hash_password,
    password_matches, sign_in, sign_out, sign_up,
};
pub use statement::account;
