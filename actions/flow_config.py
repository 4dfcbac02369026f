"""What each conversation flow is: its form, the slots it asks for, and how its answers become a case.

Why a separate module: the validation actions, the ask actions, the filing action and the training-data
generator (scripts/gen_training_data.py) all need the same answer to "which slots does this form ask, in
which order?"; keeping it here means they cannot drift apart.
"""

from __future__ import annotations

from typing import Any, Dict, List, Optional, Tuple

RIGHT_INTENTS: Dict[str, str] = {
    "request_access": "access",
    "request_rectification": "rectification",
    "request_erasure": "erasure",
    "request_restriction": "restriction",
    "request_objection": "objection",
    "request_portability": "portability",
    "withdraw_consent": "consent_withdrawal",
}
RIGHTS = list(RIGHT_INTENTS.values())

# Rights whose case needs a follow-up answer (what to correct, what to object to, which consent ...).
RIGHTS_WITH_DESCRIPTION = {"rectification", "objection", "consent_withdrawal", "restriction", "erasure"}

FLOW_FORMS: Dict[str, str] = {
    "rights": "rights_request_form",
    "application_withdrawal": "application_withdrawal_form",
    "incident": "incident_form",
    "misconduct": "misconduct_form",
    "complaint": "complaint_form",
    "case_status": "case_status_form",
}
FORM_FLOWS = {form: flow for flow, form in FLOW_FORMS.items()}
CASE_FORMS = [
    "rights_request_form",
    "application_withdrawal_form",
    "incident_form",
    "misconduct_form",
    "complaint_form",
]
ALL_FORMS = CASE_FORMS + ["case_status_form", "verification_form"]

# The superset of slots each form may ask, in order (domain.yml lists these; validators narrow them).
FORM_SLOTS: Dict[str, List[str]] = {
    "rights_request_form": ["right", "case_description", "requester_name", "requester_email", "confirm_summary"],
    "application_withdrawal_form": [
        "withdrawal_target", "application_position", "requester_name", "requester_email", "confirm_summary",
    ],
    "incident_form": [
        "case_description", "incident_aware_at", "incident_data_types", "incident_people_count",
        "incident_encrypted", "incident_contained", "reporter_anonymous", "requester_name", "requester_email",
        "confirm_summary",
    ],
    "misconduct_form": ["case_description", "reporter_anonymous", "requester_name", "requester_email",
                        "confirm_summary"],
    "complaint_form": ["case_description", "requester_name", "requester_email", "confirm_summary"],
    "case_status_form": ["status_reference", "status_method", "status_email", "status_code", "status_receipt"],
    "verification_form": ["verification_code"],
}
# Every form that can correct fields asks `field_to_correct` first while a correction is pending.
CORRECTABLE_FORMS = CASE_FORMS

# Slots the user fills with free text: interruption intents (stop, faq, ...) must not be swallowed as an
# answer, so the slot mappings exclude them and the interruption rules run instead. Where a validator can
# tell a real answer from anything else (names, e-mail addresses, codes, choices), only the hard
# interruptions are excluded: a name like "Anna Svensson" is easily mistaken for a language switch, and
# the language slot switches anyway (actions/language.py), so the question is simply asked again.
# Long descriptions exclude even less, because "I object to your marketing" easily looks like an intent.
INTERRUPT_INTENTS = ["stop", "restart_form", "human_handoff", "faq", "help", "correct_value", "resend_code",
                     "forget_conversation", "card_submitted"]
SOFT_INTERRUPT_INTENTS = ["switch_language", "bot_challenge"]
LOOSE_TEXT_SLOTS = {"application_position", "incident_data_types", "incident_people_count"}
DESCRIPTION_INTERRUPT_INTENTS = ["stop", "restart_form", "human_handoff", "forget_conversation", "card_submitted",
                                 "faq"]

# Intents that start a goal of their own, with the (flow, right) they start. Typed in the middle of another
# form ("I also want to report a breach"), they are not an answer: the bot keeps the current form, notes
# the other request and offers it once the current one is filed or stopped.
START_INTENT_GOALS: Dict[str, Tuple[str, Optional[str]]] = {
    **{intent: ("rights", right) for intent, right in RIGHT_INTENTS.items()},
    "withdraw_application": ("application_withdrawal", None),
    "report_incident": ("incident", None),
    "report_misconduct": ("misconduct", None),
    "file_complaint": ("complaint", None),
    "check_case_status": ("case_status", None),
}
# Goals close enough that one can be the answer inside the other: deleting "my application" while asked
# what to erase is the erasure request's answer, not a new request.
RELATED_GOALS = [{("rights", "erasure"), ("application_withdrawal", None)}]


