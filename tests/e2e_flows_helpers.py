"""Support for tests/test_e2e_rest_flows.py: the stack with the production tracker store, a chat driver that
keeps a transcript (with the intent Rasa predicted for each message), and readers for what the stack stored.

The stack is tests/e2e_stack.py's `shared_stack` (the `e2e_stack` fixture): Rasa and the action server share one endpoints file whose
tracker store is `bot.tracker_store.RedactingSQLTrackerStore` on a temporary SQLite file, as `make run` does
with endpoints.yml, so "forget this conversation" erases what Rasa stored and the test can read what is kept.
"""

from __future__ import annotations

import json
import re
import sqlite3
import urllib.request
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Dict, List, Optional, Tuple
from zoneinfo import ZoneInfo


from tests.actions.flow_harness import BackendProcess
from tests.e2e_stack import DATE, REFERENCE, RunningStack, create_staff_token, staff_case
from tests.test_e2e_rest import Stack, text_of

__all__ = ["DATE", "REFERENCE", "ZONE", "FlowStack", "Chat", "flow_stack", "text_of", "parse_local_datetime",
           "parse_local_date", "MONTH_NAMES"]

MONTH_NAMES = {
    "sv": ["januari", "februari", "mars", "april", "maj", "juni", "juli", "augusti", "september", "oktober",
           "november", "december"],
    "nb": ["januar", "februar", "mars", "april", "mai", "juni", "juli", "august", "september", "oktober",
           "november", "desember"],
    "en": ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
           "November", "December"],
}
# The zone a language's dates are shown in (Swedish cases are handled in Sweden, the others in Oslo).
ZONE = {"sv": ZoneInfo("Europe/Stockholm"), "nb": ZoneInfo("Europe/Oslo"), "en": ZoneInfo("Europe/Oslo")}


def _date_pattern(lang: str) -> str:
    months = "|".join(MONTH_NAMES[lang])
    dot = r"\." if lang == "nb" else ""
    return rf"(\d{{1,2}}){dot} ({months}) (\d{{4}})"


def parse_local_date(text: str, lang: str) -> List[datetime]:
    """Every date written the language's way in `text` ('4 december 2026', '4. desember 2026')."""
    found = []
    for day, month, year in re.findall(_date_pattern(lang), text):
        found.append(datetime(int(year), MONTH_NAMES[lang].index(month) + 1, int(day)))
    return found


def parse_local_datetime(text: str, lang: str) -> List[datetime]:
    """Every date with a time ('4 december 2026 kl. 08:15', '4 December 2026 at 08:15'), zone-aware."""
    clock = r" at (\d\d):(\d\d)" if lang == "en" else r" kl\. (\d\d):(\d\d)"
    found = []
    for day, month, year, hour, minute in re.findall(_date_pattern(lang) + clock, text):
        found.append(datetime(int(year), MONTH_NAMES[lang].index(month) + 1, int(day), int(hour), int(minute),
                              tzinfo=ZONE[lang]))
    return found


class FlowStack(Stack):
    """The running stack plus what a test needs to look behind it (tracker rows, the backend's cases)."""

    def __init__(self, backend: BackendProcess, rasa_port: int, tracker_db: Path) -> None:
        super().__init__(backend, rasa_port)
        self.rasa_base = f"http://127.0.0.1:{rasa_port}"
        self.tracker_db = tracker_db
        self._staff_token: Optional[str] = None
        self.shared: Dict[str, Any] = {}  # what one conversation files and a later one looks up

    # -- Rasa -----------------------------------------------------------------------------------------

    def tracker(self, sender: str) -> Dict[str, Any]:
        """The tracker as Rasa serves it (GET /conversations/<id>/tracker, read through the tracker store)."""
        url = f"{self.rasa_base}/conversations/{sender}/tracker?include_events=ALL"
        with urllib.request.urlopen(url, timeout=60) as response:
            return json.loads(response.read().decode())

    def stored_rows(self, sender: str) -> List[Tuple[str, Dict[str, Any]]]:
        """(type_name, event) of every row the tracker store holds for `sender`, read from the SQLite file."""
        with sqlite3.connect(f"file:{self.tracker_db}?mode=ro", uri=True, timeout=30) as db:
            rows = db.execute("SELECT type_name, data FROM events WHERE sender_id = ? ORDER BY id",
                              (sender,)).fetchall()
        return [(kind, json.loads(data)) for kind, data in rows]

    def stored_text(self) -> str:
        """Every row of the tracker store as text (to check that nothing secret is kept in clear)."""
        with sqlite3.connect(f"file:{self.tracker_db}?mode=ro", uri=True, timeout=30) as db:
            return "\n".join(data for (data,) in db.execute("SELECT data FROM events"))

    # -- backend (staff view: the requester's e-mail and the case details are only visible there) ------

    def _staff(self) -> str:
        if self._staff_token is None:
            self._staff_token = create_staff_token(self.backend, "privacy_officer")
        return self._staff_token

    def staff_get(self, path: str) -> Dict[str, Any]:
        request = urllib.request.Request(self.backend.url + path,
                                         headers={"Authorization": f"Bearer {self._staff()}"})
        with urllib.request.urlopen(request, timeout=30) as response:
            return json.loads(response.read().decode())

    def service_post(self, path: str, body: Dict[str, Any], idempotency_key: Optional[str] = None) -> Dict[str, Any]:
        """A call as the action server makes it (service token)."""
        headers = {"Authorization": f"Bearer {self.backend.token}", "Content-Type": "application/json"}
        if idempotency_key:
            headers["Idempotency-Key"] = idempotency_key
        request = urllib.request.Request(self.backend.url + path, data=json.dumps(body).encode(), headers=headers)
        with urllib.request.urlopen(request, timeout=30) as response:
            return json.loads(response.read().decode())

    def file_verified_case(self, case_type: str, lang: str, name: str, email: str, description: str) -> str:
        """File a named case straight through the backend API and confirm its e-mail code (for a look-up
        test whose own filing conversation did not run). Returns the reference."""
        created = self.service_post("/api/v1/cases", {
            "type": case_type, "language": lang, "channel": "web", "country": "NO", "anonymous": False,
            "requester": {"name": name, "email": email}, "details": {"description": description},
        }, idempotency_key=uuid.uuid4().hex)
        reference = created["reference"]
        self.service_post(f"/api/v1/cases/{reference}/verification", {"code": self.backend.latest_code(reference)})
        return reference

    def file_anonymous_incident(self, lang: str, description: str) -> Tuple[str, str]:
        """File an anonymous incident straight through the backend API. Returns (reference, receipt)."""
        created = self.service_post("/api/v1/cases", {
            "type": "incident", "language": lang, "channel": "web", "country": "SE" if lang == "sv" else "NO",
            "anonymous": True, "details": {"description": description},
            "aware_at": (datetime.now(timezone.utc) - timedelta(hours=3)).isoformat(),
        }, idempotency_key=uuid.uuid4().hex)
        return created["reference"], created["receipt"]

    def case(self, reference: str) -> Dict[str, Any]:
        return staff_case(self.backend, self._staff(), reference)

    def cases_of(self, email: str) -> List[Dict[str, Any]]:
        """Every case (full staff view) whose requester e-mail is `email`."""
        found = []
        for summary in self.staff_get("/api/v1/staff/cases")["cases"]:
            full = self.case(summary["reference"])
            if ((full.get("requester") or {}).get("email") or "").lower() == email.lower():
                found.append(full)
        return found


