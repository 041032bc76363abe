//! The reporting calendar over the API — an agency's schedule of expected reports, deadlines at
//! a time of day, and the deployment's holiday calendar moving working-day deadlines — on
//! SQLite and PostgreSQL, with the clock at 2026-11-26 15:00 in Vietnam.

use axum::http::{Method, StatusCode};
use baocao_domain::agency::{AgencyCode, Validity};
use baocao_domain::assignment::Assignment;
use baocao_domain::regime::{DeadlineRule, Regime, RegimeCode};
use baocao_test_support::{TestApp, app_tests};
use serde_json::{Value, json};

fn items_of<'a>(answer: &'a Value, regime: &str) -> Vec<&'a Value> {
    answer["items"]
        .as_array()
        .expect("items")
        .iter()
        .filter(|i| i["regime"] == regime)
        .collect()
}

async fn the_schedule_lists_expected_reports_with_windows_deadlines_and_status(app: TestApp) {
    let hanoi = app.login("hanoi").await;
    let answer = app.get("/api/v1/schedule", &hanoi).await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.text);
    let answer = answer.json();
    assert_eq!(answer["agency"], "01");
    assert_eq!(
        (answer["from"].as_str(), answer["to"].as_str()),
        (Some("2026-10-26"), Some("2027-02-26")),
        "31 days back, 92 ahead by default"
    );
    // The quarterly regime: 2026Q3 fell due on 20 September, before the range; 2026Q4 is open
    // until 20 December; 2027Q1's window opens on 15 December, inside the range.
    let quarterly = items_of(&answer, "BC-KSTTHC-Q");
    let periods: Vec<&str> = quarterly
        .iter()
        .map(|i| i["period"].as_str().unwrap())
        .collect();
    assert_eq!(periods, ["2026Q4", "2027Q1"]);
    assert_eq!(quarterly[0]["status"], "open");
    assert_eq!(quarterly[1]["status"], "upcoming");
    assert_eq!(quarterly[1]["opens"], "2026-12-15");
    // Every item agrees with the regime's own period answer, and the list runs by deadline.
    let mut last = String::new();
    for item in answer["items"].as_array().unwrap() {
        let regime = item["regime"].as_str().unwrap();
        let period = item["period"].as_str().unwrap();
        let own = app
            .get(
                &format!("/api/v1/regimes/{regime}/periods/{period}"),
                &hanoi,
            )
            .await
            .json();
        for field in ["cutoff_start", "cutoff_end", "deadline"] {
            assert_eq!(item[field], own[field], "{regime} {period} {field}");
        }
        assert_eq!(item["opens"], own["cutoff_start"]);
        let deadline = item["deadline"].as_str().unwrap().to_string();
        assert!(deadline >= last, "sorted by deadline");
        assert!(deadline.as_str() >= "2026-10-26");
        assert!(item["opens"].as_str().unwrap() <= "2027-02-26");
        last = deadline;
    }

    // Asked to, the schedule reaches back to the reports still overdue (issue 21: forgotten
    // work shows), and no further than the oldest of them; what was sent stays out.
    let back = app
        .get("/api/v1/schedule?overdue=true", &hanoi)
        .await
        .json();
    let items = back["items"].as_array().unwrap();
    let old: Vec<&Value> = items
        .iter()
        .filter(|i| i["deadline"].as_str().unwrap() < "2026-10-26")
        .collect();
    assert!(
        old.iter().any(|i| i["period"] == "202607"),
        "July's monthly reports were never sent: {back}"
    );
    assert!(
        old.iter()
            .all(|i| i["status"] == "overdue" || i["status"] == "returned")
    );
    assert_eq!(
        back["from"].as_str(),
        old.iter().map(|i| i["deadline"].as_str().unwrap()).min()
    );
    assert_eq!(back["to"], "2027-02-26");

    // Once sent, the report stands submitted on time in the schedule.
    let lead = app.login("hanoi-lead").await;
    let slot = "/api/v1/reports/BC-KSTTHC-Q/01/2026Q4";
    let values: Vec<Value> = ["HC01", "HC02", "HC03", "HC04", "HC05", "HC06"]
        .iter()
        .map(|row| json!({"form": "Biểu 01/KSTTHC", "row": row, "column": "this_period", "options": {}, "value": if *row == "HC02" { "5" } else { "1" }}))
        .collect();
    let saved = app
        .call(
            Method::PUT,
            &format!("{slot}/draft"),
            Some(&hanoi),
            Some(&json!({"version": 0, "values": values})),
        )
        .await;
    assert_eq!(saved.status, StatusCode::OK, "{}", saved.text);
    let sent = app
        .call(
            Method::POST,
            &format!("{slot}/submit"),
            Some(&lead),
            Some(&json!({})),
        )
        .await;
    assert_eq!(sent.status, StatusCode::OK, "{}", sent.text);
    let answer = app.get("/api/v1/schedule", &hanoi).await.json();
    assert_eq!(
        items_of(&answer, "BC-KSTTHC-Q")[0]["status"],
        "submitted_on_time"
    );
}

