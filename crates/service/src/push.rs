//! Pushes of data value sets: values (already read by [`baocao_formats::datavalues`]) land in
//! the report drafts of their (regime = `dataSet`, agency = `orgUnit`, period) under the same
//! cell rules, permissions, status rules and optimistic locks as the UI's data entry, and are
//! counted as DHIS2 counts them (imported, updated, ignored, deleted).
//!
//! # Set-based
//! The edge feeds a [`Push`] item by item; every [`CHUNK`] values it groups them by report and
//! resolves, reads and saves the chunk's reports a few statements at a time
//! ([`PeriodReports`]), never one report at a time. Memory is bounded by the chunk.
//!
//! # All or nothing
//! `atomic` (DHIS2's `atomicMode=ALL`, the default) and `dry_run` keep one store
//! [`Transaction`] for the whole payload: a conflict anywhere, or a payload that turns out
//! malformed half-way ([`Push::abandon`]), rolls it all back. Otherwise each chunk commits and
//! every value that is not in conflict is kept. On SQLite an all-or-nothing push holds the
//! database's write lock while it runs.

use std::collections::{BTreeMap, HashMap, HashSet};

use baocao_domain::exchange_period::ExchangePeriod;
use baocao_domain::regime::{Form, Regime, RegimeContent};
use baocao_domain::report::{CellAddress, CellInput, ReportShape};
use baocao_domain::submission::SubmissionAction;
use baocao_domain::value::OptionCombo;
use baocao_formats::datavalues::{DataValueIn, Item, SetHeader};
use baocao_store::StoreError;
use baocao_store::transaction::Transaction;
use serde::Serialize;

use crate::catalogue::{Catalogue, CatalogueError, load_regime};
use crate::reporting::bulk::{BulkDraft, PeriodReports};
use crate::reporting::{self, ActionInput, ReportAddress, ReportingError};
use crate::{Caller, Context};

/// Values grouped, checked and saved together.
pub const CHUNK: usize = 20_000;
/// Conflicts listed in a summary (all are counted).
const CONFLICTS_LISTED: usize = 10_000;

/// Why a push fails as a whole (a value in conflict is a [`Conflict`], not an error).
#[derive(Debug, thiserror::Error)]
pub enum PushError {
    #[error("the regime (dataSet) is required")]
    DataSetRequired,
    /// The client system may not push data of this regime.
    #[error("client {client} may not push data of regime {regime}")]
    OutOfScope { client: String, regime: String },
    #[error(transparent)]
    Catalogue(#[from] CatalogueError),
    #[error(transparent)]
    Reporting(#[from] ReportingError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl PushError {
    pub fn code(&self) -> &'static str {
        match self {
            Self::DataSetRequired => "data_set_required",
            Self::OutOfScope { .. } => "out_of_scope",
            Self::Catalogue(error) => error.code(),
            Self::Reporting(error) => error.code(),
            Self::Store(_) => "store",
        }
    }
}

/// DHIS2's `importStrategy`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Strategy {
    Create,
    Update,
    CreateAndUpdate,
    Delete,
}

impl Strategy {
    /// DHIS2's words, old and new, any case; `None` for an unknown one.
    pub fn parse(text: Option<&str>) -> Option<Strategy> {
        match text.map(str::to_ascii_uppercase).as_deref() {
            None | Some("CREATE_AND_UPDATE") | Some("NEW_AND_UPDATES") => {
                Some(Strategy::CreateAndUpdate)
            }
            Some("CREATE") | Some("NEW") => Some(Strategy::Create),
            Some("UPDATE") | Some("UPDATES") => Some(Strategy::Update),
            Some("DELETE") | Some("DELETES") => Some(Strategy::Delete),
            Some(_) => None,
        }
    }
}

/// `atomicMode`: ALL (the default; DHIS2's older TRUE too) or NONE (FALSE); `None` for an
/// unknown word.
pub fn atomic_mode(text: Option<&str>) -> Option<bool> {
    match text.map(str::to_ascii_uppercase).as_deref() {
        None | Some("ALL") | Some("TRUE") => Some(true),
        Some("NONE") | Some("FALSE") => Some(false),
        Some(_) => None,
    }
}

