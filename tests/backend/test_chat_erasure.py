"""A chat's own transcript erasure ("forget this conversation"): POST /api/v1/conversations/erasure queues a
row without a case in the transcript-erasure outbox and delivers it at once to a real HTTP server standing in
for Rasa's webhook (and to the real Rasa channel). Every test runs on SQLite and on PostgreSQL."""

from __future__ import annotations

import asyncio
import json
import logging
import secrets
from dataclasses import replace
from pathlib import Path
from typing import Any, AsyncIterator

import pytest
from aiohttp.test_utils import TestClient, TestServer

from backend.app import create_app
from backend.services.transcripts import BACKOFF_STEPS, deliver_pending

from .conftest import Api
from .test_transcript_erasure import FakeRasa, _all_stored_text, _rows, configured, conversation, fake_rasa  # noqa: F401

PATH = "/api/v1/conversations/erasure"


async def _ask(api: Api, body: Any, token: Any = "service") -> tuple[int, Any]:
    return await api.post(PATH, body, token=token)


@pytest.fixture
async def wired(api: Api, fake_rasa: FakeRasa) -> AsyncIterator[Api]:
    """The same database, clock and keys as `api`, with transcript delivery pointed at the fake Rasa."""
    svc = configured(api.svc, fake_rasa.url, fake_rasa.token)
    async with TestClient(TestServer(create_app(svc.settings, svc), host="127.0.0.1", port=0)) as client:
        yield replace(api, client=client, svc=svc, settings=svc.settings)


def _audit(api: Api, action: str) -> list[tuple[Any, dict[str, Any]]]:
    rows = api.sql("SELECT case_reference, data FROM audit_entries WHERE action = :a ORDER BY seq", a=action)
    return [(reference, json.loads(data)) for reference, data in rows]


async def test_the_service_token_is_required(api: Api) -> None:
    chat = conversation()
    assert (await _ask(api, {"conversation_id": chat}, token=None))[0] == 401
    assert (await _ask(api, {"conversation_id": chat}, token="not-the-token-" + secrets.token_urlsafe(16)))[0] == 401
    status, answer = await _ask(api, {"conversation_id": chat}, token=await api.staff_token())
    assert status == 403 and answer["error"]["code"] == "forbidden"
    assert api.count("transcript_erasures") == 0


@pytest.mark.parametrize("body, code", [
    ({}, "missing_field"),
    ({"conversation_id": None}, "missing_field"),
    ({"conversation_id": ""}, "invalid_conversation_id"),
    ({"conversation_id": "a" * 256}, "invalid_conversation_id"),
    ({"conversation_id": "web 1"}, "invalid_conversation_id"),
    ({"conversation_id": "web-1\n"}, "invalid_conversation_id"),
    ({"conversation_id": "<script>"}, "invalid_conversation_id"),
    ({"conversation_id": 42}, "invalid_conversation_id"),
    ({"conversation_id": ["web-1"]}, "invalid_conversation_id"),
    ({"conversation_id": "web-1", "email": "kari@example.no"}, "unknown_field"),
])
async def test_the_conversation_id_is_checked(api: Api, body: Any, code: str) -> None:
    status, answer = await _ask(api, body)
    assert status == 400 and answer["error"]["code"] == code, answer
    assert api.count("transcript_erasures") == 0


async def test_delivered_at_once_audited_and_never_stored_in_clear(
    wired: Api, fake_rasa: FakeRasa, caplog: pytest.LogCaptureFixture
) -> None:
    chat = conversation()
    fake_rasa.stored.add(chat)
    caplog.set_level(logging.INFO)
    status, answer = await _ask(wired, {"conversation_id": chat})
    assert (status, answer) == (202, {"delivered": True})
    # Delivered before the answer came back: Rasa already got it, with the shared token.
    assert fake_rasa.received == [{"authorization": f"Bearer {fake_rasa.token}", "body": {"conversation_id": chat}}]
    assert chat not in fake_rasa.stored
    [row] = _rows(wired)
    assert (row["case_id"], row["attempts"], row["done_at"], row["conversation_id_enc"], row["last_error_code"]) == \
        (None, 1, wired.clock.now, None, None)
    assert _audit(wired, "chat_erasure_requested") == [(None, {"erasure_id": row["id"]})]
    assert _audit(wired, "transcript_erased") == [(None, {"erasure_id": row["id"], "found": True})]
    assert chat not in _all_stored_text(wired)
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert "asked in the chat delivered" in logged and chat not in logged and fake_rasa.token not in logged
    ok, report = await wired.get("/api/v1/staff/audit/verify", token=await wired.staff_token())
    assert report["ok"] is True
    # Nothing left for the sweep.
    assert (await deliver_pending(wired.svc)).pending == 0 and len(fake_rasa.received) == 1


