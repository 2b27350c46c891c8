//! The HTML document, the app's routes, and layout pieces every page shares.

use leptos::prelude::*;
use leptos_meta::{HashedStylesheet, Link, Meta, MetaTags, Title, provide_meta_context};
use leptos_router::components::{Route, Router, Routes};
use leptos_router::{Lazy, LazyRoute, SsrMode, lazy_route, path};

use crate::account::{
    AccountPage, SignInPage, SignOut, SignOutAction, SignUpPage, ViewerMenu, current_viewer,
};
use crate::audiences::AudiencesPage;
use crate::audit_log::AuditPage;
use crate::bazaar::BazaarPage;
use crate::campaigns::{CampaignPage, CampaignsPage, NextActionsPage};
use crate::catalog::{StaffHome, StaffRewardEdit, StaffRewards};
use crate::domain::i18n::{Lang, tr};
use crate::domain::wire::resource;
use crate::draws::{DrawCheckPage, DrawPage, StaffDrawsPage};
use crate::drops::rotation::RotationPage;
use crate::drops::{StaffDropPage, StaffDropsPage, StaffSchedulePage};
use crate::imports::ImportsPage;
use crate::insights::InsightsPage;
use crate::kit::NotFound;
use crate::kit::focus::follow_navigation;
use crate::mailbox::MailboxPage;
use crate::member_care::{MemberCarePage, MemberSearchPage};
use crate::redemptions::{RedeemPage, RedemptionPage};
use crate::reports::DropReportPage;
use crate::team::{ApiKeysPage, TeamPage};

/// Starts the bundle (the preload links and the module script held in `template#bundle`) once
/// the page has loaded, the frame showing its images has been painted, and the browser is idle.
/// Scripts cloned out of a template run when they are inserted. Backstops: the idle wait gives
/// up after 2 s, and the bundle starts 5 s after the HTML was parsed even if an image keeps the
/// load event waiting (a busy media request at drop time); `started` makes it start once. The
/// service worker that keeps the member card for offline tills (`/sw.js`) is registered then
/// too, out of the first paint's way, for the account's pages only: a worker in front of the
/// bazaar would have to start before every page and file of a drop could load.
const START_BUNDLE: &str = "(()=>{let started=false;const go=()=>{if(started)return;started=true;\
document.head.append(document.getElementById('bundle').content.cloneNode(true));\
navigator.serviceWorker&&navigator.serviceWorker.register('/sw.js',{scope:'/account'}).catch(()=>{})};\
addEventListener('load',()=>requestAnimationFrame(()=>setTimeout(()=>\
'requestIdleCallback' in window?requestIdleCallback(go,{timeout:2000}):go())));\
addEventListener('DOMContentLoaded',()=>setTimeout(go,5000))})()";

/// The document the server sends for every page.
pub fn shell(options: LeptosOptions) -> impl IntoView {
    crate::kit::page_status::provide_page_nonce();
    let tr = tr();
    // The page's words go to the browser with it (see `domain::i18n`); not a script that runs.
    let catalog = crate::domain::i18n::page_catalog();
    view! {
        <!DOCTYPE html>
        <html lang=tr.lang().code() data-zone=crate::domain::i18n::page_zone()>
            <head>
                <meta charset="utf-8" />
                <meta name="viewport" content="width=device-width, initial-scale=1" />
                <meta name="theme-color" content="#5b2a86" />
                <link rel="manifest" href="/manifest.webmanifest" />
                <link rel="apple-touch-icon" href="/icons/icon-192.png" />
                <AutoReload options=options.clone() />
                <HashedStylesheet options=options.clone() id="leptos" />
                // Every page works as plain HTML forms first, so the bundle waits until the page
                // has loaded and the phone is idle. Leptos' own `defer` waits to run it but still
                // preloads it from the <head>, and on a slow link the WebAssembly then shares the
                // wire with the reward images the member is looking at (README, Performance: Lighthouse). Inside an
                // inert <template> nothing is fetched; `START_BUNDLE` moves it into the page.
                <template id="bundle">
                    <HydrationScripts options />
                </template>
                <script nonce=leptos::nonce::use_nonce()>{START_BUNDLE}</script>
                <script type="application/json" id=crate::domain::i18n::PAGE_CATALOG_ID nonce=leptos::nonce::use_nonce() inner_html=catalog></script>
                <MetaTags />
            </head>
            <body>
                <App />
            </body>
        </html>
    }
}

