use leptos::prelude::*;
use leptos_meta::{Meta, Title};
use leptos_router::hooks::{use_location, use_query_map};

use super::{
    BatchRow, FIELDS, FieldChoice, ImportsView, StartImport, UndoImport, UploadProblem,
    UploadStage, UploadView, get_imports, get_upload,
};
use crate::domain::i18n::tr;
use crate::kit::page::refused;
use crate::kit::{FieldError, FormError, Loaded, action_error, field_invalid};

/// `/staff/imports` (the upload form and the recent imports) and `/staff/imports?upload={id}`
/// (one uploaded file: map its columns, watch the import, read the summary). One route, so
/// the bundle every member downloads carries one entry for both.
#[component]
pub fn ImportsPage() -> impl IntoView {
    let query = use_query_map();
    // A link from the list to a file's page changes only the query: follow it.
    let upload = Memo::new(move |_| {
        query
            .read()
            .get("upload")
            .and_then(|id| id.parse::<i64>().ok())
    });
    move || match upload.get() {
        Some(id) => view! { <UploadPage id=id /> }.into_any(),
        None => view! { <ImportsList /> }.into_any(),
    }
}

#[component]
fn ImportsList() -> impl IntoView {
    let tr = tr();
    let query = use_query_map();
    let search = use_location().search;
    let imports = crate::domain::wire::resource(move || search.get(), |_| get_imports(None));
    let problem = move || {
        query
            .read()
            .get("error")
            .and_then(|code| UploadProblem::from_code(&code))
    };
    let undone = move || query.read().get("undone").is_some();
    view! {
        <Title text=tr.f("imports.page_title", &[("brand", tr.t("shell.brand"))]) />
        <section class="account-section" aria-labelledby="imports-heading">
            <p><a href="/staff">{tr.t("imports.back")}</a></p>
            <h1 id="imports-heading">{tr.t("imports.heading")}</h1>
            {move || undone().then(|| view! { <p class="form-success" role="status">{tr.t("imports.undone")}</p> })}
            <h2>{tr.t("imports.upload.heading")}</h2>
            // A plain multipart form: it works before the WebAssembly loads.
            <form method="post" action=super::UPLOAD_PATH enctype="multipart/form-data">
                <div class="field">
                    <label for="file">{tr.t("imports.upload.label")}</label>
                    <input id="file" name="file" type="file" accept=".csv,text/csv" required
                        aria-invalid=move || problem().is_some().then_some("true") aria-describedby="file-hint file-error" />
                    <p class="hint" id="file-hint">{tr.t("imports.upload.hint")}</p>
                    {move || problem().map(|p| view! { <p class="field-error" id="file-error" role="alert">{p.message()}</p> })}
                </div>
                <button type="submit" class="button">{tr.t("imports.upload.submit")}</button>
            </form>
        </section>
        <section class="account-section" aria-labelledby="batches-heading">
            <h2 id="batches-heading">{tr.t("imports.batches.heading")}</h2>
            <Loaded data=imports on_error=refused let:view>
                <Batches view=view />
            </Loaded>
        </section>
    }
}

#[component]
fn Batches(view: ImportsView) -> impl IntoView {
    let tr = tr();
    if view.batches.is_empty() {
        return view! { <p class="empty-state">{tr.t("imports.batches.empty")}</p> }.into_any();
    }
    let undo = ServerAction::<UndoImport>::new();
    let undo_error = action_error(undo);
    view! {
        <FormError error=undo_error />
        <div class="table-scroll">
            <table class="report-table">
                <thead><tr>
                    <th scope="col">{tr.t("imports.batches.from")}</th>
                    <th scope="col">{tr.t("imports.batches.when")}</th>
                    <th scope="col">{tr.t("imports.batches.written")}</th>
                    <th scope="col">{tr.t("imports.batches.points")}</th>
                    <th scope="col">{tr.t("imports.batches.status")}</th>
                </tr></thead>
                <tbody>
                    {view.batches.into_iter().map(|b| view! { <BatchLine b=b undo=undo /> }).collect_view()}
                </tbody>
            </table>
        </div>
    }
    .into_any()
}

#[component]
fn BatchLine(b: BatchRow, undo: ServerAction<UndoImport>) -> impl IntoView {
    let tr = tr();
    let from = match b.upload {
        Some(id) => view! { <a href=format!("/staff/imports?upload={id}")>{b.from}</a> }.into_any(),
        None => view! { <span>{b.from}</span> }.into_any(),
    };
    let status = match b.undone {
        Some(undone) => view! { <span>{undone}</span> }.into_any(),
        None => view! {
            <ActionForm action=undo>
                <input type="hidden" name="batch" value=b.id />
                <button type="submit" class="text-button">{tr.t("imports.undo")}</button>
            </ActionForm>
        }
        .into_any(),
    };
    view! {
        <tr>
            <th scope="row">{from}</th>
            <td>{b.when}</td><td>{b.written}</td><td>{b.points}</td>
            <td>{status}</td>
        </tr>
    }
}

#[component]
fn UploadPage(id: i64) -> impl IntoView {
    let tr = tr();
    let search = use_location().search;
    let upload = crate::domain::wire::resource(move || search.get(), move |_| get_upload(id, None));
    view! {
        <Title text=tr.f("imports.page_title", &[("brand", tr.t("shell.brand"))]) />
        <section class="account-section" aria-labelledby="upload-heading">
            <p><a href="/staff/imports">{tr.t("imports.back_to_imports")}</a></p>
            <Loaded data=upload on_error=refused let:view>
                <Upload view=view />
            </Loaded>
        </section>
    }
}

