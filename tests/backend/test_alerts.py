"""Deadline alerts with a controllable clock, on SQLite and PostgreSQL: each threshold fires once and only
once, nothing early, windows that passed are not sent late, the digest goes once per local day, two
schedulers never both send, a failed send is retried, the in-process scheduler and the CLI work.
E-mails carry no requester data."""

from __future__ import annotations

import argparse
import asyncio
import json
import re
import secrets
from dataclasses import replace
from datetime import datetime, timedelta, timezone
from email.message import EmailMessage
from pathlib import Path
from types import MappingProxyType
from typing import Any

import pytest
from aiohttp import web
from cryptography.fernet import Fernet
from aiohttp.test_utils import TestClient, TestServer

from backend.app import create_app
from backend.cli_alerts import add_alert_commands
from backend.config import ConfigError, Settings
from backend.mailer import OutboxMailer, SmtpMailer, read_outbox
from backend.scheduler import SCHEDULER_KEY, setup_alert_scheduler
from backend.services import Services, build_services
from backend.services.alerts import AlertSettings, run_alerts, run_digest
from backend.services.cases import create_case
from backend.email_templates import render_staff_alert, render_staff_digest
from tests.backend.conftest import START, Api, SmtpServer, body_of, default_case, free_port

PO, REC, SEC = "po@example.test", "recruiting@example.test", "security@example.test"
ALERTS = AlertSettings(mailboxes=MappingProxyType({"privacy_officer": PO, "recruiter": REC, "security": SEC}),
                       staff_base_url="https://privacy.example.test")
PERSONAL = ("Anna", "anna@example.com", "Jag vill ha", "Exempel", "stolen laptop")
TEST_SECRETS = {"APP_ENV": "test", "BACKEND_SERVICE_TOKEN": "s" * 40, "FIELD_ENCRYPTION_KEYS": Fernet.generate_key().decode(),
                "BLIND_INDEX_KEY": "k" * 32}


async def mails_to(api: Api, address: str) -> list[EmailMessage]:
    return [m for m in await api.mails() if m["To"] == address]


def subject(mail: EmailMessage) -> str:
    return " ".join(str(mail["Subject"]).split())  # long subjects come back folded


async def subjects(api: Api, address: str, reference: str = "") -> list[str]:
    return [subject(m) for m in await mails_to(api, address) if reference in subject(m)]


async def run(api: Api, settings: AlertSettings = ALERTS) -> list[str]:
    result = await run_alerts(api.svc, settings)
    assert result.failed == []
    return result.sent


async def _incident(api: Api, aware_at: datetime) -> dict[str, Any]:
    status, created = await api.create(type="incident", language="en", channel="teams", anonymous=True,
                                       requester=None, country="NO", aware_at=aware_at.isoformat(),
                                       details={"description": "stolen laptop"})
    assert status == 201, created
    return created


def assert_no_personal_data(mails: list[EmailMessage]) -> None:
    for mail in mails:
        text = str(mail["Subject"]) + body_of(mail)
        for value in PERSONAL:
            assert value not in text, value


async def test_rights_request_alerts_once_and_not_early_and_again_after_an_extension(api: Api) -> None:
    case = await api.verified_case()
    reference = case["reference"]
    due = datetime.fromisoformat(case["due_at"])
    assert await run(api) == [f"case:{_case_id(api, reference)}:new_case"]
    assert await run(api) == []
    assert await subjects(api, PO, reference) == [f"New case {reference}: request for access to personal data"]

    api.clock.now = due - timedelta(days=5, minutes=1)
    assert await run(api) == []  # not early
    api.clock.now = due - timedelta(days=5)
    assert len(await run(api)) == 1
    for moment in (due - timedelta(days=5), due - timedelta(hours=1), due + timedelta(minutes=1)):
        api.clock.now = moment
        assert await run(api) == []
    warnings = [s for s in await subjects(api, PO, reference) if "answer due in" in s]
    assert warnings == [f"Case {reference}: answer due in 5 days"]
    mail = [m for m in await mails_to(api, PO) if "answer due" in subject(m)][0]
    assert reference in body_of(mail) and "Answer due: 1 April 2026" in body_of(mail)
    assert f"https://privacy.example.test/staff/cases/{reference}" in body_of(mail)

    # An extension moves the deadline: the new deadline gets its own warning, once.
    api.clock.now = due - timedelta(days=2)
    token = await api.staff_token()
    status, extended = await api.post(f"/api/v1/staff/cases/{reference}/extension",
                                      {"months": 1, "reason": "Många begäranden"}, token=token)
    assert status == 200, extended
    new_due = datetime.fromisoformat(extended["due_at"])
    api.clock.now = new_due - timedelta(days=5, seconds=1)
    assert await run(api) == []
    api.clock.now = new_due - timedelta(days=5)
    assert len(await run(api)) == 1
    assert await run(api) == []
    assert len([s for s in await subjects(api, PO, reference) if "answer due in" in s]) == 2
    assert_no_personal_data(await mails_to(api, PO))
    assert await mails_to(api, SEC) == [] and await mails_to(api, REC) == []


