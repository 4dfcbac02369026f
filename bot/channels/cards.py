"""Adaptive Cards the Teams channel offers, and the validation of what users submit through them.

The incident-report card is an alternative to answering the incident form question by question. Its
`Action.Submit` carries `card_id`/`card_version`/`language`, so the channel knows which parser to use.

Contract with the conversation (see docs/TEAMS.md): when a card is submitted the channel hands Rasa the
text `CARD_SUBMIT_TEXT` ("/card_submitted", an intent trigger, so no NLU guess is involved) with metadata
`card_id`, `card_values` (the parsed dict below, or None when invalid) and `card_errors`
({field: error code}, empty when valid).

Cards use Adaptive Card schema 1.4 (labels, isRequired and errorMessage need 1.3; Teams renders up to 1.5).
"""

from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta
from typing import Any, Dict, List, Mapping, Optional

from basics.languages import normalise_language
from basics.messages import message_table

CARD_SUBMIT_TEXT = "/card_submitted"
ADAPTIVE_CARD_CONTENT_TYPE = "application/vnd.microsoft.card.adaptive"
ADAPTIVE_CARD_VERSION = "1.4"

INCIDENT_CARD_ID = "incident_report"
INCIDENT_CARD_VERSION = 1

MAX_WHAT_HAPPENED = 3000
MIN_WHAT_HAPPENED = 10
MAX_PEOPLE = 100_000_000
MAX_AGE_DAYS = 3650  # an incident discovered more than ten years ago is almost surely a typing error
YES_NO_UNKNOWN = ("yes", "no", "unknown")
DATA_KINDS = (
    "contact_details",
    "identity_numbers",
    "financial",
    "health",
    "login_credentials",
    "employee_hr",
    "candidate_applications",
    "customer_records",
    "children",
    "location",
    "other",
)

# The card's words are in messages/<language>/cards.yml: cards.form.* (labels, hints, errors) and
# cards.data_kind.* (the kinds of personal data, which the chat's incident summary shows too).
_TEXTS: Dict[str, Dict[str, str]] = message_table("cards.form")
DATA_KIND_LABELS: Dict[str, Dict[str, str]] = message_table("cards.data_kind")


def _t(key: str, lang: str) -> str:
    return _TEXTS[key][lang]


def _yes_no_unknown_input(input_id: str, lang: str) -> Dict[str, Any]:
    return {
        "type": "Input.ChoiceSet",
        "id": input_id,
        "label": _t(input_id, lang),
        "style": "expanded",
        "isMultiSelect": False,
        "value": "unknown",
        "choices": [{"title": _t(choice, lang), "value": choice} for choice in YES_NO_UNKNOWN],
    }


