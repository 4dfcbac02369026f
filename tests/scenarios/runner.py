"""Plays the messy conversations of tests/scenarios/<lang>.yml against the real stack (see README.md there).

The user is adaptive: after each bot turn it reads what the bot is asking (the active form's requested slot,
from Rasa's tracker API) and sends the scenario's next try for that question, a detour first where the
scenario has one, the summary answers at the summary and the e-mailed code when a code is asked. At the end
the filed case is read back through the staff API and compared with the scenario's `expect`.

Used by tests/test_scenarios.py (make test) and bench/bench_scenarios.py (the numbers).
"""

from __future__ import annotations

import re
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Dict, List, Optional

import yaml

from actions.goals import GOALS
from actions.texts import STATUS_NAMES
from tests.e2e_flows_helpers import REFERENCE, Chat, FlowStack

HERE = Path(__file__).resolve().parent
LANGUAGES = ("sv", "nb", "en")
CODE_SLOTS = ("verification_code", "status_code")
SUMMARY_SLOTS = ("confirm_summary", "field_to_correct")
# Turns beyond the minimum after which the conversation is called stuck.
MAX_EXTRA_TURNS = 6
CONCURRENT_CONVERSATIONS = 3
# Outside a form, a button the user clicks when the bot asks which request they meant ("did you mean ...?",
# "the application, the database or everything?"): the one whose payload starts the scenario's goal.
GOAL_PAYLOADS: Dict[str, List[str]] = {
    **{g.name: [f"/{intent}" for intent in g.intents] for g in GOALS},
    "application_withdrawal": ['/withdraw_application{"withdrawal_target":"application"}', "/withdraw_application"],
    "recruitment_database": ['/withdraw_application{"withdrawal_target":"database"}'],
}


def load(lang: str) -> List[Dict[str, Any]]:
    return yaml.safe_load((HERE / f"{lang}.yml").read_text(encoding="utf-8")) or []


@dataclass
class Outcome:
    id: str
    lang: str
    flow: str
    ok: bool
    reason: str = ""
    turns: int = 0
    minimum: int = 0
    transcript: str = ""

    def line(self) -> str:
        return f"{'ok  ' if self.ok else 'FAIL'} {self.id} ({self.turns}/{self.minimum} turns) {self.reason}"


@dataclass
class _Progress:
    tries: Dict[str, int] = field(default_factory=dict)  # slot -> answers sent
    detoured: set = field(default_factory=set)
    summaries: int = 0
    asked: set = field(default_factory=set)
    codes: int = 0
    clicks: int = 0


