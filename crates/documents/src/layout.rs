//! The document laid out on A4 pages: every line of text placed at its baseline, every rule
//! at its ends. Positions are in points from the page's top left corner.

use crate::fonts::{Face, Fonts};
use crate::model::{Block, Document, Table};

/// Points per millimetre.
const MM: f32 = 72.0 / 25.4;
pub(crate) const PAGE_WIDTH: f32 = 210.0 * MM;
pub(crate) const PAGE_HEIGHT: f32 = 297.0 * MM;
/// Decree 30/2020/NĐ-CP: top and bottom 20–25 mm, left 30–35 mm, right 15–20 mm.
const TOP: f32 = 20.0 * MM;
const BOTTOM: f32 = 20.0 * MM;
const LEFT: f32 = 30.0 * MM;
const RIGHT: f32 = 15.0 * MM;
const TEXT_WIDTH: f32 = PAGE_WIDTH - LEFT - RIGHT;
/// The body's first-line indent (1–1.27 cm).
const INDENT: f32 = 10.0 * MM;
/// Body text: 13–14 pt, at least 6 pt between paragraphs, lines between single and 1.5.
const BODY: f32 = 14.0;
const PARAGRAPH_GAP: f32 = 6.0;
const LEADING: f32 = 1.2;
/// How far below a line's top its baseline sits (Liberation Serif's ascent).
const ASCENT: f32 = 0.891;
/// Tables: a smaller size, and the space between a cell's border and its text.
const TABLE_TEXT: f32 = 11.0;
const CELL_PADDING: f32 = 3.0;
const THIN: f32 = 0.5;

/// Something drawn on a page.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Mark {
    Text {
        x: f32,
        baseline: f32,
        face: Face,
        size: f32,
        text: String,
    },
    Rule {
        from: (f32, f32),
        to: (f32, f32),
        width: f32,
    },
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Align {
    Left,
    Center,
    Right,
    Justify,
}

/// A paragraph's setting: face, size, alignment, the column it is set in, its first-line
/// indent.
#[derive(Debug, Clone, Copy)]
struct Setting {
    face: Face,
    size: f32,
    align: Align,
    left: f32,
    width: f32,
    indent: f32,
}

impl Setting {
    fn across(face: Face, size: f32, align: Align) -> Self {
        Self {
            face,
            size,
            align,
            left: LEFT,
            width: TEXT_WIDTH,
            indent: 0.0,
        }
    }

    fn column(self, left: f32, width: f32) -> Self {
        Self {
            left,
            width,
            ..self
        }
    }

    fn line_height(&self) -> f32 {
        self.size * LEADING
    }
}

/// Pages being filled from the top down.
pub(crate) struct Flow<'f> {
    fonts: &'f Fonts,
    pub(crate) pages: Vec<Vec<Mark>>,
    y: f32,
}

impl<'f> Flow<'f> {
    fn new(fonts: &'f Fonts) -> Self {
        Self {
            fonts,
            pages: vec![Vec::new()],
            y: TOP,
        }
    }

    fn mark(&mut self, mark: Mark) {
        if let Some(page) = self.pages.last_mut() {
            page.push(mark);
        }
    }

    fn new_page(&mut self) {
        self.pages.push(Vec::new());
        self.y = TOP;
    }

    /// A new page unless `height` more fits on this one.
    fn room_for(&mut self, height: f32) {
        if self.y + height > PAGE_HEIGHT - BOTTOM && self.y > TOP {
            self.new_page();
        }
    }

    fn rule(&mut self, from: (f32, f32), to: (f32, f32), width: f32) {
        self.mark(Mark::Rule { from, to, width });
    }

    /// One line's words placed at `top`, aligned within the setting's column (`last`: the
    /// paragraph's last line, never stretched).
    fn line(&mut self, setting: &Setting, words: &[String], top: f32, first: bool, last: bool) {
        let fonts = self.fonts;
        let (face, size) = (setting.face, setting.size);
        let indent = if first { setting.indent } else { 0.0 };
        let left = setting.left + indent;
        let room = setting.width - indent;
        let text = words.join(" ");
        let width = fonts.width(face, size, &text);
        let baseline = top + size * ASCENT;
        let stretch = setting.align == Align::Justify && !last && words.len() > 1;
        if stretch {
            let natural: f32 = words.iter().map(|w| fonts.width(face, size, w)).sum();
            let gap = (room - natural) / (words.len() - 1) as f32;
            let mut x = left;
            for word in words {
                let advance = fonts.width(face, size, word);
                self.mark(Mark::Text {
                    x,
                    baseline,
                    face,
                    size,
                    text: word.clone(),
                });
                x += advance + gap;
            }
            return;
        }
        let x = match setting.align {
            Align::Left | Align::Justify => left,
            Align::Center => left + (room - width) / 2.0,
            Align::Right => left + room - width,
        };
        if !text.is_empty() {
            self.mark(Mark::Text {
                x,
                baseline,
                face,
                size,
                text,
            });
        }
    }

