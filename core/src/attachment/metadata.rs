//! Removing what a photo says about its taker before it is kept: the place (GPS tags),
//! the device, the time, the author and free-text comments. The image data is copied
//! byte for byte, never decoded or encoded again, so nothing about the picture changes
//! but the metadata around it.
//!
//! - JPEG: every APPn segment but APP0 (JFIF), APP2 ICC profiles and APP14 (Adobe colour
//!   transform) goes, with comments (COM). The EXIF orientation is the one EXIF tag a
//!   viewer needs to show the photo upright, so it is written back alone in a minimal
//!   EXIF segment. Anything after the end-of-image marker (thumbnails of "multi-picture"
//!   files) goes too.
//! - PNG: the `eXIf`, `tEXt`, `zTXt`, `iTXt` and `tIME` chunks go.
//! - WebP: the `EXIF` and `XMP ` chunks go, and the `VP8X` header stops announcing them;
//!   the RIFF size is written again.
//!
//! A file cut short is kept as far as it goes, without any metadata in it; a file whose
//! structure makes no sense (a JPEG segment that is not one) is refused. GIF, HEIC and
//! PDF files are kept as they are (see ARCHITECTURE.md, "Privacy").

use super::MediaType;

/// Why a file's metadata could not be removed: it is not the well-formed file its first
/// bytes promised.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the {media} file is damaged: {problem}")]
pub struct MetadataError {
    media: &'static str,
    problem: &'static str,
}

impl MetadataError {
    fn new(media: MediaType, problem: &'static str) -> Self {
        Self {
            media: media.mime(),
            problem,
        }
    }
}

/// The file without its metadata. Types this module does not clean come back unchanged.
pub fn strip_metadata(media: MediaType, bytes: &[u8]) -> Result<Vec<u8>, MetadataError> {
    match media {
        MediaType::Jpeg => strip_jpeg(bytes).map_err(|problem| MetadataError::new(media, problem)),
        MediaType::Png => strip_png(bytes).map_err(|problem| MetadataError::new(media, problem)),
        MediaType::Webp => strip_webp(bytes).map_err(|problem| MetadataError::new(media, problem)),
        MediaType::Gif | MediaType::Heic | MediaType::Pdf => Ok(bytes.to_vec()),
    }
}

// ---- JPEG -------------------------------------------------------------------------

const SOI: u8 = 0xD8;
const EOI: u8 = 0xD9;
const SOS: u8 = 0xDA;
const APP0: u8 = 0xE0;
const APP1: u8 = 0xE1;
const APP2: u8 = 0xE2;
const APP14: u8 = 0xEE;
const APP15: u8 = 0xEF;
const COM: u8 = 0xFE;
const EXIF_HEADER: &[u8] = b"Exif\0\0";
const ICC_HEADER: &[u8] = b"ICC_PROFILE\0";
/// The EXIF tag of the orientation (IFD0, SHORT, 1–8).
const ORIENTATION_TAG: u16 = 0x0112;

fn strip_jpeg(bytes: &[u8]) -> Result<Vec<u8>, &'static str> {
    if bytes.get(..2) != Some(&[0xFF, SOI]) {
        return Err("no start-of-image marker");
    }
    let mut kept = Vec::with_capacity(bytes.len());
    kept.extend_from_slice(&[0xFF, SOI]);
    let mut orientation: Option<u16> = None;
    let mut orientation_written = false;
    let mut at = 2;
    loop {
        let Some(marker) = next_marker(bytes, &mut at)? else {
            // Cut short: keep what came before.
            return Ok(kept);
        };
        match marker {
            EOI => {
                kept.extend_from_slice(&[0xFF, EOI]);
                return Ok(kept);
            }
            // Standalone markers carry no length.
            0x01 | 0xD0..=0xD7 => kept.extend_from_slice(&[0xFF, marker]),
            _ => {
                if !orientation_written && !is_app(marker) {
                    // The first non-APP segment: every APPn is behind us, so this is
                    // where the orientation found among them goes back in.
                    if let Some(orientation) = orientation.filter(|&value| value != 1) {
                        write_orientation_segment(&mut kept, orientation);
                    }
                    orientation_written = true;
                }
                let (segment, whole) = segment_at(bytes, at)?;
                at += segment.len();
                let payload = segment.get(2..).unwrap_or_default();
                if whole && marker == APP1 && payload.starts_with(EXIF_HEADER) {
                    orientation = orientation
                        .or_else(|| payload.get(EXIF_HEADER.len()..).and_then(exif_orientation));
                }
                if keeps_segment(marker, payload) {
                    kept.extend_from_slice(&[0xFF, marker]);
                    kept.extend_from_slice(segment);
                }
                if !whole {
                    return Ok(kept);
                }
                if marker == SOS {
                    at = copy_entropy_coded(bytes, at, &mut kept);
                }
            }
        }
    }
}

fn is_app(marker: u8) -> bool {
    (APP0..=APP15).contains(&marker)
}

