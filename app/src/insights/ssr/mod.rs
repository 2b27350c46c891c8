//! The models, in Rust on the server: their formulas, maximum-likelihood fits, and the
//! summary of a member's purchases they read; and how a campaign is measured against its
//! holdout (`uplift`).

pub mod base;
pub mod bg_nbd;
pub mod check;
pub mod fit;
pub mod gamma_gamma;
pub mod movement;
pub mod rfm;
pub mod scores;
pub mod special;
pub mod summary;
pub mod uplift;
pub mod view;
pub mod wants;

#[cfg(test)]
mod tests;
