"""The end and the changes of a flow: stop, start again, correct an answer, another request noted for later,
and the slots cleared when a flow ends (`reset_case_slots`). Starting a flow is actions/start.py; filing and
the code, actions/filing.py.
"""

from __future__ import annotations

import logging
from typing import Any, Dict, List, Optional, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.events import FollowupAction, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.common import get_lang
from actions.flow_config import ANSWER_SLOTS, CASE_SLOTS, CORRECTABLE_FORMS, answer_fields
from actions.forms import form_answer_beats_interruption
from actions.goals import START_INTENT_GOALS
from actions.questions.summary import clear_field_events, find_field
from actions.reading import active_form
from actions.texts import FIELD_LABELS, button, goal_name, name_of, t

logger = logging.getLogger(__name__)


def reset_case_slots(keep: Optional[Dict[str, Any]] = None) -> List[Dict[Text, Any]]:
    keep = keep or {}
    return [SlotSet(slot, keep.get(slot)) for slot in CASE_SLOTS]


def offer_pending_request(tracker: Tracker, dispatcher: CollectingDispatcher, lang: str) -> None:
    """Offer the other request the user typed in the middle of the flow that just ended."""
    intent = tracker.get_slot("pending_request")
    goal = START_INTENT_GOALS.get(intent or "")
    if goal is None:
        return
    dispatcher.utter_message(text=t("other_request_offer", lang, other=goal_name(goal[0], goal[1], lang)),
                             buttons=[button(t("btn_start_other", lang), f"/{intent}")])


class ActionNoteOtherRequest(Action):
    """A different request typed while a form runs: keep the form (nothing typed so far is lost), note the
    request and offer it when this flow ends (`offer_pending_request`). The form then asks its question again."""

    def name(self) -> Text:
        return "action_note_other_request"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> List[Dict[Text, Any]]:
        lang = get_lang(tracker)
        intent = ((tracker.latest_message or {}).get("intent") or {}).get("name")
        goal = START_INTENT_GOALS.get(intent or "")
        if goal is None:
            return []
        flow = tracker.get_slot("flow")
        dispatcher.utter_message(text=t(
            "other_request_later", lang,
            other=goal_name(goal[0], goal[1], lang),
            current=goal_name(flow, tracker.get_slot("right"), lang),
        ))
        logger.info("noted another request (%s) during flow %s", intent, flow)
        return [SlotSet("pending_request", intent)]


class ActionStopFlow(Action):
    """"Stop" / "avbryt": forget the answers of the current flow. Rules deactivate the form afterwards."""

    def name(self) -> Text:
        return "action_stop_flow"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> List[Dict[Text, Any]]:
        answering = form_answer_beats_interruption(tracker, "stop")
        if answering:
            return [FollowupAction(answering)]
        lang = get_lang(tracker)
        form = active_form(tracker)
        if form == "verification_form":
            dispatcher.utter_message(text=t("verification_stopped", lang,
                                            reference=tracker.get_slot("filed_reference") or ""))
        elif form or tracker.get_slot("flow") or tracker.get_slot("filing_status") == "backend_down":
            dispatcher.utter_message(text=t("stopped", lang))
        else:
            dispatcher.utter_message(text=t("nothing_to_stop", lang))
        offer_pending_request(tracker, dispatcher, lang)
        return reset_case_slots() + [SlotSet("requested_slot", None)]


class ActionRestartForm(Action):
    """"Start again": clear this form's answers; the form then asks from the first question."""

    def name(self) -> Text:
        return "action_restart_form"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> List[Dict[Text, Any]]:
        dispatcher.utter_message(text=t("restarted", get_lang(tracker)))
        return [SlotSet(slot, None) for slot in ANSWER_SLOTS] + [SlotSet("requested_slot", None)]


class ActionCorrectValue(Action):
    """"The e-mail was wrong": clear the named field (or ask which one); the form asks it again."""

    def name(self) -> Text:
        return "action_correct_value"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> List[Dict[Text, Any]]:
        lang = get_lang(tracker)
        form = active_form(tracker)
        if form not in CORRECTABLE_FORMS:
            dispatcher.utter_message(response="utter_nothing_to_correct")
            return []
        text = (tracker.latest_message or {}).get("text") or ""
        fields = [f for f in answer_fields(form, tracker.slots) if tracker.get_slot(f) is not None]
        field = find_field(text, fields) if not text.startswith("/") else None
        if field:
            dispatcher.utter_message(text=t("correction_cleared", lang, field=name_of(FIELD_LABELS, field, lang).lower()))
            return [SlotSet(k, v) for k, v in clear_field_events(field).items()] + [SlotSet("field_to_correct", field)]
        return [SlotSet("correction_pending", True), SlotSet("field_to_correct", None),
                SlotSet("confirm_summary", None)]


class ActionStatusDone(Action):
    """After the status form: forget the reference, e-mail, code and receipt (they were only needed once)."""

    def name(self) -> Text:
        return "action_status_done"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> List[Dict[Text, Any]]:
        return reset_case_slots()