def _case_id(api: Api, reference: str) -> int:
    return api.sql("SELECT id FROM cases WHERE reference = :r", r=reference)[0][0]


async def test_unverified_requests_do_not_alert_and_withdrawals_go_to_the_recruiter(api: Api) -> None:
    status, unverified = await api.create()
    assert status == 201 and unverified["status"] == "awaiting_verification"
    withdrawal = await api.verified_case(type="application_withdrawal", language="nb", country="NO")
    await run(api)
    assert await subjects(api, PO) == []
    assert await subjects(api, REC) == [f"New case {withdrawal['reference']}: withdrawal of a job application"]


async def test_breach_alerts_at_24_and_60_hours_after_awareness(api: Api) -> None:
    aware = START - timedelta(hours=1)
    incident = await _incident(api, aware)
    reference = incident["reference"]
    await run(api)
    assert await subjects(api, SEC, reference) == [f"New case {reference}: personal data incident report"]
    for hours, expected in ((24, "48 hours left"), (60, "12 hours left")):
        api.clock.now = aware + timedelta(hours=hours, minutes=-1)
        assert await run(api) == [], hours
        api.clock.now = aware + timedelta(hours=hours)
        assert len(await run(api)) == 1
        assert await run(api) == []
        last = (await subjects(api, SEC, reference))[-1]
        assert last == f"Breach {reference}: {expected} to notify the supervisory authority"
    api.clock.now = aware + timedelta(hours=80)
    assert await run(api) == []
    assert len(await subjects(api, SEC, reference)) == 3
    assert_no_personal_data(await mails_to(api, SEC))


async def test_a_late_breach_report_skips_the_passed_24_hour_alert(api: Api) -> None:
    incident = await _incident(api, START - timedelta(hours=61))
    await run(api)
    titles = await subjects(api, SEC, incident["reference"])
    assert len(titles) == 2 and titles[0].startswith("New case") and "11 hours left" in titles[1]
    api.clock.advance(hours=5)
    assert await run(api) == []


async def test_misconduct_acknowledgement_alert_after_5_days_unless_acknowledged(api: Api) -> None:
    status, report = await api.create(type="misconduct", language="sv", anonymous=True, requester=None,
                                      details={"description": "Fusk med tidrapporter"})
    assert status == 201, report
    status, acknowledged = await api.create(type="misconduct", language="en", anonymous=True, requester=None,
                                            details={"description": "Another report"})
    assert status == 201
    await run(api)
    token = await api.staff_token("security", "Sam Security")
    status, _ = await api.post(f"/api/v1/staff/cases/{acknowledged['reference']}/status",
                               {"status": "in_progress"}, token=token)
    assert status == 200
    api.clock.now = START + timedelta(days=5, minutes=-1)
    assert await run(api) == []
    api.clock.now = START + timedelta(days=5)
    assert len(await run(api)) == 1
    api.clock.advance(days=1)
    assert await run(api) == []
    assert (await subjects(api, SEC, report["reference"]))[-1] == \
        f"Misconduct report {report['reference']}: acknowledge it"
    assert [s for s in await subjects(api, SEC, acknowledged["reference"]) if "acknowledge" in s] == []


