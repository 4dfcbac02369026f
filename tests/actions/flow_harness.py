"""Test support for the flow actions: a real backend process and a small conversation driver.

`BackendProcess` runs the real backend (`python -m backend migrate` + `serve`) on a free loopback port
with a temporary SQLite database and outbox, so the actions are tested against the real HTTP API (it can
be stopped and started again on the same port and database to test an outage).

`Conversation` drives the real action classes the way Rasa does: it fills the requested slot from the
user's text (unless the intent is one the slot mapping excludes), runs the form's validation action,
asks the next question with the `action_ask_<slot>` action, and applies the same follow-ups as our rules
(form done -> action_file_case -> verification_form -> action_verification_done). The rules themselves
are tested by `rasa test core` (tests/stories) and by the end-to-end test.
"""

from __future__ import annotations

import email
import email.policy
import os
import re
import secrets
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import Any, Dict, List, Optional

import aiohttp
import yaml
from cryptography.fernet import Fernet
from rasa_sdk import Tracker
from rasa_sdk.executor import ActionExecutor, CollectingDispatcher

from actions.backend_client import BackendClient, BackendConfig, RetryPolicy, set_backend_client
from actions.goals import CASE_FORMS, FLOW_FORMS
from tests.support import free_port

ROOT = Path(__file__).resolve().parents[2]
PYTHON = str(ROOT / ".venv" / "bin" / "python") if (ROOT / ".venv" / "bin" / "python").exists() else sys.executable
CODE_RE = re.compile(r"^\s{4}(\d{6})\s*$", re.MULTILINE)


