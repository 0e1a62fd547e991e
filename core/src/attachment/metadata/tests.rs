//! Photos made here with real encoders, given the metadata a phone writes (GPS position,
//! device, comments), then cleaned: the metadata is gone and the pixels are the same.

use std::io::Cursor;

use super::*;

/// Text that must not survive the cleaning, whichever chunk or segment carried it.
const SECRETS: [&[u8]; 5] = [
    b"SecretPhone",
    b"Kaivokatu 8",
    b"Salainen kommentti",
    b"adobe:ns:meta",
    b"2026:11:30 12:00:00",
];

/// A TIFF/EXIF block as a phone writes it: device and time in IFD0 with the
/// orientation, and a GPS IFD with a latitude and a longitude.
fn exif_with_gps(orientation: u16) -> Vec<u8> {
    fn entry(out: &mut Vec<u8>, tag: u16, kind: u16, count: u32, value: u32) {
        out.extend_from_slice(&tag.to_be_bytes());
        out.extend_from_slice(&kind.to_be_bytes());
        out.extend_from_slice(&count.to_be_bytes());
        out.extend_from_slice(&value.to_be_bytes());
    }
    const ASCII: u16 = 2;
    const SHORT: u16 = 3;
    const LONG: u16 = 4;
    const RATIONAL: u16 = 5;
    let make = b"SecretPhone\0";
    let time = b"2026:11:30 12:00:00\0";
    // Layout: header (8), IFD0 (2 + 4×12 + 4 = 54), GPS IFD (2 + 4×12 + 4 = 54), then data.
    let ifd0 = 8u32;
    let gps_ifd = ifd0 + 54;
    let data = gps_ifd + 54;
    let make_at = data;
    let time_at = make_at + make.len() as u32;
    let latitude_at = time_at + time.len() as u32;
    let longitude_at = latitude_at + 24;
    let mut tiff = b"MM\0\x2A".to_vec();
    tiff.extend_from_slice(&ifd0.to_be_bytes());
    tiff.extend_from_slice(&4u16.to_be_bytes());
    entry(&mut tiff, 0x010F, ASCII, make.len() as u32, make_at);
    entry(
        &mut tiff,
        ORIENTATION_TAG,
        SHORT,
        1,
        u32::from(orientation) << 16,
    );
    entry(&mut tiff, 0x0132, ASCII, time.len() as u32, time_at);
    entry(&mut tiff, 0x8825, LONG, 1, gps_ifd);
    tiff.extend_from_slice(&0u32.to_be_bytes());
    tiff.extend_from_slice(&4u16.to_be_bytes());
    entry(&mut tiff, 0x0001, ASCII, 2, u32::from_be_bytes(*b"N\0\0\0"));
    entry(&mut tiff, 0x0002, RATIONAL, 3, latitude_at);
    entry(&mut tiff, 0x0003, ASCII, 2, u32::from_be_bytes(*b"E\0\0\0"));
    entry(&mut tiff, 0x0004, RATIONAL, 3, longitude_at);
    tiff.extend_from_slice(&0u32.to_be_bytes());
    tiff.extend_from_slice(make);
    tiff.extend_from_slice(time);
    for (degrees, minutes, hundredths) in [(60u32, 10u32, 1234u32), (24, 56, 789)] {
        for (numerator, denominator) in [(degrees, 1u32), (minutes, 1), (hundredths, 100)] {
            tiff.extend_from_slice(&numerator.to_be_bytes());
            tiff.extend_from_slice(&denominator.to_be_bytes());
        }
    }
    tiff
}

/// The GPS latitude as the rationals above spell it: 60/1 10/1.
const LATITUDE_BYTES: &[u8] = &[0, 0, 0, 60, 0, 0, 0, 1, 0, 0, 0, 10, 0, 0, 0, 1];

fn assert_no_secrets(cleaned: &[u8]) {
    for secret in SECRETS.iter().chain([&LATITUDE_BYTES]) {
        assert!(
            !cleaned
                .windows(secret.len())
                .any(|window| window == *secret),
            "{:?} survived",
            String::from_utf8_lossy(secret)
        );
    }
}

fn pixels(width: usize, height: usize) -> Vec<u8> {
    (0..width * height)
        .flat_map(|at| {
            let (x, y) = (at % width, at / width);
            [(x * 16) as u8, (y * 16) as u8, ((x + y) * 8) as u8]
        })
        .collect()
}