    /// A paragraph in the flow, breaking pages between its lines.
    fn paragraph(&mut self, setting: Setting, text: &str) {
        let lines = self.fonts.wrap(
            setting.face,
            setting.size,
            text,
            setting.width,
            setting.indent,
        );
        let count = lines.len();
        for (n, words) in lines.iter().enumerate() {
            self.room_for(setting.line_height());
            let top = self.y;
            self.line(&setting, words, top, n == 0, n + 1 == count);
            self.y += setting.line_height();
        }
    }

    /// A paragraph set from `top` in a column beside another (no page break); answers where
    /// it ends.
    fn placed(&mut self, setting: Setting, text: &str, top: f32) -> f32 {
        let lines = self
            .fonts
            .wrap(setting.face, setting.size, text, setting.width, 0.0);
        let count = lines.len();
        let mut y = top;
        for (n, words) in lines.iter().enumerate() {
            self.line(&setting, words, y, n == 0, n + 1 == count);
            y += setting.line_height();
        }
        y
    }

    /// A rule centred under a column, `share` of its width (or `width` when given).
    fn centred_rule(&mut self, left: f32, column: f32, width: f32, y: f32) {
        let width = width.min(column);
        let start = left + (column - width) / 2.0;
        self.rule((start, y), (start + width, y), THIN);
    }

    /// The heading of the document: agency and number on the left, the national title, motto,
    /// place and date on the right; then the kind and summary across the page.
    fn heading(&mut self, document: &Document) {
        let left_width = TEXT_WIDTH * 0.42;
        let right_left = LEFT + left_width;
        let right_width = TEXT_WIDTH - left_width;
        let top = self.y;

        let agency = Setting::across(Face::Regular, 12.5, Align::Center).column(LEFT, left_width);
        let mut left_y = top;
        if let Some(superior) = &document.superior_agency {
            left_y = self.placed(agency, &superior.to_uppercase(), left_y);
        }
        let issuing = Setting {
            face: Face::Bold,
            ..agency
        };
        let issuing_text = document.issuing_agency.to_uppercase();
        left_y = self.placed(issuing, &issuing_text, left_y);
        let rule = self
            .fonts
            .width(Face::Bold, 12.5, &issuing_text)
            .min(left_width)
            / 3.0;
        self.centred_rule(LEFT, left_width, rule, left_y + 4.0);

        let national =
            Setting::across(Face::Bold, 12.0, Align::Center).column(right_left, right_width);
        let mut right_y = self.placed(national, "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", top);
        let motto = "Độc lập - Tự do - Hạnh phúc";
        let motto_setting = Setting {
            size: 13.0,
            ..national
        };
        right_y = self.placed(motto_setting, motto, right_y);
        let motto_width = self.fonts.width(Face::Bold, 13.0, motto);
        self.centred_rule(right_left, right_width, motto_width, right_y + 4.0);

        // The number on the left and the place and date on the right, on one line.
        let line = left_y.max(right_y) + 10.0;
        let number = Setting::across(Face::Regular, 13.0, Align::Center).column(LEFT, left_width);
        let below_number = self.placed(number, &format!("Số: {}", document.number), line);
        let date =
            Setting::across(Face::Italic, 13.0, Align::Center).column(right_left, right_width);
        let below_date = self.placed(date, &document.place_and_date, line);
        self.y = below_number.max(below_date) + 18.0;

        let title = Setting::across(Face::Bold, 14.0, Align::Center);
        self.paragraph(title, &document.kind.to_uppercase());
        self.paragraph(title, &document.summary);
        let summary_width = self
            .fonts
            .width(Face::Bold, 14.0, &document.summary)
            .min(TEXT_WIDTH);
        let y = self.y + 5.0;
        self.centred_rule(
            LEFT,
            TEXT_WIDTH,
            (summary_width / 3.0).max(40.0 * MM / 2.0),
            y,
        );
        self.y = y + 14.0;
    }

