//! Catalogue imports, all or nothing, every line's problem reported at once, and a dry run
//! that writes nothing: indicators (new codes created; known ones get their names, units,
//! frequency, group and definition rewritten, but never their meaning — value type,
//! aggregation, disaggregation — which stored numbers depend on), and regimes stored as
//! drafts, one a row (a ministry's list, ready for the standardisation check and duplicate
//! search; each draft's missing elements are reported; a known code is refused). The table
//! arrives as CSV text ([`baocao_formats::catalogue`] turns a workbook's first sheet into it).

use std::collections::{HashMap, HashSet};

use baocao_domain::indicator::{Indicator, IndicatorError, IndicatorRecord};
use baocao_domain::permission::Action;
use baocao_domain::regime::{Regime, RegimeError};
use baocao_domain::regime_record::{RecordError, RegimeRecord};
use baocao_formats::catalogue::{self as table, LineProblem};
use baocao_store::StoreError;

use crate::catalogue::{Catalogue, CatalogueError};
use crate::registry::{RegistryError, check_with};
use crate::{Caller, Context};

#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    #[error("forbidden")]
    Forbidden,
    #[error(transparent)]
    Catalogue(#[from] CatalogueError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl ImportError {
    pub fn code(&self) -> &'static str {
        match self {
            Self::Forbidden => "forbidden",
            Self::Catalogue(error) => error.code(),
            Self::Store(_) => "store",
        }
    }
}

