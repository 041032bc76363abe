//! The laid-out pages written as PDF by krilla, with the document's metadata (title, issuing
//! agency, language) and the font embedded, subset to the glyphs used.

use krilla::geom::{PathBuilder, Point};
use krilla::page::PageSettings;
use krilla::paint::{Fill, Stroke};
use krilla::text::TextDirection;

use crate::DocumentError;
use crate::fonts::Fonts;
use crate::layout::{Mark, PAGE_HEIGHT, PAGE_WIDTH, lay_out};
use crate::model::Document;

/// The document as a PDF file.
pub fn render_pdf(document: &Document) -> Result<Vec<u8>, DocumentError> {
    let fonts = Fonts::load()?;
    let pages = lay_out(&fonts, document);
    let mut pdf = krilla::Document::new();
    pdf.set_metadata(
        krilla::metadata::Metadata::new()
            .title(format!("{} {}", document.kind, document.summary))
            .authors(vec![document.issuing_agency.clone()])
            .keywords(document.keywords.clone())
            .language("vi".into())
            .creator("baocao".into()),
    );
    for marks in pages {
        let settings = PageSettings::from_wh(PAGE_WIDTH, PAGE_HEIGHT)
            .ok_or_else(|| DocumentError::Write("an A4 page".into()))?;
        let mut page = pdf.start_page_with(settings);
        let mut surface = page.surface();
        for mark in marks {
            match mark {
                Mark::Text {
                    x,
                    baseline,
                    face,
                    size,
                    text,
                } => surface.draw_text(
                    Point::from_xy(x, baseline),
                    fonts.font(face),
                    size,
                    &text,
                    false,
                    TextDirection::LeftToRight,
                ),
                Mark::Rule { from, to, width } => {
                    let mut path = PathBuilder::new();
                    path.move_to(from.0, from.1);
                    path.line_to(to.0, to.1);
                    let Some(path) = path.finish() else {
                        continue;
                    };
                    surface.set_fill(None);
                    surface.set_stroke(Some(Stroke {
                        width,
                        ..Stroke::default()
                    }));
                    surface.draw_path(&path);
                    surface.set_stroke(None);
                    surface.set_fill(Some(Fill::default()));
                }
            }
        }
        surface.finish();
        page.finish();
    }
    pdf.finish()
        .map_err(|error| DocumentError::Write(format!("{error:?}")))
}
