//! Where a caller may read analytics today ([`AnalyticsScope`]): their grants, widened by the
//! agencies that report to where they review or view. The pages' menu, the dashboards, the
//! indicator tables, the pivots and compliance all ask this one scope.

use baocao_domain::agency::AgencyCode;
use baocao_domain::permission::AnalyticsScope;
use baocao_store::StoreError;

use crate::{Caller, Context};

/// The caller's analytics scope today. A caller whose grants alone read the whole country
/// costs no query; a reviewer or viewer costs one for what reports to them.
pub async fn analytics_scope(ctx: &Context, caller: &Caller) -> Result<AnalyticsScope, StoreError> {
    let grants = &caller.principal.grants;
    let root = crate::national();
    let receivers = AnalyticsScope::receiving_agencies(grants);
    let by_grants = AnalyticsScope::of_grants(grants);
    if receivers.is_empty() || by_grants.covers(&root) {
        return Ok(by_grants);
    }
    let today = ctx.today();
    let received = ctx.store.agencies_reporting_to(&receivers, today).await?;
    let (graph, _) = crate::aggregates::agency_graph(ctx, today).await?;
    let under_root: Vec<AgencyCode> = graph
        .find(&root[0])
        .map(|key| {
            graph
                .children(key)
                .iter()
                .filter_map(|child| graph.code(*child).cloned())
                .collect()
        })
        .unwrap_or_default();
    Ok(AnalyticsScope::new(grants, received, &root[0], &under_root))
}

/// The agency the caller's analytics pages open on (the whole country where in scope).
pub async fn home_agency(ctx: &Context, caller: &Caller) -> Result<Option<AgencyCode>, StoreError> {
    Ok(analytics_scope(ctx, caller)
        .await?
        .home(&crate::national()[0]))
}
