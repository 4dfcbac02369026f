"""Cases: creation (idempotent), verification, requester status, staff work (status, extension, messages).

Each public coroutine does its database work in one short transaction on a worker thread
(`svc.db.run`) and sends e-mail only after that transaction committed. Transaction functions
(`_..._tx`) take the session first; they raise `ApiError` for errors that need nothing saved, and
*return* it when a failure count must be committed before the error is reported.

Idempotency: the idempotency record is inserted first, in the same transaction as the case, the
first code and the audit entry. Its `key` column is unique, so of two concurrent identical requests
one insert waits for the other's commit and then fails on the constraint; the loser reads the
winner's stored (encrypted) response. No check-then-insert race is possible.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Optional

from sqlalchemy import delete, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from backend.crypto import constant_time_equals, hash_receipt, new_receipt, verify_receipt
from backend.deadlines import RIGHTS_CASE_TYPES, clocks_for, extended_due, zone_for
from backend.models import Case, IdempotencyRecord, Message, StaffUser, VerificationFailure
from backend.references import new_reference
from backend.schemas import (
    CLOSED_STATUSES,
    EXTENDABLE_TYPES,
    MAX_MESSAGE,
    MAX_REASON,
    STATUSES,
    ApiError,
    NewCase,
    parse_new_case,
    text,
)
from backend.services import Services, audit, transcripts
from backend.services.notify import queue_email
from backend.services.verification import (
    FAILURE_WINDOW,
    PURPOSE_CASE,
    PURPOSE_STATUS,
    IssuedCode,
    check_code,
    issue_code,
    lock_address,
    next_code_allowed_at,
    retry_after_seconds,
)

log = logging.getLogger("backend.cases")

IDEMPOTENCY_TTL = timedelta(hours=24)
CREATE_ATTEMPTS = 3
CODE_MINUTES_VALID = 10

ROLE_CASE_TYPES: dict[str, Optional[frozenset[str]]] = {
    "privacy_officer": None,  # every case
    "recruiter": frozenset({"application_withdrawal", "recruitment_consent_withdrawal"}),
    "security": frozenset({"incident", "misconduct"}),
}

TRANSITIONS: dict[str, frozenset[str]] = {
    # Staff may open an unverified case after checking identity another way (second-step proof).
    "awaiting_verification": frozenset({"open", "rejected", "withdrawn"}),
    "open": frozenset({"in_progress", "waiting_for_requester", "completed", "rejected", "withdrawn"}),
    "in_progress": frozenset({"waiting_for_requester", "completed", "rejected", "withdrawn"}),
    "waiting_for_requester": frozenset({"in_progress", "completed", "rejected", "withdrawn"}),
}


def iso(moment: Optional[datetime]) -> Optional[str]:
    return moment.isoformat() if moment is not None else None


# --- clocks -------------------------------------------------------------------------------------

def _clocks(case: Case) -> dict[str, str]:
    return json.loads(case.clocks_json) if case.clocks_json else {}


def _start_clocks(case: Case, received_at: datetime) -> None:
    """Set due dates. Rights requests start when the identity is verified; incident and misconduct
    clocks start at once (the 72 hours run from awareness whether or not anyone verified an address)."""
    if case.type in RIGHTS_CASE_TYPES:
        if case.status == "awaiting_verification":
            return
        due = clocks_for(case.type, received_at, None, case.country)["due_at"]
        case.due_at = case.original_due_at = due
        return
    clocks = clocks_for(case.type, case.created_at, case.aware_at, case.country)
    case.clocks_json = json.dumps({name: iso(value) for name, value in clocks.items()}, sort_keys=True)
    _refresh_clock_due(case)


def _refresh_clock_due(case: Case) -> None:
    """due_at of incident/misconduct cases = the clock that matters in the current status."""
    clocks = _clocks(case)
    if case.type == "incident":
        case.due_at = datetime.fromisoformat(clocks["authority_notification_due_at"])
    elif case.type == "misconduct":
        acknowledged = case.status not in ("awaiting_verification", "open")
        name = "feedback_due_at" if acknowledged else "acknowledge_due_at"
        case.due_at = datetime.fromisoformat(clocks[name])


# --- views --------------------------------------------------------------------------------------

def summary(case: Case, now: datetime) -> dict[str, Any]:
    """Staff list row: no personal data (no names, addresses or free text)."""
    return {
        "reference": case.reference,
        "type": case.type,
        "status": case.status,
        "language": case.language,
        "channel": case.channel,
        "country": case.country,
        "company": case.company,
        "anonymous": case.anonymous,
        "created_at": iso(case.created_at),
        "updated_at": iso(case.updated_at),
        "verified_at": iso(case.verified_at),
        "due_at": iso(case.due_at),
        "clocks": _clocks(case),
        "overdue": bool(case.due_at is not None and case.status not in CLOSED_STATUSES and case.due_at < now),
        "extended": case.extension_months is not None,
        "closed_at": iso(case.closed_at),
    }


def _messages(svc: Services, case: Case, *, staff_view: bool) -> list[dict[str, Any]]:
    items = []
    for message in case.messages:
        item = {
            "from": "staff" if message.direction == "to_requester" else "requester",
            "body": svc.cipher.decrypt(message.body_enc),
            "created_at": iso(message.created_at),
        }
        if staff_view:
            item["staff_id"] = message.staff_id
        items.append(item)
    return items


def requester_view(svc: Services, case: Case) -> dict[str, Any]:
    return {
        "reference": case.reference,
        "type": case.type,
        "status": case.status,
        "due_at": iso(case.due_at),
        "created_at": iso(case.created_at),
        "verified_at": iso(case.verified_at),
        "extended": case.extension_months is not None,
        "messages": _messages(svc, case, staff_view=False),
    }


def staff_view(svc: Services, case: Case, now: datetime) -> dict[str, Any]:
    view = summary(case, now)
    requester = None
    if case.requester_name_enc or case.requester_email_enc:
        requester = {
            "name": svc.cipher.decrypt(case.requester_name_enc),
            "email": svc.cipher.decrypt(case.requester_email_enc),
            "verified_by_channel": case.verified_by_channel,
        }
    view.update(
        requester=requester,
        details=json.loads(svc.cipher.decrypt(case.details_enc)) if case.details_enc else {},
        aware_at=iso(case.aware_at),
        original_due_at=iso(case.original_due_at),
        extension=(
            {
                "months": case.extension_months,
                "reason": svc.cipher.decrypt(case.extension_reason_enc),
                "extended_at": iso(case.extended_at),
            }
            if case.extension_months is not None
            else None
        ),
        status_reason=svc.cipher.decrypt(case.status_reason_enc),
        anonymised_at=iso(case.anonymised_at),
        messages=_messages(svc, case, staff_view=True),
    )
    return view


def _creation_response(
    case: Case, issued: Optional[IssuedCode], resend_after: Optional[datetime], receipt: Optional[str]
) -> dict[str, Any]:
    if case.status == "awaiting_verification":
        verification: dict[str, Any] = {
            "required": True,
            "expires_at": iso(issued.expires_at) if issued else None,
            "resend_after": iso(issued.resend_after if issued else resend_after),
            "code_sent": issued is not None,
        }
    else:
        verification = {"required": False}
    response: dict[str, Any] = {
        "reference": case.reference,
        "type": case.type,
        "status": case.status,
        "language": case.language,
        "verification": verification,
        "due_at": iso(case.due_at),
        "clocks": _clocks(case),
        "created_at": iso(case.created_at),
    }
    if receipt is not None:
        response["receipt"] = receipt
    return response


# --- look-ups -----------------------------------------------------------------------------------

def _case_by_reference(session: Session, reference: str, *, for_update: bool = False) -> Optional[Case]:
    query = select(Case).where(Case.reference == reference)
    if for_update:
        query = query.with_for_update()
    return session.execute(query).scalar_one_or_none()


def _require_case(session: Session, reference: str, *, for_update: bool = False) -> Case:
    case = _case_by_reference(session, reference, for_update=for_update)
    if case is None:
        raise ApiError(404, "case_not_found", "no such case")
    return case


def _unverified_expired(case: Case, now: datetime) -> bool:
    if case.status == "expired":
        return True
    return (
        case.status == "awaiting_verification"
        and case.verification_expires_at is not None
        and case.verification_expires_at <= now
    )


# --- creation -----------------------------------------------------------------------------------

@dataclass(frozen=True)
class _Created:
    status: int
    response: dict[str, Any]


def _request_hash(svc: Services, body: Any) -> str:
    # Keyed, because the body holds personal data and a plain hash of it could be confirmed by guessing.
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    key = hashlib.sha256(b"idempotency\x00" + svc.settings.blind_index_key.encode("utf-8")).digest()
    return hmac.new(key, canonical.encode("utf-8"), hashlib.sha256).hexdigest()


def _create_tx(
    session: Session,
    svc: Services,
    new: NewCase,
    key: str,
    request_hash: str,
    receipt: Optional[str],
    receipt_hash: Optional[str],
    now: datetime,
) -> _Created:
    # A record past its 24 h is dead even if purge has not run yet: the key may be used again.
    session.execute(
        delete(IdempotencyRecord)
        .where(IdempotencyRecord.key == key, IdempotencyRecord.expires_at <= now)
        .execution_options(synchronize_session=False)
    )
    record = IdempotencyRecord(
        key=key, request_hash=request_hash, status_code=201, response_enc="", created_at=now,
        expires_at=now + IDEMPOTENCY_TTL,
    )
    session.add(record)
    session.flush()  # a concurrent duplicate fails here (unique key), before any other work

    cipher = svc.cipher
    requester = new.requester
    email = requester.email if requester else None
    email_index = svc.index.email(email) if email else None
    case = Case(
        reference=new_reference(new.type, now.astimezone(zone_for(new.country)).year),
        type=new.type,
        language=new.language,
        channel=new.channel,
        country=new.country,
        company=new.company,
        anonymous=new.anonymous,
        verified_by_channel=bool(requester and requester.verified_by_channel),
        requester_name_enc=cipher.encrypt(requester.name) if requester else None,
        requester_email_enc=cipher.encrypt(email),
        requester_email_index=email_index,
        details_enc=cipher.encrypt(json.dumps(new.details, ensure_ascii=False)) if new.details else None,
        receipt_hash=receipt_hash,
        aware_at=new.aware_at,
        # The chat it came from (for transcript erasure); parse_new_case already drops it for anonymous reports.
        conversation_id_enc=None if new.anonymous else cipher.encrypt(new.conversation_id),
        created_at=now,
        updated_at=now,
    )
    if new.anonymous or case.verified_by_channel:
        case.status = "open"
        case.verified_at = now if case.verified_by_channel else None
    else:
        case.status = "awaiting_verification"
        case.verification_expires_at = now + timedelta(hours=svc.settings.unverified_case_ttl_hours)
    session.add(case)
    session.flush()  # a (very rare) reference collision fails here; the caller retries
    _start_clocks(case, now)

    issued: Optional[IssuedCode] = None
    resend_after: Optional[datetime] = None
    if case.status == "awaiting_verification":
        assert email_index is not None
        lock_address(session, email_index, now)
        allowed = next_code_allowed_at(session, case, PURPOSE_CASE, email_index, now)
        if allowed <= now:
            issued = issue_code(session, svc.index, case, PURPOSE_CASE, email_index, now)
        else:
            resend_after = allowed  # the address had its 3 codes this hour; the case waits for a resend

    audit.append(
        session, action="case_created", actor="service", now=now, case_reference=case.reference,
        data={
            "type": case.type, "status": case.status, "channel": case.channel, "country": case.country,
            "language": case.language, "anonymous": case.anonymous, "code_issued": issued is not None,
        },
    )
    response = _creation_response(case, issued, resend_after, receipt)
    record.response_enc = cipher.encrypt(json.dumps(response))
    if issued is not None and email:
        _queue_code(session, svc, case, email, issued, "verification_code", case.language, now)
    elif case.status == "open" and email:
        _queue_case_received(session, svc, case, email, now)
    _queue_staff_notice(session, svc, case.reference, new.type, new.country, response, now)
    return _Created(201, response)


def _replay_tx(session: Session, svc: Services, key: str, request_hash: str, now: datetime) -> Optional[_Created]:
    record = session.execute(select(IdempotencyRecord).where(IdempotencyRecord.key == key)).scalar_one_or_none()
    if record is None or record.expires_at <= now:
        return None
    if not constant_time_equals(record.request_hash, request_hash):
        raise ApiError(409, "idempotency_key_reused", "this Idempotency-Key was used with a different request")
    return _Created(200, json.loads(svc.cipher.decrypt(record.response_enc)))


async def create_case(svc: Services, body: Any, key: str) -> tuple[int, dict[str, Any]]:
    """Create a case (201) or replay the stored response for the same key and body (200)."""
    now = svc.now()
    new = parse_new_case(body, now)
    request_hash = _request_hash(svc, body)

    receipt = receipt_hash = None
    if new.anonymous:
        receipt = new_receipt()
        async with svc.argon2_semaphore:
            receipt_hash = await svc.db.run_blocking(hash_receipt, receipt)

    created: Optional[_Created] = None
    for _ in range(CREATE_ATTEMPTS):
        try:
            created = await svc.db.run(_create_tx, svc, new, key, request_hash, receipt, receipt_hash, now)
            break
        except IntegrityError:
            replay = await svc.db.run(_replay_tx, svc, key, request_hash, now, write=False)
            if replay is not None:
                log.info("case creation replayed for case %s", replay.response.get("reference"))
                return replay.status, replay.response
            # Not a duplicate key: a reference collision. Try again with a new reference.
    if created is None:
        raise ApiError(503, "try_again", "the case could not be stored; retry with the same Idempotency-Key")

    response = created.response
    log.info("case %s created (type=%s, status=%s)", response["reference"], new.type, response["status"])
    return created.status, response


def _parse_iso(value: Optional[str]) -> Optional[datetime]:
    return datetime.fromisoformat(value) if value else None


def _queue_code(session: Session, svc: Services, case: Case, email: str, issued: IssuedCode, template: str,
                language: str, now: datetime) -> None:
    """The e-mail carrying a one-time code (`verification_code` or `status_code`), sent after the commit."""
    queue_email(session, svc, to=email, template=template, language=language, reference=case.reference, now=now,
                code_id=issued.code_id, code=issued.code, minutes_valid=CODE_MINUTES_VALID)


def _queue_case_received(session: Session, svc: Services, case: Case, email: str, now: datetime) -> None:
    """The requester's receipt for an open (verified) case, with its due date, sent after the commit."""
    queue_email(session, svc, to=email, template="case_received", language=case.language, reference=case.reference,
                now=now, case_type=case.type, due_at=case.due_at, country=case.country)


