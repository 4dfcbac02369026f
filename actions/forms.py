"""Form validation actions (one per form) and the actions that ask each question.

Shape (after Rasa's financial-demo): `FlowFormValidation` validates every slot any flow uses, counts
failures per slot in the `failed_attempts` slot and, on the 2nd failure, explains what is expected and,
from the 3rd, offers to stop or talk to a person, instead of asking the same question forever.
Each form's subclass only says which form it is; `flow_config.slots_for_form` decides what it asks.
"""

from __future__ import annotations

import logging
import re
from datetime import datetime, timedelta, timezone
from typing import Any, Dict, List, Optional, Text

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.backend_client import BackendError, BackendUnavailable, get_backend_client
from actions.common import (
    MAX_DESCRIPTION,
    MAX_SHORT_TEXT,
    channel_identity,
    clean_text,
    country_for,
    digits_of,
    email_mistake,
    get_lang,
    has_any,
    looks_like_email_attempt,
    names_time_of_day,
    normalise_email,
    normalise_reference,
    parse_aware_at,
    people_count,
    strip_national_ids,
    suggest_email,
    valid_name,
    yes_no_unknown,
)
from actions.flow_config import (
    CORRECTABLE_FORMS,
    DEPENDANT_FIELDS,
    RIGHT_INTENTS,
    RIGHTS,
    answer_fields,
    is_other_goal,
    needs_email_verification,
    not_intents_for,
    slots_for_form,
)
from actions.texts import (
    CONTACT,
    FIELD_LABELS,
    FIELD_WORDS,
    RIGHT_NAMES,
    STATUS_NAMES,
    CASE_TYPE_NAMES,
    WITHDRAWAL_TARGET_NAMES,
    YES_NO_UNKNOWN,
    button,
    format_date,
    format_datetime,
    name_of,
    parse_iso,
    right_buttons,
    stop_handoff_buttons,
    t,
    yes_no_unknown_buttons,
)
from bot.text import fold

logger = logging.getLogger(__name__)

# What to say on the 2nd failure for a slot ("I need ...").
EXPECTED = {
    "requester_name": "expect_requester_name",
    "requester_email": "expect_requester_email",
    "case_description": "expect_case_description",
    "application_position": "expect_case_description",
    "incident_data_types": "expect_case_description",
    "incident_aware_at": "expect_incident_aware_at",
    "incident_people_count": "expect_incident_people_count",
    "incident_encrypted": "expect_yes_no_unknown",
    "incident_contained": "expect_yes_no_unknown",
    "verification_code": "expect_verification_code",
    "status_code": "expect_verification_code",
    "status_reference": "expect_status_reference",
    "status_receipt": "expect_status_receipt",
}

RIGHT_WORDS = {
    "access": ["tillgång", "registerutdrag", "innsyn", "access", "kopia", "kopi", "copy", "insyn"],
    "rectification": ["rättelse", "rätta", "retting", "rette", "rectif", "korrig", "correct"],
    "erasure": ["radera", "slett", "erase", "delete", "ta bort", "fjern", "glömd", "glemt", "forgotten"],
    "restriction": ["begräns", "begrens", "restrict"],
    "objection": ["invänd", "invand", "protest", "object", "motsätt"],
    "portability": ["portab", "flytta", "overfør", "export", "maskinläs", "maskinles", "machine"],
    "consent_withdrawal": ["samtycke", "samtykke", "consent"],
}
DATABASE_WORDS = ["databas", "database", "öppen ansökan", "åpen søknad", "open application", "talangbank",
                  "kandidatbank", "talent pool"]
APPLICATION_WORDS = ["ansökan", "ansökning", "søknad", "soknad", "application", "tjänst", "stilling", "position",
                     "jobb", "job"]
ANONYMOUS_WORDS = ["anonym", "anonymous", "utan namn", "uten navn", "without my name"]
NAMED_WORDS = ["med namn", "med mitt namn", "med navn", "med navnet", "with my name", "named", "my name"]
AGAIN_WORDS = ["igen", "från början", "på nytt", "om igjen", "fra start", "again", "start over", "other address",
               "annan adress", "annen adresse", "fel adress", "feil adresse", "wrong address"]
CHANGE_WORDS = ["ändra", "andra", "endre", "change", "rätta", "rette", "correct", "fel", "feil", "wrong"]
EMAIL_METHOD_WORDS = ["e-post", "epost", "email", "e-mail", "mail", "mejl", "kod", "kode", "code"]
RECEIPT_METHOD_WORDS = ["kvitto", "kvitter", "receipt", "anonym"]


def _intent(tracker: Tracker) -> Optional[str]:
    return ((tracker.latest_message or {}).get("intent") or {}).get("name")


def answer_intent(tracker: Tracker) -> Optional[str]:
    """The intent of the latest message when it is reliable: a button payload, or a confident prediction."""
    message = tracker.latest_message or {}
    intent = message.get("intent") or {}
    if (message.get("text") or "").startswith("/") or (intent.get("confidence") or 0) >= 0.8:
        return intent.get("name")
    return None


