"""Read-only look-ups the staff pages need besides the case services: the audit timeline of a case and
staff display names."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session

from backend.models import AuditEntry, StaffUser
from backend.services import Services

TIMELINE_LIMIT = 300


@dataclass(frozen=True)
class TimelineEntry:
    seq: int
    occurred_at: str
    action: str
    actor: str
    data: dict[str, Any]


def timeline_tx(session: Session, reference: str) -> list[TimelineEntry]:
    """The audit entries of one case, oldest first (the last TIMELINE_LIMIT)."""
    rows = session.execute(
        select(AuditEntry).where(AuditEntry.case_reference == reference)
        .order_by(AuditEntry.seq.desc()).limit(TIMELINE_LIMIT)
    ).scalars().all()
    entries = []
    for row in reversed(rows):
        try:
            data = json.loads(row.data)
        except ValueError:
            data = {}
        entries.append(TimelineEntry(row.seq, row.occurred_at, row.action, row.actor, data))
    return entries


def staff_names_tx(session: Session, svc: Services, ids: Iterable[int]) -> dict[int, str]:
    wanted = sorted({i for i in ids if i is not None})
    if not wanted:
        return {}
    rows = session.execute(select(StaffUser.id, StaffUser.name_enc).where(StaffUser.id.in_(wanted))).all()
    return {row.id: svc.cipher.decrypt(row.name_enc) or f"staff #{row.id}" for row in rows}


def staff_ids_in(entries: Iterable[TimelineEntry], messages: Iterable[dict[str, Any]]) -> set[int]:
    ids: set[int] = set()
    for entry in entries:
        if entry.actor.startswith("staff:"):
            try:
                ids.add(int(entry.actor.split(":", 1)[1]))
            except ValueError:
                pass
    for message in messages:
        if isinstance(message.get("staff_id"), int):
            ids.add(message["staff_id"])
    return ids
