//! A submitted version as an administrative document: the model `baocao_documents` lays out,
//! assembled from the version's content, the regime that governs its period, the catalogue, the
//! agencies as they were on the day it was sent, the number it took in the issuing agency's
//! register, and the person who signed it.

use baocao_documents::{Block, Document, Row, SignatureBlock, Table};
use baocao_domain::agency::AgencyCode;
use baocao_domain::calendar::legal_time_zone;
use baocao_domain::document::{document_number, issuing_organ, signing_authority};
use baocao_domain::language::{Lang, combo_label, period_label, show_number};
use baocao_domain::report::{CellAddress, MAX_COMBINATIONS, ReportContent, cell_layout};
use baocao_store::agencies::AgencyRecord;
use baocao_store::reports::VersionRecord;

use super::{Report, ReportAddress, ReportingError, stored_content, versions};
use crate::catalogue::Catalogue;
use crate::{Caller, Context};

/// The formats a document is written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DocumentFormat {
    Pdf,
    Docx,
}

impl DocumentFormat {
    /// `pdf` (the default) or `docx`.
    pub fn parse(text: Option<&str>) -> Result<Self, ReportingError> {
        match text.unwrap_or("pdf") {
            "pdf" => Ok(Self::Pdf),
            "docx" => Ok(Self::Docx),
            other => Err(ReportingError::UnsupportedDocumentFormat(other.to_string())),
        }
    }

    pub fn media_type(self) -> &'static str {
        match self {
            Self::Pdf => "application/pdf",
            Self::Docx => "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        }
    }

    fn extension(self) -> &'static str {
        match self {
            Self::Pdf => "pdf",
            Self::Docx => "docx",
        }
    }
}

/// A document written: its bytes, media type and a file name.
#[derive(Debug, Clone)]
pub struct DocumentFile {
    pub bytes: Vec<u8>,
    pub media_type: &'static str,
    pub file_name: String,
    /// Where it was issued ("Hà Nội"), as its place and date say.
    pub place: String,
}

/// Version `number` of a report as a document, for those who may read its versions: the PDF
/// signed with a certificate once it is, else the document as laid out.
#[tracing::instrument(skip_all, fields(caller = %caller.principal.username, report = %address, number))]
pub async fn of_version(
    ctx: &Context,
    caller: &Caller,
    address: &ReportAddress,
    number: i32,
    format: DocumentFormat,
) -> Result<DocumentFile, ReportingError> {
    let (report, versions) = versions::readable(ctx, caller, address).await?;
    let version = versions::numbered(&versions, number)?;
    if format == DocumentFormat::Pdf
        && let Some(signed) = super::signing::of_version(ctx, &report, number).await?
    {
        use base64::Engine;
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(&signed.signed_pdf)
            .map_err(|_| ReportingError::CorruptVersion {
                report: address.clone(),
                number,
                detail: "the signed PDF is not base64".into(),
            })?;
        let mut file = render(ctx, &report, version, format, None).await?;
        file.bytes = bytes;
        return Ok(file);
    }
    render(ctx, &report, version, format, None).await
}

/// Whose certificate signs a document, as its signature mark tells.
#[derive(Debug, Clone)]
pub(super) struct CertificateMark {
    /// The holder's name (the certificate's common name).
    pub holder: String,
    pub serial: String,
    pub issuer: String,
    pub at: jiff::Timestamp,
}

/// `version` of `report` laid out as a document in `format`; its mark names the certificate
/// that is about to sign it, if one is.
pub(super) async fn render(
    ctx: &Context,
    report: &Report,
    version: &VersionRecord,
    format: DocumentFormat,
    certificate: Option<&CertificateMark>,
) -> Result<DocumentFile, ReportingError> {
    let address = &report.address;
    let number = version.number;
    let content = stored_content(address, version)?;
    let catalogue = Catalogue::current(ctx).await?;
    let sent = version
        .submitted_at
        .parse::<jiff::Timestamp>()
        .map_err(|error| ReportingError::CorruptVersion {
            report: address.clone(),
            number,
            detail: format!("submitted_at {}: {error}", version.submitted_at),
        })?
        .to_zoned(legal_time_zone());
    let day = sent.date();
    let issuing = agency_on(ctx, &address.agency, day).await?;
    let superior = match &issuing {
        Some(issuing) if issuing.kind == baocao_domain::agency::AgencyKind::Department => {
            match &issuing.parent {
                Some(parent) => agency_on(ctx, parent, day).await?,
                None => None,
            }
        }
        _ => None,
    };
    let receiving = agency_on(ctx, &report.receiving_agency, day).await?;
    let principal = match ctx.store.user_id(&version.signed_by).await? {
        Some(id) => ctx.store.principal_of(id).await?,
        None => None,
    };
    let signer = match principal {
        Some(principal) => Signer {
            name: principal.full_name,
            position: principal.position,
        },
        None => Signer {
            name: version.signed_by.clone(),
            position: None,
        },
    };
    let document = assemble(&Parts {
        report,
        version,
        content: &content,
        catalogue: &catalogue,
        issuing: issuing.as_ref(),
        superior: superior.as_ref(),
        receiving: receiving.as_ref(),
        signer: &signer,
        sent: &sent,
        certificate,
    });
    let bytes = match format {
        DocumentFormat::Pdf => baocao_documents::render_pdf(&document),
        DocumentFormat::Docx => baocao_documents::render_docx(&document),
    }
    .map_err(|error| ReportingError::Document(error.to_string()))?;
    Ok(DocumentFile {
        bytes,
        media_type: format.media_type(),
        file_name: format!(
            "{}_{}_{}_v{number}.{}",
            address.regime,
            address.agency,
            address.period,
            format.extension()
        ),
        place: place_of(issuing.as_ref(), superior.as_ref()),
    })
}

