//! Reorganisations of agencies as recorded events — rename, re-parent, merge, split, dissolve —
//! and the plan each one makes on the hierarchy: which agencies end the day before the event,
//! which begin on its day, whose state changes, which successions link them, and whose work
//! (assignments, users, open drafts) passes to whom. Pure: the store applies a plan in one
//! transaction; nothing here reads the database or the clock.
//!
//! History is never rewritten. An agency that a merger or split ends keeps its lifetime up to
//! the day before; a code may be reused by the agency formed that day (TP. Hồ Chí Minh, 79, in
//! 2025), and the succession links the two, so time series continue under the successor.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use jiff::civil::Date;
use serde::{Deserialize, Serialize};

use crate::agency::{AgencyCode, AgencyKind, Succession, SuccessionKind};

/// An agency formed by an event.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct NewAgency {
    pub code: AgencyCode,
    pub name_vi: String,
    #[serde(default)]
    pub name_en: String,
    pub kind: AgencyKind,
    #[serde(default)]
    pub parent: Option<AgencyCode>,
}

/// A change to the hierarchy on a date.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "event", rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum AgencyEvent {
    /// A new name (and possibly kind: a province becoming a centrally-run city).
    Rename {
        date: Date,
        code: AgencyCode,
        name_vi: String,
        #[serde(default)]
        name_en: String,
        #[serde(default)]
        kind: Option<AgencyKind>,
    },
    /// A new place in the hierarchy (`parent` absent: a root).
    Reparent {
        date: Date,
        code: AgencyCode,
        parent: Option<AgencyCode>,
    },
    /// Several agencies end and one is formed from them (it may reuse one of their codes).
    Merge {
        date: Date,
        predecessors: Vec<AgencyCode>,
        successor: NewAgency,
    },
    /// One agency ends and several are formed from it. Its subordinates go to the successor
    /// `children` names, or to the first.
    Split {
        date: Date,
        predecessor: AgencyCode,
        successors: Vec<NewAgency>,
        /// A subordinate's code → the successor's code it goes to.
        #[serde(default)]
        #[cfg_attr(feature = "openapi", schema(value_type = SubordinateTargets))]
        children: BTreeMap<AgencyCode, AgencyCode>,
    },
    /// An agency ends; its work passes to `into` (an agency that goes on), if any.
    Dissolve {
        date: Date,
        code: AgencyCode,
        #[serde(default)]
        into: Option<AgencyCode>,
    },
}

impl AgencyEvent {
    pub fn date(&self) -> Date {
        match self {
            AgencyEvent::Rename { date, .. }
            | AgencyEvent::Reparent { date, .. }
            | AgencyEvent::Merge { date, .. }
            | AgencyEvent::Split { date, .. }
            | AgencyEvent::Dissolve { date, .. } => *date,
        }
    }

    pub fn kind(&self) -> &'static str {
        match self {
            AgencyEvent::Rename { .. } => "rename",
            AgencyEvent::Reparent { .. } => "reparent",
            AgencyEvent::Merge { .. } => "merge",
            AgencyEvent::Split { .. } => "split",
            AgencyEvent::Dissolve { .. } => "dissolve",
        }
    }
}

/// An agency as it stands the day before an event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Standing {
    pub code: AgencyCode,
    pub name_vi: String,
    pub name_en: String,
    pub kind: AgencyKind,
    pub parent: Option<AgencyCode>,
    /// Whether its lifetime or its state already changes on or after the event's date (a later
    /// event recorded first): such an agency cannot take part.
    pub changes_later: bool,
}

/// A new state of an agency that goes on, from the event's date.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Restated {
    pub code: AgencyCode,
    pub name_vi: String,
    pub name_en: String,
    pub kind: AgencyKind,
    pub parent: Option<AgencyCode>,
}

/// What an event does to the hierarchy.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Plan {
    pub date: Date,
    /// Agencies whose lifetime ends the day before `date`.
    pub ended: Vec<AgencyCode>,
    /// Agencies formed on `date`, parents before children.
    pub created: Vec<NewAgency>,
    /// Agencies that go on with a new state from `date`.
    pub restated: Vec<Restated>,
    pub successions: Vec<Succession>,
    /// Whose assignments, users and open drafts pass to whom (the ended agency's code, as
    /// it was the day before; the successor's, as it is on `date`), each a pair
    /// `[ended, successor]`.
    #[cfg_attr(feature = "openapi", schema(value_type = Vec<Vec<String>>))]
    pub moves: Vec<(AgencyCode, AgencyCode)>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReorganisationError {
    #[error("agency {0} does not exist the day before the event")]
    Unknown(AgencyCode),
    #[error(
        "agency {0} already changes on or after this date; record events in the order they happen"
    )]
    ChangesLater(AgencyCode),
    #[error("code {0} is already used by an agency that goes on after the event")]
    CodeInUse(AgencyCode),
    #[error("code {0} is given to two agencies formed by the event")]
    DuplicateCode(AgencyCode),
    #[error("a merger needs at least two agencies, each named once")]
    MergeTooSmall,
    #[error("a split needs at least two successors")]
    SplitTooSmall,
    #[error("parent {0} does not exist on the event's date")]
    UnknownParent(AgencyCode),
    #[error("agency {0} cannot be placed under itself or its own subordinate")]
    Cycle(AgencyCode),
    #[error("agency {0} has subordinates; say where they go (dissolve into another agency)")]
    Orphans(AgencyCode),
    #[error(
        "{child} is not a subordinate of {predecessor}, or {successor} is not one of its successors"
    )]
    BadChildMapping {
        child: AgencyCode,
        predecessor: AgencyCode,
        successor: AgencyCode,
    },
}

