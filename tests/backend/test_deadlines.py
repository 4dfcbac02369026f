"""Legal clocks on edge dates: month ends, leap years, DST changes in Oslo and Stockholm."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from backend import deadlines
from backend.deadlines import (
    add_calendar_days,
    add_calendar_months,
    breach_authority_due,
    clocks_for,
    days_left,
    extended_due,
    hours_left,
    misconduct_acknowledge_due,
    misconduct_feedback_due,
    rights_request_due,
    zone_for,
)

UTC = timezone.utc
OSLO = ZoneInfo("Europe/Oslo")
STOCKHOLM = ZoneInfo("Europe/Stockholm")
COPENHAGEN = ZoneInfo("Europe/Copenhagen")


def oslo(*args: int) -> datetime:
    return datetime(*args, tzinfo=OSLO)


def stockholm(*args: int) -> datetime:
    return datetime(*args, tzinfo=STOCKHOLM)


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def assert_utc(value: datetime) -> None:
    assert value.tzinfo is not None and value.utcoffset() == timedelta(0)


# --- zones ---------------------------------------------------------------------------------------

def test_zone_for_countries_and_default() -> None:
    assert zone_for("NO") == OSLO
    assert zone_for("se") == STOCKHOLM
    assert zone_for(" DK ") == COPENHAGEN
    assert zone_for(None) == OSLO
    assert zone_for("") == OSLO
    assert deadlines.DEFAULT_COUNTRY == "NO"


def test_zone_for_unknown_country_is_rejected() -> None:
    with pytest.raises(ValueError):
        zone_for("FI")


# --- calendar months -----------------------------------------------------------------------------

@pytest.mark.parametrize(
    ("start", "months", "expected"),
    [
        (oslo(2026, 1, 31, 12, 0), 1, oslo(2026, 2, 28, 12, 0)),
        (oslo(2028, 1, 31, 12, 0), 1, oslo(2028, 2, 29, 12, 0)),
        (oslo(2026, 1, 30, 12, 0), 1, oslo(2026, 2, 28, 12, 0)),
        (oslo(2026, 3, 31, 9, 15), 1, oslo(2026, 4, 30, 9, 15)),
        (oslo(2026, 11, 30, 8, 0), 3, oslo(2027, 2, 28, 8, 0)),
        (oslo(2026, 12, 15, 8, 0), 1, oslo(2027, 1, 15, 8, 0)),
        (oslo(2026, 5, 31, 8, 0), -3, oslo(2026, 2, 28, 8, 0)),
    ],
)
def test_add_calendar_months_clamps_to_month_end(start: datetime, months: int, expected: datetime) -> None:
    result = add_calendar_months(start, months, "NO")
    assert_utc(result)
    assert result == expected
    assert result.astimezone(OSLO).replace(tzinfo=None) == expected.replace(tzinfo=None)


def test_add_calendar_months_uses_local_date_not_utc_date() -> None:
    # 30 Jan 23:30 UTC is already 31 Jan 00:30 in Oslo, so one month later is 28 Feb 00:30 Oslo.
    # UTC arithmetic would give 28 Feb 23:30 UTC, almost a day later.
    result = add_calendar_months(utc(2026, 1, 30, 23, 30), 1, "NO")
    assert result == utc(2026, 2, 27, 23, 30)


def test_add_calendar_months_keeps_wall_clock_across_spring_dst() -> None:
    # 10 Mar is CET (UTC+1), 10 Apr is CEST (UTC+2): the UTC instant moves by one hour.
    result = add_calendar_months(oslo(2026, 3, 10, 10, 0), 1, "NO")
    assert result == utc(2026, 4, 10, 8, 0)
    assert result.astimezone(OSLO).hour == 10


def test_add_calendar_months_accepts_other_aware_offsets() -> None:
    plus_five = timezone(timedelta(hours=5))
    result = add_calendar_months(datetime(2026, 6, 15, 14, 0, tzinfo=plus_five), 1, "SE")
    assert_utc(result)
    assert result == utc(2026, 7, 15, 9, 0)


def test_naive_datetimes_are_rejected_everywhere() -> None:
    naive = datetime(2026, 1, 31, 12, 0)
    aware = utc(2026, 1, 31, 12, 0)
    with pytest.raises(ValueError):
        add_calendar_months(naive, 1, "NO")
    with pytest.raises(ValueError):
        add_calendar_days(naive, 1, "NO")
    with pytest.raises(ValueError):
        rights_request_due(naive, "SE")
    with pytest.raises(ValueError):
        extended_due(naive, 1, "SE")
    with pytest.raises(ValueError):
        breach_authority_due(naive)
    with pytest.raises(ValueError):
        misconduct_acknowledge_due(naive, "DK")
    with pytest.raises(ValueError):
        misconduct_feedback_due(naive, "DK")
    with pytest.raises(ValueError):
        clocks_for("access", naive, None, "NO")
    with pytest.raises(ValueError):
        clocks_for("incident", aware, naive, "NO")
    with pytest.raises(ValueError):
        hours_left(naive, aware)
    with pytest.raises(ValueError):
        days_left(aware, naive)


# --- DST corner cases of the local wall clock ----------------------------------------------------

def test_non_existent_local_time_resolves_forward() -> None:
    # 29 Mar 2026 02:30 does not exist in Oslo (clocks jump 02:00 -> 03:00); it becomes 03:30 CEST.
    result = add_calendar_days(oslo(2026, 3, 28, 2, 30), 1, "NO")
    assert result == utc(2026, 3, 29, 1, 30)
    assert result.astimezone(OSLO).hour == 3


def test_ambiguous_local_time_takes_earlier_instant() -> None:
    # 25 Oct 2026 02:30 happens twice in Stockholm; the first (CEST, UTC+2) is the safer deadline.
    result = add_calendar_days(stockholm(2026, 10, 24, 2, 30), 1, "SE")
    assert result == utc(2026, 10, 25, 0, 30)


# --- rights requests -----------------------------------------------------------------------------

@pytest.mark.parametrize(
    ("received", "expected", "why"),
    [
        (oslo(2026, 1, 31, 12, 0), oslo(2026, 2, 28, 12, 0), "one month (28 Feb) is earlier than 30 days (2 Mar)"),
        (oslo(2028, 1, 31, 12, 0), oslo(2028, 2, 29, 12, 0), "leap year: 29 Feb, earlier than 1 Mar"),
        (oslo(2026, 1, 30, 12, 0), oslo(2026, 2, 28, 12, 0), "one month (28 Feb) is earlier than 1 Mar"),
        (oslo(2028, 1, 30, 12, 0), oslo(2028, 2, 29, 12, 0), "leap year: both rules give 29 Feb"),
        (oslo(2026, 2, 1, 12, 0), oslo(2026, 3, 1, 12, 0), "February: one month is 28 days"),
        (oslo(2026, 3, 15, 12, 0), oslo(2026, 4, 14, 12, 0), "31-day month: 30 days is earlier"),
        (oslo(2026, 4, 15, 12, 0), oslo(2026, 5, 15, 12, 0), "30-day month: both rules agree"),
        (oslo(2026, 12, 31, 12, 0), oslo(2027, 1, 30, 12, 0), "year change: 30 days is earlier"),
    ],
)
def test_rights_request_due_is_earlier_of_30_days_and_one_month(
    received: datetime, expected: datetime, why: str
) -> None:
    due = rights_request_due(received, "NO")
    assert_utc(due)
    assert due == expected, why


def test_rights_request_across_march_dst_in_oslo_keeps_wall_clock() -> None:
    received = oslo(2026, 3, 10, 10, 0)  # CET, 09:00 UTC
    due = rights_request_due(received, "NO")
    assert due == utc(2026, 4, 9, 8, 0)  # 9 Apr 10:00 CEST
    assert due.astimezone(OSLO).replace(tzinfo=None) == datetime(2026, 4, 9, 10, 0)
    assert received.utcoffset() != due.astimezone(OSLO).utcoffset()
    # 30 wall-clock days across the spring change are one hour shorter than 30 x 24 h.
    assert due - received == timedelta(days=30) - timedelta(hours=1)


def test_rights_request_across_october_dst_in_stockholm_keeps_wall_clock() -> None:
    received = stockholm(2026, 10, 10, 10, 0)  # CEST, 08:00 UTC
    due = rights_request_due(received, "SE")
    assert due == utc(2026, 11, 9, 9, 0)  # 9 Nov 10:00 CET
    assert due.astimezone(STOCKHOLM).replace(tzinfo=None) == datetime(2026, 11, 9, 10, 0)
    assert due - received == timedelta(days=30) + timedelta(hours=1)


def test_rights_request_month_end_across_october_dst_in_oslo() -> None:
    received = oslo(2026, 10, 31, 16, 45)  # already CET; due 30 Nov by both rules
    assert rights_request_due(received, "NO") == oslo(2026, 11, 30, 16, 45)
    received = oslo(2026, 9, 30, 23, 59)  # CEST -> CET; 30 Oct by both rules
    assert rights_request_due(received, "NO") == utc(2026, 10, 30, 22, 59)


def test_rights_request_due_uses_the_country_zone() -> None:
    # 23:30 UTC on 31 Jan is 1 Feb in Scandinavia: due 1 Mar local, not 28 Feb.
    received = utc(2026, 1, 31, 23, 30)
    assert rights_request_due(received, "SE") == stockholm(2026, 3, 1, 0, 30)
    assert rights_request_due(received, None) == oslo(2026, 3, 1, 0, 30)


# --- extensions ----------------------------------------------------------------------------------

def test_extension_from_clamped_date() -> None:
    original = rights_request_due(oslo(2026, 1, 31, 12, 0), "NO")
    assert original == oslo(2026, 2, 28, 12, 0)
    assert extended_due(original, 1, "NO") == oslo(2026, 3, 28, 12, 0)
    # Two months runs across the March DST change: wall clock 12:00 kept, UTC 10:00.
    two = extended_due(original, 2, "NO")
    assert two == oslo(2026, 4, 28, 12, 0)
    assert two == utc(2026, 4, 28, 10, 0)


def test_extension_clamps_at_short_month() -> None:
    assert extended_due(oslo(2026, 12, 31, 9, 0), 2, "DK") == datetime(2027, 2, 28, 9, 0, tzinfo=COPENHAGEN)


@pytest.mark.parametrize("months", [0, 3, -1, 12, True, 1.5, "1"])
def test_extension_months_outside_range_rejected(months: object) -> None:
    with pytest.raises(ValueError):
        extended_due(oslo(2026, 2, 28, 12, 0), months, "NO")  # type: ignore[arg-type]


def test_extension_limit_constant() -> None:
    assert deadlines.MAX_EXTENSION_MONTHS == 2


# --- breaches and misconduct ---------------------------------------------------------------------

def test_breach_deadline_is_72_real_hours_across_spring_dst() -> None:
    aware = oslo(2026, 3, 27, 12, 0)  # Friday before the change, CET
    due = breach_authority_due(aware)
    assert_utc(due)
    assert due - aware == timedelta(hours=72)
    assert due == utc(2026, 3, 30, 11, 0)
    # The wall clock shows 13:00, not 12:00: hours are absolute, not local days.
    assert due.astimezone(OSLO).hour == 13


def test_breach_deadline_is_72_real_hours_across_autumn_dst() -> None:
    aware = stockholm(2026, 10, 24, 12, 0)  # CEST
    due = breach_authority_due(aware)
    assert due - aware == timedelta(hours=72)
    assert due.astimezone(STOCKHOLM).hour == 11
    assert deadlines.BREACH_NOTIFICATION_HOURS == 72


def test_misconduct_clocks_across_autumn_dst() -> None:
    received = oslo(2026, 10, 20, 9, 0)  # CEST
    assert misconduct_acknowledge_due(received, "NO") == utc(2026, 10, 27, 8, 0)  # 09:00 CET
    assert misconduct_feedback_due(received, "NO") == utc(2027, 1, 20, 8, 0)
    assert misconduct_feedback_due(oslo(2026, 11, 30, 9, 0), "NO") == oslo(2027, 2, 28, 9, 0)


# --- clocks_for ----------------------------------------------------------------------------------

@pytest.mark.parametrize(
    "case_type",
    [
        "access", "rectification", "erasure", "restriction", "objection", "portability",
        "consent_withdrawal", "application_withdrawal", "recruitment_consent_withdrawal", "complaint",
    ],
)
def test_clocks_for_rights_types(case_type: str) -> None:
    received = oslo(2026, 1, 31, 12, 0)
    assert clocks_for(case_type, received, None, "NO") == {"due_at": oslo(2026, 2, 28, 12, 0)}


def test_clocks_for_incident_uses_aware_at() -> None:
    received = utc(2026, 11, 24, 12, 0)
    aware = utc(2026, 11, 24, 8, 0)
    assert clocks_for("incident", received, aware, "SE") == {
        "authority_notification_due_at": utc(2026, 11, 27, 8, 0)
    }
    with pytest.raises(ValueError):
        clocks_for("incident", received, None, "SE")


def test_clocks_for_misconduct() -> None:
    received = oslo(2026, 11, 24, 9, 0)
    assert clocks_for("misconduct", received, None, "NO") == {
        "acknowledge_due_at": oslo(2026, 12, 1, 9, 0),
        "feedback_due_at": oslo(2027, 2, 24, 9, 0),
    }


def test_clocks_for_unknown_type() -> None:
    with pytest.raises(ValueError):
        clocks_for("newsletter", utc(2026, 1, 1), None, "NO")


# --- time left -----------------------------------------------------------------------------------

def test_hours_left() -> None:
    deadline = utc(2026, 11, 27, 8, 0)
    assert hours_left(deadline, utc(2026, 11, 24, 8, 0)) == 72.0
    assert hours_left(deadline, utc(2026, 11, 27, 9, 30)) == -1.5


def test_days_left_in_local_days() -> None:
    deadline = oslo(2026, 11, 24, 10, 0)
    assert days_left(deadline, oslo(2026, 11, 20, 23, 30), "NO") == 4
    assert days_left(deadline, oslo(2026, 11, 24, 9, 0), "NO") == 0
    assert days_left(deadline, oslo(2026, 11, 24, 11, 0), "NO") == -1
    assert days_left(deadline, oslo(2026, 11, 26, 8, 0), "NO") == -2
    # 23:00 Oslo on the 24th is 22:00 UTC; the deadline is 00:30 Oslo on the 25th: one local day.
    assert days_left(utc(2026, 11, 24, 23, 30), utc(2026, 11, 24, 22, 0), "NO") == 1
    assert days_left(utc(2026, 11, 24, 23, 30), utc(2026, 11, 24, 22, 0)) == 1  # default Oslo
