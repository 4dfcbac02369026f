"""Identity verification by e-mail code, with e-mail through a real SMTP server (aiosmtpd) on loopback."""

from __future__ import annotations

from datetime import datetime, timedelta

from backend.deadlines import rights_request_due
from backend.mailer import OutboxMailer

from .conftest import Api, SmtpServer, body_of, code_in


async def _smtp_code(api: Api, smtp: SmtpServer, reference: str) -> str:
    await api.svc.drain()
    mails = [m for m in smtp.messages() if reference in str(m["Subject"]) and "    " in body_of(m)]
    assert mails, "no code e-mail arrived at the SMTP server"
    return code_in(mails[-1])


async def _verify(api: Api, reference: str, code: str) -> tuple[int, dict]:
    return await api.post(f"/api/v1/cases/{reference}/verification", {"code": code})


def _wrong(code: str) -> str:
    return f"{(int(code) + 1) % 1_000_000:06d}"


async def test_correct_code_opens_case_and_starts_the_clock(smtp_api: Api, smtp_server: SmtpServer) -> None:
    api = smtp_api
    status, created = await api.create(language="nb", country="NO")
    assert status == 201
    reference = created["reference"]
    await api.svc.drain()
    [code_mail] = smtp_server.messages()
    assert code_mail["To"] == "anna@example.com"
    assert code_mail["Subject"] == f"Bekreftelseskoden din for sak {reference}"  # Norwegian
    code = code_in(code_mail)
    assert code not in str(code_mail["Subject"])

    api.clock.advance(minutes=3)
    status, body = await _verify(api, reference, code)
    assert status == 200, body
    assert body["status"] == "open"
    assert body["verified_at"] == api.clock.now.isoformat()
    assert body["due_at"] == rights_request_due(api.clock.now, "NO").isoformat()
    await api.svc.drain()
    assert smtp_server.messages()[-1]["Subject"] == f"Vi har mottatt saken din {reference}"

    status, body = await _verify(api, reference, code)
    assert status == 409 and body["error"]["code"] == "already_verified"


async def test_verified_misconduct_report_answers_with_its_clocks(api: Api) -> None:
    """The chat tells a named reporter by when we acknowledge and give feedback: the answer carries them."""
    status, created = await api.create(type="misconduct", language="nb", country="NO",
                                       details={"description": "Leder deler kundedata uten avtale"})
    assert status == 201, created
    code = await api.last_code(created["reference"])
    status, body = await _verify(api, created["reference"], code)
    assert status == 200, body
    assert set(body["clocks"]) >= {"acknowledge_due_at", "feedback_due_at"}
    assert body["clocks"]["acknowledge_due_at"] > body["verified_at"]


async def test_wrong_code_is_refused_with_attempts_left(smtp_api: Api, smtp_server: SmtpServer) -> None:
    _, created = await smtp_api.create()
    code = await _smtp_code(smtp_api, smtp_server, created["reference"])
    status, body = await _verify(smtp_api, created["reference"], _wrong(code))
    assert status == 400
    assert body["error"]["code"] == "invalid_code" and body["error"]["attempts_left"] == 4
    assert smtp_api.sql("SELECT status FROM cases")[0][0] == "awaiting_verification"


async def test_expired_code_is_refused(smtp_api: Api, smtp_server: SmtpServer) -> None:
    _, created = await smtp_api.create()
    code = await _smtp_code(smtp_api, smtp_server, created["reference"])
    smtp_api.clock.advance(minutes=10, seconds=1)
    status, body = await _verify(smtp_api, created["reference"], code)
    assert status == 410 and body["error"]["code"] == "code_expired"
    assert smtp_api.sql("SELECT status FROM cases")[0][0] == "awaiting_verification"


async def test_code_still_valid_just_before_ten_minutes(api: Api) -> None:
    _, created = await api.create()
    code = await api.last_code(created["reference"])
    api.clock.advance(minutes=9, seconds=59)
    status, _ = await _verify(api, created["reference"], code)
    assert status == 200


async def test_five_wrong_tries_lock_the_code(smtp_api: Api, smtp_server: SmtpServer) -> None:
    _, created = await smtp_api.create()
    reference = created["reference"]
    code = await _smtp_code(smtp_api, smtp_server, reference)
    lefts = []
    for _ in range(5):
        status, body = await _verify(smtp_api, reference, _wrong(code))
        assert status == 400
        lefts.append(body["error"]["attempts_left"])
    assert lefts == [4, 3, 2, 1, 0]
    status, body = await _verify(smtp_api, reference, code)  # even the right code no longer works
    assert status == 429 and body["error"]["code"] == "too_many_attempts"
    assert smtp_api.sql("SELECT status FROM cases")[0][0] == "awaiting_verification"


async def test_address_cap_survives_a_new_code(smtp_api: Api, smtp_server: SmtpServer) -> None:
    api = smtp_api
    _, created = await api.create()
    reference = created["reference"]
    code1 = await _smtp_code(api, smtp_server, reference)
    for _ in range(5):
        assert (await _verify(api, reference, _wrong(code1)))[0] == 400
    api.clock.advance(seconds=61)
    status, _ = await api.post(f"/api/v1/cases/{reference}/verification/resend")
    assert status == 200
    code2 = await _smtp_code(api, smtp_server, reference)
    for _ in range(3):
        assert (await _verify(api, reference, _wrong(code2)))[0] == 400
    api.clock.advance(seconds=61)
    assert (await api.post(f"/api/v1/cases/{reference}/verification/resend"))[0] == 200
    code3 = await _smtp_code(api, smtp_server, reference)
    status, body = await _verify(api, reference, _wrong(code3))
    assert status == 400 and body["error"]["attempts_left"] == 1  # 9 of 10 used for this address
    status, body = await _verify(api, reference, _wrong(code3))
    assert status == 400 and body["error"]["attempts_left"] == 0
    # code3 has had only 2 wrong tries, but the address has had 10 in the hour.
    status, body = await _verify(api, reference, code3)
    assert status == 429 and body["error"]["code"] == "too_many_attempts"
    assert body["error"]["retry_after"] > 0
    assert api.sql("SELECT status FROM cases")[0][0] == "awaiting_verification"