class ScenarioUser:
    """One scenario's user in the chat window."""

    def __init__(self, stack: FlowStack, scenario: Dict[str, Any], lang: str) -> None:
        self.stack = stack
        self.s = scenario
        self.lang = lang
        self.chat = Chat(stack, lang, label=scenario["id"], sender=f"scn-{uuid.uuid4().hex[:12]}")
        self.values: Dict[str, str] = {}
        self.progress = _Progress()
        self.references: List[str] = []

    # -- the conversation ------------------------------------------------------------------------------

    def _fill(self, text: str) -> str:
        for key, value in self.values.items():
            text = text.replace("{" + key + "}", value)
        return text

    def _send(self, text: str) -> str:
        said = self.chat.say(self._fill(str(text)))
        self.references += REFERENCE.findall(said)
        return said

    def _setup(self) -> None:
        setup = self.s.get("setup") or {}
        if setup.get("anonymous_incident"):
            reference, receipt = self.stack.file_anonymous_incident(self.lang, "scenario set-up: a lost laptop")
            self.values.update(reference=reference, receipt=receipt)
        elif setup:
            reference = self.stack.file_verified_case(
                setup.get("case_type", "access"), self.lang, setup.get("name", "Test Person"),
                setup["email"], "scenario set-up")
            self.values.update(reference=reference)
        self.setup_codes = self.stack.backend.code_count(self.values["reference"]) if self.values else 0

    def _state(self) -> Dict[str, Any]:
        tracker = self.stack.tracker(self.chat.sender)
        slots = tracker.get("slots") or {}
        loop = (tracker.get("active_loop") or {}).get("name")
        return {"form": loop, "asked": slots.get("requested_slot") if loop else None,
                "filing_status": slots.get("filing_status"), "flow": slots.get("flow")}

    def _next_message(self, asked: str) -> Optional[str]:
        p, s = self.progress, self.s
        if asked in CODE_SLOTS:
            reference = self.values.get("reference") if asked == "status_code" else (self.references or [None])[-1]
            if not reference:
                return None
            before = self.setup_codes if asked == "status_code" else 0
            code = self.stack.backend.latest_code(reference, after=before + p.codes)
            p.codes += 1
            return str(s.get("code") or "{code}").replace("{code}", code)
        if asked in SUMMARY_SLOTS:
            summary = s.get("summary") or []
            if p.summaries >= len(summary):
                return None
            p.summaries += 1
            return summary[p.summaries - 1]
        detours = (s.get("detours") or {}).get(asked) or []
        if isinstance(detours, str):
            detours = [detours]
        if asked not in p.detoured and detours:
            p.detoured.add(asked)
            self.pending_detours = list(detours[1:])
            return detours[0]
        if getattr(self, "pending_detours", None):
            return self.pending_detours.pop(0)
        tries = (s.get("answers") or {}).get(asked)
        if tries is None:
            return None
        tries = tries if isinstance(tries, list) else [tries]
        sent = p.tries.get(asked, 0)
        if sent >= len(tries):
            return None
        p.tries[asked] = sent + 1
        return str(tries[sent])

    def _click_for_goal(self, state: Dict[str, Any]) -> Optional[str]:
        """Click the button for the scenario's goal when the bot asks which request was meant (at most twice)."""
        if state["filing_status"] == "filed" or self.progress.clicks >= 2:
            return None
        wanted = GOAL_PAYLOADS.get(self.s["flow"], [])
        for button in self.chat.last_buttons():
            payload = button.get("payload") or ""
            if payload in wanted:
                self.progress.clicks += 1
                return self._send(payload)
        return None

    def minimum_turns(self) -> int:
        """The turns a perfect assistant needs: the opening, every intended try of every question it had to
        ask (a typo and its correction are two), the detours, the summary answers and the code."""
        s, p = self.s, self.progress
        not_asked = set(s.get("not_asked") or [])
        answers = s.get("answers") or {}
        needed = (p.asked | set(p.tries)) - not_asked - set(CODE_SLOTS) - set(SUMMARY_SLOTS)
        tries = sum(len(answers[slot]) if isinstance(answers.get(slot), list) else 1
                    for slot in needed if slot in answers)
        # A try meant for a field changed at the summary is only needed once that change is made.
        detours = sum(len(d) if isinstance(d, list) else 1 for slot, d in (s.get("detours") or {}).items()
                      if slot in p.asked)
        codes = 1 if p.codes else 0
        return 1 + tries + detours + len(s.get("summary") or []) * (1 if p.summaries else 0) + codes

    def play(self) -> Outcome:
        outcome = Outcome(self.s["id"], self.lang, self.s["flow"], ok=False)
        try:
            self._setup()
            self._send(self.s["opening"])
            turns = 1
            limit = 40
            while turns < limit:
                state = self._state()
                asked = state["asked"]
                if asked is None:
                    clicked = self._click_for_goal(state)
                    if clicked is None:
                        break
                    turns += 1
                    continue
                self.progress.asked.add(asked)
                message = self._next_message(asked)
                if message is None:
                    outcome.reason = f"asked {asked} again with nothing left to say"
                    break
                self._send(message)
                turns += 1
                limit = self.minimum_turns() + MAX_EXTRA_TURNS
            outcome.turns = turns
            outcome.minimum = self.minimum_turns()
            if not outcome.reason:
                if turns >= limit:
                    outcome.reason = f"stuck: {turns} turns"
                else:
                    outcome.reason = self.check()
            outcome.ok = not outcome.reason
        except Exception as error:  # a broken conversation is a failed scenario, with its transcript
            outcome.reason = f"{type(error).__name__}: {error}"[:300]
        outcome.transcript = self.chat.transcript()
        return outcome

    # -- the result ------------------------------------------------------------------------------------

    def check(self) -> str:
        expect = self.s.get("expect") or {}
        if self.s["flow"] == "case_status":
            reference = self.values.get("reference", "")
            status = STATUS_NAMES.get(self.stack.case(reference).get("status") or "", {}).get(self.lang, "\0")
            shown = any(reference in text and status.lower() in text.lower()
                        for text in (" ".join(r.get("text") or "" for r in turn.bot) for turn in self.chat.turns))
            return "" if shown or not expect.get("status_shown", True) else "the status was never shown"
        filed = [r for r in dict.fromkeys(self.references) if r != self.values.get("reference")]
        if not filed:
            return "no case reference was given"
        case = self.stack.case(filed[-1])
        problems = []
        if expect.get("case_type") and case.get("type") != expect["case_type"]:
            problems.append(f"type {case.get('type')} != {expect['case_type']}")
        if "anonymous" in expect and bool(case.get("anonymous")) != bool(expect["anonymous"]):
            problems.append(f"anonymous {case.get('anonymous')}")
        requester = case.get("requester") or {}
        if expect.get("name") and not _same_name(requester.get("name"), expect["name"]):
            problems.append(f"name {requester.get('name')!r}")
        if expect.get("email") and (requester.get("email") or "").lower() != expect["email"].lower():
            problems.append(f"email {requester.get('email')!r}")
        details = case.get("details") or {}
        for key, wanted in (expect.get("details") or {}).items():
            value = str(details.get(key) or "")
            if isinstance(wanted, list):
                missing = [w for w in wanted if _norm(w) not in _norm(value)]
                if missing:
                    problems.append(f"{key} lacks {missing}: {value[:120]!r}")
            elif _norm(value) != _norm(str(wanted)):
                problems.append(f"{key} {value!r} != {wanted!r}")
        window = expect.get("aware_within_hours")
        if window and case.get("aware_at"):
            aware = datetime.fromisoformat(str(case["aware_at"]).replace("Z", "+00:00"))
            hours = (datetime.now(timezone.utc) - aware).total_seconds() / 3600
            if not window[0] <= hours <= window[1]:
                problems.append(f"aware {hours:.1f} h ago, not {window}")
        return "; ".join(problems)


def _same_name(filed: Any, expected: str) -> bool:
    """The same words, in either order: "Solberg, Ingrid" is Ingrid Solberg written surname first."""
    words = lambda text: sorted(re.findall(r"[\w'-]+", _norm(text)))  # noqa: E731
    return words(filed) == words(expected)


def _norm(text: Any) -> str:
    return re.sub(r"\s+", " ", str(text or "")).strip().lower()


def play_all(stack: FlowStack, lang: str, scenarios: Optional[List[Dict[str, Any]]] = None,
             workers: int = CONCURRENT_CONVERSATIONS) -> List[Outcome]:
    scenarios = load(lang) if scenarios is None else scenarios
    with ThreadPoolExecutor(max_workers=workers) as pool:
        return list(pool.map(lambda s: ScenarioUser(stack, s, lang).play(), scenarios))
