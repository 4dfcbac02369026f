"""The only way the action server talks to the case backend (docs/API.md).

Why one module: every timeout, retry and authentication rule for backend calls lives here, so a form
never hand-builds an HTTP request and two actions cannot disagree on how hard to retry.

Retry policy (stated once, see `RetryPolicy`): each try has its own timeout; a try is repeated only when
the backend could not be reached, timed out or answered 5xx. A 4xx answer is final. `create_case` sends
the same `Idempotency-Key` on every try (and the caller keeps the key across user turns), so a retry can
never file a second case.

Logs never contain personal data: only the method, path template, status and error code.
"""

from __future__ import annotations

import asyncio
import logging
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Dict, Mapping, Optional

import aiohttp
from dotenv import dotenv_values, load_dotenv

logger = logging.getLogger(__name__)

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_BACKEND_URL = "http://127.0.0.1:8080"
DEV_SECRETS_FILE = PROJECT_ROOT / "var" / "dev-secrets.env"
# The backend's rule for `conversation_id` (backend/schemas.py CONVERSATION_ID_RE; actions/ cannot import
# backend/). An id outside it is left out rather than sent: a chat id must never stop a case being filed.
CONVERSATION_ID_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:@|;=+/\-]{0,254}\Z")


class BackendUnavailable(Exception):
    """The backend could not be reached, timed out or failed (5xx) on every try."""


class BackendError(Exception):
    """The backend answered with a final 4xx error (`{"error": {"code", "message", ...}}`)."""

    def __init__(self, code: str, status: int, details: Optional[Dict[str, Any]] = None) -> None:
        super().__init__(f"backend error {status} {code}")
        self.code = code
        self.status = status
        self.details: Dict[str, Any] = details or {}


@dataclass(frozen=True)
class RetryPolicy:
    """How long one try may take and how often a failed try is repeated."""

    timeout_seconds: float = 5.0
    attempts: int = 3
    backoff_seconds: float = 0.5  # 0.5 s, then 1 s between tries

    def delay_before(self, attempt: int) -> float:
        """Seconds to wait before try number `attempt` (1-based; the first try waits 0)."""
        return 0.0 if attempt <= 1 else self.backoff_seconds * (2 ** (attempt - 2))


@dataclass(frozen=True)
class BackendConfig:
    base_url: str = DEFAULT_BACKEND_URL
    service_token: str = field(default="", repr=False)
    retry: RetryPolicy = RetryPolicy()

    @classmethod
    def from_env(cls, environ: Optional[Mapping[str, str]] = None) -> "BackendConfig":
        """Read BACKEND_URL / BACKEND_SERVICE_TOKEN (and optional timeout knobs).

        In development the backend generates its service token into var/dev-secrets.env when none is
        configured; we read the same file so `make run` works without any manual secret copying.
        """
        if environ is None:
            load_dotenv(PROJECT_ROOT / ".env", override=False)
            environ = os.environ
        base_url = (environ.get("BACKEND_URL") or DEFAULT_BACKEND_URL).rstrip("/")
        token = (environ.get("BACKEND_SERVICE_TOKEN") or "").strip()
        app_env = (environ.get("APP_ENV") or "development").strip().lower()
        if not token and app_env == "development" and DEV_SECRETS_FILE.exists():
            token = (dotenv_values(DEV_SECRETS_FILE).get("BACKEND_SERVICE_TOKEN") or "").strip()
        retry = RetryPolicy(
            timeout_seconds=float(environ.get("BACKEND_TIMEOUT_SECONDS") or 5.0),
            attempts=max(1, int(environ.get("BACKEND_ATTEMPTS") or 3)),
            backoff_seconds=float(environ.get("BACKEND_BACKOFF_SECONDS") or 0.5),
        )
        return cls(base_url=base_url, service_token=token, retry=retry)


