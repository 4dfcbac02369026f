"""Talking back to Teams: the Bot Connector REST calls and the per-conversation reply queues.

Replies are not posted while Rasa handles the message. The output channel only queues them; one
background task per conversation posts them in order, with the timeouts and bounded retries of
`DeliveryPolicy`. A slow or failing serviceUrl therefore delays only its own conversation, and the
webhook can acknowledge as soon as Rasa has handled the message.

Logs carry activity ids, statuses and outcomes, never message text, names or tokens.
"""

from __future__ import annotations

import asyncio
import ipaddress
import logging
import time
from dataclasses import dataclass
from typing import Any, Dict, Optional, Tuple
from urllib.parse import quote, urlsplit

import aiohttp

from bot.channels.teams_auth import ConnectorTokenProvider, SessionGetter, TokenUnavailableError
from bot.channels.teams_config import DeliveryPolicy, TeamsSettings

logger = logging.getLogger(__name__)

RETRYABLE_STATUSES = frozenset({408, 425, 429, 500, 502, 503, 504})


def is_acceptable_service_url(url: Any) -> bool:
    """https, or http only to a loopback address (local test servers). Anything else is refused so a forged
    activity cannot make the bot post its app token to an arbitrary plain-text address."""
    if not isinstance(url, str) or len(url) > 2048:
        return False
    try:
        parts = urlsplit(url)
    except ValueError:
        return False
    if not parts.hostname or parts.username or parts.password:
        return False
    if parts.scheme == "https":
        return True
    if parts.scheme != "http":
        return False
    if parts.hostname == "localhost":
        return True
    try:
        return ipaddress.ip_address(parts.hostname).is_loopback
    except ValueError:
        return False


@dataclass
class OutgoingActivity:
    service_url: str
    conversation_id: str
    reply_to_id: Optional[str]
    payload: Dict[str, Any]
    incoming_activity_id: str  # for logs only


class ConnectorClient:
    """REST calls to `{serviceUrl}/v3/...` with the app token."""

    def __init__(self, settings: TeamsSettings, session: SessionGetter, tokens: ConnectorTokenProvider) -> None:
        self._settings = settings
        self._session = session
        self._tokens = tokens
        self.policy: DeliveryPolicy = settings.delivery

    @staticmethod
    def activity_url(service_url: str, conversation_id: str, reply_to_id: Optional[str]) -> str:
        # Teams conversation ids contain ':', ';', '@' and '=': encode them as one path segment.
        base = f"{service_url.rstrip('/')}/v3/conversations/{quote(conversation_id, safe='')}/activities"
        return f"{base}/{quote(reply_to_id, safe='')}" if reply_to_id else base

    async def post_activity(self, outgoing: OutgoingActivity) -> bool:
        """Post one activity; True when delivered, False when given up after the bounded retries."""
        url = self.activity_url(outgoing.service_url, outgoing.conversation_id, outgoing.reply_to_id)
        policy = self.policy
        timeout = aiohttp.ClientTimeout(total=policy.total_timeout_s, connect=policy.connect_timeout_s)
        refreshed_token = False
        attempt = 0
        while attempt < policy.attempts:
            attempt += 1
            retry_after: Optional[float] = None
            outcome: str
            try:
                token = await self._tokens.token()
                session = await self._session()
                headers = {"Authorization": f"Bearer {token}"}
                async with session.post(url, json=outgoing.payload, headers=headers, timeout=timeout) as resp:
                    status = resp.status
                    if 200 <= status < 300:
                        logger.info("teams.reply delivered activity=%s attempt=%d status=%d",
                                    outgoing.incoming_activity_id, attempt, status)
                        return True
                    outcome = f"status={status}"
                    if status == 401 and not refreshed_token:
                        # The cached token may have been revoked: renew once, without using up an attempt.
                        self._tokens.invalidate()
                        refreshed_token = True
                        attempt -= 1
                        continue
                    if status not in RETRYABLE_STATUSES:
                        logger.error("teams.reply rejected activity=%s status=%d (not retried)",
                                     outgoing.incoming_activity_id, status)
                        return False
                    if status == 429:
                        retry_after = _retry_after_seconds(resp.headers.get("Retry-After"), policy)
            except TokenUnavailableError:
                outcome = "no_token"
            except asyncio.TimeoutError:
                outcome = "timeout"
            except aiohttp.ClientError as error:
                outcome = type(error).__name__
            if attempt >= policy.attempts:
                logger.error("teams.reply given up activity=%s attempts=%d last=%s",
                             outgoing.incoming_activity_id, attempt, outcome)
                return False
            wait = retry_after if retry_after is not None else policy.backoff(attempt)
            logger.warning("teams.reply retry activity=%s attempt=%d last=%s wait=%.1fs",
                           outgoing.incoming_activity_id, attempt, outcome, wait)
            await asyncio.sleep(wait)
        return False

    async def get_member(self, service_url: str, conversation_id: str, user_id: str) -> Optional[Dict[str, Any]]:
        """The Teams roster entry of one user (name, e-mail, UPN, aadObjectId); None when unavailable."""
        url = (f"{service_url.rstrip('/')}/v3/conversations/{quote(conversation_id, safe='')}"
               f"/members/{quote(user_id, safe='')}")
        timeout = aiohttp.ClientTimeout(total=self._settings.member_lookup_timeout_s)
        try:
            token = await self._tokens.token()
            session = await self._session()
            async with session.get(url, headers={"Authorization": f"Bearer {token}"}, timeout=timeout) as resp:
                if resp.status != 200:
                    logger.warning("teams.member lookup status=%d", resp.status)
                    return None
                body = await resp.json(content_type=None)
                return body if isinstance(body, dict) else None
        except (TokenUnavailableError, asyncio.TimeoutError, aiohttp.ClientError, ValueError) as error:
            logger.warning("teams.member lookup failed (%s)", type(error).__name__)
            return None