async def test_daily_digest_of_overdue_cases_once_per_local_day(api: Api) -> None:
    case = await api.verified_case()
    incident = await _incident(api, START)
    # 3 April 2026, Oslo is on CEST (UTC+2): 04:59 UTC is 06:59 local, before the digest hour (7).
    api.clock.now = datetime(2026, 4, 3, 4, 59, tzinfo=timezone.utc)
    assert (await run_digest(api.svc, ALERTS)).sent == []
    api.clock.now = datetime(2026, 4, 3, 5, 0, tzinfo=timezone.utc)
    sent = (await run_digest(api.svc, ALERTS)).sent
    assert sorted(sent) == ["digest:2026-04-03:privacy_officer", "digest:2026-04-03:security"]
    for later in (timedelta(hours=1), timedelta(hours=15)):
        api.clock.now = datetime(2026, 4, 3, 5, 0, tzinfo=timezone.utc) + later
        assert (await run_digest(api.svc, ALERTS)).sent == []
    po_digest = [m for m in await mails_to(api, PO) if "Overdue" in subject(m)]
    assert len(po_digest) == 1 and subject(po_digest[0]) == "Overdue privacy cases on 3 April 2026: 2"
    assert case["reference"] in body_of(po_digest[0]) and incident["reference"] in body_of(po_digest[0])
    sec_digest = [m for m in await mails_to(api, SEC) if "Overdue" in subject(m)]
    assert len(sec_digest) == 1 and case["reference"] not in body_of(sec_digest[0])  # role scope
    assert_no_personal_data(po_digest + sec_digest)
    api.clock.now = datetime(2026, 4, 4, 5, 0, tzinfo=timezone.utc)
    assert len((await run_digest(api.svc, ALERTS)).sent) == 2
    # Roles without a mailbox share the privacy officer's: one digest per address, not three.
    only_po = AlertSettings(mailboxes=MappingProxyType({"privacy_officer": PO}))
    api.clock.now = datetime(2026, 4, 5, 5, 0, tzinfo=timezone.utc)
    assert (await run_digest(api.svc, only_po)).sent == ["digest:2026-04-05:privacy_officer+recruiter+security"]


async def test_two_schedulers_never_send_the_same_alert(api: Api, settings: Settings) -> None:
    for _ in range(3):
        await api.verified_case()
        await _incident(api, START - timedelta(hours=30))
    others = [build_services(settings, mailer=OutboxMailer(settings.outbox_dir, from_address=settings.mail_from),
                             clock=api.clock) for _ in range(2)]
    try:
        results = await asyncio.gather(*(run_alerts(svc, ALERTS) for svc in [api.svc, *others]),
                                       *(run_alerts(svc, ALERTS) for svc in [api.svc, *others]))
    finally:
        for svc in others:
            svc.close()
    keys = [key for result in results for key in result.sent]
    assert len(keys) == len(set(keys)) == 9  # 3 new rights cases, 3 new incidents, 3 breach 24 h
    assert len(await mails_to(api, PO)) == 3 and len(await mails_to(api, SEC)) == 6
    assert api.count("sent_alerts") == 9


async def test_a_failed_send_is_retried_later_and_then_sent_once(api: Api) -> None:
    await api.verified_case()
    good = api.svc.mailer
    api.svc.mailer = SmtpMailer("127.0.0.1", free_port(), attempts=1, timeout=2)  # nothing listens there
    failed = await run_alerts(api.svc, ALERTS)
    assert failed.sent == [] and len(failed.failed) == 1
    assert api.sql("SELECT status, attempts FROM sent_alerts") == [("failed", 1)]
    api.svc.mailer = good
    retried = await run_alerts(api.svc, ALERTS)
    assert retried.sent == failed.failed
    assert api.sql("SELECT status, attempts FROM sent_alerts") == [("sent", 2)]
    assert (await run_alerts(api.svc, ALERTS)).sent == []
    assert len(await subjects(api, PO)) == 1


async def test_no_mailbox_means_nothing_is_claimed(api: Api) -> None:
    await api.verified_case()
    result = await run_alerts(api.svc, AlertSettings())
    assert result.sent == [] and result.no_mailbox == 1 and api.count("sent_alerts") == 0


