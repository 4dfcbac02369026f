"""Mailer against a real aiosmtpd server on loopback, the outbox, and the e-mail templates."""

from __future__ import annotations

import asyncio
import logging
import re
import socket
import stat
import time
from collections.abc import Iterator
from datetime import datetime, timezone
from email import message_from_bytes, policy
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult

from backend.email_templates import (
    CASE_TYPE_NAMES,
    format_date,
    format_datetime,
    render,
    supervisory_authority,
)
from backend.mailer import (
    MailDeliveryError,
    Mailer,
    OutboxMailer,
    OutgoingEmail,
    SmtpMailer,
    mailer_from_settings,
    read_outbox,
)
from basics.languages import normalise_language

RECIPIENT = "åsa.ødegård@example.com"
ASCII_RECIPIENT = "kari@example.com"
SUBJECT = "Bekreftelse: æ ø å – Ärende"
BODY = "Hei Kari!\n\nKoden din er 012345. Blåbærsyltetøy, smörgås, æøå ÆØÅ äö.\n"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class RecordingHandler:
    """Accepts mail; optionally answers DATA with scripted replies first (e.g. one 451)."""

    def __init__(self, scripted_replies: list[str] | None = None) -> None:
        self.scripted = list(scripted_replies or [])
        self.data_calls = 0
        self.delivered: list[tuple[str, list[str], bytes]] = []

    async def handle_DATA(self, server, session, envelope) -> str:  # noqa: ANN001
        self.data_calls += 1
        if self.scripted:
            return self.scripted.pop(0)
        self.delivered.append((envelope.mail_from, list(envelope.rcpt_tos), envelope.original_content
                               or envelope.content))
        return "250 2.0.0 Message accepted"


def start_server(handler: RecordingHandler, **kwargs: object) -> Controller:
    controller = Controller(handler, hostname="127.0.0.1", port=free_port(), ready_timeout=5, **kwargs)
    controller.start()
    return controller


@pytest.fixture
def smtp_server() -> Iterator[tuple[Controller, RecordingHandler]]:
    handler = RecordingHandler()
    controller = start_server(handler)
    yield controller, handler
    controller.stop()


def make_email(to: str = ASCII_RECIPIENT) -> OutgoingEmail:
    return OutgoingEmail(to=to, subject=SUBJECT, body=BODY, language="nb")


def fast_mailer(port: int, **kwargs: object) -> SmtpMailer:
    options: dict[str, object] = {"timeout": 2.0, "attempts": 3, "backoff_seconds": 0.05,
                                  "from_address": "personvern@example.no"}
    options.update(kwargs)
    return SmtpMailer("127.0.0.1", port, **options)  # type: ignore[arg-type]


# --- SMTP ----------------------------------------------------------------------------------------

async def test_smtp_delivers_utf8_intact(smtp_server: tuple[Controller, RecordingHandler]) -> None:
    controller, handler = smtp_server
    mailer = fast_mailer(controller.port)
    assert isinstance(mailer, Mailer)
    await mailer.send(make_email())

    assert handler.data_calls == 1 and len(handler.delivered) == 1
    mail_from, rcpt_tos, raw = handler.delivered[0]
    assert mail_from == "personvern@example.no"
    assert rcpt_tos == [ASCII_RECIPIENT]
    raw.decode("ascii")  # 7-bit clean on the wire: quoted-printable body, RFC 2047 subject
    parsed = message_from_bytes(raw, policy=policy.default)
    assert parsed["Subject"] == SUBJECT
    assert parsed["To"] == ASCII_RECIPIENT
    assert parsed["Content-Language"] == "nb"
    assert parsed["Auto-Submitted"] == "auto-generated"
    assert parsed["Message-ID"].endswith("@example.no>")
    assert parsed.get_content_charset() == "utf-8"
    assert parsed.get_content().replace("\r\n", "\n") == BODY
    assert "æøå ÆØÅ" in parsed.get_content()


@pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")
async def test_smtp_with_login() -> None:
    seen: list[tuple[str, bytes, bytes]] = []

    def authenticator(server, session, envelope, mechanism, auth_data):  # noqa: ANN001, ANN202
        seen.append((mechanism, auth_data.login, auth_data.password))
        # handled=False makes aiosmtpd answer 535 itself (handled=True would leave the client waiting).
        return AuthResult(success=auth_data.password == b"right", handled=False)

    handler = RecordingHandler()
    controller = start_server(handler, authenticator=authenticator, auth_required=True, auth_require_tls=False)
    try:
        await fast_mailer(controller.port, username="svc", password="right").send(make_email())
        assert len(handler.delivered) == 1
        assert seen and seen[0][1:] == (b"svc", b"right")
        # A wrong password is permanent: one attempt, no retries.
        with pytest.raises(MailDeliveryError) as info:
            await fast_mailer(controller.port, username="svc", password="wrong").send(make_email())
        assert info.value.attempts == 1
        assert len(handler.delivered) == 1
        assert "wrong" not in repr(fast_mailer(controller.port, username="svc", password="wrong"))
    finally:
        controller.stop()


