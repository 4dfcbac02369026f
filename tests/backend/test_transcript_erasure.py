"""Chat-transcript erasure, backend side: the case's conversation link (API), the outbox filled when staff
complete an erasure case, and its delivery to a real HTTP server (a stand-in on loopback, and the real
Rasa channel of bot/channels/transcripts.py). Every test runs on SQLite and on PostgreSQL."""

from __future__ import annotations

import asyncio
import json
import logging
import os
import secrets
import sys
import uuid
from dataclasses import dataclass, field, replace
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, AsyncIterator, Optional

import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from backend.config import DEFAULT_TRANSCRIPT_ERASE_URL, PROJECT_ROOT, ConfigError, Settings
from backend.scheduler import AlertScheduler
from backend.services import Services
from backend.services.alerts import AlertSettings
from backend.services.transcripts import BACKOFF_STEPS, CLAIM_LEASE, deliver_pending

from .conftest import Api, default_case

ERASE_PATH = "/webhooks/transcripts/erase"


def conversation() -> str:
    return f"web-{uuid.uuid4().hex}"


async def _set_status(api: Api, token: str, reference: str, status: str) -> dict[str, Any]:
    code, body = await api.post(f"/api/v1/staff/cases/{reference}/status", {"status": status}, token=token)
    assert code == 200, body
    return body


async def _complete(api: Api, token: str, reference: str) -> dict[str, Any]:
    """Staff open an unverified case (second-step proof) and complete it."""
    await _set_status(api, token, reference, "open")
    return await _set_status(api, token, reference, "completed")


async def _file(api: Api, email: str, conversation_id: Optional[str], **overrides: Any) -> str:
    body = default_case(requester={"name": "Kari Nordmann", "email": email}, **overrides)
    if conversation_id is not None:
        body["conversation_id"] = conversation_id
    status, created = await api.create(body)
    assert status == 201, created
    return created["reference"]


def _queued(api: Api) -> list[tuple[str, Optional[str]]]:
    """(case reference, decrypted conversation id or None once delivered) of every outbox row."""
    rows = api.sql("SELECT c.reference, t.conversation_id_enc FROM transcript_erasures t "
                   "JOIN cases c ON c.id = t.case_id ORDER BY t.id")
    return [(ref, api.svc.cipher.decrypt(enc)) for ref, enc in rows]


def _rows(api: Api) -> list[dict[str, Any]]:
    """The outbox rows through the ORM (typed: aware datetimes on both databases)."""
    from backend.models import TranscriptErasure, as_dict

    def load(session: Any) -> list[dict[str, Any]]:
        return [as_dict(row) for row in session.query(TranscriptErasure).order_by(TranscriptErasure.id)]

    return api.svc.db.call(load, write=False)


def _set_due(api: Api, when: Any, row_id: Optional[int] = None) -> None:
    from sqlalchemy import update

    from backend.models import TranscriptErasure

    def change(session: Any) -> None:
        statement = update(TranscriptErasure).values(next_attempt_at=when)
        if row_id is not None:
            statement = statement.where(TranscriptErasure.id == row_id)
        session.execute(statement.execution_options(synchronize_session=False))

    api.svc.db.call(change)


def _all_stored_text(api: Api) -> str:
    """Every text value of the tables a conversation id could end up in."""
    parts: list[str] = []
    for table in ("cases", "transcript_erasures", "audit_entries", "idempotency_records"):
        for row in api.sql(f"SELECT * FROM {table}"):
            parts.extend(str(value) for value in row)
    return "\n".join(parts)


# --- fake Rasa: a real HTTP server on loopback ---------------------------------------------------

@dataclass
class FakeRasa:
    """Answers like bot/channels/transcripts.py; `mode` switches its behaviour."""

    token: str
    mode: str = "ok"  # ok | unavailable | slow
    received: list[dict[str, Any]] = field(default_factory=list)
    stored: set[str] = field(default_factory=set)
    url: str = ""

    async def handle(self, request: web.Request) -> web.Response:
        body = await request.json()
        self.received.append({"authorization": request.headers.get("Authorization"), "body": body})
        if request.headers.get("Authorization") != f"Bearer {self.token}":
            return web.json_response({"error": {"code": "unauthorized", "message": "no"}}, status=401)
        if self.mode == "unavailable":
            return web.json_response({"error": {"code": "store_unavailable", "message": "down"}}, status=503)
        if self.mode == "slow":
            await asyncio.sleep(0.05)
        conversation_id = body["conversation_id"]
        erased = conversation_id in self.stored
        self.stored.discard(conversation_id)
        return web.json_response({"erased": erased})

    def sent_ids(self) -> list[str]:
        return [item["body"]["conversation_id"] for item in self.received]


