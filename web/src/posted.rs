//! Reading a POSTed form: `multipart/form-data` (the feedback form, which may carry
//! photos) or `application/x-www-form-urlencoded`, bounded in size.

use std::collections::HashMap;

use axum::body::{Body, Bytes};
use axum::http::{HeaderMap, header};
use futures::StreamExt;

/// A file field as it came.
pub struct PostedFile {
    /// The name the browser declared, if any (made safe before it is kept).
    pub filename: Option<String>,
    pub bytes: Bytes,
}

/// The text fields (the first of a repeated name counts) and the files of a form.
#[derive(Default)]
pub struct PostedForm {
    pub fields: HashMap<String, String>,
    /// Every text field in the order sent, repeated names included (checkboxes).
    pub pairs: Vec<(String, String)>,
    pub files: Vec<PostedFile>,
}

impl PostedForm {
    /// A text field, or "" when it was not sent.
    pub fn text(&self, name: &str) -> &str {
        self.fields.get(name).map_or("", String::as_str)
    }
}

/// Why a body could not be read.
pub enum PostError {
    /// Over the size limit (413).
    TooLarge,
    /// Not a form this page sends, or cut short (400).
    Unreadable,
}

/// Reads the body, at most `limit` bytes, and splits it into fields and the files of
/// the field named `file_field`.
pub async fn read(
    headers: &HeaderMap,
    body: Body,
    limit: usize,
    file_field: &str,
) -> Result<PostedForm, PostError> {
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .unwrap_or_default();
    let media = content_type
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase();
    let bytes = read_limited(body, limit).await?;
    match media.as_str() {
        "application/x-www-form-urlencoded" => {
            let pairs: Vec<(String, String)> = form_urlencoded::parse(&bytes)
                .map(|(name, value)| (name.into_owned(), value.into_owned()))
                .collect();
            Ok(PostedForm {
                fields: first_of_each(&pairs),
                pairs,
                files: Vec::new(),
            })
        }
        "multipart/form-data" => multipart(content_type, bytes, file_field).await,
        _ => Err(PostError::Unreadable),
    }
}

/// How many times the limit an oversized body is still read (and thrown away), so
/// that a browser sending a little too much reads the 413 page rather than a reset
/// connection; beyond it the rest is left unread.
const DRAIN_FACTOR: usize = 4;

/// The whole body, or `TooLarge` when it passes `limit`.
async fn read_limited(body: Body, limit: usize) -> Result<Bytes, PostError> {
    let drain_limit = limit.saturating_mul(DRAIN_FACTOR);
    let mut stream = body.into_data_stream();
    let mut collected = Vec::new();
    let mut seen = 0usize;
    while let Some(chunk) = stream.next().await {
        let chunk = chunk.map_err(|_| PostError::Unreadable)?;
        seen = seen.saturating_add(chunk.len());
        if seen > drain_limit {
            return Err(PostError::TooLarge);
        }
        if seen <= limit {
            collected.extend_from_slice(&chunk);
        }
    }
    if seen > limit {
        return Err(PostError::TooLarge);
    }
    Ok(Bytes::from(collected))
}

fn first_of_each(pairs: &[(String, String)]) -> HashMap<String, String> {
    let mut fields = HashMap::new();
    for (name, value) in pairs {
        fields.entry(name.clone()).or_insert_with(|| value.clone());
    }
    fields
}

async fn multipart(
    content_type: &str,
    body: Bytes,
    file_field: &str,
) -> Result<PostedForm, PostError> {
    let boundary = multer::parse_boundary(content_type).map_err(|_| PostError::Unreadable)?;
    let stream = futures::stream::once(std::future::ready(Ok::<Bytes, std::io::Error>(body)));
    let mut multipart = multer::Multipart::new(stream, boundary);
    let mut form = PostedForm::default();
    while let Some(field) = multipart
        .next_field()
        .await
        .map_err(|_| PostError::Unreadable)?
    {
        let name = field.name().unwrap_or_default().to_owned();
        if name == file_field {
            let filename = field.file_name().map(str::to_owned);
            let bytes = field.bytes().await.map_err(|_| PostError::Unreadable)?;
            form.files.push(PostedFile { filename, bytes });
        } else {
            let text = field.text().await.map_err(|_| PostError::Unreadable)?;
            form.pairs.push((name, text));
        }
    }
    form.fields = first_of_each(&form.pairs);
    Ok(form)
}
