"""Engine, sessions and the bridge from async handlers to blocking ORM work.

Why a thread pool: SQLAlchemy 1.4's ORM is blocking. Handlers call `db.run(fn, *args)`, which runs
`fn(session, *args)` in a worker thread inside one short transaction, so the event loop stays free.

SQLite: write transactions start with `BEGIN IMMEDIATE`, which takes the database's write lock at the
start instead of at the first write. That serialises writers (across threads *and* processes, e.g. the
server and a `purge` run) and avoids the "database is locked" upgrade failure of deferred transactions;
`busy_timeout` makes waiting writers queue instead of failing. WAL lets readers proceed meanwhile.
PostgreSQL: ordinary READ COMMITTED transactions; services lock rows they must serialise on
(`SELECT ... FOR UPDATE`, e.g. the audit chain head).
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Callable, Iterator, Optional, TypeVar

from sqlalchemy import create_engine, event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.pool import QueuePool, StaticPool

T = TypeVar("T")

SQLITE_BUSY_TIMEOUT_MS = 30_000


def _make_engine(url: str, *, immediate: bool, pool_size: int) -> Engine:
    if url.startswith("sqlite"):
        memory = ":memory:" in url or url in ("sqlite://", "sqlite:///")
        engine = create_engine(
            url,
            future=True,
            connect_args={"check_same_thread": False, "timeout": SQLITE_BUSY_TIMEOUT_MS / 1000},
            poolclass=StaticPool if memory else QueuePool,
            **({} if memory else {"pool_size": pool_size, "max_overflow": pool_size}),
        )

        @event.listens_for(engine, "connect")
        def _on_connect(dbapi_connection: Any, _record: Any) -> None:
            # Take transaction control away from pysqlite so our BEGIN below is the one that runs.
            dbapi_connection.isolation_level = None
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
            if not memory:
                cursor.execute("PRAGMA journal_mode=WAL")
                cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.close()

        begin_sql = "BEGIN IMMEDIATE" if immediate else "BEGIN"

        @event.listens_for(engine, "begin")
        def _on_begin(conn: Any) -> None:
            conn.exec_driver_sql(begin_sql)

        return engine
    return create_engine(
        url,
        future=True,
        pool_size=pool_size,
        max_overflow=pool_size,
        pool_pre_ping=True,
        pool_timeout=30,
    )


AFTER_COMMIT_KEY = "after_commit"


def after_commit(session: Session, callback: Callable[[], Any]) -> None:
    """Run `callback` on the event loop once the transaction of `session` has committed (`Database.run`)."""
    session.info.setdefault(AFTER_COMMIT_KEY, []).append(callback)


class Database:
    """One database: engines, session factories and the worker threads that use them."""

    def __init__(self, url: str, *, pool_size: int = 10, workers: Optional[int] = None) -> None:
        self.url = url
        self.is_sqlite = url.startswith("sqlite")
        self.engine = _make_engine(url, immediate=True, pool_size=pool_size)
        # SQLite readers do not need the write lock; PostgreSQL uses one engine for both.
        self.read_engine = (
            _make_engine(url, immediate=False, pool_size=pool_size)
            if self.is_sqlite and ":memory:" not in url
            else self.engine
        )
        self._write_sessions = sessionmaker(bind=self.engine, future=True, expire_on_commit=False)
        self._read_sessions = sessionmaker(bind=self.read_engine, future=True, expire_on_commit=False)
        # SQLite: writers of this process queue on a lock (prompt hand-over) instead of in SQLite's
        # busy handler, which sleeps in growing steps; BEGIN IMMEDIATE still guards other processes.
        self._write_lock: Optional[threading.Lock] = threading.Lock() if self.is_sqlite else None
        # Fewer threads than pooled connections, so a thread never waits for a connection.
        self.executor = ThreadPoolExecutor(max_workers=workers or pool_size, thread_name_prefix="db")

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    @contextlib.contextmanager
    def session(self, *, write: bool = True) -> Iterator[Session]:
        """A session in one transaction: committed on success, rolled back on any exception."""
        factory = self._write_sessions if write else self._read_sessions
        lock = self._write_lock if write else None
        if lock is not None:
            lock.acquire()
        session = factory()
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise
        finally:
            session.close()
            if lock is not None:
                lock.release()

    def _call_collecting(self, fn: Callable[..., T], *args: Any, write: bool = True) -> tuple[T, list[Callable[[], Any]]]:
        with self.session(write=write) as session:
            result = fn(session, *args)
            callbacks = list(session.info.get(AFTER_COMMIT_KEY, ()))
        return result, callbacks  # the `with` committed: the callbacks may run

    def call(self, fn: Callable[..., T], *args: Any, write: bool = True) -> T:
        """Run `fn(session, *args)` in one transaction on the calling thread. After-commit callbacks are not
        run here (they need the event loop); what they would do must also happen without them (e.g. queued
        e-mail is sent by the sweep, backend/services/notify.py)."""
        return self._call_collecting(fn, *args, write=write)[0]

    async def run(self, fn: Callable[..., T], *args: Any, write: bool = True) -> T:
        """Run `fn(session, *args)` in one transaction on a worker thread, then, on the event loop, the
        callbacks it registered with `after_commit` (only if the transaction committed)."""
        loop = asyncio.get_running_loop()
        result, callbacks = await loop.run_in_executor(
            self.executor, functools.partial(self._call_collecting, fn, *args, write=write)
        )
        for callback in callbacks:
            callback()
        return result

    async def run_blocking(self, fn: Callable[..., T], *args: Any) -> T:
        """Run any blocking callable (no session) on the worker threads, e.g. Argon2 hashing."""
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self.executor, functools.partial(fn, *args))

    def dispose(self) -> None:
        self.executor.shutdown(wait=True)
        self.engine.dispose()
        if self.read_engine is not self.engine:
            self.read_engine.dispose()