INTENT_ANSWERS = {"affirm": "yes", "deny": "no"}
# Below this the NLU is guessing: "min adress är Storgatan 1" has been heard as a hand-off at 0.48. A guess
# never takes a user's answer away; the answer goes to validation instead.
INTERRUPT_CONFIDENCE = 0.6


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
        """rasa-sdk's loop, except that a slot an action just cleared (value None, e.g. the code slot when
        a case is filed) is not validated: nobody answered yet, so there is nothing to call wrong."""
        required = await self.required_slots(self.domain_slots(domain), dispatcher, tracker, domain)
        slots: Dict[str, Any] = {k: v for k, v in tracker.slots_to_validate().items() if k in required}
        for slot_name, slot_value in list(slots.items()):
            validate = getattr(self, f"validate_{slot_name}", None)
            if validate is None or slot_value is None:
                continue
            if slot_name == tracker.get_slot("requested_slot") and isinstance(slot_value, str):
                misplaced = self._misplaced_answer(slot_name, slot_value, dispatcher, tracker, required)
                if misplaced is not None:
                    slots.update(misplaced)
                    tracker.slots.update(misplaced)
                    continue
            output = validate(slot_value, dispatcher, tracker, domain)
            if hasattr(output, "__await__"):
                output = await output
            if isinstance(output, dict):
                slots.update(output)
                tracker.slots.update(output)
        return [SlotSet(slot, value) for slot, value in slots.items()]

    # -- extraction -----------------------------------------------------------------------------------
    # The form slots use `type: custom` mappings: this method decides what the user's message fills.
    # It takes the text of a fresh user turn for the requested slot, unless the message is an interruption
    # (its intent is one the slot excludes and the text is not a plausible answer). Taking nothing makes
    # Rasa reject the form for this turn, and the interruption rules (stop, faq, hand-off ...) run.

    async def get_extraction_events(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> List[EventType]:
        slot = tracker.get_slot("requested_slot")
        if not slot or not self._fresh_user_turn(tracker):
            return []
        if slot not in await self.required_slots(self.domain_slots(domain), dispatcher, tracker, domain):
            return []
        message = tracker.latest_message or {}
        text = str(message.get("text") or "")
        intent = (message.get("intent") or {}).get("name")
        confidence = (message.get("intent") or {}).get("confidence") or 0.0
        interrupts = intent in not_intents_for(slot) and (confidence >= INTERRUPT_CONFIDENCE or text.startswith("/"))
        if interrupts and typed_stop(tracker) and self._answers_would_be_lost(tracker):
            return [SlotSet(slot, text)]  # validation asks "do you want to stop?"; the Cancel button stops
        if interrupts and not looks_like_answer(slot, text, tracker.slots):
            if intent != "faq" or looks_like_question(text):
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

    def _misplaced_answer(self, slot: str, text: str, dispatcher: CollectingDispatcher, tracker: Tracker,
                          required: List[str]) -> Optional[Dict[str, Any]]:
        """Slot values for an answer that is not an answer to `slot`, or None when it may be one:
        - a stop in words ("nei forresten, glem det") is asked about with a Cancel button; the answers stay;
        - an e-mail address given for another question is kept for the e-mail question (and a name written
          next to it for the name question); the question is asked again."""
        lang = get_lang(tracker)
        said_stop = sounds_like_stop(text) or typed_stop(tracker)
        if said_stop and not looks_like_answer(slot, text, tracker.slots):
            dispatcher.utter_message(text=t("confirm_stop", lang), buttons=stop_handoff_buttons(lang)[:1])
            return {slot: None}
        email = normalise_email(text)
        besides = words_besides_email(text)
        # Only an address (with a name next to it for the name question): "bob@x.com got the file" is a
        # description that mentions an address, not the user's address.
        if (slot in ("requester_email", "status_email", "status_method") or not email or len(besides) > 5
                or not (set(map(fold, besides)) <= EMAIL_FILLER_WORDS or looks_like_answer("requester_name", " ".join(besides)))):
            return None
        if "requester_email" not in required or tracker.get_slot("requester_email"):
            dispatcher.utter_message(text=t("wrong_field_email", lang, field=field_label(slot, lang)))
            return {slot: None}
        values: Dict[str, Any] = {slot: None, "requester_email": email}
        name = valid_name(" ".join(besides))
        if name and looks_like_answer("requester_name", name) and "requester_name" in required:
            values.update(requester_name=name)  # "Anna Lindqvist, anna@example.se": both, for their questions
        if values[slot] is None:
            kept = "name_email_kept_for_later" if values.get("requester_name") else "email_kept_for_later"
            dispatcher.utter_message(text=t(kept, lang, field=field_label(slot, lang)))
        return values

    # -- failure bookkeeping --------------------------------------------------------------------------

    def _fail(
        self, slot: str, message_key: str, dispatcher: CollectingDispatcher, tracker: Tracker,
        buttons: Optional[List[Dict[str, str]]] = None, **values: Any
    ) -> Dict[str, Any]:
        lang = get_lang(tracker)
        intent = answer_intent(tracker)
        if intent in ("switch_language", "bot_challenge"):
            # Not a failed answer: the user asked something else. Answer it; the form asks again.
            dispatcher.utter_message(
                response="utter_language_switched" if intent == "switch_language" else "utter_iamabot"
            )
            return {slot: None}
        counts = dict(tracker.get_slot("failed_attempts") or {})
        failures = counts.get(slot, 0) + 1
        counts[slot] = failures
        dispatcher.utter_message(text=t(message_key, lang, **values), buttons=buttons or [])
        if failures >= 2:
            expected = EXPECTED.get(slot, "expect_choice")
            dispatcher.utter_message(
                text=t("repeat_explain", lang, expected=t(expected, lang, limit=MAX_DESCRIPTION))
            )
        if failures >= 3:
            dispatcher.utter_message(text=t("repeat_offer", lang), buttons=stop_handoff_buttons(lang))
        logger.info("form %s: invalid answer for %s (failure %d)", self.form, slot, failures)
        return {slot: None, "failed_attempts": counts}

    @staticmethod
    def _ok(slot: str, value: Any, tracker: Tracker, **more: Any) -> Dict[str, Any]:
        counts = dict(tracker.get_slot("failed_attempts") or {})
        counts.pop(slot, None)
        return {slot: value, "failed_attempts": counts or None, **more}

    def _scrub(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker) -> str:
        """Clean free text and drop national ID numbers (never echoed, never stored)."""
        text, removed = strip_national_ids(clean_text(value))
        if removed:
            dispatcher.utter_message(text=t("national_id_removed", get_lang(tracker)))
        return text

    # -- rights ---------------------------------------------------------------------------------------

    def validate_right(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker,
                       domain: DomainDict) -> Dict[str, Any]:
        text = str(value or "")
        if text in RIGHTS:
            return self._ok("right", text, tracker)
        intent = _intent(tracker)
        if intent in RIGHT_INTENTS:
            return self._ok("right", RIGHT_INTENTS[intent], tracker)
        for right, words in RIGHT_WORDS.items():
            if has_any(text, words):
                return self._ok("right", right, tracker)
        return self._fail("right", "invalid_right", dispatcher, tracker)

    def validate_case_description(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker,
                                  domain: DomainDict) -> Dict[str, Any]:
        text = self._scrub(value, dispatcher, tracker)
        if len(text) > MAX_DESCRIPTION:
            return self._fail("case_description", "invalid_too_long", dispatcher, tracker, limit=MAX_DESCRIPTION)
        if off_topic(tracker, text):
            return self._fail("case_description", "invalid_off_topic", dispatcher, tracker)
        # "allt" / "everything" is a complete answer to the erasure question.
        minimum_words = 1 if tracker.get_slot("right") in ("erasure", "consent_withdrawal") else 2
        if len(text.split()) < minimum_words or len(text) < 2:
            return self._fail("case_description", "invalid_too_short", dispatcher, tracker)
        return self._ok("case_description", text, tracker)

    # -- application withdrawal ------------------------------------------------------------------------

    def validate_withdrawal_target(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker,
                                   domain: DomainDict) -> Dict[str, Any]:
        text = str(value or "")
        target: Optional[str] = text if text in ("application", "database") else None
        if target is None and has_any(text, DATABASE_WORDS):
            target = "database"
        elif target is None and has_any(text, APPLICATION_WORDS):
            target = "application"
        if target is None:
            return self._fail("withdrawal_target", "invalid_choice", dispatcher, tracker)
        lang = get_lang(tracker)
        dispatcher.utter_message(text=t(f"withdrawal_explain_{target}", lang))
        return self._ok("withdrawal_target", target, tracker)

    def validate_application_position(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker,
                                      domain: DomainDict) -> Dict[str, Any]:
        text = self._scrub(value, dispatcher, tracker)
        if len(text) > MAX_SHORT_TEXT:
            return self._fail("application_position", "invalid_too_long", dispatcher, tracker, limit=MAX_SHORT_TEXT)
        if len(text) < 2:
            return self._fail("application_position", "invalid_too_short", dispatcher, tracker)
        return self._ok("application_position", text, tracker)

    # -- requester ---------------------------------------------------------------------------------------

    def validate_requester_name(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker,
                                domain: DomainDict) -> Dict[str, Any]:
        name = valid_name(self._scrub(value, dispatcher, tracker))
        if name and (yes_no_unknown(name) is not None or fold(name).strip(" .!") in COMMAND_WORDS):
            name = None  # "ja" and "stopp" are no names (seen: "ja" stored as the name)
        if not name:
            return self._fail("requester_name", "invalid_name", dispatcher, tracker)
        return self._ok("requester_name", name, tracker)

    def validate_requester_email(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker,
                                 domain: DomainDict) -> Dict[str, Any]:
        email = normalise_email(str(value or ""))
        if not email or self._likely_typo(email, "requester_email", tracker):
            return self._fail_email("requester_email", str(value or ""), dispatcher, tracker)
        return self._ok("requester_email", email, tracker)

    @staticmethod
    def _likely_typo(email: str, slot: str, tracker: Tracker) -> bool:
        """A valid address at a misspelt big provider ("gmial.com") is asked about once: the code would
        never arrive. Sent again as it was, it is taken."""
        return bool(suggest_email(email)) and not (tracker.get_slot("failed_attempts") or {}).get(slot)

    def _fail_email(self, slot: str, text: str, dispatcher: CollectingDispatcher, tracker: Tracker) -> Dict[str, Any]:
        """Say what is wrong with the address; a mended one is offered as a button that sends it (and a
        valid one as typed, as a second button)."""
        suggestion = suggest_email(text)
        if suggestion:
            typed = normalise_email(text)
            buttons = [button(suggestion, suggestion)] + ([button(typed, typed)] if typed else [])
            return self._fail(slot, "invalid_email_suggest", dispatcher, tracker, buttons=buttons,
                              suggestion=suggestion)
        return self._fail(slot, email_mistake(text), dispatcher, tracker)

    # -- incident ----------------------------------------------------------------------------------------

    def validate_incident_aware_at(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker,
                                   domain: DomainDict) -> Dict[str, Any]:
        lang = get_lang(tracker)
        text = self._scrub(value, dispatcher, tracker)
        # An ISO time with an offset (pre-filled from the Teams incident card) is taken as it is.
        stored = parse_iso(text) if re.fullmatch(r"\d{4}-\d\d-\d\dT[\d:.]+([+-]\d\d:\d\d|Z)", text) else None
        if stored is not None:
            moment, in_future = stored, stored > datetime.now(timezone.utc) + timedelta(minutes=5)
        else:
            moment, in_future = parse_aware_at(text, lang)
        if moment is None:
            return self._fail("incident_aware_at", "invalid_date", dispatcher, tracker)
        if in_future:
            return self._fail("incident_aware_at", "invalid_future_date", dispatcher, tracker)
        day_only = stored is None and not names_time_of_day(text)
        dispatcher.utter_message(text=t(
            "aware_at_understood_day" if day_only else "aware_at_understood", lang,
            when=format_datetime(moment, lang, country_for(lang)),
        ))
        return self._ok("incident_aware_at", moment.isoformat(), tracker)

    def validate_incident_data_types(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker,
                                     domain: DomainDict) -> Dict[str, Any]:
        text = self._scrub(value, dispatcher, tracker)
        if len(text) > MAX_SHORT_TEXT:
            return self._fail("incident_data_types", "invalid_too_long", dispatcher, tracker, limit=MAX_SHORT_TEXT)
        if off_topic(tracker, text):
            return self._fail("incident_data_types", "invalid_off_topic", dispatcher, tracker)
        if len(text) < 2:
            return self._fail("incident_data_types", "invalid_too_short", dispatcher, tracker)
        return self._ok("incident_data_types", text, tracker)

    def validate_incident_people_count(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker,
                                       domain: DomainDict) -> Dict[str, Any]:
        count = people_count(self._scrub(value, dispatcher, tracker))
        if count is None:
            return self._fail("incident_people_count", "invalid_people_count", dispatcher, tracker)
        return self._ok("incident_people_count", count, tracker)

    def _yes_no_unknown(self, slot: str, value: Any, dispatcher: CollectingDispatcher,
                        tracker: Tracker) -> Dict[str, Any]:
        text = str(value or "")
        if text in ("yes", "no", "unknown"):
            answer: Optional[str] = text
        elif text.startswith("/"):
            answer = INTENT_ANSWERS.get(answer_intent(tracker) or "")
        else:
            answer = yes_no_unknown(text) or INTENT_ANSWERS.get(answer_intent(tracker) or "")
        if answer is None and len(text.split()) >= MIN_WORDS_OF_A_CAVEAT and not looks_like_question(text):
            # "I asked him to delete it but he hasn't confirmed yet": not a yes or a no, but a fact the
            # privacy team needs. The answer is "don't know", and the user's words go into the description.
            note = f"{FIELD_LABELS[slot][get_lang(tracker)]}: {self._scrub(text, dispatcher, tracker)}"
            description = tracker.get_slot("case_description") or ""
            return self._ok(slot, "unknown", tracker,
                            case_description=f"{description}\n{note}".strip()[:MAX_DESCRIPTION])
        if answer is None:
            return self._fail(slot, "invalid_yes_no_unknown", dispatcher, tracker)
        return self._ok(slot, answer, tracker)

    def validate_incident_encrypted(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker,
                                    domain: DomainDict) -> Dict[str, Any]:
        return self._yes_no_unknown("incident_encrypted", value, dispatcher, tracker)

    def validate_incident_contained(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker,
                                    domain: DomainDict) -> Dict[str, Any]:
        return self._yes_no_unknown("incident_contained", value, dispatcher, tracker)

    def validate_reporter_anonymous(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker,
                                    domain: DomainDict) -> Dict[str, Any]:
        text = str(value or "")
        answer: Optional[str] = text if text in ("yes", "no") else None
        if answer is None and text.startswith("/"):
            answer = INTENT_ANSWERS.get(answer_intent(tracker) or "")
        elif answer is None:
            if has_any(text, NAMED_WORDS):
                answer = "no"
            elif has_any(text, ANONYMOUS_WORDS):
                answer = "yes"
            else:
                parsed = yes_no_unknown(text) or INTENT_ANSWERS.get(answer_intent(tracker) or "")
                answer = parsed if parsed in ("yes", "no") else None
        if answer is None:
            return self._fail("reporter_anonymous", "invalid_choice", dispatcher, tracker)
        if answer == "yes":
            return self._ok("reporter_anonymous", "yes", tracker, requester_name=None, requester_email=None,
                            identity_from_channel=None)
        name, email = channel_identity(tracker)
        if name and email:
            # Teams staff: the channel already identified them, so nothing more to ask.
            return self._ok("reporter_anonymous", "no", tracker, requester_name=name, requester_email=email,
                            identity_from_channel=True)
        return self._ok("reporter_anonymous", "no", tracker)

    # -- summary and corrections -------------------------------------------------------------------------

    def validate_confirm_summary(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker,
                                 domain: DomainDict) -> Dict[str, Any]:
        text = str(value or "")
        intent = answer_intent(tracker)
        if text == "yes" or (text.startswith("/") and intent == "affirm"):
            return self._ok("confirm_summary", "yes", tracker)
        wants_change = (
            text in ("no", "correct")
            or (text.startswith("/") and intent in ("deny", "correct_value"))
            or has_any(text, CHANGE_WORDS)
        )
        if not wants_change and not text.startswith("/"):
            parsed = yes_no_unknown(text) or INTENT_ANSWERS.get(intent or "")
            if parsed == "yes":
                return self._ok("confirm_summary", "yes", tracker)
            wants_change = parsed == "no"
        if wants_change:
            # "Change the e-mail" names the field already: clear it right away.
            field = None if text.startswith("/") else find_field(text, answer_fields(self.form, tracker.slots))
            if field:
                lang = get_lang(tracker)
                dispatcher.utter_message(
                    text=t("correction_cleared", lang, field=name_of(FIELD_LABELS, field, lang).lower())
                )
                return self._ok("confirm_summary", None, tracker, field_to_correct=field, **clear_field_events(field))
            return self._ok("confirm_summary", None, tracker, correction_pending=True, field_to_correct=None)
        return self._fail("confirm_summary", "invalid_summary_answer", dispatcher, tracker)

    def validate_field_to_correct(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker,
                                  domain: DomainDict) -> Dict[str, Any]:
        fields = answer_fields(self.form, tracker.slots)
        field = find_field(str(value or ""), fields)
        if field is None:
            return self._fail("field_to_correct", "invalid_field", dispatcher, tracker)
        lang = get_lang(tracker)
        dispatcher.utter_message(text=t("correction_cleared", lang, field=name_of(FIELD_LABELS, field, lang).lower()))
        return self._ok("field_to_correct", field, tracker, **clear_field_events(field))

    # -- verification ------------------------------------------------------------------------------------

    async def validate_verification_code(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker,
                                         domain: DomainDict) -> Dict[str, Any]:
        lang = get_lang(tracker)
        if value in ("ok", "blocked"):
            return {"verification_code": value}
        code = digits_of(str(value or ""))
        reference = tracker.get_slot("filed_reference")
        if len(code) != 6:
            return self._fail("verification_code", "invalid_code_format", dispatcher, tracker)
        if not reference:
            return {"verification_code": "blocked"}
        try:
            result = await get_backend_client().verify(reference, code)
        except BackendUnavailable:
            dispatcher.utter_message(text=t("verify_backend_down", lang))
            return {"verification_code": None}
        except BackendError as error:
            if error.code == "already_verified":
                return self._ok("verification_code", "ok", tracker)
            if error.code == "invalid_code":
                attempts_left = error.details.get("attempts_left", "?")
                return self._fail("verification_code", "code_invalid", dispatcher, tracker,
                                  attempts_left=attempts_left)
            if error.code == "code_expired":
                dispatcher.utter_message(text=t("code_expired", lang))
                return {"verification_code": None}
            if error.code == "too_many_attempts":
                dispatcher.utter_message(text=t("code_too_many", lang, contact=CONTACT[lang]))
                return {"verification_code": "blocked"}
            dispatcher.utter_message(text=t("filing_failed", lang, contact=CONTACT[lang]))
            return {"verification_code": "blocked"}
        return self._ok("verification_code", "ok", tracker, due_at=result.get("due_at"),
                        due_clocks=result.get("clocks") or None)

    # -- case status -------------------------------------------------------------------------------------

    def validate_status_reference(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker,
                                  domain: DomainDict) -> Dict[str, Any]:
        reference = normalise_reference(str(value or ""))
        if not reference:
            return self._fail("status_reference", "invalid_reference", dispatcher, tracker)
        return self._ok("status_reference", reference, tracker)

    async def validate_status_method(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker,
                                     domain: DomainDict) -> Dict[str, Any]:
        text = str(value or "")
        if normalise_email(text):
            # They typed their e-mail address straight away: that is the e-mail method and its answer.
            chosen = self._ok("status_method", "email", tracker)
            tracker.slots.update(chosen)
            return {**chosen, **await self.validate_status_email(text, dispatcher, tracker, domain)}
        method = text if text in ("email", "receipt") else None
        if method is None and has_any(text, RECEIPT_METHOD_WORDS):
            method = "receipt"
        elif method is None and has_any(text, EMAIL_METHOD_WORDS):
            method = "email"
        if method is None:
            return self._fail("status_method", "invalid_choice", dispatcher, tracker)
        return self._ok("status_method", method, tracker)

    async def validate_status_email(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker,
                                    domain: DomainDict) -> Dict[str, Any]:
        lang = get_lang(tracker)
        email = normalise_email(str(value or ""))
        if not email or self._likely_typo(email, "status_email", tracker):
            return self._fail_email("status_email", str(value or ""), dispatcher, tracker)
        try:
            await get_backend_client().status_code(tracker.get_slot("status_reference"), email, lang)
        except BackendUnavailable:
            dispatcher.utter_message(text=t("status_backend_down", lang))
            return {"status_email": None}
        except BackendError:
            dispatcher.utter_message(text=t("status_not_found", lang))
            return {"status_email": None, "status_reference": None}
        return self._ok("status_email", email, tracker)

    async def validate_status_code(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker,
                                   domain: DomainDict) -> Dict[str, Any]:
        lang = get_lang(tracker)
        code = digits_of(str(value or ""))
        if len(code) != 6:
            text = str(value or "")
            if normalise_email(text) or looks_like_email_attempt(text):
                # "sorry, it should be anna@example.se": the code went to a mistyped address; send a new one.
                corrected = await self.validate_status_email(text, dispatcher, tracker, domain)
                return {**corrected, "status_code": None}
            if has_any(text, CHANGE_WORDS + AGAIN_WORDS):
                dispatcher.utter_message(text=t("status_email_again", lang))
                return {"status_email": None, "status_code": None}
            return self._fail("status_code", "invalid_code_format", dispatcher, tracker)
        try:
            status = await get_backend_client().status_verify(
                tracker.get_slot("status_reference"), tracker.get_slot("status_email"), code
            )
        except BackendUnavailable:
            dispatcher.utter_message(text=t("status_backend_down", lang))
            return {"status_code": None}
        except BackendError as error:
            if error.code == "invalid_code":
                return self._fail("status_code", "code_invalid", dispatcher, tracker,
                                  attempts_left=error.details.get("attempts_left", "?"))
            if error.code == "too_many_attempts":
                dispatcher.utter_message(text=t("code_too_many", lang, contact=CONTACT[lang]))
                return {"status_code": "done"}
            if error.code == "code_expired":
                dispatcher.utter_message(text=t("code_expired", lang))
                return {"status_code": "done"}
            dispatcher.utter_message(text=t("status_not_found", lang))
            return {"status_code": "done"}
        show_status(dispatcher, status, lang)
        return self._ok("status_code", "done", tracker)

    async def validate_status_receipt(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker,
                                      domain: DomainDict) -> Dict[str, Any]:
        lang = get_lang(tracker)
        receipt = digits_of(str(value or ""))
        if len(receipt) != 16:
            return self._fail("status_receipt", "invalid_receipt_format", dispatcher, tracker)
        try:
            status = await get_backend_client().status_receipt(tracker.get_slot("status_reference"), receipt)
        except BackendUnavailable:
            dispatcher.utter_message(text=t("status_backend_down", lang))
            return {"status_receipt": None}
        except BackendError as error:
            if error.code == "too_many_attempts":
                dispatcher.utter_message(text=t("code_too_many", lang, contact=CONTACT[lang]))
                return {"status_receipt": "done"}
            return self._fail("status_receipt", "status_not_found", dispatcher, tracker)
        show_status(dispatcher, status, lang)
        return self._ok("status_receipt", "done", tracker)


QUESTION_WORDS = ["vad", "vilk", "hur", "när", "var ", "varför", "vem", "hva", "hvilk", "hvordan", "når", "hvor",
                  "hvorfor", "hvem", "what", "which", "how", "when", "where", "why", "who", "kan ", "can ", "får ",
                  "may ", "do ", "does ", "is ", "are ", "är ", "er ", "måste", "må ", "must "]
COMMAND_WORDS = {"stop", "stopp", "avbryt", "cancel", "help", "hjalp", "hjelp", "quit", "exit", "slutt", "sluta",
                 "restart", "reset", "menu", "meny"}
EVERYTHING_TOKENS = {"allt", "alt", "alla", "alle", "all", "everything", "hela", "hele"}


# What the user typed for a case (a choice made with a button is quickly made again): a typed stop with any
# of these filled asks first.
TYPED_ANSWER_SLOTS = ["case_description", "application_position", "requester_name", "requester_email",
                      "incident_aware_at", "incident_data_types", "incident_people_count"]
# A yes/no/don't-know question answered with this many words or more and no yes or no: a caveat to keep.
MIN_WORDS_OF_A_CAVEAT = 4
# A stop said in words, in a short answer: the form asks whether to stop instead of storing it as the answer.
STOP_PHRASES = [
    "glöm det", "strunt i det", "skit i det", "jag ångrar mig", "vill inte ändå", "vill inte längre",
    "vill inte fortsätta", "låt bli", "glem det", "gløym det", "drit i det", "vil ikke likevel",
    "vil ikkje likevel", "jeg angrer", "la det være", "la det vere", "dropper det", "vil ikke fortsette",
    "vil ikkje halde fram", "forget it", "forget about it", "never mind", "nevermind", "changed my mind",
    "don't want to anymore", "dont want to anymore", "don't bother",
]
MAX_WORDS_OF_A_STOP = 8
STOP_WORDS = {"avbryt", "avbryta", "avbryte", "cancel", "stopp", "stop", "sluta", "slutt", "quit", "exit"}


def typed_stop(tracker: Tracker) -> bool:
    """The NLU heard a stop in typed text (the Cancel button's "/stop" payload is the confirmed stop)."""
    message = tracker.latest_message or {}
    intent = message.get("intent") or {}
    return (intent.get("name") == "stop" and (intent.get("confidence") or 0.0) >= INTERRUPT_CONFIDENCE
            and not str(message.get("text") or "").startswith("/"))


def sounds_like_stop(text: str) -> bool:
    # A bare stop word only ending a very short answer ("nej avbryt", "jag vill avbryta"): "sluta skicka
    # nyhetsbrev" and "stop sending me newsletters" say what to withdraw.
    tokens = re.findall(r"\w+", fold(text))
    return ((len(tokens) <= MAX_WORDS_OF_A_STOP and has_any(text, STOP_PHRASES))
            or (0 < len(tokens) <= 3 and tokens[-1] in STOP_WORDS))


# Words people put around an address they give: "min e-post är anna@...", "my email is ...".
EMAIL_FILLER_WORDS = {fold(w) for w in (
    "min", "mi", "my", "e-post", "epost", "e-postadress", "e-postadresse", "email", "e-mail", "mail", "mejl",
    "adress", "adresse", "address", "is", "är", "er", "it's", "its", "det", "den", "here", "här", "her", "it",
)}


def field_label(slot: str, lang: str) -> str:
    """The slot's summary label as a noun in a sentence ("namn", "tjänst och företag")."""
    label = FIELD_LABELS.get(slot, {}).get(lang) or slot
    return label[:1].lower() + label[1:]


def words_besides_email(text: str) -> List[str]:
    """The words of `text` other than an e-mail address and the punctuation around it."""
    return [w for w in re.split(r"[\s,;]+", text) if w and "@" not in w and w.strip(".:-")]


def looks_like_question(text: str) -> bool:
    """A policy question asked in the middle of a form ("how long do you keep my CV?"), as opposed to an
    answer that merely mentions policy words ("Consultant, Amesto Solutions AS")."""
    folded = fold(text).strip()
    return folded.endswith("?") or any(folded.startswith(fold(word)) for word in QUESTION_WORDS)


def looks_like_answer(slot: str, text: str, slots: Optional[Dict[str, Any]] = None) -> bool:
    """Whether `text` is a plausible answer for `slot` even though the NLU gave it an interruption intent
    (a 6-digit code is not a hand-off request, "ja" is an answer to a yes/no question, "alt sammen" is
    the answer to "should we erase everything?")."""
    if text.startswith("/"):
        return False  # a button payload names its intent on purpose
    if slot == "requester_name":
        # "Jane Smith" has been classified as stop: a capitalised two-to-five-word name is a name.
        words = text.split()
        return (2 <= len(words) <= 5 and all(word[:1].isupper() for word in words) and valid_name(text) is not None
                and not {fold(w).strip(".,!") for w in words} & COMMAND_WORDS)
    if slot == "case_description" and (slots or {}).get("right") == "erasure":
        return bool(EVERYTHING_TOKENS & set(re.findall(r"\w+", fold(text))))
    if slot == "status_code":
        # After a mistyped address no code arrives: a corrected address or "change it" is the answer here.
        return (len(digits_of(text)) == 6 or looks_like_email_attempt(text)
                or (len(text.split()) <= 6 and has_any(text, CHANGE_WORDS + AGAIN_WORDS)))
    if slot == "verification_code":
        return len(digits_of(text)) == 6
    if slot == "status_receipt":
        return len(digits_of(text)) == 16
    if slot in ("requester_email", "status_email"):
        return looks_like_email_attempt(text)  # a typo gets a correction, never a stop
    if slot == "status_reference":
        return normalise_reference(text) is not None
    if slot in ("incident_encrypted", "incident_contained"):
        return yes_no_unknown(text) is not None
    if slot == "reporter_anonymous":
        # "nei, jeg står fram med navnet mitt" has been heard as "start again".
        return has_any(text, NAMED_WORDS + ANONYMOUS_WORDS) or yes_no_unknown(text) in ("yes", "no")
    if slot == "status_method":
        # The widget's buttons send "email" / "receipt"; "by e-mail please" has been heard as a correction.
        return (text in ("email", "receipt") or has_any(text, RECEIPT_METHOD_WORDS + EMAIL_METHOD_WORDS)
                or normalise_email(text) is not None)
    if slot == "incident_people_count":
        # "cirka 40" has been heard as a hand-off request; a number (or "vet inte") is the answer.
        return bool(re.search(r"\d", text)) or yes_no_unknown(text) == "unknown"
    if slot == "incident_aware_at":
        lang = (slots or {}).get("language") or "en"
        return len(text) < 60 and any(parse_aware_at(text, code)[0] is not None for code in dict.fromkeys([lang, "en"]))
    return False


# Answers longer than this are descriptions even when they read like a request of their own.
MAX_WORDS_OF_NEW_REQUEST = 15
# Slots whose answer is the request itself, so a request intent there is the answer.
REQUEST_CHOICE_SLOTS = {"right", "withdrawal_target", "field_to_correct"}


def other_request(tracker: Tracker, slot: str) -> Optional[str]:
    """The intent of a new, different request typed while a form asks `slot` ("I also want to report a
    breach" in the middle of an erasure request), or None when the message is (or may be) the answer."""
    intent = answer_intent(tracker)
    text = str((tracker.latest_message or {}).get("text") or "").strip()
    if slot in REQUEST_CHOICE_SLOTS or not text or text.startswith("/") or looks_like_answer(slot, text, tracker.slots):
        return None
    if not is_other_goal(intent, tracker.get_slot("flow"), tracker.get_slot("right")):
        return None
    if slot in FREE_TEXT_SLOTS:
        # A description easily reads like a request of its own ("you never answered my access request" in a
        # complaint): there only a short message that says it wants something more counts as a new request.
        if len(text.split()) > MAX_WORDS_OF_NEW_REQUEST or not _has_phrase(text, NEW_REQUEST_MARKERS):
            return None
    return intent


FREE_TEXT_SLOTS = {"case_description", "application_position", "incident_data_types"}
NEW_REQUEST_MARKERS = [
    "jag vill", "vill jag", "jag skulle vilja", "jag behöver", "kan jag", "också", "även", "dessutom",
    "förresten", "ett annat ärende", "en annan sak", "jeg vil", "vil jeg", "jeg ønsker", "jeg trenger", "kan jeg",
    "også", "i tillegg", "forresten", "en annen sak", "i want", "i'd like", "i would like", "i need", "can i",
    "could i", "also", "too", "as well", "another", "by the way", "btw",
]


def _has_phrase(text: str, phrases: List[str]) -> bool:
    """Whole-word phrase match, accents folded ("ocksa" matches "också")."""
    folded = " " + " ".join(re.findall(r"[\w']+", fold(text))) + " "
    return any(f" {fold(phrase)} " in folded for phrase in phrases)


def off_topic(tracker: Tracker, text: str) -> bool:
    """A free-text answer that is plainly about something else ("what's the weather tomorrow?" typed where
    we asked what to erase): the NLU is confident it is out of scope and it names nothing of ours."""
    intent = (tracker.latest_message or {}).get("intent") or {}
    if intent.get("name") != "out_of_scope" or (intent.get("confidence") or 0) < OFF_TOPIC_CONFIDENCE:
        return False
    words = re.findall(r"\w+", fold(text).replace("-", ""))
    # Long stems also match inside compounds ("löneuppgifter", "helseopplysninger"); short ones only start a word.
    return not any((stem in word) if len(stem) >= 4 else word.startswith(stem)
                   for word in words for stem in DOMAIN_STEMS)


# 0.7: "vad blir det för väder i morgon?" has been heard as out_of_scope at 0.77; the second condition (no word
# of ours) keeps real answers in.
OFF_TOPIC_CONFIDENCE = 0.7
# Word stems that make a free-text answer about personal data or our processing, whatever the NLU thinks
# (accents folded, hyphens dropped; see `off_topic` for how they match).
DOMAIN_WORDS = [
    "uppgift", "opplysning", "data", "information", "info", "cv", "ansök", "søknad",
    "applic", "e-post", "epost", "mail", "mejl", "adress", "address", "telefon", "phone", "mobil", "namn",
    "navn", "name", "bild", "foto", "photo", "bilde", "konto", "account", "profil", "marknadsf", "markedsf",
    "marketing", "nyhetsbrev", "newsletter", "lön", "lønn", "salary", "betyg", "karakter", "grade",
    "referens", "referanse", "reference", "intervju", "interview", "kamera", "camera", "logg", "kund",
    "customer", "anställ", "ansatt", "employ", "personnummer", "fødselsnummer", "identit",
    "register", "samtycke", "samtykke", "consent", "rekryt", "rekrutt", "recruit", "amesto", "laptop", "dator",
    "datamaskin", "computer", "usb", "lösenord", "passord", "password", "server", "filen", "file", "dokument",
    "document", "kontrakt", "contract", "faktura", "invoice", "allt", "alt", "everything", "all",
]
DOMAIN_STEMS = [fold(word).replace("-", "") for word in DOMAIN_WORDS]


def find_field(text: str, fields: List[str]) -> Optional[str]:
    """The field the user names (button payload = slot name, or a word like "e-post", "navn", "name")."""
    if text in fields:
        return text
    for field in fields:
        if has_any(text, FIELD_WORDS.get(field, [])):
            return field
    for field in fields:
        for lang in ("sv", "nb", "en"):
            if fold(FIELD_LABELS.get(field, {}).get(lang, "\0")) in fold(text):
                return field
    return None


def clear_field_events(field: str) -> Dict[str, Any]:
    """Slot values that clear `field` (and what depends on it) and leave correction mode."""
    cleared: Dict[str, Any] = {field: None, "confirm_summary": None, "correction_pending": None}
    for dependant in DEPENDANT_FIELDS.get(field, []):
        cleared[dependant] = None
    return cleared


def show_status(dispatcher: CollectingDispatcher, status: Dict[str, Any], lang: str) -> None:
    country = country_for(lang)
    lines = [t("status_result", lang, reference=status.get("reference", ""),
               case_type=name_of(CASE_TYPE_NAMES, status.get("type"), lang),
               status=name_of(STATUS_NAMES, status.get("status"), lang))]
    if status.get("due_at"):
        lines.append(t("due_generic", lang, date=format_date(status["due_at"], lang, country)))
    messages = status.get("messages") or []
    if messages:
        lines.append(t("status_messages_header", lang))
        for message in messages[-5:]:
            body = message.get("body") if isinstance(message, dict) else str(message)
            if body:
                lines.append(f"– {body}")
    dispatcher.utter_message(text="\n".join(lines))


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


def _summary_value(field: str, value: Any, lang: str) -> str:
    if field == "right":
        return name_of(RIGHT_NAMES, value, lang)
    if field == "withdrawal_target":
        return name_of(WITHDRAWAL_TARGET_NAMES, value, lang)
    if field in ("incident_encrypted", "incident_contained", "reporter_anonymous"):
        return name_of(YES_NO_UNKNOWN, value, lang)
    if field == "incident_people_count" and value == "unknown":
        return YES_NO_UNKNOWN["unknown"][lang]
    if field == "incident_aware_at":
        return format_datetime(value, lang, country_for(lang))
    text = str(value or "")
    return text if len(text) <= 300 else text[:297] + "…"


def active_form(tracker: Tracker) -> Optional[str]:
    return (tracker.active_loop or {}).get("name")


def form_answer_beats_interruption(tracker: Tracker, intent: str) -> Optional[str]:
    """The active form's name when the message the NLU took as `intent` ("stop", "faq") is really the
    plain answer to the question just asked ("Eva Lind" heard as stop, "Consultant, Amesto Solutions AS"
    heard as a policy question). Rules route those intents before the form sees the message, so the
    interrupting action asks this and hands the turn back to the form instead."""
    form = active_form(tracker)
    slot = tracker.get_slot("requested_slot")
    text = ((tracker.latest_message or {}).get("text") or "").strip()
    if not form or not slot or not text or text.startswith("/"):
        return None
    if intent == "faq":
        return form if not looks_like_question(text) else None
    return form if looks_like_answer(slot, text, tracker.slots) else None


def ask_question(slot: str, tracker: Tracker, dispatcher: CollectingDispatcher) -> None:
    """Send the question for `slot` in the user's language, with buttons where there is a fixed choice."""
    lang = get_lang(tracker)
    form = active_form(tracker) or ""
    if slot == "right":
        dispatcher.utter_message(text=t("ask_right", lang), buttons=right_buttons(lang))
    elif slot == "case_description":
        flow = tracker.get_slot("flow")
        key = f"ask_description_{tracker.get_slot('right')}" if flow == "rights" else f"ask_description_{flow}"
        dispatcher.utter_message(text=t(key, lang))
    elif slot == "withdrawal_target":
        dispatcher.utter_message(
            text=t("ask_withdrawal_target", lang),
            buttons=[button(t("btn_target_application", lang), "application"),
                     button(t("btn_target_database", lang), "database")],
        )
    elif slot in ("incident_encrypted", "incident_contained"):
        dispatcher.utter_message(text=t(f"ask_{slot}", lang), buttons=yes_no_unknown_buttons(lang))
    elif slot == "reporter_anonymous":
        name, email = channel_identity(tracker)
        text = t("ask_reporter_anonymous_staff", lang, name=name) if name and email else t("ask_reporter_anonymous", lang)
        dispatcher.utter_message(
            text=text, buttons=[button(t("btn_anonymous", lang), "/affirm"), button(t("btn_named", lang), "/deny")]
        )
    elif slot == "confirm_summary":
        fields = answer_fields(form, tracker.slots)
        lines = [t("summary_header", lang)]
        for field in fields:
            lines.append(f"• {name_of(FIELD_LABELS, field, lang)}: {_summary_value(field, tracker.get_slot(field), lang)}")
        footer = "summary_footer_verify" if needs_email_verification(tracker.slots) else "summary_footer_open"
        lines.append(t(footer, lang))
        dispatcher.utter_message(
            text="\n".join(lines),
            buttons=[button(t("btn_yes_send", lang), "/affirm"), button(t("btn_change", lang), "/correct_value"),
                     button(t("btn_cancel", lang), "/stop")],
        )
    elif slot == "field_to_correct":
        fields = answer_fields(form, tracker.slots)
        dispatcher.utter_message(
            text=t("ask_field_to_correct", lang),
            buttons=[button(name_of(FIELD_LABELS, f, lang), f) for f in fields],
        )
    elif slot == "verification_code":
        dispatcher.utter_message(text=t("ask_verification_code", lang, email=tracker.get_slot("requester_email") or ""))
    elif slot == "status_method":
        dispatcher.utter_message(
            text=t("ask_status_method", lang),
            buttons=[button(t("btn_status_email", lang), "email"), button(t("btn_status_receipt", lang), "receipt")],
        )
    else:
        dispatcher.utter_message(text=t(f"ask_{slot}", lang))


ASKED_SLOTS = [
    "right", "case_description", "withdrawal_target", "application_position", "requester_name", "requester_email",
    "incident_aware_at", "incident_data_types", "incident_people_count", "incident_encrypted", "incident_contained",
    "reporter_anonymous", "confirm_summary", "field_to_correct", "verification_code", "status_reference",
    "status_method", "status_email", "status_code", "status_receipt",
]


class AskSlot(Action):
    """Base of the `action_ask_<slot>` actions (one per slot, created below)."""

    slot = ""

    def name(self) -> Text:
        return f"action_ask_{self.slot}"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> List[Dict[Text, Any]]:
        ask_question(self.slot, tracker, dispatcher)
        return []


# One small class per slot so rasa-sdk registers `action_ask_<slot>` for each.
ASK_ACTIONS = {
    slot: type(f"AskSlot_{slot}", (AskSlot,), {"slot": slot}) for slot in ASKED_SLOTS
}