#[component]
fn Upload(view: UploadView) -> impl IntoView {
    let tr = tr();
    let UploadView {
        id,
        file_name,
        rows,
        columns,
        preview,
        stage,
    } = view;
    let stage = match stage {
        UploadStage::Mapping { fields } => {
            view! { <MappingForm id=id fields=fields columns=columns.clone() /> }.into_any()
        }
        UploadStage::Importing { done, total, label } => view! {
            // The page reloads itself while the batches are written, with or without
            // JavaScript.
            <Meta http_equiv="refresh" content="2" />
            <h2>{tr.t("imports.importing")}</h2>
            <progress max=total value=done aria-labelledby="progress-label"></progress>
            <p id="progress-label" role="status">{label}</p>
        }
        .into_any(),
        UploadStage::Done {
            summary,
            rejected,
            rejected_total,
            undone,
        } => view! { <Summary id=id summary=summary rejected=rejected rejected_total=rejected_total undone=undone /> }.into_any(),
        UploadStage::Failed { message } => {
            view! { <p class="notice notice-error" role="alert">{message}</p> }.into_any()
        }
    };
    view! {
        <h1 id="upload-heading">{file_name}</h1>
        <p class="hint">{rows}</p>
        {(!preview.is_empty()).then(|| view! {
            <h2>{tr.t("imports.preview")}</h2>
            <div class="table-scroll">
                <table class="report-table">
                    <thead><tr>{columns.iter().map(|c| view! { <th scope="col">{c.clone()}</th> }).collect_view()}</tr></thead>
                    <tbody>
                        {preview.into_iter().map(|row| view! {
                            <tr>{row.into_iter().map(|c| view! { <td>{c}</td> }).collect_view()}</tr>
                        }).collect_view()}
                    </tbody>
                </table>
            </div>
        })}
        {stage}
    }
}

#[component]
fn MappingForm(id: i64, fields: Vec<FieldChoice>, columns: Vec<String>) -> impl IntoView {
    let tr = tr();
    let start = ServerAction::<StartImport>::new();
    let error = action_error(start);
    view! {
        <h2>{tr.t("imports.mapping.heading")}</h2>
        <p class="hint">{tr.t("imports.mapping.hint")}</p>
        <ActionForm action=start>
            <FormError error=error />
            <input type="hidden" name="id" value=id />
            {FIELDS.iter().zip(fields).map(|((name, ..), field)| {
                let name: &'static str = name;
                let select_id = format!("map-{name}");
                let (hint_id, error_id) = (format!("{select_id}-hint"), format!("{select_id}-error"));
                view! {
                    <div class="field">
                        <label for=select_id.clone()>{field.label}</label>
                        <select id=select_id name=name aria-invalid=field_invalid(error, name)
                            aria-describedby=format!("{hint_id} {error_id}")>
                            <option value="" selected=field.column.is_none()>{tr.t("imports.mapping.none")}</option>
                            {columns.iter().enumerate().map(|(i, c)| view! {
                                <option value=i selected=field.column == Some(i)>{c.clone()}</option>
                            }).collect_view()}
                        </select>
                        <p class="hint" id=hint_id>{field.hint}</p>
                        <FieldError error=error field=name id=error_id />
                    </div>
                }
            }).collect_view()}
            <button type="submit" class="button" disabled=move || start.pending().get()>{tr.t("imports.mapping.submit")}</button>
        </ActionForm>
    }
}

#[component]
fn Summary(
    id: i64,
    summary: String,
    rejected: Vec<[String; 3]>,
    rejected_total: i64,
    undone: Option<String>,
) -> impl IntoView {
    let tr = tr();
    let undo = ServerAction::<UndoImport>::new();
    let undo_error = action_error(undo);
    view! {
        <h2>{tr.t("imports.done")}</h2>
        <p role="status">{summary}</p>
        {(rejected_total > 0).then(|| view! {
            <h3>{tr.t("imports.rejected.heading")}</h3>
            <p><a href=format!("/staff/imports/{id}/rejected.csv") download>{tr.t("imports.rejected.download")}</a></p>
            <div class="table-scroll">
                <table class="report-table">
                    <thead><tr>
                        <th scope="col">{tr.t("imports.rejected.line")}</th>
                        <th scope="col">{tr.t("imports.rejected.external_id")}</th>
                        <th scope="col">{tr.t("imports.rejected.reason")}</th>
                    </tr></thead>
                    <tbody>
                        {rejected.into_iter().map(|[line, external_id, reason]| view! {
                            <tr><th scope="row">{line}</th><td>{external_id}</td><td>{reason}</td></tr>
                        }).collect_view()}
                    </tbody>
                </table>
            </div>
        })}
        {match undone {
            Some(undone) if !undone.is_empty() => view! { <p class="form-success" role="status">{undone}</p> }.into_any(),
            Some(_) => ().into_any(),
            None => view! {
                <ActionForm action=undo>
                    <FormError error=undo_error />
                    <input type="hidden" name="upload" value=id />
                    <p class="hint">{tr.t("imports.undo_hint")}</p>
                    <button type="submit" class="button button-secondary">{tr.t("imports.undo")}</button>
                </ActionForm>
            }
            .into_any(),
        }}
    }
}
