//! The UI in a real browser (headless Chromium from Debian's packages, driven by
//! chromedriver): a reporter logs in with the keyboard alone and reads a regime's ten
//! elements, in Vietnamese and then in English; fills and saves a report; uploads a workbook
//! filled offline; and a report goes from draft to accepted.

use baocao_test_support::browser::Browser;
use baocao_test_support::{Backend, TestApp};

const TEN_ELEMENTS: [&str; 10] = [
    "Tên báo cáo",
    "Nội dung yêu cầu báo cáo",
    "Đối tượng thực hiện báo cáo",
    "Cơ quan nhận báo cáo",
    "Phương thức gửi, nhận báo cáo",
    "Thời hạn gửi báo cáo",
    "Tần suất thực hiện báo cáo",
    "Thời gian chốt số liệu báo cáo",
    "Mẫu đề cương báo cáo",
    "Biểu mẫu số liệu báo cáo",
];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reporter_logs_in_by_keyboard_and_reads_a_regime() {
    let Some((browser, app)) = browser_and_demo().await else {
        return;
    };
    let base = app.spawn().await;

    browser.goto(&format!("{base}/regimes/BC-KTXH-T")).await;
    assert!(
        browser.url().await.contains("/login?next="),
        "an anonymous visitor is sent to the login page"
    );
    assert_eq!(
        browser.wait_for_focus("input#username").await,
        "input#username",
        "the login form takes the focus"
    );
    browser.keys("hanoi\u{E004}demo\u{E007}").await; // Tab between the fields, Enter submits
    let url = browser.wait_for_url("/regimes/BC-KTXH-T").await;
    assert!(
        url.ends_with("/regimes/BC-KTXH-T"),
        "after login the reporter is back where they started: {url}"
    );

    let text = browser.text().await;
    for label in TEN_ELEMENTS {
        assert!(text.contains(label), "the page lacks {label:?}");
    }
    for value in [
        "Báo cáo tình hình kinh tế - xã hội hằng tháng",
        "Ngày 20 của tháng cuối kỳ báo cáo",
        "Hằng tháng",
        "Văn phòng Chính phủ (VPCP)",
    ] {
        assert!(text.contains(value), "the page lacks {value:?}");
    }
    let shots = std::path::Path::new(env!("CARGO_TARGET_TMPDIR"));
    browser.screenshot(&shots.join("regime-vi.png")).await;

    browser.click("a[href^='/lang/en']").await;
    browser.wait_for_url("/regimes/BC-KTXH-T").await;
    let english = browser.text().await;
    assert!(
        english.contains("Submission deadline")
            && english.contains("Day 20 of the period's last month"),
        "{english}"
    );
    browser.screenshot(&shots.join("regime-en.png")).await;
    browser.quit().await;
}

