//! Workbooks (xlsx) read within [`Limits`]. An xlsx is a zip of XML files, and each layer can
//! be turned against a reader: a few kilobytes may inflate to gigabytes (a zip bomb), declare a
//! sheet of 17 billion cells (one cell at `XFD1048576`: a reader that lays the sheet out as a
//! grid allocates them all), or pack thousands of attributes on one element (duplicate checks
//! quadratic in their number). [`read`] therefore first walks every file of the archive as a
//! stream — counting inflated bytes against the total and the compression ratio, and every XML
//! token against depth, attribute and size limits and the cells against their budget — and only
//! then lets calamine read the sheets, cell by cell into a sparse map, never by their declared
//! dimensions.

use std::collections::BTreeMap;
use std::io::{self, BufReader, Cursor, Read};

use calamine::Reader;
use quick_xml::events::Event;

use crate::budget::Budget;
use crate::{LimitExceeded, Limits};

pub use calamine::Data;

/// Why a workbook was not read.
#[derive(Debug, thiserror::Error)]
pub enum WorkbookError {
    #[error(transparent)]
    Limit(#[from] LimitExceeded),
    #[error("{0}")]
    Unreadable(String),
}

fn unreadable(error: impl std::fmt::Display) -> WorkbookError {
    WorkbookError::Unreadable(error.to_string())
}

/// One sheet's cells that hold something, by (row, column) from 0.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Sheet {
    pub name: String,
    cells: BTreeMap<(u32, u32), Data>,
    /// The formulas of the cells that hold one, whether or not a result was stored beside.
    formulas: BTreeMap<(u32, u32), String>,
}

impl Sheet {
    pub fn get(&self, row: u32, column: u32) -> Option<&Data> {
        self.cells.get(&(row, column))
    }

    /// The formula of a cell, if it holds one.
    pub fn formula(&self, row: u32, column: u32) -> Option<&str> {
        self.formulas.get(&(row, column)).map(String::as_str)
    }

    /// The rows that hold at least one cell, in order.
    pub fn rows(&self) -> impl Iterator<Item = u32> + '_ {
        let mut last = None;
        self.cells
            .keys()
            .map(|&(row, _)| row)
            .filter(move |&row| last.replace(row) != Some(row))
    }

    /// Each row holding a cell, as its first `width` columns (blank where empty).
    pub fn table(&self, width: u32) -> Vec<Vec<Data>> {
        self.rows()
            .map(|row| {
                (0..width)
                    .map(|column| self.get(row, column).cloned().unwrap_or_default())
                    .collect()
            })
            .collect()
    }

    /// One more than the last column holding a cell (0 for an empty sheet).
    pub fn width(&self) -> u32 {
        self.cells
            .keys()
            .map(|&(_, column)| column + 1)
            .max()
            .unwrap_or(0)
    }

    pub fn cell_count(&self) -> usize {
        self.cells.len()
    }
}

/// Every sheet of the workbook in `bytes`, in the workbook's order, once the archive has passed
/// [`inspect`].
pub fn read(bytes: &[u8], limits: &Limits) -> Result<Vec<Sheet>, WorkbookError> {
    if let Some(kind) = other_spreadsheet(bytes) {
        return Err(WorkbookError::Unreadable(format!(
            "this is {kind}, not an Excel workbook (.xlsx): save it as .xlsx (Excel Workbook) and upload that"
        )));
    }
    inspect(bytes, limits)?;
    // calamine trusts some indices it reads (a shared string's number, for one) and panics on
    // a crafted one; such a workbook is unreadable, not a crash of the request.
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| read_cells(bytes, limits)))
        .unwrap_or_else(|_| {
            Err(unreadable(
                "the workbook is damaged (a cell refers to something it does not hold)",
            ))
        })
}

