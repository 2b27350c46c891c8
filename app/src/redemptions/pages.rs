use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_params;
use leptos_router::params::Params;

use super::{
    CancelRedemption, Redeem, RedeemOffer, Redemption, get_redemption, my_redemptions,
    redeem_preview,
};
use crate::AppError;
use crate::kit::{ErrorNotice, FormError, PostForm, action_error};

/// `/redeem/:item`
#[derive(Params, Debug, Clone, PartialEq)]
struct ItemParams {
    item: Option<i64>,
}

/// `/redemptions/:code`
#[derive(Params, Debug, Clone, PartialEq)]
struct CodeParams {
    code: Option<String>,
}

/// `/redeem/{item}`: the confirm step. A plain form, so it works before the WebAssembly loads.
#[component]
pub fn RedeemPage() -> impl IntoView {
    let params = use_params::<ItemParams>();
    let item = Memo::new(move |_| params.read().as_ref().ok().and_then(|p| p.item));
    let preview = crate::domain::wire::resource(
        move || item.get(),
        |item| async move {
            match item {
                Some(item) => redeem_preview(item).await,
                None => Err(AppError::not_found("That reward")),
            }
        },
    );
    let sign_in_to_redeem = move || {
        let next = item
            .get_untracked()
            .map(|i| format!("/redeem/{i}"))
            .unwrap_or_default();
        view! { <SignInToRedeem next /> }
    };
    view! {
        <Title text="Confirm · Rewards Bazaar" />
        // Not `kit::Loaded`: on the two drop-time pages, which every member's bundle carries, it
        // cost 3 KiB of brotli over this (README, Performance: front end weight).
        <Transition fallback=|| view! { <p class="loading" role="status" aria-busy="true">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match preview.await {
                    Ok(p) => view! { <Confirm preview=p /> }.into_any(),
                    Err(AppError::Unauthenticated) => sign_in_to_redeem().into_any(),
                    Err(error) => view! { <ErrorNotice error /> }.into_any(),
                }
            })}
        </Transition>
    }
}

#[component]
fn SignInToRedeem(next: String) -> impl IntoView {
    crate::kit::page_status::set_page_status(401);
    view! {
        <div class="notice">
            <h1>"Sign in to redeem"</h1>
            <p><a class="button" href=format!("/sign-in?next={next}")>"Sign in"</a></p>
        </div>
    }
}

#[component]
fn Confirm(preview: RedeemOffer) -> impl IntoView {
    let redeem = ServerAction::<Redeem>::new();
    let error = action_error(redeem);
    let after = preview.balance.get() - preview.cost.get();
    let blocked = preview.blocked.clone();
    view! {
        <section class="confirm" aria-labelledby="confirm-heading">
            <img src=preview.image_url alt="" width="320" height="200" />
            <div class="confirm-body">
                <p class="reward-category">{preview.category.singular()}</p>
                <h1 id="confirm-heading">{preview.reward_title.clone()}</h1>
                <p class="reward-description">{preview.description}</p>
                <dl class="confirm-sums">
                    <div><dt>"Cost"</dt><dd>{preview.cost.to_string()}</dd></div>
                    <div><dt>"Your balance"</dt><dd>{preview.balance.to_string()}</dd></div>
                    {(after >= 0).then(|| view! { <div><dt>"Balance after"</dt><dd>{format!("{after} pts")}</dd></div> })}
                </dl>
                {match blocked {
                    Some(why) => view! {
                        <p class="form-error" role="alert">{why.to_string()}</p>
                        <p><a href="/">"Back to the bazaar"</a></p>
                    }
                    .into_any(),
                    None => view! {
                        <PostForm action=redeem>
                            <FormError error />
                            <input type="hidden" name="drop_item_id" value=preview.drop_item_id.to_string() />
                            <input type="hidden" name="idempotency_key" value=preview.idempotency_key />
                            <button type="submit" class="button" disabled=move || redeem.pending().get()>
                                {move || if redeem.pending().get() { "Redeeming…" } else { "Confirm redemption" }}
                            </button>
                        </PostForm>
                        <p><a href="/">"Not now"</a></p>
                    }
                    .into_any(),
                }}
            </div>
        </section>
    }
}

