//! Indicator tables: the saved catalogue of tables (by theme), each the analytics question it
//! asks today — relative periods end at the latest period with data — laid out as a pivot;
//! and the rows an export of a table or of any pivot writes, in either shape: the table as
//! shown, totals included ([`grid`]), or one row per number computed a few periods at a time
//! so an export of any size streams ([`stream_long`]). Warming the cache asks every table's
//! question ahead of the people who will ([`warm`]).

use baocao_domain::language::Lang;
use baocao_domain::permission::Action;
use baocao_domain::table::{TableDefinition, latest_ending_by};
use baocao_formats::table::Field;

use crate::analytics::{AnalyticsError, AnalyticsQuery, AnalyticsRow, Plan, plan};
use crate::pivot::{Labels, PivotRequest, PivotView, build};
use crate::{Caller, Context};

/// Periods computed per step of a streamed export.
const PERIODS_PER_STEP: usize = 12;

/// The saved tables, for a caller who may read the catalogue.
pub async fn list(
    context: &Context,
    caller: &Caller,
) -> Result<Vec<TableDefinition>, AnalyticsError> {
    if !caller.may(Action::ReadCatalogue) {
        return Err(AnalyticsError::Forbidden);
    }
    Ok(context.store.indicator_tables().await?)
}

/// One saved table, for a caller who may read the catalogue.
pub async fn read(
    context: &Context,
    caller: &Caller,
    code: &str,
) -> Result<TableDefinition, AnalyticsError> {
    if !caller.may(Action::ReadCatalogue) {
        return Err(AnalyticsError::Forbidden);
    }
    find(context, code).await
}

/// One saved table.
pub async fn find(context: &Context, code: &str) -> Result<TableDefinition, AnalyticsError> {
    context
        .store
        .indicator_table(code)
        .await?
        .ok_or_else(|| AnalyticsError::UnknownTable(code.to_string()))
}

/// Saves a table under `code` (regime authors): it must be well formed, its indicators in the
/// catalogue. Answers whether it was created (rather than replaced).
#[tracing::instrument(skip_all, fields(caller = %caller.principal.username, table = code))]
pub async fn save(
    context: &Context,
    caller: &Caller,
    code: &str,
    table: &mut TableDefinition,
) -> Result<bool, AnalyticsError> {
    if !caller.may(Action::AuthorRegimes) {
        return Err(AnalyticsError::Forbidden);
    }
    table.code = code.to_string();
    table
        .check()
        .map_err(|error| AnalyticsError::InvalidTable(error.to_string()))?;
    for indicator in &table.indicators {
        if context.store.indicator(indicator).await?.is_none() {
            return Err(AnalyticsError::TableIndicatorUnknown(indicator.to_string()));
        }
    }
    let at = context.now_text();
    Ok(context
        .store
        .save_indicator_table(
            table,
            caller.principal.username.as_str(),
            &caller.provenance(&at),
        )
        .await?)
}

/// Deletes a table (regime authors).
#[tracing::instrument(skip_all, fields(caller = %caller.principal.username, table = code))]
pub async fn delete(context: &Context, caller: &Caller, code: &str) -> Result<(), AnalyticsError> {
    if !caller.may(Action::AuthorRegimes) {
        return Err(AnalyticsError::Forbidden);
    }
    if context
        .store
        .delete_indicator_table(code, &caller.provenance(&context.now_text()))
        .await?
    {
        Ok(())
    } else {
        Err(AnalyticsError::UnknownTable(code.to_string()))
    }
}

/// The question a table asks today: relative periods end at the latest period with data.
pub async fn request_of(
    context: &Context,
    table: &TableDefinition,
    as_of: Option<String>,
    lang: Lang,
) -> Result<PivotRequest, AnalyticsError> {
    let today = context.today();
    let periods = match table.periods.frequency() {
        Some(frequency) => {
            let latest = context
                .store
                .latest_data_end(&table.indicators, today)
                .await?
                .unwrap_or(today);
            table.periods.resolve(latest_ending_by(frequency, latest))
        }
        None => table.periods.resolve(latest_ending_by(
            baocao_domain::period::Frequency::Yearly,
            today,
        )),
    };
    Ok(PivotRequest {
        query: AnalyticsQuery {
            indicator: table.indicators.iter().map(ToString::to_string).collect(),
            period: periods.iter().map(ToString::to_string).collect(),
            agency: Some(table.agency.to_string()),
            level: table.level.map(|l| l.as_str().to_string()),
            as_of,
            disaggregate: table.disaggregate.clone(),
        },
        rows: table.layout.rows.clone(),
        columns: table.layout.columns.clone(),
        lang: Some(lang.code().to_string()),
    })
}

/// A table's numbers today, laid out.
#[tracing::instrument(skip_all, fields(caller = %caller.principal.username, table = code))]
pub async fn data(
    context: &Context,
    caller: &Caller,
    code: &str,
    as_of: Option<String>,
    lang: Lang,
) -> Result<(TableDefinition, PivotView), AnalyticsError> {
    let table = find_in_scope(context, caller, code).await?;
    let request = request_of(context, &table, as_of, lang).await?;
    let pivot = build(context, caller, request).await?;
    Ok((table, pivot))
}

