//! Reading the embedded files of `data/` into domain values.

use std::collections::BTreeMap;

use baocao_domain::Date;
use baocao_domain::agency::{
    Agency, AgencyCode, AgencyDirectory, AgencyKind, AgencyLevel, AgencyState, Succession,
    SuccessionKind, Validity,
};
use baocao_domain::assignment::Assignment;
use baocao_domain::indicator::{
    Category, CategoryOption, Indicator, IndicatorCode, IndicatorRecord,
};
use baocao_domain::regime::{
    AgencySelector, CutoffRule, DeadlineRule, DerivedIndicator, Form, FormColumn, FormRow,
    LegalBasis, Method, OutlineSection, ReceivingAgency, Regime, RegimeCode, RegimeContent,
    RegimeKind, ReportingAgencies, RowValues, ValidationRule,
};
use jiff::civil::date;
use serde::Deserialize;

use crate::{SeedError, bad, demo_start};

macro_rules! data_file {
    ($name:literal) => {
        (
            $name,
            include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/../../data/", $name)),
        )
    };
}

const PROVINCES_BEFORE: (&str, &str) = data_file!("provinces-before-2025-07-01.csv");
const PROVINCES_AFTER: (&str, &str) = data_file!("provinces-from-2025-07-01.csv");
const MINISTRIES: (&str, &str) = data_file!("ministries.csv");
const POPULATION: (&str, &str) = data_file!("provinces-2025-population.csv");
const COMMUNES: (&str, &str) = data_file!("communes-from-2025-07-01.csv");
const EVENTS: (&str, &str) = data_file!("agency-events.csv");
const DISAGGREGATIONS: (&str, &str) = data_file!("disaggregations.csv");
const INDICATORS: (&str, &str) = data_file!("indicators.csv");
const TABLES: (&str, &str) = data_file!("tables.toml");
const REGIMES: &[(&str, &str)] = &[
    data_file!("regimes/monthly-socioeconomic-province.toml"),
    data_file!("regimes/monthly-trade-province-moit.toml"),
    data_file!("regimes/monthly-traffic-safety-commune.toml"),
    data_file!("regimes/quarterly-admin-procedures.toml"),
    data_file!("regimes/quarterly-edocuments.toml"),
    data_file!("regimes/yearly-population-poverty.toml"),
];

/// The day the 34 provinces and the new communes took office.
pub(crate) fn reorganisation_day() -> Date {
    date(2025, 7, 1)
}

#[derive(Deserialize)]
struct Population {
    code: String,
    population: f64,
}

/// The approximate population of each of the 34 provinces (relative sizes only).
pub(crate) fn province_populations() -> Result<Vec<(AgencyCode, f64)>, SeedError> {
    rows::<Population>(POPULATION)?
        .into_iter()
        .map(|row| Ok((code(POPULATION.0, &row.code)?, row.population)))
        .collect()
}

fn rows<T: for<'de> Deserialize<'de>>((name, text): (&str, &str)) -> Result<Vec<T>, SeedError> {
    csv::Reader::from_reader(text.as_bytes())
        .deserialize()
        .collect::<Result<Vec<T>, _>>()
        .map_err(|e| bad(name, e))
}

fn optional_date(file: &str, text: &str) -> Result<Option<Date>, SeedError> {
    if text.trim().is_empty() {
        Ok(None)
    } else {
        text.parse()
            .map(Some)
            .map_err(|e| bad(file, format!("date {text:?}: {e}")))
    }
}

fn code(file: &str, text: &str) -> Result<AgencyCode, SeedError> {
    AgencyCode::new(text).map_err(|e| bad(file, e))
}

fn kind(file: &str, text: &str) -> Result<AgencyKind, SeedError> {
    AgencyKind::parse(text).map_err(|e| bad(file, e))
}

#[derive(Deserialize)]
struct ProvinceBefore {
    code: String,
    name_vi: String,
    name_en: String,
    kind: String,
    valid_to: String,
}

#[derive(Deserialize)]
struct ProvinceAfter {
    code: String,
    name_vi: String,
    name_en: String,
    kind: String,
    formed_from: String,
}

#[derive(Deserialize)]
struct Ministry {
    code: String,
    name_vi: String,
    name_en: String,
    kind: String,
    valid_from: String,
    valid_to: String,
    succeeded_by: String,
}

#[derive(Deserialize)]
struct Commune {
    code: String,
    name_vi: String,
    name_en: String,
    province_code: String,
}

#[derive(Deserialize)]
struct Event {
    date: String,
    event: String,
    code: String,
    new_kind: String,
    new_name_vi: String,
    new_name_en: String,
}

