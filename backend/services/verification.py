"""E-mail one-time codes: issue, rate-limit, check.

Rules (docs/API.md):
- 6 random digits (`crypto.new_otp`), stored only as a keyed hash (`BlindIndex.code`), valid 10 minutes.
- At most 5 wrong tries per code; at most 10 wrong tries per e-mail address per hour across all codes
  (failures are rows of their own, so issuing a new code does not reset the count).
- A new code at most once per 60 s per case, and at most 3 codes per address per hour.
- Comparison in constant time.

Every decision about one address runs under that address's lock row (`address_locks`, locked with
`SELECT ... FOR UPDATE`; SQLite serialises write transactions anyway), so concurrent guesses cannot
slip past the caps. Functions here run inside the caller's transaction; those that must persist a
failure *and* report an error return the `ApiError` instead of raising it, so the caller commits first.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Optional, Union

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from backend.crypto import BlindIndex, constant_time_equals, new_otp
from backend.models import AddressLock, Case, VerificationCode, VerificationFailure
from backend.schemas import ApiError

CODE_TTL = timedelta(minutes=10)
MAX_TRIES_PER_CODE = 5
MAX_FAILURES_PER_ADDRESS = 10
FAILURE_WINDOW = timedelta(hours=1)
RESEND_INTERVAL = timedelta(seconds=60)
MAX_CODES_PER_ADDRESS = 3
CODE_WINDOW = timedelta(hours=1)

PURPOSE_CASE = "case"  # proving a new case's address
PURPOSE_STATUS = "status"  # proving ownership for a status look-up


def lock_address(session: Session, email_index: str, now: datetime) -> None:
    """Take the per-address lock row (created on first use) for the rest of the transaction."""
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    session.execute(
        insert(AddressLock)
        .values(email_index=email_index, created_at=now)
        .on_conflict_do_nothing(index_elements=["email_index"])
    )
    session.execute(select(AddressLock.email_index).where(AddressLock.email_index == email_index).with_for_update())


def _salt(case: Case, purpose: str) -> str:
    return f"{case.reference}:{purpose}"


def next_code_allowed_at(session: Session, case: Case, purpose: str, email_index: str, now: datetime) -> datetime:
    """When the next code may be issued for this case and address (<= now means: now)."""
    allowed = now
    last_for_case = session.execute(
        select(func.max(VerificationCode.created_at)).where(
            VerificationCode.case_id == case.id,
            VerificationCode.purpose == purpose,
            VerificationCode.delivery_failed.is_(False),
        )
    ).scalar()
    if last_for_case is not None:
        allowed = max(allowed, last_for_case + RESEND_INTERVAL)
    recent = session.execute(
        select(VerificationCode.created_at)
        .where(
            VerificationCode.email_index == email_index,
            VerificationCode.created_at > now - CODE_WINDOW,
            VerificationCode.delivery_failed.is_(False),
        )
        .order_by(VerificationCode.created_at.desc())
    ).scalars().all()
    if len(recent) >= MAX_CODES_PER_ADDRESS:
        # The window frees up when the oldest of the last three codes is an hour old.
        allowed = max(allowed, recent[MAX_CODES_PER_ADDRESS - 1] + CODE_WINDOW)
    return allowed


@dataclass(frozen=True)
class IssuedCode:
    code: str  # plaintext, kept in memory only until the e-mail is sent
    code_id: int
    expires_at: datetime
    resend_after: datetime


def issue_code(
    session: Session, index: BlindIndex, case: Case, purpose: str, email_index: str, now: datetime
) -> IssuedCode:
    """A new code for the case (older live codes of the same purpose stop working). Caller checked limits."""
    session.execute(
        update(VerificationCode)
        .where(
            VerificationCode.case_id == case.id,
            VerificationCode.purpose == purpose,
            VerificationCode.used_at.is_(None),
            VerificationCode.superseded.is_(False),
        )
        .values(superseded=True)
        .execution_options(synchronize_session=False)
    )
    code = new_otp()
    row = VerificationCode(
        case_id=case.id,
        purpose=purpose,
        email_index=email_index,
        code_hash=index.code(code, _salt(case, purpose)),
        created_at=now,
        expires_at=now + CODE_TTL,
        attempts=0,
        superseded=False,
        delivery_failed=False,
    )
    session.add(row)
    session.flush()
    return IssuedCode(code, row.id, row.expires_at, next_code_allowed_at(session, case, purpose, email_index, now))


def mark_delivery_failed(session: Session, code_id: int) -> None:
    """A code whose e-mail could not be sent neither blocks a resend nor counts against the hourly cap."""
    session.execute(
        update(VerificationCode)
        .where(VerificationCode.id == code_id)
        .values(delivery_failed=True, superseded=True)
        .execution_options(synchronize_session=False)
    )


def _address_failures(session: Session, email_index: str, now: datetime) -> list[datetime]:
    return session.execute(
        select(VerificationFailure.created_at)
        .where(VerificationFailure.email_index == email_index, VerificationFailure.created_at > now - FAILURE_WINDOW)
        .order_by(VerificationFailure.created_at.desc())
    ).scalars().all()


def retry_after_seconds(until: datetime, now: datetime) -> int:
    """Whole seconds until `until` (at least 1), for `retry_after` in 429 answers."""
    return max(1, int((until - now).total_seconds() + 0.999))


def check_code(
    session: Session,
    index: BlindIndex,
    case: Optional[Case],
    purpose: str,
    email_index: str,
    code: str,
    now: datetime,
) -> Union[VerificationCode, ApiError]:
    """The matching code row (marked used) or the error to report after committing the failure count.

    `case` is None, or `email_index` is not the case's address, for a status look-up that does not
    match: it fails exactly like a wrong code (same error, counted the same way), so the answer never
    tells whether an address belongs to a reference.
    """
    lock_address(session, email_index, now)
    failures = _address_failures(session, email_index, now)
    if len(failures) >= MAX_FAILURES_PER_ADDRESS:
        until = failures[MAX_FAILURES_PER_ADDRESS - 1] + FAILURE_WINDOW
        return ApiError(429, "too_many_attempts", "too many wrong codes for this address; try again later",
                        retry_after=retry_after_seconds(until, now))

    row: Optional[VerificationCode] = None
    if case is not None:
        row = session.execute(
            select(VerificationCode)
            .where(
                VerificationCode.case_id == case.id,
                VerificationCode.purpose == purpose,
                VerificationCode.email_index == email_index,
                VerificationCode.superseded.is_(False),
                VerificationCode.used_at.is_(None),
            )
            .order_by(VerificationCode.id.desc())
            .limit(1)
            .with_for_update()
        ).scalar_one_or_none()

    if row is None:
        if purpose == PURPOSE_CASE:
            # The case's own address, no enumeration risk: tell the caller to ask for a new code.
            return ApiError(410, "code_expired", "there is no valid code for this case; request a new one")
        # Status look-up without a live code for this pair: count it like a wrong guess on a phantom code.
        same_case = (
            VerificationFailure.case_id == case.id if case is not None else VerificationFailure.case_id.is_(None)
        )
        recent_pair = session.execute(
            select(func.count(VerificationFailure.id)).where(
                VerificationFailure.email_index == email_index,
                same_case,
                VerificationFailure.code_id.is_(None),
                VerificationFailure.created_at > now - CODE_TTL,
            )
        ).scalar_one()
        if recent_pair >= MAX_TRIES_PER_CODE:
            return ApiError(429, "too_many_attempts", "too many wrong tries for this code; request a new one")
        session.add(VerificationFailure(
            email_index=email_index, case_id=case.id if case is not None else None, code_id=None, created_at=now,
        ))
        left = min(MAX_TRIES_PER_CODE - recent_pair - 1, MAX_FAILURES_PER_ADDRESS - len(failures) - 1)
        return ApiError(400, "invalid_code", "the code is not correct", attempts_left=max(0, left))

    if row.expires_at <= now:
        return ApiError(410, "code_expired", "the code has expired; request a new one")
    if row.attempts >= MAX_TRIES_PER_CODE:
        return ApiError(429, "too_many_attempts", "too many wrong tries for this code; request a new one")

    assert case is not None
    submitted = index.code(code, _salt(case, purpose))
    if constant_time_equals(submitted, row.code_hash):
        row.used_at = now
        session.flush()
        return row

    row.attempts += 1
    session.add(VerificationFailure(email_index=email_index, case_id=case.id, code_id=row.id, created_at=now))
    session.flush()
    left = min(MAX_TRIES_PER_CODE - row.attempts, MAX_FAILURES_PER_ADDRESS - len(failures) - 1)
    return ApiError(400, "invalid_code", "the code is not correct", attempts_left=max(0, left))