async fn agency_on(
    ctx: &Context,
    code: &AgencyCode,
    day: baocao_domain::Date,
) -> Result<Option<AgencyRecord>, ReportingError> {
    Ok(ctx.store.agency_as_of(code, day).await?)
}

/// Who signed a version: name and position (chức vụ), as the user is now.
struct Signer {
    name: String,
    position: Option<String>,
}

/// What a document is made of, read.
struct Parts<'a> {
    report: &'a Report,
    version: &'a VersionRecord,
    content: &'a ReportContent,
    catalogue: &'a Catalogue,
    issuing: Option<&'a AgencyRecord>,
    superior: Option<&'a AgencyRecord>,
    receiving: Option<&'a AgencyRecord>,
    signer: &'a Signer,
    sent: &'a jiff::Zoned,
    certificate: Option<&'a CertificateMark>,
}

fn organ(agency: Option<&AgencyRecord>, code: &AgencyCode) -> String {
    match agency {
        Some(agency) => issuing_organ(agency.kind, &agency.name_vi),
        None => code.to_string(),
    }
}

fn assemble(parts: &Parts<'_>) -> Document {
    let address = &parts.report.address;
    let regime = parts.report.regime.content();
    let regime_name = regime
        .name
        .clone()
        .unwrap_or_else(|| address.regime.to_string());
    let number = match parts.issuing {
        Some(agency) => document_number(parts.version.document_number, agency.kind, &agency.code),
        None => document_number(
            parts.version.document_number,
            baocao_domain::agency::AgencyKind::Department,
            &address.agency,
        ),
    };
    let place = place_of(parts.issuing, parts.superior);
    let mut body = Vec::new();
    for (index, section) in regime.outline.iter().enumerate() {
        // The outline numbers its own headings ("I. Tình hình …").
        body.push(Block::Heading(section.heading_vi.clone()));
        if let Some(text) = parts
            .content
            .sections
            .iter()
            .find(|s| s.index == index)
            .map(|s| s.text.trim())
            .filter(|t| !t.is_empty())
        {
            body.push(Block::Paragraph(text.to_string()));
        }
    }
    body.extend(tables(parts).into_iter().map(Block::Table));
    let receiving = organ(parts.receiving, &parts.report.receiving_agency);
    let sha = &parts.version.content_sha256;
    Document {
        superior_agency: parts.superior.map(|a| issuing_organ(a.kind, &a.name_vi)),
        issuing_agency: organ(parts.issuing, &address.agency),
        number,
        place_and_date: baocao_documents::place_and_date(&place, parts.sent.date()),
        kind: "Báo cáo".into(),
        summary: format!("{regime_name} — {}", period_label(address.period, Lang::Vi)),
        body,
        recipients: vec![receiving, "Lưu: VT".into()],
        signature: SignatureBlock {
            authority: match (parts.issuing, &parts.signer.position) {
                (Some(agency), Some(position)) => signing_authority(agency.kind, position),
                _ => Vec::new(),
            },
            position: parts.signer.position.clone(),
            name: parts.signer.name.clone(),
            mark: match parts.certificate {
                None => vec![
                    format!("Ký số bởi: {}", parts.signer.name),
                    format!(
                        "Thời gian ký: {}",
                        parts.sent.strftime("%H:%M:%S ngày %d/%m/%Y")
                    ),
                    format!(
                        "Bản số {} · SHA-256 {}…",
                        parts.version.number,
                        sha.get(..16).unwrap_or(sha)
                    ),
                ],
                Some(certificate) => vec![
                    format!("Ký số bởi: {}", certificate.holder),
                    format!(
                        "Chứng thư số {} do {} cấp",
                        certificate.serial, certificate.issuer
                    ),
                    format!(
                        "Thời gian ký: {}",
                        certificate
                            .at
                            .to_zoned(legal_time_zone())
                            .strftime("%H:%M:%S ngày %d/%m/%Y")
                    ),
                    format!(
                        "Bản số {} · SHA-256 {}…",
                        parts.version.number,
                        sha.get(..16).unwrap_or(sha)
                    ),
                ],
            },
        },
        keywords: vec![
            address.regime.to_string(),
            address.agency.to_string(),
            address.period.to_string(),
        ],
    }
}