@pytest.fixture
async def fake_rasa() -> AsyncIterator[FakeRasa]:
    fake = FakeRasa(token="erase-" + secrets.token_urlsafe(32))
    app = web.Application()
    app.router.add_post(ERASE_PATH, fake.handle)
    server = TestServer(app, host="127.0.0.1", port=0)
    await server.start_server()
    fake.url = str(server.make_url(ERASE_PATH))
    try:
        yield fake
    finally:
        await server.close()


def configured(svc: Services, url: str, token: str) -> Services:
    """The same services (database, cipher, clock) with transcript delivery configured."""
    return replace(svc, settings=replace(svc.settings, transcript_erase_url=url, transcript_erase_token=token))


# --- the link: conversation_id on case creation ---------------------------------------------------

async def test_conversation_id_is_stored_encrypted_only(api: Api) -> None:
    chat = f"29:{uuid.uuid4().hex}|19:{uuid.uuid4().hex[:10]}@thread.v2;messageid=1700000000"
    reference = await _file(api, "kari@example.no", chat)
    stored = api.sql("SELECT conversation_id_enc FROM cases WHERE reference = :r", r=reference)[0][0]
    assert stored and api.svc.cipher.decrypt(stored) == chat
    assert chat not in _all_stored_text(api)
    # Without it nothing is stored.
    plain = await _file(api, "kari@example.no", None)
    assert api.sql("SELECT conversation_id_enc FROM cases WHERE reference = :r", r=plain) == [(None,)]
    # The longest accepted id (the width of Rasa's sender_id column).
    assert await _file(api, "kari@example.no", "a" * 255)


@pytest.mark.parametrize("bad", ["", " ", "a b", "web-1\n", "<script>", "x" * 256, "ä-1", "-web", "a'b", 42,
                                 ["web-1"], {"id": "web-1"}, True])
async def test_bad_conversation_ids_are_400(api: Api, bad: Any) -> None:
    body = default_case(conversation_id=bad)
    status, answer = await api.create(body)
    assert status == 400, answer
    assert answer["error"]["code"] == "invalid_conversation_id" and answer["error"]["field"] == "conversation_id"
    assert api.count("cases") == 0


async def test_anonymous_reports_never_store_a_conversation_id(api: Api) -> None:
    chat = conversation()
    body = default_case(type="incident", language="en", channel="teams", anonymous=True, requester=None,
                        country="NO", aware_at=api.clock.now.isoformat(), conversation_id=chat)
    status, created = await api.create(body)
    assert status == 201 and created["receipt"]
    assert api.sql("SELECT conversation_id_enc, anonymous FROM cases") == [(None, True)]
    assert chat not in _all_stored_text(api)


async def test_idempotent_replay_includes_the_conversation_id(api: Api) -> None:
    chat = conversation()
    body = default_case(conversation_id=chat)
    key = f"key-{secrets.token_hex(8)}"
    first = await api.create(body, key=key)
    second = await api.create(body, key=key)
    assert first[0] == 201 and second == (200, first[1])
    status, answer = await api.create(default_case(conversation_id=conversation()), key=key)
    assert status == 409 and answer["error"]["code"] == "idempotency_key_reused"
    status, answer = await api.create(default_case(), key=key)
    assert status == 409
    assert api.count("cases") == 1


async def test_openapi_documents_the_field(api: Api) -> None:
    _status, document = await api.get("/api/v1/openapi.json", token=None)
    field_doc = document["components"]["schemas"]["NewCase"]["properties"]["conversation_id"]
    assert field_doc["maxLength"] == 255 and field_doc["type"] == "string"
    codes = document["components"]["schemas"]["Error"]["properties"]["error"]["properties"]["code"]["enum"]
    assert "invalid_conversation_id" in codes


