"""The API contract run: Schemathesis against a real backend on SQLite, once per kind of token.

Schemathesis reads the backend's OpenAPI document and sends a real HTTP server on loopback requests that
follow it (they must be accepted) and requests that break it (they must be refused with a 4xx); every
response must match the documented status codes, headers and schemas. It runs twice with a fixed seed:
with the service token over the action-server operations (tags ops, service, requester) and with a
privacy-officer staff token over the staff operations (ops, staff); that the wrong kind of token gets
403 is tests/backend/test_api_auth.py's job.

Schemathesis 4 needs jsonschema>=4.18 and Rasa 3.6 pins jsonschema<4.18, so it lives in its own venv
(`.venv-contract`, made by `make contract-venv` from constraints-contract.txt) and runs as a subprocess.
Real cases, codes and receipts, made over HTTP first, are given to it as configured parameters and as
examples in a copy of the document, so verification, resend, receipt, status and staff operations reach
the logic behind the reference check, not only 404. The module's other tests pin the issue's three
contract failures directly, without Schemathesis.
"""

from __future__ import annotations

import asyncio
import copy
import json
import os
import secrets
import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any, AsyncIterator

import pytest
from aiohttp.test_utils import TestClient, TestServer
from cryptography.fernet import Fernet

from backend.app import create_app
from backend.config import Settings
from backend.mailer import OutboxMailer, read_outbox
from backend.services import Services, build_services
from backend.services.staff import create_staff

from .conftest import Api, MigratedTemplates, code_in, default_case

ROOT = Path(__file__).resolve().parents[2]
SCHEMATHESIS = ROOT / ".venv-contract" / "bin" / "schemathesis"
SEED = 20261207
# Enough for every operation to get its positive and negative cases; the coverage phase adds its own.
MAX_EXAMPLES = 30
REQUESTER_EMAIL = "anna@example.com"


class ShiftedClock:
    """The real time plus an offset a test can move forward (e.g. past the 60 s resend pause)."""

    def __init__(self) -> None:
        self.offset = timedelta(0)

    def __call__(self) -> datetime:
        return datetime.now(timezone.utc) + self.offset


class ContractServer:
    def __init__(self, client: TestClient, svc: Services, settings: Settings, staff_token: str,
                 clock: ShiftedClock) -> None:
        self.client = client
        self.svc = svc
        self.settings = settings
        self.staff_token = staff_token
        self.clock = clock
        self.base_url = str(client.make_url("")).rstrip("/")

    async def post(self, path: str, body: dict[str, Any], **headers: str) -> tuple[int, Any]:
        response = await self.client.post(
            path, json=body, headers={"Authorization": f"Bearer {self.settings.service_token}", **headers}
        )
        return response.status, await response.json()

    async def create(self, body: dict[str, Any]) -> dict[str, Any]:
        status, created = await self.post("/api/v1/cases", body, **{"Idempotency-Key": f"contract-{secrets.token_hex(8)}"})
        assert status == 201, created
        return created

    async def last_code(self, reference: str) -> str:
        await self.svc.drain()  # e-mails go out in the background
        mails = [m for m in read_outbox(str(self.settings.outbox_dir)) if reference in str(m["Subject"])]
        assert mails, f"no e-mail for {reference}"
        return code_in(mails[-1])


@pytest.fixture
async def contract_server(tmp_path: Path, migrated_templates: MigratedTemplates) -> AsyncIterator[ContractServer]:
    settings = Settings(
        app_env="test",
        database_url=migrated_templates.sqlite(tmp_path / "contract.db"),
        service_token="service-" + secrets.token_urlsafe(24),
        field_encryption_keys=(Fernet.generate_key().decode("ascii"),),
        blind_index_key=secrets.token_urlsafe(32),
        outbox_dir=tmp_path / "outbox",
        mail_from="Privacy Team <privacy@example.test>",
    )
    # Close to the real clock: generated date-times are checked against "now" (aware_at must not lie ahead).
    clock = ShiftedClock()
    svc = build_services(settings, mailer=OutboxMailer(settings.outbox_dir, from_address=settings.mail_from), clock=clock)
    try:
        staff = await asyncio.get_running_loop().run_in_executor(None, create_staff, svc, "Pia Officer", "privacy_officer")
        app = create_app(settings, svc)
        async with TestClient(TestServer(app, host="127.0.0.1", port=0)) as client:
            yield ContractServer(client, svc, settings, staff.token, clock)
    finally:
        svc.close()


