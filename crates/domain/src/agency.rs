//! Agencies and their hierarchy over time.
//!
//! An agency has a lifetime (its [`Validity`]) and, within it, a sequence of [`AgencyState`]s:
//! a rename, a change of kind (Thừa Thiên Huế becoming a city) or a move to another parent
//! starts a new state of the same agency, while a merger ends agencies and starts a new one
//! (a [`Succession`] links them). Codes may be reused over time — TP. Hồ Chí Minh (79) before
//! and after 1 July 2025 are two agencies — but never by two agencies valid on the same date.
//!
//! Invariants held by the constructors: a validity interval starts no later than it ends; an
//! agency's states are sorted, contiguous and cover exactly its lifetime; in an
//! [`AgencyDirectory`] a code is unique on every date and every parent exists whenever its
//! child's state needs it.

use std::collections::{BTreeMap, HashMap};

use jiff::civil::Date;
use serde::{Deserialize, Serialize};

use crate::text::check_code;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AgencyError {
    #[error("invalid agency code {0:?}")]
    InvalidCode(String),
    #[error("unknown agency kind {0:?}")]
    UnknownKind(String),
    #[error("unknown agency level {0:?}")]
    UnknownLevel(String),
    #[error("validity interval ends ({to}) before it starts ({from})")]
    InvertedValidity { from: Date, to: Date },
    #[error("agency {code}: states must be sorted, contiguous and cover its lifetime")]
    StatesDoNotCoverLifetime { code: String },
    #[error("agency {code}: its name must not be empty")]
    EmptyName { code: String },
    #[error("code {code} is used by two agencies valid on the same date")]
    DuplicateCode { code: String },
    #[error("agency {code}: parent {parent} does not exist on {date}")]
    MissingParent {
        code: String,
        parent: String,
        date: String,
    },
}

/// An agency's code: the GSO code for provinces and communes ("01", "00004"), a mnemonic for
/// ministries ("BTC"), "VN" for the Government.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct AgencyCode(String);

impl AgencyCode {
    pub fn new(code: impl Into<String>) -> Result<Self, AgencyError> {
        let code = code.into();
        if check_code(&code, false) && !code.contains(char::is_whitespace) {
            Ok(Self(code))
        } else {
            Err(AgencyError::InvalidCode(code))
        }
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for AgencyCode {
    type Error = AgencyError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::new(value)
    }
}
impl From<AgencyCode> for String {
    fn from(code: AgencyCode) -> String {
        code.0
    }
}
impl std::fmt::Display for AgencyCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

string_enum!(
    /// What an agency is; its [`AgencyLevel`] follows from it.
    AgencyKind, {
    Government => "government",
    Ministry => "ministry",
    MinisterialAgency => "ministerial_agency",
    Province => "province",
    City => "city",
    Department => "department",
    Commune => "commune",
});

string_enum!(
    /// The level of an agency in queries such as `level=province` (SPEC.md).
    AgencyLevel, {
    National => "national",
    Ministry => "ministry",
    Province => "province",
    Department => "department",
    Commune => "commune",
});

impl AgencyKind {
    pub fn level(self) -> AgencyLevel {
        match self {
            AgencyKind::Government => AgencyLevel::National,
            AgencyKind::Ministry | AgencyKind::MinisterialAgency => AgencyLevel::Ministry,
            AgencyKind::Province | AgencyKind::City => AgencyLevel::Province,
            AgencyKind::Department => AgencyLevel::Department,
            AgencyKind::Commune => AgencyLevel::Commune,
        }
    }
    pub fn parse(text: &str) -> Result<Self, AgencyError> {
        text.parse().map_err(AgencyError::UnknownKind)
    }
}

impl AgencyLevel {
    pub fn parse(text: &str) -> Result<Self, AgencyError> {
        text.parse().map_err(AgencyError::UnknownLevel)
    }
    pub fn kinds(self) -> impl Iterator<Item = AgencyKind> {
        AgencyKind::ALL
            .iter()
            .copied()
            .filter(move |k| k.level() == self)
    }
}

/// A closed interval of dates; `None` at either end means open (since the records began, or
/// still valid).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Validity {
    from: Option<Date>,
    to: Option<Date>,
}

