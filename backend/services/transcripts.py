"""Chat-transcript erasure: the backend's one connection to Rasa (the outside system of this module).

Why an outbox: the backend never imports Rasa and Rasa's database is not ours. When staff complete an
erasure case, `enqueue_for_case` (called inside the status-change transaction) writes one row per
conversation to erase into `transcript_erasures`: every conversation linked to that case and to the same
requester's other cases (same e-mail blind index). `deliver_pending` then POSTs each due row to Rasa's
transcript channel (bot/channels/transcripts.py):

    POST TRANSCRIPT_ERASE_URL   Authorization: Bearer TRANSCRIPT_ERASE_TOKEN   {"conversation_id": "..."}
    -> 200 {"erased": true|false}   (false: nothing was stored; erasing is idempotent, so that is success)

On success the row is marked done, its encrypted conversation id is dropped and an audit entry
("transcript_erased", case reference, no conversation id) is written. On failure the row backs off
(`attempts`, `next_attempt_at`, `last_error_code`). A failure that is not about one conversation (wrong
token, Rasa down or not configured) stops the run: the other rows stay due for the next run.

The user can also ask in the chat ("forget this conversation", actions/forget.py): the action server calls
POST /api/v1/conversations/erasure, and `request_chat_erasure` queues a row without a case (`case_id` NULL; at
most one pending per conversation, so a retried call reuses it) and delivers it at once, after the commit and
inside the request, so the erasure reaches Rasa before the action answers, as it did when the action server
erased the store itself. Rasa saves the turn after the action returns; its tombstone (bot/tracker_store.py)
keeps only the events written after the erasure, so the turn cannot bring the erased ones back. When the
immediate delivery fails, the row backs off and the sweep below delivers it later (a late erasure removes
everything stored until then).

Runs from the backend's scheduler tick (backend/scheduler.py) and from `python -m backend transcripts
deliver` (cron). Two runners never send the same row: each row is claimed first with a conditional
UPDATE (compare-and-set on `next_attempt_at`), which on PostgreSQL re-checks the row after a concurrent
claim commits and on SQLite runs under the database write lock.

Without TRANSCRIPT_ERASE_TOKEN nothing is sent; the run reports `configured: false` and the rows wait.
Timeouts, back-off and batch size are all stated below, in one place.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import logging
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
from typing import Any, Optional

import aiohttp
from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from backend.crypto import DecryptionError
from backend.models import Case, TranscriptErasure
from backend.services import Services, audit

log = logging.getLogger("backend.transcripts")

# --- the rule -----------------------------------------------------------------------------------
ERASING_CASE_TYPES = frozenset({"erasure"})  # case types whose completion erases chat transcripts
ERASING_STATUS = "completed"

# --- delivery: timeouts and retries (the only place they are set) -----------------------------------
REQUEST_TIMEOUT_SECONDS = 10.0  # one POST to Rasa, connect + answer
# A chat's own request is delivered while the action server waits: under its 5 s try timeout
# (actions/backend_client.py RetryPolicy), so a slow Rasa leaves the row to the sweep instead of a retry.
IMMEDIATE_TIMEOUT_SECONDS = 3.0
CLAIM_LEASE = timedelta(minutes=2)  # a claimed row is left alone this long (> the timeout), then due again
# Wait after the n-th failed attempt; the last step repeats for ever (the request stays owed).
BACKOFF_STEPS = (
    timedelta(minutes=1),
    timedelta(minutes=5),
    timedelta(minutes=15),
    timedelta(hours=1),
    timedelta(hours=6),
    timedelta(hours=24),
)
BATCH_SIZE = 50  # rows per run; the next tick takes the rest
# Failures about this one conversation; anything else (token, Rasa down, no store) stops the run.
PER_ITEM_ERRORS = frozenset({"http_400", "http_413", "http_422"})


def backoff_after(attempts: int) -> timedelta:
    """How long to wait after `attempts` failed attempts (1-based)."""
    return BACKOFF_STEPS[min(max(attempts, 1), len(BACKOFF_STEPS)) - 1]


def conversation_index(svc: Services, conversation_id: str) -> str:
    """Keyed hash of a conversation id: equality without storing the id in clear (one row per case)."""
    # A key of its own, derived like the idempotency hash's (backend/services/cases.py), so this index
    # space can never collide with the e-mail indexes.
    key = hashlib.sha256(b"conversation\x00" + svc.settings.blind_index_key.encode("utf-8")).digest()
    return hmac.new(key, conversation_id.encode("utf-8"), hashlib.sha256).hexdigest()


# --- enqueue (inside the status-change transaction) ----------------------------------------------

def enqueue_for_case(session: Session, svc: Services, case: Case, now: datetime, actor: str) -> int:
    """Queue the erasure of every conversation linked to `case` or to the same requester's other cases.

    Call it in the transaction that completes the case. Only erasure cases queue anything. Idempotent:
    a conversation already queued for this case is not queued again. Returns how many rows were added."""
    if case.type not in ERASING_CASE_TYPES:
        return 0
    linked = select(Case.conversation_id_enc).where(Case.conversation_id_enc.is_not(None))
    if case.requester_email_index:
        linked = linked.where((Case.id == case.id) | (Case.requester_email_index == case.requester_email_index))
    else:
        linked = linked.where(Case.id == case.id)
    conversations: dict[str, str] = {}
    unreadable = 0
    for (token,) in session.execute(linked):
        try:
            conversation = svc.cipher.decrypt(token)
        except DecryptionError:  # a retired key must not block closing the case; it is logged below
            unreadable += 1
            continue
        if conversation:
            conversations.setdefault(conversation_index(svc, conversation), conversation)
    if unreadable:
        log.warning("case %s: %d linked conversation id(s) could not be decrypted", case.reference, unreadable)
    if not conversations:
        return 0
    already = set(
        session.execute(
            select(TranscriptErasure.conversation_index).where(TranscriptErasure.case_id == case.id)
        ).scalars()
    )
    added = 0
    for index, conversation in sorted(conversations.items()):
        if index in already:
            continue
        session.add(TranscriptErasure(
            case_id=case.id, conversation_id_enc=svc.cipher.encrypt(conversation), conversation_index=index,
            created_at=now, attempts=0, next_attempt_at=now,
        ))
        added += 1
    if added:
        session.flush()
        audit.append(session, action="transcript_erasures_queued", actor=actor, now=now,
                     case_reference=case.reference, data={"count": added})
    return added


# --- delivery ------------------------------------------------------------------------------------

@dataclass
class DeliveryRun:
    """What one delivery run did (counts only)."""

    configured: bool = True
    delivered: int = 0
    failed: int = 0
    pending: int = 0  # rows not done after the run (due now or backing off)
    error_codes: list[str] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class _Claimed:
    id: int
    case_reference: Optional[str]  # None: the user asked in the chat
    conversation_id: str
    attempts: int

    @property
    def label(self) -> str:
        """What the logs call it: the case, or a chat request (never the conversation id)."""
        return f"for case {self.case_reference}" if self.case_reference else "asked in the chat"


def _pending_count(session: Session) -> int:
    return int(session.execute(
        select(func.count()).select_from(TranscriptErasure).where(TranscriptErasure.done_at.is_(None))
    ).scalar_one())


def _claim_tx(session: Session, svc: Services, now: datetime, limit: int) -> list[_Claimed]:
    due = session.execute(
        select(TranscriptErasure.id, TranscriptErasure.next_attempt_at)
        .where(TranscriptErasure.done_at.is_(None), TranscriptErasure.next_attempt_at <= now)
        .order_by(TranscriptErasure.next_attempt_at, TranscriptErasure.id)
        .limit(limit)
    ).all()
    claimed: list[_Claimed] = []
    for row_id, _due_at in due:
        # Compare-and-set: only the runner whose UPDATE still finds the row due gets it.
        result = session.execute(
            update(TranscriptErasure)
            .where(TranscriptErasure.id == row_id, TranscriptErasure.done_at.is_(None),
                   TranscriptErasure.next_attempt_at <= now)
            .values(next_attempt_at=now + CLAIM_LEASE)
            .execution_options(synchronize_session=False)
        )
        if result.rowcount != 1:
            continue
        row = session.get(TranscriptErasure, row_id)
        case = session.get(Case, row.case_id) if row.case_id is not None else None
        try:
            conversation = svc.cipher.decrypt(row.conversation_id_enc)
        except DecryptionError:  # its key was retired too early: keep the row owed and visible
            row.attempts += 1
            row.last_error_code = "undecryptable"
            row.next_attempt_at = now + backoff_after(row.attempts)
            continue
        if conversation is None or (row.case_id is not None and case is None):  # nothing left to send: settle
            row.done_at, row.last_error_code = now, "nothing_to_send"
            continue
        claimed.append(_Claimed(row.id, case.reference if case else None, conversation, row.attempts))
    return claimed


def _done_tx(session: Session, item: _Claimed, erased: bool, now: datetime) -> None:
    row = session.get(TranscriptErasure, item.id)
    if row is None or row.done_at is not None:
        return
    row.attempts = item.attempts + 1
    row.done_at = now
    row.last_error_code = None
    row.conversation_id_enc = None  # delivered: the id is no longer needed here
    audit.append(session, action="transcript_erased", actor="system", now=now, case_reference=item.case_reference,
                 data={"erasure_id": item.id, "found": erased})


def _failed_tx(session: Session, item: _Claimed, code: str, now: datetime) -> None:
    row = session.get(TranscriptErasure, item.id)
    if row is None or row.done_at is not None:
        return
    row.attempts = item.attempts + 1
    row.last_error_code = code[:40]
    row.next_attempt_at = now + backoff_after(row.attempts)


def _release_tx(session: Session, ids: list[int], now: datetime) -> None:
    """Claimed but not tried (the run stopped early): due again at once, no attempt counted."""
    if ids:
        session.execute(
            update(TranscriptErasure)
            .where(TranscriptErasure.id.in_(ids), TranscriptErasure.done_at.is_(None))
            .values(next_attempt_at=now)
            .execution_options(synchronize_session=False)
        )


async def _post(http: aiohttp.ClientSession, url: str, token: str, conversation_id: str) -> tuple[Optional[bool], str]:
    """(erased, "") on success; (None, error code) on failure. Response bodies are never logged."""
    try:
        async with http.post(url, json={"conversation_id": conversation_id},
                             headers={"Authorization": f"Bearer {token}"}, allow_redirects=False) as response:
            if response.status == 200:
                try:
                    body = json.loads(await response.read())
                except ValueError:
                    return None, "bad_response"
                erased = body.get("erased") if isinstance(body, dict) else None
                return (erased, "") if isinstance(erased, bool) else (None, "bad_response")
            if response.status == 401:
                return None, "unauthorized"
            if response.status == 501:
                return None, "not_supported"
            if response.status == 503:
                return None, "unavailable"
            return None, f"http_{response.status}"
    except asyncio.TimeoutError:  # not the builtin TimeoutError before Python 3.11
        return None, "timeout"
    except aiohttp.ClientError:
        return None, "connection_error"


async def _attempt(svc: Services, http: aiohttp.ClientSession, item: _Claimed) -> str:
    """Send one claimed row and record the outcome; "" on success, else the error code."""
    settings = svc.settings
    erased, code = await _post(http, settings.transcript_erase_url, settings.transcript_erase_token,
                               item.conversation_id)
    if erased is not None:
        await svc.db.run(_done_tx, item, erased, svc.now())
        log.info("transcript erasure %d %s delivered (found=%s)", item.id, item.label, erased)
        return ""
    await svc.db.run(_failed_tx, item, code, svc.now())
    log.warning("transcript erasure %d %s failed: %s", item.id, item.label, code)
    if code == "unauthorized":
        log.error("Rasa refused TRANSCRIPT_ERASE_TOKEN: check that the backend and Rasa share it")
    return code


async def deliver_pending(svc: Services, limit: int = BATCH_SIZE) -> DeliveryRun:
    """Send the due erasures to Rasa once each; see the module docstring."""
    settings = svc.settings
    if not settings.transcript_erase_token:
        pending = await svc.db.run(_pending_count, write=False)
        if pending:
            log.warning("TRANSCRIPT_ERASE_TOKEN is not set: %d transcript erasure(s) left pending", pending)
        return DeliveryRun(configured=False, pending=pending)

    run = DeliveryRun()
    claimed = await svc.db.run(_claim_tx, svc, svc.now(), limit)
    if claimed:
        timeout = aiohttp.ClientTimeout(total=REQUEST_TIMEOUT_SECONDS)
        async with aiohttp.ClientSession(timeout=timeout) as http:
            for position, item in enumerate(claimed):
                code = await _attempt(svc, http, item)
                if not code:
                    run.delivered += 1
                    continue
                run.failed += 1
                run.error_codes.append(code)
                if code not in PER_ITEM_ERRORS:
                    rest = [other.id for other in claimed[position + 1:]]
                    await svc.db.run(_release_tx, rest, svc.now())
                    break
    run.pending = await svc.db.run(_pending_count, write=False)
    return run


# --- a chat's own request ("forget this conversation") ----------------------------------------------

def _request_chat_tx(session: Session, svc: Services, conversation_id: str, now: datetime,
                     deliver: bool) -> Optional[_Claimed]:
    """Queue the chat's erasure (or find its pending row) and, when `deliver`, claim it for this request.

    Returns the claimed row, or None when it is left to the sweep (delivery not configured, or the pending
    row is backing off or claimed by another runner)."""
    index = conversation_index(svc, conversation_id)
    row = session.execute(
        select(TranscriptErasure).where(TranscriptErasure.case_id.is_(None), TranscriptErasure.done_at.is_(None),
                                        TranscriptErasure.conversation_index == index)
    ).scalar_one_or_none()
    if row is None:
        # Created claimed by this request (like a queued e-mail, backend/services/notify.py): if the process
        # dies before sending, the claim runs out and the sweep sends it.
        row = TranscriptErasure(
            case_id=None, conversation_id_enc=svc.cipher.encrypt(conversation_id), conversation_index=index,
            created_at=now, attempts=0, next_attempt_at=now + CLAIM_LEASE if deliver else now,
        )
        session.add(row)
        session.flush()  # a concurrent request's row makes this fail on the unique index: the caller retries
        audit.append(session, action="chat_erasure_requested", actor="service", now=now,
                     data={"erasure_id": row.id})
        return _Claimed(row.id, None, conversation_id, 0) if deliver else None
    if not deliver:
        return None
    # A retry, or the user asked again before the last request was delivered: the same row, if it is due.
    claimed = session.execute(
        update(TranscriptErasure)
        .where(TranscriptErasure.id == row.id, TranscriptErasure.done_at.is_(None),
               TranscriptErasure.next_attempt_at <= now)
        .values(next_attempt_at=now + CLAIM_LEASE)
        .execution_options(synchronize_session=False)
    )
    return _Claimed(row.id, None, conversation_id, row.attempts) if claimed.rowcount == 1 else None


async def request_chat_erasure(svc: Services, conversation_id: str) -> dict[str, Any]:
    """Queue the erasure of one chat conversation the user asked to forget, and deliver it at once.

    Idempotent: while a request for the conversation is pending, another one reuses its row. Returns
    {"delivered": bool}: False means queued, for the sweep (module docstring)."""
    deliver = bool(svc.settings.transcript_erase_token)
    try:
        item = await svc.db.run(_request_chat_tx, svc, conversation_id, svc.now(), deliver)
    except IntegrityError:  # a concurrent request queued it first (PostgreSQL): use its row
        item = await svc.db.run(_request_chat_tx, svc, conversation_id, svc.now(), deliver)
    if not deliver:
        log.warning("TRANSCRIPT_ERASE_TOKEN is not set: a chat's erasure request is left pending")
    if item is None:
        return {"delivered": False}
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=IMMEDIATE_TIMEOUT_SECONDS)) as http:
        code = await _attempt(svc, http, item)
    return {"delivered": not code}
