//! Reports signed as the state signs them (issue 23, item 2): the signer's X.509 certificate
//! from a certification authority the deployment trusts, a PAdES signature inside the PDF
//! that poppler's `pdfsig` reads as valid and trusted, and a CMS signature over the report's
//! canonical content; certificates that are expired, revoked, untrusted or not for signing,
//! and signatures over other bytes, refused with the reason.

use axum::http::{Method, StatusCode};
use baocao_documents::signing::{PreparedPdf, SignatureField, Trust, cms, read_chain};
use baocao_documents::{Block, Document, SignatureBlock, render_pdf};
use baocao_test_support::documents::{pdf_text, submit_monthly_report};
use baocao_test_support::pages::{hidden_input, location, log_in, page, post_form};
use baocao_test_support::pki::{Issue, Signer, TestCa};
use baocao_test_support::{Answer, TestApp, app_tests};
use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use serde_json::{Value, json};

const SLOT: &str = "/api/v1/reports/BC-KTXH-T/01/202611";
const SIGNING: &str = "/api/v1/reports/BC-KTXH-T/01/202611/versions/1/document/signing";

fn letter() -> Document {
    Document {
        superior_agency: None,
        issuing_agency: "Ủy ban nhân dân tỉnh Đắk Lắk".into(),
        number: "07/BC-UBND".into(),
        place_and_date: "Đắk Lắk, ngày 07 tháng 12 năm 2026".into(),
        kind: "Báo cáo".into(),
        summary: "Tình hình kinh tế - xã hội tháng 11 năm 2026".into(),
        body: vec![Block::Paragraph(
            "Sản xuất nông nghiệp ở Thừa Thiên Huế và Đắk Lắk ổn định.".into(),
        )],
        recipients: vec!["Văn phòng Chính phủ".into()],
        signature: SignatureBlock {
            authority: vec![],
            position: None,
            name: "Nguyễn Văn Thường".into(),
            mark: vec![],
        },
        keywords: vec![],
    }
}

fn now() -> i64 {
    jiff::Timestamp::now().as_second()
}

/// The pure half: a rendered report prepared, its digest signed by a token's key through the
/// signed attributes, the CMS written in; `pdfsig` trusts it with the CA and the text reads
/// back unchanged.
#[test]
fn a_pades_signature_made_by_a_token_reads_as_valid_and_trusted() {
    let Some(ca) = TestCa::new("Test CA of the Government Cipher Committee") else {
        return;
    };
    let signer = ca.issue(&Issue::signer("Nguyen Van Thuong"));
    let trust = Trust::new(&std::fs::read(ca.certificate()).unwrap(), &[]).unwrap();
    let chain = trust
        .check(
            &read_chain(signer.certificate_pem().as_bytes()).unwrap(),
            now(),
        )
        .unwrap();
    assert!(!chain.revocation_checked);

    let pdf = render_pdf(&letter()).unwrap();
    let prepared = PreparedPdf::prepare(
        &pdf,
        &SignatureField {
            signer: "Nguyễn Văn Thường".into(),
            reason: "Ký ban hành báo cáo".into(),
            location: "Đắk Lắk".into(),
            signed_at: now(),
        },
    )
    .unwrap();
    assert!(prepared.bytes().starts_with(&pdf), "an incremental update");
    let attributes = cms::signed_attributes(&prepared.digest(), chain.signer(), None).unwrap();
    let to_sign: [u8; 32] = sha2::Digest::finalize(sha2::Digest::chain_update(
        <sha2::Sha256 as sha2::Digest>::new(),
        &attributes,
    ))
    .into();
    let signature = signer.sign_digest(&to_sign);
    chain.verify_signature(&attributes, &signature).unwrap();
    let signed_data = cms::signed_data(&chain.chain, &attributes, &signature).unwrap();
    let signed = prepared.embed(&signed_data).unwrap();

    // Kept and read again, the prepared document is the same.
    let again = PreparedPdf::from_bytes(prepared.bytes().to_vec()).unwrap();
    assert_eq!(again.digest(), prepared.digest());

    let Some(report) = ca.pdfsig(&signed) else {
        return;
    };
    assert!(
        report.contains("Signature Validation: Signature is Valid."),
        "{report}"
    );
    assert!(
        report.contains("Certificate Validation: Certificate is Trusted."),
        "{report}"
    );
    assert!(report.contains("Nguyen Van Thuong"), "{report}");
    assert!(report.contains("ETSI.CAdES.detached"), "{report}");
    if let Some(text) = baocao_test_support::documents::pdf_text(&signed) {
        assert!(text.contains("Thừa Thiên Huế và Đắk Lắk"), "{text}");
    }

    // One byte of the signed part changed: pdfsig sees it.
    let mut tampered = signed.clone();
    let at = tampered
        .windows(7)
        .position(|w| w == b"/Author" || w == b"/Title")
        .unwrap_or(20);
    tampered[at + 1] ^= 0x20;
    let report = ca.pdfsig(&tampered).unwrap();
    assert!(
        !report.contains("Signature Validation: Signature is Valid."),
        "{report}"
    );
}