/// The plan of `event` on the hierarchy of the day before (`before`: every agency valid then).
pub fn plan(event: &AgencyEvent, before: &[Standing]) -> Result<Plan, ReorganisationError> {
    let by_code: HashMap<&AgencyCode, &Standing> = before.iter().map(|s| (&s.code, s)).collect();
    let existing = |code: &AgencyCode| -> Result<&Standing, ReorganisationError> {
        let standing = by_code
            .get(code)
            .copied()
            .ok_or_else(|| ReorganisationError::Unknown(code.clone()))?;
        if standing.changes_later {
            return Err(ReorganisationError::ChangesLater(code.clone()));
        }
        Ok(standing)
    };
    let children_of = |code: &AgencyCode| -> Vec<&Standing> {
        before
            .iter()
            .filter(|s| s.parent.as_ref() == Some(code))
            .collect()
    };
    let date = event.date();
    let mut plan = Plan {
        date,
        ended: Vec::new(),
        created: Vec::new(),
        restated: Vec::new(),
        successions: Vec::new(),
        moves: Vec::new(),
    };
    let restate_child = |child: &Standing, parent: &AgencyCode| Restated {
        code: child.code.clone(),
        name_vi: child.name_vi.clone(),
        name_en: child.name_en.clone(),
        kind: child.kind,
        parent: Some(parent.clone()),
    };
    match event {
        AgencyEvent::Rename {
            code,
            name_vi,
            name_en,
            kind,
            ..
        } => {
            let standing = existing(code)?;
            plan.restated.push(Restated {
                code: code.clone(),
                name_vi: name_vi.clone(),
                name_en: name_en.clone(),
                kind: kind.unwrap_or(standing.kind),
                parent: standing.parent.clone(),
            });
        }
        AgencyEvent::Reparent { code, parent, .. } => {
            let standing = existing(code)?;
            if let Some(parent) = parent {
                existing(parent).map_err(|_| ReorganisationError::UnknownParent(parent.clone()))?;
                // Walking up from the new parent must not meet the agency itself.
                let mut up = Some(parent);
                let mut steps = 0;
                while let Some(at) = up {
                    if at == code || steps > 64 {
                        return Err(ReorganisationError::Cycle(code.clone()));
                    }
                    up = by_code.get(at).and_then(|s| s.parent.as_ref());
                    steps += 1;
                }
            }
            plan.restated.push(Restated {
                code: code.clone(),
                name_vi: standing.name_vi.clone(),
                name_en: standing.name_en.clone(),
                kind: standing.kind,
                parent: parent.clone(),
            });
        }
        AgencyEvent::Merge {
            predecessors,
            successor,
            ..
        } => {
            let distinct: BTreeSet<&AgencyCode> = predecessors.iter().collect();
            if distinct.len() < 2 || distinct.len() != predecessors.len() {
                return Err(ReorganisationError::MergeTooSmall);
            }
            for code in predecessors {
                existing(code)?;
            }
            let ending: BTreeSet<&AgencyCode> = distinct;
            check_new(successor, &by_code, &ending, &[])?;
            for predecessor in predecessors {
                plan.ended.push(predecessor.clone());
                plan.successions.push(Succession {
                    date,
                    predecessor: predecessor.clone(),
                    successor: successor.code.clone(),
                    kind: SuccessionKind::Merge,
                });
                plan.moves
                    .push((predecessor.clone(), successor.code.clone()));
                for child in children_of(predecessor) {
                    if !ending.contains(&child.code) {
                        plan.restated.push(restate_child(child, &successor.code));
                    }
                }
            }
            plan.created.push(successor.clone());
        }
        AgencyEvent::Split {
            predecessor,
            successors,
            children,
            ..
        } => {
            if successors.len() < 2 {
                return Err(ReorganisationError::SplitTooSmall);
            }
            existing(predecessor)?;
            let ending = BTreeSet::from([predecessor]);
            let mut formed: Vec<&AgencyCode> = Vec::new();
            for successor in successors {
                check_new(successor, &by_code, &ending, &formed)?;
                formed.push(&successor.code);
            }
            let subordinates = children_of(predecessor);
            for (child, target) in children {
                if !subordinates.iter().any(|s| &s.code == child) || !formed.contains(&target) {
                    return Err(ReorganisationError::BadChildMapping {
                        child: child.clone(),
                        predecessor: predecessor.clone(),
                        successor: target.clone(),
                    });
                }
            }
            plan.ended.push(predecessor.clone());
            for successor in successors {
                plan.successions.push(Succession {
                    date,
                    predecessor: predecessor.clone(),
                    successor: successor.code.clone(),
                    kind: SuccessionKind::Split,
                });
            }
            // Work passes to the first successor; the others start with none.
            plan.moves
                .push((predecessor.clone(), successors[0].code.clone()));
            for child in subordinates {
                let target = children.get(&child.code).unwrap_or(&successors[0].code);
                plan.restated.push(restate_child(child, target));
            }
            plan.created.extend(successors.iter().cloned());
        }
        AgencyEvent::Dissolve { code, into, .. } => {
            existing(code)?;
            let subordinates = children_of(code);
            match into {
                Some(target) => {
                    existing(target)
                        .map_err(|_| ReorganisationError::UnknownParent(target.clone()))?;
                    if target == code {
                        return Err(ReorganisationError::Cycle(code.clone()));
                    }
                    plan.successions.push(Succession {
                        date,
                        predecessor: code.clone(),
                        successor: target.clone(),
                        kind: SuccessionKind::Absorb,
                    });
                    plan.moves.push((code.clone(), target.clone()));
                    for child in subordinates {
                        plan.restated.push(restate_child(child, target));
                    }
                }
                None if !subordinates.is_empty() => {
                    return Err(ReorganisationError::Orphans(code.clone()));
                }
                None => {}
            }
            plan.ended.push(code.clone());
        }
    }
    Ok(plan)
}

