"""Who is asking: name, e-mail address, or anonymous (incident and misconduct reports)."""

from __future__ import annotations

from typing import Any, Dict, List, Mapping, Optional, Text

from rasa_sdk import Tracker
from rasa_sdk.events import SlotSet

from actions.common import (
    channel_identity,
    email_mistake,
    has_any,
    looks_like_email_attempt,
    normalise_email,
    suggest_email,
    valid_name,
    yes_no_unknown,
)
from actions.goals import FLOWS_THAT_ASK_WHO
from actions.questions.base import Asked, Question, Turn, Values, named_by
from actions.reading import INTENT_ANSWERS, has_phrase, words_besides_email
from actions.texts import YES_NO_UNKNOWN, button, t
from actions.words import (
    ANONYMOUS_WORDS,
    COMMAND_WORDS,
    COMPANY_FORMS,
    GROUP_NAME,
    NAME_ENDINGS,
    NAME_INTROS,
    NAMED_WORDS,
    NOT_ANONYMOUS_WORDS,
    SAME_AS_BEFORE_PHRASES,
)
from bot.text import fold

MIN_WORDS_OF_A_NAME, MAX_WORDS_OF_A_NAME = 2, 5


# Where a verified earlier request of this conversation keeps each answer (`remember_identity`).
PREVIOUS_IDENTITY = {"requester_name": "previous_requester_name", "requester_email": "previous_requester_email"}
MAX_WORDS_OF_SAME_AS_BEFORE = 8

# A second request in the same conversation reuses the name and address of a verified first one: they are
# shown with the intro and in the summary, where the user can change them, instead of being asked again.
# Only a code-verified address is reused, and only while the conversation's encrypted slots live
# (bot/tracker_store.py: TRACKER_SECRET_TTL_HOURS, and erased with the conversation).


def remember_identity(tracker: Tracker) -> List[Dict[Text, Any]]:
    """Keep the verified requester for a later request in this conversation (not the channel's identity)."""
    if tracker.get_slot("identity_from_channel") or not tracker.get_slot("requester_email"):
        return []
    return [SlotSet(previous, tracker.get_slot(slot)) for slot, previous in PREVIOUS_IDENTITY.items()]


def reused_identity(tracker: Tracker, flow: Optional[str]) -> Dict[str, Any]:
    """The earlier request's name and address for a new flow that asks who the user is, or {}."""
    found = {slot: tracker.get_slot(previous) for slot, previous in PREVIOUS_IDENTITY.items()}
    if flow not in FLOWS_THAT_ASK_WHO or not all(found.values()):
        return {}
    return found


def says_same_as_before(text: str, slots: Optional[Mapping[str, Any]] = None) -> bool:
    return len(text.split()) <= MAX_WORDS_OF_SAME_AS_BEFORE and has_phrase(text, SAME_AS_BEFORE_PHRASES)


def same_as_before(turn: Turn, value: Any) -> Optional[Values]:
    """"Samma som förut": the earlier request's verified answer, or a failure saying there is none."""
    if not says_same_as_before(str(value or "")):
        return None
    previous = turn.slot_value(PREVIOUS_IDENTITY[turn.slot])
    return turn.ok(previous) if previous else turn.fail("same_as_before_unknown")


def name_in(text: str) -> str:
    """The name without the words around it: "jag heter Anna Lindqvist" and "Anna Lindqvist här" are Anna
    Lindqvist. Only whole leading/trailing phrases go, so a name is never cut inside."""
    words = text.strip().split()
    folded = [fold(w) for w in words]
    for intro in sorted(NAME_INTROS, key=len, reverse=True):
        size = len(intro.split())
        if len(words) > size and " ".join(folded[:size]).strip(",.:!") == fold(intro).strip(",.:!"):
            words, folded = words[size:], folded[size:]
            break
    if len(words) > 1 and folded[-1].strip(",.!") in {fold(ending) for ending in NAME_ENDINGS}:
        words = words[:-1]
    return " ".join(words).strip(" ,.!")


def names_a_company(text: str) -> bool:
    """"Senior Consultant, Amesto Solutions AB" is a position and a company: a company form at the end, or
    one of the group's companies."""
    words = text.strip(" .,!").split()
    return bool(words) and (words[-1] in COMPANY_FORMS or GROUP_NAME in {fold(word).strip(",.") for word in words})


def validate_requester_name(turn: Turn, value: Any) -> Values:
    earlier = same_as_before(turn, value)
    if earlier is not None:
        return earlier
    text = name_in(turn.scrub(value))
    position = str(turn.slot_value("application_position") or "")
    if names_a_company(text):
        if turn.slot_value("withdrawal_target") != "application":  # the only form that asks for a position
            # "Anna Lindqvist, Amesto Solutions AB": the name, and where the person works.
            text = text.split(",")[0] if "," in text else ""
        else:
            # The position typed where the name was asked. When the name came first, where the position was
            # asked, the answers were swapped: each goes where it belongs (seen: the position filed as the name).
            swapped = valid_name(position) if position and not names_a_company(position) else None
            if swapped and looks_like_name(position):
                turn.say("name_and_position_swapped", position=text, name=swapped)
                return turn.ok(swapped, application_position=text)
            return turn.fail("invalid_name_company")
    name = valid_name(text)
    if name and (yes_no_unknown(name) is not None or fold(name).strip(" .!") in COMMAND_WORDS):
        name = None  # "ja" and "stopp" are no names (seen: "ja" stored as the name)
    if not name:
        return turn.fail("invalid_name")
    if position and fold(position) == fold(name):
        # The name was typed where the position was asked, and again here: it is the name.
        turn.say("position_was_a_name", name=name)
        return turn.ok(name, application_position=None)
    return turn.ok(name)


