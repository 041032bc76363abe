//! The server-rendered UI through the real router: login with CSRF, the catalogue pages in
//! Vietnamese and English, logout. (Real-browser tests drive the same pages in Chromium.)

use axum::body::Body;
use axum::http::{Method, Request, StatusCode, header};
use baocao_domain::period::PeriodId;
use baocao_test_support::pages::{
    decode, hidden_input, location, log_in, page, post_form, set_cookie,
};
use baocao_test_support::{TestApp, app_tests, push_as, split_by_mechanism};

async fn the_login_form_is_protected_and_leads_back(app: TestApp) {
    let home = page(&app, "/", "").await;
    assert_eq!(
        (home.status, location(&home)),
        (StatusCode::SEE_OTHER, "/login?next=%2F")
    );

    let login = page(&app, "/login", "").await;
    assert_eq!(login.status, StatusCode::OK);
    assert_eq!(
        login.headers[header::CONTENT_TYPE],
        "text/html; charset=utf-8"
    );
    assert!(login.text.contains("<meta charset=\"utf-8\">") && login.text.contains("Đăng nhập"));
    // The icon a browser asks for, at the address it asks and the one the page names.
    assert!(login.text.contains("href=\"/static/favicon.svg\""));
    for icon in ["/favicon.ico", "/static/favicon.svg"] {
        let answer = page(&app, icon, "").await;
        assert_eq!(answer.status, StatusCode::OK, "{icon}");
        assert_eq!(
            answer.headers[header::CONTENT_TYPE],
            "image/svg+xml",
            "{icon}"
        );
    }
    let csrf_cookie = set_cookie(&login, "baocao_login_csrf").unwrap();
    let csrf = hidden_input(&login.text, "csrf");

    let forged = post_form(
        &app,
        "/login",
        &format!("baocao_login_csrf={csrf_cookie}"),
        "username=hanoi&password=demo&csrf=forged",
    )
    .await;
    assert_eq!(forged.status, StatusCode::FORBIDDEN);
    assert!(
        forged.text.contains("Phiên làm việc không hợp lệ")
            && forged.text.contains("Invalid or expired form token")
    );

    let wrong = post_form(
        &app,
        "/login",
        &format!("baocao_login_csrf={csrf_cookie}"),
        &format!("username=hanoi&password=nope&csrf={csrf}"),
    )
    .await;
    assert_eq!(
        (wrong.status, location(&wrong)),
        (StatusCode::SEE_OTHER, "/login?error=1&next=%2F")
    );
    assert!(
        page(&app, "/login?error=1", "")
            .await
            .text
            .contains("Tên đăng nhập hoặc mật khẩu không đúng.")
    );

    let evil = post_form(
        &app,
        "/login",
        &format!("baocao_login_csrf={csrf_cookie}"),
        &format!("username=hanoi&password=demo&csrf={csrf}&next=%2F%2Fevil.example"),
    )
    .await;
    assert_eq!(
        location(&evil),
        "/",
        "never redirect off the site after login"
    );
}

async fn the_regime_page_shows_the_ten_elements_in_vietnamese_and_english(app: TestApp) {
    let session = log_in(&app, "hanoi").await;
    let vietnamese = page(&app, "/regimes/BC-KTXH-T", &session).await;
    assert_eq!(vietnamese.status, StatusCode::OK);
    for label in [
        "1. Tên báo cáo",
        "2. Nội dung yêu cầu báo cáo",
        "3. Đối tượng thực hiện báo cáo",
        "4. Cơ quan nhận báo cáo",
        "5. Phương thức gửi, nhận báo cáo",
        "6. Thời hạn gửi báo cáo",
        "7. Tần suất thực hiện báo cáo",
        "8. Thời gian chốt số liệu báo cáo",
        "9. Mẫu đề cương báo cáo",
        "10. Biểu mẫu số liệu báo cáo",
        "Ngày 20 của tháng cuối kỳ báo cáo",
        "Văn phòng Chính phủ (VPCP)",
        "Hằng tháng",
        "Đủ 10 thành phần",
        "Chỉ số sản xuất công nghiệp",
    ] {
        assert!(
            vietnamese.text.contains(label),
            "the regime page lacks {label:?}"
        );
    }
    assert!(!vietnamese.text.contains("Submission deadline"));

    let switch = page(&app, "/lang/en?next=%2Fregimes%2FBC-KTXH-T", &session).await;
    assert_eq!(location(&switch), "/regimes/BC-KTXH-T");
    let lang = set_cookie(&switch, "baocao_lang").unwrap();
    let english = page(
        &app,
        "/regimes/BC-KTXH-T",
        &format!("{session}; baocao_lang={lang}"),
    )
    .await;
    for label in [
        "6. Submission deadline",
        "Day 20 of the period's last month",
        "Monthly report on the socio-economic situation",
    ] {
        assert!(
            english.text.contains(label),
            "the English page lacks {label:?}"
        );
    }

    // In English, the pages that list regimes name them in English too.
    let admin = format!("{}; baocao_lang={lang}", log_in(&app, "admin").await);
    for path in ["/compliance", "/quality", "/regimes/BC-KTXH-T/rules"] {
        let listed = page(&app, path, &admin).await;
        assert_eq!(listed.status, StatusCode::OK, "{path}");
        assert!(
            listed
                .text
                .contains("Monthly report on the socio-economic situation"),
            "{path} names the regime in English"
        );
    }

    let missing = page(&app, "/regimes/BC-KHONG-CO", &session).await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
    assert!(missing.text.contains("Không tìm thấy") && missing.text.contains("not found"));
}

async fn the_agency_tree_and_the_catalogues_follow_the_date_and_the_search(app: TestApp) {
    let session = log_in(&app, "hanoi").await;
    let june = page(&app, "/agencies?as_of=2025-06-30", &session).await;
    assert!(
        june.text.contains("Tỉnh Bình Dương") && june.text.contains("(63)"),
        "63 provinces before the merger"
    );
    let july = page(&app, "/agencies?as_of=2025-07-01", &session).await;
    assert!(!july.text.contains("Tỉnh Bình Dương") && july.text.contains("(34)"));
    assert!(
        july.text.contains("01/07/2025"),
        "dates are dd/mm/yyyy in Vietnamese"
    );
    let hanoi = page(&app, "/agencies?parent=01", &session).await;
    assert!(hanoi.text.contains("Phường Ba Đình") && hanoi.text.contains("Thành phố Hà Nội"));
    // A merged province names what it was formed from; a former one, what it went into
    // (issue 21), each linked as of a day it existed.
    let tuyen_quang = page(&app, "/agencies?parent=08", &session).await;
    let formed = tuyen_quang
        .text
        .split("id=\"successions\"")
        .nth(1)
        .unwrap_or("");
    assert!(
        formed.contains("Hình thành từ")
            && formed.contains("Tỉnh Hà Giang")
            && formed.contains("as_of=2025-06-30")
            && formed.contains("parent=02"),
        "{formed}"
    );
    let ha_giang = page(&app, "/agencies?parent=02&as_of=2025-06-30", &session).await;
    assert!(
        ha_giang.text.contains("Đã sáp nhập vào"),
        "{}",
        ha_giang.text
    );
    assert!(ha_giang.text.contains("as_of=2025-07-01") && ha_giang.text.contains("parent=08"));
    // A code kept through the merger (79): before it, the city went into the new one; the
    // directory says why nothing is listed under it then.
    let old_hcm = page(&app, "/agencies?parent=79&as_of=2025-06-30", &session).await;
    let told = old_hcm
        .text
        .split("id=\"successions\"")
        .nth(1)
        .unwrap_or("");
    assert!(
        told.contains("Đã sáp nhập vào") && !told.contains("Hình thành từ"),
        "{told}"
    );
    assert!(old_hcm.text.contains("id=\"no-agencies\"") && old_hcm.text.contains("01/07/2025"));
    let new_hcm = page(&app, "/agencies?parent=79", &session).await;
    let formed = new_hcm
        .text
        .split("id=\"successions\"")
        .nth(1)
        .unwrap_or("");
    assert!(
        formed.contains("Hình thành từ") && formed.contains("Tỉnh Bình Dương"),
        "{formed}"
    );
    let bad = page(&app, "/agencies?as_of=2025-02-30", &session).await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);

    let regimes = page(&app, "/regimes?q=thuong%20mai", &session).await;
    assert!(regimes.text.contains("BC-TM-T") && !regimes.text.contains("BC-KTXH-T"));
    let indicators = page(&app, "/indicators?q=dan%20so", &session).await;
    assert!(
        indicators.text.contains("Dân số trung bình")
            && indicators.text.contains("Giới tính, Khu vực")
    );
    let home = page(&app, "/", &session).await;
    assert!(home.text.contains("Cán bộ nhập liệu Thành phố Hà Nội"));
}

