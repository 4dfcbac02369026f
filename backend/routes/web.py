"""The public web page with the chat widget: `/` and an allow-list of static files under `/static/`.

Why an allow-list instead of a static directory route: the page must never serve anything it was not
meant to (no directory listings, no `..` tricks, no stray files from `node_modules/`), and each file gets
an explicit content type. socket.io-client is served straight from its own npm dist build
(`web/node_modules/socket.io-client/dist/`, installed by `npm ci --prefix web`), so there is no bundler
and no copy step.

Every response carries strict headers: a Content-Security-Policy that allows scripts, styles, images and
fonts from this origin only and connections to this origin plus the Rasa origin (`RASA_PUBLIC_URL`),
`frame-ancestors` from `WEB_FRAME_ANCESTORS` (default `'none'`), `nosniff`, `Referrer-Policy: no-referrer`.
The page makes no third-party request of any kind.
"""

from __future__ import annotations

import html
import logging
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Dict, Mapping, Optional
from urllib.parse import urlsplit

from aiohttp import web

log = logging.getLogger("backend.web")

DEFAULT_RASA_PUBLIC_URL = "http://localhost:5005"
DEFAULT_FRAME_ANCESTORS = "'none'"
RASA_URL_PLACEHOLDER = "__RASA_PUBLIC_URL__"

_JS = "text/javascript; charset=utf-8"
_CSS = "text/css; charset=utf-8"

# URL path under /static/ -> (file relative to static_dir, content type). Nothing else is served.
STATIC_FILES: Mapping[str, tuple[str, str]] = {
    "widget.js": ("src/widget.js", _JS),
    "widget.css": ("src/widget.css", _CSS),
    "page.js": ("src/page.js", _JS),
    "page.css": ("src/page.css", _CSS),
    "favicon.svg": ("src/favicon.svg", "image/svg+xml"),
    "vendor/socket.io.min.js": ("node_modules/socket.io-client/dist/socket.io.min.js", _JS),
    # Only fetched by an open developer console; served so that it does not show up as a 404 there.
    "vendor/socket.io.min.js.map": ("node_modules/socket.io-client/dist/socket.io.min.js.map", "application/json"),
}

# A CSP source expression for frame-ancestors: a keyword or a scheme://host[:port] origin (with an optional
# leading `*.` wildcard). Anything else (`;`, `,`, spaces inside, quotes) could inject directives.
_FRAME_SOURCE = re.compile(r"^(?:'none'|'self'|https?://(?:\*\.)?[A-Za-z0-9.-]+(?::\d{1,5})?)$")


@dataclass(frozen=True)
class WebSettings:
    """What the page needs to know about the outside world, read once at start-up."""

    rasa_public_url: str
    rasa_origins: tuple[str, ...]  # http(s) and ws(s) origin of Rasa, for connect-src
    frame_ancestors: str

    def content_security_policy(self) -> str:
        connect = " ".join(("'self'",) + self.rasa_origins)
        return "; ".join(
            (
                "default-src 'self'",
                "script-src 'self'",
                "style-src 'self'",
                "img-src 'self'",
                "font-src 'self'",
                f"connect-src {connect}",
                "object-src 'none'",
                "base-uri 'none'",
                "form-action 'self'",
                f"frame-ancestors {self.frame_ancestors}",
                # Chromium then refuses string assignments to innerHTML and friends: bot text cannot become
                # markup even if a later change forgot to use textContent.
                "require-trusted-types-for 'script'",
                "trusted-types 'none'",
            )
        )


def parse_rasa_public_url(value: str) -> tuple[str, tuple[str, ...]]:
    """Validate RASA_PUBLIC_URL; return it without a trailing slash and the origins the page may connect to."""
    parts = urlsplit(value.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"RASA_PUBLIC_URL must be an http(s) URL such as {DEFAULT_RASA_PUBLIC_URL}, got {value!r}")
    if parts.query or parts.fragment or parts.username or parts.password:
        raise ValueError("RASA_PUBLIC_URL must not carry a query, fragment or credentials")
    try:
        port = parts.port
    except ValueError:
        raise ValueError(f"RASA_PUBLIC_URL has an invalid port: {value!r}") from None
    host = parts.hostname
    if ":" in host:  # IPv6 literal
        host = f"[{host}]"
    authority = f"{host}:{port}" if port else host
    ws_scheme = "wss" if parts.scheme == "https" else "ws"
    url = f"{parts.scheme}://{authority}{parts.path.rstrip('/')}"
    return url, (f"{parts.scheme}://{authority}", f"{ws_scheme}://{authority}")