def looks_like_name(text: str, slots: Optional[Mapping[str, Any]] = None) -> bool:
    """"Jane Smith" has been classified as stop: a capitalised two-to-five-word name is a name."""
    if says_same_as_before(text):
        return True
    if normalise_email(text):  # "sara nilsen, sara.nilsen@gmail.com": a name and an address, whatever the capitals
        return could_be_a_name(words_besides_email(text))
    text = name_in(text)
    words = text.split()
    return (MIN_WORDS_OF_A_NAME <= len(words) <= MAX_WORDS_OF_A_NAME and all(word[:1].isupper() for word in words)
            and valid_name(text) is not None and not {fold(w).strip(".,!") for w in words} & COMMAND_WORDS)


def could_be_a_name(words: List[str]) -> bool:
    """Whether these words (typed next to an address) can be a first and last name, capitals or not."""
    return MIN_WORDS_OF_A_NAME <= len(words) <= MAX_WORDS_OF_A_NAME and valid_name(" ".join(words)) is not None


def validate_email_answer(turn: Turn, value: Any) -> Optional[Values]:
    """The failure for an address that will not do, or None when `value` is a usable address."""
    text = str(value or "")
    email = normalise_email(text)
    # A valid address at a misspelt big provider ("gmial.com") is asked about once: the code would never
    # arrive. Sent again as it was, it is taken.
    if email and not (suggest_email(email) and not turn.failures()):
        return None
    suggestion = suggest_email(text)
    if suggestion:
        # The mended address is a button that sends it (and a valid one as typed, a second button).
        buttons = [button(suggestion, suggestion)] + ([button(email, email)] if email else [])
        return turn.fail("invalid_email_suggest", buttons=buttons, suggestion=suggestion)
    return turn.fail(email_mistake(text))


def validate_requester_email(turn: Turn, value: Any) -> Values:
    earlier = same_as_before(turn, value)
    if earlier is not None:
        return earlier
    refused = validate_email_answer(turn, value)
    return refused if refused is not None else turn.ok(normalise_email(str(value)))


def looks_like_email(text: str, slots: Mapping[str, Any]) -> bool:
    return looks_like_email_attempt(text) or says_same_as_before(text)  # a typo gets a correction, never a stop


def validate_reporter_anonymous(turn: Turn, value: Any) -> Values:
    text = str(value or "")
    answer: Optional[str] = text if text in ("yes", "no") else None
    if answer is None and text.startswith("/"):
        answer = INTENT_ANSWERS.get(turn.intent or "")
    elif answer is None:
        # In this order: "ikke anonymt" is named, "without my name" anonymous, "with my name" named.
        if has_any(text, NOT_ANONYMOUS_WORDS):
            answer = "no"
        elif has_any(text, ANONYMOUS_WORDS):
            answer = "yes"
        elif has_any(text, NAMED_WORDS):
            answer = "no"
        else:
            parsed = yes_no_unknown(text) or INTENT_ANSWERS.get(turn.intent or "")
            answer = parsed if parsed in ("yes", "no") else None
    if answer is None:
        return turn.fail("invalid_choice")
    if answer == "yes":
        return turn.ok("yes", requester_name=None, requester_email=None, identity_from_channel=None)
    name, email = channel_identity(turn.tracker)
    if name and email:
        # Teams staff: the channel already identified them, so nothing more to ask.
        return turn.ok("no", requester_name=name, requester_email=email, identity_from_channel=True)
    return turn.ok("no")


def ask_reporter_anonymous(tracker: Tracker, lang: str) -> Asked:
    name, email = channel_identity(tracker)
    text = t("ask_reporter_anonymous_staff", lang, name=name) if name and email else t("ask_reporter_anonymous", lang)
    return text, [button(t("btn_anonymous", lang), "/affirm"), button(t("btn_named", lang), "/deny")]


def looks_like_anonymity_answer(text: str, slots: Mapping[str, Any]) -> bool:
    # "nei, jeg står fram med navnet mitt" has been heard as "start again".
    return has_any(text, NAMED_WORDS + ANONYMOUS_WORDS) or yes_no_unknown(text) in ("yes", "no")


QUESTIONS = (
    Question("requester_name", validate_requester_name, expected="expect_requester_name",
             looks_like_answer=looks_like_name, typed=True),
    Question("requester_email", validate_requester_email, expected="expect_requester_email",
             looks_like_answer=looks_like_email, typed=True),
    Question("reporter_anonymous", validate_reporter_anonymous, ask=ask_reporter_anonymous,
             looks_like_answer=looks_like_anonymity_answer, summary=named_by(YES_NO_UNKNOWN)),
)
