//! Reporting in the browser: the desk (the agency's reports and those awaiting its review)
//! and a report's page — the data forms as a grid, the outline's sections, the validation
//! results with explanations for warnings, and the actions the caller may take.
//!
//! Every action goes through the same use cases as the API ([`baocao_service::reporting`]),
//! so the same checks, rules and permissions hold and the page offers only what they allow; an edit the server refuses is shown again with
//! what was typed, so nothing is lost.

use std::collections::{BTreeMap, HashMap, HashSet};

use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use baocao_domain::agency::AgencyCode;
use baocao_domain::compliance::SlotStatus;
use baocao_domain::period::PeriodId;
use baocao_domain::regime::Regime;
use baocao_domain::report::{CellAddress, CellInput, SectionInput};
use baocao_domain::rules::Explanation;
use baocao_domain::submission::SubmissionAction;
use serde::Serialize;
use serde_json::{Value, json};

use super::describe;
use super::{PageContext, PageError};
use crate::AppState;
use crate::error::ApiError;
use crate::extract::load_regime_for;
use crate::i18n::{Lang, combo_label};
use baocao_service::catalogue::Catalogue;
use baocao_service::reporting::{self, ActionInput, DraftEdit, ReportAddress};

use baocao_domain::report::MAX_COMBINATIONS;

type SlotPath = (String, String, String);

#[derive(Serialize)]
struct GridCell {
    name: String,
    value: String,
    /// The stored value as shown (what "unsaved changes" are counted against).
    saved: String,
    flagged: bool,
    outlier: bool,
    /// Filled from stored data, not typed.
    derived: bool,
    /// Why the last save refused this cell.
    refused: Option<String>,
    /// The reporter's note on the value (DHIS2's comment), where there is one.
    comment: Option<String>,
}

/// The cells a refused save named, by (form, row, column, options key), each with its reason
/// in the page's language.
type Refusals = HashMap<(String, String, String, String), String>;

/// The cells an error names (`problems` of a refused save), keyed as the grid finds them.
fn refusals(error: &ApiError, lang: Lang) -> Refusals {
    let Some(problems) = error.details.get("problems").and_then(|p| p.as_array()) else {
        return Refusals::new();
    };
    problems
        .iter()
        .map(|p| {
            let text = |key: &str| p[key].as_str().unwrap_or_default().to_string();
            let message = if lang == Lang::En {
                text("message_en")
            } else {
                text("message")
            };
            (
                (text("form"), text("row"), text("column"), text("options")),
                message,
            )
        })
        .collect()
}

/// Whether `address`'s indicator holds numbers (shown and read in the page's notation).
fn numeric(catalogue: &Catalogue, address: &CellAddress) -> bool {
    catalogue
        .indicators
        .iter()
        .find(|i| i.code() == &address.row)
        .is_some_and(|i| i.value_type().is_numeric())
}

#[derive(Serialize)]
struct GridRow {
    indicator: String,
    name: String,
    unit: String,
    options: String,
    is_part: bool,
    cells: Vec<GridCell>,
}

#[derive(Serialize)]
struct GridForm {
    code: String,
    title: String,
    columns: Vec<&'static str>,
    rows: Vec<GridRow>,
}

/// The cells of a regime's forms in a fixed order: cell `n` of the page is `addresses[n]`.
fn layout(regime: &Regime, catalogue: &Catalogue) -> Vec<(usize, CellAddress, bool)> {
    baocao_domain::report::cell_layout(
        regime.content(),
        &catalogue.indicators,
        &catalogue.categories,
        MAX_COMBINATIONS,
    )
}

/// What the grid shows of each cell: the value (typed after a refused save, else stored) and
/// the stored value, both as the page writes numbers.
struct Shown<'a> {
    values: &'a HashMap<CellAddress, String>,
    saved: &'a HashMap<CellAddress, String>,
    comments: &'a HashMap<CellAddress, String>,
    refused: &'a Refusals,
}