async def test_the_action_servers_client_sends_it(api: Api) -> None:
    """actions/backend_client.py against this real backend: sent for identified requesters, never for
    anonymous reports, left out (and the case still filed) when it does not fit the format."""
    from actions.backend_client import BackendClient, BackendConfig

    client = BackendClient(BackendConfig(base_url=str(api.client.make_url("")).rstrip("/"),
                                         service_token=api.service_token))
    try:
        chat = conversation()
        common = dict(case_type="erasure", language="nb", channel="web", country="NO",
                      requester={"name": "Kari", "email": "kari@example.no"}, details={"description": "Slett"})
        created = await client.create_case(idempotency_key=uuid.uuid4().hex, conversation_id=chat, **common)
        odd = await client.create_case(idempotency_key=uuid.uuid4().hex, conversation_id="has space", **common)
        anonymous = await client.create_case(
            idempotency_key=uuid.uuid4().hex, case_type="incident", language="en", channel="teams", country="NO",
            anonymous=True, details={"description": "x"}, aware_at=api.clock.now.isoformat(), conversation_id=chat,
        )
    finally:
        await client.close()
    rows = dict(api.sql("SELECT reference, conversation_id_enc FROM cases"))
    assert api.svc.cipher.decrypt(rows[created["reference"]]) == chat
    assert rows[odd["reference"]] is None and rows[anonymous["reference"]] is None


def test_build_case_request_links_the_chat_for_identified_requesters_only() -> None:
    from rasa_sdk import Tracker

    from actions.filing import build_case_request

    def tracker(slots: dict[str, Any]) -> Tracker:
        return Tracker("web-0123456789abcdef", slots, {}, [], False, None, {}, None)

    identified = build_case_request(tracker({"flow": "rights", "right": "erasure", "language": "nb",
                                             "requester_name": "Kari", "requester_email": "kari@example.no"}))
    assert identified["conversation_id"] == "web-0123456789abcdef"
    anonymous = build_case_request(tracker({"flow": "incident", "language": "nb", "reporter_anonymous": "yes"}))
    assert "conversation_id" not in anonymous


# --- the trigger: completing an erasure case ------------------------------------------------------

async def test_completing_an_erasure_case_queues_the_requesters_conversations_only(api: Api) -> None:
    officer = await api.staff_token()
    chat_access, chat_erasure, chat_twice, chat_other = conversation(), conversation(), conversation(), conversation()
    access = await _file(api, "kari@example.no", chat_access, type="access")
    await _file(api, "kari@example.no", chat_twice, type="objection")
    await _file(api, "Kari@Example.NO", chat_twice, type="restriction")  # same chat, same requester again
    await _file(api, "kari@example.no", None, type="portability")  # no chat: nothing to erase
    other = await _file(api, "ola@example.no", chat_other, type="access")  # someone else
    erasure = await _file(api, "kari@example.no", chat_erasure, type="erasure")
    anonymous_chat = conversation()
    status, _ = await api.create(default_case(type="complaint", anonymous=True, requester=None,
                                              conversation_id=anonymous_chat))
    assert status == 201

    # Completing other case types queues nothing.
    await _complete(api, officer, access)
    await _complete(api, officer, other)
    assert api.count("transcript_erasures") == 0

    await _complete(api, officer, erasure)
    queued = _queued(api)
    assert sorted(chat for _ref, chat in queued) == sorted([chat_access, chat_erasure, chat_twice])
    assert {ref for ref, _chat in queued} == {erasure}
    rows = api.sql("SELECT attempts, done_at, last_error_code, next_attempt_at, created_at FROM transcript_erasures")
    assert all(r[0] == 0 and r[1] is None and r[2] is None for r in rows)
    # No conversation id in clear anywhere; the audit entry says how many, not which.
    text = _all_stored_text(api)
    assert not any(chat in text for chat in (chat_access, chat_erasure, chat_twice, chat_other, anonymous_chat))
    audit = api.sql("SELECT actor, case_reference, data FROM audit_entries WHERE action = 'transcript_erasures_queued'")
    assert [(a, r, json.loads(d)) for a, r, d in audit] == [(audit[0][0], erasure, {"count": 3})]
    assert audit[0][0].startswith("staff:")
    ok, report = await api.get("/api/v1/staff/audit/verify", token=officer)
    assert report["ok"] is True


