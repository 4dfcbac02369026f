"""The questions of an incident report: when it was discovered, which data, how many people, encrypted,
contained. (What happened is the description, actions/questions/rights.py; who reports, requester.py.)"""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone
from typing import Any, Mapping, Optional

from rasa_sdk import Tracker

from actions.common import MAX_DESCRIPTION, MAX_SHORT_TEXT, country_for, has_any, yes_no_unknown
from actions.incident_facts import names_time_of_day, parse_aware_at, people_count
from actions.questions.base import LOOSE_TEXT_INTERRUPTIONS, Asked, Question, Turn, Values, named_by
from actions.reading import INTENT_ANSWERS, looks_like_question
from actions.texts import FIELD_LABELS, YES_NO_UNKNOWN, format_datetime, parse_iso, t, yes_no_unknown_buttons
from actions.words import BUT_WORDS, CONTAINED_WORDS, ENCRYPTED_WORDS
from bot.text import fold

# An ISO time with an offset (pre-filled from the Teams incident card) is taken as it is.
_ISO_WITH_OFFSET = re.compile(r"\d{4}-\d\d-\d\dT[\d:.]+([+-]\d\d:\d\d|Z)")
# A time typed this long is a description, not a "when".
MAX_CHARS_OF_A_TIME = 60
# A yes/no/don't-know question answered with this many words or more and no yes or no: a caveat to keep.
MIN_WORDS_OF_A_CAVEAT = 4


def validate_incident_aware_at(turn: Turn, value: Any) -> Values:
    lang = turn.lang
    text = turn.scrub(value)
    stored = parse_iso(text) if _ISO_WITH_OFFSET.fullmatch(text) else None
    if stored is not None:
        moment, in_future = stored, stored > datetime.now(timezone.utc) + timedelta(minutes=5)
    else:
        moment, in_future = parse_aware_at(text, lang)
    if moment is None:
        return turn.fail("invalid_date")
    if in_future:
        return turn.fail("invalid_future_date")
    day_only = stored is None and not names_time_of_day(text)
    turn.say("aware_at_understood_day" if day_only else "aware_at_understood",
             when=format_datetime(moment, lang, country_for(lang)))
    return turn.ok(moment.isoformat())


def looks_like_time(text: str, slots: Mapping[str, Any]) -> bool:
    lang = slots.get("language") or "en"
    return len(text) < MAX_CHARS_OF_A_TIME and any(
        parse_aware_at(text, code)[0] is not None for code in dict.fromkeys([lang, "en"]))


def show_time(value: Any, lang: str) -> str:
    return format_datetime(value, lang, country_for(lang))


def validate_incident_data_types(turn: Turn, value: Any) -> Values:
    return turn.free_text(value, MAX_SHORT_TEXT)


def validate_incident_people_count(turn: Turn, value: Any) -> Values:
    count = people_count(turn.scrub(value))
    if count is None:
        return turn.fail("invalid_people_count")
    return turn.ok(count)


def looks_like_count(text: str, slots: Mapping[str, Any]) -> bool:
    # "cirka 40" has been heard as a hand-off request; a number (or "vet inte") is the answer.
    return bool(re.search(r"\d", text)) or yes_no_unknown(text) == "unknown"


def show_count(value: Any, lang: str) -> str:
    return YES_NO_UNKNOWN["unknown"][lang] if value == "unknown" else str(value or "")


IMPLIED_YES = {"incident_contained": CONTAINED_WORDS, "incident_encrypted": ENCRYPTED_WORDS}


def _with_note(turn: Turn, text: str) -> str:
    """The description with the user's own words for this question appended (facts the team needs)."""
    note = f"{FIELD_LABELS[turn.slot][turn.lang]}: {turn.scrub(text)}"
    description = turn.slot_value("case_description") or ""
    return f"{description}\n{note}".strip()[:MAX_DESCRIPTION]


def validate_yes_no_unknown(turn: Turn, value: Any) -> Values:
    """Yes, no or don't know, with what the user said beyond that kept as a fact in the description:
    "vet ikke, har meldt det til politiet" is "don't know" and the police report is noted. A qualified answer
    ("I asked him to delete it but he hasn't confirmed yet") is "don't know"; "IT wiped it" is contained."""
    text = str(value or "")
    answer: Optional[str]
    if text in ("yes", "no", "unknown"):
        return turn.ok(text)
    if text.startswith("/"):
        answer = INTENT_ANSWERS.get(turn.intent or "")
        return turn.ok(answer) if answer else turn.fail("invalid_yes_no_unknown")
    words = re.findall(r"[\w']+", fold(text))
    answer = yes_no_unknown(text)
    if answer is None and looks_like_question(text):
        # "vad menar du med krypterad här?": a question about the question, not a yes. Answer it, ask again.
        return turn.answer_aside(text)
    if answer is None and has_any(text, IMPLIED_YES.get(turn.slot, [])):
        answer = "yes"
    if set(words) & BUT_WORDS and answer != "unknown":
        answer = "unknown"  # qualified: the words below say how
    answer = answer or INTENT_ANSWERS.get(turn.intent or "")
    says_more = len(words) >= MIN_WORDS_OF_A_CAVEAT and not looks_like_question(text)
    if answer is None and not says_more:
        return turn.fail("invalid_yes_no_unknown")
    if says_more:
        return turn.ok(answer or "unknown", case_description=_with_note(turn, text))
    return turn.ok(answer)


def looks_like_yes_no(text: str, slots: Mapping[str, Any]) -> bool:
    return yes_no_unknown(text) is not None


def yes_no_unknown_question(slot: str, detail_key: str) -> Question:
    def ask(tracker: Tracker, lang: str) -> Asked:
        return t(f"ask_{slot}", lang), yes_no_unknown_buttons(lang)

    return Question(slot, validate_yes_no_unknown, ask=ask, expected="expect_yes_no_unknown",
                    looks_like_answer=looks_like_yes_no, summary=named_by(YES_NO_UNKNOWN), detail_key=detail_key,
                    refuses_a_time=True)


QUESTIONS = (
    Question("incident_aware_at", validate_incident_aware_at, expected="expect_incident_aware_at",
             looks_like_answer=looks_like_time, summary=show_time, typed=True),
    Question("incident_data_types", validate_incident_data_types, expected="expect_case_description",
             interrupted_by=LOOSE_TEXT_INTERRUPTIONS, detail_key="data_types", typed=True, free_text=True,
             answer_may_come_with_a_question=True, refuses_a_time=True),
    Question("incident_people_count", validate_incident_people_count, expected="expect_incident_people_count",
             looks_like_answer=looks_like_count, interrupted_by=LOOSE_TEXT_INTERRUPTIONS, summary=show_count,
             detail_key="people_affected", typed=True,
             answer_may_come_with_a_question=True, refuses_a_time=True),
    yes_no_unknown_question("incident_encrypted", "encrypted"),
    yes_no_unknown_question("incident_contained", "contained"),
)
