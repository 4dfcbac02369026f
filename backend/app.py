"""The aiohttp application: `create_app(settings) -> web.Application`."""

from __future__ import annotations

import logging
from typing import Optional

from aiohttp import web

from backend.config import PROJECT_ROOT, Settings
from backend.openapi import build_openapi
from backend.routes import api, staff
from backend.routes.staff_pages import setup_staff_pages
from backend.routes.web import setup_web_routes
from backend.scheduler import setup_alert_scheduler, setup_mail_sweeper
from backend.routes.common import SERVICES_KEY, error_middleware, json_response
from backend.schemas import MAX_BODY_BYTES
from backend.services import Services, build_services

log = logging.getLogger("backend.app")


def create_app(settings: Settings, services: Optional[Services] = None) -> web.Application:
    """Build the app. Pass `services` to share one with a test (e.g. with a controllable clock)."""
    app = web.Application(middlewares=[error_middleware], client_max_size=MAX_BODY_BYTES)
    owned = services is None
    app[SERVICES_KEY] = services or build_services(settings)
    document = build_openapi()

    async def openapi(_request: web.Request) -> web.Response:
        return json_response(document)

    app.router.add_get("/api/v1/openapi.json", openapi)
    app.router.add_routes(api.routes)
    app.router.add_routes(staff.routes)
    # The public website page with the chat widget (`/`, `/static/...`).
    setup_web_routes(app, PROJECT_ROOT / "web")
    # The privacy team's pages under /staff/.
    setup_staff_pages(app)
    # Deadline alerts run inside the backend; tests drive the scheduler themselves with their own clock.
    if settings.app_env != "test":
        setup_alert_scheduler(app)
    # E-mail left queued by a process that died is sent by whoever runs next. In-process tests bring their own
    # services and clock and call backend.services.notify.deliver_queued themselves.
    if owned:
        setup_mail_sweeper(app)

    async def on_cleanup(app: web.Application) -> None:
        svc = app[SERVICES_KEY]
        await svc.drain()  # let pending e-mails finish
        if owned:
            svc.close()

    app.on_cleanup.append(on_cleanup)
    return app