def _queue_staff_notice(session: Session, svc: Services, reference: str, case_type: str, country: str,
                        response: dict[str, Any], now: datetime) -> None:
    if not svc.settings.privacy_team_email:
        return
    clocks = {name: _parse_iso(value) for name, value in response.get("clocks", {}).items()}
    queue_email(
        session, svc, to=svc.settings.privacy_team_email, template="staff_new_case",
        language=svc.settings.alert_role_languages.get("privacy_officer") or svc.settings.alert_language or "en",
        reference=reference, now=now,
        case_type=case_type, country=country, due_at=_parse_iso(response.get("due_at")), clocks=clocks,
    )


# --- verification of a new case -----------------------------------------------------------------

def _verify_case_tx(session: Session, svc: Services, reference: str, code: str, now: datetime) -> Any:
    case = _require_case(session, reference, for_update=True)
    if _unverified_expired(case, now):
        raise ApiError(410, "case_expired", "the case was not verified in time; please file it again")
    if case.status != "awaiting_verification":
        raise ApiError(409, "already_verified", "the case is already verified")
    outcome = check_code(session, svc.index, case, PURPOSE_CASE, case.requester_email_index, code, now)
    if isinstance(outcome, ApiError):
        return outcome
    case.status = "open"
    case.verified_at = now
    case.updated_at = now
    _start_clocks(case, now)
    audit.append(session, action="case_verified", actor="requester", now=now, case_reference=case.reference,
                 data={"type": case.type})
    email = svc.cipher.decrypt(case.requester_email_enc)
    if email:
        _queue_case_received(session, svc, case, email, now)
    return {
        "reference": case.reference, "status": case.status, "due_at": iso(case.due_at),
        "verified_at": iso(case.verified_at), "clocks": _clocks(case),
    }


