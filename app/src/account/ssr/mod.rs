//! The account feature on the server: sessions and passwords, and the account's statement.

mod birthday;
pub mod card;
mod data_rights;
mod likes;
mod mail;
pub mod questions;
mod sessions;
mod statement;
pub mod two_factor;
mod zone;

pub use birthday::grant_birthday_gifts;
pub use data_rights::{OpenRedemptions, delete_my_account, download_my_data, erase, my_data};
pub use likes::{LikesForm, clear_likes, likes, month_names, save_likes};
pub use mail::{
    mail_expiring_points, request_password_reset, resend_verification, reset_password,
    set_messages, tr_for, unsubscribe, verify_email,
};
pub use sessions::{
    SignedIn, back_to_sessions, change_password, end_other_sessions, end_session, forget_kept_card,
    hash_password, password_matches, sign_in, sign_out, sign_up,
};
pub use statement::account;
pub use zone::set_time_zone;