/// The app trusting `ca` (with its revocation list as it is when the test asks), and Hà Nội's
/// monthly report submitted as version 1.
async fn trusting(app: TestApp, ca: &TestCa) -> TestApp {
    let anchors = ca.certificate();
    let revocations = ca.revocation_list();
    let app = app.configured(|config| {
        config.trust.anchors = Some(anchors);
        config.trust.revocation_lists = vec![revocations];
    });
    submit_monthly_report(&app, "hanoi", "hanoi-lead", SLOT).await;
    app
}

async fn prepare(app: &TestApp, token: &str, signer: &Signer) -> Answer {
    app.call(
        Method::POST,
        SIGNING,
        Some(token),
        Some(&json!({"certificates": signer.certificate_pem()})),
    )
    .await
}

/// The token's answer to a prepared signing: each item's digest signed.
fn signatures(task: &Value, signer: &Signer) -> Value {
    let sign = |item: &str| {
        let digest = hex_bytes(task[item]["sha256"].as_str().unwrap());
        BASE64.encode(signer.sign_digest(&digest))
    };
    json!({"document_signature": sign("document"), "content_signature": sign("content")})
}

fn hex_bytes(text: &str) -> Vec<u8> {
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&text[i..i + 2], 16).unwrap())
        .collect()
}

async fn complete(app: &TestApp, token: &str, task: &Value, body: &Value) -> Answer {
    let id = task["id"].as_str().unwrap();
    app.call(
        Method::POST,
        &format!("{SIGNING}/{id}"),
        Some(token),
        Some(body),
    )
    .await
}

/// Version 1's PDF as the Government Office reads it carries no signature.
async fn assert_unsigned(app: &TestApp, ca: &TestCa, token: &str) {
    let pdf = app
        .get(&format!("{SLOT}/versions/1/document?format=pdf"), token)
        .await;
    assert_eq!(pdf.status, StatusCode::OK, "{}", pdf.text);
    if let Some(report) = ca.pdfsig(&pdf.bytes) {
        assert!(
            report.contains("does not contain any signatures"),
            "{report}"
        );
    }
}

/// Version 1's PDF carries a valid signature by `signer`'s certificate, trusted with `ca`.
async fn assert_signed_by(app: &TestApp, ca: &TestCa, token: &str, signer: &str) -> Vec<u8> {
    let pdf = app
        .get(&format!("{SLOT}/versions/1/document?format=pdf"), token)
        .await;
    assert_eq!(pdf.status, StatusCode::OK, "{}", pdf.text);
    if let Some(report) = ca.pdfsig(&pdf.bytes) {
        assert!(
            report.contains("Signature Validation: Signature is Valid."),
            "{report}"
        );
        assert!(
            report.contains("Certificate Validation: Certificate is Trusted."),
            "{report}"
        );
        assert!(report.contains(signer), "{report}");
    }
    pdf.bytes
}

fn refusal(answer: &Answer, code: &str, vietnamese: &str) {
    assert_eq!(
        answer.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        answer.text
    );
    let error = &answer.json()["error"];
    assert_eq!(error["code"], code, "{}", answer.text);
    assert!(
        error["message"]
            .as_str()
            .is_some_and(|m| m.contains(vietnamese)),
        "{vietnamese:?} not in {}",
        answer.text
    );
}

