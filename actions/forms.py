"""The form actions: one validation action per form, and the `action_ask_<slot>` actions.

Every form shares `FlowFormValidation`. It decides what a message fills (extraction), keeps answers given
for another question for that question, and judges each answer with its question's spec
(`actions/questions/`). `flow_config.slots_for_form` decides what a form asks.
"""

from __future__ import annotations

import logging
import uuid
from typing import Any, Dict, List, Optional, Text

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.common import get_lang, has_any, normalise_email, valid_name, yes_no_unknown
from actions.flow_config import CORRECTABLE_FORMS, is_other_goal, slots_for_form
from actions.incident_facts import people_said, says_when
from actions.questions import ASKED_SLOTS, QUESTIONS, TYPED_ANSWER_SLOTS, Turn, looks_like_answer
from actions.questions.requester import could_be_a_name
from actions.policy import answer_beside_a_form_answer
from actions.reading import (
    ANSWER_INTENT_CONFIDENCE,
    INTERRUPT_CONFIDENCE,
    active_form,
    answer_before_question,
    latest_intent,
    latest_text,
    looks_like_question,
    says_it_wants_more,
    share_of_intents,
    sounds_like_stop,
    typed_stop,
    words_besides_email,
)
from actions.texts import FIELD_LABELS, stop_handoff_buttons
from actions.words import CHANGE_WORDS, EMAIL_FILLER_WORDS
from bot.text import fold

logger = logging.getLogger(__name__)

# Answers longer than this are descriptions even when they read like a request of their own.
MAX_WORDS_OF_NEW_REQUEST = 15
# Slots whose answer is the request itself, so a request intent there is the answer.
REQUEST_CHOICE_SLOTS = {"right", "withdrawal_target", "field_to_correct"}
# An address with more words than this around it is a description that mentions an address.
MAX_WORDS_BESIDES_AN_EMAIL = 5
# How long a time typed where something else was asked can be ("för en timme sedan").
MAX_WORDS_OF_A_TIME = 6


