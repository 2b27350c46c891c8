//! One short question at a time, at natural moments (progressive profiling): after a
//! redemption (on its page) and on the account page, each a small prompt that never stands in
//! the way of Redeem. "Answer" leads to the question's own page (`QUESTION_PATH`, on the account
//! route: its code stays out of the bundle every member downloads); "Not now" puts it off.
//! The answers go where "What you love" keeps them, marked as given through a question.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;
use serde::{Deserialize, Serialize};

use crate::AppError;
use crate::domain::i18n::tr;
use crate::kit::{FormError, Loaded, action_error};
use server_fn::ServerFn as _;

/// The question's page.
pub const QUESTION_PATH: &str = "/account?step=question";

/// The questions, in the order they are asked.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Question {
    Types,
    Interests,
    Birthday,
}

impl Question {
    pub const ALL: [Question; 3] = [Question::Types, Question::Interests, Question::Birthday];

    /// As stored (`member_questions.question`) and posted.
    pub fn code(self) -> &'static str {
        match self {
            Question::Types => "types",
            Question::Interests => "interests",
            Question::Birthday => "birthday",
        }
    }

    pub fn parse(code: &str) -> Option<Question> {
        Question::ALL.into_iter().find(|q| q.code() == code)
    }

    /// The question as the member reads it.
    pub fn text(self) -> &'static str {
        let tr = tr();
        match self {
            Question::Types => tr.t("account.question.types"),
            Question::Interests => tr.t("account.question.interests"),
            Question::Birthday => tr.t("account.question.birthday"),
        }
    }
}

/// A question due for the member, with what its page needs to offer the choices.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Asked {
    pub question: Question,
    pub likes: super::likes::Likes,
}

/// The question due for the signed-in member now, if any.
#[server(prefix = "/api/fn", endpoint = "question", input = server_fn::codec::GetUrl, output = crate::domain::wire::Answer)]
pub async fn get_question() -> Result<Option<Asked>, AppError> {
    let caller = crate::infra::caller::authorize::<crate::infra::caller::Member>().await?;
    super::ssr::questions::asked(&caller)
        .await
        .map_err(crate::domain::error::server::reply)
}

/// The member's answer to `question`: the boxes they ticked (`types[]`, `interests[]`,
/// `no_interests`) or their birthday, as on "What you love".
#[server(prefix = "/api/fn", endpoint = "answer_question", input = server_fn::codec::PostUrl, output = crate::domain::wire::Answer)]
pub async fn answer_question(
    question: String,
    types: Option<Vec<String>>,
    interests: Option<Vec<String>>,
    no_interests: Option<String>,
    birthday_month: Option<String>,
    birthday_day: Option<String>,
) -> Result<(), AppError> {
    let caller = crate::infra::caller::authorize::<crate::infra::caller::Member>().await?;
    super::ssr::questions::answer(
        &caller,
        &question,
        super::ssr::LikesForm::posted(types, interests, no_interests, birthday_month, birthday_day),
    )
    .await
    .map_err(crate::domain::error::server::reply)?;
    leptos_axum::redirect(&format!("{QUESTION_PATH}&answered=1"));
    Ok(())
}

/// "Not now": the question is not asked again for a while. `back` is the page the prompt was
/// on (a path on this site).
#[server(prefix = "/api/fn", endpoint = "dismiss_question", input = server_fn::codec::PostUrl, output = crate::domain::wire::Answer)]
pub async fn dismiss_question(question: String, back: Option<String>) -> Result<(), AppError> {
    let caller = crate::infra::caller::authorize::<crate::infra::caller::Member>().await?;
    super::ssr::questions::dismiss(&caller, &question)
        .await
        .map_err(crate::domain::error::server::reply)?;
    leptos_axum::redirect(&super::safe_next(back.as_deref()));
    Ok(())
}

/// The prompt: the question, "Answer" and "Not now". Plain links and a plain form, so it costs
/// the pages that show it (the redemption page is in every member's bundle) almost nothing,
/// and works before the WebAssembly loads.
#[component]
pub fn QuestionPrompt(question: Question, back: String) -> impl IntoView {
    let tr = tr();
    view! {
        <aside class="question-prompt" aria-labelledby="question-prompt-heading">
            <h2 id="question-prompt-heading">{tr.t("account.question.prompt")}</h2>
            <p>{question.text()}</p>
            <form method="post" action=DismissQuestion::PATH class="question-actions">
                <a class="button" href=QUESTION_PATH>{tr.t("account.question.answer")}</a>
                <input type="hidden" name="question" value=question.code() />
                <input type="hidden" name="back" value=back />
                <button type="submit" class="button button-secondary">{tr.t("account.question.not_now")}</button>
            </form>
        </aside>
    }
}

/// `/account?step=question`: the one question due, as a form.
#[component]
pub fn QuestionPage() -> impl IntoView {
    let query = use_query_map();
    let answered = move || query.read().get("answered").is_some();
    let asked = crate::domain::wire::resource(|| (), |()| get_question());
    let tr = tr();
    view! {
        <Title text=format!("{} · {}", tr.t("account.question.title"), tr.t("shell.brand")) />
        <section class="question" aria-labelledby="question-heading">
            <h1 id="question-heading">{tr.t("account.question.title")}</h1>
            {move || answered().then(|| view! {
                <p class="form-success" role="status">{tr.t("account.question.thanks")}</p>
                <p><a class="button" href="/">{tr.t("kit.back_to_bazaar")}</a></p>
            })}
            {move || (!answered()).then(|| view! {
                <Loaded data=asked let:asked>
                    {match asked {
                        Some(asked) => view! { <QuestionForm asked /> }.into_any(),
                        None => view! {
                            <p class="empty-state">{tr.t("account.question.none")}</p>
                            <p><a href="/">{tr.t("kit.back_to_bazaar")}</a></p>
                        }
                        .into_any(),
                    }}
                </Loaded>
            })}
        </section>
    }
}

#[component]
fn QuestionForm(asked: Asked) -> impl IntoView {
    let answer = ServerAction::<AnswerQuestion>::new();
    let error = action_error(answer);
    let tr = tr();
    let Asked { question, likes } = asked;
    let choices = match question {
        Question::Types => view! { <super::likes::TypeChoices chosen=likes.types legend=question.text() /> }.into_any(),
        Question::Interests => view! {
            <super::likes::InterestChoices interests=likes.interests no_interests=likes.no_interests error legend=question.text() />
        }
        .into_any(),
        Question::Birthday => view! {
            <super::likes::BirthdayChoice month=likes.birthday_month day=likes.birthday_day month_names=likes.month_names error legend=question.text() />
        }
        .into_any(),
    };
    view! {
        <p class="hint">{tr.t("account.likes.hint")}</p>
        <ActionForm action=answer attr:class="account-form">
            <FormError error />
            <input type="hidden" name="question" value=question.code() />
            {choices}
            <button type="submit" class="button" disabled=move || answer.pending().get()>{tr.t("account.question.save")}</button>
        </ActionForm>
        <form method="post" action=DismissQuestion::PATH class="account-form">
            <input type="hidden" name="question" value=question.code() />
            <input type="hidden" name="back" value="/" />
            <button type="submit" class="button button-secondary">{tr.t("account.question.not_now")}</button>
        </form>
    }
}