/// How a push is taken.
#[derive(Debug, Clone)]
pub struct PushOptions {
    pub strategy: Strategy,
    pub atomic: bool,
    pub dry_run: bool,
    /// The regime of a payload that does not name it (CSV).
    pub data_set: Option<String>,
}

#[derive(Debug, Serialize, Default, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ImportCount {
    pub imported: usize,
    pub updated: usize,
    pub ignored: usize,
    pub deleted: usize,
}

impl ImportCount {
    fn add(&mut self, other: ImportCount) {
        self.imported += other.imported;
        self.updated += other.updated;
        self.ignored += other.ignored;
        self.deleted += other.deleted;
    }

    /// Whether anything was written.
    pub fn wrote(&self) -> bool {
        self.imported + self.updated + self.deleted > 0
    }
}

/// Why one value (or one report's values) was not taken.
#[derive(Debug)]
pub enum Problem {
    /// The report refused it (out of reach, not editable, a period of the wrong frequency, a
    /// lock taken by someone else): the error is [`PushOutcome::errors`]`[n]`.
    Report(usize),
    /// Saved as a draft, but the submission the client is granted was refused:
    /// [`PushOutcome::errors`]`[n]` says why.
    NotSubmitted(usize),
    /// The data element is in none of the regime's forms.
    UnknownDataElement(String),
    /// No regime has the code the value (or its group) names as its data set.
    UnknownDataSet(String),
    InvalidOptions(String),
    /// The value is not a value of a cell (its JSON shape).
    InvalidValue {
        index: usize,
        reason: String,
    },
    /// The cell's own check refused it, in the domain's words.
    Cell {
        message: String,
        message_en: String,
    },
    /// Value number `index` has no orgUnit or period, neither its own nor the set's.
    Unplaced {
        index: usize,
    },
    /// A field of the value (or of the set) this server does not understand.
    UnknownField(String),
    /// An attribute option combination (DHIS2's "mechanism") naming a category the regime
    /// does not declare as an attribute category.
    AttributeOptionCombo(String),
    /// DHIS2's follow-up mark: not kept here.
    Followup,
    /// The period is none, or of a type the regime is not reported in.
    Period {
        text: String,
        reason: String,
        reason_en: String,
    },
    /// No agency has the orgUnit's code (listed beside the value's other problems).
    UnknownOrgUnit(String),
    /// Neither the value nor the set names a regime, and the element does not decide it: no
    /// regime the caller may push has it, or several do (`regimes`).
    DataSetUndecided {
        element: String,
        regimes: Vec<String>,
    },
}

/// A value in conflict: what it was (`orgUnit/period/dataElement`) and why.
#[derive(Debug)]
pub struct Conflict {
    pub object: String,
    pub problem: Problem,
}

/// What a push did.
#[derive(Debug)]
pub struct PushOutcome {
    /// All or nothing, and something was in conflict: nothing was kept.
    pub refused: bool,
    pub dry_run: bool,
    pub count: ImportCount,
    /// The first conflicts, in payload order within a chunk.
    pub conflicts: Vec<Conflict>,
    /// How many conflicts there were in all.
    pub conflict_count: usize,
    /// The errors conflicts refer to, each once however many values it refused.
    pub errors: Vec<ReportingError>,
}

/// The conflicts of a push: all counted, the first [`CONFLICTS_LISTED`] listed, so a payload
/// of a million bad values answers a summary of bounded size.
#[derive(Default)]
struct ConflictLog {
    listed: Vec<Conflict>,
    count: usize,
    errors: Vec<ReportingError>,
}

impl ConflictLog {
    /// Every problem of one value, each its own conflict under the value's name.
    fn note_all(&mut self, object: &str, problems: Vec<Problem>) {
        for problem in problems {
            self.note(object.to_string(), problem);
        }
    }

    fn note(&mut self, object: String, problem: Problem) {
        self.count += 1;
        if self.listed.len() < CONFLICTS_LISTED {
            self.listed.push(Conflict { object, problem });
        }
    }

