//! Assignments (giao báo cáo): regime × reporting agency × receiving agency, over an interval.
//! Expected submissions come from the history of assignments, never from today's state.

use serde::Serialize;

use crate::agency::{AgencyCode, AgencyError, Validity};
use crate::regime::RegimeCode;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AssignmentError {
    #[error("an agency cannot report to itself ({0})")]
    SelfReporting(String),
    #[error(transparent)]
    Validity(#[from] AgencyError),
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Assignment {
    regime: RegimeCode,
    reporting_agency: AgencyCode,
    receiving_agency: AgencyCode,
    validity: Validity,
}

impl Assignment {
    pub fn new(
        regime: RegimeCode,
        reporting_agency: AgencyCode,
        receiving_agency: AgencyCode,
        validity: Validity,
    ) -> Result<Self, AssignmentError> {
        if reporting_agency == receiving_agency {
            return Err(AssignmentError::SelfReporting(reporting_agency.to_string()));
        }
        Ok(Self {
            regime,
            reporting_agency,
            receiving_agency,
            validity,
        })
    }
    pub fn regime(&self) -> &RegimeCode {
        &self.regime
    }
    pub fn reporting_agency(&self) -> &AgencyCode {
        &self.reporting_agency
    }
    pub fn receiving_agency(&self) -> &AgencyCode {
        &self.receiving_agency
    }
    pub fn validity(&self) -> Validity {
        self.validity
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_agency_cannot_be_assigned_to_report_to_itself() {
        let code = AgencyCode::new("01").unwrap();
        let regime = RegimeCode::new("BC-KTXH-T").unwrap();
        assert!(
            Assignment::new(regime.clone(), code.clone(), code.clone(), Validity::ALWAYS).is_err()
        );
        let vpcp = AgencyCode::new("VPCP").unwrap();
        assert_eq!(
            Assignment::new(regime, code, vpcp.clone(), Validity::ALWAYS)
                .unwrap()
                .receiving_agency(),
            &vpcp
        );
    }
}
