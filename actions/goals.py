"""The table of user goals: what people come to do, one entry each.

A goal is what the user wants ("erase my data", "report an incident"). Rasa needs several names for it (the
intents that start it, the form that collects it, the `flow` and `right` slots) and the backend one more
(the case type). They are written here once; every mapping between them (`RIGHT_INTENTS`,
`START_INTENT_GOALS`, `FLOW_FORMS`, `case_type_for` ...) is derived from `GOALS`. The questions each form
asks are in `actions/questions/`, their order in `actions/flow_config.py`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Dict, List, Mapping, Optional, Tuple


@dataclass(frozen=True)
class Goal:
    name: str  # the goal's own name; for a rights request the right ("erasure")
    flow: str  # the `flow` slot while it runs (all rights requests share "rights")
    form: str  # the form that collects it
    intents: Tuple[str, ...]  # the intents that start it
    case_type: Optional[str]  # the backend case type it files (None: it files nothing)
    intro: str  # message key said when it starts
    right: Optional[str] = None  # the `right` slot, for rights requests
    asks_description: bool = False  # a rights request whose case needs "what exactly?" answered
    # The form asks the requester's name and address. Incident and misconduct reports ask first whether to
    # report anonymously, so an earlier request's identity is not offered there.
    asks_who: bool = True
    # Case type by `withdrawal_target` answer, where the answer decides it.
    case_type_by_target: Optional[Mapping[str, str]] = None


def _right(right: str, intent: str, asks_description: bool) -> Goal:
    return Goal(name=right, flow="rights", form="rights_request_form", intents=(intent,), case_type=right,
                intro="intro_rights", right=right, asks_description=asks_description)


GOALS: Tuple[Goal, ...] = (
    _right("access", "request_access", asks_description=False),
    _right("rectification", "request_rectification", asks_description=True),
    _right("erasure", "request_erasure", asks_description=True),
    _right("restriction", "request_restriction", asks_description=True),
    _right("objection", "request_objection", asks_description=True),
    _right("portability", "request_portability", asks_description=False),
    _right("consent_withdrawal", "withdraw_consent", asks_description=True),
    Goal(name="application_withdrawal", flow="application_withdrawal", form="application_withdrawal_form",
         intents=("withdraw_application",), case_type="application_withdrawal", intro="intro_withdrawal",
         case_type_by_target={"database": "recruitment_consent_withdrawal"}),
    Goal(name="incident", flow="incident", form="incident_form", intents=("report_incident",),
         case_type="incident", intro="intro_incident", asks_who=False),
    Goal(name="misconduct", flow="misconduct", form="misconduct_form", intents=("report_misconduct",),
         case_type="misconduct", intro="intro_misconduct", asks_who=False),
    Goal(name="complaint", flow="complaint", form="complaint_form", intents=("file_complaint",),
         case_type="complaint", intro="intro_complaint"),
    Goal(name="case_status", flow="case_status", form="case_status_form", intents=("check_case_status",),
         case_type=None, intro="intro_status", asks_who=False),
)

# -- derived (never written by hand) ------------------------------------------------------------------

RIGHT_INTENTS: Dict[str, str] = {intent: g.right for g in GOALS if g.right for intent in g.intents}
RIGHTS: List[str] = [g.right for g in GOALS if g.right]
RIGHTS_WITH_DESCRIPTION = frozenset(g.right for g in GOALS if g.right and g.asks_description)
FLOW_FORMS: Dict[str, str] = {g.flow: g.form for g in GOALS}
CASE_FORMS: List[str] = list(dict.fromkeys(g.form for g in GOALS if g.case_type))
# Intents that start a goal, with the (flow, right) they start.
START_INTENT_GOALS: Dict[str, Tuple[str, Optional[str]]] = {
    intent: (g.flow, g.right) for g in GOALS for intent in g.intents
}
FLOWS_THAT_ASK_WHO = frozenset(g.flow for g in GOALS if g.asks_who)
_BY_FLOW_AND_RIGHT = {(g.flow, g.right): g for g in GOALS}


def goal_for(flow: Optional[str], right: Optional[str] = None) -> Optional[Goal]:
    """The goal a conversation is in (a rights flow whose right is not chosen yet has none)."""
    return _BY_FLOW_AND_RIGHT.get((flow or "", right if flow == "rights" else None))


def case_type_for(slots: Mapping[str, Any]) -> Optional[str]:
    """The backend case type the current answers file, or None (no goal, or one that files nothing)."""
    goal = goal_for(slots.get("flow"), slots.get("right"))
    if goal is None or goal.case_type is None:
        return None
    return (goal.case_type_by_target or {}).get(slots.get("withdrawal_target") or "", goal.case_type)
