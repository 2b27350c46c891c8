//! The bottom layer, shared by the server and the browser, with no views and no database:
//! the error type, the domain's types parsed from what people type, form reading and the wire
//! encoding. Everything above may use it; it uses nothing above.

pub mod account;
pub mod action_terms;
pub mod audience;
pub mod birthday;
pub mod campaign;
pub mod card;
pub mod category;
pub mod device;
pub mod drop_state;
pub mod error;
pub mod form;
pub mod i18n;
pub mod points;
pub mod store;
pub mod wire;
