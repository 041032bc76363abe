//! The catalogue pages: home, regimes, one regime's ten elements, the agency tree as of a
//! date, and indicators. Each builds a plain view for its template.

use axum::extract::{Path, Query, State};
use axum::response::Response;
use baocao_domain::agency::{AgencyCode, AgencyLevel};
use baocao_domain::compliance::SlotStatus;
use baocao_domain::permission::Action;
use baocao_domain::regime::{Element, ReceivingAgency};
use baocao_store::agencies::AgencyFilter;
use serde::Deserialize;
use serde_json::{Value, json};

use super::describe;
use super::{PageContext, PageError};
use crate::AppState;
use crate::error::ApiError;
use crate::extract::{agency_code, load_regime, parse_date};
use crate::i18n::{Lang, strings};

fn fail(lang: Lang) -> impl Fn(ApiError) -> PageError {
    move |error| PageError::from_api(error, lang)
}

fn store_fail(lang: Lang) -> impl Fn(baocao_store::StoreError) -> PageError {
    move |error| PageError::from_api(error.into(), lang)
}

pub async fn home(State(state): State<AppState>, page: PageContext) -> Result<Response, PageError> {
    let caller = page.logged_in()?;
    let lang = page.lang;
    let today = state.today();
    let agency = state
        .store
        .agency_as_of(&caller.principal.agency, today)
        .await
        .map_err(store_fail(lang))?;
    let regimes = state.store.regimes(None).await.map_err(store_fail(lang))?;
    let indicators = state
        .store
        .indicators(None)
        .await
        .map_err(store_fail(lang))?;
    let provinces = state
        .store
        .agencies_as_of(
            today,
            &AgencyFilter {
                level: Some(AgencyLevel::Province),
                ..Default::default()
            },
        )
        .await
        .map_err(store_fail(lang))?;
    let to_do = baocao_service::worklist::to_do(&state, caller)
        .await
        .map_err(store_fail(lang))?;
    page.render(
        "home.html",
        json!({
            "to_do": {
                "overdue": to_do.count(SlotStatus::Overdue),
                "returned": to_do.count(SlotStatus::Returned),
                "due_soon": to_do.count(SlotStatus::DueSoon),
                "to_review": to_do.to_review.len(),
            },
            "agency": agency.map(|a| if lang == Lang::Vi { a.name_vi } else { a.name_en }),
            "roles": caller.principal.grants.iter().map(|g| g.role.as_str()).collect::<Vec<_>>(),
            "today": describe::date(today, lang),
            "regime_count": regimes.len(),
            "indicator_count": indicators.len(),
            "province_count": provinces.len(),
        }),
    )
}

#[derive(Deserialize)]
pub struct SearchQuery {
    q: Option<String>,
}

pub async fn regimes(
    State(state): State<AppState>,
    page: PageContext,
    Query(query): Query<SearchQuery>,
) -> Result<Response, PageError> {
    page.allowed(Action::ReadCatalogue)?;
    let lang = page.lang;
    let regimes = state
        .store
        .regimes(query.q.as_deref())
        .await
        .map_err(store_fail(lang))?;
    let rows: Vec<Value> = regimes
        .iter()
        .map(|regime| {
            let content = regime.content();
            json!({
                "code": regime.code().as_str(),
                "name": describe::regime_name(regime, lang),
                "frequency": content.frequency.map(|f| describe::frequency(f, lang)),
                "receiver": match &content.receiving_agency {
                    Some(ReceivingAgency::Agency { code }) => code.to_string(),
                    Some(ReceivingAgency::Parent) => if lang == Lang::Vi { "Cơ quan cấp trên trực tiếp".into() } else { "The direct parent".into() },
                    None => String::new(),
                },
                "status": describe::regime_status(regime.status(), lang),
                "missing": content.missing_elements().len(),
            })
        })
        .collect();
    let may_author = page
        .caller
        .as_ref()
        .is_some_and(|c| c.may(Action::AuthorRegimes));
    page.render(
        "regimes.html",
        json!({ "q": query.q, "rows": rows, "may_author": may_author }),
    )
}

