"""What a question is (`Question`), and one answer to it being judged (`Turn`).

Shape (after Rasa's financial-demo): every slot a form asks is one `Question` that says how it is asked,
what a valid answer is, what a plausible answer looks like when the NLU heard something else, what may
interrupt it, how the summary shows it and which backend detail it becomes. `Turn` counts failures per
slot in the `failed_attempts` slot and, on the 2nd failure, explains what is expected and, from the 3rd,
offers to stop or talk to a person, instead of asking the same question forever.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any, Awaitable, Callable, Dict, List, Mapping, Optional, Tuple, Union

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.common import MAX_DESCRIPTION, clean_text, get_lang, has_any
from actions.policy import answer_beside_a_form_answer
from actions.reading import answer_intent, off_topic
from actions.texts import name_of, stop_handoff_buttons, t
from actions.words import NO_WORDS, YES_WORDS
from basics.national_ids import strip_national_ids
from bot.text import fold

logger = logging.getLogger(__name__)

Buttons = List[Dict[str, str]]
Asked = Tuple[str, Buttons]  # the question's text and its buttons
Values = Dict[str, Any]  # slot values a validation sets
Validator = Callable[["Turn", Any], Union[Values, Awaitable[Values]]]

# Intents that interrupt a question instead of answering it, unless the text is a plausible answer: the
# slot mappings exclude them and the interruption rules (stop, faq, hand-off ...) run instead.
HARD_INTERRUPTIONS: Tuple[str, ...] = (
    "stop", "restart_form", "human_handoff", "faq", "help", "correct_value", "resend_code", "forget_conversation",
    "card_submitted",
)
# Short loose answers (a position, data types, a count) are easily heard as a language switch or "are you a
# bot?": there those interrupt too. Elsewhere the validator tells a real answer from anything else (names,
# e-mail addresses, codes, choices), and the language slot switches anyway (actions/language.py).
LOOSE_TEXT_INTERRUPTIONS: Tuple[str, ...] = HARD_INTERRUPTIONS + ("switch_language", "bot_challenge")
# Long descriptions are interrupted by less, because "I object to your marketing" easily looks like an intent.
DESCRIPTION_INTERRUPTIONS: Tuple[str, ...] = (
    "stop", "restart_form", "human_handoff", "forget_conversation", "card_submitted", "faq",
)
# On the summary "the e-mail was wrong" is the answer, not an interruption.
SUMMARY_INTERRUPTIONS: Tuple[str, ...] = tuple(i for i in HARD_INTERRUPTIONS if i != "correct_value")


def never(text: str, slots: Mapping[str, Any]) -> bool:
    return False


# "ja", "nej takk", "yes yes": at most this many words, all of them yes or no.
MAX_WORDS_OF_A_BARE_YES_NO = 3
_YES_NO_TOKENS = frozenset(fold(word) for word in YES_WORDS + NO_WORDS)


def is_bare_yes_or_no(text: str) -> bool:
    """Whether `text` is only a yes or a no. It answers a yes/no question, never "which consent?" or "what
    happened?" (seen: "ja" filed as the consent to withdraw)."""
    words = [word.strip(" .,!?") for word in fold(text).split()]
    words = [word for word in words if word]
    return 0 < len(words) <= MAX_WORDS_OF_A_BARE_YES_NO and all(word in _YES_NO_TOKENS for word in words)


def as_typed(value: Any, lang: str) -> str:
    text = str(value or "")
    return text if len(text) <= 300 else text[:297] + "…"


def named_by(table: Dict[str, Dict[str, str]]) -> Callable[[Any, str], str]:
    """A summary that shows a stored choice by its name in the user's language."""
    return lambda value, lang: name_of(table, value, lang)


def typed_choice(text: str, words_by_choice: Mapping[str, List[str]]) -> Optional[str]:
    """The choice a button sends (its payload is the choice), or the first whose words the text uses."""
    if text in words_by_choice:
        return text
    return next((choice for choice, words in words_by_choice.items() if has_any(text, words)), None)


