"""Every legal clock of the case backend, computed in one place.

Why one module: the due dates are promises made to people (GDPR Art. 12(3), Art. 33, the policy's
"at the latest within 30 days", whistleblowing-style acknowledgement and feedback). Spreading the
arithmetic over services and routes would let two places disagree.

Rules:
- All inputs and outputs are timezone-aware. Naive datetimes are rejected (ValueError), because a naive
  value from a database driver silently shifts every deadline by the server's offset.
- Calendar arithmetic (days, months) happens in the case's local time zone (the country of the company
  that handles the case), keeping the local wall-clock time, so a request received at 10:00 in Oslo is
  due at 10:00 Oslo time even when a daylight-saving change happens in between. Results are UTC.
- Hour-based clocks (the 72-hour breach notification) are absolute elapsed time, not wall-clock time.
"""

from __future__ import annotations

import calendar
from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

from basics.dates import COUNTRY_TIMEZONES

__all__ = [
    "BREACH_NOTIFICATION_HOURS",
    "COUNTRY_TIMEZONES",
    "DEFAULT_COUNTRY",
    "MAX_EXTENSION_MONTHS",
    "MISCONDUCT_ACKNOWLEDGE_DAYS",
    "MISCONDUCT_FEEDBACK_MONTHS",
    "CASE_TYPES",
    "RIGHTS_CASE_TYPES",
    "RIGHTS_REQUEST_DAYS",
    "RIGHTS_REQUEST_MONTHS",
    "add_calendar_days",
    "add_calendar_months",
    "breach_authority_due",
    "clocks_for",
    "days_left",
    "extended_due",
    "hours_left",
    "misconduct_acknowledge_due",
    "misconduct_feedback_due",
    "rights_request_due",
    "zone_for",
]

DEFAULT_COUNTRY = "NO"  # head office Oslo

# Policy: "at the latest within 30 days"; GDPR Art. 12(3): one month. The earlier one wins.
RIGHTS_REQUEST_DAYS = 30
RIGHTS_REQUEST_MONTHS = 1
# GDPR Art. 12(3): extendable "by two further months".
MAX_EXTENSION_MONTHS = 2
# GDPR Art. 33(1): notify the supervisory authority within 72 hours after becoming aware.
BREACH_NOTIFICATION_HOURS = 72
# Whistleblowing practice (EU Directive 2019/1937 Art. 9): acknowledge in 7 days, feedback in 3 months.
MISCONDUCT_ACKNOWLEDGE_DAYS = 7
MISCONDUCT_FEEDBACK_MONTHS = 3

# Every case type the service knows, in the order staff see them. Most run on the rights-request clock;
# incidents (72 hours from awareness) and misconduct reports (acknowledge / feedback) have their own.
CASE_TYPES: tuple[str, ...] = (
    "access",
    "rectification",
    "erasure",
    "restriction",
    "objection",
    "portability",
    "consent_withdrawal",
    "application_withdrawal",
    "recruitment_consent_withdrawal",
    "incident",
    "misconduct",
    "complaint",
)
RIGHTS_CASE_TYPES: frozenset[str] = frozenset(CASE_TYPES) - {"incident", "misconduct"}

_UTC = timezone.utc


def zone_for(country: str | None) -> ZoneInfo:
    """Time zone of a case's country (ISO 3166 alpha-2, any case). None or "" means the head office.

    An unknown country raises ValueError rather than silently using Oslo: a wrong zone moves deadlines.
    """
    code = (country or DEFAULT_COUNTRY).strip().upper()
    try:
        return ZoneInfo(COUNTRY_TIMEZONES[code])
    except KeyError:
        raise ValueError(f"unsupported country {country!r}; expected one of {sorted(COUNTRY_TIMEZONES)}") from None


def _require_aware(moment: datetime, name: str = "datetime") -> None:
    if not isinstance(moment, datetime):
        raise TypeError(f"{name} must be a datetime, got {type(moment).__name__}")
    if moment.tzinfo is None or moment.tzinfo.utcoffset(moment) is None:
        raise ValueError(f"{name} must be timezone-aware")


def _local_wall_clock_to_utc(day: date, local: datetime, zone: ZoneInfo) -> datetime:
    """The instant at which `zone`'s clocks show `local`'s wall time on `day`, as UTC.

    fold=0: an ambiguous time (the repeated hour in autumn) means its first occurrence, the earlier and
    therefore safer deadline; a non-existent time (the skipped hour in spring) resolves to the instant
    one hour later on the new wall clock (zoneinfo's PEP 495 behaviour), i.e. the same elapsed position.
    """
    wall = datetime(
        day.year, day.month, day.day,
        local.hour, local.minute, local.second, local.microsecond,
        tzinfo=zone, fold=0,
    )
    return wall.astimezone(_UTC)


