//! GeoReport v2's XML: the JSON answer written as elements. A list is an element of the
//! plural name holding one element of the singular name per item (`<services><service>`).

use serde_json::Value;

/// The element of one item of a list called `plural`.
fn singular(plural: &str) -> &str {
    match plural {
        "services" => "service",
        "service_requests" => "request",
        "errors" => "error",
        "endpoints" => "endpoint",
        "formats" => "format",
        "attributes" => "attribute",
        "values" => "value",
        "media_urls" => "media_url",
        "tasks" => "task",
        _ => "item",
    }
}

/// The order of an element's children where the specification (or Helsinki's
/// extension) gives one; other fields follow in alphabetical order.
fn field_order(element: &str) -> &'static [&'static str] {
    match element {
        "request" => &[
            "service_request_id",
            "token",
            "status",
            "status_notes",
            "service_name",
            "service_code",
            "description",
            "agency_responsible",
            "service_notice",
            "requested_datetime",
            "updated_datetime",
            "expected_datetime",
            "address",
            "address_id",
            "zipcode",
            "lat",
            "long",
            "media_url",
            "media_urls",
            "extended_attributes",
            "account_id",
        ],
        "service" => &[
            "service_code",
            "service_name",
            "description",
            "metadata",
            "type",
            "keywords",
            "group",
        ],
        "service_definition" => &["service_code", "attributes"],
        "attribute" => &[
            "variable",
            "code",
            "datatype",
            "required",
            "datatype_description",
            "order",
            "description",
            "values",
        ],
        "value" => &["key", "name"],
        "extended_attributes" => &["detailed_status", "title", "tasks"],
        "task" => &[
            "task_created",
            "task_modified",
            "owner_name",
            "task_type",
            "task_state",
        ],
        "error" => &["code", "description"],
        "discovery" => &["changeset", "contact", "key_service", "endpoints"],
        "endpoint" => &["specification", "url", "changeset", "type", "formats"],
        _ => &[],
    }
}

/// A whole document: `value` as the element `root`.
pub fn document(root: &str, value: &Value) -> String {
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    element(&mut out, root, value);
    out.push('\n');
    out
}

fn element(out: &mut String, name: &str, value: &Value) {
    match value {
        Value::Null => {
            out.push('<');
            out.push_str(name);
            out.push_str("/>");
        }
        Value::Array(items) => {
            open(out, name);
            let item_name = singular(name);
            for item in items {
                element(out, item_name, item);
            }
            close(out, name);
        }
        Value::Object(fields) => {
            open(out, name);
            let order = field_order(name);
            let mut ordered: Vec<(&String, &Value)> = fields.iter().collect();
            ordered.sort_by_key(|(field, _)| {
                order
                    .iter()
                    .position(|known| known == field)
                    .unwrap_or(order.len())
            });
            for (field, value) in ordered {
                element(out, field, value);
            }
            close(out, name);
        }
        Value::String(text) => {
            open(out, name);
            escape_into(out, text);
            close(out, name);
        }
        Value::Bool(_) | Value::Number(_) => {
            open(out, name);
            out.push_str(&value.to_string());
            close(out, name);
        }
    }
}

fn open(out: &mut String, name: &str) {
    out.push('<');
    out.push_str(name);
    out.push('>');
}

fn close(out: &mut String, name: &str) {
    out.push_str("</");
    out.push_str(name);
    out.push('>');
}

/// Escapes markup, and leaves out the characters XML 1.0 cannot carry at all.
fn escape_into(out: &mut String, text: &str) {
    for character in text.chars() {
        match character {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\t' | '\n' | '\r' => out.push(character),
            c if u32::from(c) < 0x20 || c == '\u{FFFE}' || c == '\u{FFFF}' => {}
            c => out.push(c),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn lists_nest_under_their_plural_and_text_is_escaped() {
        let services = json!([{ "service_name": "Kadut & <tiet>" }, { "group": null }]);
        assert_eq!(
            document("services", &services),
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<services><service>\
             <service_name>Kadut &amp; &lt;tiet&gt;</service_name></service><service><group/></service></services>\n"
        );
        let requests =
            json!([{ "zipcode": null, "status": "open", "service_request_id": "HEL-1" }]);
        assert!(
            document("service_requests", &requests).contains(
                "<request><service_request_id>HEL-1</service_request_id><status>open</status><zipcode/></request>"
            ),
            "the specification's order"
        );
        let errors = json!([{ "code": 403, "description": "bad\u{1}key" }]);
        assert!(
            document("errors", &errors)
                .contains("<error><code>403</code><description>badkey</description></error>")
        );
    }
}