/// The approver signs with the token: the version's PDF is then PAdES-signed, trusted by
/// pdfsig with the CA; the signature route names the certificate; the CMS over the canonical
/// content verifies with `openssl cms`; a document is signed once.
async fn the_approver_signs_the_report_with_a_token(app: TestApp) {
    let Some(ca) = TestCa::new("Test CA of the Government Cipher Committee") else {
        return;
    };
    let app = trusting(app, &ca).await;
    let signer = ca.issue(&Issue::signer("Nguyen Van Lanh Dao"));
    let lead = app.login("hanoi-lead").await;
    let prepared = prepare(&app, &lead, &signer).await;
    assert_eq!(prepared.status, StatusCode::CREATED, "{}", prepared.text);
    let task = prepared.json();
    assert!(
        task["certificate"]["subject"]
            .as_str()
            .unwrap()
            .contains("CN=Nguyen Van Lanh Dao")
    );
    assert!(
        task["certificate"]["issuer"]
            .as_str()
            .unwrap()
            .contains("Test CA")
    );

    // Before the token answers, the document is as it was: unsigned.
    let vpcp = app.login("vpcp").await;
    assert_unsigned(&app, &ca, &vpcp).await;

    let signed = complete(&app, &lead, &task, &signatures(&task, &signer)).await;
    assert_eq!(signed.status, StatusCode::OK, "{}", signed.text);
    assert_eq!(signed.json()["kind"], "x509");
    assert_eq!(signed.json()["revocation_checked"], true);

    let pdf = assert_signed_by(&app, &ca, &vpcp, "Nguyen Van Lanh Dao").await;
    if let Some(text) = pdf_text(&pdf) {
        assert!(text.contains("Thừa Thiên Huế và Đắk Lắk"), "{text}");
        assert!(text.contains("Số: 01/BC-UBND"), "{text}");
        // The mark names the certificate that signed.
        assert!(text.contains("Ký số bởi: Nguyen Van Lanh Dao"), "{text}");
        assert!(
            text.contains("do Test CA of the Government Cipher Committee cấp"),
            "{text}"
        );
    }

    let check = app
        .get(&format!("{SLOT}/versions/1/signature"), &vpcp)
        .await
        .json();
    assert_eq!(check["verified"], true, "the Ed25519 signature still holds");
    let certificate = &check["certificate_signature"];
    assert_eq!(certificate["kind"], "x509");
    assert_eq!(certificate["made_by"], "token");
    assert_eq!(certificate["signed_by"], "hanoi-lead");
    for field in ["serial", "not_before", "not_after"] {
        assert!(
            certificate["certificate"][field]
                .as_str()
                .is_some_and(|v| !v.is_empty()),
            "{certificate}"
        );
    }
    // The CMS over the canonical content, checked by openssl against the CA.
    let cms = BASE64
        .decode(certificate["content_cms"].as_str().unwrap())
        .unwrap();
    let dir = std::env::temp_dir().join(format!("baocao-cms-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("content.cms"), &cms).unwrap();
    std::fs::write(
        dir.join("content.json"),
        check["canonical_content"].as_str().unwrap(),
    )
    .unwrap();
    let verified = std::process::Command::new("openssl")
        .args([
            "cms", "-verify", "-binary", "-inform", "DER", "-purpose", "any",
        ])
        .arg("-in")
        .arg(dir.join("content.cms"))
        .arg("-content")
        .arg(dir.join("content.json"))
        .arg("-CAfile")
        .arg(ca.certificate())
        .args(["-out", "/dev/null"])
        .output()
        .unwrap();
    let _ = std::fs::remove_dir_all(&dir);
    assert!(
        verified.status.success(),
        "openssl cms -verify: {}",
        String::from_utf8_lossy(&verified.stderr)
    );

    let again = prepare(&app, &lead, &signer).await;
    assert_eq!(again.status, StatusCode::CONFLICT, "{}", again.text);
    assert_eq!(again.json()["error"]["code"], "already_signed");
    let replay = complete(&app, &lead, &task, &signatures(&task, &signer)).await;
    assert_eq!(replay.status, StatusCode::NOT_FOUND, "{}", replay.text);
}

/// Expired, revoked, untrusted and not-for-signing certificates are refused with the reason;
/// a signature over other bytes is refused; only the agency's approvers sign; nothing changes.
async fn certificates_that_may_not_sign_are_refused_with_the_reason(app: TestApp) {
    let Some(ca) = TestCa::new("Test CA") else {
        return;
    };
    let revoked = ca.issue(&Issue::signer("Revoked Signer"));
    ca.revoke(&revoked);
    let app = trusting(app, &ca).await;
    let lead = app.login("hanoi-lead").await;

    let expired = ca.issue(&Issue {
        not_before: "20240101000000Z",
        not_after: "20250101000000Z",
        ..Issue::signer("Expired Signer")
    });
    refusal(
        &prepare(&app, &lead, &expired).await,
        "certificate_refused",
        "đã hết hạn ngày 2025-01-01",
    );
    refusal(
        &prepare(&app, &lead, &revoked).await,
        "certificate_refused",
        "đã bị thu hồi",
    );
    let stranger = TestCa::new("Unknown CA").unwrap();
    refusal(
        &prepare(&app, &lead, &stranger.issue(&Issue::signer("Outsider"))).await,
        "certificate_refused",
        "không do tổ chức cung cấp dịch vụ chứng thực được tin cậy cấp",
    );
    let encipher_only = ca.issue(&Issue {
        key_usage: "critical, keyEncipherment",
        ..Issue::signer("Encipherment Only")
    });
    refusal(
        &prepare(&app, &lead, &encipher_only).await,
        "certificate_refused",
        "không có mục đích sử dụng ký số",
    );
    let garbage = app
        .call(
            Method::POST,
            SIGNING,
            Some(&lead),
            Some(&json!({"certificates": "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n"})),
        )
        .await;
    refusal(
        &garbage,
        "certificate_refused",
        "Không đọc được chứng thư số",
    );

    // The reporter may read the version but does not sign for the agency.
    let signer = ca.issue(&Issue::signer("Nguyen Van Lanh Dao"));
    let reporter = app.login("hanoi").await;
    let forbidden = prepare(&app, &reporter, &signer).await;
    assert_eq!(
        forbidden.status,
        StatusCode::FORBIDDEN,
        "{}",
        forbidden.text
    );

    // Signed with the right key over other bytes: the content's digest for the document's.
    let task = prepare(&app, &lead, &signer).await.json();
    let swapped = {
        let right = signatures(&task, &signer);
        json!({"document_signature": right["content_signature"], "content_signature": right["content_signature"]})
    };
    refusal(
        &complete(&app, &lead, &task, &swapped).await,
        "signature_refused",
        "Chữ ký không khớp",
    );
    // Signed by another key (a certificate of the same CA, another holder).
    let other = ca.issue(&Issue::signer("Someone Else"));
    refusal(
        &complete(&app, &lead, &task, &signatures(&task, &other)).await,
        "signature_refused",
        "Chữ ký không khớp",
    );
    let not_base64 = json!({"document_signature": "@@", "content_signature": "@@"});
    refusal(
        &complete(&app, &lead, &task, &not_base64).await,
        "signature_refused",
        "Chữ ký không khớp",
    );
    // Another approver's token cannot complete this signing (only whoever prepared it).
    let vpcp = app.login("vpcp").await;
    let stolen = complete(&app, &vpcp, &task, &signatures(&task, &signer)).await;
    assert_eq!(stolen.status, StatusCode::FORBIDDEN, "{}", stolen.text);

    let check = app
        .get(&format!("{SLOT}/versions/1/signature"), &vpcp)
        .await
        .json();
    assert_eq!(
        check["certificate_signature"],
        Value::Null,
        "nothing signed"
    );
    assert_unsigned(&app, &ca, &vpcp).await;

    // The right signatures still complete the same signing.
    let signed = complete(&app, &lead, &task, &signatures(&task, &signer)).await;
    assert_eq!(signed.status, StatusCode::OK, "{}", signed.text);
}

/// Without trust anchors nothing signs with a certificate, and the server says why.
async fn without_trust_anchors_signing_is_not_configured(app: TestApp) {
    let Some(ca) = TestCa::new("Test CA") else {
        return;
    };
    submit_monthly_report(&app, "hanoi", "hanoi-lead", SLOT).await;
    let lead = app.login("hanoi-lead").await;
    let answer = prepare(&app, &lead, &ca.issue(&Issue::signer("Signer"))).await;
    assert_eq!(answer.status, StatusCode::CONFLICT, "{}", answer.text);
    assert_eq!(answer.json()["error"]["code"], "signing_not_configured");
}

/// An agency's certificate held by the server: uploaded as PKCS #12 by an administrator (a
/// wrong password or a key not for signing refused), sealed at rest, never shown; a version
/// signed with it in one call is a PAdES document pdfsig trusts.
async fn a_certificate_held_by_the_server_signs_in_one_call(app: TestApp) {
    let Some(ca) = TestCa::new("Test CA") else {
        return;
    };
    let app = trusting(app, &ca).await;
    let signer = ca.issue(&Issue::signer("UBND Thanh pho Ha Noi"));
    let upload =
        |p12: &[u8], password: &str| json!({"pkcs12": BASE64.encode(p12), "password": password});
    let admin = app.login("admin").await;
    let put = |token: String, body: Value| {
        let app = &app;
        async move {
            app.call(
                Method::PUT,
                "/api/v1/agencies/01/certificate",
                Some(&token),
                Some(&body),
            )
            .await
        }
    };
    let sign = |token: String| {
        let app = &app;
        async move {
            app.call(
                Method::POST,
                &format!("{SLOT}/versions/1/document/signature"),
                Some(&token),
                None,
            )
            .await
        }
    };

    let lead = app.login("hanoi-lead").await;
    let nothing_held = sign(lead.clone()).await;
    assert_eq!(
        nothing_held.status,
        StatusCode::CONFLICT,
        "{}",
        nothing_held.text
    );
    assert_eq!(
        nothing_held.json()["error"]["code"],
        "no_agency_certificate"
    );

    let p12 = signer.pkcs12(&ca, "mật-khẩu đúng");
    refusal(
        &put(admin.clone(), upload(&p12, "sai")).await,
        "certificate_refused",
        "Mật khẩu của tệp PKCS #12 không đúng",
    );
    let encipher_only = ca.issue(&Issue {
        key_usage: "critical, keyEncipherment",
        ..Issue::signer("Encipherment Only")
    });
    refusal(
        &put(admin.clone(), upload(&encipher_only.pkcs12(&ca, "x"), "x")).await,
        "certificate_refused",
        "không có mục đích sử dụng ký số",
    );
    refusal(
        &put(admin.clone(), upload(b"not a PKCS #12 file", "x")).await,
        "certificate_refused",
        "Không đọc được chứng thư số",
    );
    let reporter = app.login("hanoi").await;
    let forbidden = put(reporter, upload(&p12, "mật-khẩu đúng")).await;
    assert_eq!(
        forbidden.status,
        StatusCode::FORBIDDEN,
        "{}",
        forbidden.text
    );

    let kept = put(admin.clone(), upload(&p12, "mật-khẩu đúng")).await;
    assert_eq!(kept.status, StatusCode::OK, "{}", kept.text);
    assert!(
        kept.json()["certificate"]["subject"]
            .as_str()
            .is_some_and(|s| s.contains("UBND Thanh pho Ha Noi")),
        "{}",
        kept.text
    );
    let shown = app.get("/api/v1/agencies/01/certificate", &admin).await;
    assert_eq!(shown.status, StatusCode::OK, "{}", shown.text);
    assert_eq!(
        shown.json()["certificate"]["serial"],
        kept.json()["certificate"]["serial"]
    );
    assert!(!shown.text.contains("PRIVATE") && !shown.text.contains("private"));
    let stored = app
        .db
        .raw_texts("SELECT private_key FROM agency_certificates")
        .await;
    assert_eq!(stored.len(), 1);
    assert!(stored[0].starts_with("sealed:v1:"), "sealed at rest");

    // The approver signs from the report page.
    let report_page = "/reports/BC-KTXH-T/01/202611";
    let session = log_in(&app, "hanoi-lead").await;
    let shown = page(&app, report_page, &session).await;
    assert!(
        shown.text.contains("Ký số bằng chứng thư số của đơn vị"),
        "{}",
        shown.text
    );
    let csrf = hidden_input(&shown.text, "csrf");
    let signed = post_form(
        &app,
        report_page,
        &session,
        &format!("csrf={csrf}&number=1&intent=sign_document"),
    )
    .await;
    assert_eq!(signed.status, StatusCode::SEE_OTHER, "{}", signed.text);
    let after = page(&app, location(&signed), &session).await;
    assert!(
        after
            .text
            .contains("Đã ký số văn bản báo cáo bằng chứng thư số của đơn vị."),
        "{}",
        after.text
    );
    assert!(after.text.contains("Đã ký số bằng chứng thư số"));
    assert!(!after.text.contains("Ký số bằng chứng thư số của đơn vị<"));
    let check = app
        .get(&format!("{SLOT}/versions/1/signature"), &lead)
        .await
        .json();
    assert_eq!(check["certificate_signature"]["made_by"], "server");
    let vpcp = app.login("vpcp").await;
    assert_signed_by(&app, &ca, &vpcp, "UBND Thanh pho Ha Noi").await;
    let again = sign(lead).await;
    assert_eq!(again.status, StatusCode::CONFLICT, "{}", again.text);
    assert_eq!(again.json()["error"]["code"], "already_signed");
}

app_tests!(
    a_certificate_held_by_the_server_signs_in_one_call,
    the_approver_signs_the_report_with_a_token,
    certificates_that_may_not_sign_are_refused_with_the_reason,
    without_trust_anchors_signing_is_not_configured,
);
