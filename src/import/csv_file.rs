//! Past cases as CSV: a header row naming the columns (any order, any case; unknown
//! columns are ignored), then one case a row. The columns carry the Open311 names, so
//! a CSV and a JSON export of the same system import alike:
//!
//! | column | |
//! |---|---|
//! | `service_request_id` | required: the case's id in the source system |
//! | `requested_datetime` | required: when it was sent (RFC 3339, or a date and time in Helsinki) |
//! | `description` | required: the resident's text |
//! | `title`, `service_code`, `agency_responsible` | optional: title, category, handling unit (by its historical name) |
//! | `status`, `updated_datetime`, `closed_datetime` | optional: `open`/`closed` or a palaute status; last change; closing time |
//! | `channel` | optional: a palaute channel code (default `other`) |
//! | `address`, `lat`, `long` | optional: where |
//! | `name`, `email`, `phone` | optional: the resident's contact details |

use std::collections::HashMap;

use anyhow::{Context, bail};

use super::records::{PastRecord, ReadRecord, RecordPlace, Rejection, non_blank};

/// The columns a file must have.
const REQUIRED: [&str; 3] = ["service_request_id", "requested_datetime", "description"];

pub fn read(text: &str) -> anyhow::Result<Vec<ReadRecord>> {
    let mut reader = csv::ReaderBuilder::new()
        .flexible(true)
        .from_reader(text.as_bytes());
    let header: Vec<String> = reader
        .headers()
        .context("reading the CSV header")?
        .iter()
        .map(|name| name.trim().to_lowercase())
        .collect();
    if header.iter().all(String::is_empty) {
        bail!(
            "the file has no header row; it must name at least {}",
            REQUIRED.join(", ")
        );
    }
    let columns: HashMap<&str, usize> = header
        .iter()
        .enumerate()
        .map(|(index, name)| (name.as_str(), index))
        .collect();
    let missing: Vec<&str> = REQUIRED
        .into_iter()
        .filter(|name| !columns.contains_key(name))
        .collect();
    if !missing.is_empty() {
        bail!(
            "the header has no column {}; it names {}",
            missing.join(", "),
            header.join(", ")
        );
    }
    let mut records = Vec::new();
    for row in reader.records() {
        let row = row.context("reading a CSV row")?;
        let line = row.position().map_or(0, csv::Position::line);
        if row.iter().all(|field| field.trim().is_empty()) {
            continue;
        }
        let record = if row.len() == header.len() {
            to_record(&columns, &row)
        } else {
            Err(Rejection::with_detail(
                "wrong number of fields",
                format!("{} fields; the header has {}", row.len(), header.len()),
            ))
        };
        records.push(ReadRecord {
            place: RecordPlace::Row(line),
            record,
        });
    }
    Ok(records)
}

fn to_record(
    columns: &HashMap<&str, usize>,
    row: &csv::StringRecord,
) -> Result<PastRecord, Rejection> {
    let field = |name: &str| {
        columns
            .get(name)
            .and_then(|index| row.get(*index))
            .map(str::to_owned)
    };
    let text = |name: &str| non_blank(field(name));
    Ok(PastRecord {
        service_request_id: text("service_request_id"),
        requested: text("requested_datetime"),
        updated: text("updated_datetime"),
        closed: text("closed_datetime"),
        status: text("status"),
        title: text("title"),
        description: field("description"),
        service_code: text("service_code"),
        agency: text("agency_responsible"),
        channel: text("channel"),
        address: text("address"),
        latitude: coordinate("lat", text("lat"))?,
        longitude: coordinate("long", text("long"))?,
        contact_name: text("name"),
        contact_email: text("email"),
        contact_phone: text("phone"),
        tasks: Vec::new(),
    })
}

fn coordinate(column: &str, value: Option<String>) -> Result<Option<f64>, Rejection> {
    let Some(value) = value else {
        return Ok(None);
    };
    value
        .trim()
        .parse::<f64>()
        .map(Some)
        .map_err(|_| Rejection::with_detail(format!("`{column}` is not a number"), value))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_are_numbered_as_lines_of_the_file_and_short_rows_are_rejected() {
        let text = "Service_Request_ID,requested_datetime,description,agency_responsible,lat,long\n\
                    a,2015-01-02T10:00:00Z,\"Two\nlines\",Rakennusvirasto,60.1,24.9\n\
                    b,2015-01-03T10:00:00Z,short row\n\
                    c,2015-01-04T10:00:00Z,x,,north,24.9\n";
        let records = read(text).expect("reads");
        assert_eq!(records.len(), 3);
        assert_eq!(records[0].place, RecordPlace::Row(2));
        let first = records[0].record.as_ref().expect("a record");
        assert_eq!(first.description.as_deref(), Some("Two\nlines"));
        assert_eq!(first.agency.as_deref(), Some("Rakennusvirasto"));
        assert_eq!(first.longitude, Some(24.9));
        assert_eq!(records[1].place, RecordPlace::Row(4));
        assert_eq!(
            records[1].record.as_ref().expect_err("short").reason,
            "wrong number of fields"
        );
        assert_eq!(
            records[2].record.as_ref().expect_err("bad").reason,
            "`lat` is not a number"
        );
    }

    #[test]
    fn a_header_without_the_required_columns_fails_the_file() {
        let error = read("id,text\n1,x\n").expect_err("no required columns");
        assert!(error.to_string().contains("service_request_id"), "{error}");
    }
}
