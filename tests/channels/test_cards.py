"""The incident-report Adaptive Card: structure (checked against a schema of the Adaptive Card 1.5 elements
the card may use, written for this test) and the validation of submitted values."""

from __future__ import annotations

import json
from datetime import date

import jsonschema
import pytest

from bot.channels.cards import (
    DATA_KINDS,
    CardValidationError,
    incident_report_attachment,
    incident_report_card,
    parse_incident_report,
)

_TEXT = {"type": "string", "minLength": 1}
_INPUT_COMMON = {"id": {"type": "string", "pattern": "^[a-z_]+$"}, "label": _TEXT, "isRequired": {"type": "boolean"},
                 "errorMessage": _TEXT}
_CHOICE = {"type": "object", "required": ["title", "value"], "additionalProperties": False,
           "properties": {"title": _TEXT, "value": _TEXT}}


def _input(type_name: str, extra: dict, required=("type", "id")) -> dict:
    return {"type": "object", "required": list(required), "additionalProperties": False,
            "properties": {"type": {"const": type_name}, **_INPUT_COMMON, **extra}}


ADAPTIVE_CARD_1_5_SUBSET = {
    "$schema": "http://json-schema.org/draft-07/schema#",
    "definitions": {
        "element": {"oneOf": [
            {"type": "object", "required": ["type", "text"], "additionalProperties": False,
             "properties": {"type": {"const": "TextBlock"}, "text": _TEXT, "wrap": {"type": "boolean"},
                            "weight": {"enum": ["Default", "Lighter", "Bolder"]},
                            "size": {"enum": ["Default", "Small", "Medium", "Large", "ExtraLarge"]},
                            "isSubtle": {"type": "boolean"}}},
            _input("Input.Text", {"placeholder": _TEXT, "isMultiline": {"type": "boolean"},
                                  "maxLength": {"type": "integer", "minimum": 1}, "value": {"type": "string"}}),
            _input("Input.Date", {"value": {"type": "string"}, "min": {"type": "string"}, "max": {"type": "string"}}),
            _input("Input.Time", {"value": {"type": "string"}}),
            _input("Input.Number", {"min": {"type": "number"}, "max": {"type": "number"}, "value": {"type": "number"},
                                    "placeholder": _TEXT}),
            _input("Input.Toggle", {"title": _TEXT, "value": {"type": "string"}, "valueOn": {"type": "string"},
                                    "valueOff": {"type": "string"}}, required=("type", "id", "title")),
            _input("Input.ChoiceSet", {"choices": {"type": "array", "minItems": 1, "items": _CHOICE},
                                       "isMultiSelect": {"type": "boolean"},
                                       "style": {"enum": ["compact", "expanded", "filtered"]},
                                       "value": {"type": "string"}}, required=("type", "id", "choices")),
            {"type": "object", "required": ["type", "columns"], "additionalProperties": False,
             "properties": {"type": {"const": "ColumnSet"}, "columns": {"type": "array", "items": {
                 "type": "object", "required": ["type", "items"], "additionalProperties": False,
                 "properties": {"type": {"const": "Column"}, "width": {"type": ["string", "number"]},
                                "items": {"type": "array", "items": {"$ref": "#/definitions/element"}}}}}}},
        ]},
        "action": {"type": "object", "required": ["type", "title"], "additionalProperties": False,
                   "properties": {"type": {"const": "Action.Submit"}, "title": _TEXT,
                                  "style": {"enum": ["default", "positive", "destructive"]},
                                  "data": {"type": "object"}}},
    },
    "type": "object",
    "required": ["type", "version", "body", "actions"],
    "additionalProperties": False,
    "properties": {
        "$schema": {"type": "string"},
        "type": {"const": "AdaptiveCard"},
        "version": {"enum": ["1.0", "1.1", "1.2", "1.3", "1.4", "1.5"]},
        "lang": {"type": "string"},
        "body": {"type": "array", "minItems": 1, "items": {"$ref": "#/definitions/element"}},
        "actions": {"type": "array", "minItems": 1, "items": {"$ref": "#/definitions/action"}},
    },
}


def _inputs(elements):
    for element in elements:
        if element["type"].startswith("Input."):
            yield element
        for column in element.get("columns", []):
            yield from _inputs(column["items"])


@pytest.mark.parametrize("language", ["sv", "nb", "en", "nb-NO", "nn-NO", "sv-SE", "de-DE", None])
def test_card_is_a_valid_adaptive_card_in_every_language(language) -> None:
    card = incident_report_card(language)
    jsonschema.validate(card, ADAPTIVE_CARD_1_5_SUBSET)
    json.dumps(card)  # serialisable as is
    inputs = {element["id"]: element for element in _inputs(card["body"])}
    assert set(inputs) == {"what_happened", "discovered_date", "discovered_time", "data_kinds", "people_count",
                           "encrypted", "contained", "anonymous"}
    assert inputs["data_kinds"]["isMultiSelect"] is True
    assert [c["value"] for c in inputs["data_kinds"]["choices"]] == list(DATA_KINDS)
    for yes_no in ("encrypted", "contained"):
        assert [c["value"] for c in inputs[yes_no]["choices"]] == ["yes", "no", "unknown"]
    assert card["actions"][0]["data"]["card_id"] == "incident_report"


def test_card_texts_differ_per_language_and_fall_back_to_english() -> None:
    titles = {lang: incident_report_card(lang)["body"][0]["text"] for lang in ("sv", "nb", "en")}
    assert len(set(titles.values())) == 3
    assert incident_report_card("nb-NO")["body"][0]["text"] == titles["nb"]
    assert incident_report_card("fi-FI")["body"][0]["text"] == titles["en"]
    assert incident_report_card("nb")["actions"][0]["data"]["language"] == "nb"
    attachment = incident_report_attachment("sv")
    assert attachment["contentType"] == "application/vnd.microsoft.card.adaptive"


