"""E-mail through an outbox: queued in the transaction that decides it, sent after the commit, never logged.

Why an outbox: an e-mail sent "after the commit" from memory is lost if the process dies in between (the case
is filed, its code never arrives; bench/bench_faults.py found exactly that). `queue_email` writes the e-mail
(recipient and values encrypted) in the caller's transaction, claimed by this process; after the commit it is
sent in the background (`Database.run` runs the session's after-commit callbacks) and its row
deleted. A row whose claim ran out, because its process died or its send hung, is sent by `deliver_queued`,
which the backend's scheduler runs every MAIL_SWEEP_SECONDS. At least once: a process that dies after the mail
server accepted the message but before the row was deleted sends it twice; that beats sending it never.

Why in the background: an SMTP server may take up to ~35 s over its retries (backend/mailer.py); a handler
must not hold the action server that long, and a status look-up must answer in the same time whether or not a
code goes out. A failed code e-mail marks its code `delivery_failed`, so a resend is allowed at once and the
failure does not count against the hourly cap.
"""

from __future__ import annotations

import json
import logging
from datetime import datetime, timedelta
from typing import Any, Optional

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from backend.db import after_commit
from backend.email_templates import render
from backend.mailer import SMTP_ATTEMPTS, SMTP_BACKOFF_SECONDS, SMTP_TIMEOUT_SECONDS, OutgoingEmail
from backend.models import QueuedEmail
from backend.services import Services
from backend.services.verification import mark_delivery_failed

log = logging.getLogger("backend.mail")

# Longer than the mailer's worst case (every attempt timing out, plus the back-off), so a live sender is never
# overtaken by the sweep.
CLAIM_SECONDS = SMTP_ATTEMPTS * SMTP_TIMEOUT_SECONDS + SMTP_ATTEMPTS * SMTP_BACKOFF_SECONDS * 2 + 5
# Until the sender's own claim (`_claim_tx`) takes over, right after the commit.
QUEUED_CLAIM = timedelta(seconds=10)
MAIL_SWEEP_SECONDS = 5.0
# An e-mail still queued after this long (its code has expired long since) is dropped, not sent.
MAX_QUEUED_AGE = timedelta(hours=1)
SWEEP_BATCH = 50


def _encode(value: Any) -> Any:
    if isinstance(value, datetime):
        return {"$datetime": value.isoformat()}
    raise TypeError(f"cannot queue a {type(value).__name__} in an e-mail")


def _decode(obj: dict[str, Any]) -> Any:
    if set(obj) == {"$datetime"}:
        return datetime.fromisoformat(obj["$datetime"])
    return obj


def queue_email(
    session: Session,
    svc: Services,
    *,
    to: str,
    template: str,
    language: str,
    reference: str,
    now: datetime,
    code_id: Optional[int] = None,
    **context: Any,
) -> None:
    """Queue one e-mail in the caller's transaction; it is sent once that transaction has committed."""
    row = QueuedEmail(
        template=template, language=language, reference=reference, code_id=code_id,
        recipient_enc=svc.cipher.encrypt(to),
        context_enc=svc.cipher.encrypt(json.dumps(context, default=_encode, ensure_ascii=False)),
        created_at=now, claimed_until=now + QUEUED_CLAIM, attempts=0,
    )
    session.add(row)
    session.flush()
    mail_id = row.id
    after_commit(session, lambda: svc.spawn(send_queued(svc, mail_id), f"e-mail {template} for {reference}"))


def _claim_tx(session: Session, svc: Services, mail_id: int, now: datetime, sweeping: bool) -> Optional[dict[str, Any]]:
    """The queued e-mail, decrypted, with its claim renewed; None when it is gone or (sweeping) another
    sender's claim still runs."""
    claim = update(QueuedEmail).where(QueuedEmail.id == mail_id)
    if sweeping:
        claim = claim.where(QueuedEmail.claimed_until <= now)
    claimed = session.execute(
        claim.values(claimed_until=now + timedelta(seconds=CLAIM_SECONDS), attempts=QueuedEmail.attempts + 1)
        .execution_options(synchronize_session=False)
    )
    if claimed.rowcount != 1:
        return None
    row = session.execute(select(QueuedEmail).where(QueuedEmail.id == mail_id)).scalar_one()
    context = json.loads(svc.cipher.decrypt(row.context_enc), object_hook=_decode)
    return {"to": svc.cipher.decrypt(row.recipient_enc), "template": row.template, "language": row.language,
            "reference": row.reference, "code_id": row.code_id, "context": context}


def _done_tx(session: Session, mail_id: int, code_id: Optional[int], delivered: bool) -> None:
    if not delivered and code_id is not None:
        mark_delivery_failed(session, code_id)
    session.execute(delete(QueuedEmail).where(QueuedEmail.id == mail_id).execution_options(synchronize_session=False))


async def send_queued(svc: Services, mail_id: int, sweeping: bool = False) -> bool:
    """Send one queued e-mail and delete its row (also when the mail server refused it for good: the mailer
    has retried already, and a refused code may be resent at once). Returns True when it was delivered."""
    mail = await svc.db.run(_claim_tx, svc, mail_id, svc.now(), sweeping)
    if mail is None:
        return False
    template, reference = mail["template"], mail["reference"]
    try:
        subject, body = render(template, mail["language"], reference=reference, **mail["context"])
        await svc.mailer.send(OutgoingEmail(to=mail["to"], subject=subject, body=body, language=mail["language"]))
        delivered = True
    except Exception as exc:  # noqa: BLE001 - any failure must leave the case usable
        log.warning("e-mail %s for case %s failed: %s", template, reference, type(exc).__name__)
        delivered = False
    await svc.db.run(_done_tx, mail_id, mail["code_id"], delivered)
    if delivered:
        log.info("e-mail %s for case %s sent", template, reference)
    return delivered


def _due_tx(session: Session, now: datetime) -> list[int]:
    stale = session.execute(
        delete(QueuedEmail).where(QueuedEmail.created_at <= now - MAX_QUEUED_AGE)
        .execution_options(synchronize_session=False)
    ).rowcount
    if stale:
        log.warning("dropped %d e-mail(s) queued for over %s", stale, MAX_QUEUED_AGE)
    return list(session.execute(
        select(QueuedEmail.id).where(QueuedEmail.claimed_until <= now).order_by(QueuedEmail.id).limit(SWEEP_BATCH)
    ).scalars())


async def deliver_queued(svc: Services) -> int:
    """Send every queued e-mail whose claim ran out (its sender died or hung). Returns how many were sent."""
    sent = 0
    for mail_id in await svc.db.run(_due_tx, svc.now()):
        if await send_queued(svc, mail_id, sweeping=True):
            sent += 1
    if sent:
        log.info("sent %d queued e-mail(s) left by an earlier sender", sent)
    return sent