/// Checks an agency to be formed: its code is free on the date (unused, or used by an agency
/// the event ends) and not given twice, and its parent exists then (or is formed too).
fn check_new(
    new: &NewAgency,
    before: &HashMap<&AgencyCode, &Standing>,
    ending: &BTreeSet<&AgencyCode>,
    formed: &[&AgencyCode],
) -> Result<(), ReorganisationError> {
    if formed.contains(&&new.code) {
        return Err(ReorganisationError::DuplicateCode(new.code.clone()));
    }
    if before.contains_key(&new.code) && !ending.contains(&new.code) {
        return Err(ReorganisationError::CodeInUse(new.code.clone()));
    }
    if let Some(parent) = &new.parent
        && (!before.contains_key(parent) || ending.contains(parent))
        && !formed.contains(&parent)
    {
        return Err(ReorganisationError::UnknownParent(parent.clone()));
    }
    Ok(())
}

/// How a split's `children` are described to other systems: a subordinate's code → the
/// successor's code (a named schema, so client generators make one model of it).
#[cfg(feature = "openapi")]
#[derive(utoipa::ToSchema)]
#[allow(dead_code)]
pub struct SubordinateTargets(std::collections::HashMap<String, String>);

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::date;

    fn code(text: &str) -> AgencyCode {
        AgencyCode::new(text).unwrap()
    }

    fn standing(c: &str, kind: AgencyKind, parent: Option<&str>) -> Standing {
        Standing {
            code: code(c),
            name_vi: format!("Đơn vị {c}"),
            name_en: format!("Unit {c}"),
            kind,
            parent: parent.map(code),
            changes_later: false,
        }
    }

    fn country() -> Vec<Standing> {
        vec![
            standing("VN", AgencyKind::Government, None),
            standing("46", AgencyKind::City, Some("VN")),
            standing("48", AgencyKind::City, Some("VN")),
            standing("19753", AgencyKind::Commune, Some("46")),
            standing("20194", AgencyKind::Commune, Some("48")),
        ]
    }

    fn new_agency(c: &str, parent: &str) -> NewAgency {
        NewAgency {
            code: code(c),
            name_vi: format!("Thành phố {c}"),
            name_en: format!("City {c}"),
            kind: AgencyKind::City,
            parent: Some(code(parent)),
        }
    }

    #[test]
    fn a_merger_ends_its_members_forms_one_and_moves_their_subordinates() {
        let event = AgencyEvent::Merge {
            date: date(2026, 11, 1),
            predecessors: vec![code("46"), code("48")],
            successor: new_agency("48", "VN"),
        };
        let plan = plan(&event, &country()).unwrap();
        assert_eq!(plan.ended, [code("46"), code("48")]);
        assert_eq!(plan.created[0].code, code("48"), "a reused code");
        assert_eq!(
            plan.moves,
            [(code("46"), code("48")), (code("48"), code("48"))]
        );
        let moved: Vec<(&str, Option<&str>)> = plan
            .restated
            .iter()
            .map(|r| (r.code.as_str(), r.parent.as_ref().map(AgencyCode::as_str)))
            .collect();
        assert_eq!(moved, [("19753", Some("48")), ("20194", Some("48"))]);
        assert!(
            plan.successions
                .iter()
                .all(|s| s.kind == SuccessionKind::Merge)
        );
    }

    #[test]
    fn a_split_sends_subordinates_where_it_is_told_and_the_rest_to_the_first() {
        let event = AgencyEvent::Split {
            date: date(2027, 1, 1),
            predecessor: code("46"),
            successors: vec![new_agency("46A", "VN"), new_agency("46B", "VN")],
            children: BTreeMap::from([(code("19753"), code("46B"))]),
        };
        let plan = plan(&event, &country()).unwrap();
        assert_eq!(plan.ended, [code("46")]);
        assert_eq!(plan.created.len(), 2);
        assert_eq!(plan.restated[0].parent, Some(code("46B")));
        assert_eq!(plan.moves, [(code("46"), code("46A"))]);
        let wrong = AgencyEvent::Split {
            date: date(2027, 1, 1),
            predecessor: code("46"),
            successors: vec![new_agency("46A", "VN"), new_agency("46B", "VN")],
            children: BTreeMap::from([(code("20194"), code("46B"))]),
        };
        assert!(matches!(
            super::plan(&wrong, &country()),
            Err(ReorganisationError::BadChildMapping { .. })
        ));
    }

    #[test]
    fn impossible_events_are_refused_with_the_reason() {
        let d = date(2027, 1, 1);
        let cases = [
            (
                AgencyEvent::Merge {
                    date: d,
                    predecessors: vec![code("46")],
                    successor: new_agency("49", "VN"),
                },
                ReorganisationError::MergeTooSmall,
            ),
            (
                AgencyEvent::Merge {
                    date: d,
                    predecessors: vec![code("46"), code("99")],
                    successor: new_agency("49", "VN"),
                },
                ReorganisationError::Unknown(code("99")),
            ),
            (
                AgencyEvent::Merge {
                    date: d,
                    predecessors: vec![code("19753"), code("20194")],
                    successor: new_agency("46", "VN"),
                },
                ReorganisationError::CodeInUse(code("46")),
            ),
            (
                AgencyEvent::Reparent {
                    date: d,
                    code: code("46"),
                    parent: Some(code("19753")),
                },
                ReorganisationError::Cycle(code("46")),
            ),
            (
                AgencyEvent::Dissolve {
                    date: d,
                    code: code("46"),
                    into: None,
                },
                ReorganisationError::Orphans(code("46")),
            ),
            (
                AgencyEvent::Split {
                    date: d,
                    predecessor: code("46"),
                    successors: vec![new_agency("46A", "VN"), new_agency("46A", "VN")],
                    children: BTreeMap::new(),
                },
                ReorganisationError::DuplicateCode(code("46A")),
            ),
            (
                AgencyEvent::Merge {
                    date: d,
                    predecessors: vec![code("46"), code("48")],
                    successor: new_agency("49", "46"),
                },
                ReorganisationError::UnknownParent(code("46")),
            ),
        ];
        for (event, expected) in cases {
            assert_eq!(plan(&event, &country()), Err(expected), "{event:?}");
        }
        let mut later = country();
        later[1].changes_later = true;
        let rename = AgencyEvent::Rename {
            date: d,
            code: code("46"),
            name_vi: "Huế".into(),
            name_en: String::new(),
            kind: None,
        };
        assert_eq!(
            plan(&rename, &later),
            Err(ReorganisationError::ChangesLater(code("46")))
        );
    }

    #[test]
    fn a_dissolved_agency_passes_its_work_to_the_one_that_absorbs_it() {
        let event = AgencyEvent::Dissolve {
            date: date(2027, 1, 1),
            code: code("46"),
            into: Some(code("48")),
        };
        let plan = plan(&event, &country()).unwrap();
        assert_eq!(plan.ended, [code("46")]);
        assert!(plan.created.is_empty());
        assert_eq!(plan.successions[0].kind, SuccessionKind::Absorb);
        assert_eq!(plan.restated[0].parent, Some(code("48")));
        let json = serde_json::json!({"event": "dissolve", "date": "2027-01-01", "code": "46", "into": "48"});
        assert_eq!(serde_json::from_value::<AgencyEvent>(json).unwrap(), event);
    }
}
