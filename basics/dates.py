"""Dates as our three languages write them, and the time zones of the countries we handle cases in.

Both the chat (actions/texts.py) and the e-mails (backend/email_templates.py) write a day the same way:
sv "24 november 2026", nb "24. november 2026", en "24 November 2026". Each converts a moment to the case's
local time first (its country's zone, below); how the time of day is written stays with each, because a chat
line and an e-mail say it differently (the e-mail names the zone).
"""

from __future__ import annotations

import datetime as _dt
from typing import Dict, Tuple

from basics.languages import normalise_language

__all__ = ["COUNTRY_TIMEZONES", "MONTHS", "format_day", "is_date"]

MONTHS: Dict[str, Tuple[str, ...]] = {
    "sv": ("januari", "februari", "mars", "april", "maj", "juni", "juli", "augusti", "september",
           "oktober", "november", "december"),
    "nb": ("januar", "februar", "mars", "april", "mai", "juni", "juli", "august", "september",
           "oktober", "november", "desember"),
    "en": ("January", "February", "March", "April", "May", "June", "July", "August", "September",
           "October", "November", "December"),
}

# The countries a case can belong to (ISO 3166 alpha-2) and the zone their calendar arithmetic and dates use.
COUNTRY_TIMEZONES: Dict[str, str] = {
    "NO": "Europe/Oslo",
    "SE": "Europe/Stockholm",
    "DK": "Europe/Copenhagen",
}


def format_day(day: _dt.date, language: str) -> str:
    """The (already local) day as the language writes it; an unknown language gets English."""
    lang = normalise_language(language)
    month = MONTHS[lang][day.month - 1]
    if lang == "nb":
        return f"{day.day}. {month} {day.year}"
    return f"{day.day} {month} {day.year}"


def is_date(year: int, month: int, day: int) -> bool:
    """Whether the three numbers make a real calendar day (no 30 February, no month 13)."""
    try:
        _dt.date(year, month, day)
    except ValueError:
        return False
    return True
