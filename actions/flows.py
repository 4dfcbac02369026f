"""Actions around the forms: starting a flow, filing the case, confirming the code, stopping, correcting.

Filing (`action_file_case`) sends an idempotency key derived from the `idempotency_key` slot and the case
body (`filing_key`). The slot is set when the summary is first shown, a turn before the user confirms, so it
is already stored when the filing call goes out: a retry after an outage, or after any process died while
the call was in flight (and the turn's events were lost), sends the same key, and the backend files the
case exactly once. A corrected answer changes the body and so the key. The collected answers stay in their
slots until the case is filed (the tracker store persists them), and are cleared afterwards.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
import uuid
from datetime import datetime, timezone
from typing import Any, Dict, List, Mapping, Optional, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.events import FollowupAction, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.backend_client import BackendError, BackendUnavailable, get_backend_client
from actions.common import (
    MAX_DESCRIPTION,
    channel_identity,
    channel_name,
    country_for,
    latest_metadata,
    get_lang,
    has_any,
    data_kinds_said,
    people_said,
    says_when,
)
from actions.flow_config import (
    ANSWER_SLOTS,
    CASE_SLOTS,
    CORRECTABLE_FORMS,
    FORM_SLOTS,
    answer_fields,
    needs_email_verification,
)
from actions.goals import FLOW_FORMS, FLOWS_THAT_ASK_WHO, START_INTENT_GOALS, case_type_for, goal_for
from actions.questions import QUESTIONS
from actions.questions.requester import PREVIOUS_IDENTITY
from actions.questions.summary import clear_field_events, find_field
from actions.forms import form_answer_beats_interruption
from actions.reading import active_form
from actions.texts import (
    CONTACT,
    FIELD_LABELS,
    RIGHT_NAMES,
    button,
    format_date,
    format_datetime,
    goal_name,
    name_of,
    t,
    zone_for_country,
)
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


def reset_case_slots(keep: Optional[Dict[str, Any]] = None) -> List[Dict[Text, Any]]:
    keep = keep or {}
    return [SlotSet(slot, keep.get(slot)) for slot in CASE_SLOTS]


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


def _details(form: Optional[str], slots: Dict[str, Any]) -> Dict[str, str]:
    """The answers the backend files as case details, under each question's detail key."""
    details: Dict[str, str] = {}
    for slot in FORM_SLOTS.get(form or "", []):
        key = QUESTIONS[slot].detail_key
        if key and slots.get(slot) is not None and slots.get(slot) != "":
            details[key] = str(slots[slot])
    return details


def build_case_request(tracker: Tracker) -> Dict[str, Any]:
    """The create_case arguments for the answers in the tracker (same answers -> same body)."""
    slots = tracker.slots
    lang = get_lang(tracker)
    anonymous = slots.get("reporter_anonymous") == "yes"
    request: Dict[str, Any] = {
        "case_type": case_type_for(slots),
        "language": lang,
        "channel": channel_name(tracker),
        "country": country_for(lang),
        "anonymous": anonymous,
        "details": _details(FLOW_FORMS.get(slots.get("flow") or ""), slots),
    }
    if not anonymous:
        requester: Dict[str, Any] = {"name": slots.get("requester_name"), "email": slots.get("requester_email")}
        if slots.get("identity_from_channel"):
            requester["verified_by_channel"] = True
            request["channel"] = "teams"
        request["requester"] = requester
        # Links the case to this chat so completing an erasure case erases its transcript too.
        request["conversation_id"] = tracker.sender_id
    if slots.get("flow") == "incident" and slots.get("incident_aware_at"):
        request["aware_at"] = slots["incident_aware_at"]
    return request