def is_other_goal(intent: Optional[str], flow: Optional[str], right: Optional[str]) -> bool:
    """Whether `intent` starts a goal other than the one in progress (flow, right)."""
    goal = START_INTENT_GOALS.get(intent or "")
    if goal is None or flow is None:
        return False
    current = (flow, right if flow == "rights" else None)
    if goal == current or (goal[0] == "rights" and flow == "rights" and right is None):
        return False
    return not any(goal in group and current in group for group in RELATED_GOALS)


def not_intents_for(slot: str) -> List[str]:
    """The intents whose messages never fill `slot` while a form asks for it."""
    if slot == "case_description":
        return list(DESCRIPTION_INTERRUPT_INTENTS)
    intents = list(INTERRUPT_INTENTS)
    if slot in ("confirm_summary", "field_to_correct"):
        # "The e-mail was wrong" is the answer here, not an interruption.
        intents.remove("correct_value")
    if slot in LOOSE_TEXT_SLOTS:
        intents += SOFT_INTERRUPT_INTENTS
    return intents


# Slots that are cleared when a flow starts, ends or is stopped (everything the user told us for a case).
CASE_SLOTS = [
    "flow", "right", "case_description", "withdrawal_target", "application_position", "requester_name",
    "requester_email", "identity_from_channel", "incident_aware_at", "incident_data_types",
    "incident_people_count", "incident_encrypted", "incident_contained", "reporter_anonymous",
    "confirm_summary", "field_to_correct", "correction_pending", "failed_attempts", "idempotency_key",
    "filing_status", "filed_reference", "due_at", "verification_code", "status_reference", "status_method",
    "status_email", "status_code", "status_receipt", "pending_request", "due_clocks",
]
# Slots that hold answers of the current form (cleared by "start again").
ANSWER_SLOTS = [s for s in CASE_SLOTS if s not in ("flow", "right", "withdrawal_target", "filing_status",
                                                   "filed_reference", "idempotency_key", "pending_request")]

# Fields that depend on another one: changing the key clears the dependants too.
DEPENDANT_FIELDS = {
    "right": ["case_description"],
    "withdrawal_target": ["application_position"],
    "reporter_anonymous": ["requester_name", "requester_email", "identity_from_channel"],
}


def slots_for_form(form: str, slots: Dict[str, Any]) -> List[str]:
    """The slots `form` still needs given the current slot values, in the order they are asked."""
    get = slots.get
    if form == "rights_request_form":
        needed = ["right"]
        if get("right") in RIGHTS_WITH_DESCRIPTION:
            needed.append("case_description")
        return needed + ["requester_name", "requester_email", "confirm_summary"]
    if form == "application_withdrawal_form":
        needed = ["withdrawal_target"]
        if get("withdrawal_target") == "application":
            needed.append("application_position")
        return needed + ["requester_name", "requester_email", "confirm_summary"]
    if form in ("incident_form", "misconduct_form"):
        needed = ["case_description"]
        if form == "incident_form":
            needed += ["incident_aware_at", "incident_data_types", "incident_people_count", "incident_encrypted",
                       "incident_contained"]
        needed.append("reporter_anonymous")
        if get("reporter_anonymous") == "no":
            needed += ["requester_name", "requester_email"]
        return needed + ["confirm_summary"]
    if form == "complaint_form":
        return ["case_description", "requester_name", "requester_email", "confirm_summary"]
    if form == "case_status_form":
        needed = ["status_reference", "status_method"]
        if get("status_method") == "email":
            needed += ["status_email", "status_code"]
        elif get("status_method") == "receipt":
            needed.append("status_receipt")
        return needed
    if form == "verification_form":
        return ["verification_code"]
    return []


def answer_fields(form: str, slots: Dict[str, Any]) -> List[str]:
    """The fields shown in the summary (and offered for correction)."""
    return [
        s for s in slots_for_form(form, slots)
        if s not in ("confirm_summary", "field_to_correct")
        and not (s in ("requester_name", "requester_email") and slots.get("identity_from_channel"))
    ]


def case_type_for(slots: Dict[str, Any]) -> Optional[str]:
    flow = slots.get("flow")
    if flow == "rights":
        return slots.get("right")
    if flow == "application_withdrawal":
        return ("recruitment_consent_withdrawal" if slots.get("withdrawal_target") == "database"
                else "application_withdrawal")
    if flow in ("incident", "misconduct", "complaint"):
        return flow
    return None


def needs_email_verification(slots: Dict[str, Any]) -> bool:
    """Named cases from the web are confirmed with an e-mail code; anonymous and Teams-identified are not."""
    return not (slots.get("reporter_anonymous") == "yes" or slots.get("identity_from_channel"))