def _toml_value(value: Any) -> str:
    return json.dumps(value)  # a JSON string, number or list is a valid TOML value


# Operations whose schema-valid requests may still be refused with 400 by a rule the document cannot
# state: a wrong code (invalid_code: the code is a secret), an aware_at in the future (no schema knows
# "now"). Every other 400 to a schema-valid request is a contract failure.
BUSINESS_RULE_400 = {
    "/api/v1/cases": ["2xx", 400, 404, 409, 429],
    "/api/v1/cases/{reference}/verification": ["2xx", 400, 404, 409, 410, 429],
    "/api/v1/status/verify": ["2xx", 400, 404, 409, 410, 429],
}
# Which operations each token is for; the other kind of token gets 403 (tests/backend/test_api_auth.py).
TAGS = {"service": ["ops", "service", "requester"], "staff": ["ops", "staff"]}
# Every warning fails the run (missing test data above all), except two that Schemathesis raises for an
# operation that by design refuses most requests once its first one succeeded: a case is verified once
# (then 409 already_verified) and random codes are wrong (400 invalid_code); a resend waits 60 s (then
# 429); a case is extended once (then 409 already_extended); most status changes are not allowed from
# the current status (409 invalid_transition). Schemathesis 4.30 cannot excuse these per operation, so
# the test checks them itself: only these operations may carry them, and each still had a schema-valid
# request accepted (valid_rates in the report).
FAIL_ON = ["missing_test_data", "missing_auth", "unsupported_regex", "unresolvable_reference",
           "unmatched_filter", "base_url_mismatch", "missing_deserializer", "low_valid_rate"]
EXCUSED = {
    "validation_mismatch": {
        "POST /api/v1/cases/{reference}/verification", "POST /api/v1/status/verify",
        "POST /api/v1/staff/cases/{reference}/extension", "POST /api/v1/staff/cases/{reference}/status",
    },
    "rate_limited": {"POST /api/v1/cases/{reference}/verification/resend"},
}


def _config(caller: str, data: dict[str, dict[str, Any]]) -> str:
    """schemathesis.toml: fail on warnings; one [[operations]] block per path with its fixed values."""
    lines = ["[warnings]", f"fail-on = {_toml_value(FAIL_ON)}", ""]
    for path in sorted(set(data) | set(BUSINESS_RULE_400)):
        lines += ["[[operations]]", f"include-path = {_toml_value(path)}"]
        if path in BUSINESS_RULE_400:
            lines += ["[operations.checks.positive_data_acceptance]",
                      f"expected-statuses = {_toml_value(BUSINESS_RULE_400[path])}"]
        if path in data:
            lines.append("[operations.parameters]")
            lines += [f"{_toml_value(name)} = {_toml_value(value)}" for name, value in data[path].items()]
        lines.append("")
    return "\n".join(lines)


async def _test_data(server: ContractServer) -> dict[str, dict[str, Any]]:
    """Real cases, codes and receipts for the operations that need them, made over HTTP like the action
    server does: {path: {parameter: value}}, where "body.NAME" is a field of the JSON body."""
    to_verify = await server.create(default_case())  # awaiting verification, with its real code
    to_resend = await server.create(default_case(requester={"name": "Bo Berg", "email": "bo@example.com"}))
    anonymous = await server.create(default_case(type="misconduct", anonymous=True, requester=None))
    status_case = await server.create(default_case(  # open at once (Teams vouches); staff change its status
        channel="teams", requester={"name": "Anna Svensson", "email": REQUESTER_EMAIL, "verified_by_channel": True},
    ))
    teams = {"channel": "teams",
             "requester": {"name": "Anna Svensson", "email": REQUESTER_EMAIL, "verified_by_channel": True}}
    extend_case = await server.create(default_case(**teams))  # extension must not meet a case staff closed
    code_case = await server.create(default_case(**teams))  # new status codes must not replace status_case's
    status, sent = await server.post("/api/v1/status/code", {
        "reference": status_case["reference"], "email": REQUESTER_EMAIL, "language": "sv"})
    assert status == 202, sent
    status_code = await server.last_code(status_case["reference"])
    verification_code = await server.last_code(to_verify["reference"])
    # Past the 60 s pause after the first code, so the first resend is sent rather than refused.
    server.clock.offset += timedelta(minutes=2)
    receipt = {"body.reference": anonymous["reference"], "body.receipt": anonymous["receipt"]}
    return {
        "/api/v1/cases/{reference}/verification": {"reference": to_verify["reference"], "body.code": verification_code},
        "/api/v1/cases/{reference}/verification/resend": {"reference": to_resend["reference"]},
        "/api/v1/status/code": {"body.reference": code_case["reference"], "body.email": REQUESTER_EMAIL},
        "/api/v1/status/verify": {"body.reference": status_case["reference"], "body.email": REQUESTER_EMAIL,
                                  "body.code": status_code},
        "/api/v1/status/receipt": receipt,
        "/api/v1/status/receipt/reply": receipt,
        "/api/v1/staff/cases/{reference}": {"reference": status_case["reference"]},
        "/api/v1/staff/cases/{reference}/status": {"reference": status_case["reference"]},
        "/api/v1/staff/cases/{reference}/extension": {"reference": extend_case["reference"]},
        "/api/v1/staff/cases/{reference}/messages": {"reference": status_case["reference"]},
    }


