"""Case creation over HTTP: contract, idempotency, encryption at rest, bad input."""

from __future__ import annotations

import asyncio
import json
import logging
from datetime import datetime, timedelta

import pytest

from backend.deadlines import breach_authority_due, misconduct_acknowledge_due, rights_request_due
from basics.references import is_valid_reference

from .conftest import Api, default_case


async def test_create_access_case_awaits_verification_and_mails_a_code(api: Api) -> None:
    status, body = await api.create()
    assert status == 201, body
    assert is_valid_reference(body["reference"]) and body["reference"].startswith("PRV-2026-")
    assert body["status"] == "awaiting_verification"
    assert body["verification"]["required"] is True
    assert datetime.fromisoformat(body["verification"]["expires_at"]) == api.clock.now + timedelta(minutes=10)
    assert datetime.fromisoformat(body["verification"]["resend_after"]) == api.clock.now + timedelta(seconds=60)
    assert body["due_at"] is None  # the clock starts at verification
    assert "receipt" not in body
    mails = await api.mails_for(body["reference"])
    assert len(mails) == 1 and mails[0]["To"] == "anna@example.com"
    assert mails[0]["Content-Language"] == "sv"
    assert len(await api.last_code(body["reference"])) == 6
    assert api.count("audit_entries") == 1


async def test_personal_data_is_encrypted_at_rest(api: Api) -> None:
    status, body = await api.create()
    assert status == 201
    row = api.sql(
        "SELECT requester_name_enc, requester_email_enc, requester_email_index, details_enc FROM cases"
    )[0]
    dump = " ".join(str(value) for value in row)
    for secret in ("Anna", "anna@example.com", "registerutdrag"):
        assert secret not in dump
    assert row[2] == api.svc.index.email("ANNA@example.com ")
    idempotency = " ".join(str(v) for v in api.sql("SELECT * FROM idempotency_records")[0])
    assert "anna@example.com" not in idempotency and body["reference"] not in idempotency
    audit = json.dumps([list(map(str, r)) for r in api.sql("SELECT * FROM audit_entries")])
    assert "anna" not in audit.lower() and "registerutdrag" not in audit


async def test_anonymous_incident_is_open_with_receipt_and_72h_clock(api: Api) -> None:
    aware = api.clock.now - timedelta(hours=5)
    status, body = await api.create(
        type="incident", channel="teams", language="nb", country="NO", anonymous=True, requester=None,
        aware_at=aware.isoformat(), details={"description": "Laptop stjålet", "encrypted": "nei"},
    )
    assert status == 201, body
    assert body["reference"].startswith("INC-")
    assert body["status"] == "open"
    assert body["verification"] == {"required": False}
    assert len(body["receipt"]) == 16 and body["receipt"].isdigit()
    assert body["clocks"] == {"authority_notification_due_at": breach_authority_due(aware).isoformat()}
    assert body["due_at"] == body["clocks"]["authority_notification_due_at"]
    stored = api.sql("SELECT receipt_hash, requester_email_enc, requester_name_enc FROM cases")[0]
    assert stored[0].startswith("$argon2id$") and body["receipt"] not in stored[0]
    assert stored[1] is None and stored[2] is None
    assert await api.mails() == []


async def test_teams_identified_case_starts_open_with_due_date(api: Api) -> None:
    status, body = await api.create(
        channel="teams", country="NO", language="en",
        requester={"name": "Ola Nordmann", "email": "ola@example.no", "verified_by_channel": True},
    )
    assert status == 201, body
    assert body["status"] == "open"
    assert body["due_at"] == rights_request_due(api.clock.now, "NO").isoformat()
    mails = await api.mails_for(body["reference"])
    assert [m["Subject"] for m in mails] == [f"We have received your case {body['reference']}"]


async def test_misconduct_gets_acknowledgement_and_feedback_clocks(api: Api) -> None:
    status, body = await api.create(type="misconduct", anonymous=True, requester=None, country="DK")
    assert status == 201, body
    assert body["reference"].startswith("WBL-")
    assert set(body["clocks"]) == {"acknowledge_due_at", "feedback_due_at"}
    assert body["due_at"] == misconduct_acknowledge_due(api.clock.now, "DK").isoformat()


