"""Transcript erasure endpoint: how the case backend erases a chat transcript in Rasa's tracker store.

Not a chat channel: an input channel is simply how Rasa 3.6 lets us add an HTTP route to its own server,
next to the agent and its tracker store. credentials.yml enables it:

    bot.channels.transcripts.TranscriptErasureInput:

and Rasa then serves

    POST /webhooks/transcripts/erase
    Authorization: Bearer <TRANSCRIPT_ERASE_TOKEN>
    {"conversation_id": "<Rasa sender id>"}
    -> 200 {"erased": true}    the conversation was stored and is now gone
    -> 200 {"erased": false}   nothing was stored (already erased or never there: erasure is idempotent)

Errors (JSON `{"error": {"code", "message"}}`): 401 `unauthorized` (missing or wrong token, compared in
constant time), 503 `not_configured` (TRANSCRIPT_ERASE_TOKEN unset or shorter than 16 characters; warned
once in the log), 413 `payload_too_large`, 400 `invalid_json` / `invalid_conversation_id`, 501
`not_supported` (the tracker store cannot erase: not our RedactingSQLTrackerStore), 503 `not_ready` (the
agent is still loading) and 503 `store_unavailable` (the database failed; the caller retries).

The caller is backend/services/transcripts.py (an outbox with retries); it knows nothing of Rasa but
this contract. Logs carry a short hash of the conversation id, never the id itself.
"""
from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import logging
import os
import re
from pathlib import Path
from typing import Any, Awaitable, Callable, Dict, Optional, Text

from dotenv import load_dotenv
from rasa.core.channels.channel import InputChannel, UserMessage
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

logger = logging.getLogger(__name__)

PROJECT_ROOT = Path(__file__).resolve().parents[2]
TOKEN_ENV = "TRANSCRIPT_ERASE_TOKEN"
MIN_TOKEN_LENGTH = 16
MAX_BODY_BYTES = 1024
# Same rule as the backend's `conversation_id` (backend/schemas.py; bot/ cannot import it, a test keeps
# them equal): 1-255 ASCII characters, letters, digits and . _ : @ | ; = + / -
CONVERSATION_ID_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:@|;=+/\-]{0,254}\Z")
_MAX_UNWRAP = 5  # Rasa wraps stores (FailSafeTrackerStore -> AwaitableTrackerStore -> ours)


def short_hash(conversation_id: str) -> str:
    """A log-safe handle for a conversation (12 hex characters of SHA-256): correlates, reveals nothing."""
    return hashlib.sha256(conversation_id.encode("utf-8")).hexdigest()[:12]


def erasing_store(tracker_store: Any) -> Optional[Any]:
    """The store inside Rasa's wrappers that can erase a conversation, or None."""
    store = tracker_store
    for _ in range(_MAX_UNWRAP):
        if store is None:
            return None
        if callable(getattr(store, "erase_conversation", None)):
            return store
        store = getattr(store, "_tracker_store", None)
    return None


def _error(status: int, code: str, message: str) -> HTTPResponse:
    return response.json({"error": {"code": code, "message": message}}, status=status)


def _digest(value: str) -> bytes:
    # Compare digests, so the comparison time depends on neither the content nor the length of the token.
    return hashlib.sha256(value.encode("utf-8", "surrogateescape")).digest()


class TranscriptErasureInput(InputChannel):
    """POST /webhooks/transcripts/erase: erase one conversation from the agent's tracker store."""

    @classmethod
    def name(cls) -> Text:
        return "transcripts"

    @classmethod
    def from_credentials(cls, credentials: Optional[Dict[Text, Any]]) -> "TranscriptErasureInput":
        # The token comes from the environment (or .env, as for the Teams channel and the backend) only:
        # credentials.yml is committed, secrets are not. Real environment variables win over .env.
        load_dotenv(PROJECT_ROOT / ".env", override=False)
        return cls(token=os.environ.get("TRANSCRIPT_ERASE_TOKEN"))

    def __init__(self, token: Optional[str] = None) -> None:
        token = (token or "").strip()
        self._token_digest = _digest(token) if len(token) >= MIN_TOKEN_LENGTH else None
        self._warned = False
        if token and self._token_digest is None:
            logger.warning("%s is shorter than %d characters: treated as not set", TOKEN_ENV, MIN_TOKEN_LENGTH)
        if self._token_digest is None:
            self._warn_not_configured()

    @property
    def configured(self) -> bool:
        return self._token_digest is not None

    def _warn_not_configured(self) -> None:
        if not self._warned:
            self._warned = True
            logger.warning("%s is not set: transcript erasure requests are refused (503)", TOKEN_ENV)

    def _authorised(self, header: Optional[str]) -> bool:
        scheme, _, presented = (header or "").partition(" ")
        ok = scheme.lower() == "bearer" and bool(presented.strip())
        # Always compare (also for a malformed header), so a refusal takes the same time either way.
        same = self._token_digest is not None and hmac.compare_digest(
            _digest(presented.strip()), self._token_digest)
        return ok and same

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        bp = Blueprint(f"transcripts_webhook_{id(self)}", __name__)

        @bp.route("/erase", methods=["POST"])
        async def erase(request: Request) -> HTTPResponse:
            if not self.configured:
                self._warn_not_configured()
                return _error(503, "not_configured", "transcript erasure is not configured on this server")
            if not self._authorised(request.headers.get("Authorization")):
                logger.warning("transcript erasure refused: missing or wrong token")
                return _error(401, "unauthorized", "missing or wrong bearer token")
            declared = request.headers.get("Content-Length")
            if (declared is not None and (not declared.isdigit() or int(declared) > MAX_BODY_BYTES)) \
                    or len(request.body or b"") > MAX_BODY_BYTES:
                return _error(413, "payload_too_large", f"the body must be at most {MAX_BODY_BYTES} bytes")
            try:
                body = json.loads(request.body or b"")
            except (ValueError, UnicodeDecodeError):
                return _error(400, "invalid_json", "the body must be a JSON object")
            if not isinstance(body, dict):
                return _error(400, "invalid_json", "the body must be a JSON object")
            conversation_id = body.get("conversation_id")
            if not isinstance(conversation_id, str) or not CONVERSATION_ID_RE.match(conversation_id):
                return _error(400, "invalid_conversation_id",
                              "conversation_id must be 1-255 characters of letters, digits and . _ : @ | ; = + / -")

            agent = getattr(request.app.ctx, "agent", None)
            if agent is None:
                return _error(503, "not_ready", "the assistant is still starting")
            store = erasing_store(getattr(agent, "tracker_store", None))
            if store is None:
                logger.error("transcript erasure: the tracker store cannot erase conversations "
                             "(use bot.tracker_store.RedactingSQLTrackerStore in the endpoints file)")
                return _error(501, "not_supported", "this server's tracker store cannot erase conversations")
            handle = short_hash(conversation_id)
            try:
                # The store is synchronous SQLAlchemy: keep it off the event loop.
                erased = bool(await asyncio.to_thread(store.erase_conversation, conversation_id))
            except Exception as error:  # noqa: BLE001 - the caller retries; only the type is logged
                logger.error("transcript erasure of conversation %s failed: %s", handle, type(error).__name__)
                return _error(503, "store_unavailable", "the conversation store is not available; try again")
            logger.info("transcript erasure: conversation %s %s", handle, "erased" if erased else "was not stored")
            return response.json({"erased": erased})

        return bp

