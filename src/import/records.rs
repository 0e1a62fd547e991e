//! Past-case records as read from a file, before any rule is applied: the fields of
//! Helsinki's Open311 export, whatever the file's format, and where each record stood.

use std::fmt;
use std::io::Read;
use std::path::Path;

use anyhow::Context;

/// One service request from another system, its fields as written there.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PastRecord {
    pub service_request_id: Option<String>,
    /// `requested_datetime`: when the resident sent it.
    pub requested: Option<String>,
    /// `updated_datetime`: its last change.
    pub updated: Option<String>,
    /// When it was closed, where the format says so apart from `updated_datetime`.
    pub closed: Option<String>,
    /// `open` or `closed` (Open311), or one of palaute's status codes.
    pub status: Option<String>,
    pub title: Option<String>,
    pub description: Option<String>,
    pub service_code: Option<String>,
    /// `agency_responsible`: the unit that handled it, by its historical name.
    pub agency: Option<String>,
    pub channel: Option<String>,
    pub address: Option<String>,
    pub latitude: Option<f64>,
    pub longitude: Option<f64>,
    pub contact_name: Option<String>,
    pub contact_email: Option<String>,
    pub contact_phone: Option<String>,
    /// Helsinki's routing history (`tasks`), oldest first.
    pub tasks: Vec<PastTask>,
}

/// One step of Helsinki's routing history.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PastTask {
    pub created: Option<String>,
    pub modified: Option<String>,
    /// `open`, `completed`, `closed`, `re_assigned`, …
    pub state: Option<String>,
}

/// Where a record stands in its file, as a person finds it again: a line of JSON
/// lines, an element of a JSON array, a row of CSV (the header is row 1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum RecordPlace {
    Line(u64),
    Element(u64),
    Row(u64),
}

impl fmt::Display for RecordPlace {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RecordPlace::Line(number) => write!(formatter, "line {number}"),
            RecordPlace::Element(number) => write!(formatter, "record {number}"),
            RecordPlace::Row(number) => write!(formatter, "row {number}"),
        }
    }
}

/// Why a record was not imported: `reason` groups like records in the summary,
/// `detail` says what this one had.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rejection {
    pub reason: String,
    pub detail: Option<String>,
}

impl Rejection {
    pub fn new(reason: impl Into<String>) -> Self {
        Self {
            reason: reason.into(),
            detail: None,
        }
    }

    pub fn with_detail(reason: impl Into<String>, detail: impl Into<String>) -> Self {
        Self {
            reason: reason.into(),
            detail: Some(detail.into()),
        }
    }
}

/// A record read from a file, or why it could not be read.
#[derive(Debug, Clone, PartialEq)]
pub struct ReadRecord {
    pub place: RecordPlace,
    pub record: Result<PastRecord, Rejection>,
}

/// Reads every record of a file: CSV by its `.csv` name, otherwise Open311 JSON
/// (lines, an array, or objects one after another); `.bz2` files are decompressed.
pub fn read_file(path: &Path) -> anyhow::Result<Vec<ReadRecord>> {
    let name = path.to_string_lossy().to_lowercase();
    let file = std::fs::File::open(path).with_context(|| format!("opening {}", path.display()))?;
    let mut bytes = Vec::new();
    let name = match name.strip_suffix(".bz2") {
        Some(inner) => {
            bzip2::read::BzDecoder::new(file)
                .read_to_end(&mut bytes)
                .with_context(|| format!("decompressing {}", path.display()))?;
            inner.to_owned()
        }
        None => {
            std::io::BufReader::new(file)
                .read_to_end(&mut bytes)
                .with_context(|| format!("reading {}", path.display()))?;
            name
        }
    };
    let text = String::from_utf8(bytes)
        .with_context(|| format!("{} is not UTF-8 text", path.display()))?;
    let text = text.strip_prefix('\u{feff}').unwrap_or(&text);
    let records = if name.ends_with(".csv") {
        super::csv_file::read(text)
    } else {
        super::open311_json::read(text)
    };
    records.with_context(|| format!("in {}", path.display()))
}

/// `None` for a missing or blank value, the value otherwise.
pub fn non_blank(value: Option<String>) -> Option<String> {
    value.filter(|value| !value.trim().is_empty())
}