def _with_examples(document: dict[str, Any], data: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """The served document plus the test data as `example`s. Schemathesis applies configured body values
    only while fuzzing; its examples and coverage phases read the document's examples instead."""
    document = copy.deepcopy(document)
    for path, values in data.items():
        for operation in document["paths"][path].values():
            for parameter in operation.get("parameters", []):
                if parameter["name"] in values:
                    parameter["schema"] = {**parameter["schema"], "example": values[parameter["name"]]}
            body = {name[5:]: value for name, value in values.items() if name.startswith("body.")}
            if not body or "requestBody" not in operation:
                continue
            media = operation["requestBody"]["content"]["application/json"]
            schema = media["schema"]
            for name, value in body.items():
                schema["properties"][name] = {**schema["properties"][name], "example": value}
            example = {name: value for name, value in body.items()}
            for name in schema.get("required", []):
                example.setdefault(name, schema["properties"][name].get("example") or _FILLERS[name])
            media["example"] = example
    return document


# Values for required body fields the test data does not fix.
_FILLERS = {"language": "sv", "body": "Tack, jag har fler uppgifter."}


async def _run_schemathesis(server: ContractServer, caller: str, token: str, work: Path) -> tuple[int, str, dict[str, Any]]:
    work.mkdir(parents=True, exist_ok=True)
    data = await _test_data(server)
    response = await server.client.get("/api/v1/openapi.json")
    document = _with_examples(await response.json(), data)
    schema_file = work / "openapi.json"
    schema_file.write_text(json.dumps(document), encoding="utf-8")
    config = work / "schemathesis.toml"
    config.write_text(_config(caller, data), encoding="utf-8")
    report = work / "report.json"
    process = await asyncio.create_subprocess_exec(
        str(SCHEMATHESIS), "--config-file", str(config), "--no-color",
        "run", str(schema_file), "--url", server.base_url,
        "--header", f"Authorization: Bearer {token}",
        *[arg for tag in TAGS[caller] for arg in ("--include-tag", tag)],
        "--checks", "all",
        "--seed", str(SEED), "--max-examples", str(MAX_EXAMPLES),
        "--workers", "1", "--generation-database", "none",
        "--report", "json,har", "--report-json-path", str(report), "--report-har-path", str(work / "requests.har"),
        "--request-timeout", "20",
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT, cwd=str(work),
        env={**os.environ, "PYTHONDONTWRITEBYTECODE": "1"},
    )
    output, _ = await process.communicate()
    result = json.loads(report.read_text(encoding="utf-8")) if report.exists() else {}
    return process.returncode or 0, output.decode("utf-8", "replace"), result


def _problems(report: dict[str, Any]) -> list[str]:
    """What the JSON report says is wrong beyond Schemathesis's own exit code."""
    problems = [f"failure: {failure}" for failure in report.get("failures", [])]
    problems += [f"error: {error}" for error in report.get("errors", [])]
    operations = report.get("operations", {})
    if not operations.get("selected") or operations.get("tested") != operations.get("selected"):
        problems.append(f"not every selected operation was tested: {operations}")
    for warning, labels in report.get("warnings", {}).items():
        unexpected = set(labels) - EXCUSED.get(warning, set())
        if unexpected:
            problems.append(f"warning {warning}: {sorted(unexpected)}")
    for label, phases in report.get("valid_rates", {}).items():
        if not any(outcome["accepted"] for outcome in phases.values()):
            problems.append(f"{label}: no schema-valid request was accepted (its logic was never reached)")
    return problems


@pytest.mark.contract
@pytest.mark.skipif(not SCHEMATHESIS.exists(), reason="run `make contract-venv` first (make test does)")
@pytest.mark.parametrize("caller", ["service", "staff"])
async def test_schemathesis_finds_no_contract_failures(contract_server: ContractServer, caller: str, tmp_path: Path) -> None:
    token = contract_server.settings.service_token if caller == "service" else contract_server.staff_token
    code, output, report = await _run_schemathesis(contract_server, caller, token, tmp_path / f"schemathesis-{caller}")
    sys.stdout.write(output[-6000:])
    assert report, f"Schemathesis wrote no report:\n{output[-6000:]}"
    assert report["seed"] == SEED
    assert not _problems(report), "\n".join(_problems(report)) + "\n" + output[-20000:]
    assert code == 0, output[-20000:]
    # Every operation of this token's tags, each with requests that reached it.
    expected = {"service": 10, "staff": 8}[caller]
    assert report["operations"]["tested"] == expected, report["operations"]
    assert report["test_cases"]["generated"] >= 20 * expected, report["test_cases"]


# --- the three contract failures of issue 13, pinned without Schemathesis (SQLite and PostgreSQL) -------

async def test_null_booleans_and_non_string_details_are_refused(api: Api) -> None:
    for body in (
        default_case(channel="teams", requester={"name": "Anna Svensson", "email": "anna@example.com",
                                                 "verified_by_channel": None}),
        default_case(anonymous=None),
        default_case(details={"description": "x", "people": 3}),
    ):
        status, answer = await api.create(body)
        assert status == 400, (body, answer)
        assert set(answer) == {"error"} and answer["error"]["code"] == "invalid_field", answer
    assert api.count("cases") == 0


async def test_empty_or_loose_query_values_on_the_case_list_are_refused(api: Api) -> None:
    officer = await api.staff_token()
    for query in ("type=", "status=", "language=", "limit=", "overdue=", "overdue=1", "limit=+5",
                  "offset=%E0%A5%A7", "type=access&type=erasure"):
        status, body = await api.get(f"/api/v1/staff/cases?{query}", token=officer)
        assert status == 400, (query, body)
        assert isinstance(body["error"]["code"], str) and isinstance(body["error"]["message"], str), body
    status, body = await api.get("/api/v1/staff/cases?type=access&overdue=false&limit=5", token=officer)
    assert status == 200, body


async def test_staff_detail_of_a_requester_without_a_name_matches_its_document(api: Api) -> None:
    status, created = await api.create(requester={"email": "anna@example.com"})
    assert status == 201, created
    officer = await api.staff_token()
    status, detail = await api.get(f"/api/v1/staff/cases/{created['reference']}", token=officer)
    assert status == 200, detail
    assert detail["requester"] == {"name": None, "email": "anna@example.com", "verified_by_channel": False}
    status, document = await api.get("/api/v1/openapi.json", token=None)
    schemas = document["components"]["schemas"]
    assert schemas["CaseDetail"]["allOf"][1]["properties"]["requester"] == {"$ref": "#/components/schemas/RequesterView"}
    view = schemas["RequesterView"]
    assert view["properties"]["name"]["nullable"] is True and view["properties"]["email"]["nullable"] is True
    assert set(view["required"]) == set(detail["requester"])


def test_the_document_publishes_the_validators_own_patterns_and_limits() -> None:
    from backend import schemas
    from backend.openapi import build_openapi

    document = build_openapi()
    new_case = document["components"]["schemas"]["NewCase"]["properties"]
    assert new_case["conversation_id"]["pattern"] == schemas.CONVERSATION_ID_PATTERN
    assert new_case["details"]["maxProperties"] == schemas.MAX_DETAIL_FIELDS
    header = document["paths"]["/api/v1/cases"]["post"]["parameters"][0]["schema"]
    assert header["pattern"] == schemas.IDEMPOTENCY_KEY_PATTERN
    receipt_body = document["paths"]["/api/v1/status/receipt"]["post"]["requestBody"]["content"]["application/json"]
    assert receipt_body["schema"]["properties"]["receipt"]["pattern"] == schemas.RECEIPT_PATTERN
    assert receipt_body["schema"]["additionalProperties"] is False
    # The Python validators anchor at the very end (\\Z), the published patterns with $ (ECMA-262).
    assert schemas.CONVERSATION_ID_RE.match("abc\n") is None
    assert schemas._CODE_RE.match("123 456") and not schemas._CODE_RE.match("123456\n")