    /// `error` refused every one of `objects`.
    fn note_error(
        &mut self,
        objects: impl IntoIterator<Item = String>,
        error: ReportingError,
        problem: fn(usize) -> Problem,
    ) {
        let at = self.errors.len();
        let mut listed = false;
        for object in objects {
            self.count += 1;
            if self.listed.len() < CONFLICTS_LISTED {
                self.listed.push(Conflict {
                    object,
                    problem: problem(at),
                });
                listed = true;
            }
        }
        if listed {
            self.errors.push(error);
        }
    }
}

/// One agency's values of a chunk, each with its place in the payload.
type AgencyValues = (String, Vec<(usize, DataValueIn)>);

/// A value waiting for its report: its place in the payload, the value, and where it goes.
type Placed = (usize, DataValueIn, Place);

/// Where a value goes, as the payload says: its regime, orgUnit and period (as written).
#[derive(Debug, Clone)]
struct Place {
    regime: String,
    org_unit: String,
    period: String,
}

/// One push as it goes.
pub struct Push<'a> {
    ctx: &'a Context,
    caller: &'a Caller,
    options: PushOptions,
    header: SetHeader,
    /// The catalogue, once the first chunk is checked.
    catalogue: Option<std::sync::Arc<Catalogue>>,
    /// The regimes the payload names, each checked once (scope, existence).
    regimes: HashMap<String, std::sync::Arc<Regime>>,
    /// Each (regime, period)'s reports, or the refusal of the period (kept for its later
    /// values).
    periods: HashMap<(String, String), Result<PeriodReports, usize>>,
    /// Whether each orgUnit named beside other problems is an agency's code.
    known_org_units: HashMap<String, bool>,
    /// The regimes each element is in, read when a value names no regime.
    element_regimes: Option<HashMap<String, Vec<String>>>,
    /// The set's own unknown fields are noted once.
    header_noted: bool,
    tx: Option<Transaction>,
    ready: Vec<Placed>,
    /// Values met before the set's fields they need (a JSON object that lists `dataValues`
    /// before `dataSet`, `period` or `orgUnit`): placed at the end.
    waiting: Vec<(usize, DataValueIn)>,
    seen: usize,
    count: ImportCount,
    conflicts: ConflictLog,
    /// In all-or-nothing mode: a conflict was found, nothing will be kept.
    refused: bool,
    /// Reports written, kept only for a client granted submission (one entry a report,
    /// however many values it took).
    touched: HashSet<ReportAddress>,
}

impl<'a> Push<'a> {
    pub fn new(ctx: &'a Context, caller: &'a Caller, options: PushOptions) -> Self {
        Self {
            ctx,
            caller,
            options,
            header: SetHeader::default(),
            catalogue: None,
            regimes: HashMap::new(),
            periods: HashMap::new(),
            known_org_units: HashMap::new(),
            element_regimes: None,
            header_noted: false,
            tx: None,
            ready: Vec::new(),
            waiting: Vec::new(),
            seen: 0,
            count: ImportCount::default(),
            conflicts: ConflictLog::default(),
            refused: false,
            touched: HashSet::new(),
        }
    }

    fn data_set(&self) -> Option<&String> {
        self.header
            .data_set
            .as_ref()
            .or(self.options.data_set.as_ref())
    }

    fn submits(&self) -> bool {
        self.caller.client.as_ref().is_some_and(|c| c.can_submit)
    }

    /// Takes one item of the payload; every [`CHUNK`] values, checks and saves them.
    pub async fn take(&mut self, item: Item) -> Result<(), PushError> {
        match item {
            Item::Header(header) => self.header = header,
            Item::Value(value) => {
                let index = self.seen;
                self.seen += 1;
                match self.place(&value) {
                    Some(place) => self.ready.push((index, value, place)),
                    None => self.waiting.push((index, value)),
                }
            }
        }
        if self.ready.len() >= CHUNK {
            self.flush().await?;
        }
        Ok(())
    }

    /// Where a value goes, from its own fields or the set's; `None` while one is missing.
    fn place(&self, value: &DataValueIn) -> Option<Place> {
        Some(Place {
            regime: value
                .data_set
                .clone()
                .or_else(|| self.data_set().cloned())?,
            org_unit: value
                .org_unit
                .clone()
                .or_else(|| self.header.org_unit.clone())?,
            period: value
                .period
                .clone()
                .or_else(|| self.header.period.clone())?,
        })
    }

