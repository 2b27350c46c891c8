/// Nothing has focus on the server.
pub fn focus(_id: &str) {}

pub fn focus_main() {}
