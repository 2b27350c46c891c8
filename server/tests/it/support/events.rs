//! Reading a server-sent event stream as an `EventSource` does: shared by the live-stock tests
//! and the benchmark's herd (which includes this file), each with its own way of reading bytes.

/// Takes the next complete event out of `unread` and returns its data lines; keep-alive
/// comments (events without data) are dropped. `None` until a whole event has arrived.
pub fn take_event(unread: &mut String) -> Option<Vec<String>> {
    while let Some(end) = unread.find("\n\n") {
        let event: String = unread.drain(..end + 2).collect();
        let data: Vec<String> = event
            .lines()
            .filter_map(|line| line.strip_prefix("data:"))
            .map(|line| line.trim_start().to_owned())
            .collect();
        if !data.is_empty() {
            return Some(data);
        }
    }
    None
}