async fn logging_out_needs_the_session_token_and_ends_the_session(app: TestApp) {
    let session = log_in(&app, "hanoi").await;
    let home = page(&app, "/", &session).await;
    let csrf = hidden_input(&home.text, "csrf");
    let forged = post_form(&app, "/logout", &session, "csrf=forged").await;
    assert_eq!(forged.status, StatusCode::FORBIDDEN);
    assert_eq!(
        page(&app, "/", &session).await.status,
        StatusCode::OK,
        "a forged logout changes nothing"
    );
    let out = post_form(&app, "/logout", &session, &format!("csrf={csrf}")).await;
    assert_eq!(
        (out.status, location(&out)),
        (StatusCode::SEE_OTHER, "/login")
    );
    assert_eq!(
        page(&app, "/", &session).await.status,
        StatusCode::SEE_OTHER
    );
}

async fn the_audit_page_shows_who_changed_what_through_which_channel(app: TestApp) {
    // A logout through the page: an event of the web channel.
    let session = log_in(&app, "hanoi").await;
    let home = page(&app, "/", &session).await;
    assert!(
        !home.text.contains("href=\"/audit\""),
        "a reporter has no audit link"
    );
    let forbidden = page(&app, "/audit", &session).await;
    assert_eq!(forbidden.status, StatusCode::FORBIDDEN);
    let csrf = hidden_input(&home.text, "csrf");
    post_form(&app, "/logout", &session, &format!("csrf={csrf}")).await;

    let admin = log_in(&app, "admin").await;
    let home = page(&app, "/", &admin).await;
    assert!(
        home.text.contains("href=\"/audit\""),
        "an administrator has the link"
    );
    let trail = page(&app, "/audit?kind=token.delete", &admin).await;
    assert_eq!(trail.status, StatusCode::OK, "{}", trail.text);
    assert!(trail.text.contains("Nhật ký kiểm toán"));
    assert_eq!(
        trail.text.matches("<tr id=\"event-").count(),
        1,
        "{}",
        trail.text
    );
    assert!(trail.text.contains("<td>web</td>"), "{}", trail.text);
    assert!(trail.text.contains("token.delete"));
    // When, in Vietnam's time as people write it (the test clock stands at 08:00 UTC).
    assert!(
        trail
            .text
            .contains("<time datetime=\"2026-11-26T08:00:00Z\">15:00 26/11/2026</time>"),
        "{}",
        trail.text
    );
    // A regime's change history is its object.
    let regime = page(&app, "/audit?object=regime+BC-KTXH-T", &admin).await;
    assert!(regime.text.contains("regime.version"), "{}", regime.text);
    assert!(!regime.text.contains("token."), "only that regime's events");

    // The regime's, the agency's and the user's pages link to their part of the trail.
    let link = |text: &str, id: &str| -> Option<String> {
        let at = text.find(&format!("id=\"{id}\""))?;
        let tag = &text[text[..at].rfind('<')?..at];
        let href = tag.split("href=\"").nth(1)?;
        Some(href[..href.find('"')?].replace("&amp;", "&"))
    };
    let mut followed = Vec::new();
    for (from, id, expected) in [
        ("/regimes/BC-KTXH-T", "history-link", "regime.version"),
        ("/agencies?parent=01", "activity-link", "report."),
        ("/users/hanoi/sessions", "actions-link", "token.create"),
    ] {
        let shown = page(&app, from, &admin).await;
        let href = link(&shown.text, id).unwrap_or_else(|| panic!("{from}: no {id}"));
        let trail = page(&app, &href, &admin).await;
        assert_eq!(trail.status, StatusCode::OK, "{href}");
        assert!(trail.text.contains(expected), "{href}: {}", trail.text);
        followed.push(href);
    }
    assert_eq!(
        followed,
        [
            "/audit?object=regime%20BC-KTXH-T",
            "/audit?agency=01",
            "/audit?actor=hanoi"
        ]
    );
    let reporter = log_in(&app, "hanoi").await;
    let regime = page(&app, "/regimes/BC-KTXH-T", &reporter).await;
    assert!(
        link(&regime.text, "history-link").is_none(),
        "no link for a reporter"
    );
}

async fn a_user_sees_and_revokes_their_sessions_and_an_administrator_anyones(app: TestApp) {
    let first = log_in(&app, "hanoi").await;
    let second = log_in(&app, "hanoi").await;
    let listed = page(&app, "/users/hanoi/sessions", &first).await;
    assert_eq!(listed.status, StatusCode::OK);
    assert!(listed.text.contains("Phiên đăng nhập"));
    assert_eq!(
        listed.text.matches("<tr id=\"token-").count(),
        2,
        "{}",
        listed.text
    );
    assert!(
        !listed
            .text
            .contains(first.trim_start_matches("baocao_session="))
    );
    let other = page(&app, "/users/hcm/sessions", &first).await;
    assert_ne!(other.status, StatusCode::OK, "another agency's user");

    // The administrator revokes every session of hanoi: both are logged out.
    let admin = log_in(&app, "admin").await;
    let admin_page = page(&app, "/users/hanoi/sessions", &admin).await;
    assert_eq!(admin_page.status, StatusCode::OK);
    let csrf = hidden_input(&admin_page.text, "csrf");
    let revoked = post_form(
        &app,
        "/users/hanoi/sessions/revoke",
        &admin,
        &format!("csrf={csrf}&id="),
    )
    .await;
    assert_eq!(revoked.status, StatusCode::SEE_OTHER);
    for session in [&first, &second] {
        assert_eq!(page(&app, "/", session).await.status, StatusCode::SEE_OTHER);
    }
}

/// The `name` of the input labelled with `label` (an indicator code) first.
fn name_attr(html: &str, label: &str) -> String {
    let at = html.find(&format!("aria-label=\"{label} ")).unwrap();
    let tag = &html[html[..at].rfind("<input").unwrap()..at];
    let start = tag.find("name=\"").unwrap() + 6;
    tag[start..].split('"').next().unwrap().to_string()
}

const PROCEDURES_PAGE: &str = "/reports/BC-KSTTHC-Q/01/2026Q3";