async def verify_case(svc: Services, reference: str, code: str) -> dict[str, Any]:
    outcome = await svc.db.run(_verify_case_tx, svc, reference, code, svc.now())
    if isinstance(outcome, ApiError):
        log.info("verification of case %s failed: %s", reference, outcome.code)
        raise outcome
    log.info("case %s verified", reference)
    return outcome


def _resend_tx(session: Session, svc: Services, reference: str, now: datetime) -> IssuedCode:
    case = _require_case(session, reference, for_update=True)
    if _unverified_expired(case, now):
        raise ApiError(410, "case_expired", "the case was not verified in time; please file it again")
    if case.status != "awaiting_verification":
        raise ApiError(409, "already_verified", "the case is already verified")
    email_index = case.requester_email_index
    lock_address(session, email_index, now)
    allowed = next_code_allowed_at(session, case, PURPOSE_CASE, email_index, now)
    if allowed > now:
        raise ApiError(
            429, "resend_limited", "a new code cannot be sent yet",
            resend_after=iso(allowed), retry_after=retry_after_seconds(allowed, now),
        )
    issued = issue_code(session, svc.index, case, PURPOSE_CASE, email_index, now)
    audit.append(session, action="verification_code_issued", actor="service", now=now,
                 case_reference=case.reference, data={"purpose": PURPOSE_CASE})
    _queue_code(session, svc, case, svc.cipher.decrypt(case.requester_email_enc), issued, "verification_code",
                case.language, now)
    return issued