async fn the_schedule_refuses_bad_ranges_and_strangers(app: TestApp) {
    let hanoi = app.login("hanoi").await;
    for (query, code) in [
        ("from=2026-13-01", "invalid_date"),
        ("from=2026-12-01&to=2026-11-01", "invalid_range"),
        ("from=2025-01-01&to=2026-12-31", "invalid_range"),
    ] {
        let answer = app.get(&format!("/api/v1/schedule?{query}"), &hanoi).await;
        assert_eq!(answer.status, StatusCode::BAD_REQUEST, "{query}");
        assert_eq!(answer.json()["error"]["code"], code, "{query}");
    }
    // Hà Nội's reporter may not read Huế's schedule; the national viewer may.
    assert_eq!(
        app.get("/api/v1/schedule?agency=46", &hanoi).await.status,
        StatusCode::FORBIDDEN
    );
    let leader = app.login("lanhdao").await;
    let hue = app.get("/api/v1/schedule?agency=46", &leader).await;
    assert_eq!(hue.status, StatusCode::OK, "{}", hue.text);
    assert_eq!(hue.json()["agency"], "46");
}

/// A copy of a demo regime with another deadline, assigned to Hà Nội from 2026.
async fn publish_copy(
    app: &TestApp,
    base: &str,
    code: &str,
    rule: DeadlineRule,
    time: Option<jiff::civil::Time>,
) {
    publish_edited(app, base, code, |content| {
        content.deadline = Some(rule);
        content.deadline_time = time;
    })
    .await;
}

/// A copy of a demo regime changed by `edit`, published and assigned to Hà Nội from 2026.
async fn publish_edited(
    app: &TestApp,
    base: &str,
    code: &str,
    edit: impl FnOnce(&mut baocao_domain::regime::RegimeContent),
) {
    let store = &app.state.store;
    let base = store
        .regime(&RegimeCode::new(base).unwrap())
        .await
        .unwrap()
        .unwrap();
    let mut content = base.content().clone();
    content.code = RegimeCode::new(code).unwrap();
    edit(&mut content);
    let regime = Regime::draft(content)
        .unwrap()
        .publish(jiff::civil::date(2026, 1, 1))
        .unwrap();
    store
        .create_regime(
            &regime,
            &baocao_test_support::by_system("2026-01-01T00:00:00Z"),
        )
        .await
        .unwrap();
    let assignment = Assignment::new(
        regime.code().clone(),
        AgencyCode::new("01").unwrap(),
        AgencyCode::new("VPCP").unwrap(),
        Validity::new(Some(jiff::civil::date(2026, 1, 1)), None).unwrap(),
    )
    .unwrap();
    store
        .insert_assignments(
            &[assignment],
            &baocao_test_support::by_system("2026-01-01T00:00:00Z"),
        )
        .await
        .unwrap();
}

fn monthly_values() -> Value {
    let rows = [
        ("KT03", "107.9"),
        ("KT04", "60123.4"),
        ("KT05", "1790.2"),
        ("KT06", "2388.0"),
        ("KT07", "103.4"),
        ("KT08", "3999.5"),
        ("KT09", "37000.1"),
        ("KT11", "2650"),
    ];
    rows.into_iter()
        .map(|(row, value)| json!({"form": "Biểu 01/KTXH-T", "row": row, "column": "this_period", "options": {}, "value": value}))
        .collect()
}

