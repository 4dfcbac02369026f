"""The embedded SQLite tracker store's speed settings (bot/tracker_store.py, `_use_sqlite_settings`) keep its
privacy properties: WAL with synchronous=NORMAL and pooled connections, but nothing erased, purged or scrubbed
stays behind in the -wal file; and the one-query count of stored events is Rasa's own count.

Real SQLite files (and the real PostgreSQL scratch database for the count), read back with plain SQL and as bytes.
"""

from __future__ import annotations

import sqlite3
import time
import uuid
from datetime import timedelta
from pathlib import Path
from typing import Iterator, List

import pytest
import sqlalchemy as sa
from cryptography.fernet import Fernet
from rasa.shared.core.events import ActionExecuted, Event, SessionStarted, SlotSet, UserUttered

from bot.tracker_store import RedactingSQLTrackerStore
from tests.bot.test_tracker_store import _domain, turn, user
from tests.support import scratch_postgres_database

MARK = "zebrafinkar"  # an ordinary word, so redaction keeps it: proof of where the rows' bytes are


def _files(path: Path) -> bytes:
    return b"".join(p.read_bytes() for p in (path, Path(f"{path}-wal")) if p.exists())


@pytest.fixture()
def path(tmp_path: Path) -> Path:
    return tmp_path / "trackers.db"


@pytest.fixture()
def store(path: Path) -> Iterator[RedactingSQLTrackerStore]:
    made = RedactingSQLTrackerStore(domain=_domain(), host=f"sqlite:///{path}",
                                    encryption_keys=Fernet.generate_key().decode())
    yield made
    made.engine.dispose()


def test_wal_normal_sync_secure_delete_and_a_pool(store: RedactingSQLTrackerStore, path: Path) -> None:
    with store.engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert connection.exec_driver_sql("PRAGMA synchronous").scalar() == 1  # NORMAL
        assert connection.exec_driver_sql("PRAGMA secure_delete").scalar() == 1
    assert isinstance(store.engine.pool, sa.pool.QueuePool)
    with sqlite3.connect(path) as other:  # the mode is in the file: the action server's store sees it too
        assert other.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


async def test_an_erased_conversation_leaves_no_bytes_in_the_database_or_the_wal(
        store: RedactingSQLTrackerStore, path: Path) -> None:
    sender = f"web-{uuid.uuid4().hex}"
    for _ in range(3):
        await turn(store, sender, [user(f"frågar om {MARK} igen"), ActionExecuted("action_listen")])
    assert MARK.encode() in _files(path)  # the rows are there (in the -wal file or the database)
    assert store.erase_conversation(sender)
    assert not Path(f"{path}-wal").exists() or Path(f"{path}-wal").stat().st_size == 0
    assert MARK.encode() not in _files(path)  # while the store's connections are still open


async def test_retention_leaves_no_bytes_of_the_deleted_conversation(store: RedactingSQLTrackerStore, path: Path) -> None:
    old = time.time() - 40 * 86400
    tracker = store.init_tracker(f"old-{uuid.uuid4().hex}")
    for event in [ActionExecuted("action_session_start", timestamp=old), SessionStarted(timestamp=old),
                  UserUttered(f"om {MARK}", timestamp=old + 1)]:
        tracker.update(event)
    await store.save(tracker)
    assert MARK.encode() in _files(path)
    assert store.delete_conversations_older_than(timedelta(days=30)) == 1
    assert MARK.encode() not in _files(path)


async def test_a_scrubbed_token_leaves_no_copy_in_the_wal(store: RedactingSQLTrackerStore, path: Path) -> None:
    sender = f"web-{uuid.uuid4().hex}"
    await turn(store, sender, [user("x"), SlotSet("requester_email", "anna@example.se")])
    with sqlite3.connect(path) as raw:
        (data,) = raw.execute("SELECT data FROM events WHERE data LIKE '%x_private_token\": \"%'").fetchone()
    token = data.split('"x_private_token": "', 1)[1].split('"', 1)[0]
    assert token.encode() in _files(path)
    await turn(store, sender, [user("klar"), SlotSet("requester_email", None)])  # the form ends: scrubbed
    assert token.encode() not in _files(path)


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def any_store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[RedactingSQLTrackerStore]:
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 't.db'}"
    else:
        url = request.getfixturevalue("pg_url")
    made = RedactingSQLTrackerStore(domain=_domain(), host=url, encryption_keys=Fernet.generate_key().decode())
    yield made
    made.engine.dispose()


@pytest.fixture(scope="module")
def pg_url() -> Iterator[str]:
    """A scratch database on the local PostgreSQL server, dropped afterwards."""
    with scratch_postgres_database("tracker_sqlite_test") as name:
        yield f"postgresql://postgres@127.0.0.1:5432/{name}"


async def test_the_stored_count_is_rasas_count(any_store: RedactingSQLTrackerStore) -> None:
    store = any_store
    sender = f"web-{uuid.uuid4().hex}"

    def both() -> List[object]:
        with store.session_scope() as session:
            rasa = store._event_query(session, sender, fetch_events_from_all_sessions=False).count()
            # The rows the store reads back are Rasa's query's rows, in its order, for both kinds of read.
            for every, ours in ((False, store._statements.session_events), (True, store._statements.all_events)):
                expected = [row.data for row in store._event_query(session, sender, every)]
                assert [data for (data,) in session.execute(ours, {"sender_id": sender})] == expected
            return [rasa, *store._stored_count_and_erasure(session, sender)]

    assert both() == [0, 0, None]
    tracker = store.init_tracker(sender)
    events: List[Event] = [user("a"), ActionExecuted("action_listen"), user("b")]  # no SessionStarted yet
    for event in events:
        tracker.update(event)
    await store.save(tracker)
    assert both() == [3, 3, None]
    await turn(store, sender, [ActionExecuted("action_session_start"), SessionStarted(), user("c")])
    rasa, ours, erased = both()
    assert rasa == ours and erased is None and 0 < ours < 6
    store.erase_conversation(sender)
    rasa, ours, erased = both()
    assert rasa == ours == 0 and isinstance(erased, float)
