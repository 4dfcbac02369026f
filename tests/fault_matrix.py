"""The fault matrix's runs, shared by bench/bench_faults.py (every cell) and tests/test_e2e_faults.py (a subset).

One run is one person filing an access request (name, e-mail, confirmation, the e-mailed code) while one of the
three processes is killed with SIGKILL at one step of the filing:
- `before_filing`: the summary is shown; the user confirms while the process is dead;
- `filing_in_flight`: the user confirmed and the filing call is at the backend (the case is committed, the
  action server waits for the answer; see FilingGate); for the backend, its answer never arrives;
- `after_filing`: the case is filed and the code e-mailed; the user types the code while the process is dead;
- `after_code`: the case is verified; the user asks a policy question while the process is dead.
Then the process is started again and the user does what the assistant told them: presses "try again" when it
was offered, else sends the same message again (also when no answer came at all: Rasa itself was dead, and the
widget said the connection was lost). Counted: cases filed (1 expected), answers lost (the filed case lacks the
typed name or e-mail, or the person ends unverified), what the user saw and whether it was in their language.
"""

from __future__ import annotations

import threading
import time
import uuid
from dataclasses import dataclass, field
from typing import Any, Callable, Dict, List, Optional

import yaml

from bot.language import detect
from tests.actions.flow_harness import CODE_RE, ROOT, body_of
from tests.fault_stack import FaultStack, wait_until
from tests.support import REFERENCE, free_port

STEPS = ("before_filing", "filing_in_flight", "after_filing", "after_code")
CODE_WAIT_SECONDS = 90.0


@dataclass(frozen=True)
class Person:
    lang: str
    start: str
    name: str
    yes: str
    question: str
    domain: str


PEOPLE = {
    "sv": Person("sv", "Jag vill ha ett registerutdrag, vilka uppgifter har ni om mig?", "Eva Lind", "ja",
                 "Hur länge sparar ni mina personuppgifter?", "example.se"),
    "nb": Person("nb", "Jeg vil ha innsyn i hvilke personopplysninger dere har om meg", "Kari Nordmann", "ja",
                 "Hvor lenge lagrer dere personopplysningene mine?", "example.no"),
    "en": Person("en", "I want a copy of the personal data you hold about me", "Emma Smith", "yes",
                 "How long do you keep my personal data?", "example.com"),
}

def text_of(replies: Optional[List[Dict[str, Any]]]) -> str:
    return "\n".join(r.get("text") or "" for r in replies or [])


def payloads(replies: Optional[List[Dict[str, Any]]]) -> List[str]:
    return [b.get("payload", "") for r in replies or [] for b in r.get("buttons") or []]


def describe(replies: Optional[List[Dict[str, Any]]]) -> str:
    """A short label of what the user saw."""
    if replies is None:
        return "no answer (connection lost)"
    text = " ".join(text_of(replies).split())
    if not text:
        return "an empty answer"
    short = text if len(text) <= 58 else text[:55] + "..."
    return ("[try again] " if "/retry" in payloads(replies) else "") + short


def in_language(replies: Optional[List[Dict[str, Any]]], lang: str) -> Optional[bool]:
    """Whether what the user saw was in their language (bot/language.py's identification of the text); None
    when no answer came (the widget's own translated line is all the user saw)."""
    text = text_of(replies)
    if replies is None or not text.strip():
        return None
    return detect(text).language == lang


def _service_interrupted_texts() -> List[str]:
    """The "send it again" answers (bot/rasa_patches.py patch 8), from the domain."""
    domain = yaml.safe_load((ROOT / "domain.yml").read_text(encoding="utf-8"))
    return [variation["text"] for variation in domain["responses"]["utter_service_interrupted"]]


SERVICE_INTERRUPTED = _service_interrupted_texts()


def interrupted(replies: Optional[List[Dict[str, Any]]]) -> bool:
    """No answer, or an answer that asks the user to try again or send the message again."""
    text = text_of(replies)
    return (replies is None or "/retry" in payloads(replies) or not text.strip()
            or any(sent_again in text for sent_again in SERVICE_INTERRUPTED))


@dataclass
class Outcome:
    store: str
    process: str
    step: str
    lang: str
    cases_filed: int = 0
    lost: List[str] = field(default_factory=list)
    saw: str = ""
    translated: Optional[bool] = None
    retries: int = 0
    after: str = ""
    error: str = ""

    @property
    def duplicates(self) -> int:
        return max(0, self.cases_filed - 1)

    @property
    def ok(self) -> bool:
        return (not self.error and self.cases_filed == 1 and not self.lost and self.translated is not False)


