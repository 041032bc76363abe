//! `GET /api/v1/sdmx/data/{flow}/{key}`: an indicator table published as an SDMX-JSON 1.0
//! data message, so SDMX tools (sdmx1, pandaSDMX, .Stat) read baocao like any statistics
//! office. The flow is a table's code; the key selects series by dimension in SDMX's
//! notation — values separated by `+`, dimensions by `.`, an empty position or `all` for
//! everything (`KT04+KT05.01+79`). Series dimensions are INDICATOR, REF_AREA and one per
//! disaggregation the table splits by (`_T` for the total); observations run along
//! TIME_PERIOD in SDMX's period notation (`2026-01`, `2026-Q1`, `2026-S1`, `2026`).
//! `startPeriod`/`endPeriod` narrow the periods; `lang=en` names things in English.

use std::collections::BTreeMap;

use axum::extract::State;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use baocao_domain::period::{Frequency, PeriodId};
use baocao_domain::pivot::{Dimension, Fact};
use serde_json::{Value, json};

use super::doc;
use super::pivot::{Labels, facts};
use super::tables::{find, request_of};
use crate::AppState;
use crate::auth::{ApiPath, ApiQuery, Caller};
use crate::error::ApiError;
use crate::i18n::Lang;

const MEDIA_TYPE: &str = "application/vnd.sdmx.data+json; charset=utf-8; version=1.0.0";

/// A period in SDMX's notation.
pub fn sdmx_period(period: PeriodId) -> String {
    let year = period.year();
    let month = period.start().month();
    match period.frequency() {
        Frequency::Monthly => format!("{year}-{month:02}"),
        Frequency::Quarterly => format!("{year}-Q{}", (month - 1) / 3 + 1),
        Frequency::SixMonthly => format!("{year}-S{}", if month <= 6 { 1 } else { 2 }),
        Frequency::Yearly => year.to_string(),
        Frequency::Daily => period.start().to_string(),
        _ => format!("{}/{}", period.start(), period.end()),
    }
}

/// The values a key allows at each position (`None`: any).
fn parse_key(key: &str, positions: usize) -> Result<Vec<Option<Vec<String>>>, ApiError> {
    if key.is_empty() || key == "all" {
        return Ok(vec![None; positions]);
    }
    let parts: Vec<&str> = key.split('.').collect();
    if parts.len() != positions {
        return Err(ApiError::bad_request(
            "invalid_key",
            format!("Khóa {key:?} cần {positions} vị trí cách nhau bởi dấu chấm."),
            format!("The key {key:?} needs {positions} positions separated by dots."),
        ));
    }
    Ok(parts
        .iter()
        .map(|part| {
            (!part.is_empty()).then(|| part.split('+').map(String::from).collect::<Vec<_>>())
        })
        .collect())
}

/// `GET /api/v1/sdmx/data/{flow}`: the whole flow.
#[utoipa::path(
    get,
    path = "/api/v1/sdmx/data/{flow}",
    tag = "Interoperability",
    operation_id = "get_api_v1_sdmx_data_flow",
    summary = "An indicator table (its code is the flow) as an SDMX-JSON 1.0 data message: series by INDICATOR, REF_AREA and each disaggregation, observations along TIME_PERIOD.",
    params(
        ("flow" = doc::Code, Path),
        ("startPeriod" = Option<doc::PeriodId>, Query),
        ("endPeriod" = Option<doc::PeriodId>, Query),
        ("as_of" = Option<jiff::civil::Date>, Query),
        ("lang" = Option<doc::Language>, Query),
    ),
    responses(
        (status = 200, description = "An SDMX-JSON 1.0 data message", body = serde_json::Value, content_type = "application/vnd.sdmx.data+json"),
    ),
)]
pub async fn data_all(
    state: State<AppState>,
    caller: Caller,
    ApiPath(flow): ApiPath<String>,
    query: ApiQuery<Vec<(String, String)>>,
) -> Result<Response, ApiError> {
    message(state, caller, flow, "all".into(), query).await
}

#[utoipa::path(
    get,
    path = "/api/v1/sdmx/data/{flow}/{key}",
    tag = "Interoperability",
    operation_id = "get_api_v1_sdmx_data_flow_key",
    summary = "The same, for the series a key selects (values joined by +, dimensions by ., empty or all for any).",
    params(
        ("flow" = doc::Code, Path),
        ("key" = String, Path, max_length = 200, pattern = r#"^[^\s?#/\x00-\x1f\x7f-\x9f]{1,200}$"#),
        ("startPeriod" = Option<doc::PeriodId>, Query),
        ("endPeriod" = Option<doc::PeriodId>, Query),
        ("as_of" = Option<jiff::civil::Date>, Query),
        ("lang" = Option<doc::Language>, Query),
    ),
    responses(
        (status = 200, description = "An SDMX-JSON 1.0 data message", body = serde_json::Value, content_type = "application/vnd.sdmx.data+json"),
    ),
)]
pub async fn data(
    state: State<AppState>,
    caller: Caller,
    ApiPath((flow, key)): ApiPath<(String, String)>,
    query: ApiQuery<Vec<(String, String)>>,
) -> Result<Response, ApiError> {
    message(state, caller, flow, key, query).await
}