async def resend_code(svc: Services, reference: str) -> dict[str, Any]:
    issued = await svc.db.run(_resend_tx, svc, reference, svc.now())
    return {"expires_at": iso(issued.expires_at), "resend_after": iso(issued.resend_after)}


# --- requester status look-up -------------------------------------------------------------------

def _status_code_tx(session: Session, svc: Services, reference: str, email: str, language: str, now: datetime) -> None:
    case = _case_by_reference(session, reference)
    email_index = svc.index.email(email)
    if (
        case is None
        or case.requester_email_index is None
        or not constant_time_equals(case.requester_email_index, email_index)
        or case.status == "expired"
        or case.anonymised_at is not None
    ):
        return None
    lock_address(session, email_index, now)
    if next_code_allowed_at(session, case, PURPOSE_STATUS, email_index, now) > now:
        return None  # silently: the answer must look the same as for a non-matching pair
    issued = issue_code(session, svc.index, case, PURPOSE_STATUS, email_index, now)
    audit.append(session, action="verification_code_issued", actor="service", now=now,
                 case_reference=case.reference, data={"purpose": PURPOSE_STATUS})
    _queue_code(session, svc, case, svc.cipher.decrypt(case.requester_email_enc), issued, "status_code", language,
                now)
    return None


async def request_status_code(svc: Services, reference: str, email: str, language: str) -> None:
    """Send a status code when reference and address match; the caller answers 202 either way."""
    await svc.db.run(_status_code_tx, svc, reference, email, language, svc.now())