async def test_replayed_idempotency_key_returns_same_response_and_one_case(api: Api) -> None:
    first_status, first = await api.create(key="replay-key-0001")
    second_status, second = await api.create(key="replay-key-0001")
    assert (first_status, second_status) == (201, 200)
    assert second == first
    assert api.count("cases") == 1
    assert len(await api.mails()) == 1  # no second code either


async def test_replay_of_anonymous_report_returns_the_receipt_again(api: Api) -> None:
    body = default_case(type="complaint", anonymous=True, requester=None)
    _, first = await api.create(body, key="anon-key-0001")
    status, second = await api.create(body, key="anon-key-0001")
    assert status == 200 and second["receipt"] == first["receipt"]
    stored = api.sql("SELECT response_enc FROM idempotency_records")[0][0]
    assert first["receipt"] not in stored  # the replay copy is encrypted


async def test_same_key_with_different_body_is_409(api: Api) -> None:
    status, _ = await api.create(key="reused-key-0001")
    assert status == 201
    status, body = await api.create(default_case(language="en"), key="reused-key-0001")
    assert status == 409 and body["error"]["code"] == "idempotency_key_reused"
    assert api.count("cases") == 1


async def test_concurrent_duplicate_creation_makes_one_case(api: Api) -> None:
    results = await asyncio.gather(*(api.create(key="concurrent-key-01") for _ in range(5)))
    statuses = sorted(status for status, _ in results)
    assert statuses == [200, 200, 200, 200, 201]
    assert len({body["reference"] for _, body in results}) == 1
    assert api.count("cases") == 1
    assert api.count("idempotency_records") == 1
    assert api.count("verification_codes") == 1


async def test_expired_idempotency_record_allows_key_reuse(api: Api) -> None:
    _, first = await api.create(key="old-key-000001")
    api.clock.advance(hours=25)
    status, second = await api.create(key="old-key-000001")
    assert status == 201 and second["reference"] != first["reference"]


BAD_INPUT = [
    ({"type": "teleport"}, "unknown_case_type"),
    ({"type": 7}, "unknown_case_type"),
    ({"language": "de"}, "invalid_language"),
    ({"language": 5}, "invalid_language"),
    ({"channel": "fax"}, "invalid_channel"),
    ({"country": "FI"}, "invalid_country"),
    ({"country": None}, "missing_field"),
    ({"company": "x" * 201}, "field_too_long"),
    ({"company": ["list"]}, "invalid_field"),
    ({"requester": {"name": "A", "email": "not-an-address"}}, "invalid_email"),
    ({"requester": {"name": "A", "email": "a@b"}}, "invalid_email"),
    ({"requester": {"name": "A", "email": 42}}, "invalid_email"),
    ({"requester": {"name": "x" * 201, "email": "a@example.com"}}, "field_too_long"),
    ({"requester": {"name": "A", "email": "a@example.com", "phone": "1"}}, "unknown_field"),
    ({"requester": "anna@example.com"}, "invalid_field"),
    ({"requester": None}, "requester_email_required"),
    ({"requester": {"name": "Anna"}}, "requester_email_required"),
    ({"anonymous": True, "requester": None}, "anonymous_not_allowed"),
    ({"anonymous": "yes"}, "invalid_field"),
    ({"details": {"description": "x" * 5001}}, "field_too_long"),
    ({"details": {"other": "x" * 501}}, "field_too_long"),
    ({"details": {"description": {"nested": 1}}}, "invalid_field"),
    ({"details": ["a"]}, "invalid_field"),
    ({"details": {"Bad Key": "x"}}, "invalid_field"),
    ({"details": {f"k{i}": "v" for i in range(31)}}, "field_too_long"),
    ({"details": {"description": "nul\x00byte"}}, "invalid_field"),
    ({"surprise": 1}, "unknown_field"),
    ({"type": "incident"}, "missing_field"),
    ({"type": "incident", "aware_at": "2026-03-01T10:00:00"}, "invalid_datetime"),
    ({"type": "incident", "aware_at": "yesterday"}, "invalid_datetime"),
    ({"type": "incident", "aware_at": "2027-01-01T10:00:00+00:00"}, "invalid_datetime"),
    ({"type": "incident", "anonymous": True, "aware_at": "2026-03-01T10:00:00+01:00"},
     "anonymous_with_requester"),
    ({"requester": {"name": "A", "email": "a@example.com", "verified_by_channel": True}}, "invalid_field"),
]


