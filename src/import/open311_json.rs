//! Open311 service requests as JSON: Helsinki's export (one request a line, as in
//! ../shared/data/helsinki-feedback), a GeoReport v2 response (an array), or requests
//! one after another. Helsinki's extensions are read from either place they appear:
//! `title` and `tasks` at the top (the export) or under `extended_attributes` (the
//! API with `extensions=true`).

use anyhow::Context;
use serde::Deserialize;
use serde_json::Value;

use super::records::{PastRecord, PastTask, ReadRecord, RecordPlace, Rejection, non_blank};

#[derive(Debug, Deserialize)]
struct Open311Request {
    service_request_id: Option<Scalar>,
    requested_datetime: Option<String>,
    updated_datetime: Option<String>,
    /// Not Open311, but what a CSV calls it; some exports carry it too.
    closed_datetime: Option<String>,
    status: Option<String>,
    title: Option<String>,
    description: Option<String>,
    service_code: Option<Scalar>,
    agency_responsible: Option<String>,
    channel: Option<String>,
    address_string: Option<String>,
    address: Option<String>,
    lat: Option<Scalar>,
    long: Option<Scalar>,
    first_name: Option<String>,
    last_name: Option<String>,
    email: Option<String>,
    phone: Option<String>,
    tasks: Option<Vec<Open311Task>>,
    extended_attributes: Option<ExtendedAttributes>,
}

#[derive(Debug, Deserialize)]
struct ExtendedAttributes {
    title: Option<String>,
    tasks: Option<Vec<Open311Task>>,
}

/// A task as the export (`created`, `state`) or the API (`task_created`, …) names it.
#[derive(Debug, Deserialize)]
struct Open311Task {
    #[serde(alias = "task_created")]
    created: Option<String>,
    #[serde(alias = "task_modified")]
    modified: Option<String>,
    #[serde(alias = "task_state")]
    state: Option<String>,
}

/// Ids and coordinates come as strings from some servers and as numbers from others.
#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum Scalar {
    Text(String),
    Number(serde_json::Number),
}

impl Scalar {
    fn into_text(self) -> String {
        match self {
            Scalar::Text(text) => text,
            Scalar::Number(number) => number.to_string(),
        }
    }
}

/// Every record of the file; a line that is not JSON is rejected, not fatal, but an
/// array or a run of objects that breaks off cannot be read past and fails the file.
pub fn read(text: &str) -> anyhow::Result<Vec<ReadRecord>> {
    if text.trim_start().starts_with('[') {
        let requests: Vec<Value> =
            serde_json::from_str(text).context("reading the JSON array of requests")?;
        return Ok(requests
            .into_iter()
            .zip(1..)
            .map(|(value, number)| ReadRecord {
                place: RecordPlace::Element(number),
                record: request(value),
            })
            .collect());
    }
    let first_line = text.lines().find(|line| !line.trim().is_empty());
    match first_line {
        None => Ok(Vec::new()),
        Some(line) if serde_json::from_str::<Value>(line).is_ok() => Ok(json_lines(text)),
        Some(_) => concatenated(text),
    }
}

fn json_lines(text: &str) -> Vec<ReadRecord> {
    text.lines()
        .zip(1..)
        .filter(|(line, _)| !line.trim().is_empty())
        .map(|(line, number)| ReadRecord {
            place: RecordPlace::Line(number),
            record: serde_json::from_str::<Value>(line)
                .map_err(|error| Rejection::with_detail("not valid JSON", error.to_string()))
                .and_then(request),
        })
        .collect()
}

/// Pretty-printed requests one after another (or a single one); each is placed at
/// the line it starts on.
fn concatenated(text: &str) -> anyhow::Result<Vec<ReadRecord>> {
    let mut values = serde_json::Deserializer::from_str(text).into_iter::<Value>();
    let mut records = Vec::new();
    loop {
        let consumed = values.byte_offset();
        let rest = text.get(consumed..).unwrap_or_default();
        let start = consumed + (rest.len() - rest.trim_start().len());
        let Some(value) = values.next() else {
            break;
        };
        let line = line_of(text, start);
        let value = value.with_context(|| format!("reading the JSON request at line {line}"))?;
        records.push(ReadRecord {
            place: RecordPlace::Line(line),
            record: request(value),
        });
    }
    Ok(records)
}

fn line_of(text: &str, offset: usize) -> u64 {
    let before = text.get(..offset).unwrap_or(text);
    1 + before.bytes().filter(|byte| *byte == b'\n').count() as u64
}