/// A reporter fills a form in the browser: a number that breaks a rule is marked, the fix
/// clears it; then the approver submits.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reporter_fills_a_form_and_the_rules_answer() {
    let Some((browser, app)) = browser_and_demo().await else {
        return;
    };
    let base = app.spawn().await;
    let slot = "/reports/BC-KSTTHC-Q/01/2026Q3";
    browser.goto(&format!("{base}{slot}")).await;
    type_credentials(&browser, "hanoi").await;
    browser.wait_for_url(slot).await;

    let cell = |code: &str| format!("input[aria-label^='{code} '][aria-label$='Kỳ báo cáo']");
    browser.type_into(&cell("HC02"), "10").await;
    browser.type_into(&cell("HC03"), "8").await;
    browser.type_into(&cell("HC04"), "5").await;
    browser.click("button[value='save']").await;
    browser.wait_for_url("?done=save").await;
    let text = browser.text().await;
    assert!(text.contains("Đã lưu bản nháp"), "{text}");
    assert!(
        text.contains("R1 · Lỗi"),
        "the broken rule is listed: {text}"
    );
    let shots = std::path::Path::new(env!("CARGO_TARGET_TMPDIR"));
    browser
        .screenshot(&shots.join("report-violation.png"))
        .await;

    // The grid by keyboard, as in a spreadsheet (issue 21): Enter and the down arrow go to the
    // cell below in the same column, the up arrow back; Enter never sends the form.
    let focused_label = "return document.activeElement.getAttribute('aria-label') || '';";
    browser.click(&cell("HC02")).await;
    let start = browser.script(focused_label).await;
    browser.keys("\u{E007}").await;
    let below = browser.script(focused_label).await;
    assert!(
        below != start && below.ends_with("Kỳ báo cáo"),
        "{start} → {below}"
    );
    browser.keys("\u{E013}").await;
    assert_eq!(browser.script(focused_label).await, start, "up goes back");
    browser.keys("\u{E015}").await;
    assert_eq!(browser.script(focused_label).await, below, "down again");
    assert!(
        browser.url().await.ends_with("?done=save"),
        "Enter sent nothing"
    );

    // The page counts what is not yet saved and adds up the disaggregated parts as they come.
    let parts = "tr.part input[aria-label^='HC02 '][aria-label$='Kỳ báo cáo']";
    browser.type_into(parts, "7").await;
    let text = browser.text().await;
    assert!(text.contains("1 thay đổi chưa lưu"), "{text}");
    assert!(
        text.contains("Σ 7"),
        "the parts' sum beside the total: {text}"
    );
    browser.type_into(parts, "\u{E003}").await;
    browser.type_into(&cell("HC04"), "\u{E003}2").await; // Backspace, then the right number
    browser.click("button[value='save']").await;
    // The address already ends with ?done=save from the first save: wait for the new page.
    let mut saved = false;
    for _ in 0..100 {
        if browser
            .text()
            .await
            .contains("Số liệu thỏa mãn mọi quy tắc kiểm tra")
        {
            saved = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert!(saved, "the corrected report satisfies every rule");
    browser.quit().await;
}

/// A refused save marks each refused cell with its reason and never says "saved"; numbers
/// are typed and shown in Vietnamese notation; the tab's title is the report's.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refused_cells_are_marked_and_numbers_read_as_people_write_them() {
    let Some((browser, app)) = browser_and_demo().await else {
        return;
    };
    let base = app.spawn().await;
    let slot = "/reports/BC-KTXH-T/01/202611";
    log_in_at(&browser, &base, slot, "hanoi").await;
    let title = browser.script("return document.title;").await;
    assert_eq!(title, "BC-KTXH-T · 01 · 202611 · baocao", "the tab's title");

    let cell = |code: &str| format!("input[aria-label^='{code} '][aria-label$='Kỳ báo cáo']");
    browser.type_into(&cell("KT04"), "1.234,5").await;
    browser.type_into(&cell("KT05"), "nhiều").await;
    browser.click("button[value='save']").await;
    let mut marked = String::new();
    for _ in 0..50 {
        marked = browser
            .script("return Array.from(document.querySelectorAll('td.cell.refused input')).map(e => e.getAttribute('aria-label') + '|' + e.getAttribute('aria-invalid')).join(';');")
            .await;
        if !marked.is_empty() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert!(
        marked.starts_with("KT05 ") && marked.ends_with("|true") && !marked.contains(';'),
        "only the refused cell is marked, as invalid: {marked}"
    );
    let text = browser.text().await;
    assert!(!text.contains("Mọi thay đổi đã được lưu"), "{text}");
    assert!(text.contains("2 thay đổi chưa lưu"), "{text}");
    let why = browser
        .script("return document.querySelector('td.cell.refused .cell-error').textContent;")
        .await;
    assert!(!why.is_empty(), "the reason beside the cell");

    browser
        .type_into(
            &cell("KT05"),
            "\u{E003}\u{E003}\u{E003}\u{E003}\u{E003}12,5",
        )
        .await;
    browser.click("button[value='save']").await;
    browser.wait_for_url("?done=save").await;
    let shown = browser
        .script(&format!(
            "return [document.querySelector(\"{}\").value, document.querySelector(\"{}\").value].join(' ');",
            cell("KT04"),
            cell("KT05")
        ))
        .await;
    assert_eq!(
        shown, "1.234,5 12,5",
        "stored numbers shown in Vietnamese notation"
    );
    let hanoi = app.login("hanoi").await;
    let stored = app
        .this_period_totals("/api/v1/reports/BC-KTXH-T/01/202611", &hanoi)
        .await;
    assert!(
        stored.contains(&("KT04".to_string(), "1234.5".to_string())),
        "{stored:?}"
    );
    assert!(
        stored.contains(&("KT05".to_string(), "12.5".to_string())),
        "{stored:?}"
    );
    assert!(browser.text().await.contains("Mọi thay đổi đã được lưu"));
    browser.quit().await;
}

/// A browser and the demo on SQLite; `None` where no browser is installed (a test then
/// passes as skipped, unless CI demands the browser, which `Browser::start` enforces).
async fn browser_and_demo() -> Option<(Browser, TestApp)> {
    let browser = Browser::start().await?;
    let app = TestApp::demo(Backend::Sqlite)
        .await
        .expect("SQLite is always there");
    Some((browser, app))
}

async fn log_in_at(browser: &Browser, base: &str, path: &str, user: &str) {
    browser.goto(&format!("{base}{path}")).await;
    if browser.url().await.contains("/login") {
        type_credentials(browser, user).await;
    }
    browser.wait_for_url(path).await;
}

/// Types the demo credentials of `user` on the login page, by keyboard as a person does: the
/// user name into the field that took the focus, Tab, the password, Enter.
async fn type_credentials(browser: &Browser, user: &str) {
    browser.wait_for_focus("input#username").await;
    browser.keys(&format!("{user}\u{E004}demo\u{E007}")).await;
}

/// Waits (up to ten seconds) until the page has an element `css` matches — for what the
/// page's script sets up once it has run.
async fn wait_until(browser: &Browser, css: &str) {
    let probe = format!("return String(document.querySelector(\"{css}\") !== null);");
    for _ in 0..100 {
        if browser.script(&probe).await == "true" {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    panic!("nothing matches {css}");
}

async fn log_out(browser: &Browser) {
    browser.click("form[action='/logout'] button").await;
    browser.wait_for_url("/login").await;
}

/// The whole story of a monthly report, as the people involved see it: Hà Nội's reporter
/// fills and saves it, the leader signs and submits, the Government Office returns it with a
/// reason, the leader corrects and resubmits, the Office accepts it from its desk and reads
/// what changed. A screenshot of each step is kept in the target's tmp folder.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_monthly_report_goes_from_draft_to_accepted() {
    let Some((browser, app)) = browser_and_demo().await else {
        return;
    };
    let base = app.spawn().await;
    let shots = std::path::Path::new(env!("CARGO_TARGET_TMPDIR"));
    let slot = "/reports/BC-KTXH-T/01/202611";
    let cell = |code: &str| format!("input[aria-label^='{code} '][aria-label$='Kỳ báo cáo']");

    // 1. The reporter finds the report on the desk and fills it.
    log_in_at(&browser, &base, "/reports", "hanoi").await;
    browser.click(&format!("a[href='{slot}']")).await;
    browser.wait_for_url(slot).await;
    // The outline is written in the page's own typeface, not a typewriter's.
    let typeface = browser
        .script("return getComputedStyle(document.querySelector('textarea[name=s0]')).fontFamily;")
        .await;
    assert!(!typeface.contains("monospace"), "{typeface}");
    for (code, value) in [
        ("KT03", "107.9"),
        ("KT04", "60123.4"),
        ("KT05", "1790.2"),
        ("KT06", "2388"),
        ("KT07", "103.4"),
        ("KT08", "3999.5"),
        ("KT09", "37000.1"),
        ("KT11", "2650"),
    ] {
        browser.type_into(&cell(code), value).await;
    }
    browser.click("button[value='save']").await;
    browser.wait_for_url("?done=save").await;
    assert!(browser.text().await.contains("Đã lưu bản nháp"));
    browser.screenshot(&shots.join("story-1-saved.png")).await;
    log_out(&browser).await;

    // 2. The leader signs and submits.
    log_in_at(&browser, &base, slot, "hanoi-lead").await;
    // Signing is asked twice: the dialog names the report and warns of the empty outline.
    wait_until(&browser, "button[value='submit'][data-asks]").await;
    browser.click("button[value='submit']").await;
    let asked = browser
        .script("const d = document.getElementById('confirm-submit'); return d.open + '|' + d.textContent.replace(/\\s+/g, ' ');")
        .await;
    let filled = browser
        .script("return String(Array.from(document.querySelectorAll(\"input[name^='c']\")).filter(e => /^c[0-9]+$/.test(e.name) && e.value.trim() !== '').length);")
        .await;
    assert!(
        asked.starts_with("true|")
            && asked.contains("Báo cáo tình hình kinh tế - xã hội hằng tháng")
            && asked.contains(&format!("Số ô đã điền: {filled}."))
            && asked.contains("Các mục đề cương sau còn trống:")
            && asked.contains("V. Nhiệm vụ, giải pháp tháng tới"),
        "{filled}: {asked}"
    );
    browser.click("dialog button[data-cancel]").await;
    assert!(
        browser.url().await.ends_with(slot),
        "cancelled, nothing sent"
    );
    browser.click("button[value='submit']").await;
    browser.click("dialog button[value='submit']").await;
    browser.wait_for_url("?done=submit").await;
    let text = browser.text().await;
    assert!(
        text.contains("Đã ký số và gửi báo cáo") && text.contains("Đã gửi, chờ tiếp nhận"),
        "{text}"
    );
    browser
        .screenshot(&shots.join("story-2-submitted.png"))
        .await;
    log_out(&browser).await;

    // 3. The Government Office is told, and returns it with a reason.
    log_in_at(&browser, &base, "/notifications", "vpcp").await;
    assert!(
        browser
            .text()
            .await
            .contains("Có báo cáo gửi đến, chờ tiếp nhận")
    );
    browser.goto(&format!("{base}/reports")).await;
    assert!(browser.text().await.contains("Báo cáo chờ tiếp nhận"));
    browser.click(&format!("#to-review a[href='{slot}']")).await;
    browser.wait_for_url(slot).await;
    browser
        .type_into("input[name='reason']", "Tổng mức bán lẻ cần kiểm tra lại.")
        .await;
    browser.click("button[value='return']").await;
    browser.wait_for_url("?done=return").await;
    assert!(browser.text().await.contains("Bị trả lại"));
    browser
        .screenshot(&shots.join("story-3-returned.png"))
        .await;
    log_out(&browser).await;

    // 4. The leader is told why, follows the notice, corrects the number, resubmits.
    log_in_at(&browser, &base, "/notifications", "hanoi-lead").await;
    let notices = browser.text().await;
    assert!(
        notices.contains("Báo cáo bị trả lại")
            && notices.contains("Tổng mức bán lẻ cần kiểm tra lại."),
        "{notices}"
    );
    browser
        .click(&format!("#notifications li:first-child a[href='{slot}']"))
        .await;
    browser.wait_for_url(slot).await;
    assert!(
        browser
            .text()
            .await
            .contains("Tổng mức bán lẻ cần kiểm tra lại.")
    );
    // The cell shows 60.123,4 (Vietnamese notation): clear it whole, then type.
    browser
        .type_into(&cell("KT04"), &"\u{E003}".repeat(12))
        .await;
    browser.type_into(&cell("KT04"), "60200").await;
    wait_until(&browser, "button[value='submit'][data-asks]").await;
    browser.click("button[value='submit']").await;
    browser.click("dialog button[value='submit']").await;
    browser.wait_for_url("?done=submit").await;
    browser
        .screenshot(&shots.join("story-4-resubmitted.png"))
        .await;
    log_out(&browser).await;

    // 5. The Office accepts it from the desk and reads what changed.
    log_in_at(&browser, &base, "/reports", "vpcp").await;
    browser
        .click("input[name='pick'][value='BC-KTXH-T|01|202611']")
        .await;
    browser.click("#to-review ~ p button").await;
    browser.wait_for_url("/reports?accepted=1").await;
    browser.goto(&format!("{base}{slot}/versions/2")).await;
    let diff = browser.text().await;
    assert!(
        diff.contains("60123.4") && diff.contains("60200") && !diff.contains("660200"),
        "{diff}"
    );
    browser.screenshot(&shots.join("story-5-changes.png")).await;
    browser.goto(&format!("{base}{slot}")).await;
    let accepted = browser.text().await;
    assert!(accepted.contains("Đã tiếp nhận"));
    assert!(
        !accepted.contains("Lý do trả lại gần nhất"),
        "an accepted report no longer shows why it was once returned: {accepted}"
    );
    browser.quit().await;
}

/// A leader opens the dashboard: cards, the line over two years, provinces as bars and on the
/// map, drawn on the server.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_leader_reads_the_dashboard() {
    let Some((browser, app)) = browser_and_demo().await else {
        return;
    };
    let mut values = Vec::new();
    let provinces = ["01", "79", "31", "48", "92", "22", "38", "46", "66", "75"];
    let mut period = baocao_domain::period::PeriodId::parse("202411").unwrap();
    for step in 0..24 {
        for (n, agency) in provinces.iter().enumerate() {
            values.push(baocao_domain::value::DataValue {
                indicator: baocao_domain::indicator::IndicatorCode::new("KT04").unwrap(),
                options: baocao_domain::value::OptionCombo::TOTAL,
                agency: baocao_domain::agency::AgencyCode::new(*agency).unwrap(),
                period,
                value: baocao_domain::value::Value::Number(
                    1000.0 * (10 - n) as f64 * (1.0 + 0.01 * f64::from(step)),
                ),
                channel: baocao_domain::value::Channel::Web,
                source: "regime:BC-KTXH-T".into(),
            });
        }
        period = period.next();
    }
    app.db
        .store
        .upsert_values(&values, "2026-11-26T08:00:00Z")
        .await
        .unwrap();
    let base = app.spawn().await;
    browser.goto(&format!("{base}/dashboard")).await;
    type_credentials(&browser, "lanhdao").await;
    browser.wait_for_url("/dashboard").await;
    let text = browser.text().await;
    assert!(
        text.contains("Bảng điều hành") && text.contains("Tổng mức bán lẻ"),
        "{text}"
    );
    let shots = std::path::Path::new(env!("CARGO_TARGET_TMPDIR"));
    browser.screenshot(&shots.join("dashboard.png")).await;
    browser.quit().await;
}

/// A regime manager amends a published regime in the designer: a new first heading of the
/// outline and one more indicator row, saved as version 2 while version 1 stays in force.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_manager_amends_a_regime_in_the_designer() {
    let Some((browser, app)) = browser_and_demo().await else {
        return;
    };
    let base = app.spawn().await;
    log_in_at(&browser, &base, "/regimes/BC-KSTTHC-Q/design", "admin").await;
    let text = browser.text().await;
    assert!(text.contains("Thiết kế chế độ báo cáo"), "{text}");
    let shots = std::path::Path::new(env!("CARGO_TARGET_TMPDIR"));
    browser.screenshot(&shots.join("designer.png")).await;
    // The deadline's fields follow its kind (issue 21): days after the cut-off ask for days,
    // not for a month.
    let visible = |name: &str| {
        format!(
            "return String(document.querySelector(\"input[name='{name}']\").offsetParent !== null);"
        )
    };
    let kind = browser
        .script("return document.getElementById('deadline-kind').value;")
        .await;
    browser
        .click("#deadline-kind option[value='days_after_cutoff']")
        .await;
    assert_eq!(browser.script(&visible("deadline_days")).await, "true");
    assert_eq!(browser.script(&visible("deadline_month")).await, "false");
    browser
        .click("#deadline-kind option[value='fixed_date']")
        .await;
    assert_eq!(browser.script(&visible("deadline_month")).await, "true");
    assert_eq!(browser.script(&visible("deadline_days")).await, "false");
    browser
        .click(&format!("#deadline-kind option[value='{kind}']"))
        .await;
    // The first empty heading after the existing sections, and KT04 in the first form.
    browser
        .type_into(
            "#outline-design p:nth-last-of-type(3) input[name='outline_heading']",
            "III. Đề xuất mới",
        )
        .await;
    // Only the form's own indicators show; a search brings up another to add, by its name
    // typed without accents.
    assert_eq!(
        browser
            .script("return String(document.querySelector(\"#form-design-0 input[value='KT04']\").offsetParent !== null);")
            .await,
        "false"
    );
    browser.type_into("#find-0", "ban le hang hoa").await;
    browser.click("#form-design-0 input[value='KT04']").await;
    assert!(
        browser.text().await.contains("Xem trước"),
        "the forms are previewed as reporters will see them"
    );
    browser.click("#regime-design button[type='submit']").await;
    let url = browser.wait_for_url("done=saved").await;
    assert!(url.contains("/regimes/BC-KSTTHC-Q/design"), "{url}");
    assert!(browser.text().await.contains("Đã lưu bản nháp"));
    let versions = app
        .state
        .store
        .regime_versions(&baocao_domain::regime::RegimeCode::new("BC-KSTTHC-Q").unwrap())
        .await
        .unwrap();
    assert_eq!(versions.len(), 2);
    let amendment = versions[1].content();
    assert_eq!(
        amendment.outline.last().map(|s| s.heading_vi.as_str()),
        Some("III. Đề xuất mới")
    );
    assert!(
        amendment.forms[0]
            .rows
            .iter()
            .any(|r| r.indicator.as_str() == "KT04")
    );
    assert_eq!(
        versions[0].status(),
        baocao_domain::regime::RegimeStatus::Published,
        "the version in force is untouched"
    );
    browser.quit().await;
}

