"""Append-only, hash-chained audit trail.

Each entry stores `prev_hash` (the previous entry's hash, or 64 zeros for the first) and
`hash = SHA-256(canonical JSON of {seq, occurred_at, action, actor, case_reference, data, prev_hash})`.
Changing, deleting or reordering any entry breaks a link or a hash; `verify_chain` finds the first bad
entry. The `audit_head` row holds the last seq and hash, so cutting entries off the end is detected too.

Serialisation: `append` locks the head row (`SELECT ... FOR UPDATE` on PostgreSQL; on SQLite every write
transaction already holds the database write lock, see backend/db.py), so two concurrent writers can
never both build on the same predecessor and fork the chain.

Entries carry ids, references, case types, statuses and counts. Never names, e-mail addresses, free
text, codes or receipts: callers pass only such fields, and `append` rejects values that are not short
scalars as a guard against someone passing a whole payload.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Mapping, Optional

from sqlalchemy import select
from sqlalchemy.orm import Session

from backend.models import AuditEntry, AuditHead

GENESIS_HASH = "0" * 64
_MAX_VALUE_LENGTH = 64


def canonical_json(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def entry_hash(
    *,
    seq: int,
    occurred_at: str,
    action: str,
    actor: str,
    case_reference: Optional[str],
    data: str,
    prev_hash: str,
) -> str:
    content = {
        "seq": seq,
        "occurred_at": occurred_at,
        "action": action,
        "actor": actor,
        "case_reference": case_reference,
        "data": data,
        "prev_hash": prev_hash,
    }
    return hashlib.sha256(canonical_json(content).encode("utf-8")).hexdigest()


def _check_data(data: Mapping[str, Any]) -> None:
    for key, value in data.items():
        if value is None or isinstance(value, (bool, int, float)):
            continue
        if isinstance(value, str) and len(value) <= _MAX_VALUE_LENGTH:
            continue
        raise ValueError(f"audit data field {key!r} must be a short scalar (no personal data in the audit trail)")


def append(
    session: Session,
    *,
    action: str,
    actor: str,
    now: datetime,
    case_reference: Optional[str] = None,
    data: Optional[Mapping[str, Any]] = None,
) -> AuditEntry:
    """Append one entry inside the caller's transaction (it commits or rolls back with the change)."""
    payload = dict(data or {})
    _check_data(payload)
    head = session.execute(select(AuditHead).where(AuditHead.id == 1).with_for_update()).scalar_one()
    seq = head.last_seq + 1
    data_text = canonical_json(payload)
    occurred_at = now.isoformat()
    digest = entry_hash(
        seq=seq,
        occurred_at=occurred_at,
        action=action,
        actor=actor,
        case_reference=case_reference,
        data=data_text,
        prev_hash=head.last_hash,
    )
    entry = AuditEntry(
        seq=seq,
        occurred_at=occurred_at,
        action=action,
        actor=actor,
        case_reference=case_reference,
        data=data_text,
        prev_hash=head.last_hash,
        hash=digest,
    )
    session.add(entry)
    head.last_seq = seq
    head.last_hash = digest
    session.flush()
    return entry


@dataclass(frozen=True)
class ChainReport:
    ok: bool
    entries: int
    # Position (seq) of the first entry that fails; for a cut-off tail, the first missing position.
    first_bad_entry: Optional[int] = None
    problem: Optional[str] = None

    def as_json(self) -> dict[str, Any]:
        if self.ok:
            return {"ok": True, "entries": self.entries}
        return {"ok": False, "entries": self.entries, "first_bad_entry": self.first_bad_entry, "problem": self.problem}


def verify_chain(session: Session, batch_size: int = 1000) -> ChainReport:
    """Walk the chain in seq order and recompute every link and hash."""
    head = session.execute(select(AuditHead).where(AuditHead.id == 1)).scalar_one()
    expected_prev = GENESIS_HASH
    expected_seq = 1
    count = 0
    stream = session.execute(select(AuditEntry).order_by(AuditEntry.seq).execution_options(yield_per=batch_size))
    for entry in stream.scalars():
        count += 1
        if entry.seq != expected_seq:
            return ChainReport(False, count, entry.seq, "sequence gap (an entry was deleted or moved)")
        if entry.prev_hash != expected_prev:
            return ChainReport(False, count, entry.seq, "broken link to the previous entry")
        recomputed = entry_hash(
            seq=entry.seq,
            occurred_at=entry.occurred_at,
            action=entry.action,
            actor=entry.actor,
            case_reference=entry.case_reference,
            data=entry.data,
            prev_hash=entry.prev_hash,
        )
        if recomputed != entry.hash:
            return ChainReport(False, count, entry.seq, "entry content does not match its hash")
        expected_prev = entry.hash
        expected_seq += 1
    if head.last_seq != count or head.last_hash != expected_prev:
        # Entries were cut off the end (or the head was rewritten).
        return ChainReport(False, count, count + 1, "chain head does not match the last entry (truncated)")
    return ChainReport(True, count)