    /// The regime `code`, checked once: the caller may push its data, and it exists.
    async fn regime(&mut self, code: &str) -> Result<std::sync::Arc<Regime>, PushError> {
        if let Some(regime) = self.regimes.get(code) {
            return Ok(regime.clone());
        }
        if !self.caller.in_scope(true, code) {
            return Err(PushError::OutOfScope {
                client: self
                    .caller
                    .client
                    .as_ref()
                    .map(|c| c.name.clone())
                    .unwrap_or_default(),
                regime: code.to_string(),
            });
        }
        let regime = std::sync::Arc::new(load_regime(&self.ctx.store, code).await?);
        self.regimes.insert(code.to_string(), regime.clone());
        Ok(regime)
    }

    /// Whether `code` names an agency on `date` (or, failing that, today).
    async fn known_org_unit(
        &mut self,
        code: &str,
        date: jiff::civil::Date,
    ) -> Result<bool, PushError> {
        if let Some(known) = self.known_org_units.get(code) {
            return Ok(*known);
        }
        let known = match baocao_domain::agency::AgencyCode::new(code) {
            Err(_) => false,
            Ok(agency) => {
                let store = &self.ctx.store;
                store.agency_as_of(&agency, date).await?.is_some()
                    || store
                        .agency_as_of(&agency, self.ctx.today())
                        .await?
                        .is_some()
            }
        };
        self.known_org_units.insert(code.to_string(), known);
        Ok(known)
    }

    /// The one regime (of those the caller may push) whose forms have `element`, or the
    /// conflict saying there is none or more than one. The regimes are read once a push.
    async fn regime_of_element(
        &mut self,
        element: &str,
    ) -> Result<Result<String, Problem>, PushError> {
        if self.element_regimes.is_none() {
            let mut index: HashMap<String, Vec<String>> = HashMap::new();
            for regime in self.ctx.store.regimes(None).await? {
                let code = regime.code().to_string();
                if !self.caller.in_scope(true, &code) {
                    continue;
                }
                for form in &regime.content().forms {
                    for row in &form.rows {
                        let regimes = index.entry(row.indicator.to_string()).or_default();
                        if !regimes.contains(&code) {
                            regimes.push(code.clone());
                        }
                    }
                }
            }
            self.element_regimes = Some(index);
        }
        let regimes = self
            .element_regimes
            .as_ref()
            .and_then(|index| index.get(element))
            .cloned()
            .unwrap_or_default();
        Ok(match regimes.as_slice() {
            [one] => Ok(one.clone()),
            _ => Err(Problem::DataSetUndecided {
                element: element.to_string(),
                regimes,
            }),
        })
    }

    /// The set's own fields this server does not understand, each a conflict, once.
    fn note_set_fields(&mut self) {
        if !self.header_noted && !self.header.unknown.is_empty() {
            self.header_noted = true;
            for field in self.header.unknown.clone() {
                self.conflicts.note(
                    format!("dataValueSet.{field}"),
                    Problem::UnknownField(field),
                );
            }
        }
    }