class Run:
    """One person's conversation in a FaultStack, with the checks the matrix reports."""

    def __init__(self, stack: FaultStack, store: str, process: str, step: str, lang: str) -> None:
        self.stack = stack
        self.person = PEOPLE[lang]
        self.sender = f"fault-{process}-{step}-{uuid.uuid4().hex[:8]}"
        self.email = f"{self.person.name.split()[0].lower()}.{uuid.uuid4().hex[:6]}@{self.person.domain}"
        self.outcome = Outcome(store, process, step, lang)
        self.reference: Optional[str] = None

    def say(self, text: str) -> Optional[List[Dict[str, Any]]]:
        replies = self.stack.say(self.sender, text, self.person.lang)
        found = REFERENCE.search(text_of(replies))
        if found and self.reference is None:
            self.reference = found.group(0)
        return replies

    def verified(self) -> bool:
        return bool(self.reference) and self.stack.case(self.reference).get("status") != "awaiting_verification"

    def recover(self, saw: Optional[List[Dict[str, Any]]], text: str,
                reached: Callable[[Optional[List[Dict[str, Any]]]], bool]) -> None:
        """After the restart: do what the assistant said until the step's goal is reached (at most 3 tries)."""
        replies = saw
        while not reached(replies) and self.outcome.retries < 3:
            self.outcome.retries += 1
            replies = self.say("/retry" if "/retry" in payloads(replies) else text)
        self.outcome.after = describe(replies)

    def code(self) -> str:
        """The newest code e-mailed for the case. Waits long enough for an e-mail whose sender died: the next
        backend sends it once the dead sender's claim has run out (backend/services/notify.py)."""
        assert self.reference, "no reference was shown"
        return self.stack.backend.latest_code(self.reference, timeout=CODE_WAIT_SECONDS)

    def play(self) -> Outcome:
        person, stack, process, step = self.person, self.stack, self.outcome.process, self.outcome.step
        before = stack.case_count()
        try:
            self.say(person.start)
            self.say(person.name)
            summary = self.say(self.email)
            if "/affirm" not in payloads(summary):
                raise AssertionError(f"no summary: {describe(summary)}")
            filed = lambda replies: self.reference is not None  # noqa: E731
            if step == "before_filing":
                stack.kill(process)
                saw = self.say(person.yes)
                stack.start_process(process)
                self.recover(saw, person.yes, filed)
            elif step == "filing_in_flight":
                stack.gate.arm("response", drop=process == "backend")
                answer: Dict[str, Any] = {}
                confirming = threading.Thread(target=lambda: answer.update(replies=self.say(person.yes)))
                confirming.start()
                if not stack.gate.wait_held():
                    raise AssertionError("the filing call never reached the backend")
                stack.kill(process)
                stack.gate.release()
                confirming.join(300)
                saw = answer.get("replies")
                stack.start_process(process)
                self.recover(saw, person.yes, filed)
            else:
                self.say(person.yes)
                if not filed(None):
                    raise AssertionError("the case was not filed")
                if step == "after_filing":
                    code = self.code()
                    stack.kill(process)
                    saw = self.say(code)
                    stack.start_process(process)
                    self.recover(saw, code, lambda replies: self.verified())
                else:
                    self.say(self.code())
                    if not self.verified():
                        raise AssertionError("the code was not accepted")
                    stack.kill(process)
                    saw = self.say(person.question)
                    stack.start_process(process)
                    self.recover(saw, person.question, lambda replies: not interrupted(replies))
            self.outcome.saw = describe(saw)
            self.outcome.translated = in_language(saw, person.lang)
            if not self.verified():  # the rest of the filing, as the person would go on
                self.say(self.code())
            self.check_case()
        except Exception as error:  # noqa: BLE001 - the table shows it; the test asserts on it
            self.outcome.error = f"{type(error).__name__}: {error}"[:200]
        finally:
            self.ensure_running()
            self.outcome.cases_filed = stack.case_count() - before
        return self.outcome

    def check_case(self) -> None:
        if not self.reference:
            self.outcome.lost.append("no reference")
            return
        case = self.stack.case(self.reference)
        requester = case.get("requester") or {}
        if requester.get("name") != self.person.name:
            self.outcome.lost.append("name")
        if requester.get("email") != self.email:
            self.outcome.lost.append("e-mail")
        if case.get("status") == "awaiting_verification":
            self.outcome.lost.append("verification")

    def ensure_running(self) -> None:
        """A failed run must not leave the next one without a process."""
        for name, process in (("backend", self.stack.backend.process), ("actions", self.stack.actions),
                              ("rasa", self.stack.rasa)):
            if process is None or process.poll() is not None:
                self.stack.start_process(name)