/// Whether a segment stays: everything but metadata.
fn keeps_segment(marker: u8, payload: &[u8]) -> bool {
    match marker {
        APP0 | APP14 => true,
        APP2 => payload.starts_with(ICC_HEADER),
        COM => false,
        marker if is_app(marker) => false,
        _ => true,
    }
}

/// The marker at `at` (after any fill bytes), or `None` where the file ends; moves
/// `at` past it.
fn next_marker(bytes: &[u8], at: &mut usize) -> Result<Option<u8>, &'static str> {
    match bytes.get(*at) {
        None => return Ok(None),
        Some(0xFF) => {}
        Some(_) => return Err("a segment does not start with a marker"),
    }
    while bytes.get(*at) == Some(&0xFF) {
        *at += 1;
    }
    let marker = bytes.get(*at).copied();
    *at += 1;
    Ok(marker)
}

/// The segment starting at `at` (its two length bytes and its payload), and whether it
/// is whole: in a file cut short, the last one is what is left of it.
fn segment_at(bytes: &[u8], at: usize) -> Result<(&[u8], bool), &'static str> {
    let rest = bytes.get(at..).unwrap_or_default();
    let Some(pair) = rest
        .get(..2)
        .and_then(|pair| <[u8; 2]>::try_from(pair).ok())
    else {
        return Ok((rest, false));
    };
    let length = usize::from(u16::from_be_bytes(pair));
    if length < 2 {
        return Err("a segment length is too small");
    }
    Ok(match rest.get(..length) {
        Some(segment) => (segment, true),
        None => (rest, false),
    })
}

/// Copies the compressed data after a start-of-scan header up to the next marker that
/// is neither a stuffed 0xFF00 nor a restart marker; returns where that marker starts.
fn copy_entropy_coded(bytes: &[u8], start: usize, kept: &mut Vec<u8>) -> usize {
    let rest = bytes.get(start..).unwrap_or_default();
    let mut at = 0;
    while let Some(&byte) = rest.get(at) {
        if byte != 0xFF {
            at += 1;
            continue;
        }
        match rest.get(at + 1) {
            Some(0x00 | 0xD0..=0xD7) => at += 2,
            // Fill bytes before a marker, or a marker: the scan ends here.
            Some(_) => break,
            None => {
                at += 1;
                break;
            }
        }
    }
    let end = at.min(rest.len());
    kept.extend_from_slice(rest.get(..end).unwrap_or_default());
    start + end
}

/// The four bytes at the start of `bytes` as a number, if there are four.
fn u32_at(bytes: &[u8], big_endian: bool) -> Option<u32> {
    let quad: [u8; 4] = bytes.get(..4)?.try_into().ok()?;
    Some(if big_endian {
        u32::from_be_bytes(quad)
    } else {
        u32::from_le_bytes(quad)
    })
}

/// The orientation tag of an EXIF block (a TIFF structure), if it has a sane one.
fn exif_orientation(tiff: &[u8]) -> Option<u16> {
    let big_endian = match tiff.get(..4)? {
        [b'M', b'M', 0, 42] => true,
        [b'I', b'I', 42, 0] => false,
        _ => return None,
    };
    let read_u16 = |at: usize| -> Option<u16> {
        let pair: [u8; 2] = tiff.get(at..at + 2)?.try_into().ok()?;
        Some(if big_endian {
            u16::from_be_bytes(pair)
        } else {
            u16::from_le_bytes(pair)
        })
    };
    let read_u32 = |at: usize| -> Option<u32> {
        let quad: [u8; 4] = tiff.get(at..at + 4)?.try_into().ok()?;
        Some(if big_endian {
            u32::from_be_bytes(quad)
        } else {
            u32::from_le_bytes(quad)
        })
    };
    let ifd0 = usize::try_from(read_u32(4)?).ok()?;
    let entries = usize::from(read_u16(ifd0)?);
    (0..entries)
        .map(|index| ifd0 + 2 + index * 12)
        .find(|&entry| read_u16(entry) == Some(ORIENTATION_TAG))
        // Type SHORT, one value, kept in the entry's first two value bytes.
        .filter(|&entry| read_u16(entry + 2) == Some(3))
        .and_then(|entry| read_u16(entry + 8))
        .filter(|value| (1..=8).contains(value))
}

/// An APP1 EXIF segment holding only the orientation.
fn write_orientation_segment(kept: &mut Vec<u8>, orientation: u16) {
    let mut tiff = Vec::with_capacity(26);
    tiff.extend_from_slice(b"MM\0\x2A");
    tiff.extend_from_slice(&8u32.to_be_bytes()); // IFD0 right after the header
    tiff.extend_from_slice(&1u16.to_be_bytes()); // one entry
    tiff.extend_from_slice(&ORIENTATION_TAG.to_be_bytes());
    tiff.extend_from_slice(&3u16.to_be_bytes()); // SHORT
    tiff.extend_from_slice(&1u32.to_be_bytes()); // one value
    tiff.extend_from_slice(&orientation.to_be_bytes());
    tiff.extend_from_slice(&[0, 0]); // value padding
    tiff.extend_from_slice(&0u32.to_be_bytes()); // no next IFD
    let length = 2 + EXIF_HEADER.len() + tiff.len();
    kept.extend_from_slice(&[0xFF, APP1]);
    kept.extend_from_slice(&u16::try_from(length).unwrap_or(u16::MAX).to_be_bytes());
    kept.extend_from_slice(EXIF_HEADER);
    kept.extend_from_slice(&tiff);
}