async def test_a_retry_reuses_the_pending_row_and_the_sweep_delivers_it(wired: Api, fake_rasa: FakeRasa) -> None:
    chat = conversation()
    fake_rasa.mode = "unavailable"
    assert await _ask(wired, {"conversation_id": chat}) == (202, {"delivered": False})
    assert await _ask(wired, {"conversation_id": chat}) == (202, {"delivered": False})  # the action server retries
    [row] = _rows(wired)
    assert (row["case_id"], row["attempts"], row["last_error_code"], row["done_at"]) == (None, 1, "unavailable", None)
    assert row["next_attempt_at"] == wired.clock.now + BACKOFF_STEPS[0]
    assert len(fake_rasa.received) == 1  # the retry did not send again while the row backs off
    assert len(_audit(wired, "chat_erasure_requested")) == 1

    # Rasa is back: the sweep delivers the one row once its back-off ends, and a retry then reuses it at once.
    fake_rasa.mode = "ok"
    assert (await deliver_pending(wired.svc)).delivered == 0
    wired.clock.advance(seconds=61)
    assert await _ask(wired, {"conversation_id": chat}) == (202, {"delivered": True})
    assert (await deliver_pending(wired.svc)).delivered == 0
    assert [r["done_at"] is not None for r in _rows(wired)] == [True]
    assert fake_rasa.sent_ids() == [chat, chat]

    # Asked again later (a new conversation under the same id): a new row, delivered again.
    assert await _ask(wired, {"conversation_id": chat}) == (202, {"delivered": True})
    assert [r["done_at"] is not None for r in _rows(wired)] == [True, True]


async def test_requests_at_the_same_time_queue_one_row(wired: Api, fake_rasa: FakeRasa) -> None:
    chat = conversation()
    fake_rasa.mode = "slow"
    answers = await asyncio.gather(*[_ask(wired, {"conversation_id": chat}) for _ in range(4)])
    assert all(status == 202 for status, _ in answers)
    assert sum(answer["delivered"] for _, answer in answers) >= 1
    assert len(_rows(wired)) == 1 and fake_rasa.sent_ids() == [chat]


async def test_without_a_token_the_request_waits_for_the_sweep(api: Api, fake_rasa: FakeRasa) -> None:
    chat = conversation()
    assert await _ask(api, {"conversation_id": chat}) == (202, {"delivered": False})
    [row] = _rows(api)
    assert (row["attempts"], row["done_at"], row["next_attempt_at"]) == (0, None, api.clock.now)
    assert fake_rasa.received == []
    run = await deliver_pending(configured(api.svc, fake_rasa.url, fake_rasa.token))
    assert (run.delivered, run.pending) == (1, 0) and fake_rasa.sent_ids() == [chat]


async def test_the_action_servers_client_and_the_real_rasa_channel(api: Api, tmp_path: Path) -> None:
    """actions/backend_client.py -> this backend -> bot/channels/transcripts.py on Rasa's own app and the
    redacting tracker store: the conversation is gone, another one is not."""
    from actions.backend_client import BackendClient, BackendConfig
    from tests.bot.test_transcript_channel import sqlite_endpoint, start_rasa

    token = "erase-" + secrets.token_urlsafe(32)
    rasa = await start_rasa(sqlite_endpoint(tmp_path / "trackers.db"), token)
    svc = configured(api.svc, rasa.url, token)
    try:
        async with TestClient(TestServer(create_app(svc.settings, svc), host="127.0.0.1", port=0)) as backend:
            client = BackendClient(BackendConfig(base_url=str(backend.make_url("")).rstrip("/"),
                                                 service_token=api.service_token))
            try:
                forgotten, kept = conversation(), conversation()
                await rasa.save_conversation(forgotten)
                await rasa.save_conversation(kept)
                assert await client.erase_conversation(forgotten) is True
                assert not await rasa.stored(forgotten) and await rasa.stored(kept)
                assert _audit(api, "transcript_erased")[-1][1]["found"] is True
            finally:
                await client.close()
    finally:
        await rasa.close()
