//! Redeeming on the server: the checks, the batched redeem transaction, reading redemptions
//! back, and cancelling. Lock order, everywhere: account rows (by id), then item rows (by id).
//! One order means concurrent batches, on any server, and cancellations queue instead of
//! deadlocking.

pub mod admission;
mod cancel;
mod queries;
mod receipts;
mod rules;
mod settle;

pub use cancel::{CancelBy, cancel, cancel_as};
pub use queries::{mine, one, page, preview};
pub use receipts::mail_due_receipts;
pub use rules::{code_with_prefix, new_code};
pub use settle::{Press, Settled, redeem, settle};
