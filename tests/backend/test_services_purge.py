"""Retention: expiry of unverified cases, idempotency records, anonymisation of old closed cases."""

from __future__ import annotations

from backend.services import audit
from backend.services.purge import purge

from .conftest import Api


async def test_dry_run_counts_and_changes_nothing(api: Api) -> None:
    await api.create()
    api.clock.advance(hours=73)
    entries_before = api.count("audit_entries")
    counts = purge(api.svc, dry_run=True)
    assert counts.expired_cases == 1 and counts.idempotency_records == 1 and counts.dry_run
    assert api.sql("SELECT status FROM cases")[0][0] == "awaiting_verification"
    assert api.count("idempotency_records") == 1
    assert api.count("audit_entries") == entries_before


async def test_purge_expires_unverified_cases_but_not_incident_reports(api: Api) -> None:
    _, access = await api.create()
    _, incident = await api.create(type="incident", aware_at=api.clock.now.isoformat(),
                                   requester={"name": "E", "email": "e@example.com"})
    api.clock.advance(hours=71)
    counts = purge(api.svc)
    assert counts.expired_cases == 0
    assert counts.idempotency_records == 2 and counts.verification_codes == 2  # past 24 h / spent
    api.clock.advance(hours=2)
    counts = purge(api.svc)
    assert counts.expired_cases == 1 and counts.idempotency_records == 0
    statuses = dict(api.sql("SELECT reference, status FROM cases"))
    assert statuses == {access["reference"]: "expired", incident["reference"]: "awaiting_verification"}
    assert api.count("idempotency_records") == 0
    assert purge(api.svc).expired_cases == 0  # idempotent


async def test_closed_cases_are_anonymised_after_retention_with_an_audit_entry(api: Api) -> None:
    verified = await api.verified_case(type="application_withdrawal", details={"position": "Säljare"},
                                       conversation_id="widget-3f9c2a")
    reference = verified["reference"]
    officer = await api.staff_token()
    await api.post(f"/api/v1/staff/cases/{reference}/messages", {"body": "Klart."}, token=officer)
    status, _ = await api.post(f"/api/v1/staff/cases/{reference}/status", {"status": "completed"}, token=officer)
    assert status == 200

    api.clock.advance(days=364)
    assert purge(api.svc).anonymised_cases == 0
    api.clock.advance(days=2)
    counts = purge(api.svc)
    assert counts.anonymised_cases == 1
    row = api.sql("SELECT requester_name_enc, requester_email_enc, requester_email_index, details_enc, "
                  "anonymised_at, status, type, conversation_id_enc FROM cases")[0]
    assert row[:4] == (None, None, None, None) and row[7] is None
    assert row[4] is not None and row[5] == "completed" and row[6] == "application_withdrawal"
    assert api.count("messages") == 0 and api.count("verification_codes") == 0
    entry = api.sql("SELECT actor, case_reference, data FROM audit_entries WHERE action = 'case_anonymised'")
    assert entry == [("system", reference, '{"retention_days":365,"type":"application_withdrawal"}')]
    assert api.svc.db.call(audit.verify_chain, write=False).ok

    status, view = await api.get(f"/api/v1/staff/cases/{reference}", token=officer)
    assert status == 200 and view["requester"] is None and view["details"] == {} and view["messages"] == []
    # The address no longer finds the case.
    await api.post("/api/v1/status/code", {"reference": reference, "email": "anna@example.com", "language": "sv"})
    assert not [m for m in await api.mails() if "status" in str(m["Subject"]).lower()]


async def test_expired_cases_are_anonymised_after_their_own_retention(api: Api) -> None:
    await api.create()
    api.clock.advance(hours=73)
    purge(api.svc)
    api.clock.advance(days=api.settings.expired_case_retention_days + 1)
    assert purge(api.svc).anonymised_cases == 1
    assert api.sql("SELECT requester_email_enc FROM cases")[0][0] is None
