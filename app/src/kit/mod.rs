//! The view kit: pieces every feature's pages are built from, with no feature's data in them.
//! Notices, form fields and the post form, the page skeleton, and the browser/server pairs
//! behind countdowns, live stock, focus after navigation and a page's HTTP status.

pub mod countdown;
pub mod every;
pub mod focus;
pub mod form;
pub mod live;
pub mod notice;
pub mod page;
pub mod page_status;
pub mod params;

pub use form::{
    FieldError, FormError, PostForm, SelectField, TextField, TierSelect, action_error,
    field_invalid,
};
pub use notice::{ErrorNotice, NotFound, Refused};
pub use page::Loaded;