/// The kind of spreadsheet `bytes` holds when it is one of those read elsewhere but not here:
/// Excel 97–2003 (`.xls`, an OLE compound file) or OpenDocument (`.ods`, a zip whose first
/// entry names its type).
fn other_spreadsheet(bytes: &[u8]) -> Option<&'static str> {
    const COMPOUND_FILE: [u8; 8] = [0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1];
    if bytes.starts_with(&COMPOUND_FILE) {
        return Some("an Excel 97–2003 workbook (.xls)");
    }
    let head = &bytes[..bytes.len().min(200)];
    let opendocument = b"application/vnd.oasis.opendocument.spreadsheet";
    (bytes.starts_with(b"PK") && head.windows(opendocument.len()).any(|w| w == opendocument))
        .then_some("an OpenDocument spreadsheet (.ods)")
}

/// Every sheet's cells, one at a time, within the cell budget.
fn read_cells(bytes: &[u8], limits: &Limits) -> Result<Vec<Sheet>, WorkbookError> {
    let mut workbook: calamine::Xlsx<_> =
        calamine::open_workbook_from_rs(Cursor::new(bytes)).map_err(unreadable)?;
    let mut sheets = Vec::new();
    let mut budget = limits.max_workbook_cells;
    for name in workbook.sheet_names() {
        let mut cells = BTreeMap::new();
        let mut reader = workbook.worksheet_cells_reader(&name).map_err(unreadable)?;
        while let Some(cell) = reader.next_cell().map_err(unreadable)? {
            let value = Data::from(cell.get_value().clone());
            if value == Data::Empty {
                continue;
            }
            budget = budget
                .checked_sub(1)
                .ok_or_else(|| too_many_cells(limits))?;
            cells.insert(cell.get_position(), value);
        }
        drop(reader);
        // Formulas are a second pass over the sheet (the reader gives values or formulas).
        let mut reader = workbook.worksheet_cells_reader(&name).map_err(unreadable)?;
        let mut formulas = BTreeMap::new();
        while let Some(cell) = reader.next_formula().map_err(unreadable)? {
            if cell.get_value().is_empty() {
                continue;
            }
            budget = budget
                .checked_sub(1)
                .ok_or_else(|| too_many_cells(limits))?;
            formulas.insert(cell.get_position(), cell.get_value().clone());
        }
        sheets.push(Sheet {
            name,
            cells,
            formulas,
        });
    }
    Ok(sheets)
}

fn too_many_cells(limits: &Limits) -> LimitExceeded {
    LimitExceeded::new(
        "max_workbook_cells",
        limits.max_workbook_cells,
        format!(
            "the workbook holds more than {} cells and shared strings",
            limits.max_workbook_cells
        ),
    )
}

/// Walks every file of the archive as a stream under `limits`, holding at most one XML token
/// of it at a time. Passes a workbook calamine can then read in bounded memory and time.
pub fn inspect(bytes: &[u8], limits: &Limits) -> Result<(), WorkbookError> {
    let mut archive = zip::ZipArchive::new(Cursor::new(bytes)).map_err(unreadable)?;
    if archive.len() > limits.max_workbook_entries {
        return Err(LimitExceeded::new(
            "max_workbook_entries",
            limits.max_workbook_entries,
            format!("the workbook holds {} files", archive.len()),
        )
        .into());
    }
    let mut inflated = 0u64;
    let mut cells = 0usize;
    for index in 0..archive.len() {
        let entry = archive.by_index(index).map_err(unreadable)?;
        let name = entry.name().to_string();
        let declared = entry.size();
        if inflated.saturating_add(declared) > limits.max_workbook_inflated_bytes {
            return Err(too_large(limits).into());
        }
        let compressed = entry.compressed_size();
        let mut file = Inflating {
            inner: entry,
            read: 0,
            cap: limits
                .max_workbook_inflated_bytes
                .saturating_sub(inflated)
                .min((1 << 20u64).max(compressed.saturating_mul(limits.max_compression_ratio))),
            total_cap: limits.max_workbook_inflated_bytes.saturating_sub(inflated),
            exceeded: None,
        };
        let scanned = if is_xml(&name) {
            scan_xml(&mut file, &name, limits, &mut cells)
        } else {
            io::copy(&mut file, &mut io::sink())
                .map(|_| ())
                .map_err(unreadable)
        };
        if let Some(exceeded) = file.exceeded.take() {
            return Err(exceeded.into());
        }
        scanned?;
        inflated += file.read;
    }
    Ok(())
}