    fn body(&mut self, blocks: &[Block]) {
        let text = Setting {
            indent: INDENT,
            ..Setting::across(Face::Regular, BODY, Align::Justify)
        };
        let heading = Setting {
            face: Face::Bold,
            align: Align::Left,
            ..text
        };
        for block in blocks {
            match block {
                Block::Heading(title) => {
                    // A heading never ends a page alone.
                    self.room_for(heading.line_height() * 3.0);
                    self.paragraph(heading, title);
                    self.y += PARAGRAPH_GAP;
                }
                Block::Paragraph(paragraphs) => {
                    for paragraph in paragraphs.lines().filter(|l| !l.trim().is_empty()) {
                        self.paragraph(text, paragraph.trim());
                        self.y += PARAGRAPH_GAP;
                    }
                }
                Block::Table(table) => {
                    self.table(table);
                    self.y += PARAGRAPH_GAP * 2.0;
                }
            }
        }
    }

    /// A table's rows each as its cells' lines, and the row's height.
    fn cells(&self, cells: &[String], face: Face, widths: &[f32]) -> (Vec<Vec<Vec<String>>>, f32) {
        let lines: Vec<Vec<Vec<String>>> = cells
            .iter()
            .zip(widths)
            .map(|(cell, width)| {
                self.fonts
                    .wrap(face, TABLE_TEXT, cell, width - 2.0 * CELL_PADDING, 0.0)
            })
            .collect();
        let most = lines.iter().map(Vec::len).max().unwrap_or(1).max(1);
        (
            lines,
            most as f32 * TABLE_TEXT * LEADING + 2.0 * CELL_PADDING,
        )
    }

    /// One row of cells drawn from the flow's position, with its borders.
    fn row(
        &mut self,
        lines: &[Vec<Vec<String>>],
        height: f32,
        face: Face,
        table: &Table,
        widths: &[f32],
        header: bool,
    ) {
        let top = self.y;
        let mut x = LEFT;
        for (column, (cell, width)) in lines.iter().zip(widths).enumerate() {
            let align = if header {
                Align::Center
            } else if table.numeric.get(column).copied().unwrap_or(false) {
                Align::Right
            } else {
                Align::Left
            };
            let setting = Setting::across(face, TABLE_TEXT, align)
                .column(x + CELL_PADDING, width - 2.0 * CELL_PADDING);
            let mut y = top + CELL_PADDING;
            for words in cell {
                self.line(&setting, words, y, false, true);
                y += TABLE_TEXT * LEADING;
            }
            self.rule((x, top), (x, top + height), THIN);
            x += width;
        }
        self.rule((x, top), (x, top + height), THIN);
        self.rule((LEFT, top), (x, top), THIN);
        self.rule((LEFT, top + height), (x, top + height), THIN);
        self.y = top + height;
    }

    fn table(&mut self, table: &Table) {
        let total: f32 = table.widths.iter().sum::<f32>().max(f32::EPSILON);
        let widths: Vec<f32> = table
            .widths
            .iter()
            .map(|w| w / total * TEXT_WIDTH)
            .collect();
        let (header_lines, header_height) = self.cells(&table.header, Face::Bold, &widths);
        // The title, the unit and the heading row stay with the first row.
        self.room_for(60.0 + header_height);
        self.paragraph(
            Setting::across(Face::Bold, 13.0, Align::Center),
            &table.title,
        );
        if let Some(unit) = &table.unit_note {
            self.paragraph(Setting::across(Face::Italic, 12.0, Align::Right), unit);
        }
        self.y += 4.0;
        self.row(
            &header_lines,
            header_height,
            Face::Bold,
            table,
            &widths,
            true,
        );
        for row in &table.rows {
            let face = if row.strong {
                Face::Bold
            } else {
                Face::Regular
            };
            let (lines, height) = self.cells(&row.cells, face, &widths);
            if self.y + height > PAGE_HEIGHT - BOTTOM {
                // The heading row again at the top of the next page.
                self.new_page();
                self.row(
                    &header_lines,
                    header_height,
                    Face::Bold,
                    table,
                    &widths,
                    true,
                );
            }
            self.row(&lines, height, face, table, &widths, false);
        }
        if !table.notes.is_empty() {
            self.y += 4.0;
            let note = Setting::across(Face::Italic, 12.0, Align::Left);
            for line in &table.notes {
                self.paragraph(note, line);
            }
        }
    }

