"""Staff work over HTTP: lifecycle, extension, messages, lists, audit trail verification."""

from __future__ import annotations

from datetime import datetime, timedelta

from backend.deadlines import extended_due, misconduct_feedback_due, rights_request_due

from .conftest import Api, body_of, code_in


async def _status(api: Api, token: str, reference: str, status: str, reason: str | None = None) -> tuple[int, dict]:
    body = {"status": status} if reason is None else {"status": status, "reason": reason}
    return await api.post(f"/api/v1/staff/cases/{reference}/status", body, token=token)


async def test_lifecycle_open_to_completed(api: Api) -> None:
    verified = await api.verified_case()
    reference = verified["reference"]
    officer = await api.staff_token()
    for step in ("in_progress", "waiting_for_requester", "in_progress", "completed"):
        api.clock.advance(hours=1)
        status, body = await _status(api, officer, reference, step)
        assert status == 200, body
        assert body["status"] == step
    assert body["closed_at"] == api.clock.now.isoformat()
    assert body["overdue"] is False
    status, body = await _status(api, officer, reference, "open")
    assert status == 409 and body["error"]["code"] == "invalid_transition"
    status, body = await _status(api, officer, reference, "in_progress")
    assert status == 409
    actions = [row[0] for row in api.sql("SELECT action FROM audit_entries ORDER BY seq")]
    assert actions == ["case_created", "case_verified", "staff_created"] + ["status_changed"] * 4


async def test_rejection_needs_a_reason(api: Api) -> None:
    verified = await api.verified_case()
    officer = await api.staff_token()
    status, body = await _status(api, officer, verified["reference"], "rejected")
    assert status == 400 and body["error"]["code"] == "reason_required"
    status, body = await _status(api, officer, verified["reference"], "rejected", "   ")
    assert status == 400 and body["error"]["code"] == "reason_required"
    status, body = await _status(api, officer, verified["reference"], "rejected", "Begäran är uppenbart ogrundad.")
    assert status == 200 and body["status"] == "rejected"
    status, view = await api.get(f"/api/v1/staff/cases/{verified['reference']}", token=officer)
    assert view["status_reason"] == "Begäran är uppenbart ogrundad."
    stored = api.sql("SELECT status_reason_enc FROM cases")[0][0]
    assert "ogrundad" not in stored
    audit = " ".join(row[0] for row in api.sql("SELECT data FROM audit_entries"))
    assert "ogrundad" not in audit


async def test_status_input_is_validated(api: Api) -> None:
    verified = await api.verified_case()
    officer = await api.staff_token()
    for bad in ({"status": "done"}, {"status": 3}, {}, {"status": "completed", "extra": 1},
                {"status": "rejected", "reason": ["x"]}, {"status": "rejected", "reason": "x" * 2001}):
        status, body = await api.post(f"/api/v1/staff/cases/{verified['reference']}/status", bad, token=officer)
        assert status == 400, bad


async def test_staff_can_open_an_unverified_case_after_checking_identity(api: Api) -> None:
    _, created = await api.create(type="erasure")
    officer = await api.staff_token()
    status, body = await _status(api, officer, created["reference"], "open")
    assert status == 200
    assert body["verified_at"] == api.clock.now.isoformat()
    assert body["due_at"] == rights_request_due(api.clock.now, "SE").isoformat()


async def test_extension_once_with_reason_and_email_in_requester_language(api: Api) -> None:
    verified = await api.verified_case(language="nb", country="NO")
    reference = verified["reference"]
    original_due = datetime.fromisoformat(verified["due_at"])
    officer = await api.staff_token()
    url = f"/api/v1/staff/cases/{reference}/extension"

    status, body = await api.post(url, {"months": 2}, token=officer)
    assert status == 400 and body["error"]["code"] == "reason_required"
    for months in (0, 3, "1", True, 1.5):
        status, body = await api.post(url, {"months": months, "reason": "x"}, token=officer)
        assert status == 400 and body["error"]["code"] == "invalid_field", months

    api.clock.advance(days=10)
    status, body = await api.post(url, {"months": 2, "reason": "Omfattende forespørsel"}, token=officer)
    assert status == 200, body
    assert body["due_at"] == extended_due(original_due, 2, "NO").isoformat()
    assert body["original_due_at"] == original_due.isoformat()
    mails = await api.mails_for(reference)
    notice = mails[-1]
    assert notice["Subject"] == f"Sak {reference}: vi trenger mer tid"
    assert "Omfattende forespørsel" in body_of(notice)

    status, body = await api.post(url, {"months": 1, "reason": "igjen"}, token=officer)
    assert status == 409 and body["error"]["code"] == "already_extended"
    status, view = await api.get(f"/api/v1/staff/cases/{reference}", token=officer)
    assert view["extended"] is True and view["extension"]["months"] == 2
    assert view["extension"]["reason"] == "Omfattende forespørsel"
    data = [row[0] for row in api.sql("SELECT data FROM audit_entries WHERE action = 'case_extended'")]
    assert data == ['{"months":2}']


async def test_extension_rules(api: Api) -> None:
    officer = await api.staff_token()
    _, incident = await api.create(type="incident", anonymous=True, requester=None,
                                   aware_at=api.clock.now.isoformat())
    status, body = await api.post(f"/api/v1/staff/cases/{incident['reference']}/extension",
                                  {"months": 1, "reason": "r"}, token=officer)
    assert status == 409 and body["error"]["code"] == "extension_not_allowed"

    _, unverified = await api.create(type="portability")
    status, body = await api.post(f"/api/v1/staff/cases/{unverified['reference']}/extension",
                                  {"months": 1, "reason": "r"}, token=officer)
    assert status == 409 and body["error"]["code"] == "extension_not_allowed"

    api.clock.advance(minutes=2)
    verified = await api.verified_case(requester={"name": "B", "email": "b@example.com"})
    api.clock.advance(days=31)
    status, body = await api.post(f"/api/v1/staff/cases/{verified['reference']}/extension",
                                  {"months": 1, "reason": "r"}, token=officer)
    assert status == 409 and body["error"]["code"] == "extension_too_late"


