"""Helpers shared by the handlers: JSON bodies, JSON errors, the services object of the app."""

from __future__ import annotations

import json
import logging
import traceback
from typing import Any, Awaitable, Callable

from aiohttp import web

from backend.schemas import MAX_BODY_BYTES, ApiError
from backend.services import Services

log = logging.getLogger("backend.http")

SERVICES_KEY = web.AppKey("services", Services)

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def services(request: web.Request) -> Services:
    return request.app[SERVICES_KEY]


def json_response(data: Any, status: int = 200) -> web.Response:
    return web.json_response(data, status=status, dumps=lambda value: json.dumps(value, ensure_ascii=False))


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")


async def read_json(request: web.Request) -> Any:
    """The request body as JSON: 413 over 64 KB, 415 for a non-JSON content type, 400 for bad JSON."""
    if request.content_length is not None and request.content_length > MAX_BODY_BYTES:
        raise ApiError(413, "payload_too_large", f"the body is larger than {MAX_BODY_BYTES} bytes")
    content_type = request.content_type
    if content_type != "application/json" and not content_type.endswith("+json"):
        raise ApiError(415, "unsupported_media_type", "send the body as application/json")
    try:
        raw = await request.read()
    except web.HTTPRequestEntityTooLarge:
        raise ApiError(413, "payload_too_large", f"the body is larger than {MAX_BODY_BYTES} bytes") from None
    if not raw.strip():
        raise ApiError(400, "invalid_json", "the body is empty")
    try:
        return json.loads(raw.decode("utf-8"), parse_constant=_reject_constant)
    except (UnicodeDecodeError, ValueError, RecursionError):
        raise ApiError(400, "invalid_json", "the body is not valid UTF-8 JSON") from None


async def read_object(request: web.Request) -> dict[str, Any]:
    data = await read_json(request)
    if not isinstance(data, dict):
        raise ApiError(400, "invalid_json", "the body must be a JSON object")
    return data


_HTTP_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    413: "payload_too_large",
    415: "unsupported_media_type",
}


@web.middleware
async def error_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Every error leaves as `{"error": {"code", "message"}}`; unexpected ones as a logged 500."""
    try:
        response = await handler(request)
    except ApiError as exc:
        response = json_response(exc.body(), status=exc.status)
    except web.HTTPException as exc:
        if exc.status < 400:
            raise
        code = _HTTP_CODES.get(exc.status, "http_error")
        response = json_response({"error": {"code": code, "message": exc.reason}}, status=exc.status)
        if "Allow" in exc.headers:
            response.headers["Allow"] = exc.headers["Allow"]
    except Exception as exc:  # noqa: BLE001 - last line of defence
        # Exception text can carry bound SQL parameters; log the type and the stack, not the message.
        log.error(
            "unhandled %s on %s %s\n%s",
            type(exc).__name__, request.method, request.path, "".join(traceback.format_tb(exc.__traceback__)),
        )
        response = json_response({"error": {"code": "internal_error", "message": "internal error"}}, status=500)
    # Responses can hold personal data: never cache them; never let a browser guess a type.
    response.headers.setdefault("Cache-Control", "no-store")
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    return response