/// The report page compiles the report from the accepted reports below into its draft and
/// says from whom; a stale page is refused with the reason and compiles nothing.
async fn the_report_page_compiles_from_the_reports_below(app: TestApp) {
    let reporter = log_in(&app, "hanoi").await;
    let form = page(&app, PROCEDURES_PAGE, &reporter).await;
    assert!(decode(&form.text).contains("Tổng hợp từ báo cáo cấp dưới"));
    let csrf = hidden_input(&form.text, "csrf");
    let compiled = post_form(
        &app,
        PROCEDURES_PAGE,
        &reporter,
        &format!("csrf={csrf}&version=0&intent=compile"),
    )
    .await;
    assert_eq!(compiled.status, StatusCode::OK, "{}", compiled.text);
    assert!(
        decode(&compiled.text).contains("Đã tổng hợp và lưu nháp"),
        "{}",
        compiled.text
    );
    assert!(
        page(&app, PROCEDURES_PAGE, &reporter)
            .await
            .text
            .contains("status_draft"),
        "the compiled report is the draft"
    );
    let stale = post_form(
        &app,
        PROCEDURES_PAGE,
        &reporter,
        &format!("csrf={csrf}&version=0&intent=compile"),
    )
    .await;
    assert_eq!(stale.status, StatusCode::CONFLICT, "{}", stale.text);
    assert!(
        decode(&stale.text).contains("đã được người khác sửa"),
        "{}",
        stale.text
    );
}

async fn reporting_in_the_browser_follows_the_same_rules_as_the_api(app: TestApp) {
    let reporter = log_in(&app, "hanoi").await;
    let desk = page(&app, "/reports", &reporter).await;
    assert_eq!(desk.status, StatusCode::OK);
    assert!(
        desk.text.contains("/reports/BC-KSTTHC-Q/01/2026Q4"),
        "the desk lists the current quarter"
    );
    assert!(desk.text.contains(PROCEDURES_PAGE), "and the one before");

    let form = page(&app, PROCEDURES_PAGE, &reporter).await;
    assert_eq!(form.status, StatusCode::OK);
    let csrf = hidden_input(&form.text, "csrf");
    let (hc02, hc03, hc04) = (
        name_attr(&form.text, "HC02"),
        name_attr(&form.text, "HC03"),
        name_attr(&form.text, "HC04"),
    );
    // Pre-fill suggests what the system already holds (here nothing), saving nothing.
    let prefilled = post_form(
        &app,
        PROCEDURES_PAGE,
        &reporter,
        &format!("csrf={csrf}&version=0&intent=prefill"),
    )
    .await;
    assert_eq!(prefilled.status, StatusCode::OK);
    assert!(
        decode(&prefilled.text).contains("Đã điền sẵn 0 ô"),
        "{}",
        prefilled.text
    );
    // A value that is not a number: refused, nothing saved, what was typed is shown again.
    let refused = post_form(
        &app,
        PROCEDURES_PAGE,
        &reporter,
        &format!("csrf={csrf}&version=0&intent=save&{hc02}=10&{hc03}=abc"),
    )
    .await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        refused.text.contains("value=\"abc\""),
        "the typed value is kept on the page"
    );
    assert!(
        page(&app, PROCEDURES_PAGE, &reporter)
            .await
            .text
            .contains("status_not_started"),
        "nothing was saved"
    );

    let saved = post_form(
        &app,
        PROCEDURES_PAGE,
        &reporter,
        &format!("csrf={csrf}&version=0&intent=save&{hc02}=10&{hc03}=8&{hc04}=5"),
    )
    .await;
    assert_eq!(
        (saved.status, location(&saved)),
        (
            StatusCode::SEE_OTHER,
            "/reports/BC-KSTTHC-Q/01/2026Q3?done=save"
        )
    );
    let draft = page(&app, "/reports/BC-KSTTHC-Q/01/2026Q3?done=save", &reporter).await;
    assert!(
        draft.text.contains("id=\"violation-R1\""),
        "the broken rule is shown"
    );
    assert!(draft.text.contains("cell flagged"), "its cells are marked");
    assert!(draft.text.contains("Đã lưu bản nháp"));
    assert!(
        !draft.text.contains("value=\"submit\""),
        "a reporter does not submit"
    );
    // The reporter puts the draft before the approver instead (issue 21).
    let draft_version = hidden_input(&draft.text, "version");
    let ready = post_form(
        &app,
        PROCEDURES_PAGE,
        &reporter,
        &format!("csrf={csrf}&version={draft_version}&intent=ready&{hc02}=10&{hc03}=8&{hc04}=5"),
    )
    .await;
    assert_eq!(
        (ready.status, location(&ready)),
        (
            StatusCode::SEE_OTHER,
            "/reports/BC-KSTTHC-Q/01/2026Q3?done=ready"
        ),
        "{}",
        ready.text
    );
    let told = page(&app, "/reports/BC-KSTTHC-Q/01/2026Q3?done=ready", &reporter).await;
    assert!(told.text.contains("báo lãnh đạo đơn vị"), "{}", told.text);

    let lead = log_in(&app, "hanoi-lead").await;
    // The approver hears of it, and chooses the app only.
    let inbox = page(&app, "/notifications", &lead).await;
    assert!(
        inbox.text.contains("Bản nháp đã sẵn sàng")
            && inbox.text.contains("id=\"email\" name=\"email\" checked"),
        "{}",
        inbox.text
    );
    let inbox_csrf = hidden_input(&inbox.text, "csrf");
    let chosen = post_form(
        &app,
        "/notifications/email",
        &lead,
        &format!("csrf={inbox_csrf}"),
    )
    .await;
    assert_eq!(
        (chosen.status, location(&chosen)),
        (StatusCode::SEE_OTHER, "/notifications?email=saved")
    );
    let inbox = page(&app, "/notifications?email=saved", &lead).await;
    assert!(
        !inbox.text.contains("name=\"email\" checked") && inbox.text.contains("Đã lưu lựa chọn"),
        "{}",
        inbox.text
    );
    let lead_page = page(&app, PROCEDURES_PAGE, &lead).await;
    let lead_csrf = hidden_input(&lead_page.text, "csrf");
    let version = hidden_input(&lead_page.text, "version");
    assert!(lead_page.text.contains("value=\"submit\""));
    let blocked = post_form(
        &app,
        PROCEDURES_PAGE,
        &lead,
        &format!("csrf={lead_csrf}&version={version}&intent=submit"),
    )
    .await;
    assert_eq!(blocked.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        blocked.text.contains("vi phạm quy tắc kiểm tra"),
        "the error says why"
    );
    assert!(blocked.text.contains("status_draft"));

    let forged = post_form(
        &app,
        PROCEDURES_PAGE,
        &lead,
        &format!("csrf=forged&version={version}&intent=submit"),
    )
    .await;
    assert_eq!(forged.status, StatusCode::FORBIDDEN);

    let sent = post_form(
        &app,
        PROCEDURES_PAGE,
        &lead,
        &format!("csrf={lead_csrf}&version={version}&intent=submit&{hc02}=10&{hc03}=8&{hc04}=2"),
    )
    .await;
    assert_eq!(sent.status, StatusCode::SEE_OTHER, "{}", sent.text);
    let submitted = page(&app, PROCEDURES_PAGE, &lead).await;
    assert!(submitted.text.contains("status_submitted"));
    assert!(submitted.text.contains("id=\"versions\""));
    // Each version leads to itself as a document, opened with the session alone.
    let document_link = submitted
        .text
        .split("class=\"document-link\" href=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .expect("a link to the version as a document")
        .to_string();
    assert!(
        document_link.ends_with("/versions/1/document"),
        "{document_link}"
    );
    let document = page(&app, &document_link, &lead).await;
    assert_eq!(document.status, StatusCode::OK, "{}", document.text);
    assert_eq!(document.headers["content-type"], "application/pdf");

    let vpcp = log_in(&app, "vpcp").await;
    let review_desk = page(&app, "/reports", &vpcp).await;
    assert!(review_desk.text.contains("id=\"to-review\""));
    assert!(review_desk.text.contains(PROCEDURES_PAGE));
    let review = page(&app, PROCEDURES_PAGE, &vpcp).await;
    let vpcp_csrf = hidden_input(&review.text, "csrf");
    assert!(
        !review.text.contains("<input name=\"c"),
        "the receiver reads, it does not edit"
    );
    let accepted = post_form(
        &app,
        PROCEDURES_PAGE,
        &vpcp,
        &format!("csrf={vpcp_csrf}&intent=accept"),
    )
    .await;
    assert_eq!(accepted.status, StatusCode::SEE_OTHER, "{}", accepted.text);
    assert!(
        page(&app, PROCEDURES_PAGE, &vpcp)
            .await
            .text
            .contains("status_accepted")
    );
}

