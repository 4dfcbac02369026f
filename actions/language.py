"""Keeps the conversation's `language` slot (sv/nb/en) sticky on every user turn.

How it runs in Rasa 3.6 (rasa/core/actions/action.py, ActionExtractSlots.run): after each user message
`action_extract_slots` walks the slot mappings; a `type: custom` mapping with no `action:` is skipped, and
at the end, if the domain lists `action_validate_slot_mappings`, that action is called once with the new
message on the tracker. The rasa_sdk `ValidationAction` below answers to that name and fills each global
slot that has an `extract_<slot>` method (rasa_sdk/forms.py), so one HTTP round trip per turn serves
`language` and `is_staff`.

Order of evidence (bot.language.choose): an explicit switch request (`language_requested` entity, or the
text); a language the user's own earlier request pinned; the widget's explicit setting
(`tracker.latest_message["metadata"]["language"]`); a message of 4+ words of its own confidently in one of our
languages or Danish (`language_detected` entity, or the text); on the first message only, the channel/browser
locale (`metadata.locale`); otherwise the previous language.

Danish writers are answered in Norwegian, and told so once: the action sends DANISH_NOTE with the dispatcher.
That reaches the user: ActionExtractSlots._run_custom_action keeps the BotUttered events of
`action_validate_slot_mappings` (only SlotSet and BotUttered are kept) and MessageProcessor.run_action_extract_slots
sends them (`_send_bot_messages`) before the next action is predicted. "Once" is remembered in the slot
`danish_noted` (needs `danish_noted: {type: bool, influence_conversation: false, mappings: [{type: custom}]}` in
domain.yml, which tests/bot/test_language.py checks; rasa_sdk drops a SlotSet for a slot the domain lacks).
"""

from __future__ import annotations

from typing import Any, Dict, List, Mapping, Optional, Text, Tuple

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.forms import ValidationAction
from rasa_sdk.types import DomainDict

from basics.languages import DETECTED, LANGUAGES
from bot.language import (
    Choice,
    Detection,
    choose,
    is_pinned,
    requested_language,
)

LANGUAGE_SLOT = "language"
STAFF_SLOT = "is_staff"
TRUSTED_STAFF_CHANNEL = "teams"
ENTITY_DETECTED = "language_detected"
ENTITY_REQUESTED = "language_requested"
DANISH_NOTED_SLOT = "danish_noted"
# Said once to a Danish writer, in Norwegian Bokmål (the language of the replies that follow).
DANISH_NOTE = "Jeg svarer på norsk, som de fleste dansker leser uten problemer."


def _entity_value(entities: Any, name: str, allowed: Tuple[str, ...] = LANGUAGES) -> Optional[Dict[str, Any]]:
    for entity in entities or []:
        if isinstance(entity, Mapping) and entity.get("entity") == name and entity.get("value") in allowed:
            return dict(entity)
    return None


def _requested_in(event: Mapping[str, Any]) -> Optional[str]:
    """The explicit switch request in one user event (entity from the NLU component, else the text)."""
    parse_data = event.get("parse_data") or {}
    found = _entity_value(parse_data.get("entities"), ENTITY_REQUESTED)
    if found:
        return str(found["value"])
    return requested_language(event.get("text") or "")


def _user_events(tracker: Tracker) -> List[Dict[str, Any]]:
    return [e for e in tracker.events if isinstance(e, Mapping) and e.get("event") == "user"]


def _is_pinned(earlier_user_events: List[Dict[str, Any]], previous: Optional[str], metadata: Any) -> bool:
    """True when the user's latest explicit request set `previous` and the widget setting has not changed
    since: the widget, which sends its setting with every message, must not undo the request."""
    earlier = [(_requested_in(event), event.get("metadata")) for event in earlier_user_events]
    return is_pinned(earlier, previous, metadata if isinstance(metadata, Mapping) else None)


# Form questions whose answers are names, companies, job titles, addresses or codes: such an answer never
# switches the reply language (PRODUCT.md), however many words it has. An explicit request still does.
ANSWERS_IN_ANY_LANGUAGE = frozenset({
    "requester_name", "requester_email", "application_position", "verification_code",
    "status_reference", "status_email", "status_code", "status_receipt",
})