class BackendProcess:
    """The real case backend in a child process."""

    def __init__(self, workdir: Path) -> None:
        self.workdir = workdir
        self.port = free_port()
        self.outbox = workdir / "outbox"
        self.token = "flows-test-" + secrets.token_urlsafe(24)
        self.env = {
            **os.environ,
            "APP_ENV": "test",
            "DATABASE_URL": f"sqlite:///{workdir / 'backend.db'}",
            "OUTBOX_DIR": str(self.outbox),
            "BACKEND_SERVICE_TOKEN": self.token,
            "FIELD_ENCRYPTION_KEYS": Fernet.generate_key().decode("ascii"),
            "BLIND_INDEX_KEY": secrets.token_urlsafe(32),
            "BACKEND_HOST": "127.0.0.1",
            "BACKEND_PORT": str(self.port),
            "SMTP_HOST": "",
            "PYTHONDONTWRITEBYTECODE": "1",
        }
        self.process: Optional[subprocess.Popen] = None
        self.log_path = workdir / "backend.log"

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def deliver_transcript_erasures_to(self, rasa_port: int) -> None:
        """As `make run` wires them (scripts/run_all.py): the backend delivers transcript erasures (a case's,
        or a chat's own "forget this conversation") to that Rasa's transcript channel. A stack that passes
        this env on to Rasa gives both the same token."""
        self.env.update(TRANSCRIPT_ERASE_TOKEN="test-erase-" + secrets.token_urlsafe(24),
                        TRANSCRIPT_ERASE_URL=f"http://127.0.0.1:{rasa_port}/webhooks/transcripts/erase")

    def migrate(self) -> None:
        subprocess.run([PYTHON, "-m", "backend", "migrate"], cwd=ROOT, env=self.env, check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, timeout=120)

    def start(self, timeout: float = 60.0) -> None:
        log = self.log_path.open("ab")
        self.process = subprocess.Popen(
            [PYTHON, "-m", "backend", "serve", "--host", "127.0.0.1", "--port", str(self.port)],
            cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + timeout
        import urllib.request

        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"backend exited: {self.log_path.read_text(errors='replace')[-2000:]}")
            try:
                with urllib.request.urlopen(self.url + "/healthz", timeout=1) as response:
                    if response.status == 200:
                        return
            except OSError:
                time.sleep(0.2)
        raise RuntimeError("backend did not become healthy")

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process = None

    def client(self, attempts: int = 2, timeout: float = 5.0) -> BackendClient:
        return BackendClient(BackendConfig(base_url=self.url, service_token=self.token,
                                           retry=RetryPolicy(timeout_seconds=timeout, attempts=attempts,
                                                             backoff_seconds=0.1)))

    def mails(self) -> List[email.message.EmailMessage]:
        if not self.outbox.is_dir():
            return []
        parser = email.parser.BytesParser(policy=email.policy.default)
        found = []
        for path in sorted(self.outbox.glob("*.eml")):
            with path.open("rb") as handle:
                found.append(parser.parse(handle))
        return found

    def mails_for(self, reference: str) -> List[email.message.EmailMessage]:
        return [m for m in self.mails() if reference in str(m["Subject"]) or reference in body_of(m)]

    def latest_code(self, reference: str, after: int = 0, timeout: float = 15.0) -> str:
        """The newest 6-digit code e-mailed for `reference` (waits: the backend sends mail in the background).
        `after`: how many code e-mails for this reference existed before (to wait for a new one)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            codes = [CODE_RE.search(body_of(m)) for m in self.mails_for(reference)]
            codes = [c.group(1) for c in codes if c]
            if len(codes) > after:
                return codes[-1]
            time.sleep(0.2)
        raise AssertionError(f"no code e-mail for {reference}")

    def code_count(self, reference: str) -> int:
        return len([m for m in self.mails_for(reference) if CODE_RE.search(body_of(m))])

    def cases(self) -> List[Dict[str, Any]]:
        """All cases, via the CLI the privacy team uses (`cases list --json`)."""
        import json

        done = subprocess.run([PYTHON, "-m", "backend", "cases", "list", "--json"], cwd=ROOT, env=self.env,
                              capture_output=True, text=True, timeout=60, check=True)
        data = json.loads(done.stdout)
        return data["cases"] if isinstance(data, dict) else data


def body_of(message: email.message.EmailMessage) -> str:
    part = message.get_body(preferencelist=("plain",))
    return part.get_content() if part is not None else ""


# ------------------------------------------------------------------------------------------- conversation

_EXECUTOR: Optional[ActionExecutor] = None


def executor() -> ActionExecutor:
    global _EXECUTOR
    if _EXECUTOR is None:
        _EXECUTOR = ActionExecutor()
        _EXECUTOR.register_package("actions")
    return _EXECUTOR


def load_domain() -> Dict[str, Any]:
    return yaml.safe_load((ROOT / "domain.yml").read_text(encoding="utf-8"))


class Conversation:
    """One user talking to the flow actions (see module docstring)."""

    def __init__(self, lang: str, metadata: Optional[Dict[str, Any]] = None, is_staff: bool = False,
                 input_channel: Optional[str] = None) -> None:
        self.input_channel = input_channel
        self.domain = load_domain()
        self.slots: Dict[str, Any] = {name: None for name in self.domain["slots"]}
        self.slots["language"] = lang
        self.slots["is_staff"] = is_staff
        self.metadata = metadata or {"language": lang}
        self.active_loop: Optional[str] = None
        self.latest_message: Dict[str, Any] = {}
        self.sent: List[Dict[str, Any]] = []  # every bot message
        self.sender = f"test-{uuid.uuid4().hex[:8]}"

    # -- plumbing -------------------------------------------------------------------------------------

    def _tracker(self, extra_events: Optional[List[Dict[str, Any]]] = None) -> Tracker:
        user_event = {"event": "user", "text": self.latest_message.get("text"),
                      "parse_data": self.latest_message, "metadata": self.metadata,
                      "input_channel": self.input_channel}
        return Tracker(
            self.sender, dict(self.slots), dict(self.latest_message), [user_event] + (extra_events or []), False,
            None, {"name": self.active_loop} if self.active_loop else {}, None,
        )

    def _apply(self, events: List[Dict[str, Any]]) -> None:
        for event in events:
            if event.get("event") == "slot":
                self.slots[event["name"]] = event["value"]

    async def run(self, action_name: str, extra_events: Optional[List[Dict[str, Any]]] = None) -> List[Dict[str, Any]]:
        run_action = executor().actions[action_name]  # the registered action's bound `run`
        dispatcher = CollectingDispatcher()
        events = await run_action(dispatcher, self._tracker(extra_events), self.domain)
        self.sent.extend(dispatcher.messages)
        self._apply(events)
        return events

    def said(self, start: int = 0) -> str:
        return "\n".join(m.get("text") or "" for m in self.sent[start:])

    def buttons(self) -> List[Dict[str, str]]:
        for message in reversed(self.sent):
            if message.get("buttons"):
                return message["buttons"]
        return []

    def set_message(self, text: str, intent: str, confidence: float = 0.95,
                    entities: Optional[List[Dict[str, Any]]] = None, parse: Optional[Dict[str, Any]] = None) -> None:
        """`parse`: more of the NLU's parse (e.g. `response_selector`)."""
        self.latest_message = {"text": text, "intent": {"name": intent, "confidence": confidence},
                               "entities": entities or [], "metadata": self.metadata, **(parse or {})}

    # -- forms ----------------------------------------------------------------------------------------

    async def _form_step(self, extra_events: List[Dict[str, Any]], reject_if_empty: bool) -> bool:
        """The form's validation action runs (it extracts from the latest message itself, see
        FlowFormValidation.get_extraction_events); then the next question or the end of the form.
        Returns False when Rasa would reject the form for this turn (nothing extracted)."""
        form = self.active_loop
        run_action = executor().actions[f"validate_{form}"]
        dispatcher = CollectingDispatcher()
        events = await run_action(dispatcher, self._tracker(extra_events), self.domain)
        filled = [e for e in events if e.get("event") == "slot" and e["name"] != "requested_slot"]
        if reject_if_empty and not filled:
            return False
        self.sent.extend(dispatcher.messages)
        self._apply(events)
        requested = [e for e in events if e.get("event") == "slot" and e["name"] == "requested_slot"]
        if requested:
            next_slot = requested[-1]["value"]
        else:  # Rasa's own choice: the first empty slot of the domain's list
            required = self.domain["forms"][form]["required_slots"]
            next_slot = next((s for s in required if self.slots.get(s) is None), None)
        self.slots["requested_slot"] = next_slot
        if next_slot is None:
            self.active_loop = None
            await self._after_form(form)
        else:
            await self.run(f"action_ask_{next_slot}")
        return True

    async def activate(self, form: str) -> None:
        self.active_loop = form
        self.slots["requested_slot"] = None  # Rasa passes no requested slot while activating
        required = self.domain["forms"][form]["required_slots"]
        prefilled = [{"event": "slot", "name": s, "value": self.slots[s]} for s in required
                     if self.slots.get(s) is not None]
        await self._form_step([{"event": "action", "name": form}] + prefilled, reject_if_empty=False)

    async def _after_form(self, form: str) -> None:
        """What our rules do when a form completes."""
        if form in CASE_FORMS:
            await self.file_case()
        elif form == "verification_form":
            await self.run("action_verification_done")
        elif form == "case_status_form":
            await self.run("action_status_done")

    async def file_case(self) -> None:
        await self.run("action_file_case")
        if self.slots.get("filing_status") == "awaiting_verification":
            await self.activate("verification_form")

    # -- what the user does ----------------------------------------------------------------------------

    async def start(self, text: str, intent: str, entities: Optional[List[Dict[str, Any]]] = None) -> None:
        self.set_message(text, intent, entities=entities)
        await self.run("action_start_flow")
        flow = self.slots.get("flow")
        if flow in FLOW_FORMS:
            await self.activate(FLOW_FORMS[flow])

    async def say(self, text: str, intent: str = "nlu_fallback", confidence: float = 0.4,
                  parse: Optional[Dict[str, Any]] = None) -> str:
        """Answer inside the active form. Returns "rejected" when the form would not take it (the caller
        then runs the interruption the rules would run), else "ok"."""
        assert self.active_loop, "no active form"
        self.set_message(text, intent, confidence=confidence, parse=parse)
        accepted = await self._form_step([{"event": "action", "name": self.active_loop}], reject_if_empty=True)
        return "ok" if accepted else "rejected"

    async def interrupt(self, action_name: str) -> None:
        """An interruption rule: run the action, then the form continues (asks again)."""
        form = self.active_loop
        await self.run(action_name)
        if action_name == "action_stop_flow":
            self.active_loop = None
        elif form:
            await self._form_step([{"event": "action", "name": action_name}, {"event": "action", "name": form}],
                                  reject_if_empty=False)


def use_backend(backend: BackendProcess, attempts: int = 2, timeout: float = 5.0) -> BackendClient:
    client = backend.client(attempts=attempts, timeout=timeout)
    set_backend_client(client)
    return client


async def healthz(url: str) -> bool:
    try:
        async with aiohttp.ClientSession() as session:
            async with session.get(url + "/healthz") as response:
                return response.status == 200
    except aiohttp.ClientError:
        return False
