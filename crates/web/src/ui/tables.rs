//! The indicator tables and the pivot explorer: the catalogue of saved tables by theme
//! (`/tables`), one table with its chart and exports (`/tables/{code}`), the explorer that
//! lays any question out by rows and columns (`/pivot`), and the values behind one number
//! (`/analytics/sources`). All draw the API's pivot view; the numbers link to their sources.

use std::collections::{BTreeMap, HashMap, HashSet};

use axum::extract::{Path, RawQuery, State};
use axum::response::Response;
use baocao_domain::period::Frequency;
use baocao_domain::pivot::Dimension;
use baocao_domain::table::latest_ending_by;
use serde_json::{Value, json};

use super::charts::{bars, choropleth, lines, stacked};
use super::{PageContext, PageError};
use crate::AppState;
use crate::error::ApiError;
use crate::i18n::Lang;
use baocao_service::analytics::AnalyticsQuery;
use baocao_service::pivot::{Header, PivotRequest, PivotView, RowView, build, sources_of};
use baocao_service::tables::{find_in_scope, request_of};

pub async fn catalogue(
    State(state): State<AppState>,
    page: PageContext,
) -> Result<Response, PageError> {
    let lang = page.lang;
    page.logged_in()?;
    let english = lang == Lang::En;
    let tables = state
        .store
        .indicator_tables()
        .await
        .map_err(|e| PageError::from_api(e.into(), lang))?;
    let mut themes: Vec<(String, Vec<serde_json::Value>)> = Vec::new();
    for table in &tables {
        let theme = table.theme(english).to_string();
        let entry =
            json!({"code": table.code, "title": table.title(english), "chart": table.chart});
        match themes.iter_mut().find(|(name, _)| *name == theme) {
            Some((_, list)) => list.push(entry),
            None => themes.push((theme, vec![entry])),
        }
    }
    page.render(
        "tables.html",
        json!({
            "count": tables.len(),
            "themes": themes.iter().map(|(name, list)| json!({"name": name, "tables": list})).collect::<Vec<_>>(),
        }),
    )
}

/// The chart of a pivot: the side holding the periods runs along the axis, the other side's
/// entries are the series; bars and the map show the latest column of each row.
fn chart(view: &PivotView, kind: &str, title: &str, lang: Lang) -> Option<String> {
    let label = |headers: &[Header]| {
        headers
            .iter()
            .map(|h| h.label.clone())
            .collect::<Vec<_>>()
            .join(" · ")
    };
    let periods_down = view.layout.rows.contains(&Dimension::Period);
    let column_labels: Vec<String> = view.columns.iter().map(|c| label(c)).collect();
    let row_labels: Vec<String> = view.rows.iter().map(|r| label(&r.headers)).collect();
    type Series = Vec<(String, Vec<Option<f64>>)>;
    let (axis, series): (Vec<String>, Series) = if periods_down {
        let series = column_labels
            .iter()
            .enumerate()
            .map(|(c, name)| {
                (
                    name.clone(),
                    view.rows.iter().map(|r| r.cells[c].value).collect(),
                )
            })
            .collect();
        (row_labels.clone(), series)
    } else {
        let series = view
            .rows
            .iter()
            .zip(&row_labels)
            .map(|(r, name)| (name.clone(), r.cells.iter().map(|c| c.value).collect()))
            .collect();
        (column_labels.clone(), series)
    };
    let latest = |r: &RowView| r.cells.iter().rev().find_map(|c| c.value);
    match kind {
        "line" => Some(lines(title, &axis, &series, lang)),
        "stacked" => Some(stacked(title, &axis, &series, lang)),
        "bar" => {
            let items: Vec<(String, Option<f64>)> = view
                .rows
                .iter()
                .zip(&row_labels)
                .map(|(r, name)| (name.clone(), latest(r)))
                .collect();
            Some(bars(title, &items, lang))
        }
        "map" if view.layout.rows.first() == Some(&Dimension::Agency) => {
            let values: HashMap<String, f64> = view
                .rows
                .iter()
                .filter_map(|r| Some((r.headers.first()?.key.clone(), latest(r)?)))
                .collect();
            let names: HashMap<String, String> = view
                .rows
                .iter()
                .filter_map(|r| {
                    let h = r.headers.first()?;
                    Some((h.key.clone(), h.label.clone()))
                })
                .collect();
            Some(choropleth(title, &values, &names, lang))
        }
        _ => None,
    }
}

