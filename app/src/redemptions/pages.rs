use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_params;
use leptos_router::params::Params;

use super::{
    CancelRedemption, Redeem, RedeemOffer, Redemption, get_redemption, my_redemptions,
    redeem_preview,
};
use crate::AppError;
use crate::domain::i18n::tr;
use crate::domain::points::Points;
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
    let tr = tr();
    let params = use_params::<ItemParams>();
    let item = Memo::new(move |_| params.read().as_ref().ok().and_then(|p| p.item));
    let preview = crate::domain::wire::resource(
        move || item.get(),
        move |item| async move {
            match item {
                Some(item) => redeem_preview(item).await,
                None => Err(AppError::not_found(tr.t("redemptions.the_reward"))),
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
        <Title text=format!("{} · {}", tr.t("redemptions.confirm.title"), tr.t("shell.brand")) />
        // Not `kit::Loaded`: on the two drop-time pages, which every member's bundle carries, it
        // cost 3 KiB of brotli over this (README, Performance: front end weight).
        <Transition fallback=move || view! { <p class="loading" role="status" aria-busy="true">{tr.t("kit.loading")}</p> }>
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
    let tr = tr();
    view! {
        <div class="notice">
            <h1>{tr.t("redemptions.confirm.sign_in_to_redeem")}</h1>
            <p><a class="button" href=format!("/sign-in?next={next}")>{tr.t("kit.sign_in")}</a></p>
        </div>
    }
}

#[component]
fn Confirm(preview: RedeemOffer) -> impl IntoView {
    let tr = tr();
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
                    <div><dt>{tr.t("redemptions.confirm.cost")}</dt><dd>{tr.points(preview.cost)}</dd></div>
                    <div><dt>{tr.t("redemptions.your_balance")}</dt><dd>{tr.points(preview.balance)}</dd></div>
                    {Points::new(after).ok().map(|after| view! { <div><dt>{tr.t("redemptions.confirm.balance_after")}</dt><dd>{tr.points(after)}</dd></div> })}
                </dl>
                {match blocked {
                    Some(why) => view! {
                        <p class="form-error" role="alert">{why.to_string()}</p>
                        <p><a href="/">{tr.t("kit.back_to_bazaar")}</a></p>
                    }
                    .into_any(),
                    None => view! {
                        <PostForm action=redeem>
                            <FormError error />
                            <input type="hidden" name="drop_item_id" value=preview.drop_item_id.to_string() />
                            <input type="hidden" name="idempotency_key" value=preview.idempotency_key />
                            <button type="submit" class="button" disabled=move || redeem.pending().get()>
                                {move || if redeem.pending().get() { tr.t("redemptions.confirm.redeeming") } else { tr.t("redemptions.confirm.submit") }}
                            </button>
                        </PostForm>
                        <p><a href="/">{tr.t("redemptions.confirm.not_now")}</a></p>
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
    let tr = tr();
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
        <Title text=format!("{} · {}", tr.t("redemptions.detail.title"), tr.t("shell.brand")) />
        // Not `kit::Loaded`, as on the confirm page above.
        <Transition fallback=move || view! { <p class="loading" role="status" aria-busy="true">{tr.t("kit.loading")}</p> }>
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
    let tr = tr();
    let back = format!("/redemptions/{}", redemption.code);
    view! {
        <section class="redemption" aria-labelledby="redemption-heading">
            {if redemption.cancelled {
                view! { <p class="badge" role="status">{tr.t("redemptions.detail.cancelled")}</p> }.into_any()
            } else {
                view! { <p class="badge badge-live">{tr.t("redemptions.detail.redeemed")}</p> }.into_any()
            }}
            <h1 id="redemption-heading">{redemption.reward_title.clone()}</h1>
            <p class="redemption-code-label">{tr.t("redemptions.detail.your_code")}</p>
            <p class="redemption-code" data-testid="redemption-code">{redemption.code.clone()}</p>
            <dl class="confirm-sums">
                <div><dt>{tr.t("redemptions.detail.points")}</dt><dd>{tr.points(redemption.points)}</dd></div>
                <div><dt>{tr.t("redemptions.your_balance")}</dt><dd data-testid="balance-after">{tr.points(redemption.balance)}</dd></div>
                <div><dt>{tr.t("redemptions.detail.redeemed_at")}</dt><dd>{redemption.created_label.clone()}</dd></div>
            </dl>
            {redemption.cancel_until.clone().map(|until| view! {
                <PostForm action=cancel>
                    <FormError error />
                    <input type="hidden" name="code" value=redemption.code.clone() />
                    <p class="hint">{tr.f("redemptions.detail.cancel_until", &[("until", &until)])}</p>
                    <button type="submit" class="button button-secondary">{tr.t("redemptions.detail.cancel")}</button>
                </PostForm>
            })}
            <p><a href="/">{tr.t("kit.back_to_bazaar")}</a> " · " <a href="/account">{tr.t("redemptions.detail.your_account")}</a></p>
        </section>
        {redemption.question.map(|question| view! {
            <crate::account::questions::QuestionPrompt question back=back.clone() />
        })}
    }
}

/// The account page's list of redemptions with their codes.
#[component]
pub fn RedemptionsList() -> impl IntoView {
    let redemptions = crate::domain::wire::resource(|| (), |_| my_redemptions());
    let tr = tr();
    view! {
        <section class="account-section" aria-labelledby="redemptions-heading">
            <h2 id="redemptions-heading">{tr.t("redemptions.list.heading")}</h2>
            <Transition fallback=move || view! { <p class="loading">{tr.t("kit.loading")}</p> }>
                {move || Suspend::new(async move {
                    match redemptions.await {
                        Ok(list) if list.is_empty() => view! {
                            <p class="empty-state">{tr.t("redemptions.list.empty")}</p>
                        }
                        .into_any(),
                        Ok(list) => view! {
                            <ul class="history" role="list">
                                {list
                                    .into_iter()
                                    .map(move |r| view! {
                                        <li class="history-line">
                                            <div>
                                                <p class="history-reason"><a href=format!("/redemptions/{}", r.code)>{r.reward_title}</a></p>
                                                <p class="history-meta">{format!("{} · {}", r.code, r.created_label)}</p>
                                            </div>
                                            <p class="points">{if r.cancelled { tr.t("redemptions.list.cancelled").to_owned() } else { tr.points(r.points) }}</p>
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
