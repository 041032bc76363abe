//! Reports signed as the state signs them (issue 23, item 2): the signer's X.509 certificate
//! from a certification authority the deployment trusts, a PAdES signature inside the PDF
//! that poppler's `pdfsig` reads as valid and trusted, and a CMS signature over the report's
//! canonical content; certificates that are expired, revoked, untrusted or not for signing,
//! and signatures over other bytes, refused with the reason.

use baocao_documents::signing::{PreparedPdf, SignatureField, Trust, cms, read_chain};
use baocao_documents::{Block, Document, SignatureBlock, render_pdf};
use baocao_test_support::pki::{Issue, TestCa};

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
            authority: None,
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
        .check(&read_chain(signer.certificate_pem().as_bytes()).unwrap(), now())
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