    /// Recipients on the left, the signer on the right, kept together on one page.
    fn closing(&mut self, document: &Document) {
        let signature = &document.signature;
        let left_width = TEXT_WIDTH * 0.45;
        let right_left = LEFT + left_width;
        let right_width = TEXT_WIDTH - left_width;
        let recipients_height = 14.0 + document.recipients.len() as f32 * 13.5;
        let signer_height = 3.0 * 16.0 + 16.0 + signature.mark.len() as f32 * 12.0 + 40.0;
        self.room_for(recipients_height.max(signer_height) + 12.0);
        let top = self.y + 12.0;

        let heading = Setting::across(Face::BoldItalic, 12.0, Align::Left).column(LEFT, left_width);
        let mut left_y = self.placed(heading, "Nơi nhận:", top);
        let recipient = Setting::across(Face::Regular, 11.0, Align::Left).column(LEFT, left_width);
        let count = document.recipients.len();
        for (n, name) in document.recipients.iter().enumerate() {
            let end = if n + 1 == count { "." } else { ";" };
            left_y = self.placed(recipient, &format!("- {name}{end}"), left_y);
        }

        let signer =
            Setting::across(Face::Bold, 13.0, Align::Center).column(right_left, right_width);
        let mut right_y = top;
        for authority in &signature.authority {
            right_y = self.placed(signer, &authority.to_uppercase(), right_y);
        }
        if let Some(position) = &signature.position {
            right_y = self.placed(signer, &position.to_uppercase(), right_y);
        }
        right_y += 8.0;
        let mark =
            Setting::across(Face::Italic, 10.0, Align::Center).column(right_left, right_width);
        let mark_top = right_y;
        for line in &signature.mark {
            right_y = self.placed(mark, line, right_y);
        }
        if !signature.mark.is_empty() {
            // The mark framed, as a digital signature's stamp is shown in the space for the hand
            // signature.
            let widest = signature
                .mark
                .iter()
                .map(|l| self.fonts.width(Face::Italic, 10.0, l))
                .fold(0.0, f32::max)
                + 12.0;
            let start = right_left + (right_width - widest.min(right_width)) / 2.0;
            let end = start + widest.min(right_width);
            let (top, bottom) = (mark_top - 3.0, right_y + 2.0);
            self.rule((start, top), (end, top), THIN);
            self.rule((start, bottom), (end, bottom), THIN);
            self.rule((start, top), (start, bottom), THIN);
            self.rule((end, top), (end, bottom), THIN);
        }
        right_y += 22.0;
        let name = Setting {
            size: 14.0,
            ..signer
        };
        right_y = self.placed(name, &signature.name, right_y);
        self.y = left_y.max(right_y);
    }

    /// Page numbers at the top centre from the second page on.
    fn number_pages(&mut self) {
        for (index, page) in self.pages.iter_mut().enumerate().skip(1) {
            let text = (index + 1).to_string();
            let width = self.fonts.width(Face::Regular, 13.0, &text);
            page.push(Mark::Text {
                x: LEFT + (TEXT_WIDTH - width) / 2.0,
                baseline: TOP * 0.6,
                face: Face::Regular,
                size: 13.0,
                text,
            });
        }
    }
}

