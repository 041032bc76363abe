//! Checks every XML reader here applies to an element (workbook parts, ADX documents).

use crate::{LimitExceeded, Limits};

/// At most the allowed number of attributes on `element`, counted without the duplicate check
/// (quadratic in their number).
pub fn check_attributes(
    element: &quick_xml::events::BytesStart<'_>,
    limits: &Limits,
) -> Result<(), LimitExceeded> {
    let count = element.attributes().with_checks(false).count();
    if count > limits.max_xml_attributes {
        return Err(LimitExceeded::new(
            "max_xml_attributes",
            limits.max_xml_attributes,
            format!(
                "an element <{}> carries {count} attributes",
                String::from_utf8_lossy(element.local_name().as_ref())
            ),
        ));
    }
    Ok(())
}