/// A leader turns a pivot around in the explorer: the periods move to the rows and the
/// provinces to the columns by the layout selects, and the page shows the new table.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_leader_turns_a_pivot_around() {
    let Some((browser, app)) = browser_and_demo().await else {
        return;
    };
    let value = |agency: &str, period: &str, number: f64| {
        baocao_test_support::reported_value("KT04", agency, period, &[], number)
    };
    app.db
        .store
        .upsert_values(
            &[
                value("01", "202609", 61000.0),
                value("01", "202610", 62000.0),
                value("79", "202610", 99000.0),
            ],
            "2026-11-26T08:00:00Z",
        )
        .await
        .unwrap();
    let base = app.spawn().await;
    browser
        .goto(&format!(
            "{base}/pivot?indicator=KT04&agency=VN&level=province&period=202609,202610&rows=agency&columns=period"
        ))
        .await;
    type_credentials(&browser, "lanhdao").await;
    browser.wait_for_url("columns=period").await;
    let text = browser.text().await;
    assert!(
        text.contains("Khai thác số liệu") && text.contains("62.000"),
        "{text}"
    );
    // Pointing instead of typing (issue 21): an agency found without diacritics and chosen in
    // the tree, an indicator found by its name, a range of months.
    let shown = |list: &str| {
        format!(
            "return String(Array.from(document.querySelectorAll('#{list} option')).filter(o => !o.hidden).map(o => o.value));"
        )
    };
    browser.type_into("#agency-search", "ho chi minh").await;
    let agencies = browser.script(&shown("agency-picker")).await;
    assert!(
        agencies.split(',').any(|c| c == "79") && !agencies.split(',').any(|c| c == "01"),
        "{agencies}"
    );
    browser.click("#agency-picker option[value='79']").await;
    assert_eq!(
        browser
            .script("return document.getElementById('pivot-agency').value;")
            .await,
        "79"
    );
    browser.click("#agency-picker option[value='VN']").await;
    browser.type_into("#indicator-search", "ban le").await;
    let indicators = browser.script(&shown("pivot-indicators")).await;
    assert_eq!(
        indicators, "KT04",
        "retail sales, found without its accents"
    );
    browser
        .script(
            "for (const [id, v] of [['period-from', '2026-08'], ['period-to', '2026-10']]) { const e = document.getElementById(id); e.value = v; e.dispatchEvent(new Event('change')); } return 'ok';",
        )
        .await;
    assert_eq!(
        browser
            .script("return document.getElementById('pivot-periods').value;")
            .await,
        "202608,202609,202610"
    );
    browser
        .click("select[name='place-period'] option[value='rows']")
        .await;
    browser
        .click("select[name='place-agency'] option[value='columns']")
        .await;
    browser.click("#pivot-show").await;
    let url = browser.wait_for_url("columns=agency").await;
    assert!(url.contains("rows=period"), "{url}");
    let text = browser.text().await;
    assert!(
        text.contains("10/2026") && text.contains("161.000"),
        "the month's total across provinces: {text}"
    );
    let shots = std::path::Path::new(env!("CARGO_TARGET_TMPDIR"));
    browser.screenshot(&shots.join("pivot.png")).await;
    browser.quit().await;
}