fn grid(
    regime: &Regime,
    catalogue: &Catalogue,
    shown: &Shown<'_>,
    flagged: &HashSet<CellAddress>,
    unusual: &HashSet<CellAddress>,
    lang: Lang,
) -> Vec<GridForm> {
    let mut forms: Vec<GridForm> = regime
        .content()
        .forms
        .iter()
        .map(|form| GridForm {
            code: form.code.clone(),
            title: if lang == Lang::En && !form.title_en.is_empty() {
                form.title_en.clone()
            } else {
                form.title_vi.clone()
            },
            columns: form
                .columns
                .iter()
                .map(|c| describe::column(*c, lang))
                .collect(),
            rows: Vec::new(),
        })
        .collect();
    for (n, (form_index, address, is_part)) in layout(regime, catalogue).into_iter().enumerate() {
        let form = &mut forms[form_index];
        let same_row = form.rows.last().is_some_and(|r| {
            r.indicator == address.row.as_str()
                && r.options == combo_label(&address.options, &catalogue.categories, lang)
        });
        if !same_row {
            let indicator = catalogue
                .indicators
                .iter()
                .find(|i| i.code() == &address.row);
            form.rows.push(GridRow {
                indicator: address.row.to_string(),
                name: indicator.map_or(String::new(), |i| {
                    if lang == Lang::En {
                        i.name_en.clone()
                    } else {
                        i.name_vi.clone()
                    }
                }),
                unit: indicator.map_or(String::new(), |i| {
                    if lang == Lang::En {
                        i.unit_en.clone()
                    } else {
                        i.unit_vi.clone()
                    }
                }),
                options: combo_label(&address.options, &catalogue.categories, lang),
                is_part,
                cells: Vec::new(),
            });
        }
        if let Some(row) = form.rows.last_mut() {
            let key = (
                address.form.clone(),
                address.row.to_string(),
                address.column.as_str().to_string(),
                address.options.key(),
            );
            row.cells.push(GridCell {
                name: format!("c{n}"),
                value: shown.values.get(&address).cloned().unwrap_or_default(),
                saved: shown.saved.get(&address).cloned().unwrap_or_default(),
                comment: shown.comments.get(&address).cloned(),
                refused: shown.refused.get(&key).cloned(),
                flagged: flagged.contains(&address),
                outlier: unusual.contains(&address),
                derived: catalogue
                    .indicators
                    .iter()
                    .find(|i| i.code() == &address.row)
                    .is_some_and(|i| baocao_domain::report::is_derived(address.column, i)),
            });
        }
    }
    forms
}

fn status_label(status: &str) -> String {
    format!("status_{status}")
}

/// The translation key of where an expected report stands (`slot_overdue`).
fn slot_label(status: SlotStatus) -> String {
    let name = serde_json::to_value(status)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_default();
    format!("slot_{name}")
}

/// What the page shows besides the slot: a message after an action, or an error.
#[derive(Serialize, Default)]
struct Notice {
    kind: &'static str,
    message: String,
    message_en: String,
}