def _status_verify_tx(session: Session, svc: Services, reference: str, email: str, code: str, now: datetime) -> Any:
    case = _case_by_reference(session, reference)
    outcome = check_code(session, svc.index, case, PURPOSE_STATUS, svc.index.email(email), code, now)
    if isinstance(outcome, ApiError):
        return outcome
    assert case is not None
    audit.append(session, action="status_viewed", actor="requester", now=now, case_reference=case.reference,
                 data={"proof": "email_code"})
    return requester_view(svc, case)


async def status_by_code(svc: Services, reference: str, email: str, code: str) -> dict[str, Any]:
    outcome = await svc.db.run(_status_verify_tx, svc, reference, email, code, svc.now())
    if isinstance(outcome, ApiError):
        raise outcome
    return outcome


_DUMMY_RECEIPT_HASH: Optional[str] = None


def _dummy_receipt_hash() -> str:
    # Checked against for unknown references, so a wrong reference costs the same time as a wrong receipt.
    global _DUMMY_RECEIPT_HASH
    if _DUMMY_RECEIPT_HASH is None:
        _DUMMY_RECEIPT_HASH = hash_receipt(new_receipt())
    return _DUMMY_RECEIPT_HASH


# Wrong receipts per reference per hour before checks are refused outright. A 16-digit receipt cannot be
# guessed, but each check costs an Argon2 hash (64 MB): the cap keeps one reference from tying up the backend.
RECEIPT_FAILURES_PER_HOUR = 10