fn segment(marker: u8, payload: &[u8]) -> Vec<u8> {
    let mut out = vec![0xFF, marker];
    out.extend_from_slice(&u16::try_from(payload.len() + 2).unwrap().to_be_bytes());
    out.extend_from_slice(payload);
    out
}

/// A real JPEG from an encoder, with EXIF (GPS), XMP, IPTC, an ICC profile and a
/// comment put in after its JFIF header, the way cameras and editors do.
fn phone_jpeg(progressive: bool) -> Vec<u8> {
    let mut encoded = Vec::new();
    let mut encoder = jpeg_encoder::Encoder::new(&mut encoded, 85);
    encoder.set_progressive(progressive);
    encoder
        .encode(&pixels(16, 16), 16, 16, jpeg_encoder::ColorType::Rgb)
        .expect("encoding a JPEG");
    let mut exif = EXIF_HEADER.to_vec();
    exif.extend_from_slice(&exif_with_gps(6));
    let xmp = b"http://ns.adobe.com/xap/1.0/\0<x:xmpmeta xmlns:x=\"adobe:ns:meta/\">Kaivokatu 8</x:xmpmeta>";
    let iptc = b"Photoshop 3.0\08BIM\x04\x04\0\0\0\0\0\x0fKaivokatu 8\0\0\0\0";
    let mut icc = ICC_HEADER.to_vec();
    icc.extend_from_slice(&[1, 1]);
    icc.extend_from_slice(&[0x42; 64]);
    // After SOI and the encoder's APP0.
    let app0_end = 2 + 2 + usize::from(u16::from_be_bytes([encoded[4], encoded[5]]));
    let mut photo = encoded[..app0_end].to_vec();
    photo.extend(segment(APP1, &exif));
    photo.extend(segment(APP1, xmp));
    photo.extend(segment(APP2, &icc));
    photo.extend(segment(0xED, iptc));
    photo.extend(segment(COM, b"Salainen kommentti"));
    photo.extend_from_slice(&encoded[app0_end..]);
    photo
}

fn decode_jpeg(bytes: &[u8]) -> Vec<u8> {
    zune_jpeg::JpegDecoder::new(bytes)
        .decode()
        .expect("the JPEG decodes")
}

#[test]
fn jpeg_loses_gps_device_and_comments_and_keeps_pixels_icc_and_orientation() {
    for progressive in [false, true] {
        let photo = phone_jpeg(progressive);
        let cleaned = strip_metadata(MediaType::Jpeg, &photo).expect("cleaned");
        assert_no_secrets(&cleaned);
        assert!(cleaned.len() < photo.len());
        assert_eq!(decode_jpeg(&cleaned), decode_jpeg(&photo), "same pixels");
        assert!(
            cleaned.windows(ICC_HEADER.len()).any(|w| w == ICC_HEADER),
            "the colour profile stays"
        );
        // The one EXIF segment left holds the orientation alone.
        let exif_at = cleaned
            .windows(EXIF_HEADER.len())
            .position(|w| w == EXIF_HEADER)
            .expect("an orientation segment");
        assert_eq!(
            exif_orientation(&cleaned[exif_at + EXIF_HEADER.len()..]),
            Some(6)
        );
        // Cleaning twice changes nothing more.
        assert_eq!(
            strip_metadata(MediaType::Jpeg, &cleaned).expect("again"),
            cleaned
        );
    }
}

#[test]
fn upright_jpeg_gets_no_exif_at_all() {
    let mut encoded = Vec::new();
    jpeg_encoder::Encoder::new(&mut encoded, 80)
        .encode(&pixels(8, 8), 8, 8, jpeg_encoder::ColorType::Rgb)
        .expect("encoding");
    let mut exif = EXIF_HEADER.to_vec();
    exif.extend_from_slice(&exif_with_gps(1));
    let mut photo = encoded[..2].to_vec();
    photo.extend(segment(APP1, &exif));
    photo.extend_from_slice(&encoded[2..]);
    let cleaned = strip_metadata(MediaType::Jpeg, &photo).expect("cleaned");
    assert_eq!(cleaned, encoded, "exactly the encoder's file");
}