async def test_queueing_happens_once_per_case_and_only_on_completion(api: Api) -> None:
    officer = await api.staff_token()
    chat = conversation()
    rejected = await _file(api, "kari@example.no", chat, type="erasure")
    await _set_status(api, officer, rejected, "open")
    code, _ = await api.post(f"/api/v1/staff/cases/{rejected}/status", {"status": "rejected", "reason": "Ogrundad"},
                             token=officer)
    assert code == 200 and api.count("transcript_erasures") == 0

    erasure = await _file(api, "kari@example.no", conversation(), type="erasure")
    await _complete(api, officer, erasure)
    assert api.count("transcript_erasures") == 2
    # A completed case cannot be completed again, and the direct call is idempotent too.
    code, body = await api.post(f"/api/v1/staff/cases/{erasure}/status", {"status": "completed"}, token=officer)
    assert code == 409
    from backend.models import Case
    from backend.services.transcripts import enqueue_for_case

    def again(session: Any) -> int:
        case = session.query(Case).filter(Case.reference == erasure).one()
        return enqueue_for_case(session, api.svc, case, api.svc.now(), actor="test")

    assert await api.svc.db.run(again) == 0
    assert api.count("transcript_erasures") == 2
    # A second erasure case of the same requester owes its own erasures (new transcripts may exist).
    second = await _file(api, "kari@example.no", None, type="erasure")
    await _complete(api, officer, second)
    assert api.count("transcript_erasures") == 4


# --- delivery -------------------------------------------------------------------------------------

async def _queue(api: Api, chats: list[str], email: str = "kari@example.no") -> str:
    """Files one case per chat for `email` (the last an erasure case) and completes the erasure case."""
    officer = await api.staff_token()
    before = api.count("transcript_erasures")
    for chat in chats[:-1]:
        await _file(api, email, chat, type="access")
    reference = await _file(api, email, chats[-1], type="erasure")
    await _complete(api, officer, reference)
    assert api.count("transcript_erasures") == before + len(chats)
    return reference


async def test_delivery_marks_done_audits_and_never_sends_twice(
    api: Api, fake_rasa: FakeRasa, caplog: pytest.LogCaptureFixture
) -> None:
    chats = [conversation(), conversation()]
    fake_rasa.stored.add(chats[0])  # the other one was already gone in Rasa
    reference = await _queue(api, chats)
    svc = configured(api.svc, fake_rasa.url, fake_rasa.token)
    caplog.set_level(logging.INFO)

    run = await deliver_pending(svc)
    assert (run.configured, run.delivered, run.failed, run.pending) == (True, 2, 0, 0)
    assert sorted(fake_rasa.sent_ids()) == sorted(chats)
    assert {item["authorization"] for item in fake_rasa.received} == {f"Bearer {fake_rasa.token}"}
    for row in _rows(api):
        assert (row["attempts"], row["done_at"], row["conversation_id_enc"], row["last_error_code"]) == \
            (1, api.clock.now, None, None)
    audit = [json.loads(d) for (d,) in api.sql(
        "SELECT data FROM audit_entries WHERE action = 'transcript_erased' AND case_reference = :r ORDER BY seq",
        r=reference)]
    assert sorted(item["found"] for item in audit) == [False, True]

    again = await deliver_pending(svc)
    assert (again.delivered, again.failed, again.pending) == (0, 0, 0)
    assert len(fake_rasa.received) == 2
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert reference in logged and not any(chat in logged for chat in chats)
    assert fake_rasa.token not in logged
    assert not any(chat in _all_stored_text(api) for chat in chats)


