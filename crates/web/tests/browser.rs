//! The UI in a real browser (headless Chromium from Debian's packages, driven by
//! chromedriver): a reporter logs in with the keyboard alone and reads a regime's ten
//! elements, in Vietnamese and then in English.

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
    let Some(browser) = Browser::start().await else {
        return;
    };
    let app = TestApp::demo(Backend::Sqlite)
        .await
        .expect("SQLite is always there");
    let base = app.spawn().await;

    browser.goto(&format!("{base}/regimes/BC-KTXH-T")).await;
    assert!(
        browser.url().await.contains("/login?next="),
        "an anonymous visitor is sent to the login page"
    );
    assert_eq!(
        browser.focused().await,
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
    let Some(browser) = Browser::start().await else {
        return;
    };
    let app = TestApp::demo(Backend::Sqlite)
        .await
        .expect("SQLite is always there");
    let base = app.spawn().await;
    let slot = "/reports/BC-KSTTHC-Q/01/2026Q3";
    browser.goto(&format!("{base}{slot}")).await;
    browser.keys("hanoi\u{E004}demo\u{E007}").await;
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

    browser.type_into(&cell("HC04"), "\u{E003}2").await; // Backspace, then the right number
    browser.click("button[value='save']").await;
    browser.wait_for_url("?done=save").await;
    assert!(
        browser
            .text()
            .await
            .contains("Số liệu thỏa mãn mọi quy tắc kiểm tra")
    );
    browser.quit().await;
}