async fn render_slot(
    state: &AppState,
    page: &PageContext,
    path: &SlotPath,
    notice: Option<Notice>,
    typed: Option<&HashMap<String, String>>,
    refused: &Refusals,
) -> Result<Response, PageError> {
    let lang = page.lang;
    let fail = |error: ApiError| PageError::from_api(error, lang);
    let caller = page.logged_in()?;
    let address = address_of(path).map_err(fail)?;
    let view = reporting::read(state, caller, &address)
        .await
        .map_err(|e| fail(e.into()))?;
    let regime = regime_of(state, &address).await.map_err(fail)?;
    let catalogue = Catalogue::current(state)
        .await
        .map_err(|e| fail(e.into()))?;
    let saved: HashMap<CellAddress, String> = view
        .content
        .values
        .iter()
        .map(|cell| {
            let shown = if numeric(&catalogue, &cell.address) {
                baocao_domain::language::show_number(&cell.value, lang)
            } else {
                cell.value.clone()
            };
            (cell.address.clone(), shown)
        })
        .collect();
    let mut values = saved.clone();
    let comments: HashMap<CellAddress, String> = view
        .content
        .values
        .iter()
        .filter_map(|cell| Some((cell.address.clone(), cell.comment.clone()?)))
        .collect();
    let stored_sections: BTreeMap<usize, String> = view
        .content
        .sections
        .iter()
        .map(|section| (section.index, section.text.clone()))
        .collect();
    let mut sections = stored_sections.clone();
    // After a refused edit, show what was typed rather than what is stored.
    if let Some(typed) = typed {
        for (n, (_, address, _)) in layout(&regime, &catalogue).into_iter().enumerate() {
            if let Some(text) = typed.get(&format!("c{n}")) {
                values.insert(address, text.clone());
            }
        }
        for index in 0..regime.content().outline.len() {
            if let Some(text) = typed.get(&format!("s{index}")) {
                sections.insert(index, text.clone());
            }
        }
    }
    let flagged: HashSet<CellAddress> = view
        .violations
        .iter()
        .flat_map(|v| v.cells.iter().cloned())
        .collect();
    let unusual: HashSet<CellAddress> = view.outliers.iter().map(|o| o.cell.clone()).collect();
    let outline: Vec<Value> = regime
        .content()
        .outline
        .iter()
        .enumerate()
        .map(|(index, section)| {
            json!({
                "name": format!("s{index}"),
                "heading": if lang == Lang::En && !section.heading_en.is_empty() { &section.heading_en } else { &section.heading_vi },
                "guidance": if lang == Lang::En && !section.guidance_en.is_empty() { &section.guidance_en } else { &section.guidance_vi },
                "text": sections.get(&index).cloned().unwrap_or_default(),
                "saved": stored_sections.get(&index).cloned().unwrap_or_default(),
            })
        })
        .collect();
    let date = |day: Option<baocao_domain::Date>| day.map(|d| describe::date(d, lang));
    let agency_code = AgencyCode::new(path.1.as_str()).map_err(|_| fail(ApiError::forbidden()))?;
    let agency = state
        .store
        .agency_as_of(
            &agency_code,
            PeriodId::parse(&path.2)
                .map(|p| p.end())
                .unwrap_or(state.today()),
        )
        .await
        .map_err(|e| fail(e.into()))?;
    let signing = reporting::signing::signing_state(state, caller, &view.address)
        .await
        .map_err(|e| fail(e.into()))?;
    page.render(
        "report.html",
        json!({
            "regime": path.0, "agency": path.1, "period": path.2,
            "regime_name": describe::regime_name(&regime, lang),
            "agency_name": agency.map(|a| if lang == Lang::En { a.name_en } else { a.name_vi }),
            "action": format!("/reports/{}/{}/{}", super::urlencode(&path.0), super::urlencode(&path.1), super::urlencode(&path.2)),
            "status": status_label(view.status_name()),
            "version": view.lock_version,
            "deadline": date(view.due.map(|due| due.day)),
            "cutoff_start": date(view.cutoff.map(|w| w.start)),
            "cutoff_end": date(view.cutoff.map(|w| w.end)),
            "receiving_agency": view.receiving_agency,
            "forms": grid(&regime, &catalogue, &Shown { values: &values, saved: &saved, comments: &comments, refused }, &flagged, &unusual, lang),
            "outliers": view.outliers,
            "outline": outline,
            "violations": view.violations,
            "versions": view.versions,
            "certified": signing.certified,
            "may_sign": signing.may_sign,
            "return_reason": view.return_reason,
            "allowed": view.allowed,
            "notice": notice,
        }),
    )
}

pub async fn slot_page(
    State(state): State<AppState>,
    page: PageContext,
    Path(path): Path<SlotPath>,
    axum::extract::Query(query): axum::extract::Query<HashMap<String, String>>,
) -> Result<Response, PageError> {
    let notice = query.get("done").and_then(|done| {
        let key = match done.as_str() {
            "save" => "saved",
            "submit" => "done_submit",
            "accept" => "done_accept",
            "return" => "done_return",
            "reopen" => "done_reopen",
            "ready" => "approval_asked",
            "sign_document" => "document_signed",
            _ => return None,
        };
        let both = (
            crate::i18n::strings(Lang::Vi).get(key).copied(),
            crate::i18n::strings(Lang::En).get(key).copied(),
        );
        Some(Notice {
            kind: "ok",
            message: both.0.unwrap_or_default().into(),
            message_en: both.1.unwrap_or_default().into(),
        })
    });
    render_slot(&state, &page, &path, notice, None, &Refusals::new()).await
}

