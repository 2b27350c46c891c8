/// The server renders the page once: nothing repeats.
pub fn every(_millis: u32, _work: impl Fn() + 'static) {}