class FlowFormValidation(FormValidationAction):
    """Validation shared by all forms; subclasses set `form`."""

    form = ""

    def name(self) -> Text:
        return f"validate_{self.form}"

    async def required_slots(
        self,
        domain_slots: List[Text],
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: DomainDict,
    ) -> List[Text]:
        needed = slots_for_form(self.form, tracker.slots)
        if self.form in CORRECTABLE_FORMS and tracker.get_slot("correction_pending"):
            return ["field_to_correct"] + needed
        return needed

    async def get_validation_events(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> List[EventType]:
        """rasa-sdk's loop, with each slot judged by its question's spec, except that a slot an action just
        cleared (value None, e.g. the code slot when a case is filed) is not validated: nobody answered yet,
        so there is nothing to call wrong."""
        required = await self.required_slots(self.domain_slots(domain), dispatcher, tracker, domain)
        slots: Dict[str, Any] = {k: v for k, v in tracker.slots_to_validate().items() if k in required}
        for slot_name, slot_value in list(slots.items()):
            question = QUESTIONS.get(slot_name)
            if question is None or slot_value is None:
                continue
            turn = Turn(question, self.form, dispatcher, tracker, domain, QUESTIONS)
            if slot_name == tracker.get_slot("requested_slot") and isinstance(slot_value, str):
                misplaced = self._misplaced_answer(turn, slot_value, required)
                if misplaced is not None:
                    slots.update(misplaced)
                    tracker.slots.update(misplaced)
                    continue
            output = question.validate(turn, slot_value)
            if hasattr(output, "__await__"):
                output = await output
            if isinstance(output, dict):
                slots.update(output)
                tracker.slots.update(output)
        return [SlotSet(slot, value) for slot, value in slots.items()]

    # -- extraction -----------------------------------------------------------------------------------
    # The form slots use `type: custom` mappings: this method decides what the user's message fills.
    # It takes the text of a fresh user turn for the requested slot, unless the message is an interruption
    # (its intent is one the question lists and the text is not a plausible answer). Taking nothing makes
    # Rasa reject the form for this turn, and the interruption rules (stop, faq, hand-off ...) run.

    async def get_extraction_events(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> List[EventType]:
        slot = tracker.get_slot("requested_slot")
        if not slot or slot not in QUESTIONS or not self._fresh_user_turn(tracker):
            return []
        if slot not in await self.required_slots(self.domain_slots(domain), dispatcher, tracker, domain):
            return []
        text = latest_text(tracker)
        intent = latest_intent(tracker)
        interrupted_by = QUESTIONS[slot].interrupted_by
        interrupts = intent.get("name") in interrupted_by and (
            share_of_intents(tracker, interrupted_by.__contains__) >= INTERRUPT_CONFIDENCE or text.startswith("/"))
        if (interrupts and intent.get("name") == "correct_value" and QUESTIONS[slot].typed
                and not text.startswith("/") and not has_any(text, CHANGE_WORDS)):
            interrupts = False  # "e-postadresser og noen navn" heard as a correction: no word says "change"
        if interrupts and typed_stop(tracker) and self._answers_would_be_lost(tracker):
            return [SlotSet(slot, text)]  # validation asks "do you want to stop?"; the Cancel button stops
        if interrupts and intent.get("name") == "faq" and QUESTIONS[slot].answer_may_come_with_a_question:
            answer = answer_before_question(text)
            if answer:
                answer_beside_a_form_answer(dispatcher, tracker, text[len(answer):].strip(" ,;.\n"))
                return [SlotSet(slot, answer)]  # the question is answered; the answer part is the answer
        if interrupts and not looks_like_answer(slot, text, tracker.slots):
            if intent.get("name") != "faq" or looks_like_question(text):
                return []
        if other_request(tracker, slot):
            return []  # the rule "<request> during <form>" notes it and the form asks again
        return [SlotSet(slot, text)]

    def _answers_would_be_lost(self, tracker: Tracker) -> bool:
        """Whether a stop now would throw away something the user typed for a case not yet filed."""
        return self.form in CORRECTABLE_FORMS and any(tracker.get_slot(s) for s in TYPED_ANSWER_SLOTS)

    def _fresh_user_turn(self, tracker: Tracker) -> bool:
        """True when the form runs right after the user's message (not when it resumes after an
        interruption, when the latest message was the interruption and must not become an answer)."""
        allowed = {self.form, "action_listen", "action_extract_slots", "action_validate_slot_mappings"}
        for event in reversed(tracker.events):
            kind = event.get("event")
            if kind == "user":
                return True
            if kind == "action_execution_rejected":
                return False
            if kind == "action" and event.get("name") not in allowed:
                return False
        return False

    # -- answers that belong elsewhere ----------------------------------------------------------------

    def _misplaced_answer(self, turn: Turn, text: str, required: List[str]) -> Optional[Dict[str, Any]]:
        """Slot values for an answer that is not an answer to the question asked, or None when it may be one:
        - a stop in words ("nei forresten, glem det") is asked about with a Cancel button; the answers stay;
        - a time where a count or the kinds of data were asked is said to be one, and the question asked again;
        - an e-mail address given for another question is kept for the e-mail question (and a name written
          next to it for the name question); the question is asked again."""
        slot, tracker = turn.slot, turn.tracker
        said_stop = sounds_like_stop(text) or typed_stop(tracker)
        if said_stop and not looks_like_answer(slot, text, tracker.slots):
            turn.say("confirm_stop", buttons=stop_handoff_buttons(turn.lang)[:1])
            return {slot: None}
        if (turn.question.refuses_a_time and len(text.split()) <= MAX_WORDS_OF_A_TIME and says_when(text)
                and not people_said(text) and yes_no_unknown(text) is None):
            turn.say("wrong_field_time", field=field_label(slot, turn.lang))
            return {slot: None}
        email = normalise_email(text)
        besides = words_besides_email(text)
        # Only an address (with a name next to it for the name question): "bob@x.com got the file" is a
        # description that mentions an address, not the user's address.
        if (slot in ("requester_email", "status_email", "status_method") or not email
                or len(besides) > MAX_WORDS_BESIDES_AN_EMAIL
                or not (set(map(fold, besides)) <= EMAIL_FILLER_WORDS or _could_be_a_name(besides))):
            return None
        if "requester_email" not in required or tracker.get_slot("requester_email"):
            turn.say("wrong_field_email", field=field_label(slot, turn.lang))
            return {slot: None}
        values: Dict[str, Any] = {slot: None, "requester_email": email}
        name = valid_name(" ".join(besides))
        if name and _could_be_a_name(besides) and "requester_name" in required:
            values.update(requester_name=name)  # "Anna Lindqvist, anna@example.se": both, for their questions
        if values[slot] is None:
            kept = "name_email_kept_for_later" if values.get("requester_name") else "email_kept_for_later"
            turn.say(kept, field=field_label(slot, turn.lang))
        return values


def _could_be_a_name(words: List[str]) -> bool:
    """The words next to an address are a name ("sara nilsen, sara@..."), not "my e-mail is"."""
    return could_be_a_name(words) and not set(map(fold, words)) & EMAIL_FILLER_WORDS


def field_label(slot: str, lang: str) -> str:
    """The slot's summary label as a noun in a sentence ("namn", "tjänst och företag")."""
    label = FIELD_LABELS.get(slot, {}).get(lang) or slot
    return label[:1].lower() + label[1:]


def other_request(tracker: Tracker, slot: str) -> Optional[str]:
    """The intent of a new, different request typed while a form asks `slot` ("I also want to report a
    breach" in the middle of an erasure request), or None when the message is (or may be) the answer."""
    flow, right = tracker.get_slot("flow"), tracker.get_slot("right")
    intent = latest_intent(tracker).get("name")
    text = latest_text(tracker).strip()
    # A new request split between two kinds (incident 0.48, misconduct 0.32) is still a new request.
    if not text.startswith("/") and share_of_intents(
            tracker, lambda name: is_other_goal(name, flow, right)) < ANSWER_INTENT_CONFIDENCE:
        intent = None
    if slot in REQUEST_CHOICE_SLOTS or not text or text.startswith("/") or looks_like_answer(slot, text, tracker.slots):
        return None
    if not is_other_goal(intent, flow, right):
        return None
    if slot == "confirm_summary" and has_any(text, CHANGE_WORDS):
        return None  # "no, the name is wrong" (heard as a rectification request) changes this one
    if QUESTIONS[slot].free_text:
        # A description easily reads like a request of its own ("you never answered my access request" in a
        # complaint): there only a short message that says it wants something more counts as a new request.
        if len(text.split()) > MAX_WORDS_OF_NEW_REQUEST or not says_it_wants_more(text):
            return None
    return intent


def form_answer_beats_interruption(tracker: Tracker, intent: str) -> Optional[str]:
    """The active form's name when the message the NLU took as `intent` ("stop", "faq") is really the
    plain answer to the question just asked ("Eva Lind" heard as stop, "Consultant, Amesto Solutions AS"
    heard as a policy question). Rules route those intents before the form sees the message, so the
    interrupting action asks this and hands the turn back to the form instead."""
    form = active_form(tracker)
    slot = tracker.get_slot("requested_slot")
    text = latest_text(tracker).strip()
    if not form or not slot or not text or text.startswith("/"):
        return None
    if intent == "faq":
        return form if not looks_like_question(text) else None
    return form if looks_like_answer(slot, text, tracker.slots) else None


class ValidateRightsRequestForm(FlowFormValidation):
    form = "rights_request_form"


class ValidateApplicationWithdrawalForm(FlowFormValidation):
    form = "application_withdrawal_form"


class ValidateIncidentForm(FlowFormValidation):
    form = "incident_form"


class ValidateMisconductForm(FlowFormValidation):
    form = "misconduct_form"


class ValidateComplaintForm(FlowFormValidation):
    form = "complaint_form"


class ValidateCaseStatusForm(FlowFormValidation):
    form = "case_status_form"


class ValidateVerificationForm(FlowFormValidation):
    form = "verification_form"


# ------------------------------------------------------------------------------------------------ questions


class AskSlot(Action):
    """Base of the `action_ask_<slot>` actions (one per slot, created below): the question in the user's
    language, with buttons where there is a fixed choice."""

    slot = ""

    def name(self) -> Text:
        return f"action_ask_{self.slot}"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> List[Dict[Text, Any]]:
        text, buttons = QUESTIONS[self.slot].asked(tracker, get_lang(tracker))
        dispatcher.utter_message(text=text, buttons=buttons)
        if self.slot == "confirm_summary" and not tracker.get_slot("idempotency_key"):
            # Stored with this turn, before the user confirms: the filing key must survive a crash mid-filing
            # (actions/filing.py, filing_key).
            return [SlotSet("idempotency_key", uuid.uuid4().hex)]
        return []


# One small class per slot so rasa-sdk registers `action_ask_<slot>` for each.
ASK_ACTIONS = {
    slot: type(f"AskSlot_{slot}", (AskSlot,), {"slot": slot}) for slot in ASKED_SLOTS
}