#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    let tr = tr();
    view! {
        <Link rel="icon" type_="image/svg+xml" href="/favicon.svg" />
        <Meta name="description" content=tr.t("shell.description") />
        <Title text=tr.t("shell.brand") />
        <Router>
            <Layout />
        </Router>
    }
}

/// Where the router is heading (path and query), once a navigation starts. The browser's panic
/// hook reads it: a lazy page whose chunk cannot be fetched (a flaky connection, or a tab from
/// before a deploy) panics inside the router, which leaves the old page showing and the link
/// dead; the hook then loads the page it was going to from the server instead.
#[derive(Clone, Default)]
pub struct NavigationTarget(pub std::sync::Arc<std::sync::Mutex<Option<String>>>);

/// Everything inside the router: the header, the page, the footer.
#[component]
fn Layout() -> impl IntoView {
    let sign_out = ServerAction::<SignOut>::new();
    provide_context(SignOutAction(sign_out));
    // Who is signed in changes only across a navigation (sign-in and sign-up redirect) or a
    // sign-out, so the header re-reads it then.
    let location = leptos_router::hooks::use_location();
    let pathname = location.pathname;
    // In the browser, `hydrate` asks to be told where each navigation is heading (see
    // `NavigationTarget`); the router sets the location as a navigation starts.
    if let Some(target) = use_context::<NavigationTarget>() {
        Effect::new(move |_| {
            let search = location.search.get();
            let to = if search.is_empty() {
                pathname.get()
            } else {
                format!("{}?{search}", pathname.get())
            };
            if let Ok(mut heading) = target.0.lock() {
                *heading = Some(to);
            }
        });
    }
    follow_navigation(pathname);
    let viewer = resource(
        move || (pathname.get(), sign_out.version().get()),
        |_| current_viewer(),
    );
    let tr = tr();
    view! {
        <a class="skip-link" href="#main">{tr.t("shell.skip")}</a>
        <header class="site-header">
            <a class="brand" href="/">
                <span class="brand-mark" aria-hidden="true">"✦"</span>
                " " {tr.t("shell.brand")}
            </a>
            <LanguageSwitch />
            <Transition fallback=|| ()>
                {move || Suspend::new(async move {
                    let viewer = viewer.await.ok().flatten();
                    view! { <ViewerMenu viewer /> }
                })}
            </Transition>
        </header>
        <main id="main" tabindex="-1">
            // Async rendering: each page is complete before it is sent, so it works without
            // JavaScript and its status code reflects errors.
            // Lazy routes: with `cargo leptos build --split` their code is in WebAssembly chunks
            // fetched when the page is first shown, so a phone at drop time downloads only what
            // the bazaar and redeeming need (a redemption's page comes once it is made). A page loaded directly is
            // complete HTML with working forms while its chunk arrives; a link followed in the
            // browser waits for the chunk, and loads the page from the server if the chunk
            // cannot be fetched (`NavigationTarget`).
            <Routes fallback=NotFound>
                <Route path=path!("/") view=BazaarPage ssr=SsrMode::Async />
                <Route path=path!("/account") view={Lazy::<AccountPageRoute>::new()} ssr=SsrMode::Async />
                <Route path=path!("/sign-in") view={Lazy::<SignInPageRoute>::new()} ssr=SsrMode::Async />
                <Route path=path!("/sign-up") view={Lazy::<SignUpPageRoute>::new()} ssr=SsrMode::Async />
                <Route path=path!("/redeem/:item") view=RedeemPage ssr=SsrMode::Async />
                <Route path=path!("/redemptions/:code") view={Lazy::<RedemptionPageRoute>::new()} ssr=SsrMode::Async />
                <Route path=path!("/draws/:item") view={Lazy::<DrawPageRoute>::new()} ssr=SsrMode::Async />
                <Route path=path!("/draws/:item/check") view={Lazy::<DrawCheckPageRoute>::new()} ssr=SsrMode::Async />
                // Every staff and admin page is in one chunk behind two routes; the page is
                // picked from the path (`StaffPage`), because each route and each chunk adds to
                // the bundle every member downloads.
                <Route path=path!("/staff") view={Lazy::<StaffRoute>::new()} ssr=SsrMode::Async />
                <Route path=path!("/staff/*page") view={Lazy::<StaffRoute>::new()} ssr=SsrMode::Async />
            </Routes>
        </main>
        <footer class="site-footer">
            <p>{tr.t("shell.brand")} " · " <a href="/">{tr.t("shell.bazaar")}</a> " · " <a href="/account">{tr.t("shell.account")}</a></p>
        </footer>
    }
}