fn too_large(limits: &Limits) -> LimitExceeded {
    LimitExceeded::new(
        "max_workbook_inflated_bytes",
        limits.max_workbook_inflated_bytes,
        format!(
            "the workbook inflates to more than {} bytes",
            limits.max_workbook_inflated_bytes
        ),
    )
}

fn is_xml(name: &str) -> bool {
    [".xml", ".rels", ".vml"]
        .iter()
        .any(|suffix| name.to_ascii_lowercase().ends_with(suffix))
}

/// One archive file as it inflates, stopped at its cap (the total left, or its compressed size
/// times the ratio allowed).
struct Inflating<R> {
    inner: R,
    read: u64,
    cap: u64,
    total_cap: u64,
    exceeded: Option<LimitExceeded>,
}

impl<R: Read> Read for Inflating<R> {
    fn read(&mut self, buffer: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buffer)?;
        self.read += n as u64;
        if self.read > self.cap {
            let limit = if self.read > self.total_cap {
                LimitExceeded::new(
                    "max_workbook_inflated_bytes",
                    self.total_cap,
                    "the workbook inflates past its limit",
                )
            } else {
                LimitExceeded::new(
                    "max_compression_ratio",
                    self.cap,
                    format!("a file of the workbook inflates past {} bytes", self.cap),
                )
            };
            self.exceeded = Some(limit.clone());
            return Err(io::Error::other(limit));
        }
        Ok(n)
    }
}

/// One XML file of the archive, token by token, under the XML limits; counts the cells of
/// worksheets and the shared strings against `cells`.
fn scan_xml(
    file: impl Read,
    name: &str,
    limits: &Limits,
    cells: &mut usize,
) -> Result<(), WorkbookError> {
    let budget = Budget::new("max_token_bytes", limits.max_token_bytes);
    let mut xml = quick_xml::Reader::from_reader(budget.reader(BufReader::new(file)));
    let counted: &[u8] = if name.starts_with("xl/worksheets/") {
        b"c"
    } else if name == "xl/sharedStrings.xml" {
        b"si"
    } else {
        b""
    };
    let mut buffer = Vec::new();
    let mut depth = 0usize;
    loop {
        buffer.clear();
        let event = xml.read_event_into(&mut buffer);
        budget.reset();
        let element = match event {
            Err(error) => {
                return Err(match budget.exceeded() {
                    Some(limit) => limit.into(),
                    None => unreadable(format!("{name}: {error}")),
                });
            }
            Ok(Event::Eof) => return Ok(()),
            Ok(Event::DocType(_)) => {
                return Err(unreadable(format!(
                    "{name}: a DOCTYPE (entities are refused)"
                )));
            }
            Ok(Event::End(_)) => {
                depth = depth.saturating_sub(1);
                continue;
            }
            Ok(Event::Start(element)) => {
                depth += 1;
                if depth > limits.max_xml_depth {
                    return Err(LimitExceeded::new(
                        "max_xml_depth",
                        limits.max_xml_depth,
                        format!("{name} nests elements deeper than {}", limits.max_xml_depth),
                    )
                    .into());
                }
                element
            }
            Ok(Event::Empty(element)) => element,
            Ok(_) => continue,
        };
        crate::xml::check_attributes(&element, limits)?;
        if element.local_name().as_ref() == counted {
            *cells += 1;
            if *cells > limits.max_workbook_cells {
                return Err(too_many_cells(limits).into());
            }
        }
    }
}

#[cfg(test)]
mod tests;