@dataclass(frozen=True)
class Question:
    slot: str
    validate: Validator
    # How it is asked: (text, buttons) in `lang`. None: the catalogue's `ask_<slot>`, no buttons.
    ask: Optional[Callable[[Tracker, str], Asked]] = None
    expected: str = "expect_choice"  # what the 2nd failure explains ("I need ..."), a message key
    # A plausible answer although the NLU gave the message an interruption intent ("ja" heard as stop).
    looks_like_answer: Callable[[str, Mapping[str, Any]], bool] = never
    interrupted_by: Tuple[str, ...] = HARD_INTERRUPTIONS
    summary: Callable[[Any, str], str] = as_typed  # how the confirmation summary shows the answer
    detail_key: Optional[str] = None  # the case detail the answer is filed as
    typed: bool = False  # typed by the user, not chosen with a button: a typed stop asks first
    free_text: bool = False  # a description: a request inside it is not a new request unless it says so
    # "names and e-mails, do we have to tell them?": the answer part is kept and the question answered too.
    answer_may_come_with_a_question: bool = False
    # A time is no answer to it ("för en timme sedan" read as one person): said so, and asked again.
    refuses_a_time: bool = False

    def asked(self, tracker: Tracker, lang: str) -> Asked:
        if self.ask is not None:
            return self.ask(tracker, lang)
        return t(f"ask_{self.slot}", lang), []


class Turn:
    """One answer to one question being judged: the message, the form, and the ways to take or refuse it."""

    def __init__(self, question: Question, form: str, dispatcher: CollectingDispatcher, tracker: Tracker,
                 domain: DomainDict, questions: Mapping[str, Question]) -> None:
        self.question = question
        self.slot = question.slot
        self.form = form
        self.dispatcher = dispatcher
        self.tracker = tracker
        self.domain = domain
        self._questions = questions

    @property
    def lang(self) -> str:
        return get_lang(self.tracker)

    @property
    def intent(self) -> Optional[str]:
        """The message's intent when it is reliable (a button payload or a confident prediction)."""
        return answer_intent(self.tracker)

    def slot_value(self, slot: str) -> Any:
        return self.tracker.get_slot(slot)

    def of(self, slot: str) -> "Turn":
        """The same message judged as the answer to another question (an address typed for "how?")."""
        return Turn(self._questions[slot], self.form, self.dispatcher, self.tracker, self.domain, self._questions)

    def say(self, key: str, buttons: Optional[Buttons] = None, **values: Any) -> None:
        self.dispatcher.utter_message(text=t(key, self.lang, **values), buttons=buttons or [])

    def ok(self, value: Any, **more: Any) -> Values:
        counts = dict(self.tracker.get_slot("failed_attempts") or {})
        counts.pop(self.slot, None)
        return {self.slot: value, "failed_attempts": counts or None, **more}

    def fail(self, message_key: str, buttons: Optional[Buttons] = None, **values: Any) -> Values:
        lang = self.lang
        if self.intent in ("switch_language", "bot_challenge"):
            # Not a failed answer: the user asked something else. Answer it; the form asks again.
            self.dispatcher.utter_message(
                response="utter_language_switched" if self.intent == "switch_language" else "utter_iamabot"
            )
            return {self.slot: None}
        counts = dict(self.tracker.get_slot("failed_attempts") or {})
        failures = counts.get(self.slot, 0) + 1
        counts[self.slot] = failures
        self.say(message_key, buttons=buttons, **values)
        if failures >= 2:
            expected = t(self.question.expected, lang, limit=MAX_DESCRIPTION)
            self.say("repeat_explain", expected=expected)
        if failures >= 3:
            self.say("repeat_offer", buttons=stop_handoff_buttons(lang))
        logger.info("form %s: invalid answer for %s (failure %d)", self.form, self.slot, failures)
        return {self.slot: None, "failed_attempts": counts}

    def answer_aside(self, question: str) -> Values:
        """A question asked where an answer was expected: answer it from the policy and ask again, without
        counting a failed answer."""
        answer_beside_a_form_answer(self.dispatcher, self.tracker, question)
        return {self.slot: None}

    def failures(self) -> int:
        return (self.tracker.get_slot("failed_attempts") or {}).get(self.slot, 0)

    def free_text(self, value: Any, max_chars: int, min_words: int = 1, refuse_off_topic: bool = True) -> Values:
        """A typed answer in the user's own words: cleaned, within its limits, and about our business."""
        text = self.scrub(value)
        if len(text) > max_chars:
            return self.fail("invalid_too_long", limit=max_chars)
        if is_bare_yes_or_no(text):
            return self.fail("invalid_bare_yes_no", answer=text)
        if refuse_off_topic and off_topic(self.tracker, text):
            return self.fail("invalid_off_topic")
        if len(text.split()) < min_words or len(text) < 2:
            return self.fail("invalid_too_short")
        return self.ok(text)

    def scrub(self, value: Any) -> str:
        """Clean free text and drop national ID numbers (never echoed, never stored)."""
        text, removed = strip_national_ids(clean_text(value))
        if removed:
            self.say("national_id_removed")
        return text
