"""Real local stand-ins for the Microsoft side of the Teams channel, shared by the channel tests
(tests/channels/conftest.py) and the end-to-end test (tests/test_e2e_teams.py).

* `FakeMicrosoft.openid`: OpenID metadata + JWKS with a locally generated RSA key (counts its hits);
* `FakeMicrosoft.login`: the client-credentials token endpoint (records requests, issues opaque tokens);
* `FakeMicrosoft.connector`: a Bot Connector `serviceUrl` that records replies; per conversation it can be
  slow (`slow_conversations`) or fail with 500 (`failing_conversations`), and it answers roster look-ups.

`FakeMicrosoft` runs in the test's event loop; `BackgroundMicrosoft` runs one in its own thread, for
synchronous tests that talk to a Rasa server in another process.
"""

from __future__ import annotations

import asyncio
import socket
import threading
import time
import uuid
from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional

import jwt
from aiohttp import web
from aiohttp.test_utils import TestServer
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm

APP_ID = "11111111-2222-3333-4444-555555555555"
APP_PASSWORD = "local-test-secret"
TENANT = "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee"
OTHER_TENANT = "99999999-8888-7777-6666-555555555555"
ISSUER = "https://api.botframework.com"


def new_rsa_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def public_jwk(private_key: rsa.RSAPrivateKey, kid: str, endorsements: Optional[List[str]] = None) -> Dict[str, Any]:
    jwk = RSAAlgorithm.to_jwk(private_key.public_key(), as_dict=True)
    jwk.update({"kid": kid, "use": "sig", "alg": "RS256"})
    if endorsements is not None:
        jwk["endorsements"] = endorsements
    return jwk


@dataclass
class FakeMicrosoft:
    key: rsa.RSAPrivateKey
    kid: str = "local-key-1"
    jwks: List[Dict[str, Any]] = field(default_factory=list)
    metadata_hits: int = 0
    jwks_hits: int = 0
    token_requests: List[Dict[str, Any]] = field(default_factory=list)
    issued_tokens: List[str] = field(default_factory=list)
    replies: List[Dict[str, Any]] = field(default_factory=list)
    reply_attempts: Dict[str, int] = field(default_factory=dict)
    member_requests: int = 0
    # The roster entry the member look-up answers with (the user id is taken from the request).
    member: Dict[str, Any] = field(default_factory=lambda: {
        "name": "Kari Nordmann", "aadObjectId": "aad-kari", "email": "kari.nordmann@example.com",
        "userPrincipalName": "kari.nordmann@example.com", "tenantId": TENANT})
    slow_conversations: Dict[str, float] = field(default_factory=dict)
    failing_conversations: set = field(default_factory=set)
    reply_event: asyncio.Event = field(default_factory=asyncio.Event)
    openid: Optional[TestServer] = None
    login: Optional[TestServer] = None
    connector: Optional[TestServer] = None

    @property
    def openid_url(self) -> str:
        return str(self.openid.make_url("/v1/.well-known/openidconfiguration"))

    @property
    def login_url(self) -> str:
        return str(self.login.make_url("")).rstrip("/")

    @property
    def service_url(self) -> str:
        return str(self.connector.make_url("/teams")).rstrip("/")

    def sign(self, *, key: Optional[rsa.RSAPrivateKey] = None, kid: Optional[str] = None,
             algorithm: str = "RS256", **overrides: Any) -> str:
        now = int(time.time())
        claims = {"iss": ISSUER, "aud": APP_ID, "nbf": now - 5, "exp": now + 3600, "serviceurl": self.service_url}
        claims.update(overrides)
        claims = {k: v for k, v in claims.items() if v is not None}
        return jwt.encode(claims, key or self.key, algorithm=algorithm, headers={"kid": kid or self.kid})

    async def wait_for_replies(self, count: int, timeout: float = 5.0) -> List[Dict[str, Any]]:
        deadline = time.monotonic() + timeout
        while len(self.replies) < count:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise AssertionError(f"expected {count} replies, got {len(self.replies)}")
            self.reply_event.clear()
            try:
                await asyncio.wait_for(self.reply_event.wait(), remaining)
            except asyncio.TimeoutError:
                pass
        return self.replies

    # -- the three servers --------------------------------------------------------------------------------

    async def start(self) -> None:
        self.jwks = [public_jwk(self.key, self.kid, endorsements=["msteams"])]

        openid = web.Application()

        async def metadata(request: web.Request) -> web.Response:
            self.metadata_hits += 1
            return web.json_response({"issuer": ISSUER, "jwks_uri": str(self.openid.make_url("/keys")),
                                      "id_token_signing_alg_values_supported": ["RS256"]})

        async def keys(request: web.Request) -> web.Response:
            self.jwks_hits += 1
            return web.json_response({"keys": self.jwks})

        openid.router.add_get("/v1/.well-known/openidconfiguration", metadata)
        openid.router.add_get("/keys", keys)

        login = web.Application()

        async def token(request: web.Request) -> web.Response:
            form = dict(await request.post())
            self.token_requests.append({"tenant": request.match_info["tenant"], **form})
            if form.get("client_secret") != APP_PASSWORD:
                return web.json_response({"error": "invalid_client"}, status=401)
            issued = f"access-{uuid.uuid4().hex}"
            self.issued_tokens.append(issued)
            return web.json_response({"token_type": "Bearer", "expires_in": 3600, "access_token": issued})

        login.router.add_post("/{tenant}/oauth2/v2.0/token", token)

        connector = web.Application()

        async def reply(request: web.Request) -> web.Response:
            conversation = request.match_info["conversation"]
            self.reply_attempts[conversation] = self.reply_attempts.get(conversation, 0) + 1
            if conversation in self.slow_conversations:
                await asyncio.sleep(self.slow_conversations[conversation])
            if conversation in self.failing_conversations:
                return web.json_response({"error": {"code": "ServiceError"}}, status=500)
            self.replies.append({
                "conversation": conversation,
                "reply_to": request.match_info["reply_to"],
                "authorization": request.headers.get("Authorization"),
                "body": await request.json(),
                "at": time.monotonic(),
            })
            self.reply_event.set()
            return web.json_response({"id": f"reply-{len(self.replies)}"})

        async def member(request: web.Request) -> web.Response:
            self.member_requests += 1
            return web.json_response({"id": request.match_info["user"], **self.member})

        connector.router.add_post("/teams/v3/conversations/{conversation}/activities/{reply_to}", reply)
        connector.router.add_get("/teams/v3/conversations/{conversation}/members/{user}", member)

        self.openid = TestServer(openid, host="127.0.0.1")
        self.login = TestServer(login, host="127.0.0.1")
        self.connector = TestServer(connector, host="127.0.0.1")
        for server in (self.openid, self.login, self.connector):
            await server.start_server()

    async def close(self) -> None:
        for server in (self.openid, self.login, self.connector):
            if server is not None:
                await server.close()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def make_activity(microsoft: FakeMicrosoft, *, conversation: str = "a:conv-1", text: Optional[str] = "Hei!",
                  tenant: str = TENANT, activity_id: Optional[str] = None, **extra: Any) -> Dict[str, Any]:
    activity: Dict[str, Any] = {
        "type": "message",
        "id": activity_id or f"act-{uuid.uuid4().hex[:12]}",
        "timestamp": "2026-03-02T08:15:00.000Z",
        "serviceUrl": microsoft.service_url,
        "channelId": "msteams",
        "from": {"id": "29:user-kari", "name": "Kari Nordmann", "aadObjectId": "aad-kari"},
        "conversation": {"id": conversation, "conversationType": "personal", "tenantId": tenant},
        "recipient": {"id": f"28:{APP_ID}", "name": "Personvernassistenten"},
        "locale": "nb-NO",
        "channelData": {"tenant": {"id": tenant}},
    }
    if text is not None:
        activity["text"] = text
    activity.update(extra)
    return activity