def _retry_after_seconds(value: Optional[str], policy: DeliveryPolicy) -> Optional[float]:
    try:
        seconds = float(value) if value is not None else None
    except ValueError:
        return None
    if seconds is None:
        return None
    return max(0.0, min(seconds, policy.max_retry_after_s))


class ConversationOutbox:
    """One ordered queue and one worker task per conversation; idle workers end and are forgotten."""

    def __init__(self, client: ConnectorClient) -> None:
        self._client = client
        self._queues: Dict[Tuple[str, str], asyncio.Queue] = {}
        self._workers: Dict[Tuple[str, str], asyncio.Task] = {}
        self.delivered = 0
        self.failed = 0
        self.dropped = 0

    def enqueue(self, outgoing: OutgoingActivity) -> None:
        key = (outgoing.service_url, outgoing.conversation_id)
        queue = self._queues.get(key)
        if queue is None:
            queue = self._queues[key] = asyncio.Queue()
        if queue.qsize() >= self._client.policy.max_queued_per_conversation:
            self.dropped += 1
            logger.error("teams.reply dropped activity=%s (conversation queue full)", outgoing.incoming_activity_id)
            return
        queue.put_nowait(outgoing)
        worker = self._workers.get(key)
        if worker is None or worker.done():
            self._workers[key] = asyncio.get_running_loop().create_task(self._drain(key, queue))

    async def _drain(self, key: Tuple[str, str], queue: asyncio.Queue) -> None:
        try:
            while True:
                try:
                    outgoing = queue.get_nowait()
                except asyncio.QueueEmpty:
                    # No await between this check and the clean-up, so no reply can slip in unseen.
                    self._queues.pop(key, None)
                    self._workers.pop(key, None)
                    return
                try:
                    ok = await self._client.post_activity(outgoing)
                except Exception as error:  # a bug must not kill the queue: log and go on with the next reply
                    logger.error("teams.reply crashed activity=%s error=%s", outgoing.incoming_activity_id,
                                 type(error).__name__)
                    logger.debug("teams.reply crash", exc_info=True)
                    ok = False
                if ok:
                    self.delivered += 1
                else:
                    self.failed += 1
        except asyncio.CancelledError:
            self._queues.pop(key, None)
            self._workers.pop(key, None)
            raise

    @property
    def pending(self) -> int:
        return sum(q.qsize() for q in self._queues.values()) + len(self._workers)

    async def drain(self, timeout_s: float) -> None:
        """Wait (bounded) for queued replies, then cancel what is left; used at server shutdown."""
        deadline = time.monotonic() + timeout_s
        while self._workers and time.monotonic() < deadline:
            await asyncio.wait(list(self._workers.values()), timeout=max(0.0, deadline - time.monotonic()))
        for task in list(self._workers.values()):
            task.cancel()
        if self._workers:
            logger.warning("teams.reply shutdown cancelled %d conversation queues", len(self._workers))
        self._workers.clear()
        self._queues.clear()
