"""Fixtures of the widget tests: the page served by `setup_web_routes`, a real python-socketio server that
speaks Rasa's socketio protocol, and the Debian Chromium driven by Playwright (never `playwright install`)."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, AsyncIterator, Dict, List, Optional
from urllib.parse import urlsplit

import pytest
from aiohttp import web

from backend.routes.web import setup_web_routes
from tests.web.rasa_like_socketio import RasaLikeServer

ROOT = Path(__file__).resolve().parents[2]
WEB_DIR = ROOT / "web"
ARTIFACTS = ROOT / "test-artifacts" / "web"
CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
LOCAL_HOSTS = {"127.0.0.1", "localhost"}


def _require_browser_setup() -> None:
    if not Path(CHROMIUM).is_file():
        pytest.skip(f"{CHROMIUM} missing: apt-get update && apt-get install -y chromium")
    if not (WEB_DIR / "node_modules" / "socket.io-client" / "dist" / "socket.io.min.js").is_file():
        pytest.skip("socket.io-client not installed: npm ci --prefix web")


@pytest.fixture
async def rasa_like() -> AsyncIterator[RasaLikeServer]:
    server = RasaLikeServer()
    await server.start()
    try:
        yield server
    finally:
        await server.stop()


async def serve_page(rasa_url: str, port: int = 0, **kwargs: Any) -> tuple[web.AppRunner, str]:
    app = web.Application()
    setup_web_routes(app, WEB_DIR, rasa_public_url=rasa_url, **kwargs)
    runner = web.AppRunner(app, shutdown_timeout=0.2)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", port)
    await site.start()
    port = runner.addresses[0][1]
    return runner, f"http://127.0.0.1:{port}"


@pytest.fixture
async def site_url(rasa_like: RasaLikeServer) -> AsyncIterator[str]:
    runner, url = await serve_page(rasa_like.url)
    try:
        yield url
    finally:
        await runner.cleanup()


@pytest.fixture
async def browser() -> AsyncIterator[Any]:
    _require_browser_setup()
    from playwright.async_api import async_playwright

    playwright = await async_playwright().start()
    try:
        chromium = await playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            await chromium.close()
    finally:
        await playwright.stop()


@dataclass
class Recorder:
    """Everything the page asked for or complained about, from every page of a browser context."""

    urls: List[str] = field(default_factory=list)
    console_errors: List[str] = field(default_factory=list)
    page_errors: List[str] = field(default_factory=list)

    def attach(self, page: Any) -> None:
        page.on("request", lambda request: self.urls.append(request.url))
        page.on("websocket", lambda ws: self.urls.append(ws.url))
        page.on("console", lambda msg: self.console_errors.append(msg.text) if msg.type == "error" else None)
        page.on("pageerror", lambda exc: self.page_errors.append(str(exc)))

    def non_local(self) -> List[str]:
        return [u for u in self.urls if urlsplit(u).hostname not in LOCAL_HOSTS]


@pytest.fixture
async def recorder() -> Recorder:
    return Recorder()


async def new_page(browser: Any, recorder: Recorder, **context_args: Any) -> Any:
    context_args.setdefault("locale", "sv-SE")
    context_args.setdefault("viewport", {"width": 1280, "height": 800})
    context = await browser.new_context(**context_args)
    context.on("page", recorder.attach)
    page = await context.new_page()
    return page


@pytest.fixture
async def page(browser: Any, recorder: Recorder) -> AsyncIterator[Any]:
    page = await new_page(browser, recorder)
    try:
        yield page
    finally:
        await page.context.close()
        # Whatever a test did, nothing may have left this machine.
        assert recorder.non_local() == [], recorder.non_local()


def screenshot_path(name: str) -> str:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return str(ARTIFACTS / f"{re.sub(r'[^a-z0-9_-]+', '_', name.lower())}.png")


async def open_chat(page: Any, url: str) -> None:
    """Load the page, open the chat and wait until the session is confirmed."""
    await page.goto(url + "/")
    await page.click(".pc-launcher")
    await page.wait_for_selector('.pc-status[data-state="online"]', timeout=10_000)


async def session_storage(page: Any) -> Dict[str, Optional[str]]:
    return await page.evaluate(
        """() => { const out = {}; for (let i = 0; i < sessionStorage.length; i++) {
              const k = sessionStorage.key(i); out[k] = sessionStorage.getItem(k); } return out; }"""
    )