/// `/redemptions/{code}`: the code to show in store, and a way to cancel while allowed.
#[component]
pub fn RedemptionPage() -> impl IntoView {
    let params = use_params::<CodeParams>();
    let code = Memo::new(move |_| {
        params
            .read()
            .as_ref()
            .ok()
            .and_then(|p| p.code.clone())
            .unwrap_or_default()
    });
    // A cancellation redirects to this same page, which the router does not load again: read
    // the redemption again when it is done, so the page shows it cancelled and the points back.
    let cancel = ServerAction::<CancelRedemption>::new();
    let redemption = crate::domain::wire::resource(
        move || (code.get(), cancel.version().get()),
        |(code, _)| get_redemption(code),
    );
    view! {
        <Title text="Your redemption · Rewards Bazaar" />
        // Not `kit::Loaded`, as on the confirm page above.
        <Transition fallback=|| view! { <p class="loading" role="status" aria-busy="true">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match redemption.await {
                    Ok(r) => view! { <RedemptionDetail redemption=r cancel /> }.into_any(),
                    Err(error) => view! { <ErrorNotice error /> }.into_any(),
                }
            })}
        </Transition>
    }
}

#[component]
fn RedemptionDetail(
    redemption: Redemption,
    cancel: ServerAction<CancelRedemption>,
) -> impl IntoView {
    let error = action_error(cancel);
    view! {
        <section class="redemption" aria-labelledby="redemption-heading">
            {if redemption.cancelled {
                view! { <p class="badge" role="status">"Cancelled"</p> }.into_any()
            } else {
                view! { <p class="badge badge-live">"Redeemed"</p> }.into_any()
            }}
            <h1 id="redemption-heading">{redemption.reward_title.clone()}</h1>
            <p class="redemption-code-label">"Your code"</p>
            <p class="redemption-code" data-testid="redemption-code">{redemption.code.clone()}</p>
            <dl class="confirm-sums">
                <div><dt>"Points"</dt><dd>{redemption.points.to_string()}</dd></div>
                <div><dt>"Your balance"</dt><dd data-testid="balance-after">{redemption.balance.to_string()}</dd></div>
                <div><dt>"Redeemed"</dt><dd>{redemption.created_label.clone()}</dd></div>
            </dl>
            {redemption.cancel_until.clone().map(|until| view! {
                <PostForm action=cancel>
                    <FormError error />
                    <input type="hidden" name="code" value=redemption.code.clone() />
                    <p class="hint">{format!("You can cancel until {until}; your points come back.")}</p>
                    <button type="submit" class="button button-secondary">"Cancel this redemption"</button>
                </PostForm>
            })}
            <p><a href="/">"Back to the bazaar"</a> " · " <a href="/account">"Your account"</a></p>
        </section>
    }
}

/// The account page's list of redemptions with their codes.
#[component]
pub fn RedemptionsList() -> impl IntoView {
    let redemptions = crate::domain::wire::resource(|| (), |_| my_redemptions());
    view! {
        <section class="account-section" aria-labelledby="redemptions-heading">
            <h2 id="redemptions-heading">"Your redemptions"</h2>
            <Transition fallback=|| view! { <p class="loading">"Loading…"</p> }>
                {move || Suspend::new(async move {
                    match redemptions.await {
                        Ok(list) if list.is_empty() => view! {
                            <p class="empty-state">"Rewards you redeem in the bazaar appear here with their codes."</p>
                        }
                        .into_any(),
                        Ok(list) => view! {
                            <ul class="history" role="list">
                                {list
                                    .into_iter()
                                    .map(|r| view! {
                                        <li class="history-line">
                                            <div>
                                                <p class="history-reason"><a href=format!("/redemptions/{}", r.code)>{r.reward_title}</a></p>
                                                <p class="history-meta">{format!("{} · {}", r.code, r.created_label)}</p>
                                            </div>
                                            <p class="points">{if r.cancelled { "Cancelled".to_owned() } else { r.points.to_string() }}</p>
                                        </li>
                                    })
                                    .collect_view()}
                            </ul>
                        }
                        .into_any(),
                        Err(error) => view! { <p class="form-error" role="alert">{error.to_string()}</p> }.into_any(),
                    }
                })}
            </Transition>
        </section>
    }
}