fn pairs_of(raw: Option<String>) -> Vec<(String, String)> {
    raw.map(|q| {
        url::form_urlencoded::parse(q.as_bytes())
            .into_owned()
            .collect()
    })
    .unwrap_or_default()
}

pub async fn table(
    State(state): State<AppState>,
    page: PageContext,
    Path(code): Path<String>,
    RawQuery(raw): RawQuery,
) -> Result<Response, PageError> {
    let lang = page.lang;
    let fail = |e: ApiError| PageError::from_api(e, lang);
    let caller = page.logged_in()?;
    let english = lang == Lang::En;
    let definition = find_in_scope(&state, caller, &code)
        .await
        .map_err(|e| fail(e.into()))?;
    let as_of = pairs_of(raw)
        .into_iter()
        .find(|(k, _)| k == "as_of")
        .map(|(_, v)| v)
        .filter(|v| !v.is_empty());
    let request = request_of(&state, &definition, as_of.clone(), lang)
        .await
        .map_err(|e| fail(e.into()))?;
    let explore = format!("/pivot?{}", explorer_query(&request));
    let view = build(&state, caller, request)
        .await
        .map_err(|e| fail(e.into()))?;
    let title = definition.title(english).to_string();
    let drawn = definition
        .chart
        .as_deref()
        .and_then(|kind| chart(&view, kind, &title, lang));
    let suffix = as_of.map(|d| format!("&as_of={d}")).unwrap_or_default();
    let export = |format: &str, shape: &str| {
        format!(
            "/api/v1/tables/{code}/export?format={format}&shape={shape}&lang={}{suffix}",
            lang.code()
        )
    };
    // The periods the table shows, as people write them ("11/2026", "06/2026 – 11/2026").
    let written: Vec<String> = view
        .periods
        .iter()
        .map(|p| {
            baocao_domain::period::PeriodId::parse(p)
                .map(|p| baocao_domain::language::period_label(p, lang))
                .unwrap_or_else(|_| p.clone())
        })
        .collect();
    let periods = match written.as_slice() {
        [] => "—".to_string(),
        [one] => one.clone(),
        [first, .., last] => format!("{first} – {last}"),
    };
    page.render(
        "table.html",
        json!({
            "code": definition.code,
            "periods": periods,
            "title": title,
            "theme": definition.theme(english),
            "pivot": view,
            "chart": drawn,
            "exports": {
                "csv": export("csv", "table"), "xlsx": export("xlsx", "table"),
                "long_csv": export("csv", "long"), "long_xlsx": export("xlsx", "long"),
            },
            "explore": explore,
        }),
    )
}

/// The explorer's address for a question (its hierarchy date aside).
fn explorer_query(request: &PivotRequest) -> String {
    let mut pairs: Vec<(String, String)> = Vec::new();
    for indicator in &request.query.indicator {
        pairs.push(("indicator".into(), indicator.clone()));
    }
    pairs.push((
        "agency".into(),
        request.query.agency.clone().unwrap_or_default(),
    ));
    pairs.push((
        "level".into(),
        request.query.level.clone().unwrap_or_default(),
    ));
    pairs.push(("period".into(), request.query.period.join(",")));
    for category in &request.query.disaggregate {
        pairs.push(("disaggregate".into(), category.clone()));
    }
    let join = |list: &[Dimension]| {
        list.iter()
            .map(Dimension::as_str)
            .collect::<Vec<_>>()
            .join(",")
    };
    pairs.push(("rows".into(), join(&request.rows)));
    pairs.push(("columns".into(), join(&request.columns)));
    url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs(pairs)
        .finish()
}