def add_calendar_days(moment: datetime, days: int, country: str | None) -> datetime:
    """`days` calendar days later in the country's local time, same wall-clock time, as aware UTC."""
    _require_aware(moment, "moment")
    zone = zone_for(country)
    local = moment.astimezone(zone)
    return _local_wall_clock_to_utc(local.date() + timedelta(days=days), local, zone)


def add_calendar_months(moment: datetime, months: int, country: str | None) -> datetime:
    """`months` calendar months later in the country's local time, as aware UTC.

    The day is clamped to the target month's last day (31 Jan + 1 month = 28 Feb, or 29 Feb in a leap
    year), and the local wall-clock time is kept across daylight-saving changes.
    """
    _require_aware(moment, "moment")
    if isinstance(months, bool) or not isinstance(months, int):
        raise TypeError("months must be an int")
    zone = zone_for(country)
    local = moment.astimezone(zone)
    month_index = local.year * 12 + (local.month - 1) + months
    year, month0 = divmod(month_index, 12)
    month = month0 + 1
    day = min(local.day, calendar.monthrange(year, month)[1])
    return _local_wall_clock_to_utc(date(year, month, day), local, zone)


def rights_request_due(received_at: datetime, country: str | None) -> datetime:
    """Due date of a rights request: the earlier of 30 days and one calendar month after receipt.

    `received_at` is when the request was received with the requester's identity verified.
    """
    by_days = add_calendar_days(received_at, RIGHTS_REQUEST_DAYS, country)
    by_month = add_calendar_months(received_at, RIGHTS_REQUEST_MONTHS, country)
    return min(by_days, by_month)


def extended_due(original_due: datetime, months: int, country: str | None) -> datetime:
    """Due date after an Art. 12(3) extension of 1 or 2 further months from the original due date."""
    if isinstance(months, bool) or not isinstance(months, int) or not 1 <= months <= MAX_EXTENSION_MONTHS:
        raise ValueError(f"extension must be 1..{MAX_EXTENSION_MONTHS} months, got {months!r}")
    return add_calendar_months(original_due, months, country)


def breach_authority_due(aware_at: datetime) -> datetime:
    """Art. 33 deadline: 72 real hours after becoming aware (no wall-clock adjustment across DST)."""
    _require_aware(aware_at, "aware_at")
    return aware_at.astimezone(_UTC) + timedelta(hours=BREACH_NOTIFICATION_HOURS)


def misconduct_acknowledge_due(received_at: datetime, country: str | None) -> datetime:
    """Acknowledge a misconduct report within 7 calendar days (local wall clock)."""
    return add_calendar_days(received_at, MISCONDUCT_ACKNOWLEDGE_DAYS, country)


def misconduct_feedback_due(received_at: datetime, country: str | None) -> datetime:
    """Give feedback on a misconduct report within 3 calendar months (local wall clock)."""
    return add_calendar_months(received_at, MISCONDUCT_FEEDBACK_MONTHS, country)


def clocks_for(
    case_type: str,
    received_at: datetime,
    aware_at: datetime | None,
    country: str | None,
) -> dict[str, datetime]:
    """All clocks of a case, keyed by the API field names.

    - rights request types and complaints: {"due_at"}
    - incident: {"authority_notification_due_at"} (needs aware_at)
    - misconduct: {"acknowledge_due_at", "feedback_due_at"}
    Unknown types raise ValueError.
    """
    _require_aware(received_at, "received_at")
    if case_type in RIGHTS_CASE_TYPES:
        return {"due_at": rights_request_due(received_at, country)}
    if case_type == "incident":
        if aware_at is None:
            raise ValueError("incident clocks need aware_at (when the reporter became aware)")
        return {"authority_notification_due_at": breach_authority_due(aware_at)}
    if case_type == "misconduct":
        return {
            "acknowledge_due_at": misconduct_acknowledge_due(received_at, country),
            "feedback_due_at": misconduct_feedback_due(received_at, country),
        }
    raise ValueError(f"unknown case type {case_type!r}")


def hours_left(deadline: datetime, now: datetime) -> float:
    """Real hours from `now` until `deadline`; negative when overdue."""
    _require_aware(deadline, "deadline")
    _require_aware(now, "now")
    return (deadline - now).total_seconds() / 3600.0


def days_left(deadline: datetime, now: datetime, country: str | None = None) -> int:
    """Local calendar days from today until the deadline's day (0 = due today).

    Negative when overdue: once `now` is past the deadline the result is at most -1, even when the
    deadline was earlier the same day, so the sign always agrees with "overdue" in staff lists.
    """
    _require_aware(deadline, "deadline")
    _require_aware(now, "now")
    zone = zone_for(country)
    days = (deadline.astimezone(zone).date() - now.astimezone(zone).date()).days
    if now > deadline:
        return min(days, -1)
    return days
