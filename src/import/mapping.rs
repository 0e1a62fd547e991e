//! From a record as the source system wrote it to a case of this organisation: the
//! shared intake rules (`Submission::parse`) for the text, contact and place; the
//! organisation's unit aliases for the historical unit (unknown: triage, with the
//! original name kept as a note); its categories for the service code; and the
//! record's own dates and status. Nothing here routes the case again.

use chrono::{DateTime, NaiveDate, NaiveDateTime, TimeZone, Utc};
use chrono_tz::Europe::Helsinki;
use palaute_core::submission::{Field, RawSubmission, Submission};
use palaute_core::{CaseStatus, Channel, Organisation};
use palaute_routing::{CaseText, detect_language};
use palaute_store::{ContactDetails, Location, PastCase};
use serde_json::json;

use super::records::{PastRecord, Rejection};

/// Where a record stands: still open (with a palaute status where the record names
/// one), or finished.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Standing {
    Open(Option<CaseStatus>),
    Finished(CaseStatus),
}

/// The case a record becomes, or why it cannot become one.
pub fn past_case(
    record: PastRecord,
    organisation: &Organisation,
    source: &str,
) -> Result<PastCase, Rejection> {
    let external_id = record
        .service_request_id
        .clone()
        .ok_or_else(|| Rejection::new("no service_request_id"))?;
    let created_at = match &record.requested {
        Some(text) => parse_time("requested_datetime", text)?,
        None => return Err(Rejection::new("no requested_datetime")),
    };
    let updated = optional_time("updated_datetime", record.updated.as_deref())?;
    let closed = optional_time("closed_datetime", record.closed.as_deref())?;
    let channel = match &record.channel {
        Some(code) => Channel::from_code(&code.trim().to_lowercase())
            .ok_or_else(|| Rejection::with_detail("unknown channel", code.clone()))?,
        None => Channel::Other,
    };
    let standing = standing(&record)?;
    let submission = Submission::parse(
        RawSubmission {
            title: record.title.clone(),
            contact_name: record.contact_name.clone(),
            contact_email: record.contact_email.clone(),
            contact_phone: record.contact_phone.clone(),
            latitude: record.latitude,
            longitude: record.longitude,
            address: record.address.clone(),
            // Historical service codes are checked below, against the categories.
            ..RawSubmission::new(channel, record.description.clone().unwrap_or_default())
        },
        organisation,
    )
    .map_err(|errors| {
        let fields: Vec<String> = errors.iter().map(|error| field_name(error.field)).collect();
        Rejection::with_detail(format!("invalid {}", fields.join(", ")), errors.to_string())
    })?;

    let mut notes = Vec::new();
    let category_code = category(organisation, record.service_code.as_deref(), &mut notes);
    let unit = unit(organisation, record.agency.as_deref(), &mut notes);

    // Helsinki's tasks date the routing (the first task) and the last change.
    let task_time = |text: Option<&str>| text.and_then(|text| parse_time("task", text).ok());
    let latest_task = record
        .tasks
        .iter()
        .flat_map(|task| {
            [
                task_time(task.created.as_deref()),
                task_time(task.modified.as_deref()),
            ]
        })
        .flatten()
        .max();
    let first_task = record
        .tasks
        .iter()
        .filter_map(|task| task_time(task.created.as_deref()))
        .min();
    let not_before_creation = |at: DateTime<Utc>| at.max(created_at);
    let (status, resolved_at) = match standing {
        Standing::Finished(status) => {
            let at = closed.or(updated).or(latest_task).unwrap_or(created_at);
            (status, Some(not_before_creation(at)))
        }
        Standing::Open(_) if !unit.known => (CaseStatus::NeedsTriage, None),
        Standing::Open(status) => (status.unwrap_or(CaseStatus::Routed), None),
    };
    let updated_at = [updated, closed, latest_task, resolved_at]
        .into_iter()
        .flatten()
        .max()
        .map_or(created_at, not_before_creation);

    let text = CaseText {
        title: submission.title.as_deref(),
        description: &submission.description,
        category_code: category_code.as_deref(),
        language: None,
    };
    let language = detect_language(&text.combined_text(), None);
    let original = json!({
        "agency_responsible": record.agency,
        "service_code": record.service_code,
        "status": record.status,
        "requested_datetime": record.requested,
        "updated_datetime": record.updated,
        "closed_datetime": record.closed,
        "tasks": record.tasks.len(),
    });
    Ok(PastCase {
        source: source.to_owned(),
        external_id,
        channel,
        title: submission.title,
        description: submission.description,
        language: language.language,
        language_confidence: Some(f64::from(language.confidence)),
        category_code,
        unit_code: unit.code,
        status,
        contact: submission.contact.map(ContactDetails::from),
        location: submission.location.map(Location::from),
        created_at,
        updated_at,
        routed_at: first_task.map(not_before_creation),
        resolved_at,
        original,
        note: (!notes.is_empty()).then(|| notes.join(" ")),
    })
}