async def test_failure_backs_off_and_is_retried_later(api: Api, fake_rasa: FakeRasa) -> None:
    chats = [conversation(), conversation(), conversation()]
    await _queue(api, chats)
    svc = configured(api.svc, fake_rasa.url, fake_rasa.token)
    fake_rasa.mode = "unavailable"
    start = api.clock.now

    run = await deliver_pending(svc)
    # Rasa is down: the first try fails and the run stops; the untried rows stay due, with no attempt counted.
    assert (run.delivered, run.failed, run.pending, run.error_codes) == (0, 1, 3, ["unavailable"])
    assert len(fake_rasa.received) == 1
    rows = _rows(api)
    failed = [r for r in rows if r["attempts"] == 1]
    assert len(failed) == 1 and failed[0]["last_error_code"] == "unavailable"
    assert failed[0]["next_attempt_at"] == start + BACKOFF_STEPS[0]
    untried = [r for r in rows if r["attempts"] == 0]
    assert len(untried) == 2 and all(r["next_attempt_at"] <= start and r["last_error_code"] is None for r in untried)

    # Still down a minute later: each row fails once more per try, and waits longer each time.
    api.clock.advance(seconds=61)
    for _ in range(3):
        await deliver_pending(svc)
    rows = _rows(api)
    assert sorted(r["attempts"] for r in rows) == [1, 1, 2]
    assert [r["next_attempt_at"] for r in rows if r["attempts"] == 2] == [api.clock.now + BACKOFF_STEPS[1]]

    # Rasa is back: before the back-off ends nothing is retried; afterwards every row goes, once.
    fake_rasa.mode = "ok"
    before = len(fake_rasa.received)
    api.clock.advance(seconds=30)
    run = await deliver_pending(svc)
    assert run.delivered == 0 and len(fake_rasa.received) == before
    api.clock.advance(minutes=5)
    run = await deliver_pending(svc)
    assert (run.delivered, run.failed, run.pending) == (3, 0, 0)
    assert sorted(item["body"]["conversation_id"] for item in fake_rasa.received[before:]) == sorted(chats)
    assert sorted(r["attempts"] for r in _rows(api)) == [2, 2, 3]


async def test_a_wrong_token_is_401_and_stops_the_run(
    api: Api, fake_rasa: FakeRasa, caplog: pytest.LogCaptureFixture
) -> None:
    await _queue(api, [conversation(), conversation()])
    svc = configured(api.svc, fake_rasa.url, "not-the-token-" + secrets.token_urlsafe(24))
    caplog.set_level(logging.WARNING, logger="backend.transcripts")
    run = await deliver_pending(svc)
    assert (run.delivered, run.failed, run.error_codes, run.pending) == (0, 1, ["unauthorized"], 2)
    assert len(fake_rasa.received) == 1
    assert sorted(str(r["last_error_code"]) for r in _rows(api)) == ["None", "unauthorized"]
    assert any("TRANSCRIPT_ERASE_TOKEN" in r.getMessage() for r in caplog.records if r.levelno == logging.ERROR)
    # Token fixed: the untried row goes at once, the refused one after its back-off.
    fixed = configured(api.svc, fake_rasa.url, fake_rasa.token)
    assert (await deliver_pending(fixed)).delivered == 1
    api.clock.advance(minutes=2)
    assert (await deliver_pending(fixed)).delivered == 1
    assert all(r["done_at"] is not None for r in _rows(api))


async def test_unreachable_rasa_backs_off(api: Api) -> None:
    await _queue(api, [conversation()])
    closed = f"http://127.0.0.1:{_closed_port()}{ERASE_PATH}"
    run = await deliver_pending(configured(api.svc, closed, "t" * 40))
    assert (run.failed, run.error_codes, run.pending) == (1, ["connection_error"], 1)
    assert [(r["attempts"], r["last_error_code"]) for r in _rows(api)] == [(1, "connection_error")]


def _closed_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]  # closed again when the block ends: nothing listens there


async def test_without_a_token_nothing_is_sent_and_rows_stay_pending(
    api: Api, fake_rasa: FakeRasa, caplog: pytest.LogCaptureFixture
) -> None:
    await _queue(api, [conversation(), conversation()])
    caplog.set_level(logging.WARNING, logger="backend.transcripts")
    run = await deliver_pending(configured(api.svc, fake_rasa.url, ""))
    assert (run.configured, run.delivered, run.failed, run.pending) == (False, 0, 0, 2)
    assert fake_rasa.received == []
    assert [(r["attempts"], r["done_at"], r["last_error_code"]) for r in _rows(api)] == [(0, None, None)] * 2
    assert any("TRANSCRIPT_ERASE_TOKEN is not set: 2 transcript erasure(s) left pending" in r.getMessage()
               for r in caplog.records)


async def test_runners_at_the_same_time_send_each_conversation_once(api: Api, fake_rasa: FakeRasa) -> None:
    chats = [conversation() for _ in range(6)]
    await _queue(api, chats)
    fake_rasa.mode = "slow"
    svc = configured(api.svc, fake_rasa.url, fake_rasa.token)
    runs = await asyncio.gather(deliver_pending(svc), deliver_pending(svc), deliver_pending(svc))
    assert sum(run.delivered for run in runs) == 6
    assert sorted(fake_rasa.sent_ids()) == sorted(chats)  # each exactly once
    assert len(api.sql("SELECT id FROM audit_entries WHERE action = 'transcript_erased'")) == 6


