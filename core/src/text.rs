//! Text normalisation applied to everything a resident or staff member types.

use unicode_normalization::UnicodeNormalization;

/// NFC-normalises and trims text, so that "ä" typed as a + combining diaeresis and
/// as one code point are stored, searched and compared alike.
pub fn normalize(input: &str) -> String {
    let trimmed = input.trim();
    if unicode_normalization::is_nfc(trimmed) {
        return trimmed.to_owned();
    }
    trimmed.nfc().collect()
}

/// Like [`normalize`], but `None` for text that is empty after trimming.
pub fn normalize_optional(input: Option<&str>) -> Option<String> {
    input.map(normalize).filter(|text| !text.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn composes_decomposed_letters_and_trims() {
        assert_eq!(normalize("  ka\u{0308}tu\n"), "kätu");
        assert_eq!(normalize_optional(Some("   ")), None);
    }
}
