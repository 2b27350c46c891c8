//! Insights for staff: what each member is worth and where the member base is going. Members
//! grouped by what they do (recency, frequency, money), and the standard published models of
//! the field fitted on the store's purchases: BG/NBD for how often members buy and whether they
//! are still active, Gamma-Gamma for how much they spend, and lifetime value from the two.

#[cfg(feature = "ssr")]
pub mod ssr;
