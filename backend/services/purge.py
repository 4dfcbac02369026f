"""Retention: expire unverified cases, drop spent rate-limit and idempotency rows, anonymise old cases.

What is removed when a closed case passes its retention (settings.retention_days per type, counted
from `closed_at`; expired cases use settings.expired_case_retention_days): the requester's name,
address and blind index, free-text details, status and extension reasons, messages, codes and the
receipt hash. The row keeps reference, type, status and dates (statistics, and the audit trail's
references stay resolvable); an audit entry records the anonymisation without personal data.

Incident and misconduct reports never expire unverified: their legal clocks run from awareness or
receipt, and dropping a breach report because a code was not typed in would lose the report itself.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from backend.models import AddressLock, Case, IdempotencyRecord, Message, VerificationCode, VerificationFailure
from backend.schemas import CLOSED_STATUSES
from backend.services import Services, audit

NEVER_EXPIRE_TYPES = ("incident", "misconduct")
RATE_LIMIT_ROW_AGE = timedelta(days=1)


@dataclass(frozen=True)
class PurgeCounts:
    expired_cases: int
    anonymised_cases: int
    idempotency_records: int
    verification_codes: int
    verification_failures: int
    address_locks: int
    dry_run: bool

    def as_json(self) -> dict[str, Any]:
        return asdict(self)


def _anonymise(session: Session, case: Case, now: datetime) -> None:
    session.execute(delete(Message).where(Message.case_id == case.id).execution_options(synchronize_session=False))
    session.execute(
        delete(VerificationCode).where(VerificationCode.case_id == case.id).execution_options(synchronize_session=False)
    )
    case.requester_name_enc = None
    case.requester_email_enc = None
    case.requester_email_index = None
    case.details_enc = None
    case.receipt_hash = None
    case.extension_reason_enc = None
    case.status_reason_enc = None
    case.conversation_id_enc = None  # the link to a chat transcript is personal data too
    case.company = None
    case.anonymised_at = now
    case.updated_at = now


def purge_tx(session: Session, svc: Services, now: datetime, dry_run: bool) -> PurgeCounts:
    settings = svc.settings
    expire = session.execute(
        select(Case).where(
            Case.status == "awaiting_verification",
            Case.verification_expires_at <= now,
            Case.type.not_in(NEVER_EXPIRE_TYPES),
        ).with_for_update()
    ).scalars().all()
    for case in expire:
        case.status = "expired"
        case.closed_at = now
        case.updated_at = now
        audit.append(session, action="case_expired", actor="system", now=now, case_reference=case.reference,
                     data={"type": case.type})

    # (which cases, retention in days from closing): per type for closed cases, one rule for expired ones.
    rules = [
        ((Case.type == case_type, Case.status.in_(sorted(CLOSED_STATUSES - {"expired"}))), days)
        for case_type, days in sorted(settings.retention_days.items())
    ]
    rules.append(((Case.status == "expired",), settings.expired_case_retention_days))
    anonymised = 0
    for conditions, days in rules:
        candidates = session.execute(
            select(Case).where(
                *conditions, Case.anonymised_at.is_(None), Case.closed_at <= now - timedelta(days=days)
            ).with_for_update()
        ).scalars().all()
        for case in candidates:
            _anonymise(session, case, now)
            audit.append(session, action="case_anonymised", actor="system", now=now, case_reference=case.reference,
                         data={"type": case.type, "retention_days": days})
            anonymised += 1

    def count_delete(statement: Any) -> int:
        return session.execute(statement.execution_options(synchronize_session=False)).rowcount or 0

    idempotency = count_delete(delete(IdempotencyRecord).where(IdempotencyRecord.expires_at <= now))
    failures = count_delete(delete(VerificationFailure).where(VerificationFailure.created_at <= now - RATE_LIMIT_ROW_AGE))
    codes = count_delete(delete(VerificationCode).where(VerificationCode.expires_at <= now - RATE_LIMIT_ROW_AGE))
    locks = count_delete(delete(AddressLock).where(AddressLock.created_at <= now - RATE_LIMIT_ROW_AGE))

    counts = PurgeCounts(
        expired_cases=len(expire), anonymised_cases=anonymised, idempotency_records=idempotency,
        verification_codes=codes, verification_failures=failures, address_locks=locks, dry_run=dry_run,
    )
    if dry_run:
        session.rollback()  # report what would happen, change nothing
    else:
        audit.append(session, action="purge_run", actor="system", now=now,
                     data={k: v for k, v in counts.as_json().items() if k != "dry_run"})
    return counts


def purge(svc: Services, *, dry_run: bool = False) -> PurgeCounts:
    """Run the purge in one transaction (blocking; CLI and tests)."""
    return svc.db.call(purge_tx, svc, svc.now(), dry_run)