/// The explorer: a form for the question and the layout, and the table it gives.
pub async fn explorer(
    State(state): State<AppState>,
    page: PageContext,
    RawQuery(raw): RawQuery,
) -> Result<Response, PageError> {
    let lang = page.lang;
    let fail = |e: ApiError| PageError::from_api(e, lang);
    let caller = page.logged_in()?;
    let english = lang == Lang::En;
    let pairs: Vec<(String, String)> = pairs_of(raw)
        .into_iter()
        .filter(|(k, v)| !v.is_empty() && k != "lang")
        .collect();
    let pick = |vi: &str, en: &str| {
        if english && !en.is_empty() {
            en.to_string()
        } else {
            vi.to_string()
        }
    };
    let indicators = state
        .store
        .indicators(None)
        .await
        .map_err(|e| fail(e.into()))?;
    let categories = state.store.categories().await.map_err(|e| fail(e.into()))?;
    // The picker's agencies: the country, its ministries and provinces, and their departments
    // (communes are reached through a province and a level).
    let mut agencies = state
        .store
        .agencies_as_of(state.today(), &Default::default())
        .await
        .map_err(|e| fail(e.into()))?;
    agencies.retain(|a| a.level != baocao_domain::agency::AgencyLevel::Commune);
    let picker: Vec<Value> = agencies
        .iter()
        .map(|a| {
            json!({
                "code": a.code.as_str(),
                "name": pick(&a.name_vi, &a.name_en),
                "depth": match a.level {
                    baocao_domain::agency::AgencyLevel::National => 0,
                    baocao_domain::agency::AgencyLevel::Department => 2,
                    _ => 1,
                },
                "parent": a.parent.as_ref().map(|p| p.as_str()),
            })
        })
        .collect();
    let mut request = if pairs.is_empty() {
        // A first visit: retail sales by province over the last six months with data.
        let codes = [baocao_domain::indicator::IndicatorCode::new("KT04")
            .map_err(|_| fail(ApiError::not_found("chỉ tiêu", "indicator")))?];
        let latest = state
            .store
            .latest_data_end(&codes, state.today())
            .await
            .map_err(|e| fail(e.into()))?
            .unwrap_or(state.today());
        let anchor = latest_ending_by(Frequency::Monthly, latest);
        PivotRequest {
            query: AnalyticsQuery {
                indicator: vec!["KT04".into()],
                period: (0..6)
                    .rev()
                    .map(|n| anchor.back(n, 0).to_string())
                    .collect(),
                agency: Some("VN".into()),
                level: Some("province".into()),
                as_of: None,
                disaggregate: vec![],
            },
            rows: vec![Dimension::Agency],
            columns: vec![Dimension::Period],
            lang: None,
        }
    } else {
        PivotRequest::from_pairs(pairs, &[]).map_err(|e| fail(e.into()))?
    };
    request.lang = Some(lang.code().to_string());
    let query_text = explorer_query(&request);
    let form = json!({
        "indicators": request.query.indicator,
        "agency": request.query.agency.clone().unwrap_or_else(|| "VN".into()),
        "level": request.query.level.clone().unwrap_or_default(),
        "period": request.query.period.join(","),
        "as_of": request.query.as_of.clone().unwrap_or_default(),
        "disaggregate": request.query.disaggregate,
    });
    let placement: BTreeMap<String, String> = request
        .rows
        .iter()
        .map(|d| (d.as_str().to_string(), "rows".to_string()))
        .chain(
            request
                .columns
                .iter()
                .map(|d| (d.as_str().to_string(), "columns".to_string())),
        )
        .collect();
    let view = build(&state, caller, request).await;
    let (view, error) = match view.map_err(ApiError::from) {
        Ok(view) => (Some(view), None),
        Err(error) => (
            None,
            Some(if english {
                error.message_en
            } else {
                error.message
            }),
        ),
    };
    let mut dimensions = vec![
        json!({"key": "indicator", "name": if english { "Indicator" } else { "Chỉ tiêu" }}),
        json!({"key": "agency", "name": if english { "Agency" } else { "Cơ quan, địa phương" }}),
        json!({"key": "period", "name": if english { "Period" } else { "Kỳ" }}),
    ];
    dimensions.extend(
        categories
            .iter()
            .map(|c| json!({"key": c.code(), "name": pick(&c.name_vi, &c.name_en)})),
    );
    page.render(
        "pivot.html",
        json!({
            "form": form,
            "placement": placement,
            "dimensions": dimensions,
            "indicators": indicators.iter().map(|i| json!({"code": i.code().as_str(), "name": pick(&i.name_vi, &i.name_en)})).collect::<Vec<_>>(),
            "categories": categories.iter().map(|c| json!({"code": c.code(), "name": pick(&c.name_vi, &c.name_en)})).collect::<Vec<_>>(),
            "levels": ["province", "ministry", "department", "commune"],
            "agencies": tree_order(picker),
            "pivot": view,
            "error": error,
            "exports": {
                "csv": format!("/api/v1/pivot/export?format=csv&lang={}&{query_text}", lang.code()),
                "xlsx": format!("/api/v1/pivot/export?format=xlsx&lang={}&{query_text}", lang.code()),
                "long_csv": format!("/api/v1/pivot/export?format=csv&shape=long&lang={}&{query_text}", lang.code()),
            },
        }),
    )
}

