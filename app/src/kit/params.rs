//! The id in a staff page's path.

use leptos::prelude::*;
use leptos_router::hooks::use_location;

/// The page's id: the segment after the section in `/staff/<section>/<id>[/…]`
/// (`/staff/rewards/12`, `/staff/drops/7/report`). The staff pages share one route (see
/// `shell`), so the id is read from the path rather than from route parameters. One that is not
/// a number reads as 0, which no record has, so the page says it was not found. Leaving the
/// console keeps the id it had, so the page does not load record 0 on its way out.
pub fn use_id() -> Memo<i64> {
    let pathname = use_location().pathname;
    Memo::new(move |was: Option<&i64>| {
        let path = pathname.read();
        match path.strip_prefix("/staff/") {
            Some(rest) => id_in(rest),
            None => was.copied().unwrap_or_default(),
        }
    })
}

fn id_in(section_and_rest: &str) -> i64 {
    section_and_rest
        .split('/')
        .nth(1)
        .and_then(|id| id.parse().ok())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::id_in;

    #[test]
    fn the_id_is_the_segment_after_the_section() {
        assert_eq!(id_in("rewards/12"), 12);
        assert_eq!(id_in("drops/7/report"), 7);
        assert_eq!(id_in("members/x"), 0);
        assert_eq!(id_in("members"), 0);
    }
}