async def test_a_claim_left_by_a_crashed_runner_is_retried_after_the_lease(api: Api, fake_rasa: FakeRasa) -> None:
    from backend.services.transcripts import _claim_tx

    chats = [conversation()]
    await _queue(api, chats)
    svc = configured(api.svc, fake_rasa.url, fake_rasa.token)
    claimed = await svc.db.run(_claim_tx, svc, svc.now(), 10)  # a runner claims the row, then dies
    assert [item.conversation_id for item in claimed] == chats
    assert (await deliver_pending(svc)).delivered == 0 and fake_rasa.received == []
    api.clock.advance(seconds=CLAIM_LEASE.total_seconds() - 1)
    assert (await deliver_pending(svc)).delivered == 0
    api.clock.advance(seconds=1)
    assert (await deliver_pending(svc)).delivered == 1 and fake_rasa.sent_ids() == chats


async def test_the_scheduler_tick_delivers(api: Api, fake_rasa: FakeRasa) -> None:
    chats = [conversation()]
    await _queue(api, chats)
    scheduler = AlertScheduler(configured(api.svc, fake_rasa.url, fake_rasa.token), AlertSettings())
    await scheduler.tick()
    assert fake_rasa.sent_ids() == chats and scheduler.ticks == 1
    assert all(r["done_at"] is not None for r in _rows(api))


async def test_cli_transcripts_deliver(api: Api, fake_rasa: FakeRasa) -> None:
    chats = [conversation(), conversation()]
    await _queue(api, chats)
    _set_due(api, datetime(2020, 1, 1, tzinfo=timezone.utc))  # the CLI runs on the real clock
    env = {
        **os.environ, "APP_ENV": "test", "DATABASE_URL": api.settings.database_url,
        "BACKEND_SERVICE_TOKEN": api.settings.service_token,
        "FIELD_ENCRYPTION_KEYS": ",".join(api.settings.field_encryption_keys),
        "BLIND_INDEX_KEY": api.settings.blind_index_key, "OUTBOX_DIR": str(api.settings.outbox_dir),
        "SMTP_HOST": "", "TRANSCRIPT_ERASE_URL": fake_rasa.url, "TRANSCRIPT_ERASE_TOKEN": "",
    }

    async def cli(*args: str, **extra: str) -> tuple[int, str, str]:
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "backend", "transcripts", "deliver", *args, env={**env, **extra},
            cwd=str(PROJECT_ROOT), stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
        )
        out, err = await asyncio.wait_for(process.communicate(), timeout=120)
        return process.returncode or 0, out.decode(), err.decode()

    code, out, _err = await cli()
    assert code == 1 and "TRANSCRIPT_ERASE_TOKEN is not set" in out and "2 transcript erasure(s) left pending" in out
    assert fake_rasa.received == []
    code, out, err = await cli("--json", TRANSCRIPT_ERASE_TOKEN=fake_rasa.token)
    assert code == 0, err
    assert json.loads(out) == {"configured": True, "delivered": 2, "failed": 0, "pending": 0, "error_codes": []}
    assert sorted(fake_rasa.sent_ids()) == sorted(chats)
    assert not any(chat in err for chat in chats)
    code, out, _err = await cli(TRANSCRIPT_ERASE_TOKEN=fake_rasa.token)
    assert code == 0 and out.strip() == "delivered 0, failed 0, still pending 0"


# --- end to end: the backend's delivery against the real Rasa channel ------------------------------

async def test_delivery_erases_the_transcript_in_the_real_rasa_channel(api: Api, tmp_path: Path) -> None:
    from tests.bot.test_transcript_channel import sqlite_endpoint, start_rasa

    token = "erase-" + secrets.token_urlsafe(32)
    rasa = await start_rasa(sqlite_endpoint(tmp_path / "trackers.db"), token)
    try:
        linked, unrelated = conversation(), conversation()
        await rasa.save_conversation(linked)
        await rasa.save_conversation(unrelated)
        reference = await _queue(api, [linked])
        assert await rasa.stored(linked)

        run = await deliver_pending(configured(api.svc, rasa.url, token))
        assert (run.delivered, run.failed, run.pending) == (1, 0, 0)
        assert not await rasa.stored(linked)
        assert await rasa.stored(unrelated)
        audit = api.sql("SELECT data FROM audit_entries WHERE action = 'transcript_erased' AND case_reference = :r",
                        r=reference)
        assert [json.loads(d)["found"] for (d,) in audit] == [True]

        # The wrong token is refused by the real channel, and the row backs off.
        await _queue(api, [unrelated], email="ola@example.no")
        run = await deliver_pending(configured(api.svc, rasa.url, "wrong-" + secrets.token_urlsafe(32)))
        assert run.error_codes == ["unauthorized"] and await rasa.stored(unrelated)
    finally:
        await rasa.close()


