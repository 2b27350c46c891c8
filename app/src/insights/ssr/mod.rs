//! The models, in Rust on the server: their formulas, maximum-likelihood fits, and the
//! summary of a member's purchases they read.

pub mod bg_nbd;
pub mod fit;
pub mod gamma_gamma;
pub mod special;
pub mod summary;

#[cfg(test)]
mod tests;