pub(crate) fn agencies() -> Result<(AgencyDirectory, Vec<Succession>), SeedError> {
    let vn = code("government", "VN")?;
    let state =
        |name_vi: &str, name_en: &str, kind, parent: Option<&AgencyCode>, validity| AgencyState {
            name_vi: name_vi.to_string(),
            name_en: name_en.to_string(),
            kind,
            parent: parent.cloned(),
            validity,
        };
    let validity = |file: &str, from, to| Validity::new(from, to).map_err(|e| bad(file, e));
    let agency = |file: &str, code, state| Agency::new(code, state).map_err(|e| bad(file, e));

    let mut agencies = vec![agency(
        "government",
        vn.clone(),
        state(
            "Chính phủ",
            "Government",
            AgencyKind::Government,
            None,
            Validity::ALWAYS,
        ),
    )?];
    let mut successions = Vec::new();

    let file = MINISTRIES.0;
    for m in rows::<Ministry>(MINISTRIES)? {
        let v = validity(
            file,
            optional_date(file, &m.valid_from)?,
            optional_date(file, &m.valid_to)?,
        )?;
        agencies.push(agency(
            file,
            code(file, &m.code)?,
            state(&m.name_vi, &m.name_en, kind(file, &m.kind)?, Some(&vn), v),
        )?);
        if let (false, Some(end)) = (m.succeeded_by.is_empty(), v.to()) {
            let day = end.tomorrow().map_err(|e| bad(file, e))?;
            successions.push(Succession {
                date: day,
                predecessor: code(file, &m.code)?,
                successor: code(file, &m.succeeded_by)?,
                kind: SuccessionKind::Absorb,
            });
        }
    }

    let day = reorganisation_day();
    let file = PROVINCES_BEFORE.0;
    for p in rows::<ProvinceBefore>(PROVINCES_BEFORE)? {
        let v = validity(file, None, optional_date(file, &p.valid_to)?)?;
        agencies.push(agency(
            file,
            code(file, &p.code)?,
            state(&p.name_vi, &p.name_en, kind(file, &p.kind)?, Some(&vn), v),
        )?);
    }
    let file = PROVINCES_AFTER.0;
    for p in rows::<ProvinceAfter>(PROVINCES_AFTER)? {
        // A row formed from its own code alone is the same unit continuing (already added).
        if p.formed_from == p.code {
            continue;
        }
        let successor = code(file, &p.code)?;
        agencies.push(agency(
            file,
            successor.clone(),
            state(
                &p.name_vi,
                &p.name_en,
                kind(file, &p.kind)?,
                Some(&vn),
                validity(file, Some(day), None)?,
            ),
        )?);
        for predecessor in p.formed_from.split(';') {
            successions.push(Succession {
                date: day,
                predecessor: code(file, predecessor)?,
                successor: successor.clone(),
                kind: SuccessionKind::Merge,
            });
        }
    }

    let file = EVENTS.0;
    for event in rows::<Event>(EVENTS)? {
        if event.event != "change_kind_and_name" {
            return Err(bad(file, format!("unknown event {:?}", event.event)));
        }
        let on: Date = event.date.parse().map_err(|e| bad(file, e))?;
        let target = code(file, &event.code)?;
        let new_kind = kind(file, &event.new_kind)?;
        let agency = agencies
            .iter_mut()
            .find(|a| a.code() == &target && a.lifetime().contains(on))
            .ok_or_else(|| bad(file, format!("no agency {target} on {on}")))?;
        agency
            .change_on(on, |s| {
                s.kind = new_kind;
                s.name_vi = event.new_name_vi.clone();
                s.name_en = event.new_name_en.clone();
            })
            .map_err(|e| bad(file, e))?;
    }

    let file = COMMUNES.0;
    for c in rows::<Commune>(COMMUNES)? {
        let province = code(file, &c.province_code)?;
        agencies.push(agency(
            file,
            code(file, &c.code)?,
            state(
                &c.name_vi,
                &c.name_en,
                AgencyKind::Commune,
                Some(&province),
                validity(file, Some(day), None)?,
            ),
        )?);
    }

    let directory = AgencyDirectory::new(agencies).map_err(|e| bad("agencies", e))?;
    Ok((directory, successions))
}

#[derive(Deserialize)]
struct OptionRow {
    category: String,
    category_name_vi: String,
    category_name_en: String,
    option: String,
    option_name_vi: String,
    option_name_en: String,
}

