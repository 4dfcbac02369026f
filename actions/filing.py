"""Filing the case a form collected, and the e-mail code that confirms it.

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
import uuid
from typing import Any, Dict, List, Mapping, Optional, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.backend_client import BackendError, BackendUnavailable, get_backend_client
from actions.common import channel_name, country_for, get_lang
from actions.flow_config import FORM_SLOTS, needs_email_verification
from actions.flows import offer_pending_request, reset_case_slots
from actions.goals import FLOW_FORMS, case_type_for
from actions.questions import QUESTIONS
from actions.questions.requester import remember_identity
from actions.texts import CONTACT, button, format_date, format_datetime, t

logger = logging.getLogger(__name__)


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