async fn a_deadline_at_a_time_of_day_is_missed_one_minute_after(app: TestApp) {
    // The test clock stands at 15:00 on 26 November 2026 (Vietnam). Two copies of the monthly
    // regime fall due that day: one at 15:00 (a report now is on time), one at 14:59 (a report
    // now is one minute late).
    let on_the_26th = DeadlineRule::DayOfMonth {
        day: 26,
        months_after_period_end: 0,
    };
    for (code, time) in [
        ("BC-GIO-A", jiff::civil::Time::constant(15, 0, 0, 0)),
        ("BC-GIO-B", jiff::civil::Time::constant(14, 59, 0, 0)),
    ] {
        publish_copy(&app, "BC-KTXH-T", code, on_the_26th.clone(), Some(time)).await;
    }
    let (hanoi, lead) = (app.login("hanoi").await, app.login("hanoi-lead").await);
    let admin = app.login("admin").await;
    let period = app
        .get("/api/v1/regimes/BC-GIO-B/periods/202611", &admin)
        .await;
    assert_eq!(period.status, StatusCode::OK, "{}", period.text);
    let period = period.json();
    assert_eq!(
        (
            &period["deadline"],
            &period["deadline_time"],
            &period["late_from"]
        ),
        (
            &json!("2026-11-26"),
            &json!("14:59"),
            &json!("2026-11-26T07:59:01Z")
        )
    );
    for (code, late) in [("BC-GIO-A", false), ("BC-GIO-B", true)] {
        let slot = format!("/api/v1/reports/{code}/01/202611");
        let saved = app
            .call(
                Method::PUT,
                &format!("{slot}/draft"),
                Some(&hanoi),
                Some(&json!({"version": 0, "values": monthly_values()})),
            )
            .await;
        assert_eq!(saved.status, StatusCode::OK, "{}", saved.text);
        let sent = app
            .call(
                Method::POST,
                &format!("{slot}/submit"),
                Some(&lead),
                Some(&json!({})),
            )
            .await;
        assert_eq!(sent.status, StatusCode::OK, "{}", sent.text);
        let view = app.get(&slot, &hanoi).await.json();
        assert_eq!(view["versions"][0]["late"], late, "{code}");
        assert!(view["deadline_time"].is_string());
    }
}

async fn the_holiday_calendar_is_configured_and_moves_working_day_deadlines(app: TestApp) {
    // Due two working days after the window ends: for 2026Q4 the window ends Monday
    // 14 December, so the report is due Wednesday the 16th.
    publish_copy(
        &app,
        "BC-KSTTHC-Q",
        "BC-NGAY-Q",
        DeadlineRule::DaysAfterCutoff {
            days: 2,
            working_days: true,
        },
        None,
    )
    .await;
    let admin = app.login("admin").await;
    assert_eq!(deadline(&app, &admin).await, "2026-12-16");

    let holidays = app
        .get("/api/v1/calendar/holidays?year=2026", &admin)
        .await
        .json();
    let days: Vec<&str> = holidays["holidays"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["date"].as_str().unwrap())
        .collect();
    // Tết, the Hùng Kings' day (a Sunday) and its compensatory Monday.
    for day in ["2026-02-17", "2026-04-26", "2026-04-27", "2026-09-02"] {
        assert!(days.contains(&day), "{day} in {days:?}");
    }

    // A bridge day on Tuesday 15 December pushes the deadline to Thursday the 17th; a reporter
    // may not set it, an administrator may; removing it brings the 16th back.
    let change = json!({"kind": "holiday", "name_vi": "Nghỉ hoán đổi", "name_en": "Bridge day"});
    let hanoi = app.login("hanoi").await;
    let refused = app
        .call(
            Method::PUT,
            "/api/v1/calendar/days/2026-12-15",
            Some(&hanoi),
            Some(&change),
        )
        .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    let set = app
        .call(
            Method::PUT,
            "/api/v1/calendar/days/2026-12-15",
            Some(&admin),
            Some(&change),
        )
        .await;
    assert_eq!(set.status, StatusCode::OK, "{}", set.text);
    assert_eq!(deadline(&app, &admin).await, "2026-12-17");
    let listed = app
        .get("/api/v1/calendar/holidays?year=2026", &admin)
        .await
        .json();
    let bridge = listed["holidays"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["date"] == "2026-12-15")
        .expect("the bridge day is listed");
    assert_eq!(
        (&bridge["name_vi"], &bridge["configured"]),
        (&json!("Nghỉ hoán đổi"), &json!(true))
    );

    // A Saturday worked in exchange counts as a working day: 19 December is a Saturday.
    let worked = app
        .call(
            Method::PUT,
            "/api/v1/calendar/days/2026-12-16",
            Some(&admin),
            Some(&json!({"kind": "holiday"})),
        )
        .await;
    assert_eq!(worked.status, StatusCode::OK);
    let saturday = app
        .call(
            Method::PUT,
            "/api/v1/calendar/days/2026-12-19",
            Some(&admin),
            Some(&json!({"kind": "working_day", "name_vi": "Làm bù"})),
        )
        .await;
    assert_eq!(saturday.status, StatusCode::OK);
    // Off on the 15th and 16th: the 17th and 18th are the two working days.
    assert_eq!(deadline(&app, &admin).await, "2026-12-18");

    for day in ["2026-12-15", "2026-12-16", "2026-12-19"] {
        let cleared = app
            .call(
                Method::DELETE,
                &format!("/api/v1/calendar/days/{day}"),
                Some(&admin),
                None,
            )
            .await;
        assert_eq!(cleared.status, StatusCode::NO_CONTENT);
    }
    assert_eq!(deadline(&app, &admin).await, "2026-12-16");

    for (path, body, code) in [
        (
            "/api/v1/calendar/days/2026-02-30",
            json!({"kind": "holiday"}),
            "invalid_date",
        ),
        (
            "/api/v1/calendar/days/2026-12-15",
            json!({"kind": "sometimes"}),
            "invalid_json",
        ),
    ] {
        let answer = app.call(Method::PUT, path, Some(&admin), Some(&body)).await;
        assert_eq!(answer.status.as_u16() / 100, 4, "{path}: {}", answer.text);
        assert_eq!(answer.json()["error"]["code"], code, "{}", answer.text);
    }
    let missing = app
        .call(
            Method::DELETE,
            "/api/v1/calendar/days/2026-12-15",
            Some(&admin),
            None,
        )
        .await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
}

