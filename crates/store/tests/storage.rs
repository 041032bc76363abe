//! The storage suite: every case runs on SQLite and on PostgreSQL (`sqlite::NAME`,
//! `postgres::NAME`), each on a fresh database.

use baocao_domain::agency::{
    Agency, AgencyCode, AgencyDirectory, AgencyKind, AgencyLevel, AgencyState, Succession,
    SuccessionKind, Validity,
};
use baocao_domain::indicator::{
    Aggregation, Category, CategoryOption, Indicator, IndicatorCode, ValueType,
};
use baocao_domain::period::PeriodId;
use baocao_domain::regime::{Regime, RegimeCode, RegimeContent, RegimeStatus};
use baocao_domain::user::{Role, RoleGrant, Username};
use baocao_domain::value::{Channel, DataValue, OptionCombo, Value};
use baocao_store::agencies::AgencyFilter;
use baocao_store::credentials::{hash_password, new_secret};
use baocao_store::users::{NewUser, TokenKind};
use baocao_store::{Store, StoreError};
use baocao_test_support::both_backends;
use jiff::civil::{Date, date};

const NOW: &str = "2026-11-26T08:00:00Z";

fn code(c: &str) -> AgencyCode {
    AgencyCode::new(c).unwrap()
}

fn state(
    name: &str,
    kind: AgencyKind,
    parent: Option<&str>,
    from: Option<Date>,
    to: Option<Date>,
) -> AgencyState {
    AgencyState {
        name_vi: name.into(),
        name_en: name.into(),
        kind,
        parent: parent.map(code),
        validity: Validity::new(from, to).unwrap(),
    }
}

/// VN; VPCP; old TP. HCM and Bình Dương until 30 June 2025; new TP. HCM from 1 July 2025 with
/// one ward; Huế renamed on 1 January 2025.
async fn small_country(store: &Store) {
    let june = Some(date(2025, 6, 30));
    let july = Some(date(2025, 7, 1));
    let mut hue = Agency::new(
        code("46"),
        state(
            "Tỉnh Thừa Thiên Huế",
            AgencyKind::Province,
            Some("VN"),
            None,
            None,
        ),
    )
    .unwrap();
    hue.change_on(date(2025, 1, 1), |s| {
        s.kind = AgencyKind::City;
        s.name_vi = "Thành phố Huế".into();
    })
    .unwrap();
    let directory = AgencyDirectory::new(vec![
        Agency::new(
            code("VN"),
            state("Chính phủ", AgencyKind::Government, None, None, None),
        )
        .unwrap(),
        Agency::new(
            code("VPCP"),
            state(
                "Văn phòng Chính phủ",
                AgencyKind::MinisterialAgency,
                Some("VN"),
                None,
                None,
            ),
        )
        .unwrap(),
        Agency::new(
            code("79"),
            state(
                "TP. Hồ Chí Minh (cũ)",
                AgencyKind::City,
                Some("VN"),
                None,
                june,
            ),
        )
        .unwrap(),
        Agency::new(
            code("74"),
            state(
                "Tỉnh Bình Dương",
                AgencyKind::Province,
                Some("VN"),
                None,
                june,
            ),
        )
        .unwrap(),
        Agency::new(
            code("79"),
            state(
                "Thành phố Hồ Chí Minh",
                AgencyKind::City,
                Some("VN"),
                july,
                None,
            ),
        )
        .unwrap(),
        Agency::new(
            code("26734"),
            state(
                "Phường Sài Gòn",
                AgencyKind::Commune,
                Some("79"),
                july,
                None,
            ),
        )
        .unwrap(),
        hue,
    ])
    .unwrap();
    let successions = ["79", "74"]
        .map(|p| Succession {
            date: date(2025, 7, 1),
            predecessor: code(p),
            successor: code("79"),
            kind: SuccessionKind::Merge,
        })
        .to_vec();
    store
        .insert_agencies(
            &directory,
            &successions,
            &baocao_test_support::by_system("2026-01-01T00:00:00Z"),
        )
        .await
        .unwrap();
}

fn indicator(code: &str, disaggregation: &[&str]) -> Indicator {
    Indicator::new(
        IndicatorCode::new(code).unwrap(),
        format!("Chỉ tiêu {code}"),
        format!("Indicator {code}"),
        "người".into(),
        "persons".into(),
        ValueType::Decimal,
        Aggregation::Sum,
        None,
        disaggregation.iter().map(|c| c.to_string()).collect(),
        "Nhóm".into(),
        String::new(),
    )
    .unwrap()
}

