//! The regime designer, for regime managers: the ten elements and legal basis, the outline
//! (sections in order), the forms (rows picked from the indicator catalogue, columns, cell
//! rules), assignments, and the lifecycle — save the draft (or the amendment of a published
//! regime), publish from a date, retire. Every action goes through the same functions as the
//! API ([`baocao_service::registry`]); a refused save shows the page again with the author's input
//! and the reason.

use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use baocao_domain::agency::{AgencyCode, AgencyLevel};
use baocao_domain::indicator::IndicatorCode;
use baocao_domain::period::Frequency;
use baocao_domain::permission::Action;
use baocao_domain::regime::{
    AfterDeadline, AgencySelector, CellRules, CutoffRule, DeadlineRule, Form, FormColumn, FormRow,
    LegalBasis, Method, OutlineSection, ReceivingAgency, RegimeCode, RegimeContent, RegimeKind,
    RegimeStatus, ReportingAgencies, RowValues,
};
use serde_json::json;

use super::{PageContext, PageError, describe};
use crate::AppState;
use crate::auth::Caller;
use crate::error::ApiError;
use crate::i18n::Lang;
use baocao_service::registry::{self, NewAssignment};

/// Submitted fields, in order (repeated names keep their order: outline sections, rows).
type Fields = Vec<(String, String)>;

fn values<'a>(fields: &'a Fields, name: &'a str) -> impl Iterator<Item = &'a str> {
    fields
        .iter()
        .filter(move |(k, _)| k == name)
        .map(|(_, v)| v.as_str())
}

fn value<'a>(fields: &'a Fields, name: &str) -> &'a str {
    fields
        .iter()
        .find(|(k, _)| k == name)
        .map_or("", |(_, v)| v.trim())
}

fn text(fields: &Fields, name: &str) -> Option<String> {
    Some(value(fields, name).to_string()).filter(|t| !t.is_empty())
}

/// A field that must be a whole number (or empty).
fn number<T: std::str::FromStr>(
    fields: &Fields,
    name: &str,
    label: &str,
) -> Result<Option<T>, String> {
    match value(fields, name) {
        "" => Ok(None),
        text => text.parse().map(Some).map_err(|_| {
            format!("{label}: {text:?} không phải là số hợp lệ / is not a valid number.")
        }),
    }
}

fn parse_word<T: std::str::FromStr>(text: &str, label: &str) -> Result<T, String> {
    text.parse()
        .map_err(|_| format!("{label}: {text:?} không hợp lệ / is not valid."))
}