fn request(value: Value) -> Result<PastRecord, Rejection> {
    if !value.is_object() {
        return Err(Rejection::new("not a JSON object"));
    }
    let request: Open311Request = serde_json::from_value(value).map_err(|error| {
        Rejection::with_detail("not an Open311 service request", error.to_string())
    })?;
    let extended = request.extended_attributes;
    let (extended_title, extended_tasks) = match extended {
        Some(extended) => (extended.title, extended.tasks),
        None => (None, None),
    };
    let name = [request.first_name, request.last_name]
        .into_iter()
        .flatten()
        .map(|part| part.trim().to_owned())
        .filter(|part| !part.is_empty())
        .collect::<Vec<_>>()
        .join(" ");
    Ok(PastRecord {
        service_request_id: non_blank(request.service_request_id.map(Scalar::into_text)),
        requested: non_blank(request.requested_datetime),
        updated: non_blank(request.updated_datetime),
        closed: non_blank(request.closed_datetime),
        status: non_blank(request.status),
        title: non_blank(request.title.or(extended_title)),
        description: request.description,
        service_code: non_blank(request.service_code.map(Scalar::into_text)),
        agency: non_blank(request.agency_responsible),
        channel: non_blank(request.channel),
        address: non_blank(request.address_string.or(request.address)),
        latitude: coordinate("lat", request.lat)?,
        longitude: coordinate("long", request.long)?,
        contact_name: non_blank(Some(name)),
        contact_email: non_blank(request.email),
        contact_phone: non_blank(request.phone),
        tasks: request
            .tasks
            .or(extended_tasks)
            .unwrap_or_default()
            .into_iter()
            .map(|task| PastTask {
                created: non_blank(task.created),
                modified: non_blank(task.modified),
                state: non_blank(task.state),
            })
            .collect(),
    })
}

fn coordinate(field: &str, value: Option<Scalar>) -> Result<Option<f64>, Rejection> {
    let Some(text) = non_blank(value.map(Scalar::into_text)) else {
        return Ok(None);
    };
    text.trim()
        .parse::<f64>()
        .map(Some)
        .map_err(|_| Rejection::with_detail(format!("`{field}` is not a number"), text))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_export_lines_with_their_tasks_and_numbers() {
        let text = concat!(
            r#"{"service_request_id": "a1", "requested_datetime": "2014-12-05T10:50:03Z", "title": "T", "description": "D", "service_code": "180", "agency_responsible": "Rakennusvirasto", "tasks": [{"created": "2014-12-05T10:50:06Z", "type": "assigned", "state": "re_assigned", "owner": "Rakennusvirasto"}], "address_string": "Katu 1", "lat": 60.1, "long": 24.9}"#,
            "\n\n",
            "{not json\n",
            r#"{"service_request_id": 7, "description": "x", "lat": "north"}"#,
            "\n"
        );
        let records = read(text).expect("reads");
        assert_eq!(records.len(), 3);
        assert_eq!(records[0].place, RecordPlace::Line(1));
        let first = records[0].record.as_ref().expect("a record");
        assert_eq!(first.service_request_id.as_deref(), Some("a1"));
        assert_eq!(first.agency.as_deref(), Some("Rakennusvirasto"));
        assert_eq!(first.latitude, Some(60.1));
        assert_eq!(first.tasks.len(), 1);
        assert_eq!(first.tasks[0].state.as_deref(), Some("re_assigned"));
        assert_eq!(records[1].place, RecordPlace::Line(3));
        assert_eq!(
            records[1].record.as_ref().expect_err("bad").reason,
            "not valid JSON"
        );
        assert_eq!(records[2].place, RecordPlace::Line(4));
        assert_eq!(
            records[2].record.as_ref().expect_err("bad").reason,
            "`lat` is not a number"
        );
    }

    #[test]
    fn reads_an_api_response_with_extended_attributes() {
        let text = r#"[
          {"service_request_id": "b2", "description": "D", "status": "closed",
           "updated_datetime": "2016-03-24T16:06:40+02:00", "lat": "60.45", "long": "22.26",
           "extended_attributes": {"title": "Title", "tasks": [
             {"task_created": "2016-03-22T13:27:16+02:00", "task_modified": "2016-03-22T15:32:04+02:00",
              "owner_name": "Kaupunginkanslia", "task_type": "assigned", "task_state": "re_assigned"}]}},
          42
        ]"#;
        let records = read(text).expect("reads");
        assert_eq!(records[0].place, RecordPlace::Element(1));
        let first = records[0].record.as_ref().expect("a record");
        assert_eq!(first.title.as_deref(), Some("Title"));
        assert_eq!(first.status.as_deref(), Some("closed"));
        assert_eq!(first.latitude, Some(60.45));
        assert_eq!(
            first.tasks[0].modified.as_deref(),
            Some("2016-03-22T15:32:04+02:00")
        );
        assert_eq!(
            records[1].record.as_ref().expect_err("bad").reason,
            "not a JSON object"
        );
    }

    #[test]
    fn reads_pretty_printed_requests_one_after_another() {
        let text = "{\n  \"service_request_id\": \"c\",\n  \"description\": \"one\"\n}\n\n{\n  \"service_request_id\": \"d\",\n  \"description\": \"two\"\n}\n";
        let records = read(text).expect("reads");
        let places: Vec<RecordPlace> = records.iter().map(|record| record.place).collect();
        assert_eq!(places, [RecordPlace::Line(1), RecordPlace::Line(6)]);
    }
}