pub(crate) fn catalogue() -> Result<(Vec<Category>, Vec<Indicator>), SeedError> {
    let file = DISAGGREGATIONS.0;
    let mut by_category: BTreeMap<String, (String, String, Vec<CategoryOption>)> = BTreeMap::new();
    for row in rows::<OptionRow>(DISAGGREGATIONS)? {
        by_category
            .entry(row.category)
            .or_insert_with(|| (row.category_name_vi, row.category_name_en, Vec::new()))
            .2
            .push(CategoryOption {
                code: row.option,
                name_vi: row.option_name_vi,
                name_en: row.option_name_en,
            });
    }
    let categories = by_category
        .into_iter()
        .map(|(code, (vi, en, options))| {
            Category::new(code, vi, en, options).map_err(|e| bad(file, e))
        })
        .collect::<Result<Vec<_>, _>>()?;

    let file = INDICATORS.0;
    let indicators = rows::<IndicatorRecord>(INDICATORS)?
        .into_iter()
        .map(|row| row.into_indicator(&categories).map_err(|e| bad(file, e)))
        .collect::<Result<Vec<_>, _>>()?;
    Ok((categories, indicators))
}

#[derive(Deserialize)]
struct RegimeFile {
    code: String,
    name_vi: String,
    name_en: String,
    kind: RegimeKind,
    legal_basis: LegalBasis,
    content_requirements_vi: String,
    reporting_agencies: String,
    receiving_agency: String,
    methods: Vec<Method>,
    frequency: baocao_domain::period::Frequency,
    cutoff: String,
    deadline: DeadlineFile,
    #[serde(default)]
    outline: Vec<OutlineSection>,
    #[serde(default)]
    forms: Vec<FormFile>,
    #[serde(default)]
    rules: Vec<ValidationRule>,
    #[serde(default)]
    derived: Vec<DerivedIndicator>,
}

#[derive(Deserialize)]
struct DeadlineFile {
    day: u8,
    months_after_period_end: u8,
}

#[derive(Deserialize)]
struct FormFile {
    values: RowValues,
    code: String,
    title_vi: String,
    columns: Vec<FormColumn>,
    rows: Vec<IndicatorCode>,
}

/// The files describe who reports in prose; the registry keeps a structured selector beside
/// that prose.
fn levels(file: &str, prose: &str) -> Result<Vec<AgencyLevel>, SeedError> {
    let lower = prose.to_lowercase();
    let mut levels = Vec::new();
    if lower.contains("ministries") {
        levels.push(AgencyLevel::Ministry);
    }
    if lower.contains("provinces") && !lower.contains("communes") {
        levels.push(AgencyLevel::Province);
    }
    if lower.contains("communes") {
        levels.push(AgencyLevel::Commune);
    }
    if levels.is_empty() {
        return Err(bad(file, format!("cannot tell who reports from {prose:?}")));
    }
    Ok(levels)
}

/// The structured selector with a Vietnamese description: the levels' names, and the body
/// that reports where the file names it in parentheses ("all provinces (Sở Công Thương)").
fn reporting_agencies(file: &str, prose: &str) -> Result<ReportingAgencies, SeedError> {
    let levels = levels(file, prose)?;
    let names: Vec<&str> = levels
        .iter()
        .map(|level| match level {
            AgencyLevel::Ministry => "Các bộ, cơ quan ngang bộ",
            AgencyLevel::Province => "Các tỉnh, thành phố trực thuộc trung ương",
            AgencyLevel::Commune => "Các xã, phường, đặc khu trên địa bàn tỉnh",
            AgencyLevel::Department => "Các sở, ban, ngành",
            AgencyLevel::National => "Chính phủ",
        })
        .collect();
    let body = prose
        .split_once('(')
        .and_then(|(_, rest)| rest.strip_suffix(')'));
    let description_vi = match body {
        Some(body) => format!("{} ({body})", names.join("; ")),
        None => names.join("; "),
    };
    Ok(ReportingAgencies {
        description_vi,
        selector: AgencySelector::Levels { levels },
    })
}