async def test_the_in_process_scheduler_ticks_and_sends_once(services: Services, settings: Settings, clock: Any) -> None:
    app = create_app(settings, services)
    fast = AlertSettings(interval_seconds=0.05, mailboxes=ALERTS.mailboxes)
    setup_alert_scheduler(app, fast)
    async with TestClient(TestServer(app, host="127.0.0.1", port=0)) as client:
        api = Api(client=client, svc=services, clock=clock, settings=settings)
        aware = START - timedelta(hours=1)
        incident = await _incident(api, aware)
        scheduler = app[SCHEDULER_KEY]

        async def wait_for(count: int) -> None:
            for _ in range(200):
                if len(await subjects(api, SEC, incident["reference"])) >= count:
                    return
                await asyncio.sleep(0.02)
            raise AssertionError(f"no alert number {count}")

        await wait_for(1)
        clock.now = aware + timedelta(hours=24)
        await wait_for(2)
        ticks = scheduler.ticks
        while scheduler.ticks < ticks + 5:
            await asyncio.sleep(0.02)
        titles = await subjects(api, SEC, incident["reference"])
        assert len(titles) == 2 and "48 hours left" in titles[1]
    assert scheduler._task is None  # stopped on shutdown


def _env_settings(tmp_path: Path, **env: str) -> Settings:
    """Settings.from_env on an explicit environment (no .env file, nothing written to the project)."""
    return Settings.from_env(environ={**TEST_SECRETS, **env}, env_file=tmp_path / "none.env", root=tmp_path)


def test_scheduler_settings_from_the_environment(tmp_path: Path) -> None:
    app = web.Application()  # disabled: nothing is added to the app
    handlers = len(app.on_startup)
    disabled = AlertSettings.from_settings(_env_settings(tmp_path, ALERTS_ENABLED="false"))
    assert disabled.enabled is False
    setup_alert_scheduler(app, disabled)
    assert SCHEDULER_KEY not in app and len(app.on_startup) == handlers
    env = AlertSettings.from_env(_env_settings(tmp_path, ALERT_INTERVAL_SECONDS="60", ALERT_EMAIL_SECURITY=SEC,
                                               PRIVACY_TEAM_EMAIL="team@example.test"))
    assert env.enabled and env.interval_seconds == 60 and env.digest_hour == 7
    assert env.mailbox("security") == SEC and env.mailbox("recruiter") == "team@example.test"
    assert env.language_for("security") == "en"
    with pytest.raises(ConfigError, match="ALERT_INTERVAL_SECONDS"):
        _env_settings(tmp_path, ALERT_INTERVAL_SECONDS="0")
    with pytest.raises(ConfigError, match="ALERTS_ENABLED"):
        _env_settings(tmp_path, ALERTS_ENABLED="maybe")


def test_alert_language_settings_per_role_with_fallbacks(tmp_path: Path) -> None:
    settings = _env_settings(tmp_path, ALERT_LANGUAGE="nb", ALERT_LANGUAGE_SECURITY="sv",
                             ALERT_EMAIL_PRIVACY_OFFICER=PO, ALERT_EMAIL_SECURITY=SEC)
    alerts = AlertSettings.from_settings(settings)
    assert alerts.language_for("security") == "sv"  # its own setting
    assert alerts.language_for("privacy_officer") == "nb"  # ALERT_LANGUAGE
    assert alerts.language_for("recruiter") == "nb"
    # A role without a mailbox writes to the privacy officer's, so it takes the privacy officer's language.
    shared = AlertSettings.from_settings(_env_settings(
        tmp_path, ALERT_LANGUAGE_PRIVACY_OFFICER="sv", ALERT_EMAIL_PRIVACY_OFFICER=PO, ALERT_EMAIL_RECRUITER=REC))
    assert shared.language_for("security") == "sv" and shared.language_for("recruiter") == "en"
    assert AlertSettings.from_settings(_env_settings(tmp_path)).language_for("recruiter") == "en"
    assert _env_settings(tmp_path, ALERT_LANGUAGE_RECRUITER="no").alert_role_languages == {"recruiter": "nb"}
    for name in ("ALERT_LANGUAGE", "ALERT_LANGUAGE_PRIVACY_OFFICER"):
        with pytest.raises(ConfigError, match=name):
            _env_settings(tmp_path, **{name: "de"})


