//! Files residents send with their feedback (Open311 `media`, email attachments): the
//! types accepted, told by the file's first bytes rather than by what the sender
//! declared, and the limits every door applies the same way. What a photo says about its
//! taker (place, device, time) is removed before it is kept: [`strip_metadata`], which
//! the store applies to every file it writes and [`AttachmentSettings::check`] tries
//! first, so that a damaged file is refused at the door rather than kept.

mod metadata;

pub use metadata::{MetadataError, strip_metadata};

use serde::{Deserialize, Serialize};

use crate::settings::AttachmentSettings;

/// A file type palaute keeps. Each is recognised by its magic bytes; anything else is
/// refused, whatever its name or declared type says.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum MediaType {
    #[serde(rename = "image/jpeg")]
    Jpeg,
    #[serde(rename = "image/png")]
    Png,
    #[serde(rename = "image/gif")]
    Gif,
    #[serde(rename = "image/webp")]
    Webp,
    #[serde(rename = "image/heic")]
    Heic,
    #[serde(rename = "application/pdf")]
    Pdf,
}

/// The ISO base media file brands of HEIF images (HEIC among them).
const HEIF_BRANDS: &[&[u8; 4]] = &[
    b"heic", b"heix", b"hevc", b"hevx", b"heim", b"heis", b"hevm", b"hevs", b"mif1", b"msf1",
];

impl MediaType {
    pub const ALL: [MediaType; 6] = [
        MediaType::Jpeg,
        MediaType::Png,
        MediaType::Gif,
        MediaType::Webp,
        MediaType::Heic,
        MediaType::Pdf,
    ];

    /// The type the file's first bytes show, if it is one of ours.
    pub fn sniff(bytes: &[u8]) -> Option<MediaType> {
        if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
            Some(MediaType::Jpeg)
        } else if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
            Some(MediaType::Png)
        } else if bytes.starts_with(b"GIF87a") || bytes.starts_with(b"GIF89a") {
            Some(MediaType::Gif)
        } else if bytes.starts_with(b"RIFF") && bytes.get(8..12) == Some(b"WEBP".as_slice()) {
            Some(MediaType::Webp)
        } else if bytes.get(4..8) == Some(b"ftyp".as_slice())
            && bytes
                .get(8..12)
                .is_some_and(|brand| HEIF_BRANDS.iter().any(|known| brand == known.as_slice()))
        {
            Some(MediaType::Heic)
        } else if bytes.starts_with(b"%PDF-") {
            Some(MediaType::Pdf)
        } else {
            None
        }
    }

    /// The media type to serve the file with.
    pub fn mime(self) -> &'static str {
        match self {
            MediaType::Jpeg => "image/jpeg",
            MediaType::Png => "image/png",
            MediaType::Gif => "image/gif",
            MediaType::Webp => "image/webp",
            MediaType::Heic => "image/heic",
            MediaType::Pdf => "application/pdf",
        }
    }

    pub fn from_mime(mime: &str) -> Option<MediaType> {
        MediaType::ALL
            .into_iter()
            .find(|media| media.mime().eq_ignore_ascii_case(mime.trim()))
    }

    /// Whether a browser may show the file in place: images; a PDF is downloaded.
    pub fn is_image(self) -> bool {
        !matches!(self, MediaType::Pdf)
    }
}

/// Why a file was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AttachmentError {
    #[error("at most {max} files may be attached")]
    TooMany { max: usize },
    #[error("{filename}: the file is larger than {max_bytes} bytes")]
    TooLarge { filename: String, max_bytes: usize },
    #[error("{filename}: the file is empty")]
    Empty { filename: String },
    #[error("{filename}: only {allowed} files are accepted")]
    TypeNotAllowed { filename: String, allowed: String },
    #[error("{filename}: {problem}")]
    Damaged {
        filename: String,
        problem: MetadataError,
    },
}

impl AttachmentError {
    /// True for the refusals of size, which HTTP doors answer with 413.
    pub fn is_too_large(&self) -> bool {
        matches!(self, AttachmentError::TooLarge { .. })
    }
}