pub(crate) fn regimes(indicators: &[Indicator]) -> Result<Vec<Regime>, SeedError> {
    REGIMES
        .iter()
        .map(|(file, text)| {
            let r: RegimeFile = toml::from_str(text).map_err(|e| bad(file, e))?;
            let receiving_agency = if r.receiving_agency.contains("(parent)") {
                ReceivingAgency::Parent
            } else {
                ReceivingAgency::Agency {
                    code: code(file, &r.receiving_agency)?,
                }
            };
            let cutoff = match r.cutoff.as_str() {
                "decree09" => CutoffRule::Decree09,
                "calendar" => CutoffRule::Calendar,
                other => return Err(bad(file, format!("unknown cut-off rule {other:?}"))),
            };
            let forms = r
                .forms
                .into_iter()
                .map(|f| Form {
                    code: f.code,
                    title_vi: f.title_vi,
                    title_en: String::new(),
                    values: f.values,
                    columns: f.columns,
                    rows: f.rows.into_iter().map(FormRow::new).collect(),
                })
                .collect::<Vec<_>>();
            if let Some(unknown) = forms
                .iter()
                .flat_map(|f| &f.rows)
                .find(|row| !indicators.iter().any(|i| i.code() == &row.indicator))
            {
                return Err(bad(
                    file,
                    format!("form row of unknown indicator {}", unknown.indicator),
                ));
            }
            let content = RegimeContent {
                code: RegimeCode::new(r.code).map_err(|e| bad(file, e))?,
                name: Some(r.name_vi),
                name_en: r.name_en,
                kind: r.kind,
                legal_basis: Some(r.legal_basis),
                content_requirements: Some(r.content_requirements_vi),
                reporting_agencies: Some(reporting_agencies(file, &r.reporting_agencies)?),
                receiving_agency: Some(receiving_agency),
                methods: r.methods,
                deadline: Some(DeadlineRule::DayOfMonth {
                    day: r.deadline.day,
                    months_after_period_end: r.deadline.months_after_period_end,
                }),
                // The example regimes give a day, not an hour: the whole day counts.
                deadline_time: None,
                frequency: Some(r.frequency),
                cutoff: Some(cutoff),
                outline: r.outline,
                forms,
                attribute_categories: Vec::new(),
                rules: r.rules,
                derived: r.derived,
                // SPEC: demo regimes accept late reports and never lock.
                after_deadline: baocao_domain::regime::AfterDeadline::default(),
            };
            Regime::draft(content)
                .and_then(|d| d.publish(demo_start()))
                .map_err(|e| bad(file, e))
        })
        .collect()
}

/// Every agency of the regime's levels that existed on or after the demo's start reports,
/// for as long as it exists, to the receiving agency (or its parent).
pub(crate) fn assignments(
    directory: &AgencyDirectory,
    regimes: &[Regime],
) -> Result<Vec<Assignment>, SeedError> {
    let start = demo_start();
    let mut assignments = Vec::new();
    for regime in regimes {
        let content = regime.content();
        let file = content.code.as_str();
        let (Some(reporting), Some(receiving)) =
            (&content.reporting_agencies, &content.receiving_agency)
        else {
            return Err(bad(
                file,
                "a demo regime needs reporting and receiving agencies",
            ));
        };
        let AgencySelector::Levels { levels } = &reporting.selector else {
            return Err(bad(file, "demo regimes select agencies by level"));
        };
        for agency in directory.agencies() {
            let lifetime = agency.lifetime();
            if lifetime.to().is_some_and(|to| to < start) {
                continue;
            }
            let from = lifetime.from().map_or(start, |f| f.max(start));
            let Some(state) = agency.state_on(from) else {
                continue;
            };
            if !levels.contains(&state.kind.level()) {
                continue;
            }
            let receiver = match receiving {
                ReceivingAgency::Agency { code } => code.clone(),
                ReceivingAgency::Parent => match &state.parent {
                    Some(parent) => parent.clone(),
                    None => continue,
                },
            };
            if &receiver == agency.code() {
                continue;
            }
            let validity = Validity::new(Some(from), lifetime.to()).map_err(|e| bad(file, e))?;
            assignments.push(
                Assignment::new(
                    content.code.clone(),
                    agency.code().clone(),
                    receiver,
                    validity,
                )
                .map_err(|e| bad(file, e))?,
            );
        }
    }
    Ok(assignments)
}

#[derive(Deserialize)]
struct TablesFile {
    table: Vec<baocao_domain::table::TableDefinition>,
}

/// The demo's indicator tables, each checked and reading only indicators of the catalogue.
pub fn tables(
    indicators: &[Indicator],
) -> Result<Vec<baocao_domain::table::TableDefinition>, SeedError> {
    let (name, text) = TABLES;
    let file: TablesFile = toml::from_str(text).map_err(|e| bad(name, e))?;
    for table in &file.table {
        table
            .check()
            .map_err(|e| bad(name, format!("{}: {e}", table.code)))?;
        if let Some(unknown) = table
            .indicators
            .iter()
            .find(|code| !indicators.iter().any(|i| i.code() == *code))
        {
            return Err(bad(
                name,
                format!("{}: unknown indicator {unknown}", table.code),
            ));
        }
    }
    Ok(file.table)
}