/// The desk forgets nothing: every past period still expected is listed as overdue, oldest
/// first, back to the first assignment — not only the current and the previous period — and
/// the home page counts them. Periods accepted long ago are not listed.
async fn the_desk_lists_every_overdue_report_oldest_first(app: TestApp) {
    // The first quarter of 2024 reported and accepted (a few months may be missing, as in the
    // demo); nothing after it.
    let written = app
        .load_history(jiff::civil::date(2024, 3, 31), &["BC-KTXH-T"])
        .await;
    assert!(written > 0);
    let reporter = log_in(&app, "hanoi").await;
    let desk = page(&app, "/reports", &reporter).await;
    assert_eq!(desk.status, StatusCode::OK);
    // Hà Nội's monthly socio-economic reports on the desk, in the order listed.
    let marker = "/reports/BC-KTXH-T/01/";
    let rows: Vec<(PeriodId, String)> = desk
        .text
        .match_indices(marker)
        .map(|(at, _)| {
            let period = PeriodId::parse(&desk.text[at + marker.len()..at + marker.len() + 6])
                .expect("a month");
            let end = desk.text[at..].find("</tr>").expect("a row") + at;
            (period, desk.text[at..end].to_string())
        })
        .collect();
    let listed: Vec<PeriodId> = rows.iter().map(|(p, _)| *p).collect();
    // Oldest first, each month once.
    assert!(listed.windows(2).all(|w| w[0] < w[1]), "{listed:?}");
    // Today is 26 November 2026. A month of the first quarter is listed exactly when it was
    // never accepted; every month since, up to the current one, is listed — the ones before
    // the previous month overdue.
    let hanoi = app.login("hanoi").await;
    let mut month = PeriodId::parse("202401").unwrap();
    let current = PeriodId::parse("202611").unwrap();
    while month <= current {
        let row = rows.iter().find(|(p, _)| *p == month).map(|(_, text)| text);
        if month <= PeriodId::parse("202403").unwrap() {
            let status = app
                .get(&format!("/api/v1/reports/BC-KTXH-T/01/{month}"), &hanoi)
                .await
                .json()["status"]
                .clone();
            assert_eq!(row.is_some(), status != "accepted", "{month}: {status}");
        } else {
            let row = row.unwrap_or_else(|| panic!("{month} is on the desk: {listed:?}"));
            if month < current.previous() {
                assert!(row.contains("slot_overdue"), "{month}: {row}");
            }
        }
        month = month.next();
    }
    assert!(
        !desk.text.contains("/reports/BC-KTXH-T/01/202312"),
        "nothing before the first assignment"
    );
    let overdue = desk.text.matches("<td class=\"slot_overdue\">").count();
    let home = page(&app, "/", &reporter).await;
    assert!(
        home.text
            .contains(&format!("<strong>{overdue}</strong> Quá hạn")),
        "the home page counts what the desk lists ({overdue})"
    );
}

/// A regime split by funding mechanism: the page repeats each row for each mechanism (the
/// period before the split keeps the grid it had), a value's note shows beside it and stays
/// when the value is typed over in the page.
async fn a_regime_split_by_mechanism_shows_each_mechanism_and_the_notes(app: TestApp) {
    let admin = app.login("admin").await;
    split_by_mechanism(&app, &admin).await;
    let hanoi = app.login("hanoi").await;
    let adx = r#"<adx xmlns="urn:ihe:qrph:adx:2015">
        <group dataSet="BC-KSTTHC-Q" mechanism="McDonalds" period="2026-07-01/P3M" orgUnit="01">
            <dataValue dataElement="HC02" value="20"><annotation>Số liệu của dự án</annotation></dataValue>
        </group></adx>"#;
    let pushed = push_as(&app, &hanoi, "", "application/adx+xml", adx).await;
    assert_eq!(pushed.status, StatusCode::OK, "{}", pushed.text);

    let reporter = log_in(&app, "hanoi").await;
    let form = page(&app, PROCEDURES_PAGE, &reporter).await;
    assert_eq!(form.status, StatusCode::OK);
    assert!(
        form.text.contains(r#"class="cell-note""#) && form.text.contains("Số liệu của dự án"),
        "the note is shown beside its value"
    );
    let (pepfar, mcdonalds) = (
        name_attr(&form.text, "HC02 PEPFAR"),
        name_attr(&form.text, "HC02 McDonalds"),
    );
    let before = page(&app, "/reports/BC-KSTTHC-Q/01/2026Q2", &reporter).await;
    assert!(
        !before.text.contains("PEPFAR"),
        "the quarter before the split has no mechanisms"
    );
    let saved = post_form(
        &app,
        PROCEDURES_PAGE,
        &reporter,
        &format!(
            "csrf={}&version={}&intent=save&{pepfar}=10&{mcdonalds}=25",
            hidden_input(&form.text, "csrf"),
            hidden_input(&form.text, "version")
        ),
    )
    .await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER, "{}", saved.text);
    let view = app
        .get("/api/v1/reports/BC-KSTTHC-Q/01/2026Q3", &hanoi)
        .await
        .json();
    let mut hc02: Vec<(String, String, String)> = view["values"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["row"] == "HC02" && c["column"] == "this_period")
        .map(|c| {
            (
                c["options"]["mechanism"]
                    .as_str()
                    .unwrap_or("-")
                    .to_string(),
                c["value"].as_str().unwrap_or_default().to_string(),
                c["comment"].as_str().unwrap_or_default().to_string(),
            )
        })
        .collect();
    hc02.sort();
    assert_eq!(
        hc02,
        [
            ("McDonalds".into(), "25".into(), "Số liệu của dự án".into()),
            ("PEPFAR".into(), "10".into(), String::new()),
        ]
    );
}

async fn the_quality_page_shows_each_report_and_leads_to_it(app: TestApp) {
    let slot = "/api/v1/reports/BC-VBDT-Q/01/2026Q3";
    let (hanoi, lead) = (app.login("hanoi").await, app.login("hanoi-lead").await);
    let values = serde_json::json!({"version": 0, "values": [
        {"form": "Biểu 01/VBĐT", "row": "VB01", "column": "this_period", "options": {}, "value": "100"},
        {"form": "Biểu 01/VBĐT", "row": "VB03", "column": "this_period", "options": {}, "value": "130"}]});
    assert_eq!(
        app.call(
            Method::PUT,
            &format!("{slot}/draft"),
            Some(&hanoi),
            Some(&values)
        )
        .await
        .status,
        StatusCode::OK
    );
    let explained =
        serde_json::json!({"explanations": [{"rule": "R1", "text": "Gồm văn bản nội bộ."}]});
    assert_eq!(
        app.call(
            Method::POST,
            &format!("{slot}/submit"),
            Some(&lead),
            Some(&explained)
        )
        .await
        .status,
        StatusCode::OK
    );

    let session = log_in(&app, "vpcp").await;
    let quality = page(&app, "/quality?regime=BC-VBDT-Q&period=2026Q3", &session).await;
    assert_eq!(quality.status, StatusCode::OK);
    let row_start = quality
        .text
        .find("id=\"quality-01\"")
        .expect("Hà Nội's row");
    let row =
        &quality.text[row_start..row_start + quality.text[row_start..].find("</tr>").unwrap()];
    assert!(
        row.contains("href=\"/reports/BC-VBDT-Q/01/2026Q3\""),
        "{row}"
    );
    assert!(row.contains("2/3"), "two of three cells: {row}");
    assert!(row.contains("đã giải trình: 1"), "{row}");
    assert!(row.contains("gửi muộn"), "{row}");
    assert!(
        quality.text.contains("id=\"quality-79\""),
        "every assigned province is listed"
    );
}

