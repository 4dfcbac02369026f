"""Starting a flow: which goal a message opens, the answers its opening already gives, and the intro.

"Delete my application" can mean three goals (`decide_flow` asks which); an opening that already describes
the request, or an incident's when and how many, is kept for the form's questions (validated when the form
activates); a submitted Teams incident card fills the whole form; a verified name and address of an earlier
request in this conversation are reused.
"""

from __future__ import annotations

import logging
import re
from datetime import datetime, timezone
from typing import Any, Dict, List, Mapping, Optional, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.common import MAX_DESCRIPTION, channel_identity, country_for, get_lang, has_any, latest_metadata
from actions.flows import reset_case_slots
from actions.goals import START_INTENT_GOALS, goal_for
from actions.incident_facts import data_kinds_said, people_said, says_when
from actions.questions.requester import reused_identity
from actions.texts import RIGHT_NAMES, button, name_of, t, zone_for_country
from actions.words import (
    APPLICATION_WORDS,
    DATABASE_WORDS,
    DELETE_WORDS,
    DESCRIPTION_OBJECTS,
    EARLIER_CASE_WORDS,
    EVERYTHING_WORDS,
    FOLLOW_UP_WORDS,
    REPORT_FRAME_WORDS,
    WITHDRAW_WORDS,
)
from basics.references import find_reference
from bot.text import fold

logger = logging.getLogger(__name__)


# A first message this long that starts an incident, misconduct or complaint flow is its description.
MIN_WORDS_OF_A_REPORT = 8
# ... of which this many say something beyond the frame: "I'm not happy with how you have handled my data and I
# want to complain" (15 words, none of them content) is no description yet.
MIN_CONTENT_WORDS_OF_A_REPORT = 5


def opening_description(flow: Optional[str], right: Optional[str], text: str) -> Optional[str]:
    """The opening message as the answer to the description question, when it already contains one."""
    text = (text or "").strip()
    if not text or text.startswith("/"):
        return None
    if flow == "rights" and right in DESCRIPTION_OBJECTS:
        return text if has_any(text, DESCRIPTION_OBJECTS[right]) else None
    if flow in ("incident", "misconduct", "complaint"):
        words = re.findall(r"[\w']+", fold(text))
        content = [w for w in words if w not in REPORT_FRAME_WORDS]
        return text if len(words) >= MIN_WORDS_OF_A_REPORT and len(content) >= MIN_CONTENT_WORDS_OF_A_REPORT else None
    return None


def opening_incident_facts(flow: Optional[str], report: str) -> Dict[str, str]:
    """When and how many, from an incident report's opening ("yesterday afternoon I e-mailed ... maybe 200
    customers"), for their questions; each is validated (and shown: "Noted: discovered ...") when the form
    starts, and can be changed in the summary."""
    if flow != "incident":
        return {}
    facts: Dict[str, str] = {}
    if says_when(report):
        facts["incident_aware_at"] = report
    people = people_said(report)
    if people:
        facts["incident_people_count"] = people
    kinds = data_kinds_said(report)
    if kinds:
        facts["incident_data_types"] = kinds
    return facts


def incident_card_answers(metadata: Mapping[str, Any], lang: str,
                          now: Optional[datetime] = None) -> Optional[Dict[str, Any]]:
    """The incident form's answers from a submitted Teams incident card (docs/TEAMS.md), or None when the
    card is not a valid incident card (then the chat asks the questions instead)."""
    values = metadata.get("card_values")
    if metadata.get("card_id") != "incident_report" or metadata.get("card_errors") or not isinstance(values, dict):
        return None
    try:
        zone = zone_for_country(country_for(lang))
        aware = datetime.fromisoformat(str(values["discovered_local"])).replace(tzinfo=zone).astimezone(timezone.utc)
        if aware > (now or datetime.now(timezone.utc)):
            return None  # never a future time: ask in the chat instead
        try:
            from bot.channels.cards import DATA_KIND_LABELS as labels  # the card's own wording
        except Exception:  # pragma: no cover
            labels = {}
        kinds = [labels.get(kind, {}).get(lang, kind) for kind in values.get("data_kinds") or []]
        people = values.get("people_count")
        answers = {
            "case_description": str(values["what_happened"])[:MAX_DESCRIPTION],
            "incident_aware_at": aware.isoformat(),
            "incident_data_types": ", ".join(kinds)[:300] or None,
            "incident_people_count": "unknown" if people is None else str(int(people)),
            "incident_encrypted": values.get("encrypted") if values.get("encrypted") in ("yes", "no", "unknown") else None,
            "incident_contained": values.get("contained") if values.get("contained") in ("yes", "no", "unknown") else None,
            "reporter_anonymous": "yes" if values.get("anonymous") else "no",
        }
    except (KeyError, TypeError, ValueError):
        return None
    return {k: v for k, v in answers.items() if v is not None}