fn png_chunk_types(bytes: &[u8]) -> Vec<String> {
    let mut types = Vec::new();
    let mut at = PNG_SIGNATURE.len();
    while let Some(header) = bytes.get(at..at + 8) {
        let length = u32::from_be_bytes(header[..4].try_into().unwrap()) as usize;
        types.push(String::from_utf8_lossy(&header[4..8]).into_owned());
        at += 12 + length;
    }
    types
}

fn decode_png(bytes: &[u8]) -> Vec<u8> {
    let mut reader = png::Decoder::new(Cursor::new(bytes))
        .read_info()
        .expect("the PNG header reads");
    let mut frame = vec![0; reader.output_buffer_size().expect("a frame size")];
    let info = reader.next_frame(&mut frame).expect("the PNG decodes");
    frame.truncate(info.buffer_size());
    frame
}

#[test]
fn png_loses_exif_text_and_time_and_keeps_pixels() {
    let mut photo = Vec::new();
    {
        let mut encoder = png::Encoder::new(&mut photo, 16, 16);
        encoder.set_color(png::ColorType::Rgb);
        encoder.set_depth(png::BitDepth::Eight);
        encoder
            .add_text_chunk("Comment".into(), "Salainen kommentti".into())
            .expect("tEXt");
        encoder
            .add_ztxt_chunk("Location".into(), "Kaivokatu 8".into())
            .expect("zTXt");
        encoder
            .add_itxt_chunk("XML:com.adobe.xmp".into(), "adobe:ns:meta".into())
            .expect("iTXt");
        let mut writer = encoder.write_header().expect("header");
        writer
            .write_chunk(png::chunk::eXIf, &exif_with_gps(6))
            .expect("eXIf");
        writer
            .write_chunk(png::chunk::tIME, &[0x07, 0xEA, 11, 30, 12, 0, 0])
            .expect("tIME");
        writer
            .write_image_data(&pixels(16, 16))
            .expect("image data");
        writer.finish().expect("finish");
    }
    let before = png_chunk_types(&photo);
    for kind in ["eXIf", "tEXt", "zTXt", "iTXt", "tIME"] {
        assert!(before.iter().any(|k| k == kind), "{kind} was written");
    }
    let cleaned = strip_metadata(MediaType::Png, &photo).expect("cleaned");
    assert_no_secrets(&cleaned);
    assert_eq!(png_chunk_types(&cleaned), ["IHDR", "IDAT", "IEND"]);
    assert_eq!(decode_png(&cleaned), decode_png(&photo), "same pixels");
}

fn decode_webp(bytes: &[u8]) -> Vec<u8> {
    let mut decoder =
        image_webp::WebPDecoder::new(Cursor::new(bytes)).expect("the WebP header reads");
    let mut frame = vec![0; decoder.output_buffer_size().expect("a frame size")];
    decoder.read_image(&mut frame).expect("the WebP decodes");
    frame
}

#[test]
fn webp_loses_exif_and_xmp_and_its_header_says_so() {
    let mut photo = Vec::new();
    let mut encoder = image_webp::WebPEncoder::new(&mut photo);
    encoder.set_exif_metadata(exif_with_gps(6));
    encoder.set_xmp_metadata(
        b"<x:xmpmeta xmlns:x=\"adobe:ns:meta/\">Kaivokatu 8</x:xmpmeta>".to_vec(),
    );
    encoder.set_icc_profile(vec![0x42; 32]);
    encoder
        .encode(&pixels(16, 16), 16, 16, image_webp::ColorType::Rgb8)
        .expect("encoding a WebP");
    let cleaned = strip_metadata(MediaType::Webp, &photo).expect("cleaned");
    assert_no_secrets(&cleaned);
    let riff_size = u32::from_le_bytes(cleaned[4..8].try_into().unwrap()) as usize;
    assert_eq!(riff_size + 8, cleaned.len(), "the RIFF size is right");
    assert_eq!(&cleaned[12..16], b"VP8X");
    assert_eq!(
        cleaned[20] & (VP8X_EXIF_FLAG | VP8X_XMP_FLAG),
        0,
        "no metadata announced"
    );
    assert!(
        cleaned.windows(4).any(|w| w == b"ICCP"),
        "the colour profile stays"
    );
    let decoder = image_webp::WebPDecoder::new(Cursor::new(&cleaned)).expect("reads");
    assert_eq!(decoder.dimensions(), (16, 16));
    assert_eq!(decode_webp(&cleaned), decode_webp(&photo), "same pixels");
}