def _receipt_failure_key(reference: str) -> str:
    # Kept in the verification failure table next to the per-address keys; a reference is no personal data.
    return f"receipt:{reference}"


async def _check_receipt(svc: Services, reference: str, receipt: str) -> None:
    key = _receipt_failure_key(reference)

    def load(session: Session, now: datetime) -> tuple[Optional[str], int]:
        case = _case_by_reference(session, reference)
        failures = session.execute(
            select(func.count(VerificationFailure.id)).where(
                VerificationFailure.email_index == key, VerificationFailure.created_at > now - FAILURE_WINDOW)
        ).scalar_one()
        return (case.receipt_hash if case is not None else None), int(failures)

    def record_failure(session: Session, now: datetime) -> None:
        session.add(VerificationFailure(email_index=key, created_at=now))

    stored, failures = await svc.db.run(load, svc.now(), write=False)
    if failures >= RECEIPT_FAILURES_PER_HOUR:
        log.info("receipt check for case %s refused: too many wrong receipts", reference)
        raise ApiError(429, "too_many_attempts", "too many wrong receipts for this case; try again later")
    async with svc.argon2_semaphore:
        matches = await svc.db.run_blocking(verify_receipt, receipt, stored or _dummy_receipt_hash())
    if stored is None or not matches:
        await svc.db.run(record_failure, svc.now())
        log.info("receipt check for case %s refused", reference)
        raise ApiError(404, "case_not_found", "no such case, or the receipt does not match")


async def status_by_receipt(svc: Services, reference: str, receipt: str) -> dict[str, Any]:
    await _check_receipt(svc, reference, receipt)

    def view(session: Session, now: datetime) -> dict[str, Any]:
        case = _require_case(session, reference)
        audit.append(session, action="status_viewed", actor="requester", now=now, case_reference=reference,
                     data={"proof": "receipt"})
        return requester_view(svc, case)

    return await svc.db.run(view, svc.now())


async def reply_by_receipt(svc: Services, reference: str, receipt: str, body: str) -> dict[str, Any]:
    await _check_receipt(svc, reference, receipt)

    def add(session: Session, now: datetime) -> dict[str, Any]:
        case = _require_case(session, reference, for_update=True)
        if case.status in CLOSED_STATUSES:
            raise ApiError(409, "case_closed", "the case is closed")
        message = Message(case_id=case.id, direction="from_requester", body_enc=svc.cipher.encrypt(body),
                          created_at=now)
        session.add(message)
        case.updated_at = now
        session.flush()
        audit.append(session, action="requester_message", actor="requester", now=now, case_reference=reference,
                     data={"message_id": message.id})
        return {"reference": reference, "message_id": message.id, "created_at": iso(now)}

    return await svc.db.run(add, svc.now())


# --- staff --------------------------------------------------------------------------------------