# Intents of a message the assistant could not act on: a request button clicked right after one of them
# (from the fallback menu, or the offer under an answer) is the request that message described.
UNSERVED_INTENTS = {"nlu_fallback", "out_of_scope", "customer_service", "faq"}
OPENING_MIN_CONFIDENCE = 0.05


def opening_text(tracker: Tracker) -> str:
    """The text a new flow starts from: the message itself, or, when the flow was started with a button, the
    message the button answered ("a consultant bills hours that were never worked" -> the fallback menu ->
    "Report misconduct"), so what the user already told is not asked again."""
    text = str((tracker.latest_message or {}).get("text") or "")
    if not text.startswith("/"):
        return text
    users = [e for e in tracker.events if e.get("event") == "user"]
    if len(users) < 2:
        return text
    before = users[-2]
    said = str(before.get("text") or "")
    parse = before.get("parse_data") or {}
    if not said or said.startswith("/") or (parse.get("intent") or {}).get("name") not in UNSERVED_INTENTS:
        return text
    # Only when the NLU saw the chosen request in that message at all: "something is going on in our team"
    # (no report intent in its ranking) says nothing yet, and the form asks what happened.
    chosen = ((tracker.latest_message or {}).get("intent") or {}).get("name")
    seen = any(r.get("name") == chosen and float(r.get("confidence") or 0) >= OPENING_MIN_CONFIDENCE
               for r in parse.get("intent_ranking") or [])
    return said if seen else text


def _entity(tracker: Tracker, name: str) -> Optional[str]:
    for entity in (tracker.latest_message or {}).get("entities") or []:
        if entity.get("entity") == name and entity.get("value"):
            return str(entity["value"])
    return None


def decide_flow(intent: Optional[str], text: str, entities: Dict[str, Optional[str]]) -> Dict[str, Any]:
    """Which flow a starting message opens, with any answers it already contains.

    "Delete my application" can mean withdrawing the application, leaving the recruitment database or
    erasing everything: when the message does not say which, the user is asked (flow `choose_delete`).
    """
    target = entities.get("withdrawal_target")
    mentions_database = has_any(text, DATABASE_WORDS)
    mentions_application = has_any(text, APPLICATION_WORDS)
    if intent == "withdraw_application":
        if target in ("application", "database"):
            return {"flow": "application_withdrawal", "withdrawal_target": target}
        if mentions_database:
            return {"flow": "application_withdrawal", "withdrawal_target": "database"}
        if has_any(text, DELETE_WORDS) and not has_any(text, WITHDRAW_WORDS):
            return {"flow": "choose_delete"}
        if mentions_application and has_any(text, WITHDRAW_WORDS):
            return {"flow": "application_withdrawal", "withdrawal_target": "application"}
        return {"flow": "application_withdrawal"}
    if intent == "request_erasure":
        if mentions_database or (mentions_application and not has_any(text, EVERYTHING_WORDS)):
            return {"flow": "choose_delete"}
        return {"flow": "rights", "right": "erasure"}
    if intent == "withdraw_consent" and mentions_database:
        return {"flow": "application_withdrawal", "withdrawal_target": "database"}
    if intent == "withdraw_consent" and mentions_application:
        # "the consent I gave when I applied": the application or the recruitment database; the form asks.
        return {"flow": "application_withdrawal"}
    if intent in ("report_incident", "report_misconduct", "file_complaint") and follows_up_an_earlier_case(text):
        intent = "check_case_status"  # "I reported an incident anonymously, what's happening with it?"
    goal = START_INTENT_GOALS.get("report_incident" if intent == "card_submitted" else intent or "")
    if goal is None:
        return {"flow": None}
    flow, right = goal
    start: Dict[str, Any] = {"flow": flow, **({"right": right} if right else {})}
    if flow == "case_status":
        found = find_reference(entities.get("case_reference") or text)
        if found:
            start["status_reference"] = found
    return start


