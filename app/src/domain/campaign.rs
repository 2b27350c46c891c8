//! A campaign as staff ask for it (issue 25, part 3): an offer aimed at an audience for some
//! days, with a share of the audience held out to measure it against. Read once from the form
//! ([`NewCampaign::parse`]); the limits are stated here and, for the database, in migration
//! 0028's CHECKs.

use serde::{Deserialize, Serialize};

use crate::AppError;
use crate::domain::i18n::Tr;

/// The longest campaign name (`campaigns_name_length`).
pub const NAME_MAX: usize = 60;
/// The holdout share staff get unless they change it, and its bounds, in whole percent
/// (`campaigns_holdout_range`): below 1% there is nothing to compare with; above half the
/// offer reaches fewer members than it keeps from.
pub const HOLDOUT_DEFAULT: u8 = 10;
pub const HOLDOUT_RANGE: (u8, u8) = (1, 50);
/// The longest window: a quarter.
pub const DAYS_MAX: u16 = 90;
/// The most bonus points one offer gives (`campaigns_bonus_range`).
pub const BONUS_MAX: i64 = 100_000;
/// The most hours of early access a campaign gives (`campaigns_early_hours_range`): a day, as
/// for early access staff set on a drop.
pub const EARLY_HOURS_MAX: i64 = 24;

/// The next best actions: what a campaign tries, and what staff are told to do per member.
/// The birthday gift is not one: it is granted automatically.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    /// An offer for a valuable member slipping away.
    WinBack,
    /// "Spend $X more to reach Gold".
    ReachTier,
    /// A reminder that points expire soon.
    ExpiringPoints,
    /// One preference question, asked in the portal (no message).
    AskPreference,
    /// Early access to a coming drop with a reward of a kind they love.
    EarlyAccess,
    Nothing,
}

impl Action {
    /// The actions a campaign can try (all but "no action"), in the catalogue's order.
    pub const TRIED: [Action; 5] = [
        Action::WinBack,
        Action::ReachTier,
        Action::ExpiringPoints,
        Action::AskPreference,
        Action::EarlyAccess,
    ];

    /// As `campaigns.action` stores it.
    pub fn code(self) -> &'static str {
        match self {
            Action::WinBack => "win_back",
            Action::ReachTier => "reach_tier",
            Action::ExpiringPoints => "expiring_points",
            Action::AskPreference => "ask_preference",
            Action::EarlyAccess => "early_access",
            Action::Nothing => "nothing",
        }
    }

    pub fn parse(code: &str) -> Option<Action> {
        Action::TRIED
            .into_iter()
            .chain([Action::Nothing])
            .find(|a| a.code() == code.trim())
    }

    /// Its name in the reader's language ("Win-back offer", "Oferta para recuperar").
    pub fn label(self, tr: Tr) -> &'static str {
        match self {
            Action::WinBack => tr.t("campaigns.action.win_back"),
            Action::ReachTier => tr.t("campaigns.action.reach_tier"),
            Action::ExpiringPoints => tr.t("campaigns.action.expiring_points"),
            Action::AskPreference => tr.t("campaigns.action.ask_preference"),
            Action::EarlyAccess => tr.t("campaigns.action.early_access"),
            Action::Nothing => tr.t("campaigns.action.nothing"),
        }
    }

    /// Whether taking it sends the member a message (and so counts against the weekly cap).
    pub fn messages(self) -> bool {
        !matches!(self, Action::AskPreference | Action::Nothing)
    }
}

/// A campaign as the form asked for it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewCampaign {
    pub name: String,
    pub audience_id: i64,
    pub action: Action,
    pub bonus_points: i64,
    pub with_email: bool,
    pub holdout_pct: u8,
    pub days: u16,
    /// A reward of a coming drop offered to the treated members.
    pub reward: Option<OfferedReward>,
    /// A reward of the catalogue given outright to each treated member (its id).
    pub gift: Option<i64>,
}

/// A reward of a coming drop a campaign offers its treated members: early access to it (hours
/// before its drop opens), theirs only (no one else sees it), or both.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OfferedReward {
    pub item: i64,
    pub early_hours: Option<i64>,
    pub exclusive: bool,
}

fn invalid(field: &str, tr: Tr, key: &'static str, pairs: &[(&str, &str)]) -> AppError {
    AppError::invalid(field, tr.f(key, pairs))
}

/// A whole number in `low..=high` (grouping commas and spaces allowed), or `None`.
fn whole(raw: &str, low: i64, high: i64) -> Option<i64> {
    let cleaned: String = raw.chars().filter(|c| !matches!(c, ',' | ' ')).collect();
    cleaned
        .parse::<i64>()
        .ok()
        .filter(|n| (low..=high).contains(n))
}