async fn catalogue(store: &Store) {
    let sex = Category::new(
        "sex".into(),
        "Giới tính".into(),
        "Sex".into(),
        ["male", "female"]
            .map(|o| CategoryOption {
                code: o.into(),
                name_vi: o.into(),
                name_en: o.into(),
            })
            .to_vec(),
    )
    .unwrap();
    store
        .insert_categories(
            &[sex],
            &baocao_test_support::by_system("2026-01-01T00:00:00Z"),
        )
        .await
        .unwrap();
    store
        .insert_indicators(
            &[indicator("XH01", &["sex"]), indicator("KT04", &[])],
            &baocao_test_support::by_system("2026-01-01T00:00:00Z"),
        )
        .await
        .unwrap();
}

async fn migrations_apply_twice_without_change(store: Store) {
    store.migrate().await.unwrap();
    assert!(store.is_empty().await.unwrap());
    assert!(store.ping().await);
}

async fn a_database_from_a_newer_baocao_is_refused(store: Store) {
    // Pretend a newer binary applied a migration this one does not know.
    let checksum = match store.backend() {
        baocao_store::Backend::Sqlite => "X'00'",
        baocao_store::Backend::Postgres => "'\\x00'::bytea",
    };
    let raw = format!(
        "INSERT INTO _sqlx_migrations (version, description, installed_on, success, checksum, execution_time)
         VALUES (99990101000000, 'from the future', CURRENT_TIMESTAMP, TRUE, {checksum}, 0)"
    );
    store.execute_for_tests(&raw).await.unwrap();
    assert!(matches!(
        store.migrate().await,
        Err(StoreError::NewerSchema {
            version: 99990101000000
        })
    ));
}

async fn the_hierarchy_answers_as_of_any_date(store: Store) {
    small_country(&store).await;
    let all = AgencyFilter::default();
    let codes = |agencies: Vec<baocao_store::agencies::AgencyRecord>| {
        agencies
            .into_iter()
            .map(|a| a.code.to_string())
            .collect::<Vec<_>>()
    };
    assert_eq!(
        codes(store.agencies_as_of(date(2025, 6, 30), &all).await.unwrap()),
        ["46", "74", "79", "VN", "VPCP"]
    );
    assert_eq!(
        codes(store.agencies_as_of(date(2025, 7, 1), &all).await.unwrap()),
        ["26734", "46", "79", "VN", "VPCP"]
    );

    let old = store
        .agency_as_of(&code("79"), date(2025, 6, 30))
        .await
        .unwrap()
        .unwrap();
    let new = store
        .agency_as_of(&code("79"), date(2025, 7, 1))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (old.name_vi.as_str(), old.valid_to),
        ("TP. Hồ Chí Minh (cũ)", Some(date(2025, 6, 30)))
    );
    assert_eq!(
        (new.name_vi.as_str(), new.valid_from),
        ("Thành phố Hồ Chí Minh", Some(date(2025, 7, 1)))
    );

    let hue = |d| {
        let store = store.clone();
        async move { store.agency_as_of(&code("46"), d).await.unwrap().unwrap() }
    };
    assert_eq!(hue(date(2024, 12, 31)).await.kind, AgencyKind::Province);
    assert_eq!(hue(date(2025, 1, 1)).await.kind, AgencyKind::City);
    assert_eq!(hue(date(2025, 1, 1)).await.name_vi, "Thành phố Huế");

    let provinces = AgencyFilter {
        level: Some(AgencyLevel::Province),
        ..Default::default()
    };
    assert_eq!(
        store
            .agencies_as_of(date(2025, 6, 30), &provinces)
            .await
            .unwrap()
            .len(),
        3
    );
    let under_hcm = AgencyFilter {
        parent: Some(code("79")),
        ..Default::default()
    };
    assert_eq!(
        codes(
            store
                .agencies_as_of(date(2026, 1, 1), &under_hcm)
                .await
                .unwrap()
        ),
        ["26734"]
    );
    let search = AgencyFilter {
        query: Some("SAI GON".into()),
        ..Default::default()
    };
    assert_eq!(
        codes(
            store
                .agencies_as_of(date(2026, 1, 1), &search)
                .await
                .unwrap()
        ),
        ["26734"]
    );

    assert_eq!(
        store
            .lineage(&code("26734"), date(2026, 1, 1))
            .await
            .unwrap(),
        [code("26734"), code("79"), code("VN")]
    );
    assert!(
        store
            .lineage(&code("74"), date(2026, 1, 1))
            .await
            .unwrap()
            .is_empty()
    );
}