class BackgroundMicrosoft:
    """A `FakeMicrosoft` served by an event loop in a daemon thread (for tests without an event loop)."""

    def __init__(self) -> None:
        self.fake = FakeMicrosoft(key=new_rsa_key())
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="fake-microsoft", daemon=True)

    def start(self) -> FakeMicrosoft:
        self._thread.start()
        asyncio.run_coroutine_threadsafe(self.fake.start(), self._loop).result(timeout=30)
        return self.fake

    def close(self) -> None:
        if self._thread.is_alive():
            asyncio.run_coroutine_threadsafe(self.fake.close(), self._loop).result(timeout=30)
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(timeout=10)
        self._loop.close()

    def replies_to(self, activity_id: str) -> List[Dict[str, Any]]:
        return [r for r in list(self.fake.replies) if r["reply_to"] == activity_id]

    def wait_for_replies_to(self, activity_id: str, *, timeout: float = 60.0, quiet: float = 1.5) -> List[Dict[str, Any]]:
        """The replies to one incoming activity: waits for the first, then until none came for `quiet` s.

        The webhook answers once Rasa has queued every reply, and they are then posted one by one, so a pause
        of `quiet` seconds after the webhook's answer means they are all in."""
        deadline = time.monotonic() + timeout
        count, changed_at = -1, time.monotonic()
        while time.monotonic() < deadline:
            found = self.replies_to(activity_id)
            if len(found) != count:
                count, changed_at = len(found), time.monotonic()
            elif count > 0 and time.monotonic() - changed_at >= quiet:
                return found
            time.sleep(0.1)
        found = self.replies_to(activity_id)
        if not found:
            raise AssertionError(f"no reply to activity {activity_id} within {timeout} s")
        return found