impl Validity {
    pub const ALWAYS: Validity = Validity {
        from: None,
        to: None,
    };

    pub fn new(from: Option<Date>, to: Option<Date>) -> Result<Self, AgencyError> {
        match (from, to) {
            (Some(from), Some(to)) if to < from => Err(AgencyError::InvertedValidity { from, to }),
            _ => Ok(Self { from, to }),
        }
    }
    pub fn from(&self) -> Option<Date> {
        self.from
    }
    pub fn to(&self) -> Option<Date> {
        self.to
    }
    pub fn contains(&self, date: Date) -> bool {
        self.from.is_none_or(|from| from <= date) && self.to.is_none_or(|to| date <= to)
    }
    pub fn overlaps(&self, other: &Validity) -> bool {
        let starts_before_other_ends = match (self.from, other.to) {
            (Some(from), Some(to)) => from <= to,
            _ => true,
        };
        let other_starts_before_self_ends = match (other.from, self.to) {
            (Some(from), Some(to)) => from <= to,
            _ => true,
        };
        starts_before_other_ends && other_starts_before_self_ends
    }
}

/// What an agency is called, what kind it is and where it sits, over one interval.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AgencyState {
    pub name_vi: String,
    pub name_en: String,
    pub kind: AgencyKind,
    pub parent: Option<AgencyCode>,
    pub validity: Validity,
}

/// One agency over its whole lifetime.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Agency {
    code: AgencyCode,
    lifetime: Validity,
    states: Vec<AgencyState>,
}

impl Agency {
    /// An agency whose one state lasts its whole lifetime.
    pub fn new(code: AgencyCode, state: AgencyState) -> Result<Self, AgencyError> {
        let lifetime = state.validity;
        Self::with_states(code, lifetime, vec![state])
    }

    pub fn with_states(
        code: AgencyCode,
        lifetime: Validity,
        mut states: Vec<AgencyState>,
    ) -> Result<Self, AgencyError> {
        states.sort_by_key(|s| s.validity.from);
        let covers = !states.is_empty()
            && states[0].validity.from == lifetime.from
            && states[states.len() - 1].validity.to == lifetime.to
            && states.windows(2).all(|pair| {
                matches!((pair[0].validity.to, pair[1].validity.from),
                    (Some(end), Some(start)) if end.tomorrow().ok() == Some(start))
            });
        if !covers {
            return Err(AgencyError::StatesDoNotCoverLifetime {
                code: code.to_string(),
            });
        }
        if states.iter().any(|s| s.name_vi.trim().is_empty()) {
            return Err(AgencyError::EmptyName {
                code: code.to_string(),
            });
        }
        Ok(Self {
            code,
            lifetime,
            states,
        })
    }

    /// Ends the current state the day before `date` and starts a new one (a rename, a change
    /// of kind or parent). The agency's lifetime is unchanged.
    pub fn change_on(
        &mut self,
        date: Date,
        change: impl FnOnce(&mut AgencyState),
    ) -> Result<(), AgencyError> {
        let index = self
            .states
            .iter()
            .position(|s| s.validity.contains(date))
            .ok_or_else(|| AgencyError::StatesDoNotCoverLifetime {
                code: self.code.to_string(),
            })?;
        let current = &mut self.states[index];
        if current.validity.from == Some(date) {
            change(current);
            return Ok(());
        }
        let mut next = current.clone();
        let day_before = date
            .yesterday()
            .map_err(|_| AgencyError::InvertedValidity {
                from: date,
                to: date,
            })?;
        current.validity = Validity::new(current.validity.from, Some(day_before))?;
        next.validity = Validity::new(Some(date), next.validity.to)?;
        change(&mut next);
        self.states.insert(index + 1, next);
        Ok(())
    }