async def test_bad_case_input_is_a_clear_4xx_and_writes_nothing(api: Api) -> None:
    # One server and database for the whole table: each row is checked, and nothing may be written.
    for overrides, code in BAD_INPUT:
        status, body = await api.create(**overrides)
        assert (status, body["error"]["code"]) == (400, code), overrides
        assert body["error"]["message"]
    assert api.count("cases") == 0 and api.count("audit_entries") == 0 and api.count("idempotency_records") == 0
    assert api.count("verification_codes") == 0 and await api.mails() == []


async def test_body_over_64_kb_is_413(api: Api) -> None:
    body = default_case(details={f"f{i}": "x" * 500 for i in range(30)} | {"description": "y" * 5000})
    body["padding"] = "z" * (70 * 1024)
    status, answer = await api.create(body)
    assert status == 413 and answer["error"]["code"] == "payload_too_large"
    assert api.count("cases") == 0


async def test_non_json_bodies_are_rejected(api: Api) -> None:
    headers = api.headers(key="raw-body-key-01")
    for data, content_type, expected_status, expected_code in [
        (b"{not json", "application/json", 400, "invalid_json"),
        (b"", "application/json", 400, "invalid_json"),
        (b"\xff\xfe{}", "application/json", 400, "invalid_json"),
        (b'{"a": NaN}', "application/json", 400, "invalid_json"),
        (b"[1, 2]", "application/json", 400, "invalid_json"),
        (b"[" * 50_000, "application/json", 400, "invalid_json"),
        (b"type=access", "application/x-www-form-urlencoded", 415, "unsupported_media_type"),
    ]:
        response = await api.client.post(
            "/api/v1/cases", data=data, headers={**headers, "Content-Type": content_type}
        )
        answer = await response.json()
        assert (response.status, answer["error"]["code"]) == (expected_status, expected_code), data[:20]
    assert api.count("cases") == 0


async def test_idempotency_key_is_required_and_checked(api: Api) -> None:
    status, body = await api.post("/api/v1/cases", default_case())
    assert status == 400 and body["error"]["code"] == "idempotency_key_required"
    status, body = await api.post("/api/v1/cases", default_case(), key="short")
    assert status == 400 and body["error"]["code"] == "invalid_idempotency_key"
    status, body = await api.post("/api/v1/cases", default_case(), key="bad key with spaces")
    assert status == 400 and body["error"]["code"] == "invalid_idempotency_key"


async def test_html_in_free_text_is_stored_and_returned_as_text(api: Api) -> None:
    html = '<script>alert("x")</script><b>fet</b> &amp; <img src=x onerror=alert(1)>'
    status, created = await api.create(details={"description": html}, requester={
        "name": "<i>Anna</i>", "email": "anna@example.com"})
    assert status == 201
    token = await api.staff_token()
    response = await api.client.get(f"/api/v1/staff/cases/{created['reference']}", headers=api.headers(token))
    assert response.content_type == "application/json"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    view = await response.json()
    assert view["details"]["description"] == html
    assert view["requester"]["name"] == "<i>Anna</i>"


async def test_unknown_route_and_method_are_json_errors(api: Api) -> None:
    status, body = await api.get("/api/v1/nothing-here")
    assert status == 404 and body["error"]["code"] == "not_found"
    status, body = await api.call("PUT", "/api/v1/cases")
    assert status == 405 and body["error"]["code"] == "method_not_allowed"