/// The regime content the designer's fields describe, on top of `base` (whose rules, derived
/// indicators and finer cell rules the page does not show and keeps).
pub(crate) fn content_from_fields(
    base: &RegimeContent,
    fields: &Fields,
) -> Result<RegimeContent, String> {
    let mut content = base.clone();
    content.name = text(fields, "name");
    content.name_en = value(fields, "name_en").to_string();
    content.kind = parse_word(value(fields, "kind"), "Loại / kind")?;
    content.legal_basis = match (text(fields, "legal_document"), text(fields, "legal_issuer")) {
        (None, None) => None,
        (document, issuer) => Some(LegalBasis {
            document: document.unwrap_or_default(),
            issuer: issuer.unwrap_or_default(),
            date: match value(fields, "legal_date") {
                "" => None,
                day => Some(parse_word(day, "Ngày ban hành / date")?),
            },
        }),
    };
    content.content_requirements = text(fields, "content_requirements");
    let levels: Vec<AgencyLevel> = values(fields, "reporting_level")
        .map(|l| parse_word(l, "Cấp báo cáo / level"))
        .collect::<Result<_, _>>()?;
    let codes: Vec<AgencyCode> = value(fields, "reporting_codes")
        .split([',', ' ', ';'])
        .filter(|c| !c.is_empty())
        .map(|c| AgencyCode::new(c).map_err(|e| format!("{c}: {e}")))
        .collect::<Result<_, _>>()?;
    let description = value(fields, "reporting_description").to_string();
    content.reporting_agencies = if !codes.is_empty() {
        Some(ReportingAgencies {
            description_vi: description,
            selector: AgencySelector::Agencies { codes },
        })
    } else if !levels.is_empty() {
        Some(ReportingAgencies {
            description_vi: description,
            selector: AgencySelector::Levels { levels },
        })
    } else {
        None
    };
    content.receiving_agency = match value(fields, "receiving") {
        "" => None,
        "parent" => Some(ReceivingAgency::Parent),
        code => Some(ReceivingAgency::Agency {
            code: AgencyCode::new(code).map_err(|e| format!("{code}: {e}"))?,
        }),
    };
    content.methods = values(fields, "method")
        .map(|m| parse_word::<Method>(m, "Phương thức / method"))
        .collect::<Result<_, _>>()?;
    content.frequency = match value(fields, "frequency") {
        "" => None,
        f => Some(parse_word::<Frequency>(f, "Tần suất / frequency")?),
    };
    content.cutoff = match value(fields, "cutoff") {
        "" => None,
        "decree09" => Some(CutoffRule::Decree09),
        _ => Some(CutoffRule::Calendar),
    };
    let whole = |name: &str, label: &str| number::<u16>(fields, name, label);
    content.deadline = match value(fields, "deadline_kind") {
        "" => None,
        "day_of_month" => Some(DeadlineRule::DayOfMonth {
            day: number(fields, "deadline_day", "Ngày / day")?.unwrap_or(1),
            months_after_period_end: number(fields, "deadline_months", "Tháng sau / months")?
                .unwrap_or(0),
        }),
        "days_after_cutoff" => Some(DeadlineRule::DaysAfterCutoff {
            days: whole("deadline_days", "Số ngày / days")?.unwrap_or(0),
            working_days: !value(fields, "deadline_working").is_empty(),
        }),
        _ => Some(DeadlineRule::FixedDate {
            month: number(fields, "deadline_month", "Tháng / month")?.unwrap_or(1),
            day: number(fields, "deadline_day", "Ngày / day")?.unwrap_or(1),
            years_after_period_end: number(fields, "deadline_years", "Năm sau / years")?
                .unwrap_or(0),
        }),
    };
    content.deadline_time = match value(fields, "deadline_time") {
        "" => None,
        time => Some(parse_word(time, "Giờ / time")?),
    };
    content.after_deadline = AfterDeadline {
        late_accepted: !value(fields, "late_accepted").is_empty(),
        lock_after_days: whole("lock_after_days", "Khóa sau / lock after")?,
    };
    let headings: Vec<&str> = values(fields, "outline_heading").collect();
    let guidance: Vec<&str> = values(fields, "outline_guidance").collect();
    content.outline = headings
        .iter()
        .enumerate()
        .filter(|(_, h)| !h.trim().is_empty())
        .map(|(i, heading)| {
            let kept = base.outline.iter().find(|s| s.heading_vi == heading.trim());
            OutlineSection {
                heading_vi: heading.trim().to_string(),
                heading_en: kept.map(|s| s.heading_en.clone()).unwrap_or_default(),
                guidance_vi: guidance
                    .get(i)
                    .map(|g| g.trim().to_string())
                    .unwrap_or_default(),
                guidance_en: kept.map(|s| s.guidance_en.clone()).unwrap_or_default(),
            }
        })
        .collect();
    let mut forms = Vec::new();
    for index in 0..=base.forms.len() {
        let field = |name: &str| format!("form{index}_{name}");
        let Some(code) = text(fields, &field("code")) else {
            continue;
        };
        let kept = base.forms.get(index);
        let columns: Vec<FormColumn> = values(fields, &field("column"))
            .map(|c| parse_word(c, "Cột / column"))
            .collect::<Result<_, _>>()?;
        let mut rows = Vec::new();
        for indicator in values(fields, &field("row")) {
            let code = IndicatorCode::new(indicator).map_err(|e| format!("{indicator}: {e}"))?;
            let mut cells: CellRules = kept
                .and_then(|f| f.rows.iter().find(|r| r.indicator == code))
                .map(|r| r.cells.clone())
                .unwrap_or_default();
            cells.required = !value(fields, &field(&format!("required_{indicator}"))).is_empty();
            cells.min = number(fields, &field(&format!("min_{indicator}")), indicator)?;
            cells.max = number(fields, &field(&format!("max_{indicator}")), indicator)?;
            rows.push(FormRow {
                indicator: code,
                cells,
            });
        }
        forms.push(Form {
            code,
            title_vi: value(fields, &field("title")).to_string(),
            title_en: kept.map(|f| f.title_en.clone()).unwrap_or_default(),
            values: parse_word::<RowValues>(value(fields, &field("values")), "Giá trị / values")?,
            columns,
            rows,
        });
    }
    content.forms = forms;
    Ok(content)
}

/// An empty regime for the new-regime page.
fn blank(code: &str) -> Result<RegimeContent, ApiError> {
    serde_json::from_value(
        json!({"code": code, "name": null, "kind": "periodic", "legal_basis": null,
        "content_requirements": null, "reporting_agencies": null, "receiving_agency": null,
        "deadline": null, "frequency": null, "cutoff": null}),
    )
    .map_err(|_| ApiError::internal())
}

