"""`action_forget_conversation` through the real erasure path: the action -> the backend (a real process,
POST /api/v1/conversations/erasure) -> Rasa's transcript channel (bot/channels/transcripts.py on Rasa's own
app) -> the redacting tracker store on SQLite. And with the backend down: a clear answer, nothing queued."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import AsyncIterator

import pytest
from rasa.shared.core.events import UserUttered

from actions.backend_client import BackendClient, BackendConfig, RetryPolicy, set_backend_client
from tests.actions.flow_harness import BackendProcess, Conversation, use_backend
from tests.bot.test_transcript_channel import RunningRasa, sqlite_endpoint, start_rasa
from tests.support import free_port

TOKEN = "forget-test-erase-token-0123456789"


@pytest.fixture
async def rasa(tmp_path: Path) -> AsyncIterator[RunningRasa]:
    running = await start_rasa(sqlite_endpoint(tmp_path / "trackers.db"), TOKEN)
    yield running
    await running.close()


def _erasure_rows(backend: BackendProcess) -> list[tuple]:
    with sqlite3.connect(backend.workdir / "backend.db") as db:
        return db.execute("SELECT case_id, attempts, done_at IS NOT NULL, conversation_id_enc IS NULL "
                          "FROM transcript_erasures").fetchall()


async def test_forget_conversation_erases_the_stored_conversation(rasa: RunningRasa, tmp_path: Path) -> None:
    backend = BackendProcess(tmp_path / "backend")
    backend.env.update(TRANSCRIPT_ERASE_URL=rasa.url, TRANSCRIPT_ERASE_TOKEN=TOKEN)
    backend.migrate()
    backend.start()
    client = use_backend(backend)
    try:
        conv = Conversation("nb")
        other = Conversation("nb")
        await rasa.save_conversation(conv.sender, "hei")
        await rasa.save_conversation(other.sender)
        assert await rasa.stored(conv.sender)
        conv.set_message("/forget_conversation", "forget_conversation", 1.0)
        events = await conv.run("action_forget_conversation")
        assert "samtalen er slettet" in conv.said()
        # Erased before the action answered (Rasa saves the turn afterwards, behind the tombstone).
        again = await rasa.agent.tracker_store.retrieve(conv.sender)
        assert again is None or not [e for e in again.events if isinstance(e, UserUttered)]
        assert await rasa.stored(other.sender)
        # One chat request in the backend's outbox, delivered, its conversation id dropped.
        assert _erasure_rows(backend) == [(None, 1, 1, 1)]
        # The answers are forgotten, as the rules expect (flow and filing_status reset, no question pending).
        slots = {e["name"]: e["value"] for e in events if e.get("event") == "slot"}
        assert slots["flow"] is None and slots["filing_status"] is None and slots["requested_slot"] is None
    finally:
        await client.close()
        set_backend_client(None)
        backend.stop()


@pytest.mark.parametrize("lang, failed", [("sv", "kunde inte raderas"), ("nb", "kunne ikke slettes"),
                                          ("en", "could not be erased")])
async def test_backend_down_gets_a_clear_answer(lang: str, failed: str) -> None:
    closed = f"http://127.0.0.1:{free_port()}"  # nothing listens there
    client = BackendClient(BackendConfig(base_url=closed, service_token="t" * 32,
                                         retry=RetryPolicy(timeout_seconds=1, attempts=2, backoff_seconds=0.01)))
    set_backend_client(client)
    try:
        conv = Conversation(lang)
        conv.set_message("/forget_conversation", "forget_conversation", 1.0)
        events = await conv.run("action_forget_conversation")
        assert failed in conv.said() and "slettet" not in conv.said() and "raderad" not in conv.said()
        slots = {e["name"]: e["value"] for e in events if e.get("event") == "slot"}
        assert slots["flow"] is None and slots["filing_status"] is None
    finally:
        await client.close()
        set_backend_client(None)


def test_no_action_module_imports_the_tracker_store() -> None:
    """Not even inside a function (the import check in test_policy.py only sees module-level imports): the
    action server reaches the tracker store only through the backend and Rasa's transcript channel."""
    import ast

    root = Path(__file__).resolve().parents[2] / "actions"
    found = []
    for path in sorted(root.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else \
                [node.module or ""] if isinstance(node, ast.ImportFrom) else []
            found += [f"{path.name}: {name}" for name in names if name.startswith(("bot.tracker_store", "rasa."))
                      or name == "rasa"]
    assert found == []