def may_see(staff: StaffUser, case_type: str) -> bool:
    allowed = ROLE_CASE_TYPES.get(staff.role, frozenset())
    return allowed is None or case_type in allowed


def _staff_case(session: Session, staff: StaffUser, reference: str, *, for_update: bool = False) -> Case:
    case = _case_by_reference(session, reference, for_update=for_update)
    if case is None or not may_see(staff, case.type):
        # 404 rather than 403: a role must not learn which references exist outside its scope.
        raise ApiError(404, "case_not_found", "no such case")
    return case


@dataclass(frozen=True)
class CaseFilter:
    type: Optional[str] = None
    status: Optional[str] = None
    language: Optional[str] = None
    overdue: bool = False
    due_within_days: Optional[int] = None
    limit: int = 200
    offset: int = 0


def _list_tx(session: Session, staff: Optional[StaffUser], filters: CaseFilter, now: datetime) -> list[dict[str, Any]]:
    query = select(Case).order_by(Case.created_at.desc(), Case.id.desc())
    if staff is not None:
        allowed = ROLE_CASE_TYPES.get(staff.role, frozenset())
        if allowed is not None:
            query = query.where(Case.type.in_(sorted(allowed)))
    if filters.type:
        query = query.where(Case.type == filters.type)
    if filters.status:
        query = query.where(Case.status == filters.status)
    if filters.language:
        query = query.where(Case.language == filters.language)
    if filters.overdue or filters.due_within_days is not None:
        query = query.where(Case.status.not_in(sorted(CLOSED_STATUSES)), Case.due_at.is_not(None))
    if filters.overdue:
        query = query.where(Case.due_at < now)
    if filters.due_within_days is not None:
        query = query.where(Case.due_at <= now + timedelta(days=filters.due_within_days))
    query = query.limit(filters.limit).offset(filters.offset)
    return [summary(case, now) for case in session.execute(query).scalars()]


async def list_cases(svc: Services, staff: Optional[StaffUser], filters: CaseFilter) -> list[dict[str, Any]]:
    """Role-scoped summaries (`staff` None: every case, for the CLI)."""
    return await svc.db.run(_list_tx, staff, filters, svc.now(), write=False)


async def staff_get_case(svc: Services, staff: StaffUser, reference: str) -> dict[str, Any]:
    def view(session: Session, now: datetime) -> dict[str, Any]:
        case = _staff_case(session, staff, reference)
        # Reading decrypted personal data is itself recorded.
        audit.append(session, action="case_viewed", actor=f"staff:{staff.id}", now=now, case_reference=reference)
        return staff_view(svc, case, now)

    return await svc.db.run(view, svc.now())


def _reason(value: Any, required: bool) -> Optional[str]:
    reason = text({"reason": value}, "reason", max_length=MAX_REASON, multiline=True)
    if reason is None and required:
        raise ApiError(400, "reason_required", "a reason is required", field="reason")
    return reason


async def staff_set_status(svc: Services, staff: StaffUser, reference: str, status: Any, reason: Any) -> dict[str, Any]:
    if not isinstance(status, str) or status not in STATUSES:
        raise ApiError(400, "invalid_status", f"status must be one of: {', '.join(STATUSES)}", field="status")
    reason_text = _reason(reason, required=status == "rejected")

    queued = 0

    def change(session: Session, now: datetime) -> dict[str, Any]:
        nonlocal queued
        case = _staff_case(session, staff, reference, for_update=True)
        old = case.status
        if status not in TRANSITIONS.get(old, frozenset()):
            raise ApiError(409, "invalid_transition", f"a case cannot go from {old} to {status}",
                           current_status=old)
        case.status = status
        case.updated_at = now
        if reason_text is not None:
            case.status_reason_enc = svc.cipher.encrypt(reason_text)
        if old == "awaiting_verification" and status == "open":
            case.verified_at = now  # identity checked by staff (second-step proof)
            _start_clocks(case, now)
        if status in CLOSED_STATUSES:
            case.closed_at = now
        if case.type == "misconduct" and case.clocks_json:
            _refresh_clock_due(case)
        audit.append(session, action="status_changed", actor=f"staff:{staff.id}", now=now,
                     case_reference=reference,
                     data={"from": old, "to": status, "reason_given": reason_text is not None})
        if status == transcripts.ERASING_STATUS:
            # Same transaction: a completed erasure case always leaves its transcript erasures queued.
            queued = transcripts.enqueue_for_case(session, svc, case, now, actor=f"staff:{staff.id}")
        return summary(case, now)

    result = await svc.db.run(change, svc.now())
    log.info("case %s status changed to %s by staff %s", reference, status, staff.id)
    if queued:
        log.info("case %s: %d transcript erasure(s) queued", reference, queued)
    return result