/// A posted slot form: `intent` says which button; cells are `c{n}`, sections `s{i}`,
/// explanations `x:{rule}`.
pub async fn slot_post(
    State(state): State<AppState>,
    page: PageContext,
    Path(path): Path<SlotPath>,
    axum::Form(fields): axum::Form<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    let fields: HashMap<String, String> = fields.into_iter().collect();
    let caller = page.posted(fields.get("csrf").map(String::as_str))?;
    let intent = fields.get("intent").map(String::as_str).unwrap_or("save");
    if intent == "prefill" {
        return prefill(&state, &page, &path, fields).await;
    }
    if intent == "compile" {
        return compile(&state, &page, &path, &fields).await;
    }
    if intent == "sign_document" {
        return sign_document(&state, &page, &path, &fields).await;
    }
    let outcome = act(&state, caller, &path, intent, &fields, page.lang).await;
    match outcome {
        Ok(()) => Ok(Redirect::to(&format!(
            "/reports/{}/{}/{}?done={intent}",
            super::urlencode(&path.0),
            super::urlencode(&path.1),
            super::urlencode(&path.2)
        ))
        .into_response()),
        Err(error) => {
            let refused = refusals(&error, page.lang);
            refused_page(&state, &page, &path, &error, Some(&fields), &refused).await
        }
    }
}

/// Shows the page with the suggested values in the inputs (over what was typed), unsaved.
async fn prefill(
    state: &AppState,
    page: &PageContext,
    path: &SlotPath,
    mut typed: HashMap<String, String>,
) -> Result<Response, PageError> {
    let lang = page.lang;
    let fail = |error: ApiError| PageError::from_api(error, lang);
    let caller = page.logged_in()?;
    // Only the report's editors may ask, and only while they may edit it.
    let address = address_of(path).map_err(fail)?;
    let view = reporting::read(state, caller, &address)
        .await
        .map_err(|e| fail(e.into()))?;
    if !view.allowed.edit {
        return Err(fail(ApiError::forbidden()));
    }
    let regime = regime_of(state, &address).await.map_err(fail)?;
    let catalogue = Catalogue::current(state)
        .await
        .map_err(|e| fail(e.into()))?;
    let suggested = reporting::suggest(state, caller, &address)
        .await
        .map_err(|e| fail(e.into()))?;
    let mut filled = 0;
    for (n, (_, address, _)) in layout(&regime, &catalogue).into_iter().enumerate() {
        if let Some(cell) = suggested.values.iter().find(|s| s.address == address) {
            typed.insert(format!("c{n}"), cell.value.clone());
            filled += 1;
        }
    }
    let missing = if suggested.missing.is_empty() {
        "—".to_string()
    } else {
        suggested.missing.join(", ")
    };
    let notice = Notice {
        kind: "info",
        message: format!(
            "Đã điền sẵn {filled} ô (từ {} đơn vị cấp dưới đã được tiếp nhận; chưa có: {missing}). Hãy kiểm tra rồi bấm Lưu nháp.",
            suggested.included.len()
        ),
        message_en: format!(
            "{filled} cells pre-filled (from {} subordinates' accepted reports; still missing: {missing}). Check them, then save.",
            suggested.included.len()
        ),
    };
    render_slot(
        state,
        page,
        path,
        Some(notice),
        Some(&typed),
        &Refusals::new(),
    )
    .await
}

/// Signs a version's document with the certificate the server holds for the agency (its
/// approvers; a USB token cannot sign from a page without the CA's signing agent).
async fn sign_document(
    state: &AppState,
    page: &PageContext,
    path: &SlotPath,
    fields: &HashMap<String, String>,
) -> Result<Response, PageError> {
    let lang = page.lang;
    let fail = |error: ApiError| PageError::from_api(error, lang);
    let caller = page.logged_in()?;
    let address = address_of(path).map_err(fail)?;
    let number = fields
        .get("number")
        .and_then(|n| n.parse().ok())
        .unwrap_or(0);
    let trust = &state.config.trust;
    match reporting::signing::sign_with_agency_certificate(state, caller, trust, &address, number)
        .await
    {
        Ok(_) => Ok(Redirect::to(&format!(
            "/reports/{}/{}/{}?done=sign_document",
            super::urlencode(&path.0),
            super::urlencode(&path.1),
            super::urlencode(&path.2)
        ))
        .into_response()),
        Err(error) => {
            let error: ApiError = error.into();
            refused_page(state, page, path, &error, None, &Refusals::new()).await
        }
    }
}

