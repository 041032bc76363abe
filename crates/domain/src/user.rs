//! Users' names, roles and role grants. A grant gives a role on one agency and, where it
//! says so, on that agency's whole subtree.

use serde::{Deserialize, Serialize};

use crate::agency::AgencyCode;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid username {0:?}: use 1 to 64 lower-case letters, digits, '.', '-' or '_'")]
pub struct UsernameError(pub String);

#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Username(String);

impl Username {
    pub fn new(name: impl Into<String>) -> Result<Self, UsernameError> {
        let name = name.into();
        let ok = (1..=64).contains(&name.len())
            && name
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"._-".contains(&b));
        if ok {
            Ok(Self(name))
        } else {
            Err(UsernameError(name))
        }
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
}
impl TryFrom<String> for Username {
    type Error = UsernameError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::new(value)
    }
}
impl From<Username> for String {
    fn from(name: Username) -> String {
        name.0
    }
}
impl std::fmt::Display for Username {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

string_enum!(
    /// The roles of SPEC.md's "Who uses it".
    Role, {
    SystemAdministrator => "system_administrator",
    RegimeManager => "regime_manager",
    Reporter => "reporter",
    Approver => "approver",
    Reviewer => "reviewer",
    Viewer => "viewer",
    Auditor => "auditor",
});

/// Whether holding `grants` calls for a second factor where the deployment requires one:
/// approvers sign reports in their agency's name, administrators can do anything.
pub fn needs_second_factor(grants: &[RoleGrant]) -> bool {
    grants
        .iter()
        .any(|g| matches!(g.role, Role::Approver | Role::SystemAdministrator))
}

/// A role on an agency, or on the agency and everything below it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RoleGrant {
    pub role: Role,
    pub agency: AgencyCode,
    pub subtree: bool,
}

impl RoleGrant {
    /// Whether the grant reaches an agency, given that agency's lineage (itself first, then
    /// its ancestors up to the root).
    pub fn covers(&self, lineage: &[AgencyCode]) -> bool {
        match lineage.split_first() {
            Some((agency, ancestors)) => {
                *agency == self.agency || (self.subtree && ancestors.contains(&self.agency))
            }
            None => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn usernames_are_lower_case_words() {
        assert!(Username::new("hanoi-lead").is_ok());
        assert!(Username::new("HaNoi").is_err());
        assert!(Username::new("").is_err());
        assert!(Username::new("hà nội").is_err());
    }

    #[test]
    fn a_subtree_grant_covers_descendants_and_a_plain_one_only_its_agency() {
        let code = |c: &str| AgencyCode::new(c).unwrap();
        let ward = [code("00004"), code("01"), code("VN")];
        let grant = |agency: &str, subtree| RoleGrant {
            role: Role::Viewer,
            agency: code(agency),
            subtree,
        };
        assert!(grant("01", true).covers(&ward));
        assert!(!grant("01", false).covers(&ward));
        assert!(grant("00004", false).covers(&ward));
        assert!(!grant("79", true).covers(&ward));
    }
}
