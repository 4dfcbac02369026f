"""The transcript erasure channel on a real Sanic server built the way `rasa run` builds it
(`rasa.core.run.configure_app` + an `Agent` whose tracker store comes from an endpoint config, i.e.
FailSafeTrackerStore -> AwaitableTrackerStore -> RedactingSQLTrackerStore), on SQLite and PostgreSQL.

`start_rasa` is also used by tests/backend/test_transcript_erasure.py to wire the backend's delivery to it.
"""

from __future__ import annotations

import logging
import re
import secrets
import socket
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Dict, Iterator, Optional

import aiohttp
import pytest
import sqlalchemy as sa
import yaml
from cryptography.fernet import Fernet
from rasa.core.agent import Agent
from rasa.core.run import _create_single_channel, configure_app
from rasa.core.tracker_store import InMemoryTrackerStore, TrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, SessionStarted, SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.utils.endpoints import EndpointConfig
from sanic import Sanic

from bot.channels.transcripts import CONVERSATION_ID_RE, TranscriptErasureInput, erasing_store, short_hash
from bot.tracker_store import RedactingSQLTrackerStore
from tests.support import scratch_postgres_database

ROOT = Path(__file__).resolve().parents[2]
EMAIL = "kari.nordmann@example.no"
DOMAIN_YAML = """
version: "3.1"
intents: [greet, request_erasure]
slots:
  requester_email: {type: text, influence_conversation: false, mappings: [{type: custom}]}
responses:
  utter_greet: [{text: "Hei"}]
"""


def domain() -> Domain:
    return Domain.from_yaml(DOMAIN_YAML)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def sqlite_endpoint(path: Path) -> EndpointConfig:
    return EndpointConfig(type="bot.tracker_store.RedactingSQLTrackerStore", dialect="sqlite", db=str(path),
                          encryption_keys=Fernet.generate_key().decode())


def postgres_endpoint(database: str) -> EndpointConfig:
    # The keys of endpoints.production.yml.
    return EndpointConfig(type="bot.tracker_store.RedactingSQLTrackerStore", dialect="postgresql",
                          url="127.0.0.1", port=5432, db=database, username="postgres",
                          encryption_keys=Fernet.generate_key().decode())


@dataclass
class RunningRasa:
    url: str  # the erase endpoint
    token: Optional[str]
    agent: Agent
    app: Sanic
    server: Any

    async def save_conversation(self, sender_id: str, text: str = "Jeg vil slette opplysningene mine") -> None:
        tracker = DialogueStateTracker.from_events(
            sender_id,
            [SessionStarted(), ActionExecuted("action_listen"),
             UserUttered(text, {"name": "request_erasure", "confidence": 0.9}),
             SlotSet("requester_email", EMAIL), ActionExecuted("action_listen")],
            self.agent.domain.slots,
        )
        await self.agent.tracker_store.save(tracker)

    async def stored(self, sender_id: str) -> bool:
        return await self.agent.tracker_store.retrieve(sender_id) is not None

    async def erase(self, body: Any, token: Optional[str] = "default",
                    authorization: Optional[str] = None, raw: Optional[bytes] = None) -> tuple[int, Any]:
        headers: Dict[str, str] = {}
        if authorization is not None:
            headers["Authorization"] = authorization
        elif token is not None:
            headers["Authorization"] = f"Bearer {self.token if token == 'default' else token}"
        async with aiohttp.ClientSession() as http:
            kwargs: Dict[str, Any] = {"data": raw, "headers": {**headers, "Content-Type": "application/json"}} \
                if raw is not None else {"json": body, "headers": headers}
            async with http.post(self.url, **kwargs) as resp:
                payload = await resp.json(content_type=None)
                return resp.status, payload

    async def close(self) -> None:
        await self.server.before_stop()
        self.server.close()
        await self.server.wait_closed()
        await self.server.after_stop()
        primary = erasing_store(self.agent.tracker_store)
        if primary is not None:
            primary.engine.dispose()


