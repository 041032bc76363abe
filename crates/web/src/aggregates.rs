//! Warming the analytics cache ([`baocao_service::aggregates`]) with the questions the saved
//! indicator tables ask.

pub use baocao_service::aggregates::*;

/// Asks every saved table's question (for its whole agency, at today's hierarchy) so its
/// answers are in the cache; answers how many tables were computed. A table that fails is
/// logged and skipped.
pub async fn warm_tables(state: &crate::AppState) -> usize {
    let tables = match state.store.indicator_tables().await {
        Ok(tables) => tables,
        Err(error) => {
            tracing::warn!(%error, "cannot read the indicator tables to warm the cache");
            return 0;
        }
    };
    let mut warmed = 0;
    for table in &tables {
        let outcome = async {
            let request =
                crate::api::tables::request_of(state, table, None, crate::i18n::Lang::Vi).await?;
            let plan = crate::api::analytics::plan_for_server(state, request.query).await?;
            plan.rows(state).await
        }
        .await;
        match outcome {
            Ok(_) => warmed += 1,
            Err(error) => {
                tracing::warn!(table = %table.code, code = error.code, "a table could not be warmed")
            }
        }
    }
    warmed
}
