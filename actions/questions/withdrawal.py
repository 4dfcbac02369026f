"""The questions of a job-application withdrawal: the application or the recruitment database, and which
position."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Tracker

from actions.common import MAX_SHORT_TEXT
from actions.questions.base import LOOSE_TEXT_INTERRUPTIONS, Asked, Question, Turn, Values, named_by, typed_choice
from actions.texts import WITHDRAWAL_TARGET_NAMES, button, t
from actions.words import APPLICATION_WORDS, DATABASE_WORDS

TARGET_WORDS = {"database": DATABASE_WORDS, "application": APPLICATION_WORDS}  # "database" first: "open application"


def validate_withdrawal_target(turn: Turn, value: Any) -> Values:
    target = typed_choice(str(value or ""), TARGET_WORDS)
    if target is None:
        return turn.fail("invalid_choice")
    turn.say(f"withdrawal_explain_{target}")  # what the withdrawal does, said once
    return turn.ok(target)


def ask_withdrawal_target(tracker: Tracker, lang: str) -> Asked:
    return t("ask_withdrawal_target", lang), [button(t("btn_target_application", lang), "application"),
                                              button(t("btn_target_database", lang), "database")]


def validate_application_position(turn: Turn, value: Any) -> Values:
    return turn.free_text(value, MAX_SHORT_TEXT, refuse_off_topic=False)


QUESTIONS = (
    Question("withdrawal_target", validate_withdrawal_target, ask=ask_withdrawal_target,
             summary=named_by(WITHDRAWAL_TARGET_NAMES)),
    Question("application_position", validate_application_position, expected="expect_case_description",
             interrupted_by=LOOSE_TEXT_INTERRUPTIONS, detail_key="position", typed=True, free_text=True,
             answer_may_come_with_a_question=True),
)