    /// The value's period as its regime takes it, and every problem the value has that does
    /// not need its report: fields not understood, an attribute option combination, a
    /// comment or follow-up, a period that is none or of another type. With any of these,
    /// its element, options and orgUnit are checked too, so the conflicts list them all.
    async fn check_value(
        &mut self,
        regime: &Regime,
        value: &DataValueIn,
        place: &Place,
    ) -> Result<Result<(String, OptionCombo), Vec<Problem>>, PushError> {
        let mut problems: Vec<Problem> = value
            .unknown
            .iter()
            .map(|field| Problem::UnknownField(field.clone()))
            .collect();
        let given = value
            .attribute_option_combo
            .as_ref()
            .or(self.header.attribute_option_combo.as_ref());
        let attributes = match given.filter(|c| !is_default_combo(c)) {
            None => OptionCombo::TOTAL,
            Some(combo) => match declared_attributes(regime.content(), combo) {
                Some(attributes) => attributes,
                None => {
                    problems.push(Problem::AttributeOptionCombo(combo.clone()));
                    OptionCombo::TOTAL
                }
            },
        };
        if value.followup == Some(true) {
            problems.push(Problem::Followup);
        }
        let frequency = regime.content().frequency;
        let period = match ExchangePeriod::parse(&place.period) {
            Ok(period) => match period.for_frequency(frequency) {
                Some(id) => Ok(id),
                None => Err(foreign_period(&place.period, &period, regime)),
            },
            Err(error) => Err(Problem::Period {
                text: place.period.clone(),
                reason: format!("không phải một kỳ ({})", error.reason),
                reason_en: error.reason.to_string(),
            }),
        };
        let period = match period {
            Ok(id) => Some(id),
            Err(problem) => {
                problems.push(problem);
                None
            }
        };
        if problems.is_empty() {
            let period = period.map(|p| p.to_string()).unwrap_or_default();
            return Ok(Ok((period, attributes)));
        }
        if let Err(shape_problems) = locate(regime.content(), value) {
            problems.extend(shape_problems);
        }
        let on = period.map_or_else(|| self.ctx.today(), |p| p.end());
        if !self.known_org_unit(&place.org_unit, on).await? {
            problems.insert(0, Problem::UnknownOrgUnit(place.org_unit.clone()));
        }
        Ok(Err(problems))
    }

    /// Checks and saves the ready values.
    async fn flush(&mut self) -> Result<(), PushError> {
        self.note_set_fields();
        if self.ready.is_empty() {
            return Ok(());
        }
        if self.catalogue.is_none() {
            self.catalogue = Some(Catalogue::current(self.ctx).await?);
        }
        if self.tx.is_none() {
            self.tx = Some(
                self.ctx
                    .store
                    .begin(&self.caller.import_provenance(&self.ctx.now_text()))
                    .await?,
            );
        }
        // By regime and period, then by agency in the order the payload first names it.
        let mut by_period: BTreeMap<(String, String), Vec<AgencyValues>> = BTreeMap::new();
        let mut places: HashMap<(String, String, String), usize> = HashMap::new();
        for (index, mut value, place) in std::mem::take(&mut self.ready) {
            let regime = match self.regime(&place.regime).await {
                Ok(regime) => regime,
                // A group of another system's data set refuses its own values, not the rest.
                Err(PushError::Catalogue(CatalogueError::UnknownRegime(code))) => {
                    let object =
                        format!("{}/{}/{}", place.org_unit, place.period, value.data_element);
                    self.conflicts.note(object, Problem::UnknownDataSet(code));
                    continue;
                }
                Err(error) => return Err(error),
            };
            let period = match self.check_value(&regime, &value, &place).await? {
                Ok((period, attributes)) => {
                    // The set's combination, where the value has none, is now the value's.
                    value.attribute_option_combo = Some(attributes.key());
                    period
                }
                Err(problems) => {
                    let object =
                        format!("{}/{}/{}", place.org_unit, place.period, value.data_element);
                    self.conflicts.note_all(&object, problems);
                    continue;
                }
            };
            let key = (place.regime.clone(), period.clone());
            let reports = by_period.entry(key).or_default();
            let at = *places
                .entry((place.regime, period, place.org_unit.clone()))
                .or_insert_with(|| {
                    reports.push((place.org_unit, Vec::new()));
                    reports.len() - 1
                });
            reports[at].1.push((index, value));
        }
        if self.options.atomic && self.conflicts.count > 0 {
            self.refused = true;
        }
        for ((regime, period), reports) in by_period {
            self.flush_period(&regime, &period, reports).await?;
        }
        if !self.options.atomic
            && !self.options.dry_run
            && let Some(tx) = self.tx.take()
        {
            tx.commit().await?;
        }
        Ok(())
    }