impl AttachmentSettings {
    /// The type of a file that may be kept, or why it may not. `filename` is only for
    /// the message; the type comes from the bytes. A file whose metadata cannot be
    /// removed (a damaged image) is refused.
    pub fn check(&self, filename: &str, bytes: &[u8]) -> Result<MediaType, AttachmentError> {
        if bytes.is_empty() {
            return Err(AttachmentError::Empty {
                filename: filename.to_owned(),
            });
        }
        if bytes.len() > self.max_file_bytes {
            return Err(AttachmentError::TooLarge {
                filename: filename.to_owned(),
                max_bytes: self.max_file_bytes,
            });
        }
        let media = MediaType::sniff(bytes)
            .filter(|media| self.allowed_types.contains(media))
            .ok_or_else(|| AttachmentError::TypeNotAllowed {
                filename: filename.to_owned(),
                allowed: self
                    .allowed_types
                    .iter()
                    .map(|media| media.mime())
                    .collect::<Vec<_>>()
                    .join(", "),
            })?;
        strip_metadata(media, bytes).map_err(|problem| AttachmentError::Damaged {
            filename: filename.to_owned(),
            problem,
        })?;
        Ok(media)
    }

    /// Refuses a count of files over `max_files`.
    pub fn check_count(&self, count: usize) -> Result<(), AttachmentError> {
        if count > self.max_files {
            return Err(AttachmentError::TooMany {
                max: self.max_files,
            });
        }
        Ok(())
    }
}

/// A file name safe to store and to show: the last path component, without control
/// characters or quotes, NFC-normalised, at most 200 characters; "attachment" when
/// nothing is left.
pub fn safe_filename(declared: Option<&str>) -> String {
    let declared = declared.unwrap_or_default();
    let last = declared.rsplit(['/', '\\']).next().unwrap_or_default();
    let cleaned: String = crate::text::normalize(last)
        .chars()
        .filter(|c| {
            !c.is_control() && !matches!(c, '"' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
        })
        .take(200)
        .collect();
    let cleaned = cleaned.trim().trim_start_matches('.').trim();
    if cleaned.is_empty() {
        "attachment".to_owned()
    } else {
        cleaned.to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn types_come_from_the_bytes() {
        assert_eq!(
            MediaType::sniff(b"\xFF\xD8\xFF\xE0\0\x10JFIF"),
            Some(MediaType::Jpeg)
        );
        assert_eq!(
            MediaType::sniff(b"\x89PNG\r\n\x1a\n\0\0"),
            Some(MediaType::Png)
        );
        assert_eq!(MediaType::sniff(b"GIF89a..."), Some(MediaType::Gif));
        assert_eq!(
            MediaType::sniff(b"RIFF\x24\0\0\0WEBPVP8 "),
            Some(MediaType::Webp)
        );
        assert_eq!(
            MediaType::sniff(b"\0\0\0\x18ftypheic\0\0\0\0"),
            Some(MediaType::Heic)
        );
        assert_eq!(MediaType::sniff(b"%PDF-1.7\n"), Some(MediaType::Pdf));
        assert_eq!(MediaType::sniff(b"<svg xmlns="), None);
        assert_eq!(MediaType::sniff(b"<html><script>"), None);
        assert_eq!(
            MediaType::sniff(b"\0\0\0\x18ftypisom"),
            None,
            "an MP4 video"
        );
        assert_eq!(MediaType::sniff(b""), None);
    }

    #[test]
    fn limits_and_allowed_types_are_checked() {
        let settings = AttachmentSettings {
            max_files: 2,
            max_file_bytes: 16,
            allowed_types: vec![MediaType::Png],
        };
        assert_eq!(
            settings.check("a.png", b"\x89PNG\r\n\x1a\n"),
            Ok(MediaType::Png)
        );
        assert!(matches!(
            settings.check("a.jpg", b"\xFF\xD8\xFF\xE0"),
            Err(AttachmentError::TypeNotAllowed { .. })
        ));
        let large = settings.check("a.png", &[0x89; 17]).expect_err("too large");
        assert!(large.is_too_large());
        assert!(matches!(
            settings.check("a.png", b""),
            Err(AttachmentError::Empty { .. })
        ));
        assert!(settings.check_count(2).is_ok());
        assert!(settings.check_count(3).is_err());
    }

    #[test]
    fn file_names_lose_paths_and_controls() {
        assert_eq!(safe_filename(Some("C:\\Users\\x\\kuva.jpg")), "kuva.jpg");
        assert_eq!(safe_filename(Some("../../etc/passwd")), "passwd");
        assert_eq!(safe_filename(Some("a\"\r\nb.png")), "ab.png");
        assert_eq!(safe_filename(Some("\u{202E}gpj.exe")), "gpj.exe");
        assert_eq!(safe_filename(Some("...")), "attachment");
        assert_eq!(safe_filename(None), "attachment");
        assert_eq!(safe_filename(Some(&"å".repeat(500))).chars().count(), 200);
    }
}