async def test_address_cap_spans_cases_with_the_same_address(api: Api) -> None:
    _, first = await api.create()
    _, second = await api.create(type="erasure")
    code1 = await api.last_code(first["reference"])
    code2 = await api.last_code(second["reference"])
    for _ in range(5):
        assert (await _verify(api, first["reference"], _wrong(code1)))[0] == 400
    for _ in range(4):
        assert (await _verify(api, second["reference"], _wrong(code2)))[0] == 400
    status, body = await _verify(api, second["reference"], _wrong(code2))
    assert status == 400 and body["error"]["attempts_left"] == 0
    status, body = await _verify(api, second["reference"], code2)
    assert status == 429 and body["error"]["code"] == "too_many_attempts"


async def test_resend_limits(api: Api) -> None:
    _, created = await api.create()
    reference = created["reference"]
    status, body = await api.post(f"/api/v1/cases/{reference}/verification/resend")
    assert status == 429 and body["error"]["code"] == "resend_limited"
    assert datetime.fromisoformat(body["error"]["resend_after"]) == api.clock.now + timedelta(seconds=60)
    api.clock.advance(seconds=60)
    status, body = await api.post(f"/api/v1/cases/{reference}/verification/resend")
    assert status == 200, body
    assert datetime.fromisoformat(body["expires_at"]) == api.clock.now + timedelta(minutes=10)
    api.clock.advance(seconds=60)
    assert (await api.post(f"/api/v1/cases/{reference}/verification/resend"))[0] == 200
    api.clock.advance(seconds=60)
    status, body = await api.post(f"/api/v1/cases/{reference}/verification/resend")
    assert status == 429 and body["error"]["code"] == "resend_limited"  # 3 codes per address per hour
    mails = await api.mails_for(reference)
    assert len(mails) == 3
    first, newest = code_in(mails[0]), code_in(mails[-1])
    if first != newest:  # (one in a million they coincide)
        status, body = await _verify(api, reference, first)
        assert status == 400 and body["error"]["code"] == "invalid_code"  # superseded codes stop working
    assert (await _verify(api, reference, newest))[0] == 200


async def test_hourly_code_cap_counts_codes_for_other_cases_of_the_address(api: Api) -> None:
    for _ in range(3):
        status, body = await api.create()
        assert body["verification"]["code_sent"] is True
    status, fourth = await api.create()
    assert status == 201
    assert fourth["verification"]["code_sent"] is False and fourth["verification"]["expires_at"] is None
    assert datetime.fromisoformat(fourth["verification"]["resend_after"]) == api.clock.now + timedelta(hours=1)
    assert len(await api.mails()) == 3


async def test_failed_email_leaves_the_case_and_resend_works(api: Api) -> None:
    from backend.mailer import SmtpMailer

    from .conftest import free_port

    outbox = api.svc.mailer
    # Nothing listens on this port: every attempt fails (quickly, no back-off wait).
    api.svc.mailer = SmtpMailer("127.0.0.1", free_port(), attempts=1, timeout=2, from_address="p@example.test")
    status, created = await api.create()
    assert status == 201
    await api.svc.drain()
    assert api.sql("SELECT delivery_failed FROM verification_codes")[0][0] in (True, 1)
    assert api.count("cases") == 1
    api.svc.mailer = outbox
    assert isinstance(outbox, OutboxMailer)
    status, body = await api.post(f"/api/v1/cases/{created['reference']}/verification/resend")
    assert status == 200, body  # not held back by the 60 s rule: the first code never went out
    code = await api.last_code(created["reference"])
    assert (await _verify(api, created["reference"], code))[0] == 200


async def test_verification_errors_for_unknown_and_malformed_references(api: Api) -> None:
    status, body = await _verify(api, "PRV-2026-0000-0000", "123456")
    assert status == 404 and body["error"]["code"] == "case_not_found"
    status, body = await _verify(api, "not-a-reference", "123456")
    assert status == 404 and body["error"]["code"] == "case_not_found"
    _, created = await api.create()
    for bad in ("12345", "abcdef", 123456, "1234567"):
        status, body = await _verify(api, created["reference"], bad)  # type: ignore[arg-type]
        assert status == 400 and body["error"]["code"] == "invalid_field"
    assert api.count("verification_failures") == 0  # malformed input is not a guess


async def test_unverified_case_expires_after_ttl(api: Api) -> None:
    from backend.services.purge import purge

    _, created = await api.create()
    code = await api.last_code(created["reference"])
    api.clock.advance(hours=72, seconds=1)
    status, body = await _verify(api, created["reference"], code)
    assert status == 410 and body["error"]["code"] == "case_expired"
    counts = purge(api.svc)
    assert counts.expired_cases == 1
    assert api.sql("SELECT status FROM cases")[0][0] == "expired"
    status, body = await api.post(f"/api/v1/cases/{created['reference']}/verification/resend")
    assert status == 410 and body["error"]["code"] == "case_expired"
