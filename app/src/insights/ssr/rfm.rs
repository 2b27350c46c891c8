//! Recency, frequency and money: each member's quintile (1–5) among the store's members on
//! each, and their segment on the R × FM grid.

use chrono::NaiveDate;

use super::summary::PurchaseDay;

/// The eight segments, named as loyalty teams name them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Segment {
    Champions,
    Loyal,
    PotentialLoyalist,
    New,
    NeedAttention,
    AtRisk,
    Hibernating,
    Lost,
}

impl Segment {
    pub const ALL: [Segment; 8] = [
        Segment::Champions,
        Segment::Loyal,
        Segment::PotentialLoyalist,
        Segment::New,
        Segment::NeedAttention,
        Segment::AtRisk,
        Segment::Hibernating,
        Segment::Lost,
    ];

    /// As stored (`member_scores.segment`) and as the catalog's key ends.
    pub fn code(self) -> &'static str {
        match self {
            Segment::Champions => "champions",
            Segment::Loyal => "loyal",
            Segment::PotentialLoyalist => "potential_loyalist",
            Segment::New => "new",
            Segment::NeedAttention => "need_attention",
            Segment::AtRisk => "at_risk",
            Segment::Hibernating => "hibernating",
            Segment::Lost => "lost",
        }
    }

    /// The segment's name in the reader's language.
    pub fn label(self, tr: crate::domain::i18n::Tr) -> &'static str {
        tr.t(match self {
            Segment::Champions => "insights.segment.champions",
            Segment::Loyal => "insights.segment.loyal",
            Segment::PotentialLoyalist => "insights.segment.potential_loyalist",
            Segment::New => "insights.segment.new",
            Segment::NeedAttention => "insights.segment.need_attention",
            Segment::AtRisk => "insights.segment.at_risk",
            Segment::Hibernating => "insights.segment.hibernating",
            Segment::Lost => "insights.segment.lost",
        })
    }

    pub fn parse(code: &str) -> Option<Segment> {
        Segment::ALL.into_iter().find(|s| s.code() == code)
    }

    /// The grid: R down the side, FM (the mean of F and M, rounded half up) across.
    ///
    /// ```text
    ///        FM 1            FM 2                FM 3                FM 4       FM 5
    /// R 5    New             Potential loyalist  Potential loyalist  Champions  Champions
    /// R 4    New             Potential loyalist  Potential loyalist  Loyal      Champions
    /// R 3    Need attention  Need attention      Need attention      Loyal      Loyal
    /// R 2    Hibernating     Hibernating         At risk             At risk    At risk
    /// R 1    Lost            Lost                At risk             At risk    At risk
    /// ```
    pub fn of(r: u8, f: u8, m: u8) -> Segment {
        let fm = (f + m).div_ceil(2);
        match (r, fm) {
            (5, 4..=5) | (4, 5) => Segment::Champions,
            (4, 4) | (3, 4..=5) => Segment::Loyal,
            (4..=5, 2..=3) => Segment::PotentialLoyalist,
            (4..=5, _) => Segment::New,
            (3, _) => Segment::NeedAttention,
            (..=2, 3..) => Segment::AtRisk,
            (2, _) => Segment::Hibernating,
            _ => Segment::Lost,
        }
    }
}

/// What RFM reads of one member at a date.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RfmInput {
    pub days_since_last: i64,
    pub purchase_days: usize,
    /// The mean spend of all their purchase days (the first included, so a one-time buyer has
    /// one too), in cents.
    pub mean_day_cents: f64,
}

impl RfmInput {
    /// From a member's purchase days in order; `None` before their first.
    pub fn at(days: &[PurchaseDay], date: NaiveDate) -> Option<RfmInput> {
        let seen: Vec<&PurchaseDay> = days.iter().filter(|d| d.day <= date).collect();
        let last = seen.last()?;
        Some(RfmInput {
            days_since_last: (date - last.day).num_days(),
            purchase_days: seen.len(),
            mean_day_cents: seen.iter().map(|d| d.cents as f64).sum::<f64>() / seen.len() as f64,
        })
    }
}

/// Each member's (R, F, M) quintiles among them all, and their segment: recent, frequent and
/// high spenders score 5.
pub fn score(inputs: &[RfmInput]) -> Vec<((u8, u8, u8), Segment)> {
    let recency: Vec<f64> = inputs.iter().map(|i| -(i.days_since_last as f64)).collect();
    let frequency: Vec<f64> = inputs.iter().map(|i| i.purchase_days as f64).collect();
    let money: Vec<f64> = inputs.iter().map(|i| i.mean_day_cents).collect();
    let (r, f, m) = (
        quintiles(&recency),
        quintiles(&frequency),
        quintiles(&money),
    );
    (0..inputs.len())
        .map(|i| ((r[i], f[i], m[i]), Segment::of(r[i], f[i], m[i])))
        .collect()
}

/// Each value's quintile among all of them, 1 (lowest fifth) to 5 (highest): by how many values
/// are strictly below it, so equal values always share a score.
pub fn quintiles(values: &[f64]) -> Vec<u8> {
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    let n = sorted.len().max(1);
    values
        .iter()
        .map(|v| {
            let below = sorted.partition_point(|s| s < v);
            (1 + below * 5 / n) as u8
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_grid_names_each_corner_as_loyalty_teams_do() {
        assert_eq!(Segment::of(5, 5, 5), Segment::Champions);
        assert_eq!(Segment::of(4, 4, 4), Segment::Loyal);
        assert_eq!(Segment::of(5, 2, 3), Segment::PotentialLoyalist);
        assert_eq!(Segment::of(5, 1, 1), Segment::New);
        assert_eq!(Segment::of(3, 2, 2), Segment::NeedAttention);
        assert_eq!(Segment::of(1, 5, 5), Segment::AtRisk);
        assert_eq!(Segment::of(2, 1, 2), Segment::Hibernating);
        assert_eq!(Segment::of(1, 1, 1), Segment::Lost);
        // Every cell of the grid has a segment, and every segment a cell.
        let mut seen = std::collections::HashSet::new();
        for r in 1..=5 {
            for f in 1..=5 {
                for m in 1..=5 {
                    seen.insert(Segment::of(r, f, m));
                }
            }
        }
        assert_eq!(seen.len(), 8);
        assert!(
            Segment::ALL
                .iter()
                .all(|s| Segment::parse(s.code()) == Some(*s))
        );
    }

    #[test]
    fn quintiles_split_ten_members_into_fifths_and_ties_share_a_score() {
        let values: Vec<f64> = (1..=10).map(f64::from).collect();
        assert_eq!(quintiles(&values), [1, 1, 2, 2, 3, 3, 4, 4, 5, 5]);
        assert_eq!(quintiles(&[7.0, 7.0, 7.0, 1.0]), [2, 2, 2, 1]);
    }
}
