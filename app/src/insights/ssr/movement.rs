//! How the member base moves: members between segments from one date to another, each date's
//! segments computed from the purchases made by then (no daily snapshots needed), and retention
//! by month of first purchase.

use std::collections::HashMap;

use chrono::{Datelike, NaiveDate};
use serde::Serialize;

use super::rfm::{RfmInput, Segment, score};
use super::scores::MemberDays;

/// Each member's segment at `date`, among the members who had bought by then.
pub fn segments_at(members: &[MemberDays], date: NaiveDate) -> HashMap<i64, Segment> {
    let inputs: Vec<(i64, RfmInput)> = members
        .iter()
        .filter_map(|m| Some((m.account_id, RfmInput::at(&m.days, date)?)))
        .collect();
    let scored = score(&inputs.iter().map(|(_, i)| *i).collect::<Vec<_>>());
    inputs
        .iter()
        .zip(scored)
        .map(|((id, _), (_, segment))| (*id, segment))
        .collect()
}

/// Members moving between segments from `from` to `to`: a row per segment at `from` (and a
/// first row, `None`, for members who had not bought yet), a column per segment at `to`, in
/// the order of [`Segment::ALL`].
pub fn migration(
    members: &[MemberDays],
    from: NaiveDate,
    to: NaiveDate,
) -> Vec<(Option<Segment>, [u64; 8])> {
    let (before, after) = (segments_at(members, from), segments_at(members, to));
    let index = |s: Segment| Segment::ALL.iter().position(|x| *x == s).unwrap_or(0);
    let mut rows: Vec<(Option<Segment>, [u64; 8])> = std::iter::once(None)
        .chain(Segment::ALL.into_iter().map(Some))
        .map(|s| (s, [0; 8]))
        .collect();
    for (id, now) in &after {
        let row = before.get(id).map_or(0, |s| 1 + index(*s));
        rows[row].1[index(*now)] += 1;
    }
    rows
}

/// How members moved between two dates: the migration matrix of [`migration`] and the
/// cohorts of [`cohorts`] up to the second date.
#[derive(Debug, Clone)]
pub struct Movement {
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub migration: Vec<(Option<Segment>, [u64; 8])>,
    pub cohorts: Vec<Cohort>,
}

/// One row of the migration matrix for BI tools: members in `from_segment` at the first date
/// (`None`: had not bought yet), by their segment at the second, in the order of `segments`.
#[derive(Debug, Clone, Serialize)]
pub struct MigrationFigures {
    pub from_segment: Option<&'static str>,
    pub to_segments: [u64; 8],
}

/// [`Movement`] as JSON for BI tools.
#[derive(Debug, Clone, Serialize)]
pub struct MovementFigures {
    pub from: NaiveDate,
    pub to: NaiveDate,
    /// The segments' codes, the order of each row's `to_segments`.
    pub segments: Vec<&'static str>,
    pub migration: Vec<MigrationFigures>,
    pub cohorts: Vec<Cohort>,
}

impl From<Movement> for MovementFigures {
    fn from(m: Movement) -> Self {
        MovementFigures {
            from: m.from,
            to: m.to,
            segments: Segment::ALL.iter().map(|s| s.code()).collect(),
            migration: m
                .migration
                .into_iter()
                .map(|(segment, cells)| MigrationFigures {
                    from_segment: segment.map(Segment::code),
                    to_segments: cells,
                })
                .collect(),
            cohorts: m.cohorts,
        }
    }
}

/// Members who first bought in one month, and how many of them bought again in each month
/// since (the first month counts everyone).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Cohort {
    /// The first day of the month.
    pub month: NaiveDate,
    pub members: u64,
    /// Members with a purchase day in the cohort's month, the month after, … up to `until`.
    pub active: Vec<u64>,
}

fn month_index(day: NaiveDate) -> i32 {
    day.year() * 12 + day.month0() as i32
}