#[test]
fn other_types_are_kept_as_they_are() {
    for (media, bytes) in [
        (MediaType::Gif, b"GIF89a....".as_slice()),
        (MediaType::Pdf, b"%PDF-1.7\n".as_slice()),
    ] {
        assert_eq!(strip_metadata(media, bytes).expect("kept"), bytes);
    }
}

#[test]
fn files_cut_short_are_kept_as_far_as_they_go_without_metadata() {
    let photo = phone_jpeg(false);
    // Cut inside the EXIF segment, then inside the image data.
    let exif_at = photo
        .windows(EXIF_HEADER.len())
        .position(|w| w == EXIF_HEADER)
        .expect("exif");
    for cut in [exif_at + 40, photo.len() - 20] {
        let cleaned = strip_metadata(MediaType::Jpeg, &photo[..cut]).expect("kept");
        assert_no_secrets(&cleaned);
        assert!(cleaned.starts_with(&[0xFF, SOI]));
    }
    // The first bytes of a file with no metadata are kept unchanged.
    let stub = b"\x89PNG\r\n\x1a\n\0\0\0\x0dIHDR\0\0\0\x01";
    assert_eq!(strip_metadata(MediaType::Png, stub).expect("kept"), stub);
    let webp = b"RIFF\xff\xff\0\0WEBPVP8 \x10\0\0\0abc";
    let cleaned = strip_metadata(MediaType::Webp, webp).expect("kept");
    assert_eq!(&cleaned[12..], &webp[12..]);
    assert_eq!(
        u32::from_le_bytes(cleaned[4..8].try_into().unwrap()) as usize + 8,
        cleaned.len()
    );
}

#[test]
fn files_that_make_no_sense_are_refused() {
    assert!(strip_metadata(MediaType::Jpeg, b"\xFF\xD8\xFF\xE0\x00\x04ab garbage").is_err());
    assert!(strip_metadata(MediaType::Jpeg, b"\xFF\xD8\xFF\xE1\x00\x01").is_err());
    assert!(strip_metadata(MediaType::Png, b"not a png").is_err());
}

/// A small deterministic generator: the fuzz cases are the same on every run.
struct XorShift(u64);

impl XorShift {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, bound: usize) -> usize {
        (self.next() % bound.max(1) as u64) as usize
    }
}

#[test]
fn arbitrary_bytes_never_panic() {
    let mut random = XorShift(0x5EED_1234_ABCD_0001);
    let seeds: Vec<(MediaType, Vec<u8>)> = vec![
        (MediaType::Jpeg, phone_jpeg(false)),
        (MediaType::Jpeg, phone_jpeg(true)),
        (MediaType::Png, {
            let mut out = Vec::new();
            let mut encoder = png::Encoder::new(&mut out, 4, 4);
            encoder.set_color(png::ColorType::Rgb);
            encoder
                .write_header()
                .and_then(|mut w| w.write_image_data(&pixels(4, 4)))
                .expect("png");
            out
        }),
        (MediaType::Webp, {
            let mut out = Vec::new();
            let mut encoder = image_webp::WebPEncoder::new(&mut out);
            encoder.set_exif_metadata(exif_with_gps(3));
            encoder
                .encode(&pixels(4, 4), 4, 4, image_webp::ColorType::Rgb8)
                .expect("webp");
            out
        }),
    ];
    for round in 0..4000 {
        let (media, seed) = &seeds[round % seeds.len()];
        let mut bytes = seed.clone();
        match random.below(4) {
            // Flip some bytes.
            0 => {
                for _ in 0..=random.below(8) {
                    let at = random.below(bytes.len());
                    bytes[at] = random.next() as u8;
                }
            }
            // Cut the file short.
            1 => bytes.truncate(random.below(bytes.len())),
            // Lengths and sizes set to extremes.
            2 => {
                let at = random.below(bytes.len().saturating_sub(4));
                let extreme = [0x00, 0xFF, 0x7F, 0x01][random.below(4)];
                bytes[at..at + 4].fill(extreme);
            }
            // Noise behind a real signature.
            _ => {
                bytes.truncate(12.min(bytes.len()));
                let noise = random.below(256);
                bytes.extend((0..noise).map(|_| random.next() as u8));
            }
        }
        // Any outcome but a panic is fine; a success must itself be clean again.
        if let Ok(cleaned) = strip_metadata(*media, &bytes) {
            let _ = strip_metadata(*media, &cleaned);
        }
    }
}