class BackendClient:
    """Typed calls to the backend's service endpoints."""

    def __init__(self, config: Optional[BackendConfig] = None) -> None:
        self.config = config or BackendConfig.from_env()
        self._session: Optional[aiohttp.ClientSession] = None
        self._session_loop: Optional[asyncio.AbstractEventLoop] = None

    async def _get_session(self) -> aiohttp.ClientSession:
        # A ClientSession is bound to the loop it was created on; the action server has one loop,
        # tests create a loop per test, so recreate when the loop changed.
        loop = asyncio.get_running_loop()
        if self._session is None or self._session.closed or self._session_loop is not loop:
            self._session = aiohttp.ClientSession(
                headers={
                    "Authorization": f"Bearer {self.config.service_token}",
                    "Accept": "application/json",
                }
            )
            self._session_loop = loop
        return self._session

    async def close(self) -> None:
        if self._session is not None and not self._session.closed:
            await self._session.close()
        self._session = None

    async def _request(
        self,
        method: str,
        path: str,
        body: Optional[Dict[str, Any]] = None,
        headers: Optional[Dict[str, str]] = None,
        log_path: Optional[str] = None,
    ) -> Dict[str, Any]:
        """One logical call with the retry policy. Returns the JSON body of a 2xx answer."""
        policy = self.config.retry
        url = self.config.base_url + path
        log_name = log_path or path
        last_problem = "no attempt made"
        for attempt in range(1, policy.attempts + 1):
            delay = policy.delay_before(attempt)
            if delay:
                await asyncio.sleep(delay)
            try:
                session = await self._get_session()
                async with session.request(
                    method,
                    url,
                    json=body,
                    headers=headers,
                    timeout=aiohttp.ClientTimeout(total=policy.timeout_seconds),
                ) as response:
                    status = response.status
                    try:
                        payload = await response.json(content_type=None)
                    except (ValueError, aiohttp.ContentTypeError):
                        payload = None
                    if status >= 500:
                        last_problem = f"status {status}"
                        logger.warning("backend %s %s -> %s (try %d/%d)", method, log_name, status, attempt, policy.attempts)
                        continue
                    if status >= 400:
                        error = (payload or {}).get("error", {}) if isinstance(payload, dict) else {}
                        code = str(error.get("code") or f"http_{status}")
                        details = {k: v for k, v in error.items() if k not in ("code", "message")}
                        # Some error bodies carry extra fields (attempts_left) next to `error`.
                        if isinstance(payload, dict):
                            details.update({k: v for k, v in payload.items() if k != "error"})
                        logger.info("backend %s %s -> %s %s", method, log_name, status, code)
                        raise BackendError(code, status, details)
                    logger.debug("backend %s %s -> %s", method, log_name, status)
                    return payload if isinstance(payload, dict) else {}
            except BackendError:
                raise
            except asyncio.TimeoutError:
                last_problem = "timeout"
                logger.warning("backend %s %s timed out (try %d/%d)", method, log_name, attempt, policy.attempts)
            except aiohttp.ClientError as exc:
                last_problem = type(exc).__name__
                logger.warning(
                    "backend %s %s unreachable: %s (try %d/%d)",
                    method, log_name, type(exc).__name__, attempt, policy.attempts,
                )
        raise BackendUnavailable(f"{method} {log_name}: {last_problem}")

    # --- service endpoints -------------------------------------------------------------------

    async def create_case(
        self,
        *,
        idempotency_key: str,
        case_type: str,
        language: str,
        channel: str = "web",
        country: str = "NO",
        requester: Optional[Dict[str, Any]] = None,
        anonymous: bool = False,
        details: Optional[Dict[str, str]] = None,
        company: Optional[str] = None,
        aware_at: Optional[str] = None,
        conversation_id: Optional[str] = None,
    ) -> Dict[str, Any]:
        """POST /api/v1/cases. The same key on every retry: the backend replays instead of duplicating.

        `conversation_id`: the chat (Rasa sender id) the case comes from, so completing an erasure case
        also erases that chat's transcript. Never sent for anonymous reports."""
        if not (8 <= len(idempotency_key) <= 128):
            raise ValueError("idempotency key must be 8-128 characters")
        body: Dict[str, Any] = {
            "type": case_type,
            "language": language,
            "channel": channel,
            "country": country,
            "anonymous": anonymous,
            "details": details or {},
        }
        if requester is not None and not anonymous:
            body["requester"] = requester
        if company:
            body["company"] = company
        if aware_at:
            body["aware_at"] = aware_at
        if conversation_id and not anonymous:
            if CONVERSATION_ID_RE.match(conversation_id):
                body["conversation_id"] = conversation_id
            else:
                logger.warning("conversation id not sent with the case: outside the backend's format")
        return await self._request(
            "POST", "/api/v1/cases", body, headers={"Idempotency-Key": idempotency_key}
        )

    async def verify(self, reference: str, code: str) -> Dict[str, Any]:
        """POST /api/v1/cases/{reference}/verification."""
        return await self._request(
            "POST",
            f"/api/v1/cases/{reference}/verification",
            {"code": code},
            log_path="/api/v1/cases/{reference}/verification",
        )

    async def resend_code(self, reference: str) -> Dict[str, Any]:
        """POST /api/v1/cases/{reference}/verification/resend."""
        return await self._request(
            "POST",
            f"/api/v1/cases/{reference}/verification/resend",
            {},
            log_path="/api/v1/cases/{reference}/verification/resend",
        )

    async def status_code(self, reference: str, email: str, language: str) -> Dict[str, Any]:
        """POST /api/v1/status/code: always 202; a code is e-mailed only when the pair matches."""
        return await self._request(
            "POST", "/api/v1/status/code", {"reference": reference, "email": email, "language": language}
        )

    async def status_verify(self, reference: str, email: str, code: str) -> Dict[str, Any]:
        """POST /api/v1/status/verify -> status body."""
        return await self._request(
            "POST", "/api/v1/status/verify", {"reference": reference, "email": email, "code": code}
        )

    async def status_receipt(self, reference: str, receipt: str) -> Dict[str, Any]:
        """POST /api/v1/status/receipt (anonymous reports) -> status body."""
        return await self._request(
            "POST", "/api/v1/status/receipt", {"reference": reference, "receipt": receipt}
        )

    async def erase_conversation(self, conversation_id: str) -> bool:
        """POST /api/v1/conversations/erasure ("forget this conversation"). True when Rasa erased it before
        the answer, False when the backend queued it for its outbox's retries. Retries are safe: the
        backend reuses a pending request. ValueError for an id the backend would refuse."""
        if not CONVERSATION_ID_RE.match(conversation_id):
            raise ValueError("conversation id outside the backend's format")
        answer = await self._request("POST", "/api/v1/conversations/erasure", {"conversation_id": conversation_id})
        return answer.get("delivered") is True

    async def health(self) -> bool:
        try:
            session = await self._get_session()
            async with session.get(
                self.config.base_url + "/healthz",
                timeout=aiohttp.ClientTimeout(total=self.config.retry.timeout_seconds),
            ) as response:
                return response.status == 200
        except (aiohttp.ClientError, asyncio.TimeoutError):
            return False


_client: Optional[BackendClient] = None


def get_backend_client() -> BackendClient:
    """The action server's shared client (created from the environment on first use)."""
    global _client
    if _client is None:
        _client = BackendClient()
    return _client


def set_backend_client(client: Optional[BackendClient]) -> None:
    """Point the actions at another backend (tests start their own backend on a free port)."""
    global _client
    _client = client


__all__ = [
    "BackendClient",
    "BackendConfig",
    "BackendError",
    "BackendUnavailable",
    "RetryPolicy",
    "get_backend_client",
    "set_backend_client",
]
