//! The demo data set. [`DemoData::parse`] reads the files of `data/` (embedded in the binary,
//! so it stands alone) into checked domain values — pure, no I/O — and [`load_demo`] writes
//! them through the store into an empty database.
//!
//! What it holds: the Government (`VN`), ministries before and after the March 2025 merger,
//! the 63 provinces until 30 June 2025 and the 34 from 1 July 2025 with the merger map, the
//! 3,321 communes, the changes of `agency-events.csv`, the indicator examples, every regime
//! of `data/regimes/` with its assignments, and the demo accounts (password `demo`).

mod files;
mod history;
mod users;

use baocao_domain::Date;
use baocao_domain::agency::{AgencyDirectory, Succession};
use baocao_domain::assignment::Assignment;
use baocao_domain::audit::{Channel, Provenance};
use baocao_domain::indicator::{Category, Indicator};
use baocao_domain::regime::Regime;
use baocao_store::users::NewUser;
use baocao_store::{Store, StoreError};

pub use history::{
    HISTORY_SETTING, HistoryProgress, HistoryScope, load_demo_history, load_demo_history_reporting,
};
pub use users::demo_usernames;

#[derive(Debug, thiserror::Error)]
pub enum SeedError {
    #[error("demo data file {file}: {reason}")]
    BadFile { file: String, reason: String },
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(
        "the database holds data but no finished demo load; start on an empty database to load the demo (cơ sở dữ liệu đã có dữ liệu nhưng chưa nạp xong dữ liệu mẫu)"
    )]
    InterruptedLoad,
}

pub(crate) fn bad(file: &str, reason: impl std::fmt::Display) -> SeedError {
    SeedError::BadFile {
        file: file.to_string(),
        reason: reason.to_string(),
    }
}

/// The first day the demo regimes govern: the demo's history starts with 2024.
pub fn demo_start() -> Date {
    jiff::civil::date(2024, 1, 1)
}

/// Everything the demo loads, checked.
pub struct DemoData {
    pub directory: AgencyDirectory,
    pub successions: Vec<Succession>,
    pub categories: Vec<Category>,
    pub indicators: Vec<Indicator>,
    pub regimes: Vec<Regime>,
    pub assignments: Vec<Assignment>,
}

impl DemoData {
    pub fn parse() -> Result<Self, SeedError> {
        let (directory, successions) = files::agencies()?;
        let (categories, indicators) = files::catalogue()?;
        let regimes = files::regimes(&indicators)?;
        let assignments = files::assignments(&directory, &regimes)?;
        Ok(Self {
            directory,
            successions,
            categories,
            indicators,
            regimes,
            assignments,
        })
    }
}

const TABLES_SETTING: &str = "demo_tables";

/// The demo's indicator tables, once (a demo database made before tables existed gets them
/// on its next start).
async fn load_demo_tables(store: &Store, now: &str) -> Result<(), SeedError> {
    if store.setting(TABLES_SETTING).await?.is_some() {
        return Ok(());
    }
    let by = Provenance::system(now, Channel::Demo);
    let (_, indicators) = files::catalogue()?;
    for table in files::tables(&indicators)? {
        store.save_indicator_table(&table, "demo", &by).await?;
    }
    store.set_setting(TABLES_SETTING, now, &by).await?;
    Ok(())
}

/// What [`load_demo`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LoadOutcome {
    Loaded,
    AlreadyPresent,
}

const DEMO_SETTING: &str = "demo_data";

/// Loads the demo into an empty database; on a database that already holds the demo it
/// changes nothing. `today` picks the agencies users belong to; `now` stamps the rows.
pub async fn load_demo(store: &Store, today: Date, now: &str) -> Result<LoadOutcome, SeedError> {
    if store.setting(DEMO_SETTING).await?.is_some() {
        load_demo_tables(store, now).await?;
        return Ok(LoadOutcome::AlreadyPresent);
    }
    if !store.is_empty().await? {
        return Err(SeedError::InterruptedLoad);
    }
    let demo = DemoData::parse()?;
    let by = Provenance::system(now, Channel::Demo);
    let users: Vec<NewUser> = users::demo_users(&demo.directory, today)?;
    store
        .insert_agencies(&demo.directory, &demo.successions, &by)
        .await?;
    store.insert_categories(&demo.categories, &by).await?;
    store.insert_indicators(&demo.indicators, &by).await?;
    for regime in &demo.regimes {
        store.create_regime(regime, &by).await?;
    }
    store.insert_assignments(&demo.assignments, &by).await?;
    store.create_users(&users, today, &by).await?;
    store.set_setting(DEMO_SETTING, now, &by).await?;
    load_demo_tables(store, now).await?;
    tracing::info!(
        agencies = demo.directory.agencies().len(),
        regimes = demo.regimes.len(),
        assignments = demo.assignments.len(),
        users = users.len(),
        "demo data loaded"
    );
    Ok(LoadOutcome::Loaded)
}