/// The document laid out: the marks of each page.
pub(crate) fn lay_out(fonts: &Fonts, document: &Document) -> Vec<Vec<Mark>> {
    let mut flow = Flow::new(fonts);
    flow.heading(document);
    flow.body(&document.body);
    flow.closing(document);
    flow.number_pages();
    flow.pages
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Row, SignatureBlock};

    fn document(rows: usize) -> Document {
        Document {
            superior_agency: Some("Ủy ban nhân dân tỉnh Đắk Lắk".into()),
            issuing_agency: "Sở Tài chính".into(),
            number: "7/BC-STC".into(),
            place_and_date: "Đắk Lắk, ngày 05 tháng 12 năm 2026".into(),
            kind: "Báo cáo".into(),
            summary: "Tình hình kinh tế - xã hội tháng 11 năm 2026".into(),
            body: vec![
                Block::Heading("1. Tình hình chung".into()),
                Block::Paragraph("Trong tháng, tình hình trật tự an toàn giao thông trên địa bàn được bảo đảm; số vụ tai nạn giảm so với cùng kỳ năm trước.".repeat(3)),
                Block::Table(Table {
                    title: "Biểu 01: Trật tự an toàn giao thông".into(),
                    unit_note: Some("Đơn vị tính: vụ, người".into()),
                    header: vec!["Chỉ tiêu".into(), "Đơn vị".into(), "Kỳ báo cáo".into()],
                    widths: vec![5.0, 1.5, 2.0],
                    numeric: vec![false, false, true],
                    rows: (0..rows)
                        .map(|n| Row {
                            cells: vec![format!("Chỉ tiêu số {n} của Thừa Thiên Huế"), "vụ".into(), n.to_string()],
                            strong: n == 0,
                        })
                        .collect(),
                    notes: vec!["Ghi chú: số liệu sơ bộ.".into()],
                }),
            ],
            recipients: vec!["Văn phòng Chính phủ".into(), "Lưu: VT".into()],
            signature: SignatureBlock {
                authority: vec!["KT. Giám đốc".into()],
                position: Some("Phó Giám đốc".into()),
                name: "Nguyễn Thị Hường".into(),
                mark: vec!["Ký số bởi: Nguyễn Thị Hường".into()],
            },
            keywords: vec![],
        }
    }

    fn texts(page: &[Mark]) -> Vec<(f32, f32, String)> {
        page.iter()
            .filter_map(|m| match m {
                Mark::Text {
                    x, baseline, text, ..
                } => Some((*x, *baseline, text.clone())),
                Mark::Rule { .. } => None,
            })
            .collect()
    }

    #[test]
    fn everything_stays_inside_the_decrees_margins() {
        let fonts = Fonts::load().unwrap();
        let pages = lay_out(&fonts, &document(120));
        assert!(pages.len() > 2, "{} pages", pages.len());
        for (index, page) in pages.iter().enumerate() {
            for mark in page {
                match mark {
                    Mark::Text {
                        x,
                        baseline,
                        face,
                        size,
                        text,
                    } => {
                        let right = x + fonts.width(*face, *size, text);
                        assert!(
                            *x >= LEFT - 0.01 && right <= PAGE_WIDTH - RIGHT + 0.01,
                            "{text} at {x}..{right}"
                        );
                        // The page number sits in the top margin; nothing else does.
                        let top_margin = *baseline < TOP;
                        assert!(
                            !top_margin || (index > 0 && text == &(index + 1).to_string()),
                            "{text}"
                        );
                        assert!(*baseline <= PAGE_HEIGHT - BOTTOM, "{text} below the margin");
                    }
                    Mark::Rule { from, to, .. } => {
                        assert!(from.0 >= LEFT - 0.01 && to.0 <= PAGE_WIDTH - RIGHT + 0.01);
                        assert!(to.1 <= PAGE_HEIGHT - BOTTOM + 0.01);
                    }
                }
            }
        }
        // The first page carries no number; every later one its own.
        assert!(!texts(&pages[0]).iter().any(|(_, b, _)| *b < TOP));
    }

    #[test]
    fn a_table_continued_on_a_new_page_repeats_its_heading_row() {
        let fonts = Fonts::load().unwrap();
        let pages = lay_out(&fonts, &document(120));
        let with_heading = pages
            .iter()
            .filter(|page| texts(page).iter().any(|(_, _, t)| t == "Chỉ tiêu"))
            .count();
        let with_rows = pages
            .iter()
            .filter(|page| {
                texts(page)
                    .iter()
                    .any(|(_, _, t)| t.starts_with("Chỉ tiêu số"))
            })
            .count();
        assert!(with_rows > 1);
        assert_eq!(with_heading, with_rows);
    }

    #[test]
    fn the_national_title_sits_right_of_the_agency_on_the_first_lines() {
        let fonts = Fonts::load().unwrap();
        let pages = lay_out(&fonts, &document(3));
        let first = texts(&pages[0]);
        let find = |wanted: &str| first.iter().find(|(_, _, t)| t == wanted).cloned().unwrap();
        let (agency_x, agency_y, _) = find("SỞ TÀI CHÍNH");
        let (title_x, title_y, _) = find("CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM");
        let (number_x, number_y, _) = find("Số: 7/BC-STC");
        let (_, date_y, _) = find("Đắk Lắk, ngày 05 tháng 12 năm 2026");
        assert!(title_x > agency_x && title_y < agency_y);
        assert!(number_x < title_x);
        assert_eq!(number_y, date_y, "number and date on one line");
        let (_, kind_y, _) = find("BÁO CÁO");
        assert!(kind_y > number_y);
    }
}
