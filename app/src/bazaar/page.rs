use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

use super::{BazaarView, CardAction, CategoryCount, DropSummary, Remind, RewardCard, get_bazaar};
use crate::domain::category::Category;
use crate::domain::i18n::tr;
use crate::kit::ErrorNotice;
use crate::kit::PostForm;
use crate::kit::countdown::{Countdown, LocalTime, Reached};
use crate::kit::focus::Refocus;
use crate::kit::live::LiveStock;

/// `/`: the live drop's rewards, the countdowns, and the category filter. The filter is a set of
/// plain links (`/?category=gift`), so it works before the WebAssembly loads; after hydration
/// the router turns the same clicks into a server-function call and swaps the grid in place.
#[component]
pub fn BazaarPage() -> impl IntoView {
    let query = use_query_map();
    let category = Memo::new(move |_| query.read().get("category"));
    let remind = ServerAction::<Remind>::new();
    let live = LiveStock::provide();
    // Reading the bazaar again after a reminder changes shows its new state in place. Each read
    // carries the live-stock mark from when it began: counts pushed before it give way to it.
    let bazaar = crate::domain::wire::resource(
        move || (category.get(), remind.version().get()),
        move |(category, _)| {
            let mark = live.mark();
            async move { (get_bazaar(category).await, mark) }
        },
    );
    // When a countdown reaches zero a drop has opened or closed: read the bazaar again.
    let refresh = Callback::new(move |()| bazaar.refetch());
    Reached::provide();
    // The remind button pressed is replaced when the bazaar is read again: its successor (same
    // id, the other way round) takes the focus.
    let refocus = Refocus::new();
    Effect::new(move |_| {
        if let Some(drop_id) = remind
            .input()
            .with(|input| input.as_ref().map(|r| r.drop_id))
        {
            refocus.after_render(remind_button_id(drop_id));
        }
    });
    Effect::new(move |shown: Option<()>| {
        let category = category.get();
        // Not for the page as loaded: only when a filter link swapped the grid in place.
        if shown.is_some() {
            refocus.after_render(category_link_id(category.as_deref()));
        }
    });
    live.connect(refresh);
    let tr = tr();

    view! {
        <Title text=format!("{} · {}", tr.t("shell.bazaar"), tr.t("shell.brand")) />
        <Transition fallback=BazaarSkeleton>
            {move || Suspend::new(async move {
                let (answer, mark) = bazaar.await;
                match answer {
                    Ok(data) => view! { <BazaarContent data mark refresh remind refocus /> }.into_any(),
                    Err(error) => view! { <ErrorNotice error /> }.into_any(),
                }
            })}
        </Transition>
    }
}

#[component]
fn BazaarContent(
    data: BazaarView,
    /// The live-stock mark of the read that brought `data`.
    mark: u64,
    refresh: Callback<()>,
    remind: ServerAction<Remind>,
    refocus: Refocus,
) -> impl IntoView {
    refocus.on_render();
    let BazaarView {
        store,
        now,
        live,
        upcoming,
        next,
        category,
        categories,
        for_you,
        rewards,
    } = data;
    let tr = tr();
    let heading = match category {
        Some(c) => c.label().to_owned(),
        None => tr.t("bazaar.all_rewards").to_owned(),
    };
    let nothing_live = live.is_empty();
    let no_rewards = rewards.is_empty();
    let has_for_you = !for_you.is_empty();

    view! {
        <section class="drop-status" aria-labelledby="bazaar-heading">
            <h1 id="bazaar-heading">{tr.f("bazaar.heading", &[("store", &store.name)])}</h1>
            {live
                .into_iter()
                .map(|drop| view! { <LiveDrop drop now refresh /> })
                .collect_view()}
            {nothing_live.then(|| view! { <p class="drop-none">{tr.t("bazaar.nothing_live")}</p> })}
            {next.map(|drop| view! { <NextDrop drop now refresh /> })}
        </section>
        <CategoryFilter categories selected=category />
        {(!for_you.is_empty()).then(|| view! {
            <section class="rewards for-you" aria-labelledby="for-you-heading">
                <h2 id="for-you-heading">{tr.t("bazaar.for_you")}</h2>
                <ul class="reward-grid for-you-row" role="list">
                    {for_you
                        .into_iter()
                        .enumerate()
                        .map(|(i, card)| view! { <ForYouCard card first_screen=i < 2 /> })
                        .collect_view()}
                </ul>
            </section>
        })}
        <section class="rewards" aria-labelledby="rewards-heading">
            <h2 id="rewards-heading">{heading}</h2>
            {if no_rewards {
                view! { <EmptyRewards category nothing_live /> }.into_any()
            } else {
                view! {
                    <ul class="reward-grid" role="list">
                        {rewards
                            .into_iter()
                            .enumerate()
                            .map(|(i, card)| view! { <RewardCardView card mark now refresh first_screen=i < 2 && !has_for_you /> })
                            .collect_view()}
                    </ul>
                }
                    .into_any()
            }}
        </section>
        <UpcomingDrops drops=upcoming now refresh remind category />
    }
}