/// The unit a case goes to, and whether the organisation knew the record's unit.
struct Placed {
    code: String,
    known: bool,
}

/// The record's unit found by the organisation's codes, names and aliases; otherwise
/// the triage unit, with a note saying why.
fn unit(organisation: &Organisation, label: Option<&str>, notes: &mut Vec<String>) -> Placed {
    if let Some(unit) = label.and_then(|label| organisation.unit_by_label(label)) {
        return Placed {
            code: unit.code.clone(),
            known: true,
        };
    }
    notes.push(match label {
        Some(label) => format!(
            "The historical unit {label:?} is not in the organisation; the case was given to triage."
        ),
        None => "The record names no unit; the case was given to triage.".to_owned(),
    });
    Placed {
        code: organisation.triage_unit.clone(),
        known: false,
    }
}

/// The record's service code where the organisation has that category; otherwise
/// none, with a note keeping the code.
fn category(
    organisation: &Organisation,
    code: Option<&str>,
    notes: &mut Vec<String>,
) -> Option<String> {
    let code = code?.trim();
    if organisation.category(code).is_some() {
        return Some(code.to_owned());
    }
    notes.push(format!(
        "The historical category {code:?} is not among the organisation's categories."
    ));
    None
}

/// The record's status, or, where it has none, what Helsinki's tasks tell: a case
/// whose every task is done (none `open`) was finished at its last task.
fn standing(record: &PastRecord) -> Result<Standing, Rejection> {
    let Some(status) = &record.status else {
        let open_task = record
            .tasks
            .iter()
            .any(|task| task.state.as_deref() == Some("open"));
        return Ok(if record.tasks.is_empty() || open_task {
            Standing::Open(None)
        } else {
            Standing::Finished(CaseStatus::Closed)
        });
    };
    let code = status.trim().to_lowercase();
    match code.as_str() {
        "open" | "new" => Ok(Standing::Open(None)),
        "closed" => Ok(Standing::Finished(CaseStatus::Closed)),
        _ => match CaseStatus::from_code(&code) {
            Some(status) if status.is_finished() => Ok(Standing::Finished(status)),
            Some(status) => Ok(Standing::Open(Some(status))),
            None => Err(Rejection::with_detail("unknown status", status.clone())),
        },
    }
}

fn optional_time(field: &str, text: Option<&str>) -> Result<Option<DateTime<Utc>>, Rejection> {
    text.map(|text| parse_time(field, text)).transpose()
}

/// The precision both backends store (microseconds), so a time read back compares
/// equal to the time written.
fn storage_precision(at: DateTime<Utc>) -> DateTime<Utc> {
    chrono::SubsecRound::trunc_subsecs(at, 6)
}

/// RFC 3339, or a date and time without an offset (taken as Helsinki time, as the
/// city's own systems write them), or a bare date (midnight in Helsinki).
fn parse_time(field: &str, text: &str) -> Result<DateTime<Utc>, Rejection> {
    let text = text.trim();
    let not_a_time = || Rejection::with_detail(format!("`{field}` is not a date and time"), text);
    if let Ok(at) = DateTime::parse_from_rfc3339(text) {
        return Ok(storage_precision(at.with_timezone(&Utc)));
    }
    let local = [
        "%Y-%m-%dT%H:%M:%S%.f",
        "%Y-%m-%d %H:%M:%S%.f",
        "%Y-%m-%d %H:%M",
    ]
    .iter()
    .find_map(|format| NaiveDateTime::parse_from_str(text, format).ok())
    .or_else(|| {
        NaiveDate::parse_from_str(text, "%Y-%m-%d")
            .ok()
            .and_then(|date| date.and_hms_opt(0, 0, 0))
    })
    .ok_or_else(not_a_time)?;
    Helsinki
        .from_local_datetime(&local)
        .earliest()
        .map(|at| storage_precision(at.with_timezone(&Utc)))
        .ok_or_else(not_a_time)
}

/// The field's name in words ("contact email"), from its Rust name, so that a field
/// added to the intake rules is named without a change here.
fn field_name(field: Field) -> String {
    let mut name = String::new();
    for letter in format!("{field:?}").chars() {
        if letter.is_uppercase() && !name.is_empty() {
            name.push(' ');
        }
        name.extend(letter.to_lowercase());
    }
    name
}