async def staff_extend(svc: Services, staff: StaffUser, reference: str, months: Any, reason: Any) -> dict[str, Any]:
    if isinstance(months, bool) or not isinstance(months, int) or months not in (1, 2):
        raise ApiError(400, "invalid_field", "months must be 1 or 2", field="months")
    reason_text = _reason(reason, required=True)
    assert reason_text is not None

    def extend(session: Session, now: datetime) -> dict[str, Any]:
        case = _staff_case(session, staff, reference, for_update=True)
        if case.type not in EXTENDABLE_TYPES:
            raise ApiError(409, "extension_not_allowed", "only rights requests can be extended")
        if case.status in CLOSED_STATUSES:
            raise ApiError(409, "case_closed", "the case is closed")
        if case.due_at is None:
            raise ApiError(409, "extension_not_allowed", "the request is not verified yet, so no deadline runs")
        if case.extension_months is not None:
            raise ApiError(409, "already_extended", "the case was already extended once")
        if now > case.due_at:
            # Art. 12(3): the requester must be told within the first month.
            raise ApiError(409, "extension_too_late", "the original deadline has passed")
        case.due_at = extended_due(case.due_at, months, case.country)
        case.extension_months = months
        case.extension_reason_enc = svc.cipher.encrypt(reason_text)
        case.extended_at = now
        case.updated_at = now
        audit.append(session, action="case_extended", actor=f"staff:{staff.id}", now=now,
                     case_reference=reference, data={"months": months})
        email = svc.cipher.decrypt(case.requester_email_enc)
        if email:
            queue_email(session, svc, to=email, template="extension_notice", language=case.language,
                        reference=reference, now=now, new_due_at=case.due_at, reason=reason_text, country=case.country)
        return {
            "reference": reference, "due_at": iso(case.due_at), "original_due_at": iso(case.original_due_at),
            "extension_months": months, "extended_at": iso(now),
        }

    response = await svc.db.run(extend, svc.now())
    log.info("case %s extended by %d month(s) by staff %s", reference, months, staff.id)
    return response


async def staff_message(svc: Services, staff: StaffUser, reference: str, body: Any) -> dict[str, Any]:
    body = text({"body": body}, "body", max_length=MAX_MESSAGE, required=True, multiline=True)

    def add(session: Session, now: datetime) -> dict[str, Any]:
        case = _staff_case(session, staff, reference, for_update=True)
        if case.anonymised_at is not None:
            raise ApiError(409, "case_closed", "the case data was removed under the retention rule")
        message = Message(case_id=case.id, direction="to_requester", staff_id=staff.id,
                          body_enc=svc.cipher.encrypt(body), created_at=now)
        session.add(message)
        case.updated_at = now
        session.flush()
        audit.append(session, action="staff_message", actor=f"staff:{staff.id}", now=now,
                     case_reference=reference, data={"message_id": message.id})
        email = svc.cipher.decrypt(case.requester_email_enc)
        if email:
            queue_email(session, svc, to=email, template="staff_message", language=case.language,
                        reference=reference, now=now)
        return {"reference": reference, "message_id": message.id, "created_at": iso(now)}

    return await svc.db.run(add, svc.now())


async def verify_audit(svc: Services) -> dict[str, Any]:
    report = await svc.db.run(audit.verify_chain, write=False)
    return report.as_json()