def test_cli_digest_for_cron(services: Services, settings: Settings, capsys: pytest.CaptureFixture[str]) -> None:
    body = default_case(type="incident", language="en", channel="teams", anonymous=True, requester=None,
                        country="NO", aware_at=(START - timedelta(hours=1)).isoformat())
    status, created = asyncio.run(create_case(services, body, f"key-{secrets.token_hex(8)}"))
    assert status == 201
    # The CLI takes ALERT_EMAIL_* from the Settings it is given (read from the environment by config.py).
    settings = replace(settings, alert_emails=MappingProxyType({"security": SEC, "privacy_officer": PO}))
    parser = argparse.ArgumentParser()
    add_alert_commands(parser.add_subparsers(dest="command", required=True))
    # The CLI uses the real clock (November 2026): the March breach is long overdue.
    for expected in (2, 0):
        args = parser.parse_args(["alerts", "digest", "--json"])
        assert args.func(settings, args) == 0
        assert json.loads(capsys.readouterr().out)["sent"] == expected
    args = parser.parse_args(["alerts", "run", "--json"])
    assert args.func(settings, args) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["failed"] == 0 and "breach_24h" not in result["kinds"]  # windows passed: not sent late
    digests = [m for m in read_outbox(str(settings.outbox_dir)) if "Overdue" in subject(m)]
    assert len(digests) == 2 and all(created["reference"] in body_of(m) for m in digests)


# --- languages ----------------------------------------------------------------------------------

MULTILINGUAL = AlertSettings(
    mailboxes=MappingProxyType({"privacy_officer": PO, "recruiter": REC, "security": SEC}),
    staff_base_url="https://privacy.example.test", language="en",
    languages=MappingProxyType({"privacy_officer": "sv", "security": "nb"}),
)


def _smtp_mails(smtp_server: SmtpServer, address: str) -> list[EmailMessage]:
    return [m for m in smtp_server.messages() if m["To"] == address]


def text_of(mail: EmailMessage) -> str:
    return body_of(mail).replace("\r\n", "\n")  # SMTP delivers CRLF line ends


async def test_alerts_arrive_over_smtp_in_each_roles_language(api: Api, smtp_server: SmtpServer) -> None:
    access = await api.verified_case()  # privacy officer: Swedish
    withdrawal = await api.verified_case(type="application_withdrawal", language="nb", country="NO")  # English
    incident = await _incident(api, START - timedelta(hours=61))  # security: Norwegian, 11 hours left
    # The requesters' code e-mails went to the outbox above; the alerts go through a real SMTP server.
    api.svc.mailer = SmtpMailer(smtp_server.host, smtp_server.port, from_address=api.settings.mail_from, attempts=1)
    result = await run_alerts(api.svc, MULTILINGUAL)
    assert result.failed == [] and len(result.sent) == 4

    po = _smtp_mails(smtp_server, PO)
    assert [subject(m) for m in po] == [
        f"Nytt ärende {access['reference']}: begäran om tillgång till personuppgifter (registerutdrag)"]
    body = text_of(po[0])
    assert po[0]["Content-Language"] == "sv"
    assert "Ett nytt ärende behöver hanteras." in body and f"Ärendenummer: {access['reference']}" in body
    assert "Svar senast: 1 april 2026 kl. " in body  # Swedish date and time
    assert f"Öppna ärendet: https://privacy.example.test/staff/cases/{access['reference']}" in body

    sec = sorted(_smtp_mails(smtp_server, SEC), key=subject)
    assert [subject(m) for m in sec] == [
        f"Avvik {incident['reference']}: 11 timer igjen til fristen for å melde til tilsynsmyndigheten",
        f"Ny sak {incident['reference']}: melding om avvik (brudd på personopplysningssikkerheten)",
    ]
    assert all(m["Content-Language"] == "nb" for m in sec)
    breach = text_of(sec[0])
    assert "Det gjenstår 11 timer av 72-timersfristen" in breach and "Tilsynsmyndighet: Datatilsynet" in breach
    assert "Frist for melding til tilsynsmyndigheten (72 timer): 2. mars 2026 kl. 21.00 (CET)" in breach

    rec = _smtp_mails(smtp_server, REC)
    assert [subject(m) for m in rec] == [f"New case {withdrawal['reference']}: withdrawal of a job application"]
    assert rec[0]["Content-Language"] == "en" and "A new case needs attention." in text_of(rec[0])

    # Five days before the deadline, in Swedish; the daily digest too.
    api.clock.now = datetime.fromisoformat(access["due_at"]) - timedelta(days=5)
    assert len((await run_alerts(api.svc, MULTILINGUAL)).sent) >= 1
    assert f"Ärende {access['reference']}: svar ska lämnas inom 5 dagar" in [
        subject(m) for m in _smtp_mails(smtp_server, PO)]
    api.clock.now = datetime(2026, 4, 3, 5, 0, tzinfo=timezone.utc)
    await run_digest(api.svc, MULTILINGUAL)
    digest = [m for m in _smtp_mails(smtp_server, PO) if "Försenade" in subject(m)]
    assert len(digest) == 1 and subject(digest[0]).startswith("Försenade dataskyddsärenden 3 april 2026: ")
    assert "De här ärendena har passerat sin frist:" in text_of(digest[0])
    assert "försenat med 2 dagar" in text_of(digest[0])  # due 1 April, digest on 3 April
    assert "Hela listan: https://privacy.example.test/staff/cases?overdue=true" in text_of(digest[0])
    sec_digest = [m for m in _smtp_mails(smtp_server, SEC) if "Forsinkede" in subject(m)]
    assert len(sec_digest) == 1 and "Disse sakene har passert fristen:" in text_of(sec_digest[0])
    assert_no_personal_data(smtp_server.messages()[-8:])
    for mail in _smtp_mails(smtp_server, PO) + _smtp_mails(smtp_server, SEC):
        text = subject(mail) + text_of(mail)
        assert english_words(text) == [], subject(mail)


