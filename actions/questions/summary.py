"""The last questions of every case form: "is this right?" (the summary) and "what should be changed?"."""

from __future__ import annotations

import re
from typing import Any, Dict, List, Mapping, Optional

from rasa_sdk import Tracker

from actions.common import has_any, yes_no_unknown
from actions.flow_config import DEPENDANT_FIELDS, answer_fields, needs_email_verification
from actions.questions.base import SUMMARY_INTERRUPTIONS, Asked, Question, Turn, Values
from actions.reading import INTENT_ANSWERS
from actions.texts import FIELD_LABELS, button, name_of, t
from actions.words import AGREEING_WORDS, BUT_WORDS, CHANGE_WORDS, FIELD_WORDS
from basics.languages import LANGUAGES
from bot.text import fold


def find_field(text: str, fields: List[str]) -> Optional[str]:
    """The field the user names (button payload = slot name, or a word like "e-post", "navn", "name")."""
    if text in fields:
        return text
    for field in fields:
        if has_any(text, FIELD_WORDS.get(field, [])):
            return field
    for field in fields:
        for lang in LANGUAGES:
            if fold(FIELD_LABELS.get(field, {}).get(lang, "\0")) in fold(text):
                return field
    return None


def clear_field_events(field: str) -> Dict[str, Any]:
    """Slot values that clear `field` (and what depends on it) and leave correction mode."""
    cleared: Dict[str, Any] = {field: None, "confirm_summary": None, "correction_pending": None}
    for dependant in DEPENDANT_FIELDS.get(field, []):
        cleared[dependant] = None
    return cleared


def _cleared(turn: Turn, field: str) -> None:
    turn.say("correction_cleared", field=name_of(FIELD_LABELS, field, turn.lang).lower())


def _plain_yes(text: str) -> bool:
    """"ja, skicka", "yes, it is correct": a leading yes with no change named and no "but"."""
    tokens = re.findall(r"[\w']+", fold(text))
    if text.startswith("/") or not tokens or tokens[0] in AGREEING_WORDS or yes_no_unknown(tokens[0]) != "yes":
        return False  # a payload names its intent; "correct the e-mail" starts with a change word
    if set(tokens) & BUT_WORDS:
        return False
    return not has_any(text, [w for w in CHANGE_WORDS if w not in AGREEING_WORDS])


def validate_confirm_summary(turn: Turn, value: Any) -> Values:
    text = str(value or "")
    intent = turn.intent
    if text == "yes" or (text.startswith("/") and intent == "affirm") or _plain_yes(text):
        return turn.ok("yes")
    wants_change = (
        text in ("no", "correct")
        or (text.startswith("/") and intent in ("deny", "correct_value"))
        or has_any(text, CHANGE_WORDS)
    )
    if not wants_change and not text.startswith("/"):
        parsed = yes_no_unknown(text) or INTENT_ANSWERS.get(intent or "")
        if parsed == "yes":
            return turn.ok("yes")
        wants_change = parsed == "no"
    if wants_change:
        # "Change the e-mail" names the field already: clear it right away.
        field = None if text.startswith("/") else find_field(text, answer_fields(turn.form, turn.tracker.slots))
        if field:
            _cleared(turn, field)
            return turn.ok(None, field_to_correct=field, **clear_field_events(field))
        return turn.ok(None, correction_pending=True, field_to_correct=None)
    return turn.fail("invalid_summary_answer")


def ask_confirm_summary(tracker: Tracker, lang: str, questions: Mapping[str, Question], form: str) -> Asked:
    lines = [t("summary_header", lang)]
    for field in answer_fields(form, tracker.slots):
        shown = questions[field].summary(tracker.get_slot(field), lang)
        lines.append(f"• {name_of(FIELD_LABELS, field, lang)}: {shown}")
    footer = "summary_footer_verify" if needs_email_verification(tracker.slots) else "summary_footer_open"
    lines.append(t(footer, lang))
    return "\n".join(lines), [button(t("btn_yes_send", lang), "/affirm"),
                              button(t("btn_change", lang), "/correct_value"),
                              button(t("btn_cancel", lang), "/stop")]


def validate_field_to_correct(turn: Turn, value: Any) -> Values:
    field = find_field(str(value or ""), answer_fields(turn.form, turn.tracker.slots))
    if field is None:
        return turn.fail("invalid_field")
    _cleared(turn, field)
    return turn.ok(field, **clear_field_events(field))


def ask_field_to_correct(tracker: Tracker, lang: str, form: str) -> Asked:
    fields = answer_fields(form, tracker.slots)
    return t("ask_field_to_correct", lang), [button(name_of(FIELD_LABELS, f, lang), f) for f in fields]


def summary_question(questions: Mapping[str, Question], active_form: Any) -> Question:
    """The summary question; it shows every other question's answer, so it is made with the registry."""
    return Question("confirm_summary", validate_confirm_summary,
                    ask=lambda tracker, lang: ask_confirm_summary(tracker, lang, questions, active_form(tracker)),
                    interrupted_by=SUMMARY_INTERRUPTIONS)


def correction_question(active_form: Any) -> Question:
    return Question("field_to_correct", validate_field_to_correct,
                    ask=lambda tracker, lang: ask_field_to_correct(tracker, lang, active_form(tracker)),
                    interrupted_by=SUMMARY_INTERRUPTIONS)