def incident_report_card(language: Optional[str]) -> Dict[str, Any]:
    """The incident-report form as an Adaptive Card (the card itself, not the attachment).

    `language` may be a language or a locale ("nb-NO"); anything unknown gives English.
    """
    lang = normalise_language(language)
    return {
        "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
        "type": "AdaptiveCard",
        "version": ADAPTIVE_CARD_VERSION,
        "lang": lang,
        "body": [
            {"type": "TextBlock", "text": _t("title", lang), "weight": "Bolder", "size": "Medium", "wrap": True},
            {"type": "TextBlock", "text": _t("intro", lang), "wrap": True, "isSubtle": True},
            {
                "type": "Input.Text",
                "id": "what_happened",
                "label": _t("what_happened", lang),
                "placeholder": _t("what_happened_placeholder", lang),
                "isMultiline": True,
                "maxLength": MAX_WHAT_HAPPENED,
                "isRequired": True,
                "errorMessage": _t("what_happened_error", lang),
            },
            {
                "type": "ColumnSet",
                "columns": [
                    {
                        "type": "Column",
                        "width": "stretch",
                        "items": [{
                            "type": "Input.Date",
                            "id": "discovered_date",
                            "label": _t("discovered_date", lang),
                            "isRequired": True,
                            "errorMessage": _t("discovered_date_error", lang),
                        }],
                    },
                    {
                        "type": "Column",
                        "width": "stretch",
                        "items": [{"type": "Input.Time", "id": "discovered_time", "label": _t("discovered_time", lang)}],
                    },
                ],
            },
            {
                "type": "Input.ChoiceSet",
                "id": "data_kinds",
                "label": _t("data_kinds", lang),
                "isMultiSelect": True,
                "style": "expanded",
                "isRequired": True,
                "errorMessage": _t("data_kinds_error", lang),
                "choices": [{"title": DATA_KIND_LABELS[kind][lang], "value": kind} for kind in DATA_KINDS],
            },
            {"type": "Input.Number", "id": "people_count", "label": _t("people_count", lang), "min": 0,
             "max": MAX_PEOPLE},
            _yes_no_unknown_input("encrypted", lang),
            _yes_no_unknown_input("contained", lang),
            {"type": "Input.Toggle", "id": "anonymous", "title": _t("anonymous", lang), "value": "false",
             "valueOn": "true", "valueOff": "false"},
        ],
        "actions": [
            {
                "type": "Action.Submit",
                "title": _t("submit", lang),
                "style": "positive",
                "data": {"card_id": INCIDENT_CARD_ID, "card_version": INCIDENT_CARD_VERSION, "language": lang},
            }
        ],
    }


def incident_report_attachment(language: Optional[str]) -> Dict[str, Any]:
    """The card wrapped as a Bot Framework attachment, for a message's `attachments` list."""
    return {"contentType": ADAPTIVE_CARD_CONTENT_TYPE, "content": incident_report_card(language)}


def incident_report_message(language: Optional[str]) -> Dict[str, Any]:
    """What an action passes as `dispatcher.utter_message(json_message=...)` to show the card in Teams."""
    return {"type": "message", "attachments": [incident_report_attachment(language)]}


# ------------------------------------------------------------------------------------------------ parsing


class CardValidationError(ValueError):
    """Submitted values that do not fit the card. `errors` maps a field id to a short error code."""

    def __init__(self, errors: Dict[str, str]) -> None:
        super().__init__(", ".join(f"{field}:{code}" for field, code in sorted(errors.items())))
        self.errors = errors


_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_TIME = re.compile(r"^\d{2}:\d{2}(:\d{2})?$")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def _text(value: Any) -> Optional[str]:
    if value is None:
        return None
    if not isinstance(value, str):
        raise TypeError
    return value.strip()