/// The report page again with why `error` refused what was asked, under its status.
async fn refused_page(
    state: &AppState,
    page: &PageContext,
    path: &SlotPath,
    error: &ApiError,
    typed: Option<&HashMap<String, String>>,
    refused: &Refusals,
) -> Result<Response, PageError> {
    let notice = Notice {
        kind: "error",
        message: error.message.clone(),
        message_en: error.message_en.clone(),
    };
    let mut response = render_slot(state, page, path, Some(notice), typed, refused).await?;
    *response.status_mut() = error.status;
    Ok(response)
}

/// Compiles the report from the accepted reports below it into its draft (what the editors
/// wrote in the sections is kept), then shows it with whom it was compiled from.
async fn compile(
    state: &AppState,
    page: &PageContext,
    path: &SlotPath,
    fields: &HashMap<String, String>,
) -> Result<Response, PageError> {
    use reporting::compile::{CompileRequest, compile};
    let lang = page.lang;
    let fail = |error: ApiError| PageError::from_api(error, lang);
    let caller = page.logged_in()?;
    let address = address_of(path).map_err(fail)?;
    let version = fields
        .get("version")
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    let request = CompileRequest {
        version,
        replace_sections: false,
    };
    let notice = match compile(state, caller, &address, request).await {
        Ok(compiled) => {
            let missing = if compiled.missing.is_empty() {
                "—".to_string()
            } else {
                compiled.missing.join(", ")
            };
            Notice {
                kind: "ok",
                message: format!(
                    "Đã tổng hợp và lưu nháp từ báo cáo đã được tiếp nhận của {} đơn vị cấp dưới (chưa có: {missing}). Hãy rà soát, chỉnh sửa rồi trình ký.",
                    compiled.included.len()
                ),
                message_en: format!(
                    "Compiled and saved as the draft from {} subordinates' accepted reports (still missing: {missing}). Review, edit, then put it up for signature.",
                    compiled.included.len()
                ),
            }
        }
        Err(error) => {
            let error: ApiError = error.into();
            return refused_page(state, page, path, &error, None, &Refusals::new()).await;
        }
    };
    render_slot(state, page, path, Some(notice), None, &Refusals::new()).await
}

async fn act(
    state: &AppState,
    caller: &crate::auth::Caller,
    path: &SlotPath,
    intent: &str,
    fields: &HashMap<String, String>,
    lang: Lang,
) -> Result<(), ApiError> {
    let regime = regime_of(state, &address_of(path)?).await?;
    let catalogue = Catalogue::current(state).await?;
    let has_cells = fields
        .keys()
        .any(|k| k.starts_with('c') && k[1..].parse::<usize>().is_ok());
    if intent == "save" || ((intent == "submit" || intent == "ready") && has_cells) {
        let mut values = Vec::new();
        for (n, (_, address, _)) in layout(&regime, &catalogue).into_iter().enumerate() {
            if let Some(text) = fields.get(&format!("c{n}")) {
                // Numbers as the page writes them (`1.234,5`), or plain (`1234.5`).
                let text = if numeric(&catalogue, &address) {
                    baocao_domain::language::read_number(text, lang).unwrap_or(text.clone())
                } else {
                    text.clone()
                };
                let mut cell = serde_json::to_value(&address).map_err(|_| ApiError::internal())?;
                cell["value"] = json!(text);
                let input: CellInput =
                    serde_json::from_value(cell).map_err(|_| ApiError::internal())?;
                values.push(input);
            }
        }
        let sections = (0..regime.content().outline.len())
            .filter_map(|index| {
                fields.get(&format!("s{index}")).map(|text| SectionInput {
                    index,
                    text: text.clone(),
                })
            })
            .collect();
        let version = fields
            .get("version")
            .and_then(|v| v.parse().ok())
            .unwrap_or(0);
        reporting::save_draft(
            state,
            caller,
            &address_of(path)?,
            DraftEdit {
                version,
                values,
                sections,
            },
        )
        .await?;
    }
    let action = match intent {
        "save" => return Ok(()),
        "ready" => {
            reporting::ask_for_approval(state, caller, &address_of(path)?).await?;
            return Ok(());
        }
        "submit" => SubmissionAction::Submit,
        "accept" => SubmissionAction::Accept,
        "return" => SubmissionAction::Return,
        "reopen" => SubmissionAction::Reopen,
        other => {
            return Err(ApiError::bad_request(
                "invalid_action",
                format!("Thao tác không hợp lệ: {other}."),
                format!("Unknown action: {other}."),
            ));
        }
    };
    let explanations = fields
        .iter()
        .filter_map(|(key, text)| {
            Some(Explanation {
                rule: key.strip_prefix("x:")?.to_string(),
                text: text.clone(),
            })
        })
        .collect();
    let input = ActionInput {
        reason: fields.get("reason").cloned(),
        explanations,
    };
    reporting::act(state, caller, &address_of(path)?, action, input).await?;
    Ok(())
}