/// Why one line was not taken.
#[derive(Debug)]
pub enum Problem {
    /// The table's reading refused it.
    Line(LineProblem),
    /// The record is not a valid indicator.
    Indicator(IndicatorError),
    /// A known indicator would change what its stored numbers mean (these fields).
    MeaningChanges(Vec<&'static str>),
    RegimeExists,
    /// A column of a regime's row does not hold what it should.
    Column(RecordError),
    Regime(RegimeError),
    /// The regime names what the catalogue lacks.
    Registry(RegistryError),
}

/// A line's problem: its line (the header is line 1) and code.
#[derive(Debug)]
pub struct LineIssue {
    pub line: usize,
    pub code: String,
    pub problem: Problem,
}

/// What an import did, or would do (in a dry run, or when any line has a problem: then
/// nothing is written).
#[derive(Debug)]
pub struct Imported<T> {
    pub dry_run: bool,
    /// Whether the catalogue was changed.
    pub imported: bool,
    pub created: Vec<T>,
    pub updated: Vec<String>,
    pub unchanged: Vec<String>,
    /// By line.
    pub problems: Vec<LineIssue>,
}

impl<T> Imported<T> {
    fn new(dry_run: bool) -> Self {
        Self {
            dry_run,
            imported: false,
            created: Vec::new(),
            updated: Vec::new(),
            unchanged: Vec::new(),
            problems: Vec::new(),
        }
    }
}

/// A regime imported as a draft, with the mandatory elements it still lacks.
#[derive(Debug)]
pub struct DraftRegime {
    pub line: usize,
    pub code: String,
    pub missing_elements: Vec<&'static str>,
}

fn records<T: serde::de::DeserializeOwned>(
    csv: &[u8],
    code_of: impl Fn(&T) -> String,
    problems: &mut Vec<LineIssue>,
) -> Vec<(usize, String, T)> {
    let (records, refused) = table::read_records(csv, code_of);
    problems.extend(refused.into_iter().map(|error| LineIssue {
        line: error.line,
        code: error.code,
        problem: Problem::Line(error.problem),
    }));
    records
}

/// Whether `caller` may import into the catalogue (regime authors): asked before an upload is
/// read, so nobody else makes the server read a workbook.
pub fn authoring(caller: &Caller) -> Result<(), ImportError> {
    if caller.may(Action::AuthorRegimes) {
        Ok(())
    } else {
        Err(ImportError::Forbidden)
    }
}

/// Imports indicators from `csv`.
#[tracing::instrument(skip_all, fields(caller = %caller.principal.username, dry_run))]
pub async fn indicators(
    ctx: &Context,
    caller: &Caller,
    csv: &[u8],
    dry_run: bool,
) -> Result<Imported<String>, ImportError> {
    authoring(caller)?;
    let categories = ctx.store.categories().await?;
    let existing: HashMap<String, Indicator> = ctx
        .store
        .indicators(None)
        .await?
        .into_iter()
        .map(|i| (i.code().to_string(), i))
        .collect();
    let mut report = Imported::new(dry_run);
    let (mut created, mut updated) = (Vec::new(), Vec::new());
    for (line, code, record) in records(
        csv,
        |r: &IndicatorRecord| r.code.clone(),
        &mut report.problems,
    ) {
        let indicator = match record.into_indicator(&categories) {
            Ok(indicator) => indicator,
            Err(error) => {
                report.problems.push(LineIssue {
                    line,
                    code,
                    problem: Problem::Indicator(error),
                });
                continue;
            }
        };
        match existing.get(&code) {
            None => {
                report.created.push(code);
                created.push(indicator);
            }
            Some(known) if known == &indicator => report.unchanged.push(code),
            Some(known) => {
                let changes = known.meaning_changes(&indicator);
                if changes.is_empty() {
                    report.updated.push(code);
                    updated.push(indicator);
                } else {
                    report.problems.push(LineIssue {
                        line,
                        code,
                        problem: Problem::MeaningChanges(changes),
                    });
                }
            }
        }
    }
    if !report.problems.is_empty() {
        report.problems.sort_by_key(|p| p.line);
        return Ok(report);
    }
    if !dry_run && (!created.is_empty() || !updated.is_empty()) {
        ctx.store
            .import_indicators(
                &created,
                &updated,
                &caller.import_provenance(&ctx.now_text()),
            )
            .await?;
        report.imported = true;
    }
    Ok(report)
}

/// Imports regimes from `csv` as drafts.
#[tracing::instrument(skip_all, fields(caller = %caller.principal.username, dry_run))]
pub async fn regimes(
    ctx: &Context,
    caller: &Caller,
    csv: &[u8],
    dry_run: bool,
) -> Result<Imported<DraftRegime>, ImportError> {
    authoring(caller)?;
    let catalogue = Catalogue::load(&ctx.store).await?;
    let known: HashSet<String> = ctx
        .store
        .regimes(None)
        .await?
        .iter()
        .map(|r| r.code().to_string())
        .collect();
    let mut report = Imported::new(dry_run);
    let mut drafts: Vec<Regime> = Vec::new();
    for (line, code, record) in
        records(csv, |r: &RegimeRecord| r.code.clone(), &mut report.problems)
    {
        if known.contains(&code) {
            report.problems.push(LineIssue {
                line,
                code,
                problem: Problem::RegimeExists,
            });
            continue;
        }
        let checked = record
            .into_content()
            .map_err(Problem::Column)
            .and_then(|content| Regime::draft(content).map_err(Problem::Regime))
            .and_then(|regime| {
                check_with(&catalogue, regime.content())
                    .map(|()| regime)
                    .map_err(Problem::Registry)
            });
        match checked {
            Ok(regime) => {
                report.created.push(DraftRegime {
                    line,
                    code,
                    missing_elements: regime
                        .content()
                        .missing_elements()
                        .iter()
                        .map(|e| e.as_str())
                        .collect(),
                });
                drafts.push(regime);
            }
            Err(problem) => report.problems.push(LineIssue {
                line,
                code,
                problem,
            }),
        }
    }
    if !report.problems.is_empty() {
        report.problems.sort_by_key(|p| p.line);
        return Ok(report);
    }
    if !dry_run && !drafts.is_empty() {
        ctx.store
            .create_regimes(&drafts, &caller.import_provenance(&ctx.now_text()))
            .await?;
        report.imported = true;
    }
    Ok(report)
}
