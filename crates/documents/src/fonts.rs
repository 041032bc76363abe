//! The four faces of Liberation Serif compiled into the binary, and lines measured by the
//! faces' own advance widths. Measuring adds each character's advance rather than shaping
//! every word: a shaping call costs a plan, and a long section costs millions of words. What
//! that leaves out is kerning, which in these faces only draws pairs closer: a line drawn is
//! never wider than measured.

use crate::DocumentError;

static REGULAR: &[u8] = include_bytes!("../fonts/LiberationSerif-Regular.ttf");
static BOLD: &[u8] = include_bytes!("../fonts/LiberationSerif-Bold.ttf");
static ITALIC: &[u8] = include_bytes!("../fonts/LiberationSerif-Italic.ttf");
static BOLD_ITALIC: &[u8] = include_bytes!("../fonts/LiberationSerif-BoldItalic.ttf");

/// A face of the family.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Face {
    Regular,
    Bold,
    Italic,
    BoldItalic,
}

impl Face {
    const ALL: [Face; 4] = [Face::Regular, Face::Bold, Face::Italic, Face::BoldItalic];

    fn index(self) -> usize {
        self as usize
    }

    fn bytes(self) -> (&'static [u8], &'static str) {
        match self {
            Face::Regular => (REGULAR, "LiberationSerif-Regular"),
            Face::Bold => (BOLD, "LiberationSerif-Bold"),
            Face::Italic => (ITALIC, "LiberationSerif-Italic"),
            Face::BoldItalic => (BOLD_ITALIC, "LiberationSerif-BoldItalic"),
        }
    }
}

/// The family loaded: krilla's fonts to draw with, the parsed faces to measure with.
pub(crate) struct Fonts {
    drawn: Vec<krilla::text::Font>,
    measured: Vec<rustybuzz::ttf_parser::Face<'static>>,
}

impl Fonts {
    pub(crate) fn load() -> Result<Self, DocumentError> {
        let mut drawn = Vec::new();
        let mut measured = Vec::new();
        for face in Face::ALL {
            let (bytes, name) = face.bytes();
            drawn.push(krilla::text::Font::new(bytes.into(), 0).ok_or(DocumentError::Font(name))?);
            measured.push(
                rustybuzz::ttf_parser::Face::parse(bytes, 0)
                    .map_err(|_| DocumentError::Font(name))?,
            );
        }
        Ok(Self { drawn, measured })
    }

    pub(crate) fn font(&self, face: Face) -> krilla::text::Font {
        self.drawn[face.index()].clone()
    }

    /// The advance of `text` set in `face` at `size` points.
    pub(crate) fn width(&self, face: Face, size: f32, text: &str) -> f32 {
        let measured = &self.measured[face.index()];
        let units: u32 = text
            .chars()
            .map(|character| {
                measured
                    .glyph_index(character)
                    .and_then(|glyph| measured.glyph_hor_advance(glyph))
                    .map_or(0, u32::from)
            })
            .sum();
        units as f32 * size / f32::from(measured.units_per_em())
    }

    /// `text` broken into lines no wider than `width` (the first `first_indent` narrower), at
    /// spaces; a word wider than a whole line is broken between its characters.
    pub(crate) fn wrap(
        &self,
        face: Face,
        size: f32,
        text: &str,
        width: f32,
        first_indent: f32,
    ) -> Vec<Vec<String>> {
        let space = self.width(face, size, " ");
        let mut lines: Vec<Vec<String>> = Vec::new();
        let mut line: Vec<String> = Vec::new();
        let mut used = 0.0;
        let room = |lines: &Vec<Vec<String>>| {
            if lines.is_empty() {
                width - first_indent
            } else {
                width
            }
        };
        for word in text.split_whitespace() {
            let word_width = self.width(face, size, word);
            let needed = if line.is_empty() {
                word_width
            } else {
                used + space + word_width
            };
            if needed <= room(&lines) {
                line.push(word.to_string());
                used = needed;
                continue;
            }
            if !line.is_empty() {
                lines.push(std::mem::take(&mut line));
            }
            if word_width <= room(&lines) {
                line.push(word.to_string());
                used = word_width;
                continue;
            }
            // Wider than a whole line: broken between its characters, in one pass.
            let mut chunks = self.chunks(face, size, word, room(&lines), width);
            let last = chunks.pop().unwrap_or_default();
            lines.extend(chunks.into_iter().map(|chunk| vec![chunk]));
            used = self.width(face, size, &last);
            line.push(last);
        }
        if !line.is_empty() || lines.is_empty() {
            lines.push(line);
        }
        lines
    }

    /// `word` cut into pieces that fit `first` and then `rest` points, measured a character
    /// at a time (linear however long the word: a pasted string without spaces must not
    /// cost its square).
    fn chunks(&self, face: Face, size: f32, word: &str, first: f32, rest: f32) -> Vec<String> {
        let mut chunks = Vec::new();
        let mut chunk = String::new();
        let mut used = 0.0;
        let mut room = first;
        let mut buffer = [0u8; 4];
        for character in word.chars() {
            let advance = self.width(face, size, character.encode_utf8(&mut buffer));
            if used + advance > room && !chunk.is_empty() {
                chunks.push(std::mem::take(&mut chunk));
                used = 0.0;
                room = rest;
            }
            chunk.push(character);
            used += advance;
        }
        chunks.push(chunk);
        chunks
    }
}
#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_vietnamese_letter_has_a_glyph_of_its_own() {
        let fonts = Fonts::load().unwrap();
        for face in Face::ALL {
            let shaper = &fonts.measured[face.index()];
            for letter in
                "ăâđêôơưĂÂĐÊÔƠƯàảãáạằẳẵắặầẩẫấậèẻẽéẹềểễếệìỉĩíịòỏõóọồổỗốộờởỡớợùủũúụừửữứựỳỷỹýỵ".chars()
            {
                assert!(
                    shaper.glyph_index(letter).is_some(),
                    "{face:?} lacks {letter}"
                );
            }
        }
    }

    #[test]
    fn lines_wrap_within_their_width_and_keep_every_word() {
        let fonts = Fonts::load().unwrap();
        let text = "Tình hình trật tự an toàn giao thông trên địa bàn tỉnh Thừa Thiên Huế và Đắk Lắk trong tháng";
        let lines = fonts.wrap(Face::Regular, 14.0, text, 200.0, 28.0);
        assert!(lines.len() > 1);
        for (n, line) in lines.iter().enumerate() {
            let width = fonts.width(Face::Regular, 14.0, &line.join(" "));
            let room = if n == 0 { 172.0 } else { 200.0 };
            assert!(width <= room + 0.01, "{line:?} is {width} wide");
        }
        let words: Vec<String> = lines.concat();
        assert_eq!(words.join(" "), text);
        // A word longer than a line is broken, not lost — a pasted run of a hundred thousand
        // characters too (measured once per character, not once per line).
        for length in [200, 100_000] {
            let long = "x".repeat(length);
            let lines = fonts.wrap(Face::Bold, 12.0, &format!("Số {long} hết"), 100.0, 0.0);
            assert!(lines.len() > 1);
            assert_eq!(lines.concat().concat(), format!("Số{long}hết"));
            for line in &lines {
                assert!(
                    fonts.width(Face::Bold, 12.0, &line.join(" ")) <= 100.01,
                    "{line:?}"
                );
            }
        }
    }
}