fn regime_content(code: &str) -> RegimeContent {
    serde_json::from_value(serde_json::json!({
        "code": code,
        "name": "Báo cáo thử nghiệm",
        "kind": "periodic",
        "legal_basis": {"document": "Thông tư thử", "issuer": "Bộ Tài chính", "date": "2025-05-01"},
        "content_requirements": "Dân số",
        "reporting_agencies": {"description_vi": "Các tỉnh", "selector": {"kind": "levels", "levels": ["province"]}},
        "receiving_agency": {"kind": "agency", "code": "VPCP"},
        "methods": ["reporting_system"],
        "deadline": {"kind": "day_of_month", "day": 15, "months_after_period_end": 1},
        "frequency": "yearly",
        "cutoff": {"kind": "decree09"},
        "outline": [{"heading_vi": "I. Dân số"}],
        "forms": [{"code": "Biểu 01/DS", "title_vi": "Dân số", "values": "compiled_total", "columns": ["this_period"], "rows": [{"indicator": "XH01"}]}]
    }))
    .unwrap()
}

async fn regimes_round_trip_and_codes_are_unique(store: Store) {
    let published = Regime::draft(regime_content("BC-DS-N"))
        .unwrap()
        .publish(date(2026, 1, 1))
        .unwrap();
    store
        .create_regime(&published, &baocao_test_support::by_system(NOW))
        .await
        .unwrap();
    let mut incomplete = regime_content("BC-THIEU-N");
    incomplete.cutoff = None;
    store
        .create_regime(
            &Regime::draft(incomplete).unwrap(),
            &baocao_test_support::by_system(NOW),
        )
        .await
        .unwrap();

    let read = store
        .regime(&RegimeCode::new("BC-DS-N").unwrap())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(read, published);
    let draft = store
        .regime(&RegimeCode::new("BC-THIEU-N").unwrap())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(draft.status(), RegimeStatus::Draft);
    assert_eq!(
        draft.content().missing_elements(),
        [baocao_domain::regime::Element::Cutoff]
    );

    let again = store
        .create_regime(&published, &baocao_test_support::by_system(NOW))
        .await;
    assert!(matches!(again, Err(StoreError::Conflict(_))), "{again:?}");
    assert_eq!(store.regimes(None).await.unwrap().len(), 2);
    assert_eq!(store.regimes(Some("thu nghiem")).await.unwrap().len(), 2);
    assert_eq!(store.regimes(Some("BC-DS")).await.unwrap().len(), 1);
    assert!(
        store
            .regime(&RegimeCode::new("BC-KHONG").unwrap())
            .await
            .unwrap()
            .is_none()
    );
}

fn new_user(name: &str, agency: &str, hash: &str) -> NewUser {
    NewUser {
        username: Username::new(name).unwrap(),
        password_hash: hash.into(),
        full_name: name.into(),
        position: None,
        email: None,
        agency: code(agency),
        grants: vec![RoleGrant {
            role: Role::Reporter,
            agency: code(agency),
            subtree: false,
        }],
    }
}

async fn users_are_created_all_or_nothing(store: Store) {
    small_country(&store).await;
    let hash = hash_password("demo").unwrap();
    let today = date(2026, 11, 26);
    store
        .create_users(
            &[new_user("hcm", "79", &hash)],
            today,
            &baocao_test_support::by_system(NOW),
        )
        .await
        .unwrap();
    // The second user of this batch clashes: the first must not be written either.
    let clash = store
        .create_users(
            &[new_user("hue", "46", &hash), new_user("hcm", "79", &hash)],
            today,
            &baocao_test_support::by_system(NOW),
        )
        .await;
    assert!(matches!(clash, Err(StoreError::Conflict(_))), "{clash:?}");
    assert!(store.login_record("hue").await.unwrap().is_none());
    // A user of an agency that no longer exists cannot be created.
    assert!(matches!(
        store
            .create_users(
                &[new_user("binhduong", "74", &hash)],
                today,
                &baocao_test_support::by_system(NOW)
            )
            .await,
        Err(StoreError::NotFound(_))
    ));

    let users = store.users_of(&code("79")).await.unwrap();
    assert_eq!(users.len(), 1);
    assert_eq!(
        users[0].grants,
        [RoleGrant {
            role: Role::Reporter,
            agency: code("79"),
            subtree: false
        }]
    );
}

