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

/// A code as used for agencies, regimes and indicators: non-empty, at most 64 characters, no
/// control characters, no leading or trailing space, and no `/`, `?` or `#` because such
/// codes appear as path segments of URLs. Form codes ("Biểu 01/KTXH-T") may hold a slash.
pub(crate) fn check_code(code: &str, allow_slash: bool) -> bool {
    !code.is_empty()
        && code.chars().count() <= 64
        && code.trim() == code
        && !code
            .chars()
            .any(|c| c.is_control() || c == '?' || c == '#' || (c == '/' && !allow_slash))
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
    }
}
