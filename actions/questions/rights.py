"""The questions of a rights request: which right, and what exactly (the description every case flow asks)."""

from __future__ import annotations

import re
from typing import Any, Mapping

from rasa_sdk import Tracker

from actions.common import MAX_DESCRIPTION
from actions.goals import RIGHT_INTENTS, RIGHTS
from actions.questions.base import DESCRIPTION_INTERRUPTIONS, Asked, Question, Turn, Values, named_by, typed_choice
from actions.questions.requester import says_same_as_before
from actions.reading import latest_intent, looks_like_question
from actions.texts import RIGHT_NAMES, right_buttons, t
from actions.words import EVERYTHING_TOKENS, RIGHT_WORDS
from bot.text import fold

# "allt" / "everything" is a complete answer to the erasure and consent questions; elsewhere a description
# has at least this many words.
MIN_WORDS_OF_A_DESCRIPTION = 2
ONE_WORD_ANSWERS_RIGHTS = ("erasure", "consent_withdrawal")
# Reports describe what happened; a short question there is asked beside the report. (A complaint or a
# request may well be put as a question: "why did you share my address?")
ASKS_WHAT_HAPPENED = ("incident", "misconduct")
MAX_WORDS_OF_A_QUESTION_ASIDE = 8


def validate_right(turn: Turn, value: Any) -> Values:
    intent = latest_intent(turn.tracker).get("name")
    right = str(value or "") if value in RIGHTS else RIGHT_INTENTS.get(intent or "")
    right = right or typed_choice(str(value or ""), RIGHT_WORDS)
    return turn.ok(right) if right else turn.fail("invalid_right")


def ask_right(tracker: Tracker, lang: str) -> Asked:
    return t("ask_right", lang), right_buttons(lang)


def validate_case_description(turn: Turn, value: Any) -> Values:
    text = str(value or "")
    if (turn.slot_value("flow") in ASKS_WHAT_HAPPENED and looks_like_question(text)
            and len(text.split()) <= MAX_WORDS_OF_A_QUESTION_ASIDE):
        # "vad händer med min anmälan sen?" where we asked what happened: a question about the process, not
        # the report. Answer it and ask again; it is not a failed answer.
        return turn.answer_aside(text)
    if says_same_as_before(text):
        # "samma som förut": earlier requests keep their name and address, never what they were about.
        return turn.fail("same_as_before_unknown")
    one_word = turn.slot_value("right") in ONE_WORD_ANSWERS_RIGHTS
    return turn.free_text(value, MAX_DESCRIPTION, min_words=1 if one_word else MIN_WORDS_OF_A_DESCRIPTION)


def ask_case_description(tracker: Tracker, lang: str) -> Asked:
    flow = tracker.get_slot("flow")
    goal = tracker.get_slot("right") if flow == "rights" else flow
    return t(f"ask_description_{goal}", lang), []


def answers_erase_everything(text: str, slots: Mapping[str, Any]) -> bool:
    """"alt sammen" is the answer to "should we erase everything?", whatever the NLU heard."""
    return slots.get("right") == "erasure" and bool(EVERYTHING_TOKENS & set(re.findall(r"\w+", fold(text))))


QUESTIONS = (
    Question("right", validate_right, ask=ask_right, summary=named_by(RIGHT_NAMES)),
    Question("case_description", validate_case_description, ask=ask_case_description,
             expected="expect_case_description", looks_like_answer=answers_erase_everything,
             interrupted_by=DESCRIPTION_INTERRUPTIONS, detail_key="description", typed=True, free_text=True,
             answer_may_come_with_a_question=True),
)