    pub fn code(&self) -> &AgencyCode {
        &self.code
    }
    pub fn lifetime(&self) -> Validity {
        self.lifetime
    }
    pub fn states(&self) -> &[AgencyState] {
        &self.states
    }
    pub fn state_on(&self, date: Date) -> Option<&AgencyState> {
        self.states.iter().find(|s| s.validity.contains(date))
    }
}

/// Every agency ever recorded, checked as a whole: codes unique on every date, parents
/// present wherever a state names one.
#[derive(Debug, Clone)]
pub struct AgencyDirectory {
    agencies: Vec<Agency>,
}

impl AgencyDirectory {
    pub fn new(agencies: Vec<Agency>) -> Result<Self, AgencyError> {
        let mut by_code: HashMap<&AgencyCode, Vec<&Agency>> = HashMap::new();
        for agency in &agencies {
            let same = by_code.entry(&agency.code).or_default();
            if same
                .iter()
                .any(|other| other.lifetime.overlaps(&agency.lifetime))
            {
                return Err(AgencyError::DuplicateCode {
                    code: agency.code.to_string(),
                });
            }
            same.push(agency);
        }
        for agency in &agencies {
            for state in &agency.states {
                let Some(parent) = &state.parent else {
                    continue;
                };
                // The parent must exist on the first day of the state (or, for a state open
                // at the start, whenever the parent's records begin).
                let exists = by_code.get(parent).is_some_and(|candidates| {
                    candidates.iter().any(|p| match state.validity.from {
                        Some(date) => p.lifetime.contains(date),
                        None => p.lifetime.from.is_none(),
                    })
                });
                if !exists {
                    return Err(AgencyError::MissingParent {
                        code: agency.code.to_string(),
                        parent: parent.to_string(),
                        date: state
                            .validity
                            .from
                            .map(|d| d.to_string())
                            .unwrap_or_else(|| "the start".into()),
                    });
                }
            }
        }
        Ok(Self { agencies })
    }

    pub fn agencies(&self) -> &[Agency] {
        &self.agencies
    }

    /// The agency with `code` valid on `date`, if any.
    pub fn find(&self, code: &AgencyCode, date: Date) -> Option<&Agency> {
        self.agencies
            .iter()
            .find(|a| &a.code == code && a.lifetime.contains(date))
    }

    pub fn hierarchy_as_of(&self, date: Date) -> Hierarchy {
        let nodes = self
            .agencies
            .iter()
            .filter_map(|agency| {
                agency
                    .state_on(date)
                    .map(|state| (agency.code.clone(), state.clone()))
            })
            .collect();
        Hierarchy { date, nodes }
    }
}

/// The hierarchy as it stood on one date.
#[derive(Debug, Clone)]
pub struct Hierarchy {
    date: Date,
    nodes: BTreeMap<AgencyCode, AgencyState>,
}

impl Hierarchy {
    pub fn date(&self) -> Date {
        self.date
    }
    pub fn get(&self, code: &AgencyCode) -> Option<&AgencyState> {
        self.nodes.get(code)
    }
    pub fn len(&self) -> usize {
        self.nodes.len()
    }
    pub fn is_empty(&self) -> bool {
        self.nodes.is_empty()
    }
    pub fn iter(&self) -> impl Iterator<Item = (&AgencyCode, &AgencyState)> {
        self.nodes.iter()
    }
    /// The agency itself, then its parent, up to the root.
    pub fn lineage(&self, code: &AgencyCode) -> Vec<AgencyCode> {
        let mut lineage = Vec::new();
        let mut current = Some(code.clone());
        while let Some(code) = current {
            if lineage.contains(&code) || !self.nodes.contains_key(&code) {
                break;
            }
            current = self.nodes[&code].parent.clone();
            lineage.push(code);
        }
        lineage
    }
    pub fn is_within(&self, code: &AgencyCode, ancestor: &AgencyCode) -> bool {
        self.lineage(code).contains(ancestor)
    }
    pub fn children(&self, code: &AgencyCode) -> Vec<&AgencyCode> {
        self.nodes
            .iter()
            .filter(|(_, state)| state.parent.as_ref() == Some(code))
            .map(|(child, _)| child)
            .collect()
    }
}