def kill_run(stack: FaultStack, store: str, process: str, step: str, lang: str) -> Outcome:
    return Run(stack, store, process, step, lang).play()


def database_outage_run(stack: FaultStack, store: str, lang: str) -> Outcome:
    """The backend's database becomes unavailable while the filing call is on its way, and comes back."""
    run = Run(stack, store, "database", "filing_in_flight", lang)
    person = run.person
    before = stack.case_count()
    try:
        run.say(person.start)
        run.say(person.name)
        run.say(run.email)
        stack.gate.arm("request")
        answer: Dict[str, Any] = {}
        confirming = threading.Thread(target=lambda: answer.update(replies=run.say(person.yes)))
        confirming.start()
        if not stack.gate.wait_held():
            raise AssertionError("the filing call never came")
        with stack.database_unavailable():
            stack.gate.release()
            confirming.join(300)
        saw = answer.get("replies")
        run.outcome.saw = describe(saw)
        run.outcome.translated = in_language(saw, lang)
        run.recover(saw, person.yes, lambda replies: run.reference is not None)
        if run.reference and not run.verified():
            run.say(run.code())
        run.check_case()
    except Exception as error:  # noqa: BLE001
        run.outcome.error = f"{type(error).__name__}: {error}"[:200]
    finally:
        run.outcome.cases_filed = stack.case_count() - before
    return run.outcome


class RefusingSmtp:
    """A real SMTP server on loopback (aiosmtpd) that refuses every message while `refusing` is set (554, a
    permanent failure: the backend's mailer does not retry it) and keeps the ones it accepts."""

    def __init__(self) -> None:
        from aiosmtpd.controller import Controller

        self.refusing = True
        self.refused = 0
        self.accepted: List[Any] = []
        self.port = free_port()
        self.controller = Controller(self, hostname="127.0.0.1", port=self.port)
        self.controller.start()

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802 (aiosmtpd API)
        if self.refusing:
            self.refused += 1
            return "554 5.7.1 Delivery refused"
        self.accepted.append(envelope)
        return "250 OK"

    def latest_code(self, timeout: float = 30.0) -> str:
        from email import message_from_bytes, policy

        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for envelope in reversed(self.accepted):
                found = CODE_RE.search(body_of(message_from_bytes(envelope.content, policy=policy.default)))
                if found:
                    return found.group(1)
            time.sleep(0.2)
        raise AssertionError("no code arrived over SMTP")

    def close(self) -> None:
        self.controller.stop()


def smtp_refusing_run(stack: FaultStack, store: str, lang: str) -> Outcome:
    """The mail server refuses the code e-mail: the case is kept, and once mail works again the user asks for
    a new code ("resend") and confirms with it."""
    smtp = RefusingSmtp()
    run = Run(stack, store, "smtp", "after_filing", lang)
    person = run.person
    saved = {k: stack.backend.env.get(k) for k in ("SMTP_HOST", "SMTP_PORT", "SMTP_STARTTLS")}
    stack.backend.stop()
    stack.backend.env.update({"SMTP_HOST": "127.0.0.1", "SMTP_PORT": str(smtp.port), "SMTP_STARTTLS": "false"})
    stack.backend.start()
    before = stack.case_count()
    try:
        run.say(person.start)
        run.say(person.name)
        run.say(run.email)
        filed = run.say(person.yes)
        if not run.reference:
            raise AssertionError(f"not filed: {describe(filed)}")
        if not wait_until(lambda: smtp.refused >= 1):
            raise AssertionError("the code e-mail was never tried")
        smtp.refusing = False
        saw = run.say("/resend_code")
        run.outcome.saw = describe(saw)
        run.outcome.translated = in_language(saw, lang)
        run.outcome.retries = 1
        final = run.say(smtp.latest_code())
        run.outcome.after = describe(final)
        run.check_case()
    except Exception as error:  # noqa: BLE001
        run.outcome.error = f"{type(error).__name__}: {error}"[:200]
    finally:
        run.outcome.cases_filed = stack.case_count() - before
        stack.backend.stop()
        for key, value in saved.items():
            if value is None:
                stack.backend.env.pop(key, None)
            else:
                stack.backend.env[key] = value
        stack.backend.start()
        smtp.close()
    return run.outcome
