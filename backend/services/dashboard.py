"""Figures of the staff dashboard: cases per week by type, on-time rate, open breaches. Role-scoped the
same way as the case list (`cases.ROLE_CASE_TYPES`), and free of personal data (counts and references).

On time: a closed case (completed or rejected) with a deadline counts as on time when it was closed at or
before its final deadline (`due_at`, which includes an extension; for misconduct the feedback deadline).
Withdrawn and expired cases are left out: nobody had to answer them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Optional
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from backend.deadlines import hours_left
from backend.models import Case, StaffUser
from backend.schemas import CLOSED_STATUSES
from backend.services import Services
from backend.services.cases import ROLE_CASE_TYPES

DASHBOARD_ZONE = ZoneInfo("Europe/Oslo")  # head office: weeks start on Monday, Oslo time
DEFAULT_WEEKS = 12
ANSWERED_STATUSES = frozenset({"completed", "rejected"})


@dataclass(frozen=True)
class OpenBreach:
    reference: str
    status: str
    aware_at: Optional[datetime]
    due_at: Optional[datetime]
    hours_left: Optional[float]


@dataclass
class DashboardData:
    weeks: list[date]  # Monday of each week, oldest first
    per_week: dict[str, list[int]]  # case type -> count per week (only types that occur)
    answered_on_time: int = 0
    answered_late: int = 0
    open_overdue: int = 0
    open_cases: int = 0
    open_breaches: list[OpenBreach] = field(default_factory=list)

    @property
    def on_time_rate(self) -> Optional[float]:
        total = self.answered_on_time + self.answered_late
        return self.answered_on_time / total if total else None


def week_start(moment: datetime) -> date:
    local = moment.astimezone(DASHBOARD_ZONE).date()
    return local - timedelta(days=local.weekday())


def dashboard_tx(session: Session, role: str, now: datetime, weeks: int = DEFAULT_WEEKS) -> DashboardData:
    allowed = ROLE_CASE_TYPES.get(role, frozenset())
    scope = [] if allowed is None else [Case.type.in_(sorted(allowed))]
    this_week = week_start(now)
    week_list = [this_week - timedelta(weeks=n) for n in range(weeks - 1, -1, -1)]
    first = datetime.combine(week_list[0], datetime.min.time(), tzinfo=DASHBOARD_ZONE)

    data = DashboardData(weeks=week_list, per_week={})
    index = {week: i for i, week in enumerate(week_list)}
    for case_type, created_at in session.execute(
        select(Case.type, Case.created_at).where(*scope, Case.created_at >= first)
    ):
        position = index.get(week_start(created_at))
        if position is not None:
            data.per_week.setdefault(case_type, [0] * weeks)[position] += 1

    for status, due_at, closed_at in session.execute(
        select(Case.status, Case.due_at, Case.closed_at).where(*scope, Case.due_at.is_not(None))
    ):
        if status in ANSWERED_STATUSES and closed_at is not None:
            if closed_at <= due_at:
                data.answered_on_time += 1
            else:
                data.answered_late += 1
        elif status not in CLOSED_STATUSES:
            data.open_cases += 1
            if due_at < now:
                data.open_overdue += 1

    if allowed is None or "incident" in allowed:
        rows = session.execute(
            select(Case.reference, Case.status, Case.aware_at, Case.due_at)
            .where(Case.type == "incident", Case.status.not_in(sorted(CLOSED_STATUSES)))
            .order_by(Case.due_at.asc())
        ).all()
        data.open_breaches = [
            OpenBreach(r.reference, r.status, r.aware_at, r.due_at,
                       hours_left(r.due_at, now) if r.due_at is not None else None)
            for r in rows
        ]
    return data


async def dashboard(svc: Services, staff: StaffUser, weeks: int = DEFAULT_WEEKS) -> DashboardData:
    return await svc.db.run(dashboard_tx, staff.role, svc.now(), weeks, write=False)
