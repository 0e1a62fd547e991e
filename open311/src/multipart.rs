//! `POST requests` as `multipart/form-data`: the same fields as the form-encoded
//! request, plus files in `media` fields (Helsinki's extension; several allowed).
//! The body is already in memory and bounded by the route's body limit; multer splits
//! it, with a size limit per field.

use std::collections::HashMap;

use axum::body::Bytes;

/// A file field as it came.
#[derive(Debug)]
pub(crate) struct PostedFile {
    /// The name the client declared, if any (made safe before it is kept).
    pub filename: Option<String>,
    pub bytes: Bytes,
}

/// The fields of a multipart request: the first of a repeated text field counts.
#[derive(Debug, Default)]
pub(crate) struct PostedForm {
    pub fields: HashMap<String, String>,
    pub files: Vec<PostedFile>,
}

#[derive(Debug)]
pub(crate) enum MultipartError {
    /// A field over its size limit (HTTP 413).
    TooLarge(String),
    /// Not a well-formed multipart body (HTTP 400).
    Malformed(String),
}

/// The names a file field may have.
fn is_media_field(name: &str) -> bool {
    matches!(name, "media" | "media[]")
}

/// Splits a `multipart/form-data` body. No field may be larger than `max_field_bytes`.
pub(crate) async fn parse(
    content_type: &str,
    body: Bytes,
    max_field_bytes: usize,
) -> Result<PostedForm, MultipartError> {
    let boundary = multer::parse_boundary(content_type).map_err(|_| {
        MultipartError::Malformed(
            "the Content-Type multipart/form-data needs a boundary parameter".to_owned(),
        )
    })?;
    let limit = u64::try_from(max_field_bytes).unwrap_or(u64::MAX);
    let constraints =
        multer::Constraints::new().size_limit(multer::SizeLimit::new().per_field(limit));
    let stream = futures::stream::once(std::future::ready(Ok::<Bytes, std::io::Error>(body)));
    let mut multipart = multer::Multipart::with_constraints(stream, boundary, constraints);
    let mut form = PostedForm::default();
    loop {
        let field = match multipart.next_field().await {
            Ok(Some(field)) => field,
            Ok(None) => break,
            Err(error) => return Err(refusal(error, max_field_bytes)),
        };
        let name = field.name().unwrap_or_default().to_owned();
        if is_media_field(&name) {
            let filename = field.file_name().map(str::to_owned);
            let bytes = field
                .bytes()
                .await
                .map_err(|error| refusal(error, max_field_bytes))?;
            form.files.push(PostedFile { filename, bytes });
        } else {
            let text = field
                .text()
                .await
                .map_err(|error| refusal(error, max_field_bytes))?;
            form.fields.entry(name).or_insert(text);
        }
    }
    Ok(form)
}

fn refusal(error: multer::Error, max_field_bytes: usize) -> MultipartError {
    match error {
        multer::Error::FieldSizeExceeded { field_name, .. } => MultipartError::TooLarge(format!(
            "the field {} is larger than {max_field_bytes} bytes",
            field_name.as_deref().unwrap_or("without a name")
        )),
        multer::Error::StreamSizeExceeded { .. } => {
            MultipartError::TooLarge("the request body is too large".to_owned())
        }
        other => {
            MultipartError::Malformed(format!("the multipart body is not well formed: {other}"))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn body(parts: &[(&str, Option<&str>, &[u8])]) -> Bytes {
        let mut out = Vec::new();
        for (name, filename, content) in parts {
            out.extend_from_slice(b"--XyZ\r\n");
            match filename {
                Some(file) => out.extend_from_slice(
                    format!("Content-Disposition: form-data; name=\"{name}\"; filename=\"{file}\"\r\nContent-Type: image/png\r\n\r\n").as_bytes(),
                ),
                None => out.extend_from_slice(
                    format!("Content-Disposition: form-data; name=\"{name}\"\r\n\r\n").as_bytes(),
                ),
            }
            out.extend_from_slice(content);
            out.extend_from_slice(b"\r\n");
        }
        out.extend_from_slice(b"--XyZ--\r\n");
        Bytes::from(out)
    }

    #[tokio::test]
    async fn fields_and_files_are_split() {
        let form = parse(
            "multipart/form-data; boundary=XyZ",
            body(&[
                ("service_code", None, b"171"),
                ("description", None, "Kuoppa äkkiä".as_bytes()),
                ("media", Some("a.png"), b"\x89PNG\r\n\x1a\n1"),
                ("media", Some("b.png"), b"\x89PNG\r\n\x1a\n2"),
                ("service_code", None, b"172"),
            ]),
            1024,
        )
        .await
        .expect("a valid body");
        assert_eq!(form.fields["service_code"], "171");
        assert_eq!(form.fields["description"], "Kuoppa äkkiä");
        assert_eq!(form.files.len(), 2);
        assert_eq!(form.files[1].filename.as_deref(), Some("b.png"));
    }

    #[tokio::test]
    async fn oversized_fields_and_broken_bodies_are_refused() {
        let large = parse(
            "multipart/form-data; boundary=XyZ",
            body(&[("media", Some("a.png"), &[7u8; 100])]),
            50,
        )
        .await;
        assert!(
            matches!(large, Err(MultipartError::TooLarge(_))),
            "{large:?}"
        );
        let broken = parse(
            "multipart/form-data; boundary=XyZ",
            Bytes::from_static(
                b"--XyZ\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\nunterminated",
            ),
            50,
        )
        .await;
        assert!(
            matches!(broken, Err(MultipartError::Malformed(_))),
            "{broken:?}"
        );
        let no_boundary = parse("multipart/form-data", Bytes::new(), 50).await;
        assert!(matches!(no_boundary, Err(MultipartError::Malformed(_))));
    }
}
