"""Every question the forms ask, one `Question` spec each (actions/questions/base.py), by goal:

- rights.py: which right, and the description every case flow asks;
- withdrawal.py: the application or the recruitment database, and the position;
- incident.py: when, which data, how many, encrypted, contained;
- requester.py: name, e-mail address, or anonymous;
- summary.py: the confirmation summary and "what should be changed?";
- codes.py: the confirmation code and the status check.

Which of them a form asks, and in which order, is `actions/flow_config.slots_for_form`.
"""

from __future__ import annotations

from typing import Any, Dict, List, Mapping, Optional

from actions.questions import codes, incident, requester, rights, withdrawal
from actions.questions.base import Question, Turn
from actions.questions.summary import correction_question, summary_question
from actions.reading import active_form

QUESTIONS: Dict[str, Question] = {
    q.slot: q for module in (rights, withdrawal, requester, incident, codes) for q in module.QUESTIONS
}
QUESTIONS["confirm_summary"] = summary_question(QUESTIONS, lambda tracker: active_form(tracker) or "")
QUESTIONS["field_to_correct"] = correction_question(lambda tracker: active_form(tracker) or "")

# Every slot asked by an `action_ask_<slot>` action.
ASKED_SLOTS: List[str] = list(QUESTIONS)
# What the user typed for a case (a choice made with a button is quickly made again): a typed stop with any
# of these filled asks first.
TYPED_ANSWER_SLOTS: List[str] = [slot for slot, q in QUESTIONS.items() if q.typed]


def looks_like_answer(slot: str, text: str, slots: Optional[Mapping[str, Any]] = None) -> bool:
    """Whether `text` is a plausible answer for `slot` even though the NLU gave it an interruption intent
    (a 6-digit code is not a hand-off request, "ja" is an answer to a yes/no question)."""
    if text.startswith("/") or slot not in QUESTIONS:
        return False  # a button payload names its intent on purpose
    return QUESTIONS[slot].looks_like_answer(text, slots or {})


__all__ = ["ASKED_SLOTS", "QUESTIONS", "TYPED_ANSWER_SLOTS", "Question", "Turn", "looks_like_answer"]