async def test_staff_message_reaches_requester_without_text_in_email(api: Api) -> None:
    verified = await api.verified_case()
    reference = verified["reference"]
    officer = await api.staff_token()
    status, body = await api.post(f"/api/v1/staff/cases/{reference}/messages",
                                  {"body": "Vi behöver ditt kundnummer."}, token=officer)
    assert status == 201, body
    notice = (await api.mails_for(reference))[-1]
    assert notice["Subject"] == f"Nytt meddelande i ärende {reference}"
    assert "kundnummer" not in body_of(notice)
    status, body = await api.post(f"/api/v1/staff/cases/{reference}/messages", {"body": ""}, token=officer)
    assert status == 400 and body["error"]["code"] == "missing_field"
    status, body = await api.post(f"/api/v1/staff/cases/{reference}/messages", {"body": "x" * 5001}, token=officer)
    assert status == 400 and body["error"]["code"] == "field_too_long"

    await api.post("/api/v1/status/code", {"reference": reference, "email": "anna@example.com", "language": "sv"})
    code = code_in((await api.mails())[-1])
    status, body = await api.post("/api/v1/status/verify",
                                  {"reference": reference, "email": "anna@example.com", "code": code})
    assert status == 200
    assert [(m["from"], m["body"]) for m in body["messages"]] == [("staff", "Vi behöver ditt kundnummer.")]


async def test_list_filters_overdue_and_due_soon(api: Api) -> None:
    officer = await api.staff_token()
    first = await api.verified_case()
    api.clock.advance(days=20)
    second = await api.verified_case(type="erasure", requester={"name": "C", "email": "c@example.com"})
    _, incident = await api.create(type="incident", anonymous=True, requester=None, language="en",
                                   aware_at=(api.clock.now - timedelta(hours=70)).isoformat())

    async def refs(query: str) -> list[str]:
        status, body = await api.get(f"/api/v1/staff/cases{query}", token=officer)
        assert status == 200, body
        return sorted(case["reference"] for case in body["cases"])

    assert await refs("?overdue=true") == []
    assert await refs("?due_within_days=1") == [incident["reference"]]
    assert await refs("?due_within_days=11") == sorted([first["reference"], incident["reference"]])
    assert await refs("?type=erasure") == [second["reference"]]
    assert await refs("?status=open&language=sv") == sorted([first["reference"], second["reference"]])
    api.clock.advance(days=11)
    assert await refs("?overdue=true") == sorted([first["reference"], incident["reference"]])
    status, body = await api.get("/api/v1/staff/cases?overdue=true", token=officer)
    assert all(case["overdue"] for case in body["cases"])
    for bad in ("?type=teleport", "?status=x", "?language=de", "?overdue=maybe", "?due_within_days=-1",
                "?limit=0", "?limit=x", "?unknown=1"):
        status, body = await api.get(f"/api/v1/staff/cases{bad}", token=officer)
        assert status == 400, bad
    status, body = await api.get("/api/v1/staff/cases?limit=1", token=officer)
    assert len(body["cases"]) == 1


async def test_misconduct_due_moves_to_feedback_after_acknowledgement(api: Api) -> None:
    _, created = await api.create(type="misconduct", anonymous=True, requester=None)
    security = await api.staff_token("security", "Sam")
    status, body = await _status(api, security, created["reference"], "in_progress")
    assert status == 200
    assert body["due_at"] == misconduct_feedback_due(datetime.fromisoformat(created["created_at"]), "SE").isoformat()


async def test_staff_view_is_audited_and_decrypts(api: Api) -> None:
    _, created = await api.create()
    officer = await api.staff_token()
    status, view = await api.get(f"/api/v1/staff/cases/{created['reference']}", token=officer)
    assert status == 200
    assert view["requester"] == {"name": "Anna Svensson", "email": "anna@example.com", "verified_by_channel": False}
    assert view["details"] == {"description": "Jag vill ha ett registerutdrag."}
    rows = api.sql("SELECT action, actor, case_reference FROM audit_entries WHERE action = 'case_viewed'")
    assert len(rows) == 1 and rows[0][1].startswith("staff:") and rows[0][2] == created["reference"]


async def test_audit_verify_endpoint_detects_tampering(api: Api) -> None:
    await api.verified_case()
    officer = await api.staff_token()
    status, body = await api.get("/api/v1/staff/audit/verify", token=officer)
    assert status == 200 and body == {"ok": True, "entries": 3}  # created, verified, staff_created

    # The database refuses changes to the trail ...
    _drop_append_only_triggers(api)
    # ... and someone who removed that guard still cannot change it unnoticed.
    api.sql("UPDATE audit_entries SET action = 'case_withdrawn' WHERE seq = 2")
    status, body = await api.get("/api/v1/staff/audit/verify", token=officer)
    assert status == 200 and body["ok"] is False and body["first_bad_entry"] == 2


def _drop_append_only_triggers(api: Api) -> None:
    if api.svc.db.dialect == "postgresql":
        api.sql("ALTER TABLE audit_entries DISABLE TRIGGER USER")
    else:
        api.sql("DROP TRIGGER audit_entries_no_update")
        api.sql("DROP TRIGGER audit_entries_no_delete")
