//! The document as DOCX, for agencies that still edit before they issue: the same elements in
//! the same places as the PDF — the heading as a borderless two-column table, the body, the
//! forms as tables, recipients and signer side by side — on A4 with the decree's margins, set
//! in Times New Roman (the font every such office has; the PDF embeds its metric twin). Written
//! by docx-rs.

use docx_rs::{
    AlignmentType, Docx, Header, LineSpacing, PageMargin, PageNum, Paragraph, Run, RunFonts,
    SpecialIndentType, Table as DocxTable, TableCell, TableRow, WidthType,
};

use crate::DocumentError;
use crate::model::{Block, Document, Table};

/// Twentieths of a point per millimetre.
const TWIPS_PER_MM: f32 = 1440.0 / 25.4;
const PAGE_WIDTH: u32 = 11906;
const PAGE_HEIGHT: u32 = 16838;
/// The decree's text width: 210 mm less 30 mm left and 15 mm right.
const TEXT_WIDTH: usize = 9354;

fn mm(millimetres: f32) -> i32 {
    (millimetres * TWIPS_PER_MM).round() as i32
}

/// A run of text at `points`, bold and italic as asked.
fn run(text: &str, points: usize, bold: bool, italic: bool) -> Run {
    let mut run = Run::new().add_text(text).size(points * 2);
    if bold {
        run = run.bold();
    }
    if italic {
        run = run.italic();
    }
    run
}

fn centred(text: &str, points: usize, bold: bool, italic: bool) -> Paragraph {
    Paragraph::new()
        .align(AlignmentType::Center)
        .add_run(run(text, points, bold, italic))
}

/// A cell of the layout tables that carry no borders.
fn bare_cell(paragraphs: Vec<Paragraph>, width: usize) -> TableCell {
    paragraphs
        .into_iter()
        .fold(TableCell::new(), TableCell::add_paragraph)
        .width(width, WidthType::Dxa)
        .clear_all_border()
}

fn heading(document: &Document) -> DocxTable {
    let left = TEXT_WIDTH * 42 / 100;
    let right = TEXT_WIDTH - left;
    let mut agency = Vec::new();
    if let Some(superior) = &document.superior_agency {
        agency.push(centred(&superior.to_uppercase(), 13, false, false));
    }
    agency.push(centred(
        &document.issuing_agency.to_uppercase(),
        13,
        true,
        false,
    ));
    agency.push(centred("________", 13, false, false));
    agency.push(centred(
        &format!("Số: {}", document.number),
        13,
        false,
        false,
    ));
    let national = vec![
        centred("CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", 12, true, false),
        centred("Độc lập - Tự do - Hạnh phúc", 13, true, false),
        centred("_______________", 13, false, false),
        centred(&document.place_and_date, 13, false, true),
    ];
    DocxTable::without_borders(vec![TableRow::new(vec![
        bare_cell(agency, left),
        bare_cell(national, right),
    ])])
    .set_grid(vec![left, right])
    .width(TEXT_WIDTH, WidthType::Dxa)
}

fn form(table: &Table) -> DocxTable {
    let total: f32 = table.widths.iter().sum::<f32>().max(f32::EPSILON);
    let widths: Vec<usize> = table
        .widths
        .iter()
        .map(|w| (w / total * TEXT_WIDTH as f32) as usize)
        .collect();
    let cell = |text: &str, width: usize, bold: bool, align: AlignmentType| {
        TableCell::new()
            .add_paragraph(
                Paragraph::new()
                    .align(align)
                    .add_run(run(text, 11, bold, false)),
            )
            .width(width, WidthType::Dxa)
    };
    let mut rows = vec![TableRow::new(
        table
            .header
            .iter()
            .zip(&widths)
            .map(|(text, width)| cell(text, *width, true, AlignmentType::Center))
            .collect(),
    )];
    for row in &table.rows {
        rows.push(TableRow::new(
            row.cells
                .iter()
                .zip(&widths)
                .enumerate()
                .map(|(column, (text, width))| {
                    let align = if table.numeric.get(column).copied().unwrap_or(false) {
                        AlignmentType::Right
                    } else {
                        AlignmentType::Left
                    };
                    cell(text, *width, row.strong, align)
                })
                .collect(),
        ));
    }
    DocxTable::new(rows)
        .set_grid(widths)
        .width(TEXT_WIDTH, WidthType::Dxa)
}