pub async fn regime(
    State(state): State<AppState>,
    page: PageContext,
    Path(code): Path<String>,
) -> Result<Response, PageError> {
    page.allowed(Action::ReadCatalogue)?;
    let lang = page.lang;
    let tr = strings(lang);
    let today = state.today();
    let regime = load_regime(&state, &code).await.map_err(fail(lang))?;
    let content = regime.content();
    let catalogue = state
        .store
        .indicators(None)
        .await
        .map_err(store_fail(lang))?;
    let receiver = match &content.receiving_agency {
        Some(ReceivingAgency::Agency { code }) => {
            let agency = state
                .store
                .agency_as_of(code, today)
                .await
                .map_err(store_fail(lang))?;
            Some(agency.map_or_else(
                || code.to_string(),
                |a| {
                    format!(
                        "{} ({code})",
                        if lang == Lang::Vi {
                            a.name_vi
                        } else {
                            a.name_en
                        }
                    )
                },
            ))
        }
        Some(ReceivingAgency::Parent) => Some(
            if lang == Lang::Vi {
                "Cơ quan cấp trên trực tiếp của đơn vị báo cáo"
            } else {
                "Each reporting agency's direct parent"
            }
            .to_string(),
        ),
        None => None,
    };
    let text_of = |element: Element| -> Option<String> {
        match element {
            Element::Name => content.name.clone(),
            Element::ContentRequirements => content.content_requirements.clone(),
            Element::ReportingAgencies => content
                .reporting_agencies
                .as_ref()
                .map(|r| r.description_vi.clone()),
            Element::ReceivingAgency => receiver.clone(),
            Element::Methods => (!content.methods.is_empty()).then(|| {
                content
                    .methods
                    .iter()
                    .map(|m| describe::method(*m, lang))
                    .collect::<Vec<_>>()
                    .join("; ")
            }),
            Element::Deadline => content
                .deadline
                .as_ref()
                .map(|d| describe::deadline(d, lang)),
            Element::Frequency => content
                .frequency
                .map(|f| describe::frequency(f, lang).to_string()),
            Element::Cutoff => content
                .cutoff
                .as_ref()
                .map(|c| describe::cutoff(c, content.frequency, lang)),
            Element::Outline => (!content.outline.is_empty()).then(|| {
                if lang == Lang::Vi {
                    format!("{} mục (xem bên dưới)", content.outline.len())
                } else {
                    format!("{} sections (below)", content.outline.len())
                }
            }),
            Element::Forms => (!content.forms.is_empty()).then(|| {
                content
                    .forms
                    .iter()
                    .map(|f| f.code.clone())
                    .collect::<Vec<_>>()
                    .join("; ")
            }),
        }
    };
    let elements: Vec<Value> = Element::ALL
        .iter()
        .enumerate()
        .map(|(n, element)| {
            let key = format!("element_{}", element.as_str());
            json!({ "number": n + 1, "label": tr.get(key.as_str()), "text": text_of(*element), "code": element.as_str() })
        })
        .collect();
    let forms: Vec<Value> = content
        .forms
        .iter()
        .map(|form| {
            json!({
                "code": form.code,
                "title": form.title_vi,
                "values": describe::row_values(form.values, lang),
                "columns": form.columns.iter().map(|c| describe::column(*c, lang)).collect::<Vec<_>>(),
                "rows": form.rows.iter().map(|row| {
                    let indicator = catalogue.iter().find(|i| i.code() == &row.indicator);
                    json!({
                        "code": row.indicator.as_str(),
                        "name": indicator.map(|i| if lang == Lang::Vi { i.name_vi.clone() } else { i.name_en.clone() }),
                        "unit": indicator.map(|i| if lang == Lang::Vi { i.unit_vi.clone() } else { i.unit_en.clone() }),
                        "disaggregation": indicator.map(|i| i.disaggregation.join(", ")),
                    })
                }).collect::<Vec<_>>(),
            })
        })
        .collect();
    let assigned = state
        .store
        .assignments(regime.code(), Some(today))
        .await
        .map_err(store_fail(lang))?
        .len();
    page.render("regime.html",
        json!({
            "may_author": page.caller.as_ref().is_some_and(|c| c.may(Action::AuthorRegimes)),
            "code": regime.code().as_str(),
            "name": describe::regime_name(&regime, lang),
            "version": regime.version(),
            "status": describe::regime_status(regime.status(), lang),
            "kind": describe::regime_kind(content.kind, lang),
            "effective_from": regime.effective_from().map(|d| describe::date(d, lang)),
            "legal_basis": content.legal_basis.as_ref().map(|b| json!({
                "document": b.document, "issuer": b.issuer, "date": b.date.map(|d| describe::date(d, lang)),
            })),
            "missing": content.missing_elements().iter().map(|e| tr.get(format!("element_{}", e.as_str()).as_str()).copied()).collect::<Vec<_>>(),
            "elements": elements,
            "outline": content.outline,
            "forms": forms,
            "rules": content.rules,
            "derived": content.derived,
            "assigned": assigned,
        }),
    )
}

#[derive(Deserialize)]
pub struct AgencyQuery {
    as_of: Option<String>,
    parent: Option<String>,
    q: Option<String>,
}