    async fn flush_period(
        &mut self,
        code: &str,
        period: &str,
        reports: Vec<AgencyValues>,
    ) -> Result<(), PushError> {
        let catalogue = self.catalogue.as_ref().expect("set by flush");
        let tx = self.tx.as_mut().expect("opened by flush");
        let object = |org_unit: &str, value: &DataValueIn| {
            format!("{org_unit}/{period}/{}", value.data_element)
        };
        let key = (code.to_string(), period.to_string());
        if !self.periods.contains_key(&key) {
            let opened = match PeriodReports::open(self.ctx, tx, code, period).await {
                Ok(opened) => Ok(opened),
                Err(error) => {
                    let at = self.conflicts.errors.len();
                    // Listed once under the first report; the others refer to it.
                    self.conflicts.errors.push(error);
                    Err(at)
                }
            };
            self.periods.insert(key.clone(), opened);
        }
        let context = match &self.periods[&key] {
            Ok(context) => context,
            Err(at) => {
                for (org_unit, values) in &reports {
                    for (_, value) in values {
                        self.conflicts
                            .note(object(org_unit, value), Problem::Report(*at));
                    }
                }
                self.refused |= self.options.atomic;
                return Ok(());
            }
        };
        let agencies: Vec<String> = reports.iter().map(|(a, _)| a.clone()).collect();
        let drafts = context.drafts(self.ctx, self.caller, tx, &agencies).await?;
        let shape = ReportShape {
            regime: context.regime().content(),
            indicators: &catalogue.indicators,
            categories: &catalogue.categories,
        };
        let strategy = self.options.strategy;
        let mut edits: Vec<(BulkDraft, Vec<CellInput>)> = Vec::new();
        let mut counts = Vec::new();
        for ((org_unit, values), draft) in reports.into_iter().zip(drafts) {
            let draft = match draft {
                Ok(draft) => draft,
                Err(error) => {
                    let objects: Vec<String> =
                        values.iter().map(|(_, v)| object(&org_unit, v)).collect();
                    self.conflicts.note_error(objects, error, Problem::Report);
                    continue;
                }
            };
            let current: HashMap<&CellAddress, (&str, Option<&str>)> = draft
                .values()
                .iter()
                .map(|cell| {
                    (
                        &cell.address,
                        (cell.value.as_str(), cell.comment.as_deref()),
                    )
                })
                .collect();
            let mut cells = Vec::new();
            let mut count = ImportCount::default();
            // A cell given twice is counted against what its first mention left.
            let mut given: HashMap<CellAddress, Option<Stored>> = HashMap::new();
            for (index, value) in values {
                match cell_of(&shape, strategy, index, &value) {
                    Err(problem) => self.conflicts.note(object(&org_unit, &value), problem),
                    Ok((input, address, new)) => {
                        let old = match given.get(&address) {
                            Some(earlier) => earlier
                                .as_ref()
                                .map(|(value, comment)| (value.as_str(), comment.as_deref())),
                            None => current.get(&address).copied(),
                        };
                        // The value with the note it will carry: a note not given is kept.
                        let new = new.map(|value| {
                            let comment = match input.comment.as_deref().map(str::trim) {
                                None => old.and_then(|(_, comment)| comment).map(str::to_string),
                                Some("") => None,
                                Some(text) => Some(text.to_string()),
                            };
                            (value, comment)
                        });
                        let unchanged = |(value, comment): (&str, Option<&str>), new: &Stored| {
                            value == new.0 && comment == new.1.as_deref()
                        };
                        let counted = match (strategy, old, &new) {
                            (Strategy::Delete, Some(_), _) => Some(&mut count.deleted),
                            (Strategy::Delete, None, _) => None,
                            (_, None, None) => None,
                            (_, Some(old), Some(new)) if unchanged(old, new) => None,
                            (Strategy::Create, Some(_), _) => None,
                            (Strategy::Update, None, _) => None,
                            (_, None, Some(_)) => Some(&mut count.imported),
                            (_, Some(_), None) => Some(&mut count.deleted),
                            (_, Some(_), Some(_)) => Some(&mut count.updated),
                        };
                        match counted {
                            Some(counter) => {
                                *counter += 1;
                                cells.push(input);
                                let left = if strategy == Strategy::Delete {
                                    None
                                } else {
                                    new
                                };
                                given.insert(address, left);
                            }
                            None => count.ignored += 1,
                        }
                    }
                }
            }
            if cells.is_empty() {
                self.count.add(count);
            } else {
                edits.push((draft, cells));
                counts.push(count);
            }
        }
        if self.options.atomic && self.conflicts.count > 0 {
            self.refused = true;
        }
        if self.refused || edits.is_empty() {
            return Ok(());
        }
        let addresses: Vec<ReportAddress> = edits
            .iter()
            .map(|(draft, _)| draft.address().clone())
            .collect();
        let saved = context.save(self.ctx, catalogue, tx, edits).await?;
        for ((outcome, count), address) in saved.into_iter().zip(counts).zip(addresses) {
            match outcome {
                Ok(()) => {
                    self.count.add(count);
                    if self.submits() {
                        self.touched.insert(address);
                    }
                }
                Err(error) => {
                    self.conflicts.note_error(
                        [format!("{}/{}", address.agency, address.period)],
                        error,
                        Problem::Report,
                    );
                    self.refused |= self.options.atomic;
                }
            }
        }
        Ok(())
    }