/// The header's language switch: a plain form posting to `/language` (handled by the server,
/// outside the router), so it works without JavaScript and the new page comes whole, in its
/// language. It offers the languages the page is not in, each named in its own language.
#[component]
fn LanguageSwitch() -> impl IntoView {
    let tr = tr();
    let location = leptos_router::hooks::use_location();
    let back = move || {
        let search = location.search.get();
        if search.is_empty() {
            location.pathname.get()
        } else {
            format!("{}?{search}", location.pathname.get())
        }
    };
    view! {
        <form class="language-switch" method="post" action="/language" aria-label=tr.t("shell.language")>
            <input type="hidden" name="back" value=back />
            {Lang::ALL
                .into_iter()
                .filter(|lang| *lang != tr.lang())
                .map(|lang| view! {
                    <button type="submit" class="text-button" name="lang" value=lang.code() lang=lang.code()>
                        {lang.own_name()}
                    </button>
                })
                .collect_view()}
        </form>
    }
}

/// Wraps a page as a lazy route: its code goes into its own WebAssembly chunk (when the bundle
/// is split), fetched on the first visit to that page. The page loads its own data.
macro_rules! lazy_pages {
    ($($route:ident => $page:ident),* $(,)?) => {$(
        struct $route;

        #[lazy_route]
        impl LazyRoute for $route {
            fn data() -> Self {
                $route
            }

            fn view(_this: Self) -> AnyView {
                view! { <$page /> }.into_any()
            }
        }
    )*};
}

/// The staff console's pages, by path. Its routes are one chunk (see `Layout`): the page is
/// chosen from the path, and changes when a link inside the console leads to another page.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum StaffPage {
    Home,
    Rewards,
    Reward,
    Audit,
    Drops,
    Schedule,
    Drop,
    Report,
    Members,
    Member,
    Team,
    Mailbox,
    ApiKeys,
    Insights,
    Audiences,
    Campaigns,
    Campaign,
    NextActions,
    Draws,
    Rotation,
    Imports,
    NotFound,
}

impl StaffPage {
    fn of(path: &str) -> Self {
        let segments: Vec<&str> = path.trim_end_matches('/').split('/').skip(2).collect();
        match segments.as_slice() {
            [] => Self::Home,
            ["rewards"] => Self::Rewards,
            ["rewards", _] => Self::Reward,
            ["audit"] => Self::Audit,
            ["drops"] => Self::Drops,
            ["drops", "schedule"] => Self::Schedule,
            ["drops", _] => Self::Drop,
            ["drops", _, "report"] => Self::Report,
            ["members"] => Self::Members,
            ["members", _] => Self::Member,
            ["team"] => Self::Team,
            ["mailbox"] => Self::Mailbox,
            ["api-keys"] => Self::ApiKeys,
            ["insights"] => Self::Insights,
            ["audiences"] => Self::Audiences,
            ["campaigns"] => Self::Campaigns,
            ["campaigns", _] => Self::Campaign,
            ["next-actions"] => Self::NextActions,
            ["draws"] => Self::Draws,
            ["rotation"] => Self::Rotation,
            ["imports"] => Self::Imports,
            _ => Self::NotFound,
        }
    }

