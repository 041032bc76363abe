//! A compiled report (báo cáo tổng hợp): the receiving agency's own report for a period made
//! from the accepted reports below it — every form's numbers added up by each indicator's rule
//! (the pre-fill's suggestions, stock indicators from the period before), each outline section
//! collected from the subordinates' last accepted versions under their names — and saved as
//! its draft, to edit, sign and submit upward like any report. Who is still missing is
//! answered with it.

use baocao_domain::report::{CellInput, SectionInput};
use baocao_store::reports::ReportKey;

use super::{DraftEdit, ReportAddress, ReportView, ReportingError, prefill, resolve, save_draft};
use crate::{Caller, Context};

/// What compiling asks.
#[derive(Debug, Clone)]
pub struct CompileRequest {
    /// The lock read with the report (0 before the first save).
    pub version: i32,
    /// Replace sections that already hold text (default: only empty sections are filled, so
    /// what the editors wrote is kept).
    pub replace_sections: bool,
}

/// The compiled draft and what it was compiled from.
#[derive(Debug)]
pub struct Compiled {
    pub report: ReportView,
    /// Subordinates whose accepted reports were compiled.
    pub included: Vec<String>,
    /// Subordinates assigned the regime without an accepted report for the period yet.
    pub missing: Vec<String>,
}

/// Compiles the report at `address` from the accepted reports below it, for its editors.
#[tracing::instrument(skip_all, fields(caller = %caller.principal.username, report = %address))]
pub async fn compile(
    ctx: &Context,
    caller: &Caller,
    address: &ReportAddress,
    request: CompileRequest,
) -> Result<Compiled, ReportingError> {
    let report = resolve(ctx, address).await?;
    if !report.rights(caller).edit {
        return Err(ReportingError::Forbidden);
    }
    let suggestions =
        prefill::prefill(ctx, &report.regime, &address.agency, address.period).await?;
    let values = suggestions
        .values
        .iter()
        .map(|cell| CellInput {
            address: cell.address.clone(),
            value: Some(serde_json::Value::String(cell.value.clone())),
            comment: None,
        })
        .collect();

    let current = ctx.store.report_record(&report.key()).await?;
    let written = |index: usize| {
        current.as_ref().is_some_and(|record| {
            record
                .draft
                .sections
                .iter()
                .any(|s| s.index == index && !s.text.trim().is_empty())
        })
    };
    let day = address.period.end();
    let mut collected: Vec<Vec<String>> = Vec::new();
    for child in &suggestions.included {
        let Ok(code) = baocao_domain::agency::AgencyCode::new(child) else {
            continue;
        };
        let key = ReportKey {
            regime: address.regime.clone(),
            agency: code.clone(),
            period: address.period,
        };
        let Some(last) = ctx.store.versions(&key).await?.pop() else {
            continue;
        };
        let content = super::stored_content(
            &ReportAddress {
                regime: address.regime.clone(),
                agency: code.clone(),
                period: address.period,
            },
            &last,
        )?;
        let name = ctx
            .store
            .agency_as_of(&code, day)
            .await?
            .map_or_else(|| child.clone(), |agency| agency.name_vi);
        for section in content.sections {
            if section.text.trim().is_empty() {
                continue;
            }
            if collected.len() <= section.index {
                collected.resize(section.index + 1, Vec::new());
            }
            collected[section.index].push(format!("{name}: {}", section.text.trim()));
        }
    }
    let sections = collected
        .into_iter()
        .enumerate()
        .filter(|(index, parts)| {
            !parts.is_empty() && (request.replace_sections || !written(*index))
        })
        .map(|(index, parts)| SectionInput {
            index,
            text: parts.join("\n\n"),
        })
        .collect();
    let report = save_draft(
        ctx,
        caller,
        address,
        DraftEdit {
            version: request.version,
            values,
            sections,
        },
    )
    .await?;
    Ok(Compiled {
        report,
        included: suggestions.included,
        missing: suggestions.missing,
    })
}
