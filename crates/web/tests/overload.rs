//! Overload is answered, not suffered (issue 18): past `max_in_flight` requests a request is
//! refused at once with `503 overloaded`, `Retry-After` and a message in Vietnamese and
//! English, and writes nothing; `/healthz` is still answered; once requests finish, the same
//! write goes through. On SQLite and PostgreSQL.

use axum::http::{Method, StatusCode};
use baocao_test_support::{Answer, TestApp, app_tests};
use serde_json::json;

/// Communes assigned the commune regime (its reports for December 2026 are not started).
async fn communes(app: &TestApp, token: &str) -> Vec<String> {
    let listing = app
        .get("/api/v1/regimes/BC-TTATGT-T/assignments", token)
        .await
        .json();
    let mut codes: Vec<String> = listing["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["reporting_agency"].as_str().unwrap().to_string())
        .collect();
    codes.sort();
    codes.dedup();
    assert!(codes.len() > 13);
    codes
}

fn edit(version: i64, accidents: i64) -> serde_json::Value {
    json!({"version": version, "values": [
        {"form": "Biểu 01/TTATGT", "row": "XH11", "column": "this_period", "value": accidents}]})
}

/// Saves the number of accidents into a report's draft under the lock `version`.
async fn save(app: &TestApp, token: &str, slot: &str, version: i64, accidents: i64) -> Answer {
    app.call(
        Method::PUT,
        &format!("{slot}/draft"),
        Some(token),
        Some(&edit(version, accidents)),
    )
    .await
}

async fn past_capacity_a_request_is_refused_at_once_and_writes_nothing(app: TestApp) {
    let admin = app.login("admin").await;
    let slot = format!(
        "/api/v1/reports/BC-TTATGT-T/{}/202612",
        communes(&app, &admin).await[0]
    );
    let before = app.get(&slot, &admin).await;
    assert_eq!(before.status, StatusCode::OK, "{}", before.text);
    let version = before.json()["version"].as_i64().unwrap();

    let limit = app.state.in_flight.limit();
    let busy = app.state.in_flight.occupy(limit).await;

    let refused = save(&app, &admin, &slot, version, 41).await;
    assert_eq!(refused.status, StatusCode::SERVICE_UNAVAILABLE);
    let body = refused.json();
    assert_eq!(body["error"]["code"], "overloaded", "{body}");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("quá tải")
    );
    assert!(
        body["error"]["message_en"]
            .as_str()
            .unwrap()
            .contains("overloaded")
    );
    assert_eq!(refused.headers.get("retry-after").unwrap(), "1");
    assert_eq!(
        app.get("/api/v1/me", &admin).await.status,
        StatusCode::SERVICE_UNAVAILABLE
    );
    // The health check is never shed.
    let health = app.get("/healthz", "").await;
    assert_eq!(health.status, StatusCode::OK, "{}", health.text);

    drop(busy);
    let after = app.get(&slot, &admin).await;
    assert_eq!(
        after.json()["version"].as_i64().unwrap(),
        version,
        "the refused save wrote nothing"
    );
    let saved = save(&app, &admin, &slot, version, 41).await;
    assert_eq!(saved.status, StatusCode::OK, "{}", saved.text);
    assert_eq!(saved.json()["version"].as_i64().unwrap(), version + 1);
}

async fn requests_beyond_capacity_at_once_are_shed_and_every_acknowledged_save_is_kept(
    app: TestApp,
) {
    let admin = app.login("admin").await;
    // Two permits, and twelve communes saving at once.
    let busy = app
        .state
        .in_flight
        .occupy(app.state.in_flight.limit() - 2)
        .await;
    let communes: Vec<String> = communes(&app, &admin).await[1..13].to_vec();
    let saves = communes.iter().enumerate().map(|(n, commune)| {
        let (app, admin) = (&app, &admin);
        async move {
            let slot = format!("/api/v1/reports/BC-TTATGT-T/{commune}/202612");
            let answer = save(app, admin, &slot, 0, n as i64 + 1).await;
            (commune.clone(), n as i64 + 1, answer)
        }
    });
    let answers = futures_join(saves).await;
    drop(busy);
    let shed = answers
        .iter()
        .filter(|(_, _, a)| a.status == StatusCode::SERVICE_UNAVAILABLE)
        .count();
    let acknowledged: Vec<_> = answers
        .iter()
        .filter(|(_, _, a)| a.status == StatusCode::OK)
        .collect();
    assert_eq!(
        shed + acknowledged.len(),
        answers.len(),
        "only 503 or 200: {:?}",
        answers
            .iter()
            .map(|(_, _, a)| (a.status, a.text.clone()))
            .collect::<Vec<_>>()
    );
    assert!(shed > 0, "twelve at once past two permits: some are shed");
    assert!(!acknowledged.is_empty());
    for (commune, accidents, _) in acknowledged {
        let stored = app
            .get(
                &format!("/api/v1/reports/BC-TTATGT-T/{commune}/202612"),
                &admin,
            )
            .await
            .json();
        let cell = stored["values"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["row"] == "XH11")
            .cloned()
            .unwrap();
        let stored_number = cell["value"]
            .as_f64()
            .or_else(|| cell["value"].as_str().and_then(|t| t.parse().ok()));
        assert_eq!(stored_number, Some(*accidents as f64), "{commune}");
    }
}

/// Polls every future at once on this task (the router's handlers interleave at their
/// awaits, as concurrent connections do).
async fn futures_join<F: std::future::Future>(futures: impl Iterator<Item = F>) -> Vec<F::Output> {
    let mut set = Vec::new();
    for future in futures {
        set.push(Box::pin(future));
    }
    let mut outputs: Vec<Option<F::Output>> = set.iter().map(|_| None).collect();
    std::future::poll_fn(|cx| {
        let mut pending = false;
        for (future, output) in set.iter_mut().zip(outputs.iter_mut()) {
            if output.is_none() {
                match future.as_mut().poll(cx) {
                    std::task::Poll::Ready(value) => *output = Some(value),
                    std::task::Poll::Pending => pending = true,
                }
            }
        }
        if pending {
            std::task::Poll::Pending
        } else {
            std::task::Poll::Ready(())
        }
    })
    .await;
    outputs.into_iter().map(Option::unwrap).collect()
}

/// The write path's queries find their rows through the right index only when the planner has
/// statistics; SQLite never gathers them itself, so the server asks both engines at start.
async fn planner_statistics_cover_the_write_paths_tables(app: TestApp) {
    app.db.store.refresh_statistics().await.unwrap();
    app.db.store.tune_statistics().await.unwrap();
    let analysed = match app.db.store.backend() {
        baocao_store::Backend::Sqlite => {
            app.db
                .raw_texts("SELECT DISTINCT tbl FROM sqlite_stat1 ORDER BY tbl")
                .await
        }
        baocao_store::Backend::Postgres => {
            app.db
                .raw_texts(
                    "SELECT relname::text FROM pg_stat_user_tables
                      WHERE schemaname = current_schema() AND last_analyze IS NOT NULL
                      ORDER BY relname",
                )
                .await
        }
    };
    for table in ["agencies", "assignments", "role_grants"] {
        assert!(
            analysed.iter().any(|t| t == table),
            "{table} has no statistics: {analysed:?}"
        );
    }
}

app_tests!(
    planner_statistics_cover_the_write_paths_tables,
    past_capacity_a_request_is_refused_at_once_and_writes_nothing,
    requests_beyond_capacity_at_once_are_shed_and_every_acknowledged_save_is_kept,
);