def choice_for_turn(tracker: Tracker) -> Choice:
    """The conversation's language after the latest user message, and why (bot.language.choose)."""
    latest = tracker.latest_message or {}
    text = latest.get("text") or ""
    metadata = latest.get("metadata") or {}
    entities = latest.get("entities") or []

    users = _user_events(tracker)
    earlier = users[:-1] if users else []
    # With no earlier user message the slot holds only the domain's initial value, not a user's choice.
    previous = tracker.get_slot(LANGUAGE_SLOT) if earlier else None

    requested_entity = _entity_value(entities, ENTITY_REQUESTED)
    detected_entity = _entity_value(entities, ENTITY_DETECTED, DETECTED)  # "da" too: answered in nb
    detection = None
    if detected_entity:
        confidence = detected_entity.get("confidence_entity") or 1.0
        detection = Detection(str(detected_entity["value"]), float(confidence), {})
    return choose(
        previous,
        text,
        metadata if isinstance(metadata, Mapping) else None,
        requested=str(requested_entity["value"]) if requested_entity else None,
        detection=detection,
        pinned=_is_pinned(earlier, previous, metadata),
        text_may_switch=not (tracker.active_loop_name and tracker.get_slot("requested_slot") in ANSWERS_IN_ANY_LANGUAGE),
    )


def language_for_turn(tracker: Tracker) -> Optional[str]:
    """The `language` slot value after the latest user message."""
    return choice_for_turn(tracker).language


def danish_already_noted(tracker: Tracker) -> bool:
    """Whether this conversation has had DANISH_NOTE (the `danish_noted` slot, which domain.yml declares)."""
    return bool(tracker.get_slot(DANISH_NOTED_SLOT))


def language_slots_for_turn(dispatcher: CollectingDispatcher, tracker: Tracker) -> Dict[Text, Any]:
    """Slot values to set after the latest user message (only changes), and DANISH_NOTE when it is due."""
    choice = choice_for_turn(tracker)
    # Only emit an event when the value changes, so the tracker is not filled with repeats.
    slots: Dict[Text, Any] = {} if choice.language == tracker.get_slot(LANGUAGE_SLOT) else {
        LANGUAGE_SLOT: choice.language
    }
    if choice.danish and choice.language == "nb" and not danish_already_noted(tracker):
        dispatcher.utter_message(text=DANISH_NOTE)
        slots[DANISH_NOTED_SLOT] = True
    return slots


def is_staff_for_turn(tracker: Tracker) -> bool:
    """Staff only when the channel itself says so (the Teams channel puts `metadata.is_staff`); the
    website widget's metadata is the client's and must not be trusted for this, so only `True` counts."""
    # Other channels (REST, the widget) pass client-written metadata straight through, so an
    # `is_staff` there is a claim, not a fact: only the Teams channel, which verified the token and
    # tenant, may set it.
    if tracker.get_latest_input_channel() != TRUSTED_STAFF_CHANNEL:
        return False
    metadata = (tracker.latest_message or {}).get("metadata") or {}
    return isinstance(metadata, Mapping) and metadata.get("is_staff") is True


class ValidateSlotMappings(ValidationAction):
    """`action_validate_slot_mappings`: fills global slots with custom mappings on every user turn."""

    def name(self) -> Text:
        return "action_validate_slot_mappings"

    async def extract_language(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Dict[Text, Any]:
        # Also sets `danish_noted` with the note (rasa_sdk keeps that SlotSet only when the domain has the slot).
        return language_slots_for_turn(dispatcher, tracker)

    async def validate_language(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Dict[Text, Any]:
        # Any other setter (a story, a colleague's action) may only put sv/nb/en in the slot.
        return {LANGUAGE_SLOT: value if value in LANGUAGES else None}

    async def validate_danish_noted(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Dict[Text, Any]:
        return {DANISH_NOTED_SLOT: bool(value)}

    async def extract_is_staff(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Dict[Text, Any]:
        staff = is_staff_for_turn(tracker)
        return {} if staff == bool(tracker.get_slot(STAFF_SLOT)) else {STAFF_SLOT: staff}