/// A category's filter link: after the grid is swapped for another category's, the link
/// followed has the focus again.
fn category_link_id(slug: Option<&str>) -> String {
    format!("category-{}", slug.unwrap_or("all"))
}

/// A drop's remind button, whichever way round it is: focus follows it across a re-render.
fn remind_button_id(drop_id: i64) -> String {
    format!("remind-{drop_id}")
}

/// The calendar of drops to come, in the reader's own time zone once the page is interactive,
/// each with a reminder toggle for signed-in members.
#[component]
fn UpcomingDrops(
    drops: Vec<DropSummary>,
    now: chrono::DateTime<chrono::Utc>,
    refresh: Callback<()>,
    remind: ServerAction<Remind>,
    category: Option<Category>,
) -> impl IntoView {
    let error = crate::kit::action_error(remind);
    let tr = tr();
    (!drops.is_empty()).then(|| view! {
        <section class="upcoming" aria-labelledby="upcoming-heading">
            <h2 id="upcoming-heading">{tr.t("bazaar.upcoming")}</h2>
            <crate::kit::FormError error />
            <ol class="upcoming-list" role="list">
                {drops
                    .into_iter()
                    .map(|drop| view! {
                        <li class="upcoming-drop">
                            <p class="upcoming-title">{drop.title.clone()}</p>
                            <p class="upcoming-when">
                                <LocalTime at=drop.starts_at store_label=drop.starts_label.clone() />
                                " · "
                                {match drop.starts_in.clone() {
                                    Some(phrase) => phrase.into_any(),
                                    None => view! { {tr.t("bazaar.in")} " " <Countdown target=drop.starts_at server_now=now on_zero=refresh /> }.into_any(),
                                }}
                            </p>
                            {drop.reminded.map(|reminded| view! {
                                <PostForm action=remind class="remind-form">
                                    <input type="hidden" name="drop_id" value=drop.id.to_string() />
                                    <input type="hidden" name="on" value=(!reminded).to_string() />
                                    {category.map(|c| view! { <input type="hidden" name="category" value=c.slug() /> })}
                                    {if reminded {
                                        view! {
                                            <span class="remind-set" role="status">{tr.t("bazaar.reminder_set")}</span>
                                            <button type="submit" class="text-button" id=remind_button_id(drop.id) aria-label=tr.f("bazaar.cancel_reminder_for", &[("drop", &drop.title)])>{tr.t("bazaar.cancel")}</button>
                                        }.into_any()
                                    } else {
                                        view! {
                                            <button type="submit" class="button button-outline" id=remind_button_id(drop.id) aria-label=tr.f("bazaar.remind_me_about", &[("drop", &drop.title)])>{tr.t("bazaar.remind_me")}</button>
                                        }.into_any()
                                    }}
                                </PostForm>
                            })}
                        </li>
                    })
                    .collect_view()}
            </ol>
        </section>
    })
}

#[component]
fn LiveDrop(
    drop: DropSummary,
    now: chrono::DateTime<chrono::Utc>,
    refresh: Callback<()>,
) -> impl IntoView {
    let tr = tr();
    view! {
        <div class="drop-live">
            <p class="badge badge-live">{tr.t("bazaar.live_now")}</p>
            <h2 class="drop-title">{drop.title}</h2>
            <p class="drop-time">
                {tr.t("bazaar.closes_in")} " " <Countdown target=drop.ends_at server_now=now on_zero=refresh />
                <span class="drop-when">{drop.ends_label}</span>
            </p>
        </div>
    }
}

#[component]
fn NextDrop(
    drop: DropSummary,
    now: chrono::DateTime<chrono::Utc>,
    refresh: Callback<()>,
) -> impl IntoView {
    let tr = tr();
    view! {
        <div class="drop-next">
            <p class="drop-next-title">{tr.t("bazaar.next_drop")} " " <strong>{drop.title}</strong></p>
            <p class="drop-time">
                {tr.t("bazaar.opens_in")} " " <Countdown target=drop.starts_at server_now=now on_zero=refresh />
                <span class="drop-when">{drop.starts_label}</span>
            </p>
        </div>
    }
}