# Words of the English alerts that must not appear in a Swedish or Norwegian one.
ENGLISH_ONLY = ("Reference", "Open the case", "due", "hours", "days", "overdue", "Breach", "New case",
                "authority", "The list", "acknowledge", "not set")


def english_words(text: str) -> list[str]:
    """English alert words in `text`, links left out (a URL may say `overdue=true`)."""
    text = re.sub(r"https?://\S+", "", text)
    return [word for word in ENGLISH_ONLY if word in text]


@pytest.mark.parametrize("language", ["sv", "nb", "en"])
def test_every_alert_renders_in_every_language(language: str) -> None:
    due = datetime(2026, 12, 24, 8, 0, tzinfo=timezone.utc)
    rendered = []
    for kind, label, hours in (("new_case", "answer_due", None), ("rights_due_soon", "answer_due", None),
                               ("breach_24h", "authority_due", 48.0), ("breach_60h", "authority_due", -3.0),
                               ("breach_60h", "authority_due", 1.0), ("misconduct_ack", "acknowledge_due", None)):
        for days in (0, 1, 5):
            subj, body = render_staff_alert(kind, language, reference="PRV-2026-7K3Q-9CX9", case_type="incident",
                                            country="SE", deadline=due, deadline_label=label, days_left=days,
                                            hours_left=hours, base_url="")
            assert "PRV-2026-7K3Q-9CX9" in subj and "PRV-2026-7K3Q-9CX9" in body and "\n" not in subj
            assert "{" not in subj + body and "}" not in subj + body
            rendered.append(subj + body)
            if language != "en":
                assert english_words(subj + body) == [], subj + body
            else:
                assert english_words(subj + body) != []  # the check recognises English
    dates = {"sv": "24 december 2026 kl. 09.00 (CET)", "nb": "24. desember 2026 kl. 09.00 (CET)",
             "en": "24 December 2026, 09:00 (CET)"}
    assert all(dates[language] in text for text in rendered)
    subj, body = render_staff_digest(language, day=due.date(), base_url="https://x.test", rows=[
        {"reference": "PRV-2026-7K3Q-9CX9", "type": "access", "due_at": due, "country": "SE", "days_overdue": 1}])
    assert {"sv": "24 december 2026", "nb": "24. desember 2026", "en": "24 December 2026"}[language] in subj
    assert "PRV-2026-7K3Q-9CX9" in body and "https://x.test/staff/cases?overdue=true" in body
    if language != "en":
        assert english_words(subj + body) == []
    with pytest.raises(KeyError):
        render_staff_alert("newsletter", language, reference="R", case_type="access", country=None, deadline=None,
                           deadline_label="answer_due")