fn closing(document: &Document) -> DocxTable {
    let left = TEXT_WIDTH * 45 / 100;
    let right = TEXT_WIDTH - left;
    let mut recipients = vec![Paragraph::new().add_run(run("Nơi nhận:", 12, true, true))];
    let count = document.recipients.len();
    for (n, name) in document.recipients.iter().enumerate() {
        let end = if n + 1 == count { "." } else { ";" };
        recipients.push(Paragraph::new().add_run(run(&format!("- {name}{end}"), 11, false, false)));
    }
    let signature = &document.signature;
    let mut signer = Vec::new();
    for authority in &signature.authority {
        signer.push(centred(&authority.to_uppercase(), 13, true, false));
    }
    if let Some(position) = &signature.position {
        signer.push(centred(&position.to_uppercase(), 13, true, false));
    }
    signer.extend(
        signature
            .mark
            .iter()
            .map(|line| centred(line, 10, false, true)),
    );
    signer.push(Paragraph::new());
    signer.push(centred(&signature.name, 14, true, false));
    DocxTable::without_borders(vec![TableRow::new(vec![
        bare_cell(recipients, left),
        bare_cell(signer, right),
    ])])
    .set_grid(vec![left, right])
    .width(TEXT_WIDTH, WidthType::Dxa)
}

/// The document as a DOCX file.
pub fn render_docx(document: &Document) -> Result<Vec<u8>, DocumentError> {
    let body_text = |text: &str| {
        Paragraph::new()
            .align(AlignmentType::Both)
            .indent(
                None,
                Some(SpecialIndentType::FirstLine(mm(10.0))),
                None,
                None,
            )
            .line_spacing(LineSpacing::new().after(120))
            .add_run(run(text, 14, false, false))
    };
    let mut docx = Docx::new()
        .page_size(PAGE_WIDTH, PAGE_HEIGHT)
        .page_margin(
            PageMargin::new()
                .top(mm(20.0))
                .bottom(mm(20.0))
                .left(mm(30.0))
                .right(mm(15.0))
                .header(mm(10.0))
                .footer(mm(10.0)),
        )
        .default_fonts(
            RunFonts::new()
                .ascii("Times New Roman")
                .hi_ansi("Times New Roman")
                .cs("Times New Roman")
                .east_asia("Times New Roman"),
        )
        .default_size(28)
        // Page numbers at the top centre from the second page; none on the first.
        .header(
            Header::new().add_paragraph(
                Paragraph::new()
                    .align(AlignmentType::Center)
                    .add_page_num(PageNum::new()),
            ),
        )
        .first_header(Header::new())
        .add_table(heading(document))
        .add_paragraph(Paragraph::new())
        .add_paragraph(centred(&document.kind.to_uppercase(), 14, true, false))
        .add_paragraph(centred(&document.summary, 14, true, false))
        .add_paragraph(centred("________", 14, false, false));
    for block in &document.body {
        docx = match block {
            Block::Heading(title) => docx.add_paragraph(
                Paragraph::new()
                    .indent(
                        None,
                        Some(SpecialIndentType::FirstLine(mm(10.0))),
                        None,
                        None,
                    )
                    .keep_next(true)
                    .add_run(run(title, 14, true, false)),
            ),
            Block::Paragraph(text) => text
                .lines()
                .map(str::trim)
                .filter(|line| !line.is_empty())
                .fold(docx, |docx, line| docx.add_paragraph(body_text(line))),
            Block::Table(table) => {
                let mut docx = docx.add_paragraph(centred(&table.title, 13, true, false));
                if let Some(unit) = &table.unit_note {
                    docx = docx.add_paragraph(
                        Paragraph::new()
                            .align(AlignmentType::Right)
                            .add_run(run(unit, 12, false, true)),
                    );
                }
                let docx = docx.add_table(form(table));
                table.notes.iter().fold(docx, |docx, note| {
                    docx.add_paragraph(Paragraph::new().add_run(run(note, 12, false, true)))
                })
            }
        };
    }
    let docx = docx
        .add_paragraph(Paragraph::new())
        .add_table(closing(document));
    let mut bytes = std::io::Cursor::new(Vec::new());
    docx.build()
        .pack(&mut bytes)
        .map_err(|error| DocumentError::Write(format!("DOCX: {error}")))?;
    Ok(bytes.into_inner())
}
