//! Who asks: a person (or a client system acting for its agency) with their grants.

use baocao_domain::audit::{Channel, Provenance};
use baocao_domain::permission::{Action, allows};
use baocao_store::clients::ClientRecord;
use baocao_store::users::Principal;

/// The caller of a use case.
#[derive(Debug, Clone)]
pub struct Caller {
    pub principal: Principal,
    /// The registered client system the call comes from, with its scopes.
    pub client: Option<ClientRecord>,
    /// The way the call came in, for the audit trail.
    pub origin: Origin,
}

/// The way a call came in: its channel and, over HTTP, the request's id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Origin {
    pub channel: Channel,
    pub request: Option<String>,
}

impl Origin {
    pub fn new(channel: Channel) -> Self {
        Self {
            channel,
            request: None,
        }
    }
}

impl Caller {
    /// A person acting in their own name through `channel` (the command line, the demo
    /// history).
    pub fn person(principal: Principal, channel: Channel) -> Self {
        Self {
            principal,
            client: None,
            origin: Origin::new(channel),
        }
    }

    /// Who makes a change at `at`, as the audit trail records it.
    pub fn provenance(&self, at: &str) -> Provenance {
        Provenance {
            at: at.to_string(),
            user: Some(self.principal.id),
            client: self.client.as_ref().map(|client| client.id),
            channel: self.origin.channel,
            request: self.origin.request.clone(),
        }
    }

    /// Who makes a change at `at` through a bulk import — a data value set pushed (JSON, ADX,
    /// CSV) or a catalogue file uploaded — whether it came over the API or from a page: the
    /// trail tells imports from single edits.
    pub fn import_provenance(&self, at: &str) -> Provenance {
        Provenance {
            channel: Channel::Import,
            ..self.provenance(at)
        }
    }

    /// The same caller making its changes through an import (an uploaded workbook).
    pub fn importing(mut self) -> Self {
        self.origin.channel = Channel::Import;
        self
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