def filing_key(nonce: str, request: Mapping[str, Any]) -> str:
    """The Idempotency-Key for filing `request` in the conversation whose summary set `nonce`: the same
    answers give the same key on every try, changed answers a new one. A hash, so the key carries no
    personal data of the body."""
    canonical = json.dumps(request, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(f"{nonce}\0{canonical}".encode("utf-8")).hexdigest()


def _due_lines(response: Dict[str, Any], flow: Optional[str], lang: str) -> List[str]:
    """The dates the requester can hold us to, in their language and the case country's time zone."""
    country = country_for(lang)
    clocks = response.get("clocks") or {}
    if flow == "incident":
        when = clocks.get("authority_notification_due_at") or response.get("due_at")
        return [t("due_incident", lang, date=format_datetime(when, lang, country))] if when else []
    if flow == "misconduct":
        lines = []
        if clocks.get("acknowledge_due_at"):
            lines.append(t("due_misconduct", lang, date=format_date(clocks["acknowledge_due_at"], lang, country)))
        if clocks.get("feedback_due_at"):
            lines.append(t("due_misconduct_feedback", lang,
                           date=format_date(clocks["feedback_due_at"], lang, country)))
        return lines
    when = response.get("due_at") or clocks.get("due_at")
    if when:
        key = "due_rights" if flow == "rights" else "due_generic"
        return [t(key, lang, date=format_date(when, lang, country))]
    return []


class ActionFileCase(Action):
    """Files the case the form collected; on an outage keeps everything and offers to try again."""

    def name(self) -> Text:
        return "action_file_case"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> List[Dict[Text, Any]]:
        lang = get_lang(tracker)
        flow = tracker.get_slot("flow")
        if tracker.get_slot("confirm_summary") != "yes" or not case_type_for(tracker.slots):
            # Nothing confirmed to file (for example "try again" after the case was already filed).
            dispatcher.utter_message(text=t("nothing_to_retry", lang))
            return [SlotSet("filing_status", None)]
        nonce = tracker.get_slot("idempotency_key") or uuid.uuid4().hex
        request = build_case_request(tracker)
        try:
            response = await get_backend_client().create_case(idempotency_key=filing_key(nonce, request), **request)
        except BackendUnavailable:
            logger.warning("filing %s failed: backend unavailable; answers kept for a retry", flow)
            dispatcher.utter_message(
                text=t("backend_down", lang),
                buttons=[button(t("btn_retry", lang), "/retry"),
                         button(t("btn_cancel", lang), "/stop")],
            )
            return [SlotSet("idempotency_key", nonce), SlotSet("filing_status", "backend_down")]
        except BackendError as error:
            logger.warning("filing %s rejected by backend: %s %s", flow, error.status, error.code)
            dispatcher.utter_message(text=t("filing_failed", lang, contact=CONTACT[lang]))
            offer_pending_request(tracker, dispatcher, lang)
            return reset_case_slots(keep={"filing_status": "failed"})

        reference = response.get("reference", "")
        logger.info("filed case %s (%s)", reference, response.get("status"))
        if response.get("status") == "awaiting_verification" and needs_email_verification(tracker.slots):
            dispatcher.utter_message(text=t("code_sent", lang, reference=reference,
                                            email=tracker.get_slot("requester_email") or ""))
            return [SlotSet("idempotency_key", nonce), SlotSet("filed_reference", reference),
                    SlotSet("filing_status", "awaiting_verification"), SlotSet("verification_code", None)]

        lines = [t("filed_open", lang, reference=reference)]
        lines += _due_lines(response, flow, lang)
        if flow == "complaint":
            lines.append(t("complaint_authority", lang))
        if response.get("receipt"):
            lines.append(t("receipt_once", lang, receipt=response["receipt"]))
        else:
            lines.append(t("keep_reference", lang))
        dispatcher.utter_message(text="\n".join(lines))
        offer_pending_request(tracker, dispatcher, lang)
        return reset_case_slots(keep={"filing_status": "filed"})


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


class ActionVerificationDone(Action):
    """After the code form: the reference and the due date, then the answers are cleared."""

    def name(self) -> Text:
        return "action_verification_done"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> List[Dict[Text, Any]]:
        lang = get_lang(tracker)
        reference = tracker.get_slot("filed_reference") or ""
        if tracker.get_slot("verification_code") == "ok":
            lines = [t("verified", lang, reference=reference)]
            flow = tracker.get_slot("flow")
            lines += _due_lines({"due_at": tracker.get_slot("due_at"), "clocks": tracker.get_slot("due_clocks") or {}},
                                flow, lang)
            if flow == "complaint":
                lines.append(t("complaint_authority", lang))
            lines.append(t("keep_reference", lang))
            dispatcher.utter_message(text="\n".join(lines))
        verified = remember_identity(tracker) if tracker.get_slot("verification_code") == "ok" else []
        offer_pending_request(tracker, dispatcher, lang)
        return reset_case_slots(keep={"filing_status": "filed"}) + verified


class ActionResendCode(Action):
    def name(self) -> Text:
        return "action_resend_code"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> List[Dict[Text, Any]]:
        lang = get_lang(tracker)
        reference = tracker.get_slot("filed_reference")
        if not reference or tracker.get_slot("filing_status") != "awaiting_verification":
            dispatcher.utter_message(text=t("nothing_to_resend", lang))
            return []
        try:
            await get_backend_client().resend_code(reference)
        except BackendUnavailable:
            dispatcher.utter_message(text=t("status_backend_down", lang))
            return []
        except BackendError as error:
            if error.code == "resend_limited":
                dispatcher.utter_message(text=t("code_resend_limited", lang))
            elif error.code == "already_verified":
                return [SlotSet("verification_code", "ok")]
            else:
                dispatcher.utter_message(text=t("nothing_to_resend", lang))
            return []
        dispatcher.utter_message(text=t("code_resent", lang))
        return []


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
