"""Authentication and authorisation: service token, staff roles, requester proof."""

from __future__ import annotations

from .conftest import Api, code_in


ALL_PROTECTED = [
    ("POST", "/api/v1/cases"),
    ("POST", "/api/v1/cases/PRV-2026-0000-0000/verification"),
    ("POST", "/api/v1/cases/PRV-2026-0000-0000/verification/resend"),
    ("POST", "/api/v1/status/code"),
    ("POST", "/api/v1/status/verify"),
    ("POST", "/api/v1/status/receipt"),
    ("POST", "/api/v1/status/receipt/reply"),
    ("POST", "/api/v1/conversations/erasure"),
    ("GET", "/api/v1/staff/cases"),
    ("GET", "/api/v1/staff/cases/PRV-2026-0000-0000"),
    ("POST", "/api/v1/staff/cases/PRV-2026-0000-0000/status"),
    ("POST", "/api/v1/staff/cases/PRV-2026-0000-0000/extension"),
    ("POST", "/api/v1/staff/cases/PRV-2026-0000-0000/messages"),
    ("GET", "/api/v1/staff/audit/verify"),
]


async def test_missing_token_is_401_everywhere(api: Api) -> None:
    for method, path in ALL_PROTECTED:
        status, body = await api.call(method, path, json={}, token=None)
        assert (status, body["error"]["code"]) == (401, "unauthorized"), path
        response = await api.client.request(
            method, path, json={}, headers={"Authorization": f"Basic {api.service_token}"}
        )
        assert response.status == 401, path


async def test_wrong_token_is_401_everywhere(api: Api) -> None:
    for method, path in ALL_PROTECTED:
        status, body = await api.call(method, path, json={}, token=api.service_token + "x")
        assert (status, body["error"]["code"]) == (401, "unauthorized"), path
    openapi = (await api.get("/api/v1/openapi.json", token=None))[1]
    documented = {(path, method.upper()) for path, ops in openapi["paths"].items() for method in ops}
    protected = {(p.replace("PRV-2026-0000-0000", "{reference}"), m) for m, p in ALL_PROTECTED}
    # Every documented endpoint except the two public ones is covered above.
    assert documented - protected == {("/healthz", "GET"), ("/api/v1/openapi.json", "GET")}


async def test_wrong_kind_of_token_is_403(api: Api) -> None:
    staff = await api.staff_token()
    status, body = await api.post("/api/v1/cases", {}, token=staff, key="staff-token-key-1")
    assert status == 403 and body["error"]["code"] == "forbidden"
    status, body = await api.get("/api/v1/staff/cases")  # service token
    assert status == 403 and body["error"]["code"] == "forbidden"
    assert api.count("cases") == 0


async def test_roles_scope_cases_and_hide_others_as_404(api: Api) -> None:
    _, incident = await api.create(type="incident", anonymous=True, requester=None,
                                   aware_at=api.clock.now.isoformat())
    _, withdrawal = await api.create(type="application_withdrawal", details={"position": "Utvecklare"})
    _, access = await api.create()
    officer = await api.staff_token("privacy_officer")
    recruiter = await api.staff_token("recruiter", "Rita Recruiter")
    security = await api.staff_token("security", "Sam Security")

    async def visible(token: str) -> set[str]:
        status, body = await api.get("/api/v1/staff/cases", token=token)
        assert status == 200
        return {case["reference"] for case in body["cases"]}

    assert await visible(officer) == {incident["reference"], withdrawal["reference"], access["reference"]}
    assert await visible(recruiter) == {withdrawal["reference"]}
    assert await visible(security) == {incident["reference"]}

    # A recruiter cannot see an incident, and cannot tell it exists: the same 404 as for nothing.
    status, body = await api.get(f"/api/v1/staff/cases/{incident['reference']}", token=recruiter)
    assert status == 404 and body["error"]["code"] == "case_not_found"
    status, body = await api.post(f"/api/v1/staff/cases/{incident['reference']}/status",
                                  {"status": "in_progress"}, token=recruiter)
    assert status == 404
    status, _ = await api.get(f"/api/v1/staff/cases/{withdrawal['reference']}", token=recruiter)
    assert status == 200
    status, _ = await api.get(f"/api/v1/staff/cases/{access['reference']}", token=security)
    assert status == 404
    status, _ = await api.get(f"/api/v1/staff/cases/{incident['reference']}", token=security)
    assert status == 200
    status, body = await api.get("/api/v1/staff/audit/verify", token=recruiter)
    assert status == 403


