"""Which questions each form asks, in which order, given the answers so far.

The validation actions, the ask actions, the filing action and the training-data generator
(scripts/gen_training_data.py) all need the same answer to "which slots does this form ask, in which
order?"; keeping it here means they cannot drift apart. What the goals are is in `actions/goals.py`; what
each question is (text, validation, summary) in `actions/questions/`.
"""

from __future__ import annotations

from typing import Any, Dict, List, Optional

from actions.goals import CASE_FORMS, RIGHTS_WITH_DESCRIPTION, START_INTENT_GOALS

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

# Goals close enough that one can be the answer inside the other: deleting "my application" while asked
# what to erase is the erasure request's answer, not a new request.
RELATED_GOALS = [{("rights", "erasure"), ("application_withdrawal", None)}]


def is_other_goal(intent: Optional[str], flow: Optional[str], right: Optional[str]) -> bool:
    """Whether `intent` starts a goal other than the one in progress (flow, right). Typed in the middle of a
    form ("I also want to report a breach"), such a request is not an answer: the bot keeps the form, notes
    the request and offers it once the current one is filed or stopped."""
    goal = START_INTENT_GOALS.get(intent or "")
    if goal is None or flow is None:
        return False
    current = (flow, right if flow == "rights" else None)
    if goal == current or (goal[0] == "rights" and flow == "rights" and right is None):
        return False
    return not any(goal in group and current in group for group in RELATED_GOALS)


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


def needs_email_verification(slots: Dict[str, Any]) -> bool:
    """Named cases from the web are confirmed with an e-mail code; anonymous and Teams-identified are not."""
    return not (slots.get("reporter_anonymous") == "yes" or slots.get("identity_from_channel"))
