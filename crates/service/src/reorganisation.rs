//! Reorganisations — merge, split, rename, re-parent, dissolve — recorded on their date: the
//! domain plans one against the hierarchy of the day before
//! ([`baocao_domain::reorganisation`]), the store applies it with the work that passes on
//! (assignments, users and open drafts of ended agencies go to their successors). A dry run
//! answers the plan and changes nothing.

use baocao_domain::permission::Action;
use baocao_domain::reorganisation::{AgencyEvent, Plan, ReorganisationError, plan};
use baocao_store::StoreError;
use baocao_store::reorganisation::Outcome;
use serde::Serialize;

use crate::{Caller, Context, national};

#[derive(Debug, thiserror::Error)]
pub enum ReorganiseError {
    #[error("forbidden")]
    Forbidden,
    /// The event does not fit the hierarchy of the day before.
    #[error(transparent)]
    Refused(#[from] ReorganisationError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl ReorganiseError {
    pub fn code(&self) -> &'static str {
        match self {
            Self::Forbidden => "forbidden",
            Self::Refused(_) => "invalid_event",
            Self::Store(_) => "store",
        }
    }
}

/// An event planned and, unless it was a dry run, recorded.
#[derive(Debug)]
pub struct Recorded {
    /// The recorded event's id (`None` in a dry run).
    pub id: Option<i32>,
    pub event: AgencyEvent,
    pub plan: Plan,
    pub outcome: Option<Outcome>,
}

/// Plans `event` and, unless `dry_run`, applies it. Reorganising the country's agencies is the
/// system administrator's work.
#[tracing::instrument(skip_all, fields(caller = %caller.principal.username, kind = event.kind(), date = %event.date()))]
pub async fn record(
    ctx: &Context,
    caller: &Caller,
    event: AgencyEvent,
    dry_run: bool,
) -> Result<Recorded, ReorganiseError> {
    if !caller.may(Action::ManageUsers {
        agency: &national(),
    }) {
        return Err(ReorganiseError::Forbidden);
    }
    let standings = ctx.store.standings_before(event.date()).await?;
    let plan = plan(&event, &standings)?;
    if dry_run {
        return Ok(Recorded {
            id: None,
            event,
            plan,
            outcome: None,
        });
    }
    let (id, outcome) = ctx
        .store
        .apply_reorganisation(
            &event,
            &plan,
            caller.principal.username.as_str(),
            &caller.provenance(&ctx.now_text()),
        )
        .await?;
    tracing::info!(id, "agency event recorded");
    Ok(Recorded {
        id: Some(id),
        event,
        plan,
        outcome: Some(outcome),
    })
}

/// A recorded event with what it moved.
#[derive(Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RecordedEvent {
    pub id: i32,
    pub date: String,
    pub kind: String,
    pub event: serde_json::Value,
    pub outcome: serde_json::Value,
    pub recorded_by: String,
    pub recorded_at: String,
}

/// The recorded events, newest first. One whose stored document does not parse is an error.
pub async fn events(ctx: &Context, caller: &Caller) -> Result<Vec<RecordedEvent>, ReorganiseError> {
    if !caller.may(Action::ReadCatalogue) {
        return Err(ReorganiseError::Forbidden);
    }
    ctx.store
        .agency_events()
        .await?
        .into_iter()
        .map(|record| {
            let parse = |what: &str, text: &str| {
                serde_json::from_str(text).map_err(|error| {
                    StoreError::Corrupt(format!("{what} of agency event {}: {error}", record.id))
                })
            };
            Ok(RecordedEvent {
                event: parse("document", &record.event)?,
                outcome: parse("outcome", &record.outcome)?,
                id: record.id,
                date: record.date,
                kind: record.kind,
                recorded_by: record.recorded_by,
                recorded_at: record.recorded_at,
            })
        })
        .collect()
}