async def test_summaries_carry_no_personal_data(api: Api) -> None:
    await api.create(requester={"name": "Anna Svensson", "email": "anna@example.com"},
                     details={"description": "hemligt innehåll"})
    officer = await api.staff_token()
    status, body = await api.get("/api/v1/staff/cases", token=officer)
    assert status == 200 and len(body["cases"]) == 1
    text = str(body)
    for secret in ("Anna", "anna@example.com", "hemligt"):
        assert secret not in text


async def test_status_lookup_with_another_address_gives_nothing(api: Api) -> None:
    verified = await api.verified_case()
    reference = verified["reference"]
    mails_before = len(await api.mails())

    # Someone else asks with their own address: the same 202, but no code goes anywhere.
    status, body = await api.post("/api/v1/status/code",
                                  {"reference": reference, "email": "mallory@example.com", "language": "en"})
    assert (status, body) == (202, {"sent": True})
    assert len(await api.mails()) == mails_before
    # Unknown and malformed references answer the same.
    for ref in ("PRV-2026-0000-0000", "nonsense"):
        status, _ = await api.post("/api/v1/status/code",
                                   {"reference": ref, "email": "mallory@example.com", "language": "en"})
        assert status == 202
    assert len(await api.mails()) == mails_before

    # The owner asks: a code goes to the owner's address, in the language asked for.
    status, _ = await api.post("/api/v1/status/code",
                               {"reference": reference, "email": "ANNA@example.com", "language": "en"})
    assert status == 202
    mails = await api.mails()
    assert len(mails) == mails_before + 1 and mails[-1]["To"] == "anna@example.com"
    assert str(mails[-1]["Subject"]).startswith("Code to see the status of case")
    code = code_in(mails[-1])

    # The other address with the owner's code learns nothing either.
    status, body = await api.post("/api/v1/status/verify",
                                  {"reference": reference, "email": "mallory@example.com", "code": code})
    assert status == 400 and body["error"]["code"] == "invalid_code"
    assert "status" not in body

    # The owner with the code sees the status.
    status, body = await api.post("/api/v1/status/verify",
                                  {"reference": reference, "email": "anna@example.com", "code": code})
    assert status == 200, body
    assert body["reference"] == reference and body["status"] == "open" and body["type"] == "access"
    assert body["due_at"] == verified["due_at"] and body["messages"] == []
    # A status code is single-use.
    status, body = await api.post("/api/v1/status/verify",
                                  {"reference": reference, "email": "anna@example.com", "code": code})
    assert status == 400


async def test_status_code_guessing_with_a_wrong_address_is_capped(api: Api) -> None:
    verified = await api.verified_case()
    for attempt in range(5):
        status, body = await api.post("/api/v1/status/verify", {
            "reference": verified["reference"], "email": "mallory@example.com", "code": f"{attempt:06d}"})
        assert status == 400
    status, body = await api.post("/api/v1/status/verify", {
        "reference": verified["reference"], "email": "mallory@example.com", "code": "999999"})
    assert status == 429 and body["error"]["code"] == "too_many_attempts"


async def test_status_code_expires(api: Api) -> None:
    verified = await api.verified_case()
    await api.post("/api/v1/status/code",
                   {"reference": verified["reference"], "email": "anna@example.com", "language": "sv"})
    code = code_in((await api.mails())[-1])
    api.clock.advance(minutes=11)
    status, body = await api.post("/api/v1/status/verify",
                                  {"reference": verified["reference"], "email": "anna@example.com", "code": code})
    assert status == 410 and body["error"]["code"] == "code_expired"