async def test_smtp_retries_after_temporary_refusal() -> None:
    handler = RecordingHandler(scripted_replies=["451 4.3.0 Try again later"])
    controller = start_server(handler)
    try:
        await fast_mailer(controller.port).send(make_email())
    finally:
        controller.stop()
    assert handler.data_calls == 2
    assert len(handler.delivered) == 1  # delivered exactly once


async def test_smtp_gives_up_after_three_temporary_refusals() -> None:
    handler = RecordingHandler(scripted_replies=["451 4.3.0 Try again later"] * 5)
    controller = start_server(handler)
    try:
        with pytest.raises(MailDeliveryError) as info:
            await fast_mailer(controller.port).send(make_email())
    finally:
        controller.stop()
    assert handler.data_calls == 3
    assert handler.delivered == []
    assert info.value.attempts == 3 and info.value.smtp_code == 451


async def test_smtp_permanent_refusal_is_not_retried() -> None:
    handler = RecordingHandler(scripted_replies=["550 5.7.1 Rejected"] * 5)
    controller = start_server(handler)
    try:
        with pytest.raises(MailDeliveryError) as info:
            await fast_mailer(controller.port).send(make_email())
    finally:
        controller.stop()
    assert handler.data_calls == 1
    assert info.value.attempts == 1 and info.value.smtp_code == 550


async def test_unreachable_port_raises_within_timeout() -> None:
    port = free_port()  # bound and released: nothing listens there
    mailer = SmtpMailer("127.0.0.1", port, from_address="a@example.com", backoff_seconds=0.05)
    assert mailer.timeout == 10.0 and mailer.attempts == 3  # the production policy
    start = time.monotonic()
    with pytest.raises(MailDeliveryError) as info:
        await mailer.send(make_email())
    elapsed = time.monotonic() - start
    assert elapsed < mailer.timeout
    assert info.value.attempts == 3
    assert info.value.__cause__ is None and info.value.__suppress_context__