/// The report a page's path names.
fn address_of(path: &SlotPath) -> Result<ReportAddress, ApiError> {
    Ok(ReportAddress::parse(&path.0, &path.1, &path.2)?)
}

/// The version of the report's regime that governs its period: its grid is laid out by it.
async fn regime_of(state: &AppState, address: &ReportAddress) -> Result<Regime, ApiError> {
    load_regime_for(state, address.regime.as_str(), address.period.start()).await
}

/// The desk: this agency's slots of every published regime assigned to it (the period that
/// contains today and the one before), and every report sent to it awaiting review.
pub async fn desk(
    State(state): State<AppState>,
    page: PageContext,
    axum::extract::Query(query): axum::extract::Query<HashMap<String, String>>,
) -> Result<Response, PageError> {
    let lang = page.lang;
    let fail = |error: ApiError| PageError::from_api(error, lang);
    let caller = page.logged_in()?;
    let to_do = baocao_service::worklist::to_do(&state, caller)
        .await
        .map_err(|e| fail(e.into()))?;
    let mine: Vec<Value> = to_do
        .mine
        .iter()
        .map(|r| {
            json!({
                "href": format!("/reports/{}/{}/{}", super::urlencode(&r.regime), super::urlencode(&r.agency), r.period),
                "regime": r.regime,
                "regime_name": if lang == Lang::En && !r.regime_name_en.is_empty() { Some(r.regime_name_en.clone()) } else { r.regime_name.clone() },
                "agency": r.agency,
                "period": r.period.to_string(),
                "deadline": describe::due(r.deadline, lang),
                "status": slot_label(r.status),
            })
        })
        .collect();
    let to_review: Vec<Value> = to_do
        .to_review
        .iter()
        .map(|r| {
            json!({
                "href": format!("/reports/{}/{}/{}", super::urlencode(&r.regime), super::urlencode(&r.agency), super::urlencode(&r.period)),
                "regime": r.regime, "agency": r.agency, "period": r.period,
                "submitted_at": r.submitted_at,
                "status": status_label("submitted"),
            })
        })
        .collect();
    let counts = json!({
        "overdue": to_do.count(SlotStatus::Overdue),
        "returned": to_do.count(SlotStatus::Returned),
        "due_soon": to_do.count(SlotStatus::DueSoon),
        "to_review": to_do.to_review.len(),
    });
    page.render(
        "reports.html",
        json!({"mine": mine, "to_review": to_review, "counts": counts, "accepted": query.get("accepted")}),
    )
}

/// `POST /reports/accept`: the reviewer's bulk acceptance from the desk (`pick` repeated,
/// each `regime|agency|period`).
pub async fn accept_many(
    State(state): State<AppState>,
    page: PageContext,
    axum::Form(fields): axum::Form<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    let lang = page.lang;
    let caller = page.logged_in()?;
    let csrf = fields
        .iter()
        .find(|(k, _)| k == "csrf")
        .map(|(_, v)| v.as_str());
    if csrf.is_none() || csrf != caller.csrf.as_deref() {
        return Err(PageError::from_api(ApiError::csrf(), lang));
    }
    let fail = |error: ApiError| PageError::from_api(error, lang);
    let picked: Vec<ReportAddress> = fields
        .iter()
        .filter(|(k, _)| k == "pick")
        .filter_map(|(_, v)| {
            let mut parts = v.splitn(3, '|');
            Some((parts.next()?, parts.next()?, parts.next()?))
        })
        .map(|(regime, agency, period)| ReportAddress::parse(regime, agency, period))
        .collect::<Result<_, _>>()
        .map_err(|e| fail(e.into()))?;
    let accepted = reporting::accept_many(&state, caller, &picked)
        .await
        .map_err(|e| fail(e.into()))?;
    Ok(Redirect::to(&format!("/reports?accepted={}", accepted.len())).into_response())
}