def _bool(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if value is None or value == "":
        return False
    if isinstance(value, str) and value.strip().lower() in ("true", "false"):
        return value.strip().lower() == "true"
    raise TypeError


def parse_incident_report(values: Mapping[str, Any], *, today: Optional[date] = None) -> Dict[str, Any]:
    """Validate what the incident card submitted; return clean values or raise CardValidationError.

    Result: what_happened (str), discovered_date ("YYYY-MM-DD"), discovered_time ("HH:MM" or None),
    discovered_local ("YYYY-MM-DDTHH:MM", local wall time of the reporter, 00:00 when no time was given),
    data_kinds (list of DATA_KINDS codes), people_count (int or None = unknown), encrypted and contained
    ("yes" | "no" | "unknown"), anonymous (bool), language ("sv" | "nb" | "en").
    """
    if not isinstance(values, Mapping):
        raise CardValidationError({"_card": "not_an_object"})
    errors: Dict[str, str] = {}
    result: Dict[str, Any] = {}
    today = today or date.today()

    if values.get("card_id") != INCIDENT_CARD_ID:
        errors["card_id"] = "unknown_card"
    result["language"] = normalise_language(values.get("language") if isinstance(values.get("language"), str) else None)

    try:
        what = _text(values.get("what_happened"))
        if not what:
            errors["what_happened"] = "required"
        elif len(what) > MAX_WHAT_HAPPENED:
            errors["what_happened"] = "too_long"
        elif len(what) < MIN_WHAT_HAPPENED:
            errors["what_happened"] = "too_short"
        else:
            result["what_happened"] = _CONTROL.sub("", what)
    except TypeError:
        errors["what_happened"] = "invalid_type"

    discovered: Optional[date] = None
    try:
        raw_date = _text(values.get("discovered_date"))
        if not raw_date:
            errors["discovered_date"] = "required"
        elif not _DATE.match(raw_date):
            errors["discovered_date"] = "invalid"
        else:
            discovered = date.fromisoformat(raw_date)
            # A day of slack: the reporter's calendar may be ahead of the server's (time zones).
            if discovered > today + timedelta(days=1):
                errors["discovered_date"] = "in_future"
                discovered = None
            elif discovered < today - timedelta(days=MAX_AGE_DAYS):
                errors["discovered_date"] = "too_old"
                discovered = None
            else:
                result["discovered_date"] = discovered.isoformat()
    except TypeError:
        errors["discovered_date"] = "invalid_type"
    except ValueError:
        errors["discovered_date"] = "invalid"

    clock: Optional[time] = None
    try:
        raw_time = _text(values.get("discovered_time"))
        if raw_time:
            if not _TIME.match(raw_time):
                errors["discovered_time"] = "invalid"
            else:
                clock = time.fromisoformat(raw_time).replace(second=0)
        result["discovered_time"] = clock.strftime("%H:%M") if clock else None
    except TypeError:
        errors["discovered_time"] = "invalid_type"
    except ValueError:
        errors["discovered_time"] = "invalid"
    if discovered is not None:
        result["discovered_local"] = datetime.combine(discovered, clock or time(0, 0)).strftime("%Y-%m-%dT%H:%M")

    raw_kinds = values.get("data_kinds")
    if isinstance(raw_kinds, str):
        kinds: Optional[List[str]] = [k.strip() for k in raw_kinds.split(",") if k.strip()]
    elif isinstance(raw_kinds, list) and all(isinstance(k, str) for k in raw_kinds):
        kinds = [k.strip() for k in raw_kinds if k.strip()]
    elif raw_kinds is None:
        kinds = []
    else:
        kinds = None
        errors["data_kinds"] = "invalid_type"
    if kinds is not None:
        if not kinds:
            errors["data_kinds"] = "required"
        elif any(kind not in DATA_KINDS for kind in kinds):
            errors["data_kinds"] = "unknown_choice"
        else:
            result["data_kinds"] = [kind for kind in DATA_KINDS if kind in kinds]  # de-duplicated, stable order

    raw_count = values.get("people_count")
    if raw_count is None or (isinstance(raw_count, str) and not raw_count.strip()):
        result["people_count"] = None
    elif isinstance(raw_count, bool):
        errors["people_count"] = "invalid_type"
    else:
        try:
            if isinstance(raw_count, (int, float)):
                number = float(raw_count)
            elif isinstance(raw_count, str) and re.fullmatch(r"\s*\d{1,9}(\.0+)?\s*", raw_count):
                number = float(raw_count)
            else:
                raise ValueError
            if number != int(number) or not 0 <= number <= MAX_PEOPLE:
                raise ValueError
            result["people_count"] = int(number)
        except (ValueError, OverflowError):
            errors["people_count"] = "invalid"

    for field_id in ("encrypted", "contained"):
        raw = values.get(field_id)
        if raw is None or raw == "":
            result[field_id] = "unknown"
        elif isinstance(raw, str) and raw in YES_NO_UNKNOWN:
            result[field_id] = raw
        else:
            errors[field_id] = "unknown_choice"

    try:
        result["anonymous"] = _bool(values.get("anonymous"))
    except TypeError:
        errors["anonymous"] = "invalid"

    if errors:
        raise CardValidationError(errors)
    return result


# Parsers of the cards the channel knows; the channel looks a submit's `card_id` up here.
CARD_PARSERS = {INCIDENT_CARD_ID: parse_incident_report}