def follows_up_an_earlier_case(text: str) -> bool:
    """A report, complaint or request made earlier, and a question about how it is going: a status check,
    not a new report, whatever intent the NLU gave it."""
    return has_any(text, EARLIER_CASE_WORDS) and has_any(text, FOLLOW_UP_WORDS)


class ActionStartFlow(Action):
    """Starts the flow the user asked for: clears old answers, explains what will happen, presets slots."""

    def name(self) -> Text:
        return "action_start_flow"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> List[Dict[Text, Any]]:
        lang = get_lang(tracker)
        message = tracker.latest_message or {}
        intent = (message.get("intent") or {}).get("name")
        text = message.get("text") or ""
        start = decide_flow(
            intent,
            text,
            {"withdrawal_target": _entity(tracker, "withdrawal_target"),
             "case_reference": _entity(tracker, "case_reference")},
        )
        flow = start.get("flow")
        opening = opening_text(tracker)
        description = opening_description(flow, start.get("right"), opening) if intent != "card_submitted" else None
        if description:
            start["case_description"] = description  # validated (and scrubbed) when the form activates
            start.update(opening_incident_facts(flow, description))
        reused = reused_identity(tracker, flow)
        start.update(reused)
        if intent == "card_submitted":
            answers = incident_card_answers(latest_metadata(tracker), lang)
            if answers is None:
                dispatcher.utter_message(text=t("card_invalid", lang))
            else:
                start.update(answers)
                name, email = channel_identity(tracker)
                if answers.get("reporter_anonymous") == "no" and name and email:
                    # Teams staff reporting under their name: the channel already told us who they are. (The
                    # form does not re-validate pre-filled slots when it is already running.)
                    start.update(requester_name=name, requester_email=email, identity_from_channel=True)
        logger.info("starting flow %s (intent %s)", flow, intent)
        if flow == "choose_delete":
            dispatcher.utter_message(
                text=t("choose_delete", lang),
                buttons=[
                    button(t("btn_delete_application", lang), '/withdraw_application{"withdrawal_target":"application"}'),
                    button(t("btn_delete_database", lang), '/withdraw_application{"withdrawal_target":"database"}'),
                    button(t("btn_delete_everything", lang), "/request_erasure"),
                ],
            )
        elif flow and not (intent == "card_submitted" and len(start) > 1):
            goal = goal_for(flow, start.get("right"))
            right_name = name_of(RIGHT_NAMES, start.get("right"), lang) if start.get("right") else ""
            # What a withdrawal does is explained once, by the form's validation of the target (a target
            # given at the start is validated when the form activates).
            dispatcher.utter_message(text=t(goal.intro, lang, right_name=right_name))
            if start.get("right") == "erasure":
                dispatcher.utter_message(text=t("intro_rights_erasure_extra", lang))
            if flow == "incident" and (tracker.get_latest_input_channel() or "") == "teams":
                # In Teams the whole report fits in one Adaptive Card; the chat questions stay as the fallback.
                from bot.channels.cards import incident_report_message

                dispatcher.utter_message(text=t("incident_card_offer", lang))
                dispatcher.utter_message(json_message=incident_report_message(lang))
        if reused:
            dispatcher.utter_message(text=t("identity_reused", lang, name=reused["requester_name"],
                                            email=reused["requester_email"]))
        return reset_case_slots(keep=start)