/// A reporter fills the workbook in another program and uploads it from the report page: a
/// bad cell is named by its sheet and address and nothing is saved; the corrected workbook
/// lands in the draft.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_filled_workbook_is_uploaded_from_the_report_page() {
    use baocao_test_support::workbook::{cells, download, filled};
    let Some((browser, app)) = browser_and_demo().await else {
        return;
    };
    let base = app.spawn().await;
    let token = app.login("hanoi").await;
    let (sheet, template) =
        cells(&download(&app, &token, "/api/v1/reports/BC-KTXH-T/01/202611").await);
    let folder = std::path::Path::new(env!("CARGO_TARGET_TMPDIR"));
    let bad = folder.join("workbook-bad.xlsx");
    let good = folder.join("workbook-good.xlsx");
    std::fs::write(&bad, filled(&sheet, &template, &[("KT04", "nhiều lắm")])).unwrap();
    std::fs::write(&good, filled(&sheet, &template, &[("KT04", "60123.4")])).unwrap();

    let slot = "/reports/BC-KTXH-T/01/202611";
    log_in_at(&browser, &base, slot, "hanoi").await;
    browser
        .type_into("#workbook-file", bad.to_str().unwrap())
        .await;
    browser.click("#workbook-send").await;
    let mut text = String::new();
    for _ in 0..100 {
        text = browser.text().await;
        if text.contains("Tệp Excel chưa được nhận") {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert!(text.contains("Tệp Excel chưa được nhận"), "{text}");
    assert!(
        text.contains(&format!("{sheet}!")) && text.contains("KT04"),
        "{text}"
    );
    let stored = || async {
        app.this_period_totals("/api/v1/reports/BC-KTXH-T/01/202611", &token)
            .await
            .into_iter()
            .find(|(row, _)| row == "KT04")
            .map(|(_, value)| value)
    };
    assert_eq!(
        stored().await,
        None,
        "nothing of the refused workbook was saved"
    );

    browser
        .type_into("#workbook-file", good.to_str().unwrap())
        .await;
    browser.click("#workbook-send").await;
    let mut saved = None;
    for _ in 0..100 {
        saved = stored().await;
        if saved.is_some() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(saved.as_deref(), Some("60123.4"));
    browser.quit().await;
}

/// axe-core's script (npm `axe-core`, `axe.min.js`), from `BAOCAO_AXE_JS`; `None` (the test
/// then says so and passes) unless the browser is required, as in CI, where `.ci/run`
/// installs it.
fn axe_source() -> Option<String> {
    match std::env::var("BAOCAO_AXE_JS") {
        Ok(path) => Some(std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"))),
        Err(_) => {
            assert!(
                !std::env::var("BAOCAO_REQUIRE_BROWSER").is_ok_and(|v| v == "1"),
                "BAOCAO_AXE_JS must name axe-core's axe.min.js (npm install axe-core)"
            );
            eprintln!("BAOCAO_AXE_JS is not set; skipping the accessibility walk");
            None
        }
    }
}

/// Every page each demo account reaches from the menu — and one report, table, regime and
/// agency from there — at a desktop's 1366 px and a phone's 390 px: axe-core finds no serious
/// or critical violation, and at 390 px nothing scrolls sideways (issue 21, items 9 and 11).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_page_reads_on_a_desktop_and_a_phone_for_everyone() {
    let Some(axe) = axe_source() else {
        return;
    };
    let Some((browser, app)) = browser_and_demo().await else {
        return;
    };
    let base = app.spawn().await;
    let mut problems: Vec<String> = Vec::new();
    for username in ["hanoi", "hanoi-lead", "vpcp", "lanhdao", "btc", "admin"] {
        browser.resize(1366, 900).await;
        log_in_at(&browser, &base, "/", username).await;
        let links = |scope: &'static str| {
            format!(
                "return JSON.stringify(Array.from(document.querySelectorAll('{scope} a[href^=\"/\"]')).map(a => a.getAttribute('href')));"
            )
        };
        let menu: Vec<String> =
            serde_json::from_str(&browser.script(&links("header nav")).await).unwrap_or_default();
        let mut pages: Vec<String> = vec!["/".into()];
        for path in menu
            .iter()
            .filter(|p| !p.starts_with("/api") || p.as_str() == "/api/docs")
        {
            if !pages.contains(path) {
                pages.push(path.clone());
            }
        }
        // One page of each kind the menu's pages lead to.
        let mut index = 0;
        while index < pages.len() {
            let path = pages[index].clone();
            index += 1;
            for width in [1366u32, 390] {
                browser
                    .resize(width, if width == 390 { 844 } else { 900 })
                    .await;
                browser.goto(&format!("{base}{path}")).await;
                for violation in browser.accessibility_violations(&axe).await {
                    problems.push(format!("{username} {path} at {width} px: {violation}"));
                }
                if width == 390 {
                    let overflow = browser.sideways_overflow().await;
                    if overflow > 0 {
                        problems.push(format!(
                            "{username} {path} at 390 px scrolls {overflow} px sideways"
                        ));
                    }
                }
            }
            if menu.contains(&path) {
                let found: Vec<String> =
                    serde_json::from_str(&browser.script(&links("main")).await).unwrap_or_default();
                for prefix in ["/reports/", "/tables/", "/regimes/", "/agencies/"] {
                    if pages.iter().any(|p| p.starts_with(prefix)) {
                        continue;
                    }
                    if let Some(link) = found.iter().find(|l| {
                        l.starts_with(prefix) && !l.ends_with(".xlsx") && !l.ends_with(".csv")
                    }) {
                        pages.push(link.clone());
                    }
                }
            }
        }
        // On a phone the menu folds behind its button.
        browser.resize(390, 844).await;
        browser.goto(&format!("{base}/")).await;
        let menu_shown = "return String(document.getElementById('menu').offsetParent !== null);";
        assert_eq!(browser.script(menu_shown).await, "false", "{username}");
        browser.click("header.top .menu-toggle").await;
        assert_eq!(browser.script(menu_shown).await, "true", "{username}");
        browser.resize(1366, 900).await;
        browser.goto(&format!("{base}/")).await;
        log_out(&browser).await;
    }
    browser.quit().await;
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

/// Offline entry (issue 21, item 10): the report page keeps working without the network — a
/// banner counts the changes waiting, they are kept on the device, the page opens again from
/// the service worker's copy — and once the network is back the changes are saved; someone
/// else's save in between is not overwritten but shown side by side to choose.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_report_keeps_working_without_the_network() {
    use baocao_test_support::outage::Outage;
    let Some((browser, app)) = browser_and_demo().await else {
        return;
    };
    let network = Outage::start(&app.spawn().await).await;
    let base = network.url();
    let slot = "/reports/BC-KSTTHC-Q/01/2026Q3";
    let api = "/api/v1/reports/BC-KSTTHC-Q/01/2026Q3";
    log_in_at(&browser, &base, slot, "hanoi").await;
    // Controlled by the service worker, and the page kept by it.
    let controlled =
        "return String(navigator.serviceWorker && navigator.serviceWorker.controller !== null);";
    for _ in 0..100 {
        if browser.script(controlled).await == "true" {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(
        browser.script(controlled).await,
        "true",
        "the service worker took the page"
    );
    browser.goto(&format!("{base}{slot}")).await;
    wait_until(&browser, "#report-form").await;

    network.go_down();
    browser.set_offline(true).await;
    let cell = |code: &str| format!("input[aria-label^='{code} '][aria-label$='Kỳ báo cáo']");
    browser.type_into(&cell("HC02"), "12").await;
    wait_until(&browser, "#offline-banner.offline:not([hidden])").await;
    let text = browser.text().await;
    assert!(
        text.contains("Đang ngoại tuyến — 1 thay đổi đang chờ"),
        "{text}"
    );
    // Kept on the device, in IndexedDB.
    let on_device = browser
        .script_async(
            "const done = arguments[arguments.length - 1]; const open = indexedDB.open('baocao'); open.onsuccess = () => { const get = open.result.transaction('unsaved').objectStore('unsaved').get('baocao:' + location.pathname); get.onsuccess = () => done(JSON.stringify(get.result || null)); }; open.onerror = () => done('no database');",
        )
        .await;
    assert!(
        on_device.as_str().unwrap_or("").contains("\"12\""),
        "{on_device}"
    );

    // Opened again without the network: the kept page, and the change kept on the device.
    browser.goto(&format!("{base}{slot}")).await;
    wait_until(&browser, "#restore").await;
    browser.click("#restore").await;
    assert_eq!(
        browser
            .script(&format!(
                "return document.querySelector(\"{}\").value;",
                cell("HC02")
            ))
            .await,
        "12"
    );

    // Meanwhile the approver saves the report from elsewhere.
    let lead = app.login("hanoi-lead").await;
    let saved = app
        .call(
            axum::http::Method::PUT,
            &format!("{api}/draft"),
            Some(&lead),
            Some(&serde_json::json!({"version": 0, "values": [
                {"form": "Biểu 01/KSTTHC", "row": "HC02", "column": "this_period", "value": "9"}]})),
        )
        .await;
    assert_eq!(saved.status, axum::http::StatusCode::OK, "{}", saved.text);

    // The network is back: ours is refused by the lock, both are shown, and ours is kept on
    // the reporter's word.
    network.come_back();
    browser.set_offline(false).await;
    wait_until(&browser, "#conflicts").await;
    let text = browser.text().await;
    assert!(
        text.contains("Trên máy chủ") && text.contains("Của tôi"),
        "{text}"
    );
    let row = browser
        .script("return Array.from(document.querySelectorAll('#conflicts tbody td')).map(td => td.textContent).join('|');")
        .await;
    assert!(row.ends_with("|9|12"), "server's 9 beside my 12: {row}");
    browser.click("#keep-mine").await;
    let mut kept = String::new();
    for _ in 0..100 {
        let report = app.get(api, &lead).await.json();
        kept = report["values"]
            .as_array()
            .into_iter()
            .flatten()
            .find(|c| c["row"] == "HC02" && c["column"] == "this_period")
            .map(|c| c["value"].to_string())
            .unwrap_or_default();
        if kept.contains("12") {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert!(kept.contains("12"), "my number is saved: {kept}");
    browser.quit().await;
}