async fn the_rule_editor_points_at_a_mistake_and_evaluates_a_sample(app: TestApp) {
    let session = log_in(&app, "admin").await;
    let editor = page(&app, "/regimes/BC-KSTTHC-Q/rules", &session).await;
    assert_eq!(editor.status, StatusCode::OK);
    let csrf = hidden_input(&editor.text, "csrf");
    let malformed = post_form(
        &app,
        "/regimes/BC-KSTTHC-Q/rules",
        &session,
        &format!("csrf={csrf}&kind=condition&sample=&expression=%5BHC02%5D+%3E%3D+%29+3"),
    )
    .await;
    let text = decode(&malformed.text);
    assert!(text.contains("vị trí 10"), "{text}");
    assert!(
        text.contains(&format!("[HC02] >= ) 3\n{}^", " ".repeat(10))),
        "a caret under the mistake: {text}"
    );
    let sample = post_form(&app, "/regimes/BC-KSTTHC-Q/rules", &session,
        &format!("csrf={csrf}&kind=condition&sample=HC02%3D10%3B+HC03%3D8%3B+HC04%3D5&expression=%5BHC03%5D+%2B+%5BHC04%5D+%3C%3D+%5BHC02%5D")).await;
    let text = decode(&sample.text);
    assert!(
        text.contains("Biểu thức hợp lệ") && text.contains("vi phạm"),
        "{text}"
    );
    let reporter = log_in(&app, "hanoi").await;
    assert_eq!(
        page(&app, "/regimes/BC-KSTTHC-Q/rules", &reporter)
            .await
            .status,
        StatusCode::FORBIDDEN
    );
}

async fn the_compliance_matrix_is_coloured_by_status_and_leads_to_the_reports(app: TestApp) {
    let session = log_in(&app, "lanhdao").await;
    let matrix = page(
        &app,
        "/compliance?regime=BC-KSTTHC-Q&from=2025Q2&to=2025Q3",
        &session,
    )
    .await;
    assert_eq!(matrix.status, StatusCode::OK);
    let text = &matrix.text;
    assert!(
        text.contains("đã gửi báo cáo ít nhất một kỳ"),
        "the summary line"
    );
    let row_start = text
        .find("id=\"compliance-02\"")
        .expect("Hà Giang is listed");
    let row = &text[row_start..row_start + text[row_start..].find("</tr>").unwrap()];
    assert!(row.contains("class=\"slot-overdue\""), "{row}");
    assert!(
        row.contains("href=\"/reports/BC-KSTTHC-Q/02/2025Q2\""),
        "{row}"
    );
    assert!(
        row.contains("class=\"muted\""),
        "not expected after the merger: {row}"
    );
    assert!(
        row.contains("(đến 30/06/2025)"),
        "a former province says so: {row}"
    );
    // Rates in the page's notation: a decimal comma in Vietnamese.
    let totals_start = text.find("id=\"totals\"").expect("the totals line");
    let totals = &text[totals_start..totals_start + text[totals_start..].find("</p>").unwrap()];
    assert!(
        totals.contains(',') && !totals.contains(".0%"),
        "Vietnamese notation: {totals}"
    );
    let defaults = page(&app, "/compliance", &session).await;
    assert_eq!(defaults.status, StatusCode::OK);
    assert!(defaults.text.contains("id=\"compliance\""));
    // Three years of months read a year at a time, with the way to the year before.
    let long = page(
        &app,
        "/compliance?regime=BC-KTXH-T&from=202312&to=202611",
        &session,
    )
    .await;
    assert_eq!(long.status, StatusCode::OK);
    let head = &long.text[long.text.find("<thead>").unwrap()..long.text.find("</thead>").unwrap()];
    assert_eq!(head.matches("<th scope=\"col\">20").count(), 12, "{head}");
    assert!(head.contains(">202512<") && head.contains(">202611<") && !head.contains(">202511<"));
    let pager = long.text.split("class=\"pager\"").nth(1).unwrap_or("");
    let earlier = pager.split("id=\"earlier\"").nth(1).unwrap_or("");
    assert!(
        earlier.contains("regime=BC-KTXH-T")
            && earlier.contains("from=202412")
            && earlier.contains("to=202511"),
        "the year before: {pager}"
    );
    assert!(
        !pager.contains("id=\"later\""),
        "nothing after the current month"
    );
    assert!(long.text.contains("36"), "how many were asked for");
    // A province's reporter sees its own row, not a refusal (issue 21).
    let reporter = log_in(&app, "hanoi").await;
    let own = page(&app, "/compliance", &reporter).await;
    assert_eq!(own.status, StatusCode::OK);
    assert!(!own.text.contains("id=\"compliance-79\""));
}

async fn the_schedule_page_lists_deadlines_and_lets_a_manager_move_a_day_off(app: TestApp) {
    let reporter = log_in(&app, "hanoi").await;
    let schedule = page(&app, "/schedule", &reporter).await;
    assert_eq!(schedule.status, StatusCode::OK);
    let text = &schedule.text;
    let row_start = text
        .find("id=\"schedule-BC-KSTTHC-Q-2026Q4\"")
        .expect("the quarterly report is scheduled");
    let row = &text[row_start..row_start + text[row_start..].find("</tr>").unwrap()];
    assert!(row.contains("class=\"slot-open\""), "{row}");
    assert!(row.contains("2026-12-20"), "{row}");
    assert!(
        row.contains("href=\"/reports/BC-KSTTHC-Q/01/2026Q4\""),
        "{row}"
    );
    assert!(
        !text.contains("id=\"calendar-change\""),
        "a reporter does not change the calendar"
    );
    // The holidays of the range's first year (2026), Hùng Kings' compensatory day included.
    assert!(text.contains("2026-04-27"));
    assert!(text.contains("Nghỉ bù"));

    let admin = log_in(&app, "admin").await;
    let form = page(&app, "/schedule?agency=01", &admin).await;
    assert!(form.text.contains("id=\"calendar-change\""));
    let csrf = hidden_input(&form.text, "csrf");
    let forged = post_form(
        &app,
        "/schedule/calendar",
        &admin,
        "csrf=forged&date=2026-12-31&kind=holiday",
    )
    .await;
    assert_eq!(forged.status, StatusCode::FORBIDDEN);
    let set = post_form(
        &app,
        "/schedule/calendar",
        &admin,
        &format!("csrf={csrf}&date=2026-12-31&kind=holiday&name_vi=Ngh%E1%BB%89+ho%C3%A1n+%C4%91%E1%BB%95i"),
    )
    .await;
    assert_eq!(set.status, StatusCode::SEE_OTHER, "{}", set.text);
    assert_eq!(location(&set), "/schedule?from=2026-01-01#calendar");
    let after = page(
        &app,
        "/schedule?agency=01&from=2026-01-01&to=2026-12-31",
        &admin,
    )
    .await;
    assert!(
        after.text.contains("Nghỉ hoán đổi"),
        "the configured day is listed"
    );
    let calendar = app
        .get(
            "/api/v1/calendar/holidays?year=2026",
            &app.login("admin").await,
        )
        .await
        .json();
    assert_eq!(calendar["changes"][0]["day"], "2026-12-31");
    let cleared = post_form(
        &app,
        "/schedule/calendar",
        &admin,
        &format!("csrf={csrf}&date=2026-12-31&kind=clear"),
    )
    .await;
    assert_eq!(cleared.status, StatusCode::SEE_OTHER);
    assert!(
        !page(
            &app,
            "/schedule?agency=01&from=2026-01-01&to=2026-12-31",
            &admin
        )
        .await
        .text
        .contains("Nghỉ hoán đổi")
    );
}