TODAY = date(2026, 3, 2)


def _teams_submit(**changes):
    """What Teams posts when the card is submitted: every input as a string, plus the action's data."""
    values = {"card_id": "incident_report", "card_version": 1, "language": "nb",
              "what_happened": "  Lønnslisten ble sendt til en ekstern mottaker ved en feil.  ",
              "discovered_date": "2026-03-01", "discovered_time": "14:05", "data_kinds": "financial,employee_hr",
              "people_count": "120", "encrypted": "no", "contained": "yes", "anonymous": "true"}
    values.update(changes)
    return {k: v for k, v in values.items() if v is not ...}


def test_parser_returns_clean_values() -> None:
    parsed = parse_incident_report(_teams_submit(), today=TODAY)
    assert parsed == {
        "language": "nb",
        "what_happened": "Lønnslisten ble sendt til en ekstern mottaker ved en feil.",
        "discovered_date": "2026-03-01", "discovered_time": "14:05", "discovered_local": "2026-03-01T14:05",
        "data_kinds": ["financial", "employee_hr"], "people_count": 120,
        "encrypted": "no", "contained": "yes", "anonymous": True,
    }


def test_parser_accepts_optional_fields_left_empty() -> None:
    parsed = parse_incident_report(_teams_submit(discovered_time="", people_count="", encrypted=...,
                                                 contained=..., anonymous=...), today=TODAY)
    assert parsed["discovered_time"] is None and parsed["discovered_local"] == "2026-03-01T00:00"
    assert parsed["people_count"] is None
    assert parsed["encrypted"] == parsed["contained"] == "unknown"
    assert parsed["anonymous"] is False


def test_parser_accepts_native_json_types() -> None:
    parsed = parse_incident_report(_teams_submit(people_count=7, anonymous=False,
                                                 data_kinds=["health", "health", "other"]), today=TODAY)
    assert parsed["people_count"] == 7 and parsed["anonymous"] is False
    assert parsed["data_kinds"] == ["health", "other"]


@pytest.mark.parametrize("changes, field, code", [
    ({"what_happened": ...}, "what_happened", "required"),
    ({"what_happened": "   "}, "what_happened", "required"),
    ({"what_happened": "kort"}, "what_happened", "too_short"),
    ({"what_happened": "x" * 3001}, "what_happened", "too_long"),
    ({"what_happened": {"nested": "object"}}, "what_happened", "invalid_type"),
    ({"discovered_date": ...}, "discovered_date", "required"),
    ({"discovered_date": "01.03.2026"}, "discovered_date", "invalid"),
    ({"discovered_date": "2026-02-30"}, "discovered_date", "invalid"),
    ({"discovered_date": "2026-03-10"}, "discovered_date", "in_future"),
    ({"discovered_date": "1999-12-31"}, "discovered_date", "too_old"),
    ({"discovered_date": 20260301}, "discovered_date", "invalid_type"),
    ({"discovered_time": "25:00"}, "discovered_time", "invalid"),
    ({"discovered_time": "2pm"}, "discovered_time", "invalid"),
    ({"data_kinds": ""}, "data_kinds", "required"),
    ({"data_kinds": "financial,passwords_of_the_ceo"}, "data_kinds", "unknown_choice"),
    ({"data_kinds": 5}, "data_kinds", "invalid_type"),
    ({"people_count": "-1"}, "people_count", "invalid"),
    ({"people_count": "2.5"}, "people_count", "invalid"),
    ({"people_count": "many"}, "people_count", "invalid"),
    ({"people_count": 10 ** 12}, "people_count", "invalid"),
    ({"people_count": True}, "people_count", "invalid_type"),
    ({"encrypted": "maybe"}, "encrypted", "unknown_choice"),
    ({"contained": True}, "contained", "unknown_choice"),
    ({"anonymous": "ja"}, "anonymous", "invalid"),
    ({"card_id": "other_card"}, "card_id", "unknown_card"),
])
def test_parser_rejects_bad_values(changes, field, code) -> None:
    with pytest.raises(CardValidationError) as raised:
        parse_incident_report(_teams_submit(**changes), today=TODAY)
    assert raised.value.errors == {field: code}


def test_parser_rejects_a_non_object() -> None:
    with pytest.raises(CardValidationError):
        parse_incident_report(["what_happened"], today=TODAY)  # type: ignore[arg-type]


def test_data_kind_labels_are_public_and_used_by_the_incident_flow() -> None:
    """The flow shows the card's own wording in the summary; a renamed constant must not silently drop it."""
    from actions.start import incident_card_answers
    from bot.channels.cards import DATA_KIND_LABELS, DATA_KINDS, parse_incident_report

    assert set(DATA_KIND_LABELS) == set(DATA_KINDS)
    assert all(set(labels) == {"sv", "nb", "en"} for labels in DATA_KIND_LABELS.values())
    values = parse_incident_report({"card_id": "incident_report", "language": "nb",
                                    "what_happened": "Lønnslista ble sendt til feil mottaker.",
                                    "discovered_date": "2026-01-05", "data_kinds": "financial,employee_hr"})
    answers = incident_card_answers({"card_id": "incident_report", "card_errors": {}, "card_values": values}, "nb")
    assert answers["incident_data_types"] == "Bank-, kort- eller lønnsopplysninger, Personalopplysninger (HR)"