async def start_rasa(tracker_store: Any, token: Optional[str]) -> RunningRasa:
    """Rasa's own app (no HTTP API, as `rasa run` without --enable-api) with our channel and an agent.

    `tracker_store` is an EndpointConfig (made into a store by Rasa's factory) or a TrackerStore."""
    d = domain()
    store = TrackerStore.create(tracker_store, d) if isinstance(tracker_store, EndpointConfig) else tracker_store
    agent = Agent(domain=d, tracker_store=store)
    channel = TranscriptErasureInput(token=token)
    Sanic.test_mode = True  # several apps with Rasa's fixed app name in one process
    app = configure_app(input_channels=[channel], enable_api=False, route="/webhooks/")
    app.ctx.agent = agent
    port = free_port()
    server = await app.create_server(host="127.0.0.1", port=port, return_asyncio_server=True, access_log=False)
    await server.startup()
    await server.before_start()
    await server.after_start()
    return RunningRasa(f"http://127.0.0.1:{port}/webhooks/transcripts/erase", token, agent, app, server)


# -------------------------------------------------------------------------------------------- fixtures

@pytest.fixture(scope="module")
def pg_database() -> Iterator[str]:
    with scratch_postgres_database("transcripts_test") as name:
        yield name


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def endpoint(request: pytest.FixtureRequest, tmp_path: Path) -> EndpointConfig:
    if request.param == "sqlite":
        return sqlite_endpoint(tmp_path / "trackers.db")
    return postgres_endpoint(request.getfixturevalue("pg_database"))


@pytest.fixture
async def rasa(endpoint: EndpointConfig) -> Any:
    running = await start_rasa(endpoint, "erase-" + secrets.token_urlsafe(32))
    yield running
    await running.close()


def sender() -> str:
    return f"{uuid.uuid4().hex}"


# ----------------------------------------------------------------------------------------------- tests

async def test_erases_the_named_conversation_and_keeps_the_other(
    rasa: RunningRasa, caplog: pytest.LogCaptureFixture
) -> None:
    assert isinstance(erasing_store(rasa.agent.tracker_store), RedactingSQLTrackerStore)  # through Rasa's wrappers
    target, other = sender(), f"29:{uuid.uuid4().hex}|19:{uuid.uuid4().hex[:8]}@thread.v2;messageid=1"
    await rasa.save_conversation(target)
    await rasa.save_conversation(other)
    assert await rasa.stored(target) and await rasa.stored(other)

    caplog.set_level(logging.INFO)
    assert await rasa.erase({"conversation_id": target}) == (200, {"erased": True})
    assert not await rasa.stored(target)
    kept = await rasa.agent.tracker_store.retrieve(other)
    assert kept is not None and kept.get_slot("requester_email") == EMAIL

    # Already gone: still success (idempotent), reported as nothing erased.
    assert await rasa.erase({"conversation_id": target}) == (200, {"erased": False})
    # A Teams-shaped id works too.
    assert await rasa.erase({"conversation_id": other}) == (200, {"erased": True})
    assert not await rasa.stored(other)

    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert short_hash(target) in logged
    assert target not in logged and other not in logged and uuid.UUID(target).hex not in logged


async def test_missing_or_wrong_token_is_401_and_erases_nothing(rasa: RunningRasa) -> None:
    target = sender()
    await rasa.save_conversation(target)
    body = {"conversation_id": target}
    for kwargs in ({"token": None}, {"token": "wrong-" + secrets.token_urlsafe(32)}, {"token": rasa.token + "x"},
                   {"token": rasa.token[:-1]}, {"authorization": f"Basic {rasa.token}"},
                   {"authorization": rasa.token}, {"authorization": "Bearer "}):
        status, answer = await rasa.erase(body, **kwargs)
        assert (status, answer["error"]["code"]) == (401, "unauthorized"), kwargs
    assert await rasa.stored(target)
    # The scheme is case-insensitive, as HTTP says.
    assert await rasa.erase(body, authorization=f"bearer {rasa.token}") == (200, {"erased": True})


async def test_bad_bodies_are_4xx_and_erase_nothing(rasa: RunningRasa) -> None:
    target = sender()
    await rasa.save_conversation(target)
    cases = [
        ({"conversation_id": ""}, 400, "invalid_conversation_id"),
        ({"conversation_id": f"{target} "}, 400, "invalid_conversation_id"),
        ({"conversation_id": f"{target}\n"}, 400, "invalid_conversation_id"),
        ({"conversation_id": "x" * 256}, 400, "invalid_conversation_id"),
        ({"conversation_id": 12345}, 400, "invalid_conversation_id"),
        ({"conversation_id": [target]}, 400, "invalid_conversation_id"),
        ({"conversation_id": "'; DROP TABLE events; --"}, 400, "invalid_conversation_id"),
        ({}, 400, "invalid_conversation_id"),
        ([target], 400, "invalid_json"),
        ({"conversation_id": target, "padding": "x" * 2000}, 413, "payload_too_large"),
    ]
    for body, status, code in cases:
        got_status, answer = await rasa.erase(body)
        assert (got_status, answer["error"]["code"]) == (status, code), body
    status, answer = await rasa.erase(None, raw=b"{not json")
    assert (status, answer["error"]["code"]) == (400, "invalid_json")
    assert await rasa.stored(target)