string_enum!(
    /// How one agency passed into another on a date.
    SuccessionKind, {
    Merge => "merge",
    Split => "split",
    Absorb => "absorb",
});

/// A link from an agency that ended the day before `date` to one valid from `date`. Codes
/// alone are ambiguous over time (79 names two agencies); the date resolves them.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Succession {
    pub date: Date,
    pub predecessor: AgencyCode,
    pub successor: AgencyCode,
    pub kind: SuccessionKind,
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::date;

    fn code(text: &str) -> AgencyCode {
        AgencyCode::new(text).unwrap()
    }

    fn state(
        name: &str,
        kind: AgencyKind,
        parent: Option<&str>,
        validity: Validity,
    ) -> AgencyState {
        AgencyState {
            name_vi: name.into(),
            name_en: name.into(),
            kind,
            parent: parent.map(code),
            validity,
        }
    }

    fn until(to: Date) -> Validity {
        Validity::new(None, Some(to)).unwrap()
    }
    fn since(from: Date) -> Validity {
        Validity::new(Some(from), None).unwrap()
    }

    fn vietnam_2025() -> AgencyDirectory {
        let gov = Agency::new(
            code("VN"),
            state("Chính phủ", AgencyKind::Government, None, Validity::ALWAYS),
        )
        .unwrap();
        let old_hcm = Agency::new(
            code("79"),
            state(
                "TP. HCM (cũ)",
                AgencyKind::City,
                Some("VN"),
                until(date(2025, 6, 30)),
            ),
        )
        .unwrap();
        let binh_duong = Agency::new(
            code("74"),
            state(
                "Bình Dương",
                AgencyKind::Province,
                Some("VN"),
                until(date(2025, 6, 30)),
            ),
        )
        .unwrap();
        let new_hcm = Agency::new(
            code("79"),
            state(
                "TP. HCM",
                AgencyKind::City,
                Some("VN"),
                since(date(2025, 7, 1)),
            ),
        )
        .unwrap();
        let ward = Agency::new(
            code("26734"),
            state(
                "Phường Sài Gòn",
                AgencyKind::Commune,
                Some("79"),
                since(date(2025, 7, 1)),
            ),
        )
        .unwrap();
        AgencyDirectory::new(vec![gov, old_hcm, binh_duong, new_hcm, ward]).unwrap()
    }

    #[test]
    fn validity_refuses_an_interval_that_ends_before_it_starts() {
        assert!(matches!(
            Validity::new(Some(date(2025, 7, 1)), Some(date(2025, 6, 30))),
            Err(AgencyError::InvertedValidity { .. })
        ));
        assert!(Validity::new(Some(date(2025, 7, 1)), Some(date(2025, 7, 1))).is_ok());
    }

    #[test]
    fn validity_contains_its_end_days_and_open_ends() {
        let v = Validity::new(Some(date(2025, 3, 1)), Some(date(2025, 6, 30))).unwrap();
        assert!(v.contains(date(2025, 3, 1)) && v.contains(date(2025, 6, 30)));
        assert!(!v.contains(date(2025, 7, 1)) && !v.contains(date(2025, 2, 28)));
        assert!(Validity::ALWAYS.contains(date(1900, 1, 1)));
        assert!(until(date(2025, 6, 30)).overlaps(&since(date(2025, 6, 30))));
        assert!(!until(date(2025, 6, 30)).overlaps(&since(date(2025, 7, 1))));
    }

    #[test]
    fn a_code_may_be_reused_only_after_its_first_holder_ended() {
        let directory = vietnam_2025();
        assert_eq!(
            directory
                .find(&code("79"), date(2025, 6, 30))
                .unwrap()
                .states()[0]
                .name_vi,
            "TP. HCM (cũ)"
        );
        assert_eq!(
            directory
                .find(&code("79"), date(2025, 7, 1))
                .unwrap()
                .states()[0]
                .name_vi,
            "TP. HCM"
        );

        let mut agencies = directory.agencies().to_vec();
        agencies.push(
            Agency::new(
                code("79"),
                state(
                    "Trùng",
                    AgencyKind::City,
                    Some("VN"),
                    since(date(2025, 6, 1)),
                ),
            )
            .unwrap(),
        );
        assert_eq!(
            AgencyDirectory::new(agencies).unwrap_err(),
            AgencyError::DuplicateCode { code: "79".into() }
        );
    }

    #[test]
    fn a_parent_must_exist_when_its_child_starts() {
        let mut agencies = vietnam_2025().agencies().to_vec();
        agencies.push(
            Agency::new(
                code("25747"),
                state(
                    "Phường Thủ Dầu Một",
                    AgencyKind::Commune,
                    Some("74"),
                    since(date(2025, 7, 1)),
                ),
            )
            .unwrap(),
        );
        assert!(matches!(
            AgencyDirectory::new(agencies),
            Err(AgencyError::MissingParent { .. })
        ));
    }

    #[test]
    fn the_hierarchy_as_of_a_date_shows_only_the_agencies_valid_then() {
        let directory = vietnam_2025();
        let june = directory.hierarchy_as_of(date(2025, 6, 30));
        let july = directory.hierarchy_as_of(date(2025, 7, 1));
        assert!(june.get(&code("74")).is_some() && july.get(&code("74")).is_none());
        assert!(june.get(&code("26734")).is_none());
        assert_eq!(
            july.lineage(&code("26734")),
            vec![code("26734"), code("79"), code("VN")]
        );
        assert!(july.is_within(&code("26734"), &code("VN")));
        assert!(!july.is_within(&code("VN"), &code("26734")));
        assert_eq!(july.children(&code("79")), vec![&code("26734")]);
    }

    #[test]
    fn a_change_of_kind_and_name_starts_a_new_state_of_the_same_agency() {
        let mut hue = Agency::new(
            code("46"),
            state(
                "Tỉnh Thừa Thiên Huế",
                AgencyKind::Province,
                Some("VN"),
                Validity::ALWAYS,
            ),
        )
        .unwrap();
        hue.change_on(date(2025, 1, 1), |s| {
            s.kind = AgencyKind::City;
            s.name_vi = "Thành phố Huế".into();
        })
        .unwrap();
        assert_eq!(hue.states().len(), 2);
        assert_eq!(
            hue.state_on(date(2024, 12, 31)).unwrap().kind,
            AgencyKind::Province
        );
        assert_eq!(
            hue.state_on(date(2025, 1, 1)).unwrap().name_vi,
            "Thành phố Huế"
        );
        assert_eq!(hue.lifetime(), Validity::ALWAYS);
    }

    #[test]
    fn states_must_cover_the_lifetime_without_gaps() {
        let first = state("A", AgencyKind::Province, None, until(date(2024, 12, 30)));
        let second = state("B", AgencyKind::City, None, since(date(2025, 1, 1)));
        assert!(Agency::with_states(code("46"), Validity::ALWAYS, vec![first, second]).is_err());
    }

    #[test]
    fn levels_group_kinds_as_the_spec_says() {
        assert_eq!(
            AgencyLevel::Ministry.kinds().collect::<Vec<_>>(),
            vec![AgencyKind::Ministry, AgencyKind::MinisterialAgency]
        );
        assert_eq!(AgencyKind::City.level(), AgencyLevel::Province);
        assert!(AgencyKind::parse("district").is_err());
        assert!(AgencyCode::new("0 1").is_err());
    }
}