/// Retention by month of first purchase, for the months up to `until`'s.
pub fn cohorts(members: &[MemberDays], until: NaiveDate) -> Vec<Cohort> {
    let last = month_index(until);
    let mut by_month: std::collections::BTreeMap<i32, Cohort> = Default::default();
    for m in members {
        let Some(first) = m.days.first().filter(|d| d.day <= until) else {
            continue;
        };
        let start = month_index(first.day);
        let cohort = by_month.entry(start).or_insert_with(|| Cohort {
            month: first.day.with_day(1).unwrap_or(first.day),
            members: 0,
            active: vec![0; (last - start + 1) as usize],
        });
        cohort.members += 1;
        let mut months: Vec<i32> = m
            .days
            .iter()
            .filter(|d| d.day <= until)
            .map(|d| month_index(d.day) - start)
            .collect();
        months.dedup();
        for k in months {
            cohort.active[k as usize] += 1;
        }
    }
    by_month.into_values().collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::insights::ssr::summary::PurchaseDay;

    fn member(id: i64, days: &[(i32, u32, u32, i64)]) -> MemberDays {
        MemberDays {
            account_id: id,
            days: days
                .iter()
                .map(|(y, m, d, cents)| PurchaseDay {
                    day: NaiveDate::from_ymd_opt(*y, *m, *d).unwrap(),
                    cents: *cents,
                })
                .collect(),
        }
    }

    /// Five members (hand-computed): by 1 March, A (1) and B (2) had bought; by 1 June everyone
    /// has, and A kept buying while B stopped.
    fn store() -> Vec<MemberDays> {
        vec![
            member(
                1,
                &[(2026, 1, 5, 5000), (2026, 2, 20, 5000), (2026, 5, 30, 5000)],
            ),
            member(2, &[(2026, 1, 10, 9000), (2026, 2, 25, 9000)]),
            member(3, &[(2026, 4, 1, 1000)]),
            member(4, &[(2026, 5, 1, 2000), (2026, 5, 20, 2000)]),
            member(5, &[(2026, 5, 31, 500)]),
        ]
    }

    #[test]
    fn members_move_between_segments_computed_at_each_date() {
        let day = |m, d| NaiveDate::from_ymd_opt(2026, m, d).unwrap();
        let before = segments_at(&store(), day(3, 1));
        // Two members, two purchase days each (F ties at 1). B bought more recently and more
        // per day: one of two is above half the members, quintile 3 (R 3, M 3); A scores 1, 1, 1.
        assert_eq!(before.len(), 2);
        assert_eq!(before[&1], Segment::Lost);
        assert_eq!(before[&2], Segment::of(3, 1, 3));
        assert_eq!(before[&2], Segment::NeedAttention);
        let rows = migration(&store(), day(3, 1), day(6, 1));
        let total: u64 = rows.iter().flat_map(|(_, c)| c.iter()).sum();
        assert_eq!(total, 5);
        // Three members were not members yet on 1 March.
        assert_eq!(rows[0].1.iter().sum::<u64>(), 3);
        let after = segments_at(&store(), day(6, 1));
        let col = |s: Segment| Segment::ALL.iter().position(|x| *x == s).unwrap();
        let row = |s: Segment| 1 + col(s);
        assert_eq!(rows[row(before[&1])].1[col(after[&1])], 1);
        assert_eq!(rows[row(before[&2])].1[col(after[&2])], 1);
    }

    #[test]
    fn cohorts_count_who_came_back_each_month() {
        let until = NaiveDate::from_ymd_opt(2026, 6, 15).unwrap();
        let cohorts = cohorts(&store(), until);
        let months: Vec<(u32, u64, Vec<u64>)> = cohorts
            .iter()
            .map(|c| (c.month.month(), c.members, c.active.clone()))
            .collect();
        assert_eq!(
            months,
            [
                // January: A and B; both back in February, A in May.
                (1, 2, vec![2, 2, 0, 0, 1, 0]),
                (4, 1, vec![1, 0, 0]),
                (5, 2, vec![2, 0]),
            ]
        );
    }
}
