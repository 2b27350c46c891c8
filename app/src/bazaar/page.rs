use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

use super::{BazaarView, CategoryCount, DropSummary, RewardCard, get_bazaar};
use crate::countdown::Countdown;
use crate::rewards::Category;
use crate::shell::ErrorNotice;

/// `/`: the live drop's rewards, the countdowns, and the category filter. The filter is a set of
/// plain links (`/?category=gift`), so it works before the WebAssembly loads; after hydration
/// the router turns the same clicks into a server-function call and swaps the grid in place.
#[component]
pub fn BazaarPage() -> impl IntoView {
    let query = use_query_map();
    let category = Memo::new(move |_| query.read().get("category"));
    let bazaar = Resource::new(move || category.get(), get_bazaar);
    // When a countdown reaches zero a drop has opened or closed: read the bazaar again.
    let refresh = Callback::new(move |()| bazaar.refetch());

    view! {
        <Title text="Bazaar · Rewards Bazaar" />
        <Transition fallback=BazaarSkeleton>
            {move || Suspend::new(async move {
                match bazaar.await {
                    Ok(data) => view! { <BazaarContent data refresh /> }.into_any(),
                    Err(error) => view! { <ErrorNotice error /> }.into_any(),
                }
            })}
        </Transition>
    }
}

#[component]
fn BazaarContent(data: BazaarView, refresh: Callback<()>) -> impl IntoView {
    let BazaarView {
        store,
        now,
        live,
        next,
        category,
        categories,
        rewards,
    } = data;
    let heading = match category {
        Some(c) => c.label().to_owned(),
        None => "All rewards".to_owned(),
    };
    let nothing_live = live.is_empty();
    let no_rewards = rewards.is_empty();

    view! {
        <section class="drop-status" aria-labelledby="bazaar-heading">
            <h1 id="bazaar-heading">{format!("{} Bazaar", store.name)}</h1>
            {live
                .into_iter()
                .map(|drop| view! { <LiveDrop drop now refresh /> })
                .collect_view()}
            {nothing_live.then(|| view! { <p class="drop-none">"No drop is live right now."</p> })}
            {next.map(|drop| view! { <NextDrop drop now refresh /> })}
        </section>
        <CategoryFilter categories selected=category />
        <section class="rewards" aria-labelledby="rewards-heading">
            <h2 id="rewards-heading">{heading}</h2>
            {if no_rewards {
                view! { <EmptyRewards category nothing_live /> }.into_any()
            } else {
                view! {
                    <ul class="reward-grid" role="list">
                        {rewards
                            .into_iter()
                            .map(|card| view! { <RewardCardView card /> })
                            .collect_view()}
                    </ul>
                }
                    .into_any()
            }}
        </section>
    }
}

#[component]
fn LiveDrop(
    drop: DropSummary,
    now: chrono::DateTime<chrono::Utc>,
    refresh: Callback<()>,
) -> impl IntoView {
    view! {
        <div class="drop-live">
            <p class="badge badge-live">"Live now"</p>
            <h2 class="drop-title">{drop.title}</h2>
            <p class="drop-time">
                "Closes in " <Countdown target=drop.ends_at server_now=now on_zero=refresh />
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
    view! {
        <div class="drop-next">
            <p class="drop-next-title">"Next drop: " <strong>{drop.title}</strong></p>
            <p class="drop-time">
                "Opens in " <Countdown target=drop.starts_at server_now=now on_zero=refresh />
                <span class="drop-when">{drop.starts_label}</span>
            </p>
        </div>
    }
}

#[component]
fn CategoryFilter(categories: Vec<CategoryCount>, selected: Option<Category>) -> impl IntoView {
    let total: i64 = categories.iter().map(|c| c.count).sum();
    let current = |is: bool| is.then_some("page");
    view! {
        <nav class="category-filter" aria-label="Reward categories">
            <ul role="list">
                <li>
                    <a href="/" aria-current=current(selected.is_none())>
                        "All" <span class="count">{total}</span>
                    </a>
                </li>
                {categories
                    .into_iter()
                    .map(|c| {
                        view! {
                            <li>
                                <a
                                    href=format!("/?category={}", c.category.slug())
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
fn RewardCardView(card: RewardCard) -> impl IntoView {
    let RewardCard {
        title,
        description,
        category,
        cost,
        quantity,
        remaining,
        image_url,
        ..
    } = card;
    let (stock_label, stock_class) = match remaining {
        0 => ("Sold out".to_owned(), "stock stock-out"),
        n if n * 5 <= quantity => (format!("Only {n} left"), "stock stock-low"),
        n => (format!("{n} of {quantity} left"), "stock"),
    };
    view! {
        <li class="reward-card" class:sold-out=remaining == 0>
            <img src=image_url alt="" width="320" height="200" loading="lazy" decoding="async" />
            <div class="reward-body">
                <p class="reward-category">{category.singular()}</p>
                <h3 class="reward-title">{title}</h3>
                <p class="reward-description">{description}</p>
                <p class="reward-meta">
                    <span class="cost">{cost.to_string()}</span>
                    <span class=stock_class>{stock_label}</span>
                </p>
            </div>
        </li>
    }
}

#[component]
fn EmptyRewards(category: Option<Category>, nothing_live: bool) -> impl IntoView {
    let message = match (nothing_live, category) {
        (true, _) => {
            "Rewards appear here when the next drop opens. Check back when the countdown ends."
                .to_owned()
        }
        (false, Some(c)) => format!("This drop has no {} right now.", c.label().to_lowercase()),
        (false, None) => "This drop has no rewards yet.".to_owned(),
    };
    view! {
        <div class="empty-state" role="status">
            <p>{message}</p>
            {category.map(|_| view! { <a href="/">"See all rewards"</a> })}
        </div>
    }
}

#[component]
fn BazaarSkeleton() -> impl IntoView {
    view! {
        <div class="skeleton" aria-busy="true" aria-live="polite">
            <p class="visually-hidden">"Loading the bazaar…"</p>
            <div class="skeleton-block skeleton-hero"></div>
            <ul class="reward-grid" role="list">
                {(0..6).map(|_| view! { <li class="skeleton-block skeleton-card"></li> }).collect_view()}
            </ul>
        </div>
    }
}
