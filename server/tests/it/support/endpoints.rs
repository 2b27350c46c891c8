//! Every path into the `app` crate that the integration tests and the benchmark use, and only
//! here: when the app's modules move, this is the one file to change. The benchmark includes
//! it too (`server/benches/storm/main.rs`), for the redeem and sign-in URLs and the seeding.
//!
//! A server function's URL is its `PATH` (`<Redeem as ServerFn>::PATH` is `/api/fn/redeem`):
//! Leptos' `#[server]` names a struct after the function, in CamelCase. Tests take URLs from
//! there, so a renamed or moved endpoint breaks the build instead of a test.

pub use leptos::server_fn::ServerFn;

// The server functions the tests call, by feature.
pub use app::account::card::{CARD_PATH, GetCard};
pub use app::account::data_rights::DeleteAccount;
pub use app::account::likes::{ClearLikes, SaveLikes};
pub use app::account::questions::{AnswerQuestion, DismissQuestion};
pub use app::account::two_factor::{EnableTwoFactor, ResetTwoFactor, SignInCode, TwoFactorStatus};
pub use app::account::{
    ChangePassword, CurrentViewer, EndOtherSessions, EndSession, GetAccount, RequestPasswordReset,
    ResendVerification, ResetPassword, SetMessages, SetTimeZone, SignIn, SignOut, SignUp,
    Unsubscribe, VerifyEmail,
};
pub use app::audiences::{CountAudience, DeleteAudience, GetAudiences, SaveAudience};
pub use app::audit_log::AuditEntries;
pub use app::bazaar::{GetBazaar, Remind};
pub use app::campaigns::{
    CreateCampaign, GetCampaign, GetCampaigns, GetNextActions, SaveActionTerms, SaveStoreTerms,
    next_actions_csv_path,
};
pub use app::catalog::{ArchiveReward, GetStaffReward, ListStaffRewards, SaveReward};
pub use app::draws::{
    CancelDraw, CheckDraw, CreateDraw, DrawCount, EnterDraw, GetDraw, GetStaffDraws, RemindDraw,
    WithdrawDraw,
};
pub use app::drops::rotation::{
    AddPool, GetRotation, RotationAlerts, SetFill, SetScheduleState, SkipDate,
};
pub use app::drops::{
    CancelDrop, CreateSchedule, GetDropCalendar, GetStaffDrop, PreviewSchedule, RemoveDropItem,
    SaveDrop, SaveDropItem,
};
pub use app::imports::{GetImports, GetUpload, StartImport, UndoImport};
pub use app::insights::wants::{AddInterest, GetWants, OfferInterest};
pub use app::insights::{GetInsights, GetModelCheck, GetMovement, RecomputeScores};
pub use app::mailbox::{Mailbox, SendTestEmail};
pub use app::member_care::{
    AdjustPoints, CancelForMember, DeleteMember, GetMemberCare, SearchMembers,
};
pub use app::redemptions::{CancelRedemption, GetRedemption, Redeem, RedeemPreview};
pub use app::reports::GetDropReport;
pub use app::team::{CreateApiKey, ListApiKeys, ListTeam, RevokeApiKey, SetRole};

// The error every server function answers with, as the browser decodes it.
pub use app::AppError;

// The app's state and configuration, for building the router as the server does.
pub use app::infra::config::Config;
pub use app::infra::state::AppState;

// Server-side code the tests drive directly, and the seeding uses.
pub use app::account::ssr::hash_password;
pub use app::domain::error::server::violated_constraint;
pub use app::infra::ledger;
pub use app::redemptions::ssr::admission::{Admission, Limits};
pub use app::redemptions::ssr::{Press, Settled, settle};
