"""The website widget's channel: Rasa's socketio input, fixed and tightened.

Rasa 3.6.21's SocketIOInput calls ``sio.enter_room`` without ``await``; since python-socketio 5.10
that is a coroutine, so with ``session_persistence`` a socket never joins its session's room and
replies go nowhere (RasaHQ/rasa#13027). This subclass awaits it and also:

- binds each socket to the one session it asked for, and ignores messages that name another session
  (stock Rasa trusts the ``session_id`` inside every message);
- accepts only well-formed, unguessable session ids (the widget makes 128-bit random ids) and mints
  one with ``secrets`` otherwise;
- limits message text and metadata size, and accepts metadata only as a JSON object;
- checks the page's origin against an allow-list instead of accepting every origin.

``name()`` stays "socketio", so stored conversations keep the same channel name.
"""
from __future__ import annotations

import json
import logging
import os
import re
import secrets
from typing import Any, Awaitable, Callable, Dict, List, Optional, Text

from rasa.core.channels.channel import UserMessage, decode_bearer_token
from rasa.core.channels.socketio import SocketBlueprint, SocketIOInput, SocketIOOutput
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse
from socketio import AsyncServer

logger = logging.getLogger(__name__)

SESSION_ID_PATTERN = re.compile(r"^[A-Za-z0-9_-]{22,64}$")
MAX_MESSAGE_CHARS = 2000
MAX_METADATA_BYTES = 4096
WIDGET_METADATA_KEYS = ("language", "locale")
DEFAULT_ALLOWED_ORIGINS = "http://localhost:8080,http://127.0.0.1:8080"


def allowed_origins_from(value: Optional[str]) -> List[str] | str:
    """Parse a comma-separated origin list; "*" allows every origin (for local experiments only)."""
    value = (value or "").strip()
    if value == "*":
        return "*"
    return [origin.strip().rstrip("/") for origin in value.split(",") if origin.strip()]


def valid_session_id(value: Any) -> Optional[str]:
    """The session id if it is a well-formed unguessable id, else None."""
    if isinstance(value, str) and SESSION_ID_PATTERN.match(value):
        return value
    return None


def parse_metadata(value: Any) -> Optional[Dict[str, Any]]:
    """Metadata as a small JSON object, or None when it is malformed or too large."""
    if value is None:
        return {}
    if isinstance(value, str):
        if len(value.encode("utf-8")) > MAX_METADATA_BYTES:
            return None
        try:
            value = json.loads(value)
        except ValueError:
            return None
    if not isinstance(value, dict):
        return None
    if len(json.dumps(value, ensure_ascii=False).encode("utf-8")) > MAX_METADATA_BYTES:
        return None
    return value


class SocketIOInput(SocketIOInput):  # type: ignore[no-redef]
    """Rasa's socketio channel with awaited room joins and one session per socket."""

    @classmethod
    def from_credentials(cls, credentials: Optional[Dict[Text, Any]]) -> "SocketIOInput":
        credentials = credentials or {}
        channel = super().from_credentials(credentials)
        origins = credentials.get("allowed_origins") or os.environ.get(
            "WEB_ALLOWED_ORIGINS", DEFAULT_ALLOWED_ORIGINS
        )
        channel.allowed_origins = allowed_origins_from(origins)  # type: ignore[attr-defined]
        return channel  # type: ignore[return-value]

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        origins = getattr(self, "allowed_origins", allowed_origins_from(DEFAULT_ALLOWED_ORIGINS))
        sio = AsyncServer(async_mode="sanic", cors_allowed_origins=origins)
        socketio_webhook = SocketBlueprint(sio, self.socketio_path, "socketio_webhook", __name__)
        self.sio = sio
        # socket id -> the one session id that socket may speak for
        session_of: Dict[str, str] = {}

        @socketio_webhook.route("/", methods=["GET"])
        async def health(_: Request) -> HTTPResponse:
            return response.json({"status": "ok"})

        @sio.on("connect", namespace=self.namespace)
        async def connect(sid: Text, environ: Dict, auth: Optional[Dict]) -> bool:
            if not self.jwt_key:
                return True
            token = auth.get("token") if isinstance(auth, dict) else None
            return bool(token and decode_bearer_token(token, self.jwt_key, self.jwt_algorithm))

        @sio.on("disconnect", namespace=self.namespace)
        async def disconnect(sid: Text) -> None:
            session_of.pop(sid, None)

        @sio.on("session_request", namespace=self.namespace)
        async def session_request(sid: Text, data: Optional[Dict]) -> None:
            requested = valid_session_id((data or {}).get("session_id")) if isinstance(data, dict) else None
            session_id = requested or secrets.token_hex(16)
            previous = session_of.get(sid)
            if previous and previous != session_id:
                await sio.leave_room(sid, previous, namespace=self.namespace)
            session_of[sid] = session_id
            if self.session_persistence:
                await sio.enter_room(sid, session_id, namespace=self.namespace)
            await sio.emit("session_confirm", session_id, room=sid, namespace=self.namespace)

        @sio.on(self.user_message_evt, namespace=self.namespace)
        async def handle_message(sid: Text, data: Any) -> None:
            if not isinstance(data, dict):
                return
            bound = session_of.get(sid)
            if self.session_persistence:
                if not bound or data.get("session_id") != bound:
                    logger.warning("socketio message ignored: session not bound to this socket")
                    return
                sender_id = bound
            else:
                sender_id = sid
            text = data.get("message", "")
            if not isinstance(text, str) or len(text) > MAX_MESSAGE_CHARS:
                logger.warning("socketio message ignored: text missing or over %d chars", MAX_MESSAGE_CHARS)
                return
            metadata = parse_metadata(data.get(self.metadata_key))
            if metadata is None:
                logger.warning("socketio message ignored: malformed or oversized metadata")
                return
            # Only the widget's own settings pass; identity or staff claims from a browser are dropped.
            metadata = {key: metadata[key] for key in WIDGET_METADATA_KEYS if isinstance(metadata.get(key), str)}
            metadata["channel"] = "web"
            output_channel = SocketIOOutput(sio, self.bot_message_evt)
            await on_new_message(
                UserMessage(text, output_channel, sender_id, input_channel=self.name(), metadata=metadata)
            )

        return socketio_webhook