/// A submitted version and what changed from the one before, cell by cell.
pub async fn version_page(
    State(state): State<AppState>,
    page: PageContext,
    Path((regime, agency, period, number)): Path<(String, String, String, i32)>,
) -> Result<Response, PageError> {
    let lang = page.lang;
    let caller = page.logged_in()?;
    let path = (regime, agency, period);
    let diff = async {
        let address = address_of(&path)?;
        Ok::<_, ApiError>(reporting::versions::diff(&state, caller, &address, number, None).await?)
    }
    .await
    .map_err(|e| PageError::from_api(e, lang))?;
    let regime_record = async { regime_of(&state, &address_of(&path)?).await }
        .await
        .map_err(|e| PageError::from_api(e, lang))?;
    let outline = &regime_record.content().outline;
    let sections: Vec<Value> = diff
        .changes
        .sections
        .iter()
        .map(|s| {
            let heading = outline.get(s.index).map(|o| o.heading_vi.clone());
            json!({"heading": heading, "before": s.before, "after": s.after})
        })
        .collect();
    let cells: Vec<Value> = diff
        .changes
        .cells
        .iter()
        .map(|c| {
            let mut cell = json!(c);
            cell["column_label"] = json!(describe::column(c.address.column, lang));
            cell
        })
        .collect();
    page.render(
        "version.html",
        json!({
            "regime": path.0, "agency": path.1, "period": path.2,
            "slot": format!("/reports/{}/{}/{}", super::urlencode(&path.0), super::urlencode(&path.1), super::urlencode(&path.2)),
            "number": number, "from": diff.from,
            "cells": cells, "sections": sections,
        }),
    )
}

/// The caller's notifications: reminders of reports due soon or overdue, and the steps of
/// the workflow that concern them (a report sent to them, returned with its reason, accepted),
/// each leading to its report.
pub async fn notifications(
    State(state): State<AppState>,
    page: PageContext,
    axum::extract::Query(query): axum::extract::Query<HashMap<String, String>>,
) -> Result<Response, PageError> {
    let lang = page.lang;
    let caller = page.logged_in()?;
    let inbox = baocao_service::notifications::inbox(&state, caller)
        .await
        .map_err(|e| PageError::from_api(e.into(), lang))?;
    let rows: Vec<Value> = inbox
        .items
        .iter()
        .map(|n| {
            json!({
                "href": format!("/reports/{}/{}/{}", super::urlencode(&n.regime), super::urlencode(&n.agency), super::urlencode(&n.period)),
                "regime": n.regime, "agency": n.agency, "period": n.period,
                "kind": format!("notice_{}", n.kind),
                "deadline": n.deadline.parse().ok().map(|d| describe::date(d, lang)),
                "detail": n.detail,
                "unread": n.read_at.is_none(),
            })
        })
        .collect();
    page.render(
        "notifications.html",
        json!({"items": rows, "email": inbox.email, "saved": query.get("email").is_some_and(|v| v == "saved")}),
    )
}

/// `POST /notifications/email`: the person's choice of e-mail (the box ticked or not); then
/// back to the list.
pub async fn choose_email(
    State(state): State<AppState>,
    page: PageContext,
    axum::Form(fields): axum::Form<HashMap<String, String>>,
) -> Result<Response, PageError> {
    let lang = page.lang;
    let caller = page.posted(fields.get("csrf").map(String::as_str))?;
    let email = fields
        .get("email")
        .is_some_and(|v| v == "on" || v == "true");
    baocao_service::notifications::choose_email(&state, caller, email)
        .await
        .map_err(|e| PageError::from_api(e.into(), lang))?;
    Ok(Redirect::to("/notifications?email=saved").into_response())
}
