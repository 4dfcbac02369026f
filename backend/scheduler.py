"""The alert scheduler inside the backend process: an aiohttp background task that runs the alerts every
ALERT_INTERVAL_SECONDS (default 300) and the daily digest once its hour has come. ALERTS_ENABLED=false
turns it off (for example when cron runs `python -m backend alerts run` instead). Running both is safe:
every alert is claimed in the database before it is sent (backend/services/alerts.py).

Each tick also delivers queued chat-transcript erasures to Rasa (backend/services/transcripts.py; rows
are claimed before sending too). With ALERTS_ENABLED=false, run `python -m backend transcripts deliver`
from cron instead.

Wiring: `setup_alert_scheduler(app)` in `create_app`, after the services are stored in the app.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Optional

from aiohttp import web

from backend.routes.common import SERVICES_KEY
from backend.services import Services
from backend.services.alerts import AlertSettings, run_alerts, run_digest
from backend.services.notify import MAIL_SWEEP_SECONDS, deliver_queued
from backend.services.transcripts import deliver_pending

log = logging.getLogger("backend.scheduler")


class PeriodicTask:
    """A coroutine run every `interval_seconds` (first at start-up) as one background task of the app."""

    name = "periodic"

    def __init__(self) -> None:
        self._task: Optional[asyncio.Task[None]] = None

    @property
    def interval_seconds(self) -> float:
        raise NotImplementedError

    async def tick(self) -> None:
        raise NotImplementedError

    async def _loop(self) -> None:
        while True:
            await self.tick()
            await asyncio.sleep(self.interval_seconds)

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.get_running_loop().create_task(self._loop(), name=self.name)

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    def run_with(self, app: web.Application) -> None:
        """Start with the app, stop on its shutdown (before the services close)."""

        async def on_startup(_app: web.Application) -> None:
            self.start()

        async def on_shutdown(_app: web.Application) -> None:
            await self.stop()

        app.on_startup.append(on_startup)
        app.on_shutdown.append(on_shutdown)


class AlertScheduler(PeriodicTask):
    name = "alert-scheduler"

    def __init__(self, svc: Services, settings: AlertSettings) -> None:
        super().__init__()
        self.svc = svc
        self.settings = settings
        self.ticks = 0

    @property
    def interval_seconds(self) -> float:
        return self.settings.interval_seconds

    async def tick(self) -> None:
        """One pass; an error is logged (type only) and the next tick tries again."""
        try:
            try:
                await run_alerts(self.svc, self.settings)
                await run_digest(self.svc, self.settings)
            except Exception as exc:  # noqa: BLE001 - the loop must survive a database hiccup
                log.error("alert run failed: %s", type(exc).__name__)
            try:  # independent of the alerts: a failed alert run must not hold erasures back
                await deliver_pending(self.svc)
            except Exception as exc:  # noqa: BLE001
                log.error("transcript erasure run failed: %s", type(exc).__name__)
        finally:
            self.ticks += 1


SCHEDULER_KEY = web.AppKey("alert_scheduler", AlertScheduler)


def setup_alert_scheduler(app: web.Application, settings: Optional[AlertSettings] = None) -> None:
    """Start the scheduler with the app and stop it on shutdown (before the services close).
    Reads ALERT_* from the environment unless `settings` is given; does nothing when disabled."""
    alert_settings = settings or AlertSettings.from_env(app[SERVICES_KEY].settings)
    if not alert_settings.enabled:
        log.info("alert scheduler disabled (ALERTS_ENABLED=false)")
        return
    scheduler = AlertScheduler(app[SERVICES_KEY], alert_settings)
    app[SCHEDULER_KEY] = scheduler
    scheduler.run_with(app)


class MailSweeper(PeriodicTask):
    """Sends queued e-mail that its sender left behind (it died, or its send hung past the claim), every
    MAIL_SWEEP_SECONDS and once at start-up (backend/services/notify.py)."""

    name = "mail-sweeper"

    def __init__(self, svc: Services, interval: float = MAIL_SWEEP_SECONDS) -> None:
        super().__init__()
        self.svc = svc
        self.interval = interval

    @property
    def interval_seconds(self) -> float:
        return self.interval

    async def tick(self) -> None:
        try:
            await deliver_queued(self.svc)
        except Exception as exc:  # noqa: BLE001 - the loop must survive a database hiccup
            log.error("queued e-mail run failed: %s", type(exc).__name__)


def setup_mail_sweeper(app: web.Application) -> None:
    """Run the mail sweeper with the app (started on start-up, stopped on shutdown)."""
    MailSweeper(app[SERVICES_KEY]).run_with(app)