async fn the_registry_review_shows_problems_issuers_and_duplicates(app: TestApp) {
    let admin = app.login("admin").await;
    let mut regime = app.get("/api/v1/regimes/BC-KSTTHC-Q", &admin).await.json();
    let object = regime.as_object_mut().unwrap();
    object.remove("version");
    object.remove("status");
    regime["code"] = serde_json::json!("BC-THIEU-Q");
    regime["cutoff"] = serde_json::Value::Null;
    let created = app
        .call(Method::POST, "/api/v1/regimes", Some(&admin), Some(&regime))
        .await;
    assert_eq!(created.status, StatusCode::CREATED);
    let session = log_in(&app, "lanhdao").await;
    let review = page(&app, "/registry", &session).await;
    assert_eq!(review.status, StatusCode::OK);
    let text = &review.text;
    let row_start = text
        .find("id=\"standard-BC-THIEU-Q\"")
        .expect("the planted regime is listed");
    let row = &text[row_start..row_start + text[row_start..].find("</tr>").unwrap()];
    assert!(row.contains("Thời gian chốt số liệu"), "{row}");
    // Statuses in the page's language, never the API's codes.
    assert!(!text.contains(">published<") && !text.contains(">draft<"));
    assert!(text.contains(">Đã ban hành<"), "{text}");
    assert!(text.contains("id=\"issuer-table\""));
    // The copy asks for the same six indicators as the original: the pair is listed.
    assert!(text.contains("href=\"/regimes/BC-THIEU-Q\""));
    let duplicates = &text[text.find("id=\"duplicates-table\"").unwrap()..];
    assert!(duplicates.contains("BC-KSTTHC-Q") && duplicates.contains("BC-THIEU-Q"));
    assert!(duplicates.contains("100%"));
}

fn form_body(pairs: &[(&str, &str)]) -> String {
    let encode = |text: &str| -> String {
        text.bytes()
            .map(|b| match b {
                b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' => {
                    (b as char).to_string()
                }
                other => format!("%{other:02X}"),
            })
            .collect()
    };
    pairs
        .iter()
        .map(|(k, v)| format!("{}={}", encode(k), encode(v)))
        .collect::<Vec<_>>()
        .join("&")
}

async fn a_manager_designs_publishes_assigns_and_amends_a_regime_in_the_browser(app: TestApp) {
    let reporter = log_in(&app, "hanoi").await;
    assert_eq!(
        page(&app, "/regimes/new", &reporter).await.status,
        StatusCode::FORBIDDEN
    );
    let session = log_in(&app, "admin").await;
    let blank = page(&app, "/regimes/new", &session).await;
    assert_eq!(blank.status, StatusCode::OK);
    assert!(blank.text.contains("id=\"regime-design\""));
    let csrf = hidden_input(&blank.text, "csrf");
    let mut fields = vec![
        ("csrf", csrf.as_str()),
        ("action", "save"),
        ("code", "BC-THIETKE-T"),
        ("name", "Báo cáo thiết kế thử hằng tháng"),
        ("kind", "periodic"),
        ("legal_document", "Quyết định 01/QĐ-TTg"),
        ("legal_issuer", "Thủ tướng Chính phủ"),
        ("legal_date", "2026-01-01"),
        ("content_requirements", "Doanh thu bán lẻ trong tháng."),
        ("reporting_description", "Ủy ban nhân dân cấp tỉnh"),
        ("reporting_level", "province"),
        ("receiving", "VPCP"),
        ("method", "reporting_system"),
        ("frequency", "monthly"),
        ("cutoff", "decree09"),
        ("deadline_kind", "day_of_month"),
        ("deadline_day", "18"),
        ("deadline_months", "0"),
        ("deadline_time", "17:00"),
        ("late_accepted", "1"),
        ("outline_heading", "I. Tình hình chung"),
        ("outline_guidance", "Nêu khái quát."),
        ("outline_heading", "II. Kiến nghị"),
        ("outline_guidance", ""),
        ("outline_heading", ""),
        ("outline_guidance", ""),
        ("form0_code", "Biểu 01/TK"),
        ("form0_title", "Bán lẻ"),
        ("form0_values", "compiled_total"),
        ("form0_column", "this_period"),
        ("form0_row", "KT04"),
        ("form0_required_KT04", "1"),
        ("form0_min_KT04", "0"),
    ];
    let created = post_form(&app, "/regimes/new", &session, &form_body(&fields)).await;
    assert_eq!(created.status, StatusCode::SEE_OTHER, "{}", created.text);
    assert_eq!(
        location(&created),
        "/regimes/BC-THIETKE-T/design?done=created"
    );
    let admin = app.login("admin").await;
    let regime = app.get("/api/v1/regimes/BC-THIETKE-T", &admin).await.json();
    assert_eq!(regime["status"], "draft");
    assert_eq!(
        regime["missing_elements"],
        serde_json::json!([]),
        "{regime}"
    );
    assert_eq!(regime["deadline"]["day"], 18);
    assert_eq!(regime["deadline_time"], "17:00:00");
    assert_eq!(regime["outline"].as_array().unwrap().len(), 2);
    assert_eq!(
        regime["forms"][0]["rows"][0]["cells"],
        serde_json::json!({"required": true, "min": 0.0})
    );

    let designer = page(&app, "/regimes/BC-THIETKE-T/design?done=created", &session).await;
    assert!(designer.text.contains("id=\"design-notice\""));
    let publish = form_body(&[
        ("csrf", &csrf),
        ("action", "publish"),
        ("effective_from", "2026-01-01"),
    ]);
    let published = post_form(&app, "/regimes/BC-THIETKE-T/design", &session, &publish).await;
    assert_eq!(
        published.status,
        StatusCode::SEE_OTHER,
        "{}",
        published.text
    );
    let assign = form_body(&[
        ("csrf", &csrf),
        ("action", "assign"),
        ("assign_reporting", "01, 79"),
        ("assign_receiving", "VPCP"),
        ("assign_from", "2026-01-01"),
    ]);
    let assigned = post_form(&app, "/regimes/BC-THIETKE-T/design", &session, &assign).await;
    assert_eq!(assigned.status, StatusCode::SEE_OTHER, "{}", assigned.text);
    let hanoi = app.login("hanoi").await;
    let slot = app
        .get("/api/v1/reports/BC-THIETKE-T/01/202611", &hanoi)
        .await;
    assert_eq!(slot.status, StatusCode::OK, "{}", slot.text);
    assert_eq!(
        (&slot.json()["deadline"], &slot.json()["deadline_time"]),
        (
            &serde_json::json!("2026-11-18"),
            &serde_json::json!("17:00")
        )
    );

    // Saving the published regime makes an amendment; a bad number shows the page again.
    for field in fields.iter_mut() {
        if field.0 == "deadline_day" {
            field.1 = "25";
        }
        if field.0 == "form0_min_KT04" {
            field.1 = "không";
        }
    }
    let refused = post_form(
        &app,
        "/regimes/BC-THIETKE-T/design",
        &session,
        &form_body(&fields),
    )
    .await;
    assert_eq!(refused.status, StatusCode::OK);
    let refused_text = decode(&refused.text);
    assert!(refused_text.contains("id=\"design-error\""));
    assert!(
        refused_text.contains("không phải là số hợp lệ"),
        "the reason is told"
    );
    for field in fields.iter_mut() {
        if field.0 == "form0_min_KT04" {
            field.1 = "0";
        }
    }
    let amended = post_form(
        &app,
        "/regimes/BC-THIETKE-T/design",
        &session,
        &form_body(&fields),
    )
    .await;
    assert_eq!(amended.status, StatusCode::SEE_OTHER, "{}", amended.text);
    let versions = app
        .get("/api/v1/regimes/BC-THIETKE-T/versions", &admin)
        .await
        .json();
    let versions = versions.as_array().unwrap();
    assert_eq!(versions.len(), 2);
    assert_eq!(
        (&versions[1]["status"], &versions[1]["deadline"]["day"]),
        (&serde_json::json!("draft"), &serde_json::json!(25))
    );
    let listed = page(&app, "/regimes/BC-THIETKE-T", &session).await;
    assert!(listed.text.contains("id=\"design-link\""));
}