async fn message(
    State(state): State<AppState>,
    caller: Caller,
    flow: String,
    key: String,
    ApiQuery(pairs): ApiQuery<Vec<(String, String)>>,
) -> Result<Response, ApiError> {
    let find_param = |name: &str| {
        pairs
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
            .filter(|v| !v.is_empty())
    };
    let lang = if find_param("lang").as_deref() == Some("en") {
        Lang::En
    } else {
        Lang::Vi
    };
    let table = find(&state, &flow).await?;
    let request = request_of(&state, &table, find_param("as_of"), lang).await?;
    let plan = super::analytics::plan(&state, &caller, request.query).await?;
    let rows = plan.rows(&state).await?;
    let labels = Labels::load(&state, &plan, lang).await?;
    let split = !plan.disaggregate.is_empty();
    let (start, end) = (find_param("startPeriod"), find_param("endPeriod"));
    let mut facts: Vec<Fact> = facts(&rows, split)
        .into_iter()
        .filter(|f| f.value.is_some())
        .filter(|f| {
            let id = sdmx_period(f.period);
            start.as_deref().is_none_or(|s| id.as_str() >= s)
                && end.as_deref().is_none_or(|e| id.as_str() <= e)
        })
        .collect();

    // Series dimensions: indicator, area, then each category split by.
    let mut dimensions: Vec<(String, Dimension)> = vec![
        ("INDICATOR".into(), Dimension::Indicator),
        ("REF_AREA".into(), Dimension::Agency),
    ];
    for category in &plan.disaggregate {
        dimensions.push((
            category.to_uppercase(),
            Dimension::Category(category.clone()),
        ));
    }
    let selection = parse_key(&key, dimensions.len())?;
    let coordinate = |fact: &Fact, dimension: &Dimension| {
        let value = fact.coordinate(dimension);
        if value.is_empty() {
            "_T".to_string()
        } else {
            value
        }
    };
    facts.retain(|fact| {
        dimensions.iter().zip(&selection).all(|((_, d), allowed)| {
            allowed
                .as_ref()
                .is_none_or(|list| list.contains(&coordinate(fact, d)))
        })
    });

    // Each dimension's values in order of first appearance; series and observations refer
    // to them by position.
    let mut values: Vec<Vec<String>> = vec![Vec::new(); dimensions.len()];
    let mut periods: Vec<PeriodId> = Vec::new();
    let mut series: BTreeMap<String, BTreeMap<usize, f64>> = BTreeMap::new();
    for fact in &facts {
        let mut key = Vec::new();
        for (index, (_, dimension)) in dimensions.iter().enumerate() {
            let value = coordinate(fact, dimension);
            let at = match values[index].iter().position(|v| *v == value) {
                Some(at) => at,
                None => {
                    values[index].push(value);
                    values[index].len() - 1
                }
            };
            key.push(at.to_string());
        }
        let period_at = match periods.iter().position(|p| *p == fact.period) {
            Some(at) => at,
            None => {
                periods.push(fact.period);
                periods.len() - 1
            }
        };
        if let Some(value) = fact.value {
            series
                .entry(key.join(":"))
                .or_default()
                .insert(period_at, value);
        }
    }
    let total = if lang == Lang::En {
        "Total"
    } else {
        "Tổng số"
    };
    let series_dimensions: Vec<Value> = dimensions
        .iter()
        .zip(&values)
        .enumerate()
        .map(|(position, ((id, dimension), list))| {
            json!({
                "id": id,
                "name": labels.dimension(dimension),
                "keyPosition": position,
                "values": list.iter().map(|v| json!({
                    "id": v,
                    "name": if v == "_T" { total.to_string() } else { labels.key(dimension, v) },
                })).collect::<Vec<_>>(),
            })
        })
        .collect();
    let time = json!({
        "id": "TIME_PERIOD",
        "name": labels.dimension(&Dimension::Period),
        "keyPosition": dimensions.len(),
        "role": "time",
        "values": periods.iter().map(|p| json!({
            "id": sdmx_period(*p),
            "name": labels.key(&Dimension::Period, &p.to_string()),
            "start": format!("{}T00:00:00", p.start()),
            "end": format!("{}T23:59:59", p.end()),
        })).collect::<Vec<_>>(),
    });
    let data_set_series: serde_json::Map<String, Value> = series
        .into_iter()
        .map(|(key, observations)| {
            let observations: serde_json::Map<String, Value> = observations
                .into_iter()
                .map(|(at, value)| (at.to_string(), json!([value])))
                .collect();
            (key, json!({"attributes": [], "observations": observations}))
        })
        .collect();
    let message = json!({
        "header": {
            "id": format!("BAOCAO-{}-{}", table.code, state.now_text()),
            "test": false,
            "prepared": state.now_text(),
            "sender": {"id": "BAOCAO", "name": "Hệ thống thông tin báo cáo"},
        },
        "dataSets": [{"action": "Information", "series": data_set_series}],
        "structure": {
            "name": table.title(lang == Lang::En),
            "description": table.theme(lang == Lang::En),
            "dimensions": {"dataSet": [], "series": series_dimensions, "observation": [time]},
            "attributes": {"dataSet": [], "series": [], "observation": []},
        },
    });
    Ok((
        [(header::CONTENT_TYPE, HeaderValue::from_static(MEDIA_TYPE))],
        message.to_string(),
    )
        .into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn periods_are_written_the_sdmx_way() {
        let id = |text: &str| sdmx_period(PeriodId::parse(text).unwrap());
        assert_eq!(id("202601"), "2026-01");
        assert_eq!(id("2026Q3"), "2026-Q3");
        assert_eq!(id("2026S2"), "2026-S2");
        assert_eq!(id("2025"), "2025");
    }

    #[test]
    fn keys_select_by_position() {
        assert_eq!(parse_key("all", 2).unwrap(), vec![None, None]);
        assert_eq!(
            parse_key("KT04+KT05.", 2).unwrap(),
            vec![Some(vec!["KT04".to_string(), "KT05".to_string()]), None]
        );
        assert!(parse_key("KT04", 2).is_err());
    }
}
