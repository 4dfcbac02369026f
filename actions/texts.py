"""Every text the flow actions send, in Swedish (sv), Norwegian Bokmål (nb) and English (en).

The words live in the message catalogue messages/<language>/chat.yml (basics/messages.py reads it); this
module keeps the tables and helpers the actions use, and the logic that builds texts (dates, buttons).

Why a catalogue of our own and not domain responses: the form questions and confirmations depend on the
flow, the chosen right and values the user gave (summary, reference, dates), and the same key is used
from several actions. Simple replies that rules send (greet, hand-off, fallback) stay in domain.yml as
conditional response variations.

`t(key, lang, **values)` formats a text; tests/test_messages.py checks that every key exists in all three
languages with the same placeholders.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any, Dict, List, Optional
from zoneinfo import ZoneInfo

from basics.dates import COUNTRY_TIMEZONES, format_day
from basics.languages import LANGUAGES, normalise_language
from basics.messages import message, message_table

# Where the privacy team sits for a case handled in this language: used for the case country (the
# backend's calendar arithmetic) and the time zone dates are shown in. English speakers go to the head
# office in Oslo.
COUNTRY_FOR_LANGUAGE = {"sv": "SE", "nb": "NO", "en": "NO"}


def parse_iso(value: str) -> Optional[datetime]:
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except (AttributeError, ValueError):
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)


def zone_for_country(country: str) -> ZoneInfo:
    """The case country's zone; the head office's (Oslo) for anything unknown, so a chat line never fails."""
    return ZoneInfo(COUNTRY_TIMEZONES.get(country, COUNTRY_TIMEZONES["NO"]))


def format_date(value: Any, lang: str, country: str = "NO") -> str:
    """'24 november 2026' (sv), '24. november 2026' (nb), '24 November 2026' (en), in the case's time zone."""
    moment = value if isinstance(value, datetime) else parse_iso(str(value or ""))
    if moment is None:
        return ""
    return format_day(moment.astimezone(zone_for_country(country)), lang)


def format_datetime(value: Any, lang: str, country: str = "NO") -> str:
    """The date as above plus the local time ('24 november 2026 kl. 09:30' / 'at 09:30')."""
    moment = value if isinstance(value, datetime) else parse_iso(str(value or ""))
    if moment is None:
        return ""
    local = moment.astimezone(zone_for_country(country))
    day = format_day(local, lang)
    return message(normalise_language(lang), "chat.format.datetime", day=day, hour=f"{local:%H}",
                   minute=f"{local:%M}")


# The name tables keep the shape callers index ({key: {language: text}}); the words are in
# messages/<language>/chat.yml.
RIGHT_NAMES: Dict[str, Dict[str, str]] = message_table("chat.name.right")

# Short names of what a user can ask for, used when the bot juggles two requests ("your erasure request").
# Keyed "<flow>:<right>" ("rights:erasure", "rights:" when the right is not chosen yet, "incident:"); the
# catalogue keys are chat.name.goal.<flow>[.<right>].
GOAL_NAMES: Dict[str, Dict[str, str]] = {
    (key.replace(".", ":", 1) if "." in key else f"{key}:"): names
    for key, names in message_table("chat.name.goal").items()
}


def goal_name(flow: Optional[str], right: Optional[str], lang: str) -> str:
    """"erasure request" / "begäran om radering" for the goal (flow, right)."""
    key = f"{flow}:{right or ''}" if flow == "rights" else f"{flow}:"
    names = GOAL_NAMES.get(key) or GOAL_NAMES.get(f"{flow}:") or GOAL_NAMES["rights:"]
    return names[normalise_language(lang)]


CASE_TYPE_NAMES: Dict[str, Dict[str, str]] = {**RIGHT_NAMES, **message_table("chat.name.case_type")}
STATUS_NAMES: Dict[str, Dict[str, str]] = message_table("chat.name.status")
# Labels for fields in summaries and in "which field do you want to change?".
FIELD_LABELS: Dict[str, Dict[str, str]] = message_table("chat.name.field")
YES_NO_UNKNOWN: Dict[str, Dict[str, str]] = message_table("chat.name.answer")
WITHDRAWAL_TARGET_NAMES: Dict[str, Dict[str, str]] = message_table("chat.name.withdrawal_target")
CONTACT: Dict[str, str] = {lang: message(lang, "chat.contact") for lang in LANGUAGES}

# Every chat text by key: T[key][language].
T: Dict[str, Dict[str, str]] = message_table("chat.text")


def t(key: str, lang: Optional[str], **values: Any) -> str:
    """The text for `key` in `lang` (English when the language is unknown), formatted with `values`."""
    entry = T[key]
    text = entry[normalise_language(lang)]
    return text.format(**values) if values else text


def name_of(table: Dict[str, Dict[str, str]], key: Optional[str], lang: Optional[str]) -> str:
    if not key or key not in table:
        return key or ""
    return table[key][normalise_language(lang)]


def button(title: str, payload: str) -> Dict[str, str]:
    return {"title": title, "payload": payload}


def right_buttons(lang: str) -> List[Dict[str, str]]:
    return [button(RIGHT_NAMES[r][normalise_language(lang)].split(" (")[0].capitalize(), r) for r in RIGHT_NAMES]


def yes_no_unknown_buttons(lang: str) -> List[Dict[str, str]]:
    lang = normalise_language(lang)
    return [
        button(YES_NO_UNKNOWN["yes"][lang], "/affirm"),
        button(YES_NO_UNKNOWN["no"][lang], "/deny"),
        button(YES_NO_UNKNOWN["unknown"][lang], YES_NO_UNKNOWN["unknown"][lang].lower()),
    ]


def stop_handoff_buttons(lang: str) -> List[Dict[str, str]]:
    return [button(t("btn_cancel", lang), "/stop"), button(t("btn_handoff", lang), "/human_handoff")]