async def test_silent_server_times_out_per_attempt() -> None:
    """A server that accepts the connection and never greets: each attempt ends at the timeout."""
    connections: list[asyncio.StreamWriter] = []

    async def never_greet(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        connections.append(writer)

    server = await asyncio.start_server(never_greet, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        mailer = fast_mailer(port, timeout=0.4, attempts=2, backoff_seconds=0.05)
        start = time.monotonic()
        with pytest.raises(MailDeliveryError) as info:
            await mailer.send(make_email())
        elapsed = time.monotonic() - start
    finally:
        for writer in connections:
            writer.close()
        server.close()
        await server.wait_closed()
    assert len(connections) == 2
    assert 0.8 <= elapsed < 2.5
    assert info.value.attempts == 2


async def test_logs_and_errors_hold_no_personal_data(
    smtp_server: tuple[Controller, RecordingHandler], caplog: pytest.LogCaptureFixture
) -> None:
    controller, _ = smtp_server
    caplog.set_level(logging.DEBUG, logger="backend.mailer")
    await fast_mailer(controller.port).send(make_email(to=ASCII_RECIPIENT))
    with pytest.raises(MailDeliveryError) as info:
        await fast_mailer(free_port(), attempts=2).send(make_email(to=ASCII_RECIPIENT))
    text = caplog.text + str(info.value)
    assert caplog.records, "the mailer should log deliveries and failures"
    for secret in (ASCII_RECIPIENT, "kari", "012345", "Blåbær", "Bekreftelse"):
        assert secret not in text


def test_smtp_rejects_conflicting_tls_flags() -> None:
    with pytest.raises(ValueError):
        SmtpMailer("mail.example.com", 465, starttls=True, use_tls=True, from_address="a@example.com")


def test_header_injection_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError):
        OutboxMailer(tmp_path).write(OutgoingEmail(to="a@example.com\r\nBcc: x@evil.example",
                                                   subject="s", body="b", language="en"))
    assert list(tmp_path.iterdir()) == []


# --- outbox --------------------------------------------------------------------------------------

async def test_outbox_writes_parseable_eml(tmp_path: Path) -> None:
    outbox = tmp_path / "var" / "outbox"
    mailer = OutboxMailer(str(outbox), from_address="personvern@example.no")
    assert isinstance(mailer, Mailer)
    await mailer.send(make_email(to=RECIPIENT))

    files = list(outbox.iterdir())
    assert len(files) == 1
    path = files[0]
    assert re.fullmatch(r"\d{8}T\d{12}Z-[0-9a-f]{8}\.eml", path.name), path.name
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    raw = path.read_bytes()
    assert "Blåbærsyltetøy".encode() in raw  # 8bit UTF-8: readable with cat
    parsed = message_from_bytes(raw, policy=policy.default)
    assert parsed["To"] == RECIPIENT
    assert parsed["Subject"] == SUBJECT
    assert parsed["From"] == "personvern@example.no"
    assert parsed.get_content().replace("\r\n", "\n") == BODY


async def test_read_outbox_newest_last_and_ignores_temp_files(tmp_path: Path) -> None:
    mailer = OutboxMailer(tmp_path)
    for number in range(3):
        await mailer.send(OutgoingEmail(to=f"p{number}@example.com", subject=f"n{number}", body="x",
                                        language="en"))
    (tmp_path / ".half-written.tmp").write_bytes(b"To: broken")
    messages = read_outbox(str(tmp_path))
    assert [m["Subject"] for m in messages] == ["n0", "n1", "n2"]
    assert read_outbox(str(tmp_path / "missing")) == []


async def test_outbox_concurrent_sends_all_land(tmp_path: Path) -> None:
    mailer = OutboxMailer(tmp_path)
    await asyncio.gather(*(mailer.send(OutgoingEmail(to="a@example.com", subject=str(i), body="x",
                                                     language="en")) for i in range(20)))
    assert sorted(int(m["Subject"]) for m in read_outbox(str(tmp_path))) == list(range(20))
    assert not [p for p in tmp_path.iterdir() if p.suffix != ".eml"]


def test_mailer_from_settings(tmp_path: Path) -> None:
    outbox = mailer_from_settings(None, 587, None, None, True, "a@example.com", str(tmp_path))
    assert isinstance(outbox, OutboxMailer) and outbox.directory == tmp_path
    assert isinstance(mailer_from_settings("  ", 587, None, None, True, "a@example.com", str(tmp_path)),
                      OutboxMailer)
    smtp = mailer_from_settings("mail.example.com", 587, "u", "p", True, "a@example.com", str(tmp_path))
    assert isinstance(smtp, SmtpMailer)
    assert (smtp.host, smtp.port, smtp.starttls, smtp.use_tls) == ("mail.example.com", 587, True, False)
    smtps = mailer_from_settings("mail.example.com", 465, "u", "p", False, "a@example.com", str(tmp_path))
    assert isinstance(smtps, SmtpMailer) and smtps.use_tls and not smtps.starttls


async def test_rendered_template_through_smtp(smtp_server: tuple[Controller, RecordingHandler]) -> None:
    controller, handler = smtp_server
    subject, body = render("verification_code", "sv", code="004211", minutes_valid=15,
                           reference="PRV-2026-7K3Q-9CX9")
    # A display name in the from address (as in the MAIL_FROM setting) must not reach the envelope.
    mailer = fast_mailer(controller.port, from_address="Integritetsteamet Å <personvern@example.no>")
    await mailer.send(OutgoingEmail(ASCII_RECIPIENT, subject, body, "sv"))
    mail_from, _, raw = handler.delivered[0]
    assert mail_from == "personvern@example.no"
    parsed = message_from_bytes(raw, policy=policy.default)
    assert parsed["From"].addresses[0].display_name == "Integritetsteamet Å"
    assert parsed["Message-ID"].endswith("@example.no>")
    assert parsed["Subject"] == "Din verifieringskod för ärende PRV-2026-7K3Q-9CX9"
    assert "004211" in parsed.get_content()
    assert "Vänliga hälsningar" in parsed.get_content()


# --- templates -----------------------------------------------------------------------------------

DUE = datetime(2026, 11, 24, 8, 0, tzinfo=timezone.utc)
REF = "PRV-2026-7K3Q-9CX9"


@pytest.mark.parametrize(
    ("language", "expected"),
    [("sv", "24 november 2026"), ("nb", "24. november 2026"), ("en", "24 November 2026")],
)
def test_format_date_per_language(language: str, expected: str) -> None:
    assert format_date(DUE, language, "SE") == expected


def test_format_date_uses_local_zone() -> None:
    late = datetime(2026, 11, 24, 23, 30, tzinfo=timezone.utc)  # 00:30 on the 25th in Scandinavia
    assert format_date(late, "sv", "SE") == "25 november 2026"
    assert format_date(late, "nb", None) == "25. november 2026"
    assert format_date(datetime(2026, 5, 17, 12, tzinfo=timezone.utc), "nb", "NO") == "17. mai 2026"
    assert format_date(datetime(2026, 5, 17, 12, tzinfo=timezone.utc), "sv", "NO") == "17 maj 2026"
    assert format_datetime(DUE, "sv", "SE") == "24 november 2026 kl. 09.00 (CET)"
    assert format_datetime(datetime(2026, 6, 1, 8, tzinfo=timezone.utc), "en", "DK") == "1 June 2026, 10:00 (CEST)"
    with pytest.raises(ValueError):
        format_date(datetime(2026, 11, 24, 8, 0), "sv", "SE")


def test_language_fallbacks() -> None:
    assert normalise_language("sv-SE") == "sv"
    assert normalise_language("nn") == "nb"
    assert normalise_language("no") == "nb"
    assert normalise_language("de") == "en"
    assert normalise_language(None) == "en"
    assert render("staff_message", "de", reference=REF) == render("staff_message", "en", reference=REF)


def test_unknown_template_and_missing_context() -> None:
    with pytest.raises(KeyError):
        render("newsletter", "sv", reference=REF)
    with pytest.raises(ValueError):
        render("verification_code", "sv", reference=REF)


@pytest.mark.parametrize("language", ["sv", "nb", "en"])
def test_every_template_renders_in_every_language(language: str) -> None:
    contexts = {
        "verification_code": {"code": "123456", "minutes_valid": 15, "reference": REF},
        "case_received": {"reference": REF, "case_type": "erasure", "due_at": DUE, "country": "NO"},
        "status_code": {"code": "654321", "minutes_valid": 1, "reference": REF},
        "extension_notice": {"reference": REF, "new_due_at": DUE, "reason": "Mange dokumenter.", "country": "NO"},
        "staff_message": {"reference": REF},
    }
    subjects = set()
    for template, context in contexts.items():
        subject, body = render(template, language, **context)
        assert REF in subject and REF in body
        assert "\n" not in subject
        assert "{" not in body and "}" not in body  # no unfilled placeholders
        subjects.add(subject)
        if "code" in context:
            assert context["code"] in body
            assert context["code"] not in subject  # lock screens show subjects
    assert len(subjects) == len(contexts)


def test_case_received_content() -> None:
    _, sv = render("case_received", "sv", reference=REF, case_type="access", due_at=DUE, country="SE")
    assert "senast den 24 november 2026" in sv and CASE_TYPE_NAMES["sv"]["access"] in sv
    _, nb = render("case_received", "nb", reference=REF, case_type="erasure", due_at=DUE, country="NO")
    assert "24. november 2026" in nb and "sletting" in nb
    _, en = render("case_received", "en", reference=REF, case_type="portability", due_at=None, country="DK")
    assert "data portability" in en and "by " not in en.split("Reference")[1].split("Please")[0]


def test_case_type_names_complete() -> None:
    types = {"access", "rectification", "erasure", "restriction", "objection", "portability",
             "consent_withdrawal", "application_withdrawal", "recruitment_consent_withdrawal",
             "incident", "misconduct", "complaint"}
    for language in ("sv", "nb", "en"):
        assert set(CASE_TYPE_NAMES[language]) == types


def test_extension_notice_names_reason_date_and_authority() -> None:
    _, body = render("extension_notice", "sv", reference=REF, new_due_at=DUE, reason="Många handlingar.",
                     country="SE")
    assert "Många handlingar." in body and "24 november 2026" in body and "IMY" in body
    _, body = render("extension_notice", "nb", reference=REF, new_due_at=DUE, reason="R", country="NO")
    assert "Datatilsynet" in body and "24. november 2026" in body
    assert supervisory_authority("DK", "en").startswith("Datatilsynet")


def test_staff_message_never_contains_the_message() -> None:
    subject, body = render("staff_message", "nb", reference=REF, body="Hemmelig innhold")
    assert "Hemmelig" not in subject + body


def test_staff_new_case_in_the_privacy_officers_language_with_clocks() -> None:
    subject, body = render(
        "staff_new_case", "en", reference="INC-2026-XXRV-GV9E", case_type="incident",
        clocks={"authority_notification_due_at": DUE}, country="NO",
    )
    assert subject == "New case INC-2026-XXRV-GV9E: personal data incident report"
    assert "personal data incident report" in body
    assert "Authority notification due (72 h): 24 November 2026, 09:00 (CET)" in body
    subject, body = render(
        "staff_new_case", "sv", reference="INC-2026-XXRV-GV9E", case_type="incident",
        clocks={"authority_notification_due_at": DUE}, country="NO",
    )
    assert subject == "Nytt ärende INC-2026-XXRV-GV9E: anmälan om personuppgiftsincident"
    assert "Anmälan till tillsynsmyndigheten senast (72 h): 24 november 2026" in body and "Reference" not in body
    subject, body = render("staff_new_case", "nb", reference=REF, case_type="access", clocks={"due_at": DUE},
                           country="NO")
    assert subject == f"Ny sak {REF}: forespørsel om innsyn i personopplysninger"
    assert "Svar innen: 24. november 2026" in body and "Referanse" in body
    _, body = render("staff_new_case", "en", reference=REF, case_type="access", due_summary="Due in 30 days")
    assert "Due in 30 days" in body