pub async fn agencies(
    State(state): State<AppState>,
    page: PageContext,
    Query(query): Query<AgencyQuery>,
) -> Result<Response, PageError> {
    page.allowed(Action::ReadCatalogue)?;
    let lang = page.lang;
    let tr = strings(lang);
    let date = match query.as_of.as_deref().filter(|d| !d.is_empty()) {
        Some(text) => parse_date(text).map_err(fail(lang))?,
        None => state.today(),
    };
    let parent = match query.parent.as_deref().filter(|p| !p.is_empty()) {
        Some(text) => agency_code(text).map_err(fail(lang))?,
        None => AgencyCode::new("VN").map_err(|_| fail(lang)(ApiError::internal()))?,
    };
    let name = |vi: &str, en: &str| {
        if lang == Lang::Vi {
            vi.to_string()
        } else {
            en.to_string()
        }
    };
    let search = query.q.as_deref().map(str::trim).filter(|q| !q.is_empty());
    let filter = match search {
        Some(q) => AgencyFilter {
            query: Some(q.to_string()),
            ..Default::default()
        },
        None => AgencyFilter {
            parent: Some(parent.clone()),
            ..Default::default()
        },
    };
    let agencies = state
        .store
        .agencies_as_of(date, &filter)
        .await
        .map_err(store_fail(lang))?;
    let mut lineage = Vec::new();
    for code in state
        .store
        .lineage(&parent, date)
        .await
        .map_err(store_fail(lang))?
        .iter()
        .rev()
    {
        if let Some(a) = state
            .store
            .agency_as_of(code, date)
            .await
            .map_err(store_fail(lang))?
        {
            lineage.push(json!({ "code": a.code.as_str(), "name": name(&a.name_vi, &a.name_en) }));
        }
    }
    // Where the agency came from and where it went: a merged province names its predecessors.
    let successions: Vec<Value> = if parent.as_str() == "VN" {
        Vec::new()
    } else {
        state
            .store
            .successions_of(&parent, date)
            .await
            .map_err(store_fail(lang))?
            .into_iter()
            .map(|s| {
                let day = s.date.parse::<baocao_domain::Date>().ok();
                // Each side is linked as of a day it existed.
                let before = day.and_then(|d| d.yesterday().ok());
                json!({
                    "date": day.map_or(s.date.clone(), |d| describe::date(d, lang)),
                    "before": before.map(|d| d.to_string()),
                    "on": day.map(|d| d.to_string()),
                    // The page shows the successor only from the day of the succession
                    // (a code kept through a merger names both sides).
                    "into": s.successor == parent.as_str()
                        && (s.predecessor != parent.as_str() || day.is_some_and(|d| d <= date)),
                    "predecessor": s.predecessor,
                    "predecessor_name": name(&s.predecessor_vi, &s.predecessor_en),
                    "successor": s.successor,
                    "successor_name": name(&s.successor_vi, &s.successor_en),
                })
            })
            .collect()
    };
    let mut groups: Vec<Value> = Vec::new();
    for level in AgencyLevel::ALL {
        let members: Vec<Value> = agencies
            .iter()
            .filter(|a| a.level == *level)
            .map(|a| {
                json!({
                    "code": a.code.as_str(),
                    "name": name(&a.name_vi, &a.name_en),
                    "kind": describe::agency_kind(a.kind, lang),
                    "valid_from": a.valid_from.map(|d| describe::date(d, lang)),
                    "valid_to": a.valid_to.map(|d| describe::date(d, lang)),
                })
            })
            .collect();
        if !members.is_empty() {
            groups.push(json!({ "label": tr.get(describe::level_key(*level)), "count": members.len(), "members": members }));
        }
    }
    page.render(
        "agencies.html",
        json!({
            "as_of": date.to_string(),
            "as_of_shown": describe::date(date, lang),
            "successions": successions,
            "parent": parent.as_str(),
            "q": search,
            "lineage": lineage,
            "groups": groups,
            "total": agencies.len(),
        }),
    )
}

pub async fn indicators(
    State(state): State<AppState>,
    page: PageContext,
    Query(query): Query<SearchQuery>,
) -> Result<Response, PageError> {
    page.allowed(Action::ReadCatalogue)?;
    let lang = page.lang;
    let categories = state.store.categories().await.map_err(store_fail(lang))?;
    let rows: Vec<Value> = state
        .store
        .indicators(query.q.as_deref())
        .await
        .map_err(store_fail(lang))?
        .iter()
        .map(|i| {
            let disaggregation: Vec<String> = i
                .disaggregation
                .iter()
                .map(|code| {
                    categories.iter().find(|c| c.code() == code).map_or_else(
                        || code.clone(),
                        |c| {
                            if lang == Lang::Vi {
                                c.name_vi.clone()
                            } else {
                                c.name_en.clone()
                            }
                        },
                    )
                })
                .collect();
            json!({
                "code": i.code().as_str(),
                "name": if lang == Lang::Vi { &i.name_vi } else { &i.name_en },
                "unit": if lang == Lang::Vi { &i.unit_vi } else { &i.unit_en },
                "value_type": describe::value_type(i.value_type(), lang),
                "aggregation": describe::aggregation(i.aggregation(), lang),
                "frequency": i.frequency.map(|f| describe::frequency(f, lang)),
                "disaggregation": disaggregation.join(", "),
                "group": i.group_vi,
            })
        })
        .collect();
    page.render("indicators.html", json!({ "q": query.q, "rows": rows }))
}