def parse_frame_ancestors(value: str) -> str:
    """Validate WEB_FRAME_ANCESTORS (space-separated CSP sources); `'none'` forbids framing."""
    sources = value.split()
    if not sources:
        return DEFAULT_FRAME_ANCESTORS
    for source in sources:
        if not _FRAME_SOURCE.match(source):
            raise ValueError(
                "WEB_FRAME_ANCESTORS must be 'none', 'self' or space-separated origins like "
                f"https://www.example.com, got {source!r}"
            )
    if "'none'" in sources and len(sources) > 1:
        raise ValueError("WEB_FRAME_ANCESTORS: 'none' cannot be combined with other sources")
    return " ".join(sources)


def load_web_settings(
    rasa_public_url: Optional[str] = None, frame_ancestors: Optional[str] = None
) -> WebSettings:
    """Arguments win over the environment (`RASA_PUBLIC_URL`, `WEB_FRAME_ANCESTORS`), then the dev defaults."""
    raw_url = rasa_public_url or os.environ.get("RASA_PUBLIC_URL") or DEFAULT_RASA_PUBLIC_URL
    raw_frames = frame_ancestors or os.environ.get("WEB_FRAME_ANCESTORS") or DEFAULT_FRAME_ANCESTORS
    url, origins = parse_rasa_public_url(raw_url)
    return WebSettings(rasa_public_url=url, rasa_origins=origins, frame_ancestors=parse_frame_ancestors(raw_frames))


def security_headers(settings: WebSettings) -> Dict[str, str]:
    headers = {
        "Content-Security-Policy": settings.content_security_policy(),
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "no-referrer",
        "Permissions-Policy": "camera=(), microphone=(), geolocation=(), payment=(), usb=(), interest-cohort=()",
        "Cross-Origin-Opener-Policy": "same-origin",
    }
    if settings.frame_ancestors == "'none'":
        headers["X-Frame-Options"] = "DENY"  # for browsers that predate frame-ancestors
    return headers


def setup_web_routes(
    app: web.Application,
    static_dir: Path,
    *,
    rasa_public_url: Optional[str] = None,
    frame_ancestors: Optional[str] = None,
) -> None:
    """Serve the chat page at `/` and the allow-listed files at `/static/...` from `static_dir` (the `web/` folder).

    Reads `RASA_PUBLIC_URL` (default http://localhost:5005) and `WEB_FRAME_ANCESTORS` (default 'none')
    unless given as arguments; a malformed value raises ValueError at start-up, not at request time.
    """
    static_dir = Path(static_dir).resolve()
    settings = load_web_settings(rasa_public_url, frame_ancestors)
    headers = security_headers(settings)
    # The page is read once: it is small, and rendering the Rasa URL into it per request buys nothing.
    template = (static_dir / "index.html").read_text(encoding="utf-8")
    if RASA_URL_PLACEHOLDER not in template:
        raise ValueError(f"{static_dir / 'index.html'} lacks the {RASA_URL_PLACEHOLDER} placeholder")
    page = template.replace(RASA_URL_PLACEHOLDER, html.escape(settings.rasa_public_url, quote=True))
    vendor = static_dir / STATIC_FILES["vendor/socket.io.min.js"][0]
    if not vendor.is_file():
        log.warning("socket.io-client is not installed (run `npm ci --prefix web`); the chat will not start")

    def with_headers(response: web.StreamResponse, cache: str) -> web.StreamResponse:
        response.headers.update(headers)
        response.headers["Cache-Control"] = cache
        return response

    def not_found() -> web.Response:
        response = web.Response(status=404, text="Not found\n", content_type="text/plain", charset="utf-8")
        return with_headers(response, "no-store")  # type: ignore[return-value]

    async def index(_request: web.Request) -> web.StreamResponse:
        response = web.Response(text=page, content_type="text/html", charset="utf-8")
        # No personal data in the page itself; revalidate so a deploy shows up at once.
        return with_headers(response, "no-cache")

    async def static(request: web.Request) -> web.StreamResponse:
        entry = STATIC_FILES.get(request.match_info["name"])
        if entry is None:
            return not_found()
        relative, content_type = entry
        path = static_dir / relative
        if not path.is_file():
            return not_found()
        response = web.FileResponse(path, headers={"Content-Type": content_type})
        with_headers(response, "no-cache")
        # Other sites embed the widget by loading these files from here (see docs/WIDGET.md).
        response.headers["Cross-Origin-Resource-Policy"] = "cross-origin"
        return response

    app.router.add_get("/", index)
    app.router.add_get("/static/{name:.+}", static)