# --- configuration ------------------------------------------------------------------------------

def test_settings_read_and_check_the_transcript_erasure_variables(tmp_path: Path) -> None:
    from cryptography.fernet import Fernet

    base = {"BACKEND_SERVICE_TOKEN": "s" * 40, "FIELD_ENCRYPTION_KEYS": Fernet.generate_key().decode(),
            "BLIND_INDEX_KEY": "k" * 32, "SMTP_HOST": "smtp.example.test"}

    def settings(**env: str) -> Settings:
        return Settings.from_env(environ={**base, **env}, env_file=tmp_path / "none.env", root=tmp_path)

    production = settings(APP_ENV="production")
    assert production.transcript_erase_token == "" and production.transcript_erase_url == DEFAULT_TRANSCRIPT_ERASE_URL
    assert not (tmp_path / "var").exists()  # nothing generated outside development
    with pytest.raises(ConfigError, match="TRANSCRIPT_ERASE_TOKEN"):
        settings(APP_ENV="production", TRANSCRIPT_ERASE_TOKEN="short")
    with pytest.raises(ConfigError, match="TRANSCRIPT_ERASE_URL"):
        settings(APP_ENV="production", TRANSCRIPT_ERASE_URL="ftp://rasa/erase")
    custom = settings(APP_ENV="production", TRANSCRIPT_ERASE_TOKEN="x" * 40, TRANSCRIPT_ERASE_URL="https://r/e")
    assert (custom.transcript_erase_token, custom.transcript_erase_url) == ("x" * 40, "https://r/e")
    assert "x" * 40 not in repr(custom)

    first = settings(APP_ENV="development")
    second = settings(APP_ENV="development")
    assert len(first.transcript_erase_token) >= 32 and first.transcript_erase_token == second.transcript_erase_token
    assert f"TRANSCRIPT_ERASE_TOKEN={first.transcript_erase_token}" in (tmp_path / "var" / "dev-secrets.env").read_text()


def test_make_run_gives_backend_and_rasa_the_same_token(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import backend.config
    from scripts.run_all import child_env

    monkeypatch.setattr(backend.config, "PROJECT_ROOT", tmp_path)  # var/dev-secrets.env goes to tmp_path
    for name in ("APP_ENV", "BACKEND_SERVICE_TOKEN", "FIELD_ENCRYPTION_KEYS", "BLIND_INDEX_KEY", "DATABASE_URL",
                 "TRANSCRIPT_ERASE_TOKEN", "TRANSCRIPT_ERASE_URL", "BIND_HOST"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("RASA_PORT", "5099")
    env = child_env()
    generated = (tmp_path / "var" / "dev-secrets.env").read_text()
    assert env["TRANSCRIPT_ERASE_TOKEN"] and f"TRANSCRIPT_ERASE_TOKEN={env['TRANSCRIPT_ERASE_TOKEN']}" in generated
    assert env["TRANSCRIPT_ERASE_URL"] == "http://127.0.0.1:5099/webhooks/transcripts/erase"
    # The backend child reads the same file and gets the same token.
    assert Settings.from_env(environ=env, root=tmp_path).transcript_erase_token == env["TRANSCRIPT_ERASE_TOKEN"]
    # An explicit token and URL are passed on untouched.
    monkeypatch.setenv("TRANSCRIPT_ERASE_TOKEN", "e" * 40)
    monkeypatch.setenv("TRANSCRIPT_ERASE_URL", "http://rasa.internal:5005/webhooks/transcripts/erase")
    env = child_env()
    assert env["TRANSCRIPT_ERASE_TOKEN"] == "e" * 40
    assert env["TRANSCRIPT_ERASE_URL"] == "http://rasa.internal:5005/webhooks/transcripts/erase"