async def test_healthz_and_openapi_cover_every_route(api: Api) -> None:
    status, body = await api.get("/healthz", token=None)
    assert (status, body) == (200, {"status": "ok"})
    status, document = await api.get("/api/v1/openapi.json", token=None)
    assert status == 200 and document["openapi"].startswith("3.")
    documented = {(path, method.upper()) for path, ops in document["paths"].items() for method in ops}
    registered = set()
    for route in api.client.server.app.router.routes():
        if route.method in ("HEAD", "OPTIONS"):
            continue
        info = route.resource.get_info()
        path = info.get("path") or info.get("formatter")
        if not (path.startswith("/api/") or path == "/healthz"):
            continue  # HTML pages (the widget page, /static, /staff/) are not part of the JSON API
        registered.add((path, route.method))
    assert registered and registered <= documented, registered - documented
    codes = set(document["components"]["schemas"]["Error"]["properties"]["error"]["properties"]["code"]["enum"])
    assert {"invalid_code", "too_many_attempts", "idempotency_key_reused", "case_not_found"} <= codes


async def test_hostile_input_never_causes_a_500(api: Api) -> None:
    surrogate = "\ud800"
    bodies = [
        default_case(requester={"name": f"A{surrogate}", "email": "a@example.com"}),
        default_case(requester={"name": "A", "email": f"a{surrogate}@example.com"}),
        default_case(company=f"X{surrogate}"),
        default_case(details={"description": f"text {surrogate}"}),
        default_case(type="incident", aware_at="0001-01-01T00:00:00+01:00"),
        default_case(type="incident", aware_at="1970-01-01T00:00:00+00:00"),
        default_case(type="incident", aware_at="9999-12-31T23:59:59-12:00"),
        default_case(language="sv" * 10_000),
        default_case(details={"amount": True}),
        default_case(anonymous=None, requester={"name": None, "email": None}),
    ]
    for body in bodies:
        status, answer = await api.create(body)
        assert 400 <= status < 500, (status, answer)
        assert answer["error"]["code"]
    huge_number = b'{"type": "access", "details": {"description": ' + b"9" * 6000 + b"}}"
    response = await api.client.post("/api/v1/cases", data=huge_number, headers={
        **api.headers(key="huge-number-key"), "Content-Type": "application/json"})
    assert response.status == 400
    _, created = await api.create()
    reference = created["reference"]
    for path, payload in [
        (f"/api/v1/cases/{reference}/verification", {"code": "１２３４５６"}),
        (f"/api/v1/cases/{reference}/verification", {"code": None}),
        ("/api/v1/cases/%F0%9F%92%A3/verification", {"code": "123456"}),
        ("/api/v1/status/code", {"reference": reference, "email": f"x{surrogate}@example.com", "language": "sv"}),
        ("/api/v1/status/code", {"reference": 5, "email": "x@example.com", "language": "sv"}),
        ("/api/v1/status/verify", {"reference": ["x"], "email": "x@example.com", "code": "123456"}),
        ("/api/v1/status/receipt", {"reference": reference, "receipt": "１" * 16}),
        ("/api/v1/status/receipt/reply", {"reference": reference, "receipt": "1" * 16, "body": 5}),
    ]:
        status, answer = await api.post(path, payload)
        assert 400 <= status < 500, (path, payload, status, answer)
    assert api.count("verification_failures") == 0


async def test_logs_carry_references_but_no_personal_data(api: Api, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    _, created = await api.create(requester={"name": "Greta Gustafsson", "email": "greta@example.se"},
                                  details={"description": "mitt hemliga ärende"})
    code = await api.last_code(created["reference"])
    await api.post(f"/api/v1/cases/{created['reference']}/verification", {"code": "000000" if code != "000000" else "111111"})
    await api.post(f"/api/v1/cases/{created['reference']}/verification", {"code": code})
    _, anonymous = await api.create(type="complaint", anonymous=True, requester=None)
    await api.post("/api/v1/status/receipt", {"reference": anonymous["reference"], "receipt": anonymous["receipt"]})
    officer = await api.staff_token(name="Olle Officer")
    await api.get(f"/api/v1/staff/cases/{created['reference']}", token=officer)
    await api.mails()
    logged = caplog.text
    assert created["reference"] in logged
    for secret in ("Greta", "greta@example.se", "hemliga", code, anonymous["receipt"], "Olle", officer,
                   api.service_token):
        assert secret not in logged