#[component]
fn CategoryFilter(categories: Vec<CategoryCount>, selected: Option<Category>) -> impl IntoView {
    let total: i64 = categories.iter().map(|c| c.count).sum();
    let current = |is: bool| is.then_some("page");
    let tr = tr();
    view! {
        <nav class="category-filter" aria-label=tr.t("bazaar.categories")>
            <ul role="list">
                <li>
                    <a href="/" id=category_link_id(None) aria-current=current(selected.is_none())>
                        {tr.t("bazaar.all")} " " <span class="count">{total}</span>
                    </a>
                </li>
                {categories
                    .into_iter()
                    .map(|c| {
                        view! {
                            <li>
                                <a
                                    href=format!("/?category={}", c.category.slug())
                                    id=category_link_id(Some(c.category.slug()))
                                    aria-current=current(selected == Some(c.category))
                                >
                                    {c.category.label()}
                                    <span class="count">{c.count}</span>
                                </a>
                            </li>
                        }
                    })
                    .collect_view()}
            </ul>
        </nav>
    }
}

#[component]
fn RewardCardView(
    card: RewardCard,
    mark: u64,
    now: chrono::DateTime<chrono::Utc>,
    refresh: Callback<()>,
    /// On a phone's first screen: its picture is the page's largest paint, so it loads at once
    /// (lazy loading would wait for layout and push the paint back by seconds on a slow link).
    first_screen: bool,
) -> impl IntoView {
    let RewardCard {
        drop_item_id,
        title,
        description,
        category,
        cost,
        quantity,
        remaining,
        image_url,
        opens_at,
        action,
        ..
    } = card;
    // Stock changes pushed since the card's data was read win over it. A memo: a push for
    // another item wakes this card's check, not its stock text or its button.
    let live = use_context::<LiveStock>();
    let tr = tr();
    let remaining = Memo::new(move |_| {
        live.and_then(|l| l.remaining(drop_item_id, mark))
            .unwrap_or(remaining)
    });
    let stock = move || match remaining.get() {
        0 => (tr.t("bazaar.sold_out").to_owned(), "stock stock-out"),
        n if n * 5 <= quantity => (
            tr.count("bazaar.only_left", i64::from(n), &[]),
            "stock stock-low",
        ),
        n => (
            tr.count(
                "bazaar.left_of",
                i64::from(n),
                &[("quantity", &tr.number(i64::from(quantity)))],
            ),
            "stock",
        ),
    };
    let label_id = format!("reward-{drop_item_id}");
    let described = label_id.clone();
    let set_aside = action == CardAction::AudienceOnly;
    let action_view = move || {
        if remaining.get() == 0 {
            return view! { <p class="card-why">{tr.t("bazaar.sold_out")}</p> }.into_any();
        }
        match action.clone() {
            CardAction::Redeem => view! {
                <a class="button" href=format!("/redeem/{drop_item_id}") aria-describedby=described.clone()>{tr.t("bazaar.redeem")}</a>
            }
            .into_any(),
            CardAction::SignIn => view! {
                <a
                    class="button button-secondary"
                    href=format!("/sign-in?next=/redeem/{drop_item_id}")
                    aria-describedby=described.clone()
                >
                    {tr.t("bazaar.sign_in_to_redeem")}
                </a>
            }
            .into_any(),
            CardAction::NeedPoints { more } => view! { <p class="card-why">{tr.count("bazaar.need_more", more, &[])}</p> }.into_any(),
            CardAction::TierRequired { tier } => view! {
                <p class="card-why">{tr.f("bazaar.tier_and_above", &[("tier", &tier_label(&tier))])}</p>
            }
            .into_any(),
            CardAction::AudienceOnly => view! { <p class="card-why">{tr.t("bazaar.set_aside")}</p> }.into_any(),
            CardAction::LimitReached => view! { <p class="card-why">{tr.t("bazaar.limit_reached")}</p> }.into_any(),
            CardAction::Opens => view! {
                <p class="card-why">{tr.t("bazaar.opens_in")} " " <Countdown target=opens_at server_now=now on_zero=refresh /></p>
            }
            .into_any(),
            CardAction::SoldOut => view! { <p class="card-why">{tr.t("bazaar.sold_out")}</p> }.into_any(),
            CardAction::Draw => view! {
                <a class="button button-secondary" href=format!("/draws/{drop_item_id}") aria-describedby=described.clone()>{tr.t("bazaar.draw")}</a>
            }
            .into_any(),
        }
    };
    view! {
        <li class="reward-card" class:sold-out=move || remaining.get() == 0 class:set-aside=set_aside data-item=drop_item_id.to_string()>
            {reward_image(image_url, first_screen)}
            <div class="reward-body">
                <p class="reward-category">{category.singular()}</p>
                <h3 class="reward-title" id=label_id>{title}</h3>
                <p class="reward-description">{description}</p>
                // Not a live region: at a drop every card changes at once, and a screen reader
                // would read them all out.
                <p class="reward-meta">
                    <span class="cost">{tr.points(cost)}</span>
                    <span class=move || stock().1>{move || stock().0}</span>
                </p>
                <div class="card-action">{action_view}</div>
            </div>
        </li>
    }
}