    fn view(self) -> AnyView {
        match self {
            Self::Home => view! { <StaffHome /> }.into_any(),
            Self::Rewards => view! { <StaffRewards /> }.into_any(),
            Self::Reward => view! { <StaffRewardEdit /> }.into_any(),
            Self::Audit => view! { <AuditPage /> }.into_any(),
            Self::Drops => view! { <StaffDropsPage /> }.into_any(),
            Self::Schedule => view! { <StaffSchedulePage /> }.into_any(),
            Self::Drop => view! { <StaffDropPage /> }.into_any(),
            Self::Report => view! { <DropReportPage /> }.into_any(),
            Self::Members => view! { <MemberSearchPage /> }.into_any(),
            Self::Member => view! { <MemberCarePage /> }.into_any(),
            Self::Team => view! { <TeamPage /> }.into_any(),
            Self::Mailbox => view! { <MailboxPage /> }.into_any(),
            Self::ApiKeys => view! { <ApiKeysPage /> }.into_any(),
            Self::Insights => view! { <InsightsPage /> }.into_any(),
            Self::Audiences => view! { <AudiencesPage /> }.into_any(),
            Self::Campaigns => view! { <CampaignsPage /> }.into_any(),
            Self::Campaign => view! { <CampaignPage /> }.into_any(),
            Self::NextActions => view! { <NextActionsPage /> }.into_any(),
            Self::Draws => view! { <StaffDrawsPage /> }.into_any(),
            Self::Rotation => view! { <RotationPage /> }.into_any(),
            Self::Imports => view! { <ImportsPage /> }.into_any(),
            Self::NotFound => view! { <NotFound /> }.into_any(),
        }
    }
}

struct StaffRoute;

#[lazy_route]
impl LazyRoute for StaffRoute {
    fn data() -> Self {
        StaffRoute
    }

    fn view(_this: Self) -> AnyView {
        crate::domain::i18n::ensure_staff_words();
        let pathname = leptos_router::hooks::use_location().pathname;
        // Leaving the console, the path stops being a staff path before this view is gone:
        // the page stays what it was rather than flashing "not found".
        let page = Memo::new(move |was: Option<&StaffPage>| {
            let path = pathname.read();
            match (path.starts_with("/staff"), was) {
                (false, Some(was)) => *was,
                _ => StaffPage::of(&path),
            }
        });
        (move || page.get().view()).into_any()
    }
}

lazy_pages! {
    // A member's account, signing up and signing in. Signing in is on a signed-out member's
    // way to Redeem, but they type a password there anyway, and the page works as a plain form
    // while its chunk arrives; the bundle every member downloads keeps the bazaar in its
    // budget with its words in two languages (README, Performance: front end weight).
    AccountPageRoute => AccountPage,
    SignUpPageRoute => SignUpPage,
    SignInPageRoute => SignInPage,
    // A redemption's page, with its code and one short question: the redemption is made by
    // the time it shows, so a moment for its chunk costs the member nothing at drop time.
    RedemptionPageRoute => RedemptionPage,
    // A draw's page and its check: members come to them from a card, and their forms post
    // plainly while the chunk arrives.
    DrawPageRoute => DrawPage,
    DrawCheckPageRoute => DrawCheckPage,
}

#[cfg(test)]
mod tests {
    use super::StaffPage;

    #[test]
    fn each_staff_path_shows_its_page() {
        for (path, page) in [
            ("/staff", StaffPage::Home),
            ("/staff/", StaffPage::Home),
            ("/staff/rewards", StaffPage::Rewards),
            ("/staff/rewards/12", StaffPage::Reward),
            ("/staff/drops/schedule", StaffPage::Schedule),
            ("/staff/drops/7", StaffPage::Drop),
            ("/staff/drops/7/report", StaffPage::Report),
            ("/staff/audiences", StaffPage::Audiences),
            ("/staff/campaigns", StaffPage::Campaigns),
            ("/staff/campaigns/4", StaffPage::Campaign),
            ("/staff/next-actions", StaffPage::NextActions),
            ("/staff/draws", StaffPage::Draws),
            ("/staff/rotation", StaffPage::Rotation),
            ("/staff/members/3", StaffPage::Member),
            ("/staff/api-keys", StaffPage::ApiKeys),
            ("/staff/imports", StaffPage::Imports),
            ("/staff/drops/7/nothing", StaffPage::NotFound),
            ("/staff/unknown", StaffPage::NotFound),
        ] {
            assert_eq!(StaffPage::of(path), page, "{path}");
        }
    }
}