async def test_unset_token_is_503_with_one_warning(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING, logger="bot.channels.transcripts")
    for token in (None, "", "too-short"):
        caplog.clear()
        running = await start_rasa(sqlite_endpoint(tmp_path / f"t-{uuid.uuid4().hex}.db"), token)
        try:
            target = sender()
            await running.save_conversation(target)
            for presented in (None, "anything", "too-short"):
                status, answer = await running.erase({"conversation_id": target}, token=presented)
                assert (status, answer["error"]["code"]) == (503, "not_configured")
            assert await running.stored(target)
        finally:
            await running.close()
        warnings = [r for r in caplog.records if "TRANSCRIPT_ERASE_TOKEN is not set" in r.getMessage()]
        assert len(warnings) == 1, token


async def test_a_store_that_cannot_erase_is_501() -> None:
    running = await start_rasa(InMemoryTrackerStore(domain()), "erase-" + secrets.token_urlsafe(32))
    try:
        target = sender()
        await running.save_conversation(target)
        status, answer = await running.erase({"conversation_id": target})
        assert (status, answer["error"]["code"]) == (501, "not_supported")
        assert await running.stored(target)
    finally:
        await running.close()


async def test_before_the_agent_is_loaded_it_is_503(tmp_path: Path) -> None:
    running = await start_rasa(sqlite_endpoint(tmp_path / "t.db"), "erase-" + secrets.token_urlsafe(32))
    try:
        del running.app.ctx.agent
        status, answer = await running.erase({"conversation_id": sender()})
        assert (status, answer["error"]["code"]) == (503, "not_ready")
    finally:
        await running.close()


async def test_store_failure_is_503_so_the_backend_retries(tmp_path: Path) -> None:
    running = await start_rasa(sqlite_endpoint(tmp_path / "t.db"), "erase-" + secrets.token_urlsafe(32))
    try:
        target = sender()
        await running.save_conversation(target)
        store = erasing_store(running.agent.tracker_store)
        with store.engine.begin() as conn:
            conn.execute(sa.text("DROP TABLE events"))  # the database is broken now
        status, answer = await running.erase({"conversation_id": target})
        assert (status, answer["error"]["code"]) == (503, "store_unavailable")
    finally:
        await running.close()


def test_credentials_yml_enables_the_channel_with_the_token_from_the_environment(
    monkeypatch: pytest.MonkeyPatch
) -> None:
    credentials = yaml.safe_load((ROOT / "credentials.yml").read_text())
    name = "bot.channels.transcripts.TranscriptErasureInput"
    assert name in credentials and credentials[name] is None  # nothing secret in the file
    monkeypatch.setenv("TRANSCRIPT_ERASE_TOKEN", "t" * 40)
    channel = _create_single_channel(name, credentials[name])  # how `rasa run` creates it
    assert isinstance(channel, TranscriptErasureInput) and channel.configured
    assert channel.name() == "transcripts" and channel.url_prefix() == "transcripts"
    monkeypatch.delenv("TRANSCRIPT_ERASE_TOKEN")
    assert not TranscriptErasureInput.from_credentials(None).configured


def test_the_conversation_id_rule_is_the_same_everywhere() -> None:
    from actions.backend_client import CONVERSATION_ID_RE as ACTIONS_RE
    from backend.schemas import CONVERSATION_ID_RE as BACKEND_RE

    assert CONVERSATION_ID_RE.pattern == BACKEND_RE.pattern == ACTIONS_RE.pattern
    samples = ["a", "web-" + "f" * 32, "29:1AbC-d_e", "29:x|19:y@thread.v2;messageid=17", "a" * 255, "a" * 256,
               "", " a", "a b", "ä", "a\n", "<a>", "a'b", '"a"', "-a", "a%20b"]
    for sample in samples:
        assert bool(CONVERSATION_ID_RE.match(sample)) == bool(BACKEND_RE.match(sample)) == \
            bool(ACTIONS_RE.match(sample)), sample
    assert re.compile(CONVERSATION_ID_RE.pattern).match("a" * 255) and not CONVERSATION_ID_RE.match("a" * 256)
