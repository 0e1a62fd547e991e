#!/usr/bin/env python3
"""A GeoReport v2 client, written against the specification
(http://wiki.open311.org/GeoReport_v2/) and nothing of palaute's own: it lists the
services, posts a service request form-encoded with an API key, reads it back as JSON
and XML, and checks that a wrong key is refused with 403. Every JSON answer is
validated against the JSON Schemas in tests/open311_schemas/.

    python3 tests/open311_client.py BASE_URL API_KEY

BASE_URL is the endpoint's URL as discovery gives it, e.g. http://127.0.0.1:8080/open311/v2.
Needs `requests` and `jsonschema`. Exits 0 when every check passed.
"""

import json
import pathlib
import sys
import xml.etree.ElementTree as ElementTree

import jsonschema
import requests

SCHEMAS = pathlib.Path(__file__).resolve().parent / "open311_schemas"
TIMEOUT = 30

checks = 0


def schema(name):
    with open(SCHEMAS / name, encoding="utf-8") as file:
        return json.load(file)


def valid(document, name):
    global checks
    validator = jsonschema.Draft202012Validator(
        schema(name), format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER
    )
    problems = sorted(validator.iter_errors(document), key=lambda error: list(error.path))
    if problems:
        for problem in problems:
            print(f"{name}: {list(problem.path)}: {problem.message}", file=sys.stderr)
        raise AssertionError(f"the answer does not match {name}: {json.dumps(document)[:2000]}")
    checks += 1
    return document


def expect(condition, message):
    global checks
    if not condition:
        raise AssertionError(message)
    checks += 1


def get_json(base, path, expected_status=200, **params):
    response = requests.get(f"{base}/{path}", params=params, timeout=TIMEOUT)
    expect(
        response.status_code == expected_status,
        f"GET {path}: {response.status_code}, not {expected_status}: {response.text[:500]}",
    )
    expect(
        response.headers.get("content-type", "").startswith("application/json"),
        f"GET {path}: content type {response.headers.get('content-type')}",
    )
    return response.json()


def main(base, api_key):
    base = base.rstrip("/")

    discovery = valid(get_json(base, "discovery.json"), "discovery.json")
    expect(
        any(endpoint["specification"].endswith("GeoReport_v2") for endpoint in discovery["endpoints"]),
        f"discovery names no GeoReport v2 endpoint: {discovery}",
    )

    services = valid(get_json(base, "services.json"), "services.json")
    expect(len(services) > 0, "no services")
    service_code = services[0]["service_code"]
    valid(get_json(base, f"services/{service_code}.json"), "service_definition.json")

    form = {
        "api_key": api_key,
        "service_code": service_code,
        "lat": "60.1699",
        "long": "24.9384",
        "address_string": "Mannerheimintie 1, Helsinki",
        "description": "Katuvalo ei pala Mannerheimintiellä, pimeää koko korttelin matkalla.",
        "email": "client-test@example.com",
        "first_name": "Testi",
        "last_name": "Asiakas",
        "phone": "+358401234567",
    }
    # requests sends a dict as application/x-www-form-urlencoded.
    response = requests.post(f"{base}/requests.json", data=form, timeout=TIMEOUT)
    expect(response.status_code in (200, 201), f"POST requests: {response.status_code} {response.text[:500]}")
    created = valid(response.json(), "service_request_created.json")
    service_request_id = created[0]["service_request_id"]
    expect(bool(service_request_id), "no service_request_id")

    read = valid(get_json(base, f"requests/{service_request_id}.json"), "service_requests.json")
    expect(len(read) == 1, f"requests/{{id}} is a list of one: {read}")
    request = read[0]
    expect(request["service_request_id"] == service_request_id, f"another request came back: {request}")
    expect(request["service_code"] == service_code, f"service_code: {request}")
    expect(request["status"] == "open", f"status: {request}")
    expect(abs(request["lat"] - 60.1699) < 1e-9 and abs(request["long"] - 24.9384) < 1e-9, f"position: {request}")
    text = json.dumps(read, ensure_ascii=False)
    for private in ("client-test@example.com", "Testi", "Asiakas", "401234567"):
        expect(private not in text, f"{private} is shown: {text}")

    response = requests.get(f"{base}/requests/{service_request_id}.xml", timeout=TIMEOUT)
    expect(response.status_code == 200, f"GET requests/{{id}}.xml: {response.status_code}")
    expect("xml" in response.headers.get("content-type", ""), f"XML content type: {response.headers}")
    root = ElementTree.fromstring(response.content)
    expect(root.tag == "service_requests", f"XML root: {root.tag}")
    items = root.findall("request")
    expect(len(items) == 1, f"XML requests: {response.text[:500]}")
    expect(items[0].findtext("service_request_id") == service_request_id, f"XML id: {response.text[:500]}")
    expect(items[0].findtext("status") == "open", f"XML status: {response.text[:500]}")
    expect(b"client-test@example.com" not in response.content, "the email is in the XML")

    listed = valid(
        get_json(base, "requests.json", service_request_id=f"{service_request_id},HEL-1999-000001"),
        "service_requests.json",
    )
    expect([item["service_request_id"] for item in listed] == [service_request_id], f"filter by id: {listed}")
    valid(get_json(base, "requests.json", service_code=service_code, status="open"), "service_requests.json")

    refused = requests.post(
        f"{base}/requests.json", data=dict(form, api_key="not-a-valid-key"), timeout=TIMEOUT
    )
    expect(refused.status_code == 403, f"a wrong key: {refused.status_code} {refused.text[:500]}")
    errors = valid(refused.json(), "errors.json")
    expect(errors[0]["code"] == 403, f"the error's code: {errors}")

    missing = valid(get_json(base, "requests/HEL-1999-000001.json", expected_status=404), "errors.json")
    expect(missing[0]["code"] == 404, f"the error's code: {missing}")

    print(f"ok: {checks} checks against {base}, service request {service_request_id}")


if __name__ == "__main__":
    if len(sys.argv) != 3:
        print(__doc__, file=sys.stderr)
        sys.exit(2)
    try:
        main(sys.argv[1], sys.argv[2])
    except AssertionError as failure:
        print(f"FAILED: {failure}", file=sys.stderr)
        sys.exit(1)