async fn tokens_resolve_until_they_expire_or_are_deleted(store: Store) {
    small_country(&store).await;
    let hash = hash_password("demo").unwrap();
    store
        .create_users(
            &[new_user("hcm", "79", &hash)],
            date(2026, 11, 26),
            &baocao_test_support::by_system(NOW),
        )
        .await
        .unwrap();
    let (user_id, stored_hash) = store.login_record("hcm").await.unwrap().unwrap();
    assert_eq!(stored_hash, hash);

    let secret = new_secret();
    store
        .create_token(
            user_id,
            TokenKind::Session,
            &secret,
            Some("csrf-1"),
            &baocao_test_support::by_system(NOW),
            "2026-11-26T16:00:00Z",
        )
        .await
        .unwrap();
    let (principal, csrf) = store
        .resolve_token(TokenKind::Session, &secret, "2026-11-26T09:00:00Z")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (
            principal.username.as_str(),
            principal.agency.as_str(),
            csrf.as_deref()
        ),
        ("hcm", "79", Some("csrf-1"))
    );
    // The use is recorded to the minute: again within it writes nothing, the next one does.
    store
        .resolve_token(TokenKind::Session, &secret, "2026-11-26T09:00:40Z")
        .await
        .unwrap()
        .unwrap();
    let used = |store: &Store| {
        let store = store.clone();
        async move {
            store
                .tokens_of(user_id, "2026-11-26T09:00:00Z")
                .await
                .unwrap()[0]
                .last_used_at
                .clone()
        }
    };
    assert_eq!(used(&store).await.as_deref(), Some("2026-11-26T09:00:00Z"));
    store
        .resolve_token(TokenKind::Session, &secret, "2026-11-26T09:01:05Z")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(used(&store).await.as_deref(), Some("2026-11-26T09:01:05Z"));
    // The wrong kind, a later time, a deleted token: nothing.
    assert!(
        store
            .resolve_token(TokenKind::Api, &secret, "2026-11-26T09:00:00Z")
            .await
            .unwrap()
            .is_none()
    );
    assert!(
        store
            .resolve_token(TokenKind::Session, &secret, "2026-11-26T16:00:01Z")
            .await
            .unwrap()
            .is_none()
    );
    store
        .delete_token(
            &secret,
            &baocao_test_support::by_system("2026-01-01T00:00:00Z"),
        )
        .await
        .unwrap();
    assert!(
        store
            .resolve_token(TokenKind::Session, &secret, "2026-11-26T09:00:00Z")
            .await
            .unwrap()
            .is_none()
    );
}

fn value(
    indicator: &str,
    options: &[(&str, &str)],
    agency: &str,
    period: &str,
    number: f64,
) -> DataValue {
    DataValue {
        indicator: IndicatorCode::new(indicator).unwrap(),
        options: OptionCombo::from_stored(
            options
                .iter()
                .map(|(c, o)| (c.to_string(), o.to_string()))
                .collect(),
        ),
        agency: code(agency),
        period: PeriodId::parse(period).unwrap(),
        value: Value::Number(number),
        channel: Channel::Web,
        source: "regime:BC-TEST".into(),
    }
}