@dataclass
class Turn:
    user: str
    bot: List[Dict[str, Any]]
    intent: Optional[str] = None
    confidence: Optional[float] = None


@dataclass
class Chat:
    """One person in the chat window: a sender id, a language (the widget's locale) and a transcript."""

    stack: FlowStack
    lang: str
    label: str
    sender: str = ""
    turns: List[Turn] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.sender = self.sender or f"e2e-flows-{self.label}-{uuid.uuid4().hex[:8]}"

    def send(self, text: str) -> List[Dict[str, Any]]:
        replies = self.stack.say(self.sender, text, self.lang)
        turn = Turn(text, replies)
        try:
            latest = self.stack.tracker(self.sender).get("latest_message") or {}
            turn.intent = (latest.get("intent") or {}).get("name")
            turn.confidence = (latest.get("intent") or {}).get("confidence")
        except (OSError, ValueError):
            pass  # the transcript is for the report; the conversation itself is what is asserted
        self.turns.append(turn)
        print(self.render_turn(turn), flush=True)  # shown by pytest when a test fails
        texts = [r["text"] for r in replies if r.get("text")]
        repeated = [a for a, b in zip(texts, texts[1:]) if a == b]
        assert not repeated, f"sent twice in a row: {repeated}\n{self.transcript()}"  # every turn, every test
        return replies

    def say(self, text: str) -> str:
        """Send `text` and return the bot's replies as one text."""
        return text_of(self.send(text))

    def click(self, title: str) -> str:
        """Click the button titled `title` of the bot's latest message that had buttons: send its payload
        exactly as the widget does (the widget shows the title, Rasa gets the payload)."""
        for turn in reversed(self.turns):
            buttons = [b for r in turn.bot for b in (r.get("buttons") or [])]
            if buttons:
                for candidate in buttons:
                    if candidate.get("title") == title:
                        return self.say(candidate["payload"])
                raise AssertionError(f"no button {title!r} among {[b.get('title') for b in buttons]}\n"
                                     + self.transcript())
        raise AssertionError(f"no buttons shown yet\n{self.transcript()}")

    def last_buttons(self) -> List[Dict[str, Any]]:
        return [b for r in self.turns[-1].bot for b in (r.get("buttons") or [])] if self.turns else []

    def everything_said(self) -> str:
        return "\n".join(text_of(turn.bot) for turn in self.turns)

    @staticmethod
    def render_turn(turn: Turn) -> str:
        intent = f"  [intent {turn.intent} {turn.confidence:.2f}]" if turn.confidence is not None else ""
        bot = "\n".join("  bot : " + (r.get("text") or "").replace("\n", "\n        ")
                        + (f"  buttons={[(b['title'], b['payload']) for b in r['buttons']]}" if r.get("buttons")
                           else "")
                        for r in turn.bot) or "  bot : (nothing)"
        return f"  user: {turn.user}{intent}\n{bot}"

    def transcript(self) -> str:
        return f"--- transcript {self.label} ({self.lang}) ---\n" + "\n".join(self.render_turn(t) for t in self.turns)


def flow_stack(running: RunningStack) -> FlowStack:
    """The flow driver's view of a running stack (tests/conftest.py's shared `e2e_stack`): trained model, REST
    channel, redacting SQLite tracker store shared by Rasa and the action server, so "forget this
    conversation" erases what Rasa stored."""
    return FlowStack(running.backend, running.rasa_port, running.tracker_db)
