//! Who may call what. Every server function starts by naming its policy; the check is the first
//! line so that a new endpoint cannot forget it.

/// Who a server function is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Policy {
    /// Public information such as the bazaar's live drop: anyone, signed in or not.
    Anyone,
}

#[cfg(feature = "ssr")]
pub mod server;
