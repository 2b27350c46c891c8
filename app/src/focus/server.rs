/// Nothing has focus on the server.
pub fn focus(_id: &str) {}