    /// Places the waiting values, saves the rest, commits (or, refused or dry, rolls back),
    /// submits what a client granted submission wrote, and answers what was done.
    pub async fn finish(mut self) -> Result<PushOutcome, (PushError, ImportCount)> {
        match self.complete().await {
            Ok(()) => Ok(PushOutcome {
                refused: self.refused,
                dry_run: self.options.dry_run,
                count: self.count,
                conflicts: std::mem::take(&mut self.conflicts.listed),
                conflict_count: self.conflicts.count,
                errors: std::mem::take(&mut self.conflicts.errors),
            }),
            Err(error) => Err((error, self.abandon().await)),
        }
    }

    async fn complete(&mut self) -> Result<(), PushError> {
        if self.data_set().is_none() && self.seen == 0 {
            return Err(PushError::DataSetRequired);
        }
        for (index, mut value) in std::mem::take(&mut self.waiting) {
            // A value that names no regime, in a set that names none, goes to the one regime
            // whose forms have its element.
            if value.data_set.is_none() && self.data_set().is_none() {
                match self.regime_of_element(&value.data_element).await? {
                    Ok(code) => value.data_set = Some(code),
                    Err(problem) => {
                        let object = value.data_element.clone();
                        self.conflicts.note(object, problem);
                        continue;
                    }
                }
            }
            match self.place(&value) {
                Some(place) => self.ready.push((index, value, place)),
                None => self
                    .conflicts
                    .note(value.data_element.clone(), Problem::Unplaced { index }),
            }
        }
        self.note_set_fields();
        if self.options.atomic && self.conflicts.count > 0 {
            self.refused = true;
        }
        self.flush().await?;
        if let Some(tx) = self.tx.take() {
            if self.refused || self.options.dry_run {
                tx.rollback().await?;
            } else {
                tx.commit().await?;
            }
        }
        // DHIS2's count: every value attempted and not written is ignored, a value in
        // conflict included.
        if self.refused {
            self.count = ImportCount {
                ignored: self.seen,
                ..ImportCount::default()
            };
        } else {
            let written = self.count.imported + self.count.updated + self.count.deleted;
            self.count.ignored = self.seen.saturating_sub(written);
        }
        // A client granted submission sends each report on; if the rules stop it, the values
        // stay in the draft and the outcome says why.
        if !self.refused && !self.options.dry_run && self.submits() {
            let mut touched: Vec<_> = std::mem::take(&mut self.touched).into_iter().collect();
            touched.sort_by_key(|a| {
                (
                    a.regime.to_string(),
                    a.agency.to_string(),
                    a.period.to_string(),
                )
            });
            for address in touched {
                if let Err(error) = reporting::act(
                    self.ctx,
                    self.caller,
                    &address,
                    SubmissionAction::Submit,
                    ActionInput::default(),
                )
                .await
                {
                    self.conflicts.note_error(
                        [format!("{}/{}", address.agency, address.period)],
                        error,
                        Problem::NotSubmitted,
                    );
                }
            }
        }
        Ok(())
    }

    /// Ends a push that failed as a whole (a malformed payload, a payload over its limit, a
    /// store failure): nothing uncommitted is kept. Answers what chunks a push without
    /// `atomic` already committed (they stay).
    pub async fn abandon(&mut self) -> ImportCount {
        if let Some(tx) = self.tx.take() {
            // A failed rollback leaves nothing either: the transaction ends with its connection.
            let _ = tx.rollback().await;
        }
        self.count
    }
}

