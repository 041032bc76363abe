//! Analytics read from a PostgreSQL hot standby (`deploy/replica.sh start`) while it keeps up
//! with its primary, and from the primary once it falls further behind than allowed — here
//! with the standby's replay paused, as a long query or a slow disk would hold it.
//!
//! Runs when `BAOCAO_REPLICA_PRIMARY_URL` and `BAOCAO_REPLICA_STANDBY_URL` name the two (CI
//! sets them, and `BAOCAO_REQUIRE_REPLICA=1` so it cannot be skipped there).

use std::time::{Duration, Instant};

use axum::http::StatusCode;
use baocao_store::Store;
use baocao_test_support::{TestApp, TestDb, reported_value};

async fn national(app: &TestApp, token: &str) -> Option<f64> {
    let answer = app
        .get(
            "/api/v1/analytics?indicator=KT04&agency=VN&period=202609",
            token,
        )
        .await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.text);
    answer.json()["rows"][0]["value"].as_f64()
}

async fn caught_up(standby: &Store, primary: &Store) {
    let started = Instant::now();
    loop {
        if standby.replication_lag(primary).await.unwrap() == Some(Duration::ZERO) {
            return;
        }
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "the standby never caught up"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

async fn on_standby(url: &str, sql: &str) {
    let pool = sqlx::PgPool::connect(url)
        .await
        .expect("the standby answers");
    sqlx::query(sql).execute(&pool).await.expect(sql);
    pool.close().await;
}

#[tokio::test]
async fn analytics_read_the_standby_while_it_keeps_up() {
    let (Ok(primary), Ok(standby)) = (
        std::env::var("BAOCAO_REPLICA_PRIMARY_URL"),
        std::env::var("BAOCAO_REPLICA_STANDBY_URL"),
    ) else {
        assert!(
            std::env::var("BAOCAO_REQUIRE_REPLICA").as_deref() != Ok("1"),
            "a primary and a standby are required: deploy/replica.sh start"
        );
        eprintln!("no standby to read from (deploy/replica.sh start); skipped");
        return;
    };
    let db = TestDb::postgres_at(primary)
        .await
        .expect("the primary answers");
    let schema = db.address().1.expect("a schema of its own");
    let mut app = TestApp::demo_in(db).await;
    let standby_store = Store::connect_postgres_schema(&standby, &schema)
        .await
        .expect("the standby answers");
    let max_lag = Duration::from_secs(1);
    app.state.services = app
        .state
        .services
        .clone()
        .with_replica(standby_store.clone(), max_lag);
    let app = app.configured(|_| {});
    let primary_store = app.db.store.clone();
    let reads = || app.state.services.replica.as_ref().unwrap().reads();
    let admin = app.login("admin").await;

    // Caught up: the standby answers, with what the primary has.
    let write = |number: f64| {
        let store = primary_store.clone();
        async move {
            store
                .upsert_values(
                    &[reported_value("KT04", "01", "202609", &[], number)],
                    "2026-11-26T08:00:00Z",
                )
                .await
                .unwrap();
        }
    };
    write(111.0).await;
    caught_up(&standby_store, &primary_store).await;
    assert_eq!(national(&app, &admin).await, Some(111.0));
    let first = reads();
    assert!(first.served >= 1 && first.fell_back == 0, "{first:?}");

    // Replay paused: once the standby is more than a second behind, the primary answers.
    on_standby(&standby, "SELECT pg_wal_replay_pause()").await;
    write(222.0).await;
    tokio::time::sleep(max_lag * 2 + Duration::from_millis(600)).await;
    assert!(
        standby_store.replication_lag(&primary_store).await.unwrap() > Some(max_lag),
        "the paused standby is behind"
    );
    assert_eq!(national(&app, &admin).await, Some(222.0));
    let behind = reads();
    assert!(behind.fell_back > first.fell_back, "{behind:?}");

    // Replay resumed: the standby answers again, with the primary's latest.
    on_standby(&standby, "SELECT pg_wal_replay_resume()").await;
    write(333.0).await;
    caught_up(&standby_store, &primary_store).await;
    tokio::time::sleep(Duration::from_millis(600)).await;
    assert_eq!(national(&app, &admin).await, Some(333.0));
    let again = reads();
    assert!(again.served > behind.served, "{again:?}");
}