async def test_receipt_gives_status_and_a_wrong_receipt_is_refused(api: Api) -> None:
    _, created = await api.create(type="misconduct", anonymous=True, requester=None,
                                  details={"description": "Något är fel"})
    reference, receipt = created["reference"], created["receipt"]
    wrong = f"{(int(receipt) + 1) % 10**16:016d}"

    status, body = await api.post("/api/v1/status/receipt", {"reference": reference, "receipt": wrong})
    assert status == 404 and body["error"]["code"] == "case_not_found"
    status, body = await api.post("/api/v1/status/receipt/reply",
                                  {"reference": reference, "receipt": wrong, "body": "hej"})
    assert status == 404
    status, body = await api.post("/api/v1/status/receipt",
                                  {"reference": "WBL-2026-0000-0000", "receipt": receipt})
    assert status == 404
    status, body = await api.post("/api/v1/status/receipt", {"reference": reference, "receipt": "12"})
    assert status == 400 and body["error"]["code"] == "invalid_field"

    officer = await api.staff_token("security", "Sam")
    status, _ = await api.post(f"/api/v1/staff/cases/{reference}/messages", {"body": "Tack, vi utreder."},
                               token=officer)
    assert status == 201
    spaced = " ".join(receipt[i:i + 4] for i in range(0, 16, 4))
    status, body = await api.post("/api/v1/status/receipt", {"reference": reference.lower(), "receipt": spaced})
    assert status == 200, body
    assert body["reference"] == reference and body["status"] == "open"
    assert [(m["from"], m["body"]) for m in body["messages"]] == [("staff", "Tack, vi utreder.")]

    status, body = await api.post("/api/v1/status/receipt/reply",
                                  {"reference": reference, "receipt": receipt, "body": "Det hände i lager 3."})
    assert status == 201, body
    status, view = await api.get(f"/api/v1/staff/cases/{reference}", token=officer)
    assert [m["from"] for m in view["messages"]] == ["staff", "requester"]
    assert view["requester"] is None


async def test_status_lookup_resend_limit_is_silent(api: Api) -> None:
    verified = await api.verified_case()
    before = len(await api.mails())
    ask = {"reference": verified["reference"], "email": "anna@example.com", "language": "sv"}
    assert (await api.post("/api/v1/status/code", ask))[0] == 202
    assert (await api.post("/api/v1/status/code", ask))[0] == 202  # within 60 s: still 202, no e-mail
    assert len(await api.mails()) == before + 1
    api.clock.advance(seconds=61)
    assert (await api.post("/api/v1/status/code", ask))[0] == 202
    assert len(await api.mails()) == before + 2


async def test_too_many_wrong_receipts_are_refused_before_any_hash_is_checked(api: Api) -> None:
    """Each receipt check costs an Argon2 hash: after 10 wrong receipts in an hour the reference is refused
    with 429 (the right receipt too), and an hour later it works again."""
    _, created = await api.create(type="misconduct", anonymous=True, requester=None,
                                  details={"description": "Något är fel"})
    reference, receipt = created["reference"], created["receipt"]
    wrong = f"{(int(receipt) + 1) % 10**16:016d}"
    for _ in range(10):
        status, body = await api.post("/api/v1/status/receipt", {"reference": reference.lower(), "receipt": wrong})
        assert status == 404 and body["error"]["code"] == "case_not_found"
    status, body = await api.post("/api/v1/status/receipt", {"reference": reference, "receipt": receipt})
    assert status == 429 and body["error"]["code"] == "too_many_attempts"
    status, body = await api.post("/api/v1/status/receipt/reply",
                                  {"reference": reference, "receipt": receipt, "body": "hej"})
    assert status == 429
    # Another case is not affected.
    _, other = await api.create(type="misconduct", anonymous=True, requester=None,
                                details={"description": "Något annat"})
    status, _ = await api.post("/api/v1/status/receipt", {"reference": other["reference"], "receipt": other["receipt"]})
    assert status == 200
    api.clock.advance(minutes=61)
    status, body = await api.post("/api/v1/status/receipt", {"reference": reference, "receipt": receipt})
    assert status == 200, body