/// A reward's picture on a card. On a phone's first screen it is the page's largest paint, so it
/// loads at once and is decoded on the main thread (off it, it can paint a frame late); further
/// down it waits for the reader to scroll near it.
fn reward_image(src: String, first_screen: bool) -> impl IntoView {
    view! {
        <img
            src=src
            alt=""
            width="320"
            height="200"
            loading=if first_screen { "eager" } else { "lazy" }
            fetchpriority=first_screen.then_some("high")
            decoding=(!first_screen).then_some("async")
        />
    }
}

/// A card in the "For you" row: why it is there, what it is and what it costs, and a link to
/// the reward's own page, which says whether the reader can redeem it and why not. Nothing in it
/// changes once it is drawn: the same reward's card in the grid below carries the live stock and
/// the button, and a row of static cards is cheap to hydrate (the bazaar's first interaction
/// waits for hydration: README, Performance).
#[component]
fn ForYouCard(card: RewardCard, first_screen: bool) -> impl IntoView {
    let RewardCard {
        drop_item_id,
        title,
        category,
        cost,
        image_url,
        why,
        ..
    } = card;
    let tr = tr();
    view! {
        <li class="reward-card for-you-card">
            {reward_image(image_url, first_screen)}
            <div class="reward-body">
                {why.map(|why| view! { <p class="for-you-why">{why}</p> })}
                <p class="reward-category">{category.singular()}</p>
                <h3 class="reward-title"><a href=format!("/redeem/{drop_item_id}")>{title}</a></h3>
                <p class="reward-meta"><span class="cost">{tr.points(cost)}</span></p>
            </div>
        </li>
    }
}

#[component]
fn EmptyRewards(category: Option<Category>, nothing_live: bool) -> impl IntoView {
    let tr = tr();
    let message = match (nothing_live, category) {
        (true, _) => tr.t("bazaar.empty_until_open").to_owned(),
        // A sentence per category: each language names it as its grammar needs, and no
        // Unicode lower-casing comes into the bundle every member downloads (README,
        // Performance: front end weight).
        (false, Some(c)) => tr
            .t(match c {
                Category::Sample => "bazaar.empty.sample",
                Category::Experience => "bazaar.empty.experience",
                Category::Service => "bazaar.empty.service",
                Category::Discount => "bazaar.empty.discount",
                Category::FreeShipping => "bazaar.empty.free_shipping",
                Category::Gift => "bazaar.empty.gift",
            })
            .to_owned(),
        (false, None) => tr.t("bazaar.empty_drop").to_owned(),
    };
    view! {
        <div class="empty-state" role="status">
            <p>{message}</p>
            {category.map(|_| view! { <a href="/">{tr.t("bazaar.see_all")}</a> })}
        </div>
    }
}

#[component]
fn BazaarSkeleton() -> impl IntoView {
    view! {
        <div class="skeleton" aria-busy="true" aria-live="polite">
            <p class="visually-hidden">{tr().t("bazaar.loading")}</p>
            <div class="skeleton-block skeleton-hero"></div>
            <ul class="reward-grid" role="list">
                {(0..6).map(|_| view! { <li class="skeleton-block skeleton-card"></li> }).collect_view()}
            </ul>
        </div>
    }
}

/// A tier's name in the reader's language, from the name the server read (`Gold`).
fn tier_label(name: &str) -> String {
    crate::domain::account::Tier::parse_name(name)
        .map_or_else(|| name.to_owned(), |t| t.name().to_owned())
}