async fn render(
    state: &AppState,
    page: &PageContext,
    code: Option<&str>,
    content: &RegimeContent,
    error: Option<String>,
    notice: Option<&str>,
) -> Result<Response, PageError> {
    let lang = page.lang;
    let fail = |e: ApiError| PageError::from_api(e, lang);
    let indicators = state
        .store
        .indicators(None)
        .await
        .map_err(|e| fail(e.into()))?;
    let (versions, assignments) = match code {
        Some(code) => {
            let parsed = RegimeCode::new(code).map_err(|_| fail(ApiError::internal()))?;
            (
                state
                    .store
                    .regime_versions(&parsed)
                    .await
                    .map_err(|e| fail(e.into()))?,
                state
                    .store
                    .assignments(&parsed, None)
                    .await
                    .map_err(|e| fail(e.into()))?,
            )
        }
        None => (Vec::new(), Vec::new()),
    };
    let mut agencies = state
        .store
        .agencies_as_of(state.today(), &Default::default())
        .await
        .map_err(|e| fail(e.into()))?;
    agencies.retain(|a| {
        matches!(
            a.level,
            AgencyLevel::National | AgencyLevel::Ministry | AgencyLevel::Province
        )
    });
    let status = versions.last().map(|v| v.status());
    let pick = |vi: &'static str, en: &'static str| if lang == Lang::Vi { vi } else { en };
    page.render(
        "regime_design.html",
        json!({
            "code": code,
            "content": content,
            "error": error,
            "notice": notice,
            "status": status.map(|s| describe::regime_status(s, lang)),
            "published": status == Some(RegimeStatus::Published),
            "versions": versions.iter().map(|v| json!({"version": v.version(), "status": describe::regime_status(v.status(), lang), "effective_from": v.effective_from()})).collect::<Vec<_>>(),
            "assignments": assignments,
            "kinds": RegimeKind::ALL.iter().map(|k| json!({"value": k.as_str(), "label": describe::regime_kind(*k, lang)})).collect::<Vec<_>>(),
            "methods": Method::ALL.iter().map(|m| json!({"value": m.as_str(), "label": describe::method(*m, lang)})).collect::<Vec<_>>(),
            "frequencies": Frequency::ALL.iter().map(|f| json!({"value": f.as_str(), "label": describe::frequency(*f, lang)})).collect::<Vec<_>>(),
            "levels": AgencyLevel::ALL.iter().map(|l| l.as_str()).collect::<Vec<_>>(),
            "columns": FormColumn::ALL.iter().map(|c| json!({"value": c.as_str(), "label": describe::column(*c, lang)})).collect::<Vec<_>>(),
            "row_values": RowValues::ALL.iter().map(|v| json!({"value": v.as_str(), "label": describe::row_values(*v, lang)})).collect::<Vec<_>>(),
            "indicators": indicators.iter().map(|i| json!({"code": i.code().as_str(), "name": if lang == Lang::Vi { &i.name_vi } else { &i.name_en }, "unit": i.unit_vi, "group": i.group_vi})).collect::<Vec<_>>(),
            "agencies": agencies.iter().map(|a| json!({"code": a.code.as_str(), "name": if lang == Lang::Vi { &a.name_vi } else { &a.name_en }})).collect::<Vec<_>>(),
            "cutoff_label": pick("Điều 12 Nghị định 09/2019", "Decree 09/2019, Article 12"),
        }),
    )
}

fn author(page: &PageContext) -> Result<&Caller, PageError> {
    page.allowed(Action::AuthorRegimes)
}

fn csrf_of(fields: &Fields) -> Option<&str> {
    fields
        .iter()
        .find(|(k, _)| k == "csrf")
        .map(|(_, v)| v.as_str())
}

/// The regime's newest version (its draft, if it has one).
async fn latest_version(
    state: &AppState,
    code: &str,
    lang: Lang,
) -> Result<baocao_domain::regime::Regime, PageError> {
    let missing = || {
        PageError::from_api(
            ApiError::not_found(&format!("chế độ báo cáo {code}"), &format!("regime {code}")),
            lang,
        )
    };
    let parsed = RegimeCode::new(code).map_err(|_| missing())?;
    state
        .store
        .regime_versions(&parsed)
        .await
        .map_err(|e| PageError::from_api(e.into(), lang))?
        .pop()
        .ok_or_else(missing)
}

/// `GET /regimes/{code}/design`: the draft if there is one, else the version in force.
pub async fn page(
    State(state): State<AppState>,
    page: PageContext,
    Path(code): Path<String>,
    axum::extract::Query(query): axum::extract::Query<std::collections::HashMap<String, String>>,
) -> Result<Response, PageError> {
    author(&page)?;
    let lang = page.lang;
    let latest = latest_version(&state, &code, lang).await?;
    let parsed = latest.code().clone();
    let notice = query.get("done").map(|done| match (done.as_str(), lang) {
        ("created", Lang::Vi) => "Đã tạo bản nháp.",
        ("saved", Lang::Vi) => "Đã lưu bản nháp.",
        ("published", Lang::Vi) => "Đã công bố.",
        ("retired", Lang::Vi) => "Đã dừng áp dụng.",
        ("assigned", Lang::Vi) => "Đã giao báo cáo.",
        ("created", _) => "Draft created.",
        ("saved", _) => "Draft saved.",
        ("published", _) => "Published.",
        ("retired", _) => "Retired.",
        ("assigned", _) => "Assigned.",
        _ => "",
    });
    render(
        &state,
        &page,
        Some(parsed.as_str()),
        latest.content(),
        None,
        notice.filter(|n| !n.is_empty()),
    )
    .await
}