/// A cell's value and note as a draft holds them.
type Stored = (String, Option<String>);

/// A pushed value as a cell of the regime's forms, checked: the input to merge, its address
/// and its stored text (`None`: empty).
fn cell_of(
    shape: &ReportShape<'_>,
    strategy: Strategy,
    index: usize,
    value: &DataValueIn,
) -> Result<(CellInput, CellAddress, Option<String>), Problem> {
    let (form, options) = locate(shape.regime, value).map_err(|mut problems| problems.remove(0))?;
    // Checked by `check_value`, which left the value its attribute options' key.
    let attributes =
        OptionCombo::from_key(value.attribute_option_combo.as_deref().unwrap_or_default())
            .unwrap_or_default();
    let options = options.with(&attributes);
    let removed = strategy == Strategy::Delete || value.deleted == Some(true);
    let raw = serde_json::json!({
        "form": form.code, "row": value.data_element, "column": form.first_measure_column(),
        "options": options,
        "value": if removed { serde_json::Value::Null } else { value.value.clone().unwrap_or(serde_json::Value::Null) },
        "comment": value.comment,
    });
    let input: CellInput = serde_json::from_value(raw).map_err(|error| Problem::InvalidValue {
        index,
        reason: error.to_string(),
    })?;
    let (address, new) = shape.check_cell(&input).map_err(|problem| Problem::Cell {
        message: problem.message,
        message_en: problem.message_en,
    })?;
    Ok((input, address, new))
}

/// The form that has the value's element, and the value's option combination; or both
/// problems where both are wrong.
fn locate<'r>(
    regime: &'r RegimeContent,
    value: &DataValueIn,
) -> Result<(&'r Form, OptionCombo), Vec<Problem>> {
    let form = regime.forms.iter().find(|f| {
        f.rows
            .iter()
            .any(|r| r.indicator.as_str() == value.data_element)
    });
    let options = OptionCombo::from_key(value.category_option_combo.as_deref().unwrap_or(""));
    match (form, options) {
        (Some(form), Ok(options)) => Ok((form, options)),
        (form, options) => {
            let mut problems = Vec::new();
            if form.is_none() {
                problems.push(Problem::UnknownDataElement(value.data_element.clone()));
            }
            if let Err(error) = options {
                problems.push(Problem::InvalidOptions(error.to_string()));
            }
            Err(problems)
        }
    }
}

/// The attribute options `combo` names (`mechanism=PEPFAR`), where each of its categories is
/// one the regime declares as an attribute category; `None` otherwise. The options themselves
/// are checked with the cell.
fn declared_attributes(regime: &RegimeContent, combo: &str) -> Option<OptionCombo> {
    let attributes = OptionCombo::from_key(combo).ok()?;
    let (declared, other) = attributes.split(|category| regime.is_attribute(category));
    (other.is_total() && !declared.is_total()).then_some(declared)
}

/// Whether an attribute option combination is DHIS2's default (none): empty, `default`, or
/// DHIS2's own id of the default.
fn is_default_combo(combo: &str) -> bool {
    let combo = combo.trim();
    combo.is_empty() || combo.eq_ignore_ascii_case("default") || combo == DHIS2_DEFAULT_COMBO
}

/// The id every DHIS2 instance gives its default category option combination.
const DHIS2_DEFAULT_COMBO: &str = "HllvX50cXC0";

/// A period of a type the regime is not reported in, named.
fn foreign_period(text: &str, period: &ExchangePeriod, regime: &Regime) -> Problem {
    let frequency = regime.content().frequency.map_or("—", |f| f.as_str());
    let kind = match period {
        ExchangePeriod::Native(id) => id.frequency().as_str().to_string(),
        ExchangePeriod::Foreign { kind, .. } => kind.clone(),
    };
    Problem::Period {
        text: text.to_string(),
        reason: format!(
            "kỳ loại {kind}, trong khi chế độ {} báo cáo theo kỳ {frequency}",
            regime.code()
        ),
        reason_en: format!(
            "a period of type {kind}, while regime {} is reported {frequency}",
            regime.code()
        ),
    }
}