async fn the_api_documentation_is_a_page_that_needs_nothing_from_outside(app: TestApp) {
    let docs = page(&app, "/api/docs", "").await;
    assert_eq!(docs.status, StatusCode::OK);
    let text = &docs.text;
    let document = app.get("/api/v1/openapi.json", "").await.json();
    let mut operations = 0;
    for (path, methods) in document["paths"].as_object().unwrap() {
        for method in methods.as_object().unwrap().keys() {
            operations += 1;
            assert!(
                text.contains(&format!("{} {path}", method.to_uppercase())),
                "{method} {path} is documented"
            );
        }
    }
    assert!(operations > 50);
    // Every body's schema is on the page, its fields with their types.
    let schemas = document["components"]["schemas"].as_object().unwrap();
    for name in schemas.keys() {
        assert!(
            text.contains(&format!("id=\"schema-{name}\"")),
            "{name} is described"
        );
    }
    assert!(
        text.contains("<code>dataValues</code>")
            && text.contains("<code>[DataValueDocument]</code>")
    );
    assert!(
        !text.contains("src=\"http") && !text.contains("href=\"http"),
        "no asset from elsewhere"
    );
}

async fn the_dashboard_draws_cards_a_line_bars_and_the_map(app: TestApp) {
    let value = |agency: &str, period: &str, number: f64| baocao_domain::value::DataValue {
        indicator: baocao_domain::indicator::IndicatorCode::new("KT04").unwrap(),
        options: baocao_domain::value::OptionCombo::TOTAL,
        agency: baocao_domain::agency::AgencyCode::new(agency).unwrap(),
        period: baocao_domain::period::PeriodId::parse(period).unwrap(),
        value: baocao_domain::value::Value::Number(number),
        channel: baocao_domain::value::Channel::Web,
        source: "regime:BC-KTXH-T".into(),
    };
    app.db
        .store
        .upsert_values(
            &[
                value("01", "202610", 60000.0),
                value("79", "202610", 120000.0),
                value("01", "202510", 50000.0),
                value("79", "202510", 100000.0),
            ],
            "2026-11-26T08:00:00Z",
        )
        .await
        .unwrap();
    let session = log_in(&app, "lanhdao").await;
    let dashboard = page(&app, "/dashboard", &session).await;
    assert_eq!(dashboard.status, StatusCode::OK);
    let text = &dashboard.text;
    assert!(
        text.contains("<strong>10/2026</strong>"),
        "the latest month with data"
    );
    assert!(
        text.contains("180.000"),
        "the national figure in Vietnamese notation"
    );
    assert!(text.contains("+20%"), "the change from October 2025");
    assert_eq!(
        text.matches("<path id=\"map-").count(),
        34,
        "every province on the map"
    );
    assert!(
        text.contains("Thành phố Hồ Chí Minh: 120.000"),
        "a province's tooltip"
    );
    assert!(text.contains("id=\"line-chart\"") && text.contains("id=\"bar-chart\""));
    // The map has a legend of its classes and the islands, named; each figure its period,
    // unit and source (issue 21).
    assert!(text.contains("id=\"map-legend\"") && text.contains("60.000 – 60.000"));
    assert!(text.contains("Quần đảo Hoàng Sa") && text.contains("Quần đảo Trường Sa"));
    assert_eq!(
        text.matches("<figcaption").count(),
        3,
        "the line, the bars and the map"
    );
    assert!(
        text.contains("(tỷ đồng) · 10/2026")
            && text.contains("Nguồn: số liệu các báo cáo đã được tiếp nhận"),
        "{text}"
    );
    let other = page(&app, "/dashboard?indicator=KT05", &session).await;
    assert_eq!(other.status, StatusCode::OK);
    assert_eq!(
        page(&app, "/dashboard?indicator=NOPE", &session)
            .await
            .status,
        StatusCode::NOT_FOUND
    );
}

async fn tables_and_the_pivot_explorer_draw_numbers_that_lead_to_their_sources(app: TestApp) {
    let value = |indicator: &str, agency: &str, period: &str, number: f64| {
        baocao_test_support::reported_value(indicator, agency, period, &[], number)
    };
    app.db
        .store
        .upsert_values(
            &[
                value("KT05", "VN", "202609", 40000.5),
                value("KT06", "VN", "202609", 38000.0),
                value("KT05", "01", "202609", 1234.5),
                value("KT04", "01", "202609", 60000.0),
                value("KT04", "79", "202609", 120000.0),
            ],
            "2026-11-26T08:00:00Z",
        )
        .await
        .unwrap();
    let session = log_in(&app, "lanhdao").await;
    let catalogue = page(&app, "/tables", &session).await;
    assert_eq!(catalogue.status, StatusCode::OK);
    assert!(catalogue.text.contains("Thương mại") && catalogue.text.contains("id=\"table-TM-04\""));

    // A line of exports and imports, the national figure reported as a compiled total.
    let table = page(&app, "/tables/TM-04", &session).await;
    assert_eq!(table.status, StatusCode::OK);
    assert!(
        table.text.contains("class=\"chart lines\""),
        "the line chart"
    );
    assert!(
        table.text.contains("40.000,5"),
        "the number in Vietnamese notation"
    );
    assert!(
        decode(&table.text).contains("/analytics/sources?indicator=KT05&agency=VN&period=202609")
    );
    assert!(decode(&table.text).contains("/api/v1/tables/TM-04/export?format=xlsx"));

    // The retail map colours the two provinces with data.
    let map = page(&app, "/tables/TM-01", &session).await;
    assert_eq!(map.text.matches("<path id=\"map-").count(), 34);
    assert!(map.text.contains("Thành phố Hồ Chí Minh: 120.000"));

    // The explorer: provinces down, indicators across, with a total.
    let explorer = page(
        &app,
        "/pivot?indicator=KT04&indicator=KT05&agency=VN&level=province&period=202609&rows=agency&columns=indicator",
        &session,
    )
    .await;
    assert_eq!(explorer.status, StatusCode::OK);
    assert!(explorer.text.contains("id=\"pivot\""));
    assert!(
        !explorer.text.contains("id=\"grand-total\""),
        "two indicators have no total across them"
    );
    assert!(
        explorer.text.contains("180.000"),
        "the provinces' retail total"
    );
    let first_visit = page(&app, "/pivot", &session).await;
    assert_eq!(first_visit.status, StatusCode::OK);
    assert!(
        first_visit.text.contains("selected>KT04"),
        "a first visit shows retail sales"
    );
    let wrong = page(&app, "/pivot?indicator=KT04&period=bad", &session).await;
    assert_eq!(wrong.status, StatusCode::OK);
    assert!(
        wrong.text.contains("id=\"pivot-error\""),
        "a bad question is explained on the page"
    );

    // The national export figure comes from the national report, which the sources show.
    let sources = page(
        &app,
        "/analytics/sources?indicator=KT05&agency=VN&period=202609",
        &session,
    )
    .await;
    assert_eq!(sources.status, StatusCode::OK);
    assert!(decode(&sources.text).contains("href=\"/reports/BC-KTXH-T/VN/202609\""));
    // Named by the regime and the month, as people know them (issue 21).
    let shown = decode(&sources.text);
    assert!(
        shown.contains("Báo cáo tình hình kinh tế - xã hội hằng tháng (BC-KTXH-T)</a>")
            && shown.contains("09/2026")
            && !shown.contains(">regime:"),
        "{shown}"
    );
    assert!(
        !sources.text.contains(">01 —"),
        "a compiled total stands for its provinces"
    );
}

