//! Text helpers of the domain: codes, and Vietnamese search normalisation (lower case without
//! diacritics), which databases cannot do for us (SQLite folds ASCII only).

use unicode_normalization::UnicodeNormalization;

/// Lower-cases, strips Vietnamese diacritics and turns punctuation into spaces, so "Hà Nội"
/// and "ha noi", or "kinh tế - xã hội" and "kinh te xa hoi", match.
pub fn search_key(text: &str) -> String {
    text.nfd()
        .filter(|c| !unicode_normalization::char::is_combining_mark(*c))
        .map(|c| match c {
            'đ' | 'Đ' => 'd',
            c if c.is_alphanumeric() => c,
            _ => ' ',
        })
        .flat_map(char::to_lowercase)
        .collect::<String>()
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

/// A code as used for agencies, regimes and indicators: 1–64 characters, each a letter (Latin,
/// with Vietnamese diacritics), a digit, or one of `-_.()+`; form codes ("Biểu 01/KTXH-T") may
/// also hold inner spaces and `/`. Codes appear as path segments of URLs and in signed
/// documents, so nothing invisible or direction-changing (U+202E, zero-width characters),
/// no control character, and no `?` or `#` is allowed. `schema::CODE_PATTERN` says the same.
pub(crate) fn check_code(code: &str, form: bool) -> bool {
    let allowed = |c: char| {
        c.is_ascii_alphanumeric()
            || "-_.()+".contains(c)
            || (form && (c == ' ' || c == '/'))
            || (matches!(c, '\u{00C0}'..='\u{024F}' | '\u{1E00}'..='\u{1EFF}') && c.is_alphabetic())
    };
    !code.is_empty()
        && code.chars().count() <= 64
        && code.trim() == code
        && !code.contains("  ")
        && code.chars().all(allowed)
}

/// The longest name (of a regime, a table, a section heading), in characters.
pub const MAX_NAME_CHARS: usize = 500;
/// The longest free text (content requirements, guidance), in characters.
pub const MAX_TEXT_CHARS: usize = 100_000;

/// A name (of a regime, a table, an indicator, a heading): at most [`MAX_NAME_CHARS`]
/// characters on one line, nothing invisible.
pub fn check_name(text: &str) -> bool {
    text.chars().count() <= MAX_NAME_CHARS && !text.chars().any(|c| invisible(c) || c.is_control())
}

/// A long text (content requirements, guidance, a definition): at most [`MAX_TEXT_CHARS`]
/// characters, line breaks and tabs allowed, nothing else invisible.
pub fn check_long_text(text: &str) -> bool {
    text.chars().count() <= MAX_TEXT_CHARS
        && !text
            .chars()
            .any(|c| invisible(c) || (c.is_control() && !matches!(c, '\n' | '\r' | '\t')))
}

/// Characters that make a text display other than it is: bidirectional overrides and
/// isolates, zero-width characters, the byte-order mark.
fn invisible(c: char) -> bool {
    matches!(c, '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' | '\u{FEFF}')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn search_key_folds_case_and_vietnamese_diacritics() {
        assert_eq!(search_key("Thành phố  Hà Nội"), "thanh pho ha noi");
        assert_eq!(search_key("ĐẮK LẮK"), "dak lak");
        assert_eq!(
            search_key("Kinh tế - xã hội (KT-XH)"),
            "kinh te xa hoi kt xh"
        );
    }

    #[test]
    fn codes_refuse_slashes_blanks_and_padding() {
        assert!(check_code("BC-KTXH-T", false));
        assert!(!check_code("Biểu 01/KTXH-T", false));
        assert!(check_code("Biểu 01/KTXH-T", true));
        assert!(!check_code("", true));
        assert!(!check_code(" 01", false));
        assert!(check_code("Biểu 01/VBĐT", true));
        assert!(check_name("Báo cáo kinh tế - xã hội"));
        assert!(!check_name("Báo cáo\u{202E}"));
        assert!(!check_name("a\nb"));
        assert!(check_long_text("a\nb"));
        assert!(!check_long_text("a\u{200B}b"));
        assert!(!check_name(&"x".repeat(MAX_NAME_CHARS + 1)));
        for hostile in [
            "BC\u{202E}T",
            "BC\u{200B}",
            "a<b",
            "a\"b",
            "a;b",
            "x\u{7}",
            "😀",
        ] {
            assert!(!check_code(hostile, true), "{hostile:?}");
        }
    }
}