/// Where a document is dated: the locality's name without the kind of unit in front ("Thành
/// phố Hà Nội" → "Hà Nội"); a department dates at its province's; the central agencies at the
/// capital (Decree 30/2020/NĐ-CP).
fn place_of(issuing: Option<&AgencyRecord>, superior: Option<&AgencyRecord>) -> String {
    use baocao_domain::agency::AgencyKind;
    const KINDS: [&str; 6] = [
        "Thành phố ",
        "Tỉnh ",
        "Phường ",
        "Xã ",
        "Đặc khu ",
        "Thị trấn ",
    ];
    let locality = |name: &str| {
        KINDS
            .iter()
            .find_map(|kind| name.strip_prefix(kind))
            .unwrap_or(name)
            .to_string()
    };
    match issuing {
        Some(agency) => match agency.kind {
            AgencyKind::Government | AgencyKind::Ministry | AgencyKind::MinisterialAgency => {
                "Hà Nội".into()
            }
            AgencyKind::Department => superior.map_or("Hà Nội".into(), |s| locality(&s.name_vi)),
            _ => locality(&agency.name_vi),
        },
        None => "Hà Nội".into(),
    }
}

/// Every form of the regime as a table: one row per indicator and disaggregation, one column
/// per measure, the values as Vietnamese writes numbers, the notes on values under it.
fn tables(parts: &Parts<'_>) -> Vec<Table> {
    let regime = parts.report.regime.content();
    let catalogue = parts.catalogue;
    let layout = cell_layout(
        regime,
        &catalogue.indicators,
        &catalogue.categories,
        MAX_COMBINATIONS,
    );
    let value_of = |address: &CellAddress| {
        parts
            .content
            .values
            .iter()
            .find(|cell| &cell.address == address)
    };
    let mut tables = Vec::new();
    for (form_index, form) in regime.forms.iter().enumerate() {
        let columns = form.columns.len().max(1);
        let cells: Vec<_> = layout.iter().filter(|(f, _, _)| *f == form_index).collect();
        let mut rows = Vec::new();
        let mut notes = Vec::new();
        for (line, chunk) in cells.chunks(columns).enumerate() {
            let address = &chunk[0].1;
            let Some(indicator) = catalogue
                .indicators
                .iter()
                .find(|i| i.code() == &address.row)
            else {
                continue;
            };
            let name = if address.options.is_total() {
                indicator.name_vi.clone()
            } else {
                format!(
                    "{} — {}",
                    indicator.name_vi,
                    combo_label(&address.options, &catalogue.categories, Lang::Vi)
                )
            };
            let mut row = vec![
                (line + 1).to_string(),
                name.clone(),
                indicator.unit_vi.clone(),
            ];
            for (_, cell, _) in chunk {
                let stored = value_of(cell);
                row.push(
                    stored
                        .map(|c| show_number(&c.value, Lang::Vi))
                        .unwrap_or_default(),
                );
                if let Some(comment) = stored.and_then(|c| c.comment.as_deref()) {
                    notes.push(format!(
                        "({}) {name}, {}: {comment}",
                        line + 1,
                        cell.column.heading_vi()
                    ));
                }
            }
            rows.push(Row {
                cells: row,
                strong: false,
            });
        }
        let mut header = vec!["STT".to_string(), "Chỉ tiêu".into(), "Đơn vị tính".into()];
        header.extend(form.columns.iter().map(|c| c.heading_vi().to_string()));
        let mut widths = vec![0.9, 5.0, 1.6];
        widths.extend(form.columns.iter().map(|_| 1.8));
        let mut numeric = vec![false, false, false];
        numeric.extend(form.columns.iter().map(|_| true));
        if !notes.is_empty() {
            notes.insert(0, "Ghi chú của đơn vị báo cáo:".into());
        }
        tables.push(Table {
            title: format!("{}: {}", form.code, form.title_vi),
            unit_note: None,
            header,
            widths,
            numeric,
            rows,
            notes,
        });
    }
    tables
}

#[cfg(test)]
mod tests {
    use super::*;

    use baocao_domain::agency::{AgencyKind, AgencyLevel};

    fn agency(name: &str, kind: AgencyKind) -> AgencyRecord {
        AgencyRecord {
            code: AgencyCode::new("X").unwrap(),
            name_vi: name.into(),
            name_en: String::new(),
            kind,
            level: AgencyLevel::Province,
            parent: None,
            valid_from: None,
            valid_to: None,
        }
    }

    #[test]
    fn a_document_is_dated_at_its_locality_or_the_capital() {
        let place = |name, kind| place_of(Some(&agency(name, kind)), None);
        assert_eq!(place("Thành phố Hà Nội", AgencyKind::City), "Hà Nội");
        assert_eq!(place("Tỉnh Đắk Lắk", AgencyKind::Province), "Đắk Lắk");
        assert_eq!(place("Phường Ba Đình", AgencyKind::Commune), "Ba Đình");
        assert_eq!(place("Bộ Tài chính", AgencyKind::Ministry), "Hà Nội");
        let province = agency("Thành phố Huế", AgencyKind::City);
        let department = agency("Sở Y tế", AgencyKind::Department);
        assert_eq!(place_of(Some(&department), Some(&province)), "Huế");
    }
}