async fn the_connectors_page_shows_runs_and_runs_one_now(app: TestApp) {
    let token = app.login("admin").await;
    // A peer that does not answer: its run fails and says so.
    let spec = serde_json::json!({
        "name": "Hệ thống y tế tỉnh", "url": "http://127.0.0.1:9/data", "format": "csv",
        "every_minutes": 60,
        "mapping": {"indicator": {"value": "KT04"}, "agency": {"field": "tinh"},
                    "period": {"field": "ky"}, "value": {"field": "so"}}
    });
    let saved = app
        .call(
            Method::PUT,
            "/api/v1/connectors/y-te",
            Some(&token),
            Some(&spec),
        )
        .await;
    assert_eq!(saved.status, StatusCode::CREATED, "{}", saved.text);

    let reporter = log_in(&app, "hanoi").await;
    assert!(
        !page(&app, "/", &reporter)
            .await
            .text
            .contains("href=\"/connectors\"")
    );
    assert_eq!(
        page(&app, "/connectors", &reporter).await.status,
        StatusCode::FORBIDDEN
    );

    let admin = log_in(&app, "admin").await;
    let before = page(&app, "/connectors", &admin).await;
    assert_eq!(before.status, StatusCode::OK);
    assert!(
        before.text.contains("href=\"/connectors\""),
        "the administrator's menu leads here"
    );
    assert!(before.text.contains("id=\"connector-y-te\""));
    assert!(before.text.contains("Hệ thống y tế tỉnh"));
    assert!(before.text.contains("Chưa chạy lần nào."));
    let csrf = hidden_input(&before.text, "csrf");
    let forged = post_form(&app, "/connectors/y-te/run", &admin, "csrf=forged").await;
    assert_eq!(forged.status, StatusCode::FORBIDDEN);
    let ran = post_form(
        &app,
        "/connectors/y-te/run",
        &admin,
        &format!("csrf={csrf}"),
    )
    .await;
    assert_eq!(
        (ran.status, location(&ran)),
        (StatusCode::SEE_OTHER, "/connectors#connector-y-te")
    );
    let after = page(&app, "/connectors", &admin).await;
    let row = &after.text[after
        .text
        .find("class=\"run-failed\"")
        .expect("the failed run is listed")..];
    assert!(row.contains("Lỗi"), "{row}");
    assert!(after.text.contains("1 lần lỗi liên tiếp"));
}

/// The API takes the session cookie, so a page's script can call it; a change made with the
/// cookie must carry the session's CSRF token too, which another site's page cannot know.
async fn a_change_through_the_api_with_the_session_cookie_needs_its_csrf_token(app: TestApp) {
    let reporter = log_in(&app, "hanoi").await;
    let page_html = page(&app, "/reports/BC-KTXH-T/01/202611", &reporter).await;
    assert!(
        page_html.text.contains("id=\"workbook-upload\""),
        "the page offers the upload"
    );
    let csrf = hidden_input(&page_html.text, "csrf");
    let save = |token: Option<String>| {
        let mut request = Request::builder()
            .method(Method::PUT)
            .uri("/api/v1/reports/BC-KTXH-T/01/202611/draft")
            .header(header::COOKIE, &reporter)
            .header(header::CONTENT_TYPE, "application/json");
        if let Some(token) = token {
            request = request.header("x-csrf-token", token);
        }
        request
            .body(Body::from(r#"{"version": 0, "values": []}"#))
            .unwrap()
    };
    let forged = app.send(save(None)).await;
    assert_eq!(forged.status, StatusCode::FORBIDDEN);
    assert_eq!(forged.json()["error"]["code"], "csrf_failed");
    let wrong = app.send(save(Some("guess".into()))).await;
    assert_eq!(wrong.status, StatusCode::FORBIDDEN);
    let own = app.send(save(Some(csrf))).await;
    assert_eq!(own.status, StatusCode::OK, "{}", own.text);
    // Reading needs no token.
    let read = page(&app, "/api/v1/reports/BC-KTXH-T/01/202611", &reporter).await;
    assert_eq!(read.status, StatusCode::OK);
}

/// Every link a person is shown opens (issue 21: no link leads to a 403): the menu and the
/// pages it leads to, each indicator table included, for each demo account. The scope that
/// answers decides what is listed: a province's user reads its tables as its own figures.
async fn every_link_shown_to_each_account_opens(app: TestApp) {
    for username in ["hanoi", "hanoi-lead", "vpcp", "lanhdao", "btc", "admin"] {
        let cookies = log_in(&app, username).await;
        let mut seen: Vec<String> = Vec::new();
        let mut waiting = vec!["/".to_string()];
        while let Some(path) = waiting.pop() {
            if seen.contains(&path) {
                continue;
            }
            let answer = page(&app, &path, &cookies).await;
            assert!(
                answer.status.is_success() || answer.status.is_redirection(),
                "{username}: {path} answered {}",
                answer.status
            );
            seen.push(path.clone());
            if !answer.status.is_success() {
                continue;
            }
            // The menu's pages and one step below them (each table), not every report.
            for link in answer.text.split("href=\"").skip(1) {
                let link = link.split(['"', '?', '#']).next().unwrap_or("");
                let listed = link.starts_with('/')
                    && link.matches('/').count() <= 2
                    && !["/static", "/api", "/lang", "/users", "/logout", "/reports/"]
                        .iter()
                        .any(|skip| link.starts_with(skip));
                if listed && !seen.iter().any(|s| s == link) {
                    waiting.push(link.to_string());
                }
            }
        }
        assert!(
            seen.iter().filter(|p| p.starts_with("/tables/")).count() >= 20,
            "{username} reached the tables: {seen:?}"
        );
        let menu = page(&app, "/", &cookies).await.text;
        assert!(menu.contains("href=\"/dashboard\""), "{username}");
    }
}

app_tests!(
    every_link_shown_to_each_account_opens,
    a_user_sees_and_revokes_their_sessions_and_an_administrator_anyones,
    the_audit_page_shows_who_changed_what_through_which_channel,
    a_change_through_the_api_with_the_session_cookie_needs_its_csrf_token,
    the_connectors_page_shows_runs_and_runs_one_now,
    the_login_form_is_protected_and_leads_back,
    the_regime_page_shows_the_ten_elements_in_vietnamese_and_english,
    the_agency_tree_and_the_catalogues_follow_the_date_and_the_search,
    logging_out_needs_the_session_token_and_ends_the_session,
    reporting_in_the_browser_follows_the_same_rules_as_the_api,
    the_report_page_compiles_from_the_reports_below,
    a_regime_split_by_mechanism_shows_each_mechanism_and_the_notes,
    the_desk_lists_every_overdue_report_oldest_first,
    the_quality_page_shows_each_report_and_leads_to_it,
    the_rule_editor_points_at_a_mistake_and_evaluates_a_sample,
    the_compliance_matrix_is_coloured_by_status_and_leads_to_the_reports,
    the_dashboard_draws_cards_a_line_bars_and_the_map,
    the_schedule_page_lists_deadlines_and_lets_a_manager_move_a_day_off,
    the_registry_review_shows_problems_issuers_and_duplicates,
    a_manager_designs_publishes_assigns_and_amends_a_regime_in_the_browser,
    the_api_documentation_is_a_page_that_needs_nothing_from_outside,
    tables_and_the_pivot_explorer_draw_numbers_that_lead_to_their_sources,
);