/// A table as the caller may read it: as saved where its agency is in the caller's scope,
/// else the same question asked of the agency the caller's analytics open on (a province's
/// own figures, by its communes where the table goes down to them).
pub async fn find_in_scope(
    context: &Context,
    caller: &Caller,
    code: &str,
) -> Result<TableDefinition, AnalyticsError> {
    let mut table = find(context, code).await?;
    let scope = crate::scope::analytics_scope(context, caller).await?;
    let (graph, _) = crate::aggregates::agency_graph(context, context.today()).await?;
    if scope.covers(&graph.lineage_codes(&table.agency)) {
        return Ok(table);
    }
    let home = scope
        .home(&crate::national()[0])
        .ok_or(AnalyticsError::Forbidden)?;
    if let (Some(level), Some(key)) = (table.level, graph.find(&home))
        && graph.descendants_at(key, level).is_empty()
    {
        table.level = None;
    }
    table.agency = home;
    Ok(table)
}

/// Asks every saved table's question (for its whole agency, at today's hierarchy) so its
/// answers are in the cache; answers how many tables were computed. A table that fails is
/// logged and skipped.
pub async fn warm(context: &Context) -> usize {
    let tables = match context.store.indicator_tables().await {
        Ok(tables) => tables,
        Err(error) => {
            tracing::warn!(%error, "cannot read the indicator tables to warm the cache");
            return 0;
        }
    };
    let mut warmed = 0;
    for table in &tables {
        let outcome = async {
            let request = request_of(context, table, None, Lang::Vi).await?;
            plan(context, None, request.query)
                .await?
                .rows(context)
                .await
        }
        .await;
        match outcome {
            Ok(_) => warmed += 1,
            Err(error) => {
                tracing::warn!(table = %table.code, code = error.code(), "a table could not be warmed")
            }
        }
    }
    warmed
}

/// The header of an export with one row per number.
pub fn long_header(lang: Lang) -> Vec<Field> {
    let names: [&str; 9] = match lang {
        Lang::Vi => [
            "indicator",
            "Chỉ tiêu",
            "agency",
            "Cơ quan",
            "period",
            "Kỳ",
            "options",
            "Phân tổ",
            "value",
        ],
        Lang::En => [
            "indicator",
            "Indicator",
            "agency",
            "Agency",
            "period",
            "Period",
            "options",
            "Breakdown",
            "value",
        ],
    };
    names.iter().map(|n| Field::Text(n.to_string())).collect()
}

/// Computes the plan an indicator and [`PERIODS_PER_STEP`] periods at a time and hands each
/// step's rows to `emit`, which answers false when the receiver has gone.
pub async fn stream_long<F, Fut>(
    context: &Context,
    plan: &Plan,
    labels: &Labels,
    emit: F,
) -> Result<(), AnalyticsError>
where
    F: Fn(Vec<Vec<Field>>) -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    use baocao_domain::pivot::Dimension;
    for indicator in &plan.indicators {
        for periods in plan.periods.chunks(PERIODS_PER_STEP) {
            let rows: Vec<AnalyticsRow> = plan.rows_of(context, indicator, periods).await?;
            let lines = rows
                .iter()
                .map(|row| {
                    let options: std::collections::BTreeMap<String, String> =
                        serde_json::from_value(row.options.clone()).unwrap_or_default();
                    let option_key = options
                        .iter()
                        .map(|(c, o)| format!("{c}={o}"))
                        .collect::<Vec<_>>()
                        .join(";");
                    let option_names = options
                        .iter()
                        .map(|(c, o)| labels.key(&Dimension::Category(c.clone()), o))
                        .collect::<Vec<_>>()
                        .join(" · ");
                    vec![
                        Field::Text(row.indicator.clone()),
                        Field::Text(labels.key(&Dimension::Indicator, &row.indicator)),
                        Field::Text(row.agency.clone()),
                        Field::Text(labels.key(&Dimension::Agency, &row.agency)),
                        Field::Text(row.period.clone()),
                        Field::Text(labels.key(&Dimension::Period, &row.period)),
                        Field::Text(option_key),
                        Field::Text(option_names),
                        Field::Number(row.value),
                    ]
                })
                .collect();
            if !emit(lines).await {
                return Ok(());
            }
        }
    }
    Ok(())
}

/// The table as shown: a header row per column dimension, then the rows, then the totals.
pub fn grid(view: &PivotView, lang: Lang) -> Vec<Vec<Field>> {
    let total = if lang == Lang::En {
        "Total"
    } else {
        "Tổng số"
    };
    let corner = view.row_dimensions.len().max(1);
    let mut grid = Vec::new();
    let levels = view.column_dimensions.len().max(1);
    for level in 0..levels {
        let mut line: Vec<Field> = (0..corner)
            .map(|i| {
                let name = if level + 1 == levels {
                    view.row_dimensions.get(i).map(|h| h.label.clone())
                } else {
                    None
                };
                Field::Text(name.unwrap_or_default())
            })
            .collect();
        for column in &view.columns {
            line.push(Field::Text(
                column
                    .get(level)
                    .map(|h| h.label.clone())
                    .unwrap_or_default(),
            ));
        }
        line.push(Field::Text(if level + 1 == levels {
            total.to_string()
        } else {
            String::new()
        }));
        grid.push(line);
    }
    for row in &view.rows {
        let mut line: Vec<Field> = row
            .headers
            .iter()
            .map(|h| Field::Text(h.label.clone()))
            .collect();
        while line.len() < corner {
            line.push(Field::Text(String::new()));
        }
        line.extend(row.cells.iter().map(|c| Field::Number(c.value)));
        line.push(Field::Number(row.total.value));
        grid.push(line);
    }
    let mut line = vec![Field::Text(total.to_string())];
    while line.len() < corner {
        line.push(Field::Text(String::new()));
    }
    line.extend(view.column_totals.iter().map(|c| Field::Number(c.value)));
    line.push(Field::Number(view.grand_total.value));
    grid.push(line);
    grid
}
