"""Business rules of the case backend.

`Services` bundles what the rules need (settings, database, cipher, blind index, mailer, clock) so
handlers, the CLI and tests share one object. The clock is injectable: tests move time instead of
sleeping, which is how code expiry and rate-limit windows are tested.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, Awaitable, Callable, Optional

from backend.config import Settings
from backend.crypto import BlindIndex, FieldCipher
from backend.db import Database

log = logging.getLogger("backend.services")

Clock = Callable[[], datetime]


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


@dataclass
class Services:
    settings: Settings
    db: Database
    cipher: FieldCipher
    index: BlindIndex
    mailer: Any
    clock: Clock = utcnow
    # Argon2id uses 64 MiB per hash: bound how many run at once, so receipt checks cannot exhaust memory.
    argon2_slots: int = 2
    _background: set[asyncio.Task[Any]] = field(default_factory=set, repr=False)
    _argon2_semaphore: Optional[asyncio.Semaphore] = field(default=None, repr=False)

    def now(self) -> datetime:
        moment = self.clock()
        if moment.tzinfo is None:
            raise ValueError("the clock must return timezone-aware datetimes")
        return moment.astimezone(timezone.utc)

    @property
    def argon2_semaphore(self) -> asyncio.Semaphore:
        # Created lazily so it binds to the running event loop, not the one current at construction.
        if self._argon2_semaphore is None:
            self._argon2_semaphore = asyncio.Semaphore(self.argon2_slots)
        return self._argon2_semaphore

    def spawn(self, coro: Awaitable[Any], what: str) -> None:
        """Run a coroutine in the background (e.g. an e-mail that must not delay the response)."""

        async def runner() -> None:
            try:
                await coro
            except Exception:  # noqa: BLE001 - background work must log, never crash the loop
                log.exception("background task failed: %s", what)

        task = asyncio.get_running_loop().create_task(runner())
        self._background.add(task)
        task.add_done_callback(self._background.discard)

    async def drain(self) -> None:
        """Wait for background tasks (tests, shutdown)."""
        while self._background:
            await asyncio.gather(*list(self._background), return_exceptions=True)

    def close(self) -> None:
        self.db.dispose()


def build_services(settings: Settings, *, mailer: Any = None, clock: Optional[Clock] = None, db: Optional[Database] = None) -> Services:
    from backend.mailer import mailer_from_settings

    return Services(
        settings=settings,
        db=db or Database(settings.database_url),
        cipher=FieldCipher(list(settings.field_encryption_keys)),
        index=BlindIndex(settings.blind_index_key.encode("utf-8")),
        mailer=mailer if mailer is not None else mailer_from_settings(
            settings.smtp_host,
            settings.smtp_port,
            settings.smtp_username,
            settings.smtp_password,
            settings.smtp_starttls,
            settings.mail_from,
            str(settings.outbox_dir),
        ),
        clock=clock or utcnow,
    )
