//! Imports on the server: the import shared by the earning API and staff's files, the CSV
//! upload, undoing, and the pages' figures.

pub mod rows;
pub mod undo;
pub mod upload;
pub mod view;