// ---- PNG --------------------------------------------------------------------------

const PNG_SIGNATURE: &[u8] = b"\x89PNG\r\n\x1a\n";
/// Chunks that describe the photo rather than draw it.
const PNG_METADATA_CHUNKS: [&[u8; 4]; 5] = [b"eXIf", b"tEXt", b"zTXt", b"iTXt", b"tIME"];

fn strip_png(bytes: &[u8]) -> Result<Vec<u8>, &'static str> {
    if !bytes.starts_with(PNG_SIGNATURE) {
        return Err("no PNG signature");
    }
    let mut kept = Vec::with_capacity(bytes.len());
    kept.extend_from_slice(PNG_SIGNATURE);
    let mut at = PNG_SIGNATURE.len();
    while at < bytes.len() {
        let rest = bytes.get(at..).unwrap_or_default();
        let kind = rest.get(4..8);
        let is_metadata = kind.is_some_and(|kind| {
            PNG_METADATA_CHUNKS
                .iter()
                .any(|drop| kind == drop.as_slice())
        });
        let length = u32_at(rest, true);
        // Length, type, data, CRC.
        let Some(chunk) = length
            .and_then(|length| usize::try_from(length).ok())
            .and_then(|length| length.checked_add(12))
            .and_then(|end| rest.get(..end))
        else {
            // Cut short inside this chunk: keep what is left of it unless it is metadata.
            if !is_metadata {
                kept.extend_from_slice(rest);
            }
            return Ok(kept);
        };
        if !is_metadata {
            kept.extend_from_slice(chunk);
        }
        if kind == Some(b"IEND".as_slice()) {
            break;
        }
        at += chunk.len();
    }
    Ok(kept)
}

// ---- WebP -------------------------------------------------------------------------

/// The VP8X flags announcing EXIF and XMP chunks.
const VP8X_EXIF_FLAG: u8 = 0x08;
const VP8X_XMP_FLAG: u8 = 0x04;

fn strip_webp(bytes: &[u8]) -> Result<Vec<u8>, &'static str> {
    if bytes.get(..4) != Some(b"RIFF".as_slice()) || bytes.get(8..12) != Some(b"WEBP".as_slice()) {
        return Err("no RIFF WEBP header");
    }
    let declared = bytes
        .get(4..)
        .and_then(|size| u32_at(size, false))
        .ok_or("the file ends inside its header")?;
    // The RIFF size counts from "WEBP" on; bytes past it are not part of the file, and a
    // file cut short ends where it ends.
    let riff_end = usize::try_from(declared)
        .ok()
        .and_then(|size| size.checked_add(8))
        .map_or(bytes.len(), |end| end.min(bytes.len()));
    let body = bytes.get(..riff_end).unwrap_or(bytes);
    let mut chunks = Vec::with_capacity(body.len());
    let mut at = 12;
    while at < body.len() {
        let rest = body.get(at..).unwrap_or_default();
        let kind = rest.get(..4);
        let is_metadata = matches!(kind, Some(b"EXIF" | b"XMP "));
        let size = rest.get(4..).and_then(|size| u32_at(size, false));
        // Chunks are padded to an even size.
        let Some(chunk) = size
            .and_then(|size| usize::try_from(size).ok())
            .and_then(|size| size.checked_add(8 + size % 2))
            .and_then(|end| rest.get(..end))
        else {
            if !is_metadata {
                chunks.extend_from_slice(rest);
            }
            break;
        };
        if kind == Some(b"VP8X".as_slice()) {
            let flags_at = chunks.len() + 8;
            chunks.extend_from_slice(chunk);
            if let Some(flags) = chunks.get_mut(flags_at) {
                *flags &= !(VP8X_EXIF_FLAG | VP8X_XMP_FLAG);
            }
        } else if !is_metadata {
            chunks.extend_from_slice(chunk);
        }
        at += chunk.len();
    }
    let riff_size = u32::try_from(chunks.len() + 4).map_err(|_| "the file is too large")?;
    let mut kept = Vec::with_capacity(chunks.len() + 12);
    kept.extend_from_slice(b"RIFF");
    kept.extend_from_slice(&riff_size.to_le_bytes());
    kept.extend_from_slice(b"WEBP");
    kept.extend_from_slice(&chunks);
    Ok(kept)
}

#[cfg(test)]
mod tests;