async fn an_ad_hoc_report_is_made_for_dates_of_its_own(app: TestApp) {
    // An ad hoc request: the monthly form, reported for a round of explicit dates, due three
    // days after the round ends.
    publish_edited(&app, "BC-KTXH-T", "BC-DOTXUAT", |content| {
        content.kind = baocao_domain::regime::RegimeKind::AdHoc;
        content.frequency = None;
        content.cutoff = Some(baocao_domain::regime::CutoffRule::Calendar);
        content.deadline = Some(DeadlineRule::DaysAfterCutoff {
            days: 3,
            working_days: false,
        });
    })
    .await;

    let hanoi = app.login("hanoi").await;
    let slot = "/api/v1/reports/BC-DOTXUAT/01/20261101_20261115";
    let view = app.get(slot, &hanoi).await;
    assert_eq!(view.status, StatusCode::OK, "{}", view.text);
    let view = view.json();
    assert_eq!(
        (
            &view["period"],
            &view["cutoff_start"],
            &view["cutoff_end"],
            &view["deadline"]
        ),
        (
            &json!("20261101_20261115"),
            &json!("2026-11-01"),
            &json!("2026-11-15"),
            &json!("2026-11-18")
        )
    );
    let saved = app
        .call(
            Method::PUT,
            &format!("{slot}/draft"),
            Some(&hanoi),
            Some(&json!({"version": 0, "values": monthly_values()})),
        )
        .await;
    assert_eq!(saved.status, StatusCode::OK, "{}", saved.text);
    // A calendar period is not a round of an ad hoc report; a round must be real dates.
    let monthly = app
        .get("/api/v1/reports/BC-DOTXUAT/01/202611", &hanoi)
        .await;
    assert_eq!(monthly.status, StatusCode::NOT_FOUND, "no such report");
    assert_eq!(monthly.json()["error"]["code"], "period_frequency_mismatch");
    let backwards = app
        .get("/api/v1/reports/BC-DOTXUAT/01/20261115_20261101", &hanoi)
        .await;
    assert_eq!(backwards.json()["error"]["code"], "invalid_period");
    // And a periodic regime refuses a round.
    let round = app
        .get("/api/v1/reports/BC-KTXH-T/01/20261101_20261115", &hanoi)
        .await;
    assert_eq!(round.json()["error"]["code"], "period_frequency_mismatch");
    let period = app
        .get("/api/v1/periods/dated/20261101_20261115", &hanoi)
        .await
        .json();
    assert_eq!(
        (&period["start"], &period["end"], &period["cutoff_end"]),
        (
            &json!("2026-11-01"),
            &json!("2026-11-15"),
            &json!("2026-11-15")
        )
    );
}

async fn deadline(app: &TestApp, token: &str) -> Value {
    app.get("/api/v1/regimes/BC-NGAY-Q/periods/2026Q4", token)
        .await
        .json()["deadline"]
        .clone()
}

app_tests!(
    the_schedule_lists_expected_reports_with_windows_deadlines_and_status,
    the_schedule_refuses_bad_ranges_and_strangers,
    a_deadline_at_a_time_of_day_is_missed_one_minute_after,
    the_holiday_calendar_is_configured_and_moves_working_day_deadlines,
    an_ad_hoc_report_is_made_for_dates_of_its_own,
);