/// The picker's agencies in the order of a tree: each after its parent, siblings by code.
fn tree_order(agencies: Vec<Value>) -> Vec<Value> {
    fn visit(parent: Option<&str>, all: &[Value], out: &mut Vec<Value>, depth: usize) {
        if depth > 8 {
            return;
        }
        let mut children: Vec<&Value> = all
            .iter()
            .filter(|a| a["parent"].as_str() == parent)
            .collect();
        children.sort_by(|a, b| a["code"].as_str().cmp(&b["code"].as_str()));
        for child in children {
            out.push(child.clone());
            visit(child["code"].as_str(), all, out, depth + 1);
        }
    }
    let mut out = Vec::with_capacity(agencies.len());
    let known: HashSet<&str> = agencies.iter().filter_map(|a| a["code"].as_str()).collect();
    // Roots: those whose parent is not listed (the country).
    let roots: Vec<Value> = agencies
        .iter()
        .filter(|a| a["parent"].as_str().is_none_or(|p| !known.contains(p)))
        .cloned()
        .collect();
    for root in roots {
        out.push(root.clone());
        visit(root["code"].as_str(), &agencies, &mut out, 1);
    }
    out
}

/// The values behind one number, each leading to its report.
pub async fn sources(
    State(state): State<AppState>,
    page: PageContext,
    RawQuery(raw): RawQuery,
) -> Result<Response, PageError> {
    let lang = page.lang;
    let caller = page.logged_in()?;
    let answer = sources_of(&state, caller, pairs_of(raw))
        .await
        .map_err(|e| PageError::from_api(e.into(), lang))?;
    let total: f64 = answer.values.iter().map(|v| v.value).sum();
    // A value from a report is named by its regime, as people know it, not by `regime:CODE`.
    let regimes: HashMap<String, String> = state
        .store
        .regimes(None)
        .await
        .map_err(|e| PageError::from_api(e.into(), lang))?
        .iter()
        .map(|r| {
            (
                format!("regime:{}", r.code()),
                format!("{} ({})", super::describe::regime_name(r, lang), r.code()),
            )
        })
        .collect();
    let period = |text: &str| {
        baocao_domain::period::PeriodId::parse(text)
            .map(|p| baocao_domain::language::period_label(p, lang))
            .unwrap_or_else(|_| text.to_string())
    };
    page.render(
        "sources.html",
        json!({
            "answer": answer,
            "period": period(&answer.period),
            "count": answer.values.len(),
            "sum": super::charts::number(total, 2, lang),
            "values": answer.values.iter().map(|v| json!({
                "agency": v.agency, "agency_name": v.agency_name, "valid_to": v.agency_valid_to, "period": period(&v.period),
                "source_name": regimes.get(&v.source).cloned().unwrap_or_else(|| v.source.clone()),
                "options": v.options.iter().map(|(c, o)| format!("{c}={o}")).collect::<Vec<_>>().join("; "),
                "value": super::charts::number(v.value, 2, lang),
                "source": v.source, "report": v.report,
            })).collect::<Vec<_>>(),
        }),
    )
}
