//! Work repeated every few seconds while a page is open: in the browser a gloo-timers interval
//! after hydration; the server renders once and repeats nothing.

#[cfg(feature = "hydrate")]
#[path = "browser.rs"]
mod timer;
#[cfg(not(feature = "hydrate"))]
#[path = "server.rs"]
mod timer;

pub use timer::every;