impl NewCampaign {
    /// Reads the form; the first mistake, by field, in the reader's language. `early_item`
    /// empty means no reward offered; `early_hours` empty means no early access, which only a
    /// reward theirs only (`exclusive`) may leave out. `gift_reward` empty means no reward given
    /// outright.
    #[expect(
        clippy::too_many_arguments,
        reason = "the arguments are the form's fields, read in one place"
    )]
    pub fn parse(
        name: &str,
        audience: &str,
        action: &str,
        bonus_points: &str,
        with_email: bool,
        holdout: &str,
        days: &str,
        early_item: &str,
        early_hours: &str,
        exclusive: bool,
        gift_reward: &str,
    ) -> Result<NewCampaign, AppError> {
        let tr = crate::domain::i18n::tr();
        let name = name.trim();
        if name.is_empty() || name.chars().count() > NAME_MAX {
            return Err(invalid(
                "name",
                tr,
                "campaigns.error.name_length",
                &[("max", &NAME_MAX.to_string())],
            ));
        }
        let audience_id = audience
            .trim()
            .parse::<i64>()
            .map_err(|_| invalid("audience", tr, "campaigns.error.no_audience", &[]))?;
        let action = Action::parse(action)
            .filter(|a| *a != Action::Nothing)
            .ok_or_else(|| invalid("action", tr, "campaigns.error.no_action", &[]))?;
        let bonus_points = match bonus_points.trim() {
            "" => 0,
            raw => whole(raw, 0, BONUS_MAX).ok_or_else(|| {
                invalid(
                    "bonus_points",
                    tr,
                    "campaigns.error.bonus",
                    &[("raw", raw), ("max", &tr.number(BONUS_MAX))],
                )
            })?,
        };
        let reward = match early_item.trim() {
            "" if exclusive => {
                return Err(invalid("early_item", tr, "campaigns.error.early_item", &[]));
            }
            "" => None,
            raw => {
                let item = raw
                    .parse::<i64>()
                    .map_err(|_| invalid("early_item", tr, "campaigns.error.early_item", &[]))?;
                let early_hours = match early_hours.trim() {
                    "" if exclusive => None,
                    hours => Some(whole(hours, 1, EARLY_HOURS_MAX).ok_or_else(|| {
                        invalid(
                            "early_hours",
                            tr,
                            "campaigns.error.early_hours",
                            &[("max", &EARLY_HOURS_MAX.to_string())],
                        )
                    })?),
                };
                Some(OfferedReward {
                    item,
                    early_hours,
                    exclusive,
                })
            }
        };
        let gift = match gift_reward.trim() {
            "" => None,
            raw => Some(
                raw.parse::<i64>()
                    .map_err(|_| invalid("gift_reward", tr, "campaigns.error.gift_reward", &[]))?,
            ),
        };
        if bonus_points == 0 && !with_email && reward.is_none() && gift.is_none() {
            return Err(invalid(
                "bonus_points",
                tr,
                "campaigns.error.nothing_offered",
                &[],
            ));
        }
        let (low, high) = HOLDOUT_RANGE;
        let holdout_pct = whole(holdout.trim_end_matches('%'), low.into(), high.into())
            .and_then(|n| u8::try_from(n).ok())
            .ok_or_else(|| {
                invalid(
                    "holdout",
                    tr,
                    "campaigns.error.holdout",
                    &[("low", &low.to_string()), ("high", &high.to_string())],
                )
            })?;
        let days = whole(days, 1, DAYS_MAX.into())
            .and_then(|n| u16::try_from(n).ok())
            .ok_or_else(|| {
                invalid(
                    "days",
                    tr,
                    "campaigns.error.days",
                    &[("max", &DAYS_MAX.to_string())],
                )
            })?;
        Ok(NewCampaign {
            name: name.to_owned(),
            audience_id,
            action,
            bonus_points,
            with_email,
            holdout_pct,
            days,
            reward,
            gift,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn error(result: Result<NewCampaign, AppError>) -> (String, String) {
        match result {
            Err(AppError::Invalid { field, message }) => (field, message),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn a_filled_form_reads_as_a_campaign() {
        let campaign = NewCampaign::parse(
            " Win back ",
            "3",
            "win_back",
            "1,500",
            true,
            "10%",
            "14",
            "",
            "",
            false,
            "",
        )
        .unwrap();
        assert_eq!(
            campaign,
            NewCampaign {
                name: "Win back".into(),
                audience_id: 3,
                action: Action::WinBack,
                bonus_points: 1500,
                with_email: true,
                holdout_pct: 10,
                days: 14,
                reward: None,
                gift: None,
            }
        );
        let mail_only = NewCampaign::parse(
            "Hello",
            "3",
            "early_access",
            "",
            true,
            "5",
            "7",
            "",
            "",
            false,
            "",
        );
        assert_eq!(mail_only.unwrap().bonus_points, 0);
        let early_only = NewCampaign::parse(
            "First pick",
            "3",
            "early_access",
            "",
            false,
            "10",
            "7",
            "42",
            "6",
            false,
            "",
        );
        assert_eq!(
            early_only.unwrap().reward,
            Some(OfferedReward {
                item: 42,
                early_hours: Some(6),
                exclusive: false
            })
        );
        let theirs_only = NewCampaign::parse(
            "Just for you",
            "3",
            "win_back",
            "",
            false,
            "10",
            "7",
            "42",
            "",
            true,
            "",
        );
        assert_eq!(
            theirs_only.unwrap().reward,
            Some(OfferedReward {
                item: 42,
                early_hours: None,
                exclusive: true
            })
        );
    }

    #[test]
    fn each_mistake_is_named_on_its_field() {
        let long = "x".repeat(61);
        let cases = [
            (
                ["", "3", "win_back", "100", "10", "14"],
                ("name", "Give the campaign a name of 1 to 60 characters."),
            ),
            (
                [long.as_str(), "3", "win_back", "100", "10", "14"],
                ("name", "Give the campaign a name of 1 to 60 characters."),
            ),
            (
                ["A", "", "win_back", "100", "10", "14"],
                ("audience", "Choose the audience the campaign is for."),
            ),
            (
                ["A", "3", "nothing", "100", "10", "14"],
                ("action", "Choose the action the campaign tries."),
            ),
            (
                ["A", "3", "win_back", "lots", "10", "14"],
                (
                    "bonus_points",
                    "“lots” is not a number of bonus points: enter a whole number from 0 to 100,000.",
                ),
            ),
            (
                ["A", "3", "win_back", "100", "0", "14"],
                (
                    "holdout",
                    "Hold out between 1% and 50% of the audience: the held-out members are what the offer is measured against.",
                ),
            ),
            (
                ["A", "3", "win_back", "100", "10", "91"],
                ("days", "Run the campaign for 1 to 90 days."),
            ),
        ];
        for ([name, audience, action, bonus, holdout, days], (field, message)) in cases {
            assert_eq!(
                error(NewCampaign::parse(
                    name, audience, action, bonus, false, holdout, days, "", "", false, ""
                )),
                (field.to_owned(), message.to_owned()),
                "{name} {audience} {action} {bonus} {holdout} {days}"
            );
        }
        assert_eq!(
            error(NewCampaign::parse(
                "A", "3", "win_back", "0", false, "10", "14", "", "", false, ""
            )),
            (
                "bonus_points".to_owned(),
                "Offer bonus points, early access, a reward, an email, or any of them together: a campaign that gives nothing has nothing to measure."
                    .to_owned()
            )
        );
        assert_eq!(
            error(NewCampaign::parse(
                "A", "3", "win_back", "0", false, "10", "14", "7", "25", false, ""
            )),
            (
                "early_hours".to_owned(),
                "Give early access 1 to 24 hours before the drop opens.".to_owned()
            )
        );
        assert_eq!(
            error(NewCampaign::parse(
                "A", "3", "win_back", "0", false, "10", "14", "soon", "2", false, ""
            )),
            (
                "early_item".to_owned(),
                "Choose a reward of a drop that opens later than the early access would start, and has no early access yet."
                    .to_owned()
            )
        );
        // "Theirs only" needs the reward it sets aside.
        assert_eq!(
            error(NewCampaign::parse(
                "A", "3", "win_back", "0", false, "10", "14", "", "", true, ""
            ))
            .0,
            "early_item"
        );
        // A reward given outright is an offer on its own; its field takes a reward's id.
        let gift = NewCampaign::parse(
            "A", "3", "win_back", "0", false, "10", "14", "", "", false, "12",
        );
        assert_eq!(gift.unwrap().gift, Some(12));
        assert_eq!(
            error(NewCampaign::parse(
                "A", "3", "win_back", "0", false, "10", "14", "", "", false, "a mug"
            )),
            (
                "gift_reward".to_owned(),
                "Choose a reward of the catalogue that is not archived.".to_owned()
            )
        );
    }

    #[test]
    fn each_action_reads_back_from_its_code() {
        for action in Action::TRIED.into_iter().chain([Action::Nothing]) {
            assert_eq!(Action::parse(action.code()), Some(action));
        }
        assert_eq!(Action::parse("spam"), None);
    }
}