async fn values_are_upserted_and_read_back_per_agency_and_period(store: Store) {
    small_country(&store).await;
    catalogue(&store).await;
    let period = PeriodId::parse("2025").unwrap();
    store
        .upsert_values(
            &[
                value("XH01", &[("sex", "female")], "79", "2025", 5123.4),
                value("XH01", &[("sex", "male")], "79", "2025", 4987.1),
                value("KT04", &[], "79", "2025", 60123.4),
            ],
            NOW,
        )
        .await
        .unwrap();
    store
        .upsert_values(&[value("KT04", &[], "79", "2025", 60200.0)], NOW)
        .await
        .unwrap();
    let read = store.values_of(&code("79"), period).await.unwrap();
    let flat: Vec<(String, String, f64)> = read
        .iter()
        .map(|v| {
            (
                v.indicator.to_string(),
                v.options.key(),
                v.value.as_number().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        flat,
        [
            ("KT04".to_string(), String::new(), 60200.0),
            ("XH01".to_string(), "sex=female".to_string(), 5123.4),
            ("XH01".to_string(), "sex=male".to_string(), 4987.1),
        ]
    );
    // 2024 data of "79" belongs to the old city, not the new one.
    store
        .upsert_values(&[value("KT04", &[], "79", "2024", 1.0)], NOW)
        .await
        .unwrap();
    assert_eq!(
        store
            .values_of(&code("79"), PeriodId::parse("2024").unwrap())
            .await
            .unwrap()
            .len(),
        1
    );
    assert_eq!(store.values_of(&code("79"), period).await.unwrap().len(), 3);

    // One bad value (an unknown indicator) rejects the whole batch.
    let batch = [
        value("KT04", &[], "79", "2025", 1.0),
        value("XX99", &[], "79", "2025", 2.0),
    ];
    assert!(matches!(
        store.upsert_values(&batch, NOW).await,
        Err(StoreError::NotFound(_))
    ));
    assert_eq!(
        store.values_of(&code("79"), period).await.unwrap()[0].value,
        Value::Number(60200.0)
    );

    // Codes that exist (read before the transaction) and codes never seen (a new period, a
    // new combination, made inside it) in one write.
    store
        .upsert_values(
            &[
                value("KT04", &[], "79", "2025", 60300.0),
                value("XH01", &[("sex", "female")], "79", "2031", 7.0),
                value("XH01", &[("sex", "other")], "79", "2031", 8.0),
            ],
            NOW,
        )
        .await
        .unwrap();
    assert_eq!(
        store.values_of(&code("79"), period).await.unwrap()[0].value,
        Value::Number(60300.0)
    );
    let new_period = store
        .values_of(&code("79"), PeriodId::parse("2031").unwrap())
        .await
        .unwrap();
    let mut cells: Vec<(String, f64)> = new_period
        .iter()
        .map(|v| (v.options.key(), v.value.as_number().unwrap()))
        .collect();
    cells.sort_by(|a, b| a.0.cmp(&b.0));
    assert_eq!(
        cells,
        [
            ("sex=female".to_string(), 7.0),
            ("sex=other".to_string(), 8.0)
        ]
    );
}

/// Cached aggregates live as long as their periods' counters: every write of a period's data,
/// however many run at once, must raise its counter, and folding the appended changes into
/// the periods' rows must leave every counter where it was.
async fn every_change_of_a_period_raises_its_counter_and_folding_keeps_it(store: Store) {
    small_country(&store).await;
    catalogue(&store).await;
    let year = |c: Vec<(String, i64)>| c.into_iter().find(|(p, _)| p == "2025").map(|(_, g)| g);
    // Read alone, and with the other counters (as a report's request reads them): the same.
    let counter = |store: Store| async move {
        let span = (date(2025, 1, 1), date(2025, 12, 31));
        let alone = store.period_generations(span.0, span.1).await.unwrap();
        let with_the_others = store
            .generations_with_periods(&[], Some((date(2024, 1, 1), span.1)))
            .await
            .unwrap();
        let mut folded: Vec<(String, i64)> = with_the_others
            .period_counters(span.0, span.1)
            .expect("read over a span that covers it")
            .iter()
            .filter(|(code, _)| code.starts_with("2025"))
            .cloned()
            .collect();
        let mut alone_sorted = alone.clone();
        alone_sorted.sort();
        folded.sort();
        assert_eq!(folded, alone_sorted);
        assert!(
            with_the_others
                .period_counters(date(2023, 1, 1), span.1)
                .is_none()
        );
        year(alone)
    };
    store
        .upsert_values(&[value("KT04", &[], "79", "2025", 0.0)], NOW)
        .await
        .unwrap();
    let before = counter(store.clone()).await.unwrap();

    let mut writers = tokio::task::JoinSet::new();
    for n in 0..20 {
        let store = store.clone();
        writers.spawn(async move {
            store
                .upsert_values(&[value("KT04", &[], "79", "2025", f64::from(n))], NOW)
                .await
                .unwrap();
        });
    }
    while let Some(done) = writers.join_next().await {
        done.unwrap();
    }
    assert_eq!(counter(store.clone()).await, Some(before + 20));

    let folded = store.fold_period_changes().await.unwrap();
    assert_eq!(folded, 21, "every appended change is folded once");
    assert_eq!(counter(store.clone()).await, Some(before + 20));
    assert_eq!(store.fold_period_changes().await.unwrap(), 0);

    store
        .upsert_values(&[value("KT04", &[], "79", "2025", 99.0)], NOW)
        .await
        .unwrap();
    assert_eq!(counter(store.clone()).await, Some(before + 21));
}

/// What is kept in memory under the catalogue's counter must see every write: each write of
/// indicators or categories raises it.
async fn every_catalogue_write_raises_the_catalogue_counter(store: Store) {
    let start = store.catalogue_generation().await.unwrap();
    catalogue(&store).await;
    let after_catalogue = store.catalogue_generation().await.unwrap();
    assert!(
        after_catalogue >= start + 2,
        "categories and indicators: {start} → {after_catalogue}"
    );
    store
        .insert_indicators(
            &[indicator("ZZ01", &[])],
            &baocao_test_support::by_system("2026-01-01T00:00:00Z"),
        )
        .await
        .unwrap();
    let after_insert = store.catalogue_generation().await.unwrap();
    assert_eq!(after_insert, after_catalogue + 1);
    let mut renamed = indicator("ZZ01", &[]);
    renamed.name_vi = "Chỉ tiêu đổi tên".into();
    store
        .import_indicators(
            &[],
            &[renamed],
            &baocao_test_support::by_system("2026-01-01T00:00:00Z"),
        )
        .await
        .unwrap();
    assert_eq!(
        store.catalogue_generation().await.unwrap(),
        after_insert + 1
    );
    // A refused write leaves the counter (and the catalogue) as they were.
    assert!(
        store
            .insert_indicators(
                &[indicator("ZZ01", &[])],
                &baocao_test_support::by_system("2026-01-01T00:00:00Z")
            )
            .await
            .is_err()
    );
    assert_eq!(
        store.catalogue_generation().await.unwrap(),
        after_insert + 1
    );
}

/// Many drafts saved in one call (a push's reports: on SQLite one query for all): each is
/// saved under its own lock, and the answer says which were, in the order asked.
async fn drafts_saved_together_each_keep_their_own_lock(store: Store) {
    use baocao_domain::audit::{Channel as Via, Provenance};
    use baocao_domain::report::ReportContent;
    use baocao_domain::submission::{Circumstances, Rights, SubmissionAction, decide};
    use baocao_store::transaction::DraftWrite;

    small_country(&store).await;
    let published = Regime::draft(regime_content("BC-DS-N"))
        .unwrap()
        .publish(date(2026, 1, 1))
        .unwrap();
    let by = Provenance::system(NOW, Via::System);
    store.create_regime(&published, &by).await.unwrap();
    let regime = store.regime_id(published.code()).await.unwrap();
    let period = PeriodId::parse("2026").unwrap();
    let mut agencies = Vec::new();
    for agency in ["79", "46", "VN"] {
        agencies.push(
            store
                .agency_id(&code(agency), Some(period.end()))
                .await
                .unwrap(),
        );
    }
    let receiver = agencies[2];
    let open = Circumstances {
        published: true,
        locked: false,
        late_refused: false,
    };
    let rights = Rights {
        edit: true,
        submit: true,
        review: false,
    };
    let first = decide(None, SubmissionAction::Save, rights, open).unwrap();
    let again = decide(Some(first.to()), SubmissionAction::Save, rights, open).unwrap();
    let draft = ReportContent::default();
    let write = |agency: i32, save, expected_lock| DraftWrite {
        agency,
        receiving_agency: receiver,
        save,
        expected_lock,
        draft: &draft,
    };

    let mut tx = store.begin(&by).await.unwrap();
    let period_id = tx.period_id(period).await.unwrap();
    let saved = tx
        .save_drafts(
            regime,
            period_id,
            &[write(agencies[0], first, 0), write(agencies[1], first, 0)],
            NOW,
        )
        .await
        .unwrap();
    tx.commit().await.unwrap();
    assert_eq!(saved, [true, true]);

    // The first at its lock, the second at a stale one, a third never saved: saved, refused,
    // saved — and a second first save of an existing report is refused too.
    let mut tx = store.begin(&by).await.unwrap();
    let saved = tx
        .save_drafts(
            regime,
            period_id,
            &[
                write(agencies[0], again, 1),
                write(agencies[1], again, 7),
                write(agencies[2], first, 0),
                write(agencies[0], first, 0),
            ],
            NOW,
        )
        .await
        .unwrap();
    tx.commit().await.unwrap();
    assert_eq!(saved, [true, false, true, false]);

    let mut tx = store.begin(&by).await.unwrap();
    let records = tx.reports(regime, period_id, &agencies).await.unwrap();
    tx.rollback().await.unwrap();
    let locks: Vec<i32> = agencies
        .iter()
        .map(|agency| records[agency].lock_version)
        .collect();
    assert_eq!(locks, [2, 1, 1]);
}

/// Writers at once: some commit, some fail on a statement inside their transaction, some are
/// dropped half-way. On SQLite they share batches (group commit); on both backends exactly
/// the committed writers' rows and audit events are kept, and the chain is whole.
async fn concurrent_writers_keep_exactly_what_was_committed(store: Store) {
    use baocao_domain::audit::{ChainWalk, Channel as Via, Provenance, Record};
    use baocao_store::reports::Event;

    let mut writers = tokio::task::JoinSet::new();
    for n in 0..36u32 {
        let store = store.clone();
        writers.spawn(async move {
            let period = PeriodId::parse(&format!("{}{:02}", 2040 + n / 12, n % 12 + 1)).unwrap();
            let by = Provenance::system(NOW, Via::System);
            let mut tx = store.begin(&by).await.unwrap();
            tx.period_id(period).await.unwrap();
            tx.audit(Record::new(
                &by,
                "test.write",
                format!("writer {n}"),
                None,
                serde_json::json!({ "n": n }),
            ));
            tokio::task::yield_now().await;
            match n % 3 {
                // A statement fails (no such report): refused where it is sent, or (SQLite,
                // where a write nobody waits on runs with the member's commit) at the commit.
                0 => {
                    let event = Event {
                        action: "submit",
                        actor: "x",
                        at: NOW,
                        reason: None,
                    };
                    let refused = match tx.record_event(999_999, &event).await {
                        Err(_) => true,
                        Ok(()) => tx.commit().await.is_err(),
                    };
                    assert!(refused);
                    None
                }
                // Dropped half-way, as a request whose client went away.
                1 => None,
                _ => {
                    tx.commit().await.unwrap();
                    Some((n, period))
                }
            }
        });
    }
    let mut committed = Vec::new();
    while let Some(done) = writers.join_next().await {
        if let Some(kept) = done.unwrap() {
            committed.push(kept);
        }
    }
    assert_eq!(committed.len(), 12);

    let kept: Vec<String> = store
        .period_generations(date(2040, 1, 1), date(2042, 12, 31))
        .await
        .unwrap()
        .into_iter()
        .map(|(code, _)| code)
        .collect();
    let mut expected: Vec<String> = committed.iter().map(|(_, p)| p.to_string()).collect();
    let mut kept_sorted = kept.clone();
    kept_sorted.sort();
    expected.sort();
    assert_eq!(kept_sorted, expected);

    let events = store.audit_events_after(0, 1_000).await.unwrap();
    let mut walk = ChainWalk::new(Vec::new(), &[]);
    for event in &events {
        walk.step(event);
    }
    let (findings, _) = walk.finish();
    assert!(findings.is_empty(), "{findings:?}");
    let mut writers: Vec<String> = events
        .iter()
        .filter(|e| e.record.kind == "test.write")
        .map(|e| e.record.object.clone())
        .collect();
    let mut expected: Vec<String> = committed
        .iter()
        .map(|(n, _)| format!("writer {n}"))
        .collect();
    writers.sort();
    expected.sort();
    assert_eq!(writers, expected);
}

/// The state re-derived in a scratch file — gathered changes flushed in batches, clears
/// applied before the values gathered after them — is the state the domain's in-memory rules
/// derive, change for change; compared with empty tables, every row is named in key order, and
/// past the limit one finding says that more rows differ.
async fn the_state_derived_on_disk_is_the_state_derived_in_memory(store: Store) {
    use baocao_domain::audit::{Finding, State, StateChange};
    use baocao_store::derived::DerivedState;

    let mut seed: u64 = 0x5eed;
    let mut next = |below: u64| {
        seed = seed
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        i32::try_from((seed >> 33) % below).unwrap()
    };
    let mut memory = State::default();
    // Small batches put clears between flushes; large ones put them among gathered values.
    for flush_every in [7, 400] {
        memory = State::default();
        let mut disk = DerivedState::create(&std::env::temp_dir())
            .await
            .unwrap()
            .flushing_every(flush_every);
        for _ in 0..3_000 {
            let (agency, period, source) = (next(4), format!("2026{:02}", next(3) + 1), next(2));
            let source = format!("regime:R{source}");
            let change = match next(40) {
                0 => StateChange::ClearValues {
                    agency,
                    period,
                    source,
                },
                1..=30 => StateChange::PutValue(
                    (
                        agency,
                        period,
                        format!("I{}", next(4)),
                        ["", "F"][next(2) as usize].into(),
                        source,
                    ),
                    serde_json::json!(next(100)),
                ),
                31..=37 => StateChange::SetReport(
                    (next(2), agency, next(3)),
                    ["draft", "submitted", "accepted"][next(3) as usize].into(),
                ),
                _ => StateChange::MoveReport {
                    from: (next(2), agency, next(3)),
                    agency: next(4),
                },
            };
            memory.apply_change(change.clone());
            disk.apply(vec![change]).await.unwrap();
        }
        // The last word on one group: a value, the group cleared, another value.
        let cell = |indicator: &str| {
            (
                0,
                "202601".to_string(),
                indicator.to_string(),
                String::new(),
                "regime:R0".to_string(),
            )
        };
        let last = vec![
            StateChange::PutValue(cell("I0"), serde_json::json!(1)),
            StateChange::ClearValues {
                agency: 0,
                period: "202601".into(),
                source: "regime:R0".into(),
            },
            StateChange::PutValue(cell("I1"), serde_json::json!(2)),
        ];
        for change in &last {
            memory.apply_change(change.clone());
        }
        disk.apply(last).await.unwrap();
        assert!(!memory.values.is_empty() && !memory.reports.is_empty());
        let expected = memory.differences(&State::default());
        let found = store.audit_differences(disk, usize::MAX).await.unwrap();
        assert_eq!(found, expected, "flushing every {flush_every}");
    }
    let expected = memory.differences(&State::default());

    let mut capped = DerivedState::create(&std::env::temp_dir()).await.unwrap();
    let writes = memory
        .values
        .iter()
        .map(|(key, value)| StateChange::PutValue(key.clone(), value.clone()))
        .collect();
    capped.apply(writes).await.unwrap();
    let found = store.audit_differences(capped, 5).await.unwrap();
    assert_eq!(found[..5], expected[..5]);
    assert_eq!(
        found[5],
        Finding::MoreRowsDiffer {
            table: "data_values".into(),
            named: 5
        }
    );
    assert_eq!(found.len(), 6, "{found:?}");
}

both_backends!(
    the_state_derived_on_disk_is_the_state_derived_in_memory,
    drafts_saved_together_each_keep_their_own_lock,
    concurrent_writers_keep_exactly_what_was_committed,
    every_change_of_a_period_raises_its_counter_and_folding_keeps_it,
    every_catalogue_write_raises_the_catalogue_counter,
    migrations_apply_twice_without_change,
    a_database_from_a_newer_baocao_is_refused,
    the_hierarchy_answers_as_of_any_date,
    regimes_round_trip_and_codes_are_unique,
    users_are_created_all_or_nothing,
    tokens_resolve_until_they_expire_or_are_deleted,
    values_are_upserted_and_read_back_per_agency_and_period,
);

#[tokio::test]
async fn a_malformed_or_unreachable_database_is_a_clear_error() {
    assert!(matches!(
        Store::connect("mysql://localhost/x").await,
        Err(StoreError::InvalidUrl { .. })
    ));
    assert!(matches!(
        Store::connect("sqlite://").await,
        Err(StoreError::InvalidUrl { .. })
    ));
    let unreachable = Store::connect("postgres://postgres@127.0.0.1:1/test").await;
    assert!(
        matches!(unreachable, Err(StoreError::Unreachable { .. })),
        "{unreachable:?}"
    );
}
