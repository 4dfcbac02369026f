"""Deadline alerts to staff: a new case, deadlines coming up, and a daily digest of what is overdue.

Who gets what (one responsible role per case type, as in the role scoping of the API):
| alert | when | role |
| --- | --- | --- |
| `new_case` | a rights request once verified (the clock starts then); incidents and misconduct reports at once | responsible role |
| `rights_due_soon` | 5 days before `due_at` (again for a new `due_at` after an extension) | privacy_officer / recruiter |
| `breach_24h`, `breach_60h` | 24 and 60 hours after the reporter became aware (72-hour clock, Art. 33) | security |
| `misconduct_ack` | 5 days after receipt while still unacknowledged (acknowledge within 7 days) | security |
| `digest` | daily, from ALERT_DIGEST_HOUR local time: every overdue case in the mailbox's roles | each mailbox |

Each alert has a window; an alert whose window has passed is not sent late (a later one supersedes it:
the 60-hour alert replaces an unsent 24-hour one, the digest lists what is overdue). Nothing is sent early.

Addresses: one mailbox per role (ALERT_EMAIL_PRIVACY_OFFICER, ALERT_EMAIL_RECRUITER, ALERT_EMAIL_SECURITY,
read with every other setting by backend/config.py). Role mailboxes rather than per-person addresses: no extra personal data to store,
and alerts keep flowing when people change. An unset role falls back to the privacy officer's mailbox,
which falls back to PRIVACY_TEAM_EMAIL; with none of them set, alerts are skipped (logged).

Exactly once: every alert is *claimed* before it is sent, by inserting its `dedupe_key` into
`sent_alerts` (unique). Of two schedulers (the in-process one and a cron `alerts run`) only one insert
succeeds. A failed send is marked `failed` and retried on a later run (at most MAX_ATTEMPTS); a claim
left behind by a crashed process is taken over after STALE_CLAIM (the one case that could repeat an
e-mail: a crash between the SMTP hand-over and the `sent` mark).

E-mails carry no personal data: reference, case type and deadline, plus a link to the staff page when
STAFF_BASE_URL is set. Language (sv / nb / en, texts in backend/email_templates.py): ALERT_LANGUAGE_<ROLE>
of the alert's role; a role without its own mailbox writes to the privacy officer's, so it then takes
the privacy officer's language; then ALERT_LANGUAGE; then English. A digest to a mailbox shared by
several roles is in the language of the first of them (privacy officer, recruiter, security).
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from types import MappingProxyType
from typing import Any, Mapping, Optional
from zoneinfo import ZoneInfo

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from backend.config import Settings
from backend.deadlines import RIGHTS_CASE_TYPES, days_left, hours_left
from backend.email_templates import render_staff_alert, render_staff_digest
from backend.mailer import OutgoingEmail
from backend.models import Case
from backend.schemas import CLOSED_STATUSES, ROLES
from backend.services import Services
from backend.services.cases import ROLE_CASE_TYPES
from backend.workspace_models import SentAlert

log = logging.getLogger("backend.alerts")

RIGHTS_WARNING = timedelta(days=5)
BREACH_THRESHOLDS_HOURS = (24, 60)
MISCONDUCT_ACK_AFTER = timedelta(days=5)
NEW_CASE_WINDOW = timedelta(hours=24)
STALE_CLAIM = timedelta(minutes=30)
MAX_ATTEMPTS = 5
RECRUITMENT_TYPES = frozenset({"application_withdrawal", "recruitment_consent_withdrawal"})
ACK_PENDING_STATUSES = ("awaiting_verification", "open")


def responsible_role(case_type: str) -> str:
    if case_type in RECRUITMENT_TYPES:
        return "recruiter"
    if case_type in ("incident", "misconduct"):
        return "security"
    return "privacy_officer"


@dataclass(frozen=True)
class AlertSettings:
    enabled: bool = True
    interval_seconds: float = 300.0
    mailboxes: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    digest_hour: int = 7
    zone: str = "Europe/Oslo"
    staff_base_url: str = ""
    # PRIVACY_TEAM_EMAIL already gets the case service's own new-case notice: no second one to it.
    privacy_team_email: str = ""
    language: str = "en"  # ALERT_LANGUAGE
    languages: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))  # ALERT_LANGUAGE_<ROLE>

    @classmethod
    def from_settings(cls, settings: Settings) -> "AlertSettings":
        """The ALERT* and STAFF_BASE_URL values of the backend settings (validated in backend/config.py)."""
        return cls(
            enabled=settings.alerts_enabled,
            interval_seconds=settings.alert_interval_seconds,
            mailboxes=MappingProxyType(dict(settings.alert_emails)),
            digest_hour=settings.alert_digest_hour,
            zone=settings.alert_timezone,
            staff_base_url=settings.staff_base_url,
            privacy_team_email=settings.privacy_team_email,
            language=settings.alert_language,
            languages=MappingProxyType(dict(settings.alert_role_languages)),
        )

    @classmethod
    def from_env(cls, settings: Optional[Settings] = None) -> "AlertSettings":
        """Kept for callers that pass the app's settings (backend/scheduler.py); reads the environment
        through `Settings.from_env` only when none are given."""
        return cls.from_settings(settings if settings is not None else Settings.from_env())

    def mailbox(self, role: str) -> Optional[str]:
        return (self.mailboxes.get(role) or self.mailboxes.get("privacy_officer")
                or self.privacy_team_email or None)

    def language_for(self, role: str) -> str:
        """The language of alerts for `role`: its own setting; when the role has no mailbox of its own its
        alerts go to the privacy officer's, so the privacy officer's language; then ALERT_LANGUAGE."""
        if role in self.languages:
            return self.languages[role]
        if role not in self.mailboxes and "privacy_officer" in self.languages:
            return self.languages["privacy_officer"]
        return self.language or "en"


@dataclass(frozen=True)
class DueAlert:
    key: str
    kind: str
    case_id: int
    role: str
    reference: str
    case_type: str
    country: str
    deadline: Optional[datetime]
    deadline_label: str  # answer_due | authority_due | acknowledge_due (texts in email_templates)


@dataclass
class AlertRun:
    sent: list[str] = field(default_factory=list)  # dedupe keys
    failed: list[str] = field(default_factory=list)
    no_mailbox: int = 0

    def as_json(self) -> dict[str, Any]:
        return {"sent": len(self.sent), "failed": len(self.failed), "no_mailbox": self.no_mailbox,
                "kinds": sorted({key.split(":")[2] if key.startswith("case:") else "digest" for key in self.sent})}


# --- what is due --------------------------------------------------------------------------------

def _clock(case: Case, name: str) -> Optional[datetime]:
    if not case.clocks_json:
        return None
    value = json.loads(case.clocks_json).get(name)
    return datetime.fromisoformat(value) if value else None


def _alerts_for(case: Case, now: datetime) -> list[DueAlert]:
    role = responsible_role(case.type)

    def make(kind: str, deadline: Optional[datetime], label: str, suffix: str = "") -> DueAlert:
        return DueAlert(f"case:{case.id}:{kind}{suffix}", kind, case.id, role, case.reference, case.type,
                        case.country, deadline, label)

    out: list[DueAlert] = []
    if case.type in RIGHTS_CASE_TYPES:
        if case.status == "awaiting_verification":
            return out  # no clock yet; an unverified request may never become a case
        started = case.verified_at or case.created_at
        if started <= now < started + NEW_CASE_WINDOW:
            out.append(make("new_case", case.due_at, "answer_due"))
        if case.due_at is not None and case.due_at - RIGHTS_WARNING <= now < case.due_at:
            # Keyed by the deadline: an extension moves it, and the new deadline gets its own warning.
            out.append(make("rights_due_soon", case.due_at, "answer_due", f":{case.due_at.date().isoformat()}"))
    elif case.type == "incident":
        due = _clock(case, "authority_notification_due_at")
        if case.created_at <= now < case.created_at + NEW_CASE_WINDOW:
            out.append(make("new_case", due, "authority_due"))
        if case.aware_at is not None:
            first, second = (case.aware_at + timedelta(hours=h) for h in BREACH_THRESHOLDS_HOURS)
            if first <= now < second:
                out.append(make("breach_24h", due, "authority_due"))
            if now >= second:
                out.append(make("breach_60h", due, "authority_due"))
    elif case.type == "misconduct":
        ack_due = _clock(case, "acknowledge_due_at")
        if case.created_at <= now < case.created_at + NEW_CASE_WINDOW:
            out.append(make("new_case", ack_due, "acknowledge_due"))
        if case.status in ACK_PENDING_STATUSES and now >= case.created_at + MISCONDUCT_ACK_AFTER:
            out.append(make("misconduct_ack", ack_due, "acknowledge_due"))
    return out


def due_alerts_tx(session: Session, now: datetime) -> list[DueAlert]:
    """Alerts whose time has come and that have not been sent (claims decide races later)."""
    open_cases = session.execute(
        select(Case).where(Case.status.not_in(sorted(CLOSED_STATUSES)), Case.anonymised_at.is_(None))
        .order_by(Case.id)
    ).scalars().all()
    candidates = [alert for case in open_cases for alert in _alerts_for(case, now)]
    if not candidates:
        return []
    done = set(session.execute(
        select(SentAlert.dedupe_key).where(
            SentAlert.case_id.in_(sorted({c.case_id for c in candidates})), SentAlert.status == "sent")
    ).scalars())
    return [c for c in candidates if c.key not in done]


def overdue_tx(session: Session, roles: list[str], now: datetime) -> list[dict[str, Any]]:
    """Open cases past their deadline visible to any of `roles` (no personal data)."""
    scopes = [ROLE_CASE_TYPES.get(role, frozenset()) for role in roles]
    query = select(Case).where(Case.status.not_in(sorted(CLOSED_STATUSES)), Case.due_at.is_not(None),
                               Case.due_at < now).order_by(Case.due_at)
    if all(scope is not None for scope in scopes):
        types = sorted(set().union(*scopes)) if scopes else []
        query = query.where(Case.type.in_(types))
    return [
        {"reference": c.reference, "type": c.type, "status": c.status, "due_at": c.due_at, "country": c.country}
        for c in session.execute(query).scalars()
    ]


# --- claims -------------------------------------------------------------------------------------

def _insert_claim_tx(session: Session, key: str, kind: str, case_id: Optional[int], role: str, now: datetime) -> None:
    session.add(SentAlert(dedupe_key=key, case_id=case_id, kind=kind, recipient_role=role, status="claimed",
                          attempts=1, claimed_at=now))
    session.flush()


def _retake_claim_tx(session: Session, key: str, now: datetime) -> bool:
    # Compare-and-set: only one caller can turn a failed or abandoned claim into its own.
    result = session.execute(
        update(SentAlert)
        .where(SentAlert.dedupe_key == key,
               ((SentAlert.status == "failed") & (SentAlert.attempts < MAX_ATTEMPTS))
               | ((SentAlert.status == "claimed") & (SentAlert.claimed_at < now - STALE_CLAIM)))
        .values(status="claimed", attempts=SentAlert.attempts + 1, claimed_at=now)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount == 1


async def claim(svc: Services, key: str, kind: str, case_id: Optional[int], role: str, now: datetime) -> bool:
    """True when this caller may send the alert (and must then call `finish`)."""
    try:
        await svc.db.run(_insert_claim_tx, key, kind, case_id, role, now)
        return True
    except IntegrityError:
        return await svc.db.run(_retake_claim_tx, key, now)


def _finish_tx(session: Session, key: str, ok: bool, now: datetime) -> None:
    session.execute(
        update(SentAlert).where(SentAlert.dedupe_key == key)
        .values(status="sent" if ok else "failed", sent_at=now if ok else None)
        .execution_options(synchronize_session=False)
    )


async def finish(svc: Services, key: str, ok: bool) -> None:
    await svc.db.run(_finish_tx, key, ok, svc.now())


# --- e-mails ------------------------------------------------------------------------------------

def render_alert(alert: DueAlert, settings: AlertSettings, now: datetime,
                 language: Optional[str] = None) -> tuple[str, str]:
    """(subject, body) of a case alert in `language` (default: the language of the alert's role)."""
    return render_staff_alert(
        alert.kind, language or settings.language_for(alert.role), reference=alert.reference,
        case_type=alert.case_type, country=alert.country, deadline=alert.deadline,
        deadline_label=alert.deadline_label,
        days_left=days_left(alert.deadline, now, alert.country) if alert.deadline else None,
        hours_left=hours_left(alert.deadline, now) if alert.deadline else None,
        base_url=settings.staff_base_url,
    )


def render_digest(rows: list[dict[str, Any]], day: date, settings: AlertSettings, now: datetime,
                  language: str = "en") -> tuple[str, str]:
    lines = [{**row, "days_overdue": -days_left(row["due_at"], now, row["country"])} for row in rows]
    return render_staff_digest(language, day=day, rows=lines, base_url=settings.staff_base_url)


async def _send(svc: Services, to: str, subject: str, body: str, language: str) -> bool:
    try:
        await svc.mailer.send(OutgoingEmail(to=to, subject=subject, body=body, language=language))
        return True
    except Exception as exc:  # noqa: BLE001 - a failed alert is retried on a later run
        log.warning("alert e-mail failed: %s", type(exc).__name__)
        return False


# --- runs ---------------------------------------------------------------------------------------

async def run_alerts(svc: Services, settings: AlertSettings) -> AlertRun:
    """Send every case alert that is due now (new cases and deadline warnings)."""
    now = svc.now()
    run = AlertRun()
    for alert in await svc.db.run(due_alerts_tx, now, write=False):
        to = settings.mailbox(alert.role)
        if to is None:
            run.no_mailbox += 1
            continue
        if alert.kind == "new_case" and settings.privacy_team_email and to == settings.privacy_team_email:
            continue  # the case service already sent its new-case notice to this address
        if not await claim(svc, alert.key, alert.kind, alert.case_id, alert.role, now):
            continue
        language = settings.language_for(alert.role)
        subject, body = render_alert(alert, settings, now, language)
        ok = await _send(svc, to, subject, body, language)
        await finish(svc, alert.key, ok)
        (run.sent if ok else run.failed).append(alert.key)
        log.info("alert %s for case %s %s", alert.kind, alert.reference, "sent" if ok else "failed")
    if run.no_mailbox:
        log.warning("%d alert(s) not sent: no mailbox configured (ALERT_EMAIL_*)", run.no_mailbox)
    return run


async def run_digest(svc: Services, settings: AlertSettings, *, respect_hour: bool = True) -> AlertRun:
    """Send today's digest of overdue cases to each mailbox (once per local day)."""
    now = svc.now()
    local = now.astimezone(ZoneInfo(settings.zone))
    run = AlertRun()
    if respect_hour and local.hour < settings.digest_hour:
        return run
    groups: dict[str, list[str]] = {}
    for role in ROLES:
        to = settings.mailbox(role)
        if to is None:
            run.no_mailbox += 1
        else:
            groups.setdefault(to, []).append(role)
    for to, roles in groups.items():
        rows = await svc.db.run(overdue_tx, roles, now, write=False)
        if not rows:
            continue  # nothing to say; a case that becomes overdue later today still gets today's digest
        key = f"digest:{local.date().isoformat()}:{'+'.join(sorted(roles))}"
        if not await claim(svc, key, "digest", None, "+".join(sorted(roles))[:64], now):
            continue
        # `roles` follows ROLES order, so a shared mailbox gets the first role's language.
        language = settings.language_for(roles[0])
        subject, body = render_digest(rows, local.date(), settings, now, language)
        ok = await _send(svc, to, subject, body, language)
        await finish(svc, key, ok)
        (run.sent if ok else run.failed).append(key)
        log.info("digest for %s with %d case(s) %s", "+".join(roles), len(rows), "sent" if ok else "failed")
    return run