/// `POST /regimes/{code}/design`: `action` = save | publish | retire | assign.
pub async fn act(
    State(state): State<AppState>,
    page: PageContext,
    Path(code): Path<String>,
    axum::Form(fields): axum::Form<Fields>,
) -> Result<Response, PageError> {
    page.posted(csrf_of(&fields))?;
    let caller = author(&page)?;
    let lang = page.lang;
    let latest = latest_version(&state, &code, lang).await?;
    let base = latest.content().clone();
    let message = |e: registry::RegistryError| {
        let e = ApiError::from(e);
        if lang == Lang::Vi {
            e.message
        } else {
            e.message_en
        }
    };
    let outcome: Result<&str, String> = match value(&fields, "action") {
        "publish" => match value(&fields, "effective_from").parse() {
            Ok(day) => registry::publish(&state, caller, &code, day)
                .await
                .map(|_| "published")
                .map_err(message),
            Err(_) => Err(
                "Ngày hiệu lực phải có dạng YYYY-MM-DD / the effective date must be YYYY-MM-DD."
                    .into(),
            ),
        },
        "retire" => registry::retire(&state, caller, &code)
            .await
            .map(|_| "retired")
            .map_err(message),
        "assign" => {
            let items: Vec<NewAssignment> = value(&fields, "assign_reporting")
                .split([',', ' ', ';'])
                .filter(|c| !c.is_empty())
                .map(|reporting| NewAssignment {
                    reporting_agency: reporting.to_string(),
                    receiving_agency: value(&fields, "assign_receiving").to_string(),
                    valid_from: value(&fields, "assign_from").parse().ok(),
                    valid_to: None,
                })
                .collect();
            registry::assign(&state, caller, &code, &items)
                .await
                .map(|_| "assigned")
                .map_err(message)
        }
        _ => match content_from_fields(&base, &fields) {
            Ok(content) => registry::save_draft(&state, caller, &code, content)
                .await
                .map(|_| "saved")
                .map_err(message),
            Err(error) => Err(error),
        },
    };
    match outcome {
        Ok(done) => Ok(Redirect::to(&format!(
            "/regimes/{}/design?done={done}",
            super::urlencode(&code)
        ))
        .into_response()),
        Err(error) => {
            // Show the author's input again, with the reason.
            let attempted = content_from_fields(&base, &fields).unwrap_or(base);
            render(&state, &page, Some(&code), &attempted, Some(error), None).await
        }
    }
}

/// `GET /regimes/new`: an empty designer.
pub async fn new_page(
    State(state): State<AppState>,
    page: PageContext,
) -> Result<Response, PageError> {
    author(&page)?;
    let content = blank("BC-MOI").map_err(|e| PageError::from_api(e, page.lang))?;
    render(&state, &page, None, &content, None, None).await
}

/// `POST /regimes/new`: creates the draft, then designs it.
pub async fn create(
    State(state): State<AppState>,
    page: PageContext,
    axum::Form(fields): axum::Form<Fields>,
) -> Result<Response, PageError> {
    page.posted(csrf_of(&fields))?;
    let caller = author(&page)?;
    let lang = page.lang;
    let code = value(&fields, "code").to_string();
    let attempt = match RegimeCode::new(&code) {
        Ok(parsed) => {
            let base = blank(parsed.as_str()).map_err(|e| PageError::from_api(e, lang))?;
            content_from_fields(&base, &fields)
        }
        Err(e) => Err(format!("Mã chế độ báo cáo {code:?}: {e}")),
    };
    let result = match attempt {
        Ok(content) => registry::create(&state, caller, content)
            .await
            .map_err(|e| {
                let e = ApiError::from(e);
                if lang == Lang::Vi {
                    e.message
                } else {
                    e.message_en
                }
            }),
        Err(error) => Err(error),
    };
    match result {
        Ok(regime) => Ok(Redirect::to(&format!(
            "/regimes/{}/design?done=created",
            super::urlencode(regime.code().as_str())
        ))
        .into_response()),
        Err(error) => {
            let base = blank("BC-MOI").map_err(|e| PageError::from_api(e, lang))?;
            let attempted = content_from_fields(&base, &fields).unwrap_or(base);
            render(&state, &page, None, &attempted, Some(error), None).await
        }
    }
}
