"""A real python-socketio server that speaks the part of Rasa's socketio channel the widget uses.

It is not a mock of our code: it is the same server library Rasa 3.6 runs (python-socketio 5 /
engine.io 4), following rasa/core/channels/socketio.py with `session_persistence: true`:
`session_request {session_id}` -> the socket joins the room of that id and gets `session_confirm <id>`;
`user_uttered {message, session_id, metadata}` -> replies as `bot_uttered` to the room of the session id,
and the handler's return acknowledges the emit (python-socketio acks when the client asks for it).
The replies are canned so the widget tests can check rendering, quick replies and XSS handling.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional

import socketio
from aiohttp import web

XSS_TEXT = (
    'Look: <img src=x onerror="window.__xss=1"> <script>window.__xss=2</script> '
    '<a href="javascript:window.__xss=3">click</a> https://example.org/policy.'
)


@dataclass
class Received:
    event: str
    data: Any
    sid: str


@dataclass
class RasaLikeServer:
    host: str = "127.0.0.1"
    port: int = 0
    received: List[Received] = field(default_factory=list)
    _runner: Optional[web.AppRunner] = None

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def events(self, name: str) -> List[Received]:
        return [r for r in self.received if r.event == name]

    def messages(self) -> List[Dict[str, Any]]:
        return [r.data for r in self.events("user_uttered")]

    async def start(self) -> None:
        # cors_allowed_origins=[] as Rasa does: no origin check by engine.io itself.
        sio = socketio.AsyncServer(async_mode="aiohttp", cors_allowed_origins=[])
        app = web.Application()
        sio.attach(app, socketio_path="/socket.io")

        @sio.on("session_request")
        async def session_request(sid: str, data: Optional[Dict[str, Any]]) -> None:
            data = dict(data or {})
            self.received.append(Received("session_request", data, sid))
            session_id = data.get("session_id") or "server-made-id"
            await sio.enter_room(sid, session_id)
            await sio.emit("session_confirm", session_id, room=sid)

        @sio.on("user_uttered")
        async def user_uttered(sid: str, data: Dict[str, Any]) -> None:
            self.received.append(Received("user_uttered", data, sid))
            session_id = data.get("session_id")
            if not session_id:
                return  # Rasa ignores messages without a session id when session_persistence is on
            for reply in self.replies_for(str(data.get("message", "")), data.get("metadata") or {}):
                await sio.emit("bot_uttered", reply, room=session_id)

        # A short shutdown timeout: stopping should look like a crash, not a polite drain.
        self._runner = web.AppRunner(app, shutdown_timeout=0.2)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, self.port)
        await site.start()
        if self.port == 0:
            self.port = self._runner.addresses[0][1]

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    @staticmethod
    def replies_for(message: str, metadata: Dict[str, Any]) -> List[Dict[str, Any]]:
        if message == "/forget_conversation":
            # Goes to the old session's room, which the widget has left: must never show up.
            return [{"text": "FORGET-REPLY: the conversation was deleted."}]
        if message == "buttons":
            return [
                {
                    "text": "Which right do you mean?",
                    "quick_replies": [
                        {"content_type": "text", "title": "See my data", "payload": "/request_access"},
                        {"content_type": "text", "title": "Delete my data", "payload": "/request_erasure"},
                    ],
                }
            ]
        if message == "xss":
            return [{"text": XSS_TEXT}]
        if message == "lines":
            return [{"text": "first line\nsecond line"}]
        if message == "long":
            return [{"text": "x" * 300 + " https://example.org/" + "y" * 200}]
        language = metadata.get("language") or metadata.get("locale") or "none"
        return [{"text": f"echo[{language}]: {message}"}]


async def wait_for(predicate: Any, timeout: float = 5.0, interval: float = 0.05) -> Any:
    """Poll until `predicate()` is truthy (returns it) or fail the test with a timeout."""
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"condition not met within {timeout} s")
        await asyncio.sleep(interval)
