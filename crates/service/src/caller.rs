//! Who asks: a person (or a client system acting for its agency) with their grants.

use baocao_domain::permission::{Action, allows};
use baocao_store::clients::ClientRecord;
use baocao_store::users::Principal;

/// The caller of a use case.
#[derive(Debug, Clone)]
pub struct Caller {
    pub principal: Principal,
    /// The registered client system the call comes from, with its scopes.
    pub client: Option<ClientRecord>,
}

impl Caller {
    /// A person acting in their own name (the UI, the command line, the demo history).
    pub fn person(principal: Principal) -> Self {
        Self {
            principal,
            client: None,
        }
    }

    /// Whether the client system the call comes through (if any) may push (or pull) data of
    /// `regime`: its scope grants the direction and names the regime, or names none.
    pub fn in_scope(&self, push: bool, regime: &str) -> bool {
        let Some(client) = &self.client else {
            return true;
        };
        let allowed = if push {
            client.can_push
        } else {
            client.can_pull
        };
        allowed && (client.regimes.is_empty() || client.regimes.iter().any(|r| r == regime))
    }

    /// Whether the permission policy allows `action`.
    pub fn may(&self, action: Action<'_>) -> bool {
        allows(&self.principal.grants, action)
    }
}