#[cfg(test)]
mod tests {
    use super::super::records::PastTask;
    use super::*;

    fn helsinki_record() -> PastRecord {
        PastRecord {
            service_request_id: Some("1vp1s1plcork0g7lsjam".into()),
            requested: Some("2014-12-05T10:50:03Z".into()),
            title: Some("Murtunut valli ja rikkoutun...".into()),
            description: Some(
                "Murtunut valli ja rikkoutunut aita kohdassa raitiovaunupysäkki 0413".into(),
            ),
            service_code: Some("180".into()),
            agency: Some("Rakennusvirasto".into()),
            tasks: vec![
                PastTask {
                    created: Some("2014-12-05T10:50:06Z".into()),
                    modified: None,
                    state: Some("re_assigned".into()),
                },
                PastTask {
                    created: Some("2014-12-05T12:30:58Z".into()),
                    modified: None,
                    state: Some("completed".into()),
                },
            ],
            ..PastRecord::default()
        }
    }

    fn at(text: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(text)
            .expect("time")
            .with_timezone(&Utc)
    }

    #[test]
    fn a_finished_helsinki_record_keeps_its_dates_unit_and_category() {
        let case = past_case(helsinki_record(), &Organisation::helsinki(), "import").expect("maps");
        assert_eq!(case.unit_code, "rakennusvirasto");
        assert_eq!(case.category_code.as_deref(), Some("180"));
        assert_eq!(case.status, CaseStatus::Closed);
        assert_eq!(case.created_at, at("2014-12-05T10:50:03Z"));
        assert_eq!(case.routed_at, Some(at("2014-12-05T10:50:06Z")));
        assert_eq!(case.resolved_at, Some(at("2014-12-05T12:30:58Z")));
        assert_eq!(case.updated_at, at("2014-12-05T12:30:58Z"));
        assert_eq!(case.channel, Channel::Other);
        assert_eq!(case.language, Some(palaute_core::Language::Fi));
        assert_eq!(case.note, None);
    }

    #[test]
    fn an_unknown_unit_goes_to_triage_with_the_name_as_a_note() {
        let mut record = helsinki_record();
        record.agency = Some("Talous- ja suunnittelukeskus".into());
        record.service_code = Some("2169".into());
        record.tasks[1].state = Some("open".into());
        let case = past_case(record, &Organisation::helsinki(), "import").expect("maps");
        assert_eq!(case.unit_code, "triage");
        assert_eq!(case.status, CaseStatus::NeedsTriage);
        assert_eq!(case.category_code, None);
        let note = case.note.expect("a note");
        assert!(note.contains("Talous- ja suunnittelukeskus"), "{note}");
        assert!(note.contains("2169"), "{note}");
        assert_eq!(
            case.original["agency_responsible"],
            "Talous- ja suunnittelukeskus"
        );
    }

    #[test]
    fn an_open311_status_and_times_win_over_the_tasks() {
        let mut record = helsinki_record();
        record.status = Some("open".into());
        let case = past_case(record.clone(), &Organisation::helsinki(), "import").expect("maps");
        assert_eq!((case.status, case.resolved_at), (CaseStatus::Routed, None));

        record.status = Some("closed".into());
        record.updated = Some("2014-12-24 12:00".into());
        let case = past_case(record.clone(), &Organisation::helsinki(), "import").expect("maps");
        assert_eq!(
            case.resolved_at,
            Some(at("2014-12-24T10:00:00Z")),
            "Helsinki time"
        );

        record.status = Some("lost".into());
        let rejection = past_case(record, &Organisation::helsinki(), "import").expect_err("bad");
        assert_eq!(rejection.reason, "unknown status");
    }

    #[test]
    fn the_intake_rules_reject_what_no_door_would_take() {
        let mut record = helsinki_record();
        record.description = Some("   ".into());
        record.contact_email = Some("not an address".into());
        let rejection = past_case(record, &Organisation::helsinki(), "import").expect_err("bad");
        assert_eq!(rejection.reason, "invalid description, contact email");

        let mut record = helsinki_record();
        record.service_request_id = None;
        let rejection = past_case(record, &Organisation::helsinki(), "import").expect_err("bad");
        assert_eq!(rejection.reason, "no service_request_id");

        let mut record = helsinki_record();
        record.requested = Some("yesterday".into());
        let rejection = past_case(record, &Organisation::helsinki(), "import").expect_err("bad");
        assert_eq!(
            rejection.reason,
            "`requested_datetime` is not a date and time"
        );
    }
}
