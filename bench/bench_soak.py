"""Soak benchmark (issue 13): many concurrent conversations for minutes, with filings, status checks and forgets.

What runs:
- the whole stack, started here: by default the embedded defaults (tests/e2e_stack.running_stack: backend on
  SQLite with its outbox in a temp dir, the rasa-sdk action server, `rasa run` with models/assistant.tar.gz and
  the redacting SQLite tracker store, in-memory lock store); with `--production` the production stores as
  tests/test_e2e_production_stores.py sets them up: endpoints.production.yml, i.e. the redacting tracker store
  on a fresh PostgreSQL database (created here, dropped at the end) and the Redis lock store; the backend
  stays on SQLite in both modes (its PostgreSQL throughput is bench/bench_cases.py's business).
- N clients (default 50) for D seconds (default 300), each looping over a mix of conversations in sv, nb and en
  over the REST channel (`/webhooks/rest/webhook`):
  - filing: an access or an erasure request, name, e-mail, "yes" at the summary (a reference must follow), the
    6-digit code read from the backend's outbox (the reference must follow again);
  - incident: an anonymous incident report to the end (a reference and a 16-digit receipt must follow);
  - status_email: the status of a case filed earlier in the soak: reference, the "Code by e-mail" button's
    payload, the e-mail address, the new code from the outbox; the answer must show "Case <reference> (...)";
    the backend allows a new status code once per 60 s per case and 3 codes per address per hour, so each
    filed case is looked up at most twice, 65 s apart, by one client at a time;
  - status_receipt: the same with the receipt of an incident filed earlier in the soak;
  - forget: a complaint started and half answered, then "forget this conversation" (intent
    forget_conversation); the bot must confirm that the conversation is erased, and a "hello" after it must
    get the greeting;
  - policy: a greeting, three policy questions and a goodbye (bench_conversations' script).
  A status check with no earlier case ready (start of the soak, every case looked up twice) runs a filing
  instead; the warm-up files a few of each before the measurement.
- Counted per kind: conversations completed, errors (HTTP errors, timeouts, a filing without a reference, a code
  not accepted, a status check that does not show the case, a forget that does not confirm), HTTP 5xx seen by the
  clients, latency p50/p95 per message; and from the logs of the backend, the action server and Rasa: HTTP 5xx
  (the backend's access log), tracebacks and ERROR lines.
- RSS (MB, each process with its children) of the backend, the action server and Rasa after the warm-up, the
  peak (sampled every 10 s) and at the end, and the growth.

    .venv/bin/python bench/bench_soak.py                     # 50 clients x 300 s, embedded stores (~7 min)
    .venv/bin/python bench/bench_soak.py --production        # the same on PostgreSQL trackers + Redis locks
    .venv/bin/python bench/bench_soak.py --quick             # 10 clients x 60 s, to develop with
    .venv/bin/python bench/bench_soak.py --clients 20 --duration 120 --keep-failures 5 --keep-logs /tmp/soak-logs

Prints a line every 30 s, then one table: per kind the conversations, errors and latencies, the error reasons,
the log findings, the RSS per process, and the lines "errors: N (target 0)" and "5xx: N (target 0)". The exit
code is 0 when the soak ran, whatever it counted (a bench prints numbers); 1 only when it could not run.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import json
import os
import platform
import re
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Awaitable, Callable, Counter, Dict, Iterator, List, Optional, Tuple

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("SQLALCHEMY_SILENCE_UBER_WARNING", "1")
os.environ.setdefault("RASA_TELEMETRY_ENABLED", "false")
ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import aiohttp  # noqa: E402

from bench.bench_conversations import (  # noqa: E402
    NAMES, RASA_VERSION, SCRIPT_TEXTS, YES, OutboxReader, child_pid, cpu_seconds, model_identity, percentile,
    rss_mb,
)
from scripts.test_phrases import PHRASES  # noqa: E402
from tests.actions.flow_harness import CODE_RE  # noqa: E402
from tests.e2e_stack import MODEL, running_stack  # noqa: E402
from tests.support import REFERENCE  # noqa: E402

LANGUAGES = ("sv", "nb", "en")
RECEIPT = re.compile(r"(?<!\d)\d{16}(?!\d)")
REDIS_LOCK_DB = "12"  # not tests/test_e2e_production_stores.py's 7, which that test flushes
PG_ADMIN_DSN = "host=127.0.0.1 port=5432 user=postgres dbname=test"

# What the bot says at the points a conversation is checked (actions/texts.py, domain.yml).
ASK_NAME = {"sv": "Vad heter du", "nb": "Hva heter du", "en": "What is your name"}
ASK_EMAIL = {"sv": "Vilken e-postadress", "nb": "Hvilken e-postadresse", "en": "Which e-mail address"}
SUMMARY = {"sv": "Stämmer det här?", "nb": "Stemmer dette?", "en": "Is this correct?"}
ASK_REFERENCE = {"sv": "Vilket ärendenummer", "nb": "Hvilket saksnummer", "en": "What is the case reference"}
ASK_METHOD = {"sv": "Hur vill du visa", "nb": "Hvordan vil du vise", "en": "How do you want to prove"}
ASK_CODE = {"sv": "6-siffrig kod", "nb": "6-sifret kode", "en": "6-digit code"}
ASK_RECEIPT = {"sv": "16 siffror", "nb": "16 sifre", "en": "16 digits"}
STATUS_RESULT = {"sv": "Ärende {reference} (", "nb": "Sak {reference} (", "en": "Case {reference} ("}
FORGOTTEN = {"sv": "konversationen är raderad", "nb": "samtalen er slettet", "en": "conversation has been erased"}
GREETING = {"sv": "Jag är integritetsassistenten", "nb": "Jeg er personvernassistenten",
            "en": "I am the privacy assistant"}
# "forget this conversation" (intent forget_conversation, data/nlu/*.yml); "forget it" would be stop.
FORGET = {"sv": "glöm den här konversationen", "nb": "slett denne samtalen", "en": "forget this conversation"}
GREET = {"sv": "hej", "nb": "hei", "en": "hello"}
ACCESS_OPENING = {lang: SCRIPT_TEXTS["filing"][lang][1][1] for lang in LANGUAGES}  # bench_conversations' words
# The status method buttons' payloads (actions/questions/codes.py: ask_status_method), sent as the widget does.
BY_EMAIL, BY_RECEIPT = "email", "receipt"
KINDS = ("filing", "incident", "status_email", "status_receipt", "forget", "policy")
# One client's round: filings and policy questions twice, the rest once (rotated per client).
CYCLE = ("filing", "status_email", "policy", "incident", "forget", "filing", "status_receipt", "policy")
STATUS_CODES_PER_CASE = 2  # the filing's code + 2 status codes = the backend's 3 codes per address per hour
STATUS_CODE_INTERVAL_S = 65.0  # the backend sends a new status code at most once per 60 s per case


class Failure(Exception):
    """A conversation that did not do what it should; the message is the reason counted."""


# ------------------------------------------------------------------------------------------ the stack


@dataclass
class SoakStack:
    description: str
    rasa_port: int
    pids: Dict[str, int]  # backend, actions, rasa
    outbox: Path
    logs: Dict[str, Path]

    @property
    def webhook(self) -> str:
        return f"http://127.0.0.1:{self.rasa_port}/webhooks/rest/webhook"


@contextmanager
def embedded_stack(work: Path) -> Iterator[SoakStack]:
    with running_stack(work, ROOT / "credentials.yml") as stack:
        assert stack.backend.process is not None
        yield SoakStack(
            "embedded defaults: backend SQLite, redacting SQLite tracker store, in-memory lock store",
            stack.rasa_port,
            {"backend": stack.backend.process.pid, "actions": child_pid(stack.action_port, "actions"),
             "rasa": child_pid(stack.rasa_port, "--enable-api")},
            stack.backend.outbox,
            {"backend": stack.backend.log_path, "actions": stack.action_log, "rasa": stack.rasa_log})


@contextmanager
def production_stack(work: Path) -> Iterator[SoakStack]:
    """endpoints.production.yml as tests/test_e2e_production_stores.py runs it: a fresh PostgreSQL database for
    the trackers (dropped afterwards), the Redis lock store; the backend on SQLite."""
    import psycopg2

    from tests.test_e2e_production_stores import ProductionStack

    name = f"soak_trackers_{secrets.token_hex(6)}"
    admin = psycopg2.connect(PG_ADMIN_DSN)
    admin.autocommit = True
    with admin.cursor() as cur:
        cur.execute(f'CREATE DATABASE "{name}"')
    stack = ProductionStack(work, name)
    stack.env["REDIS_LOCK_DB"] = REDIS_LOCK_DB
    try:
        stack.backend.migrate()
        stack.backend.start()
        stack.start_actions()
        stack.start_rasa()
        assert stack.backend.process and stack.actions and stack.rasa
        yield SoakStack(
            f"production stores: backend SQLite, redacting tracker store on PostgreSQL (database {name}),"
            f" Redis lock store (db {REDIS_LOCK_DB})",
            stack.rasa_port,
            {"backend": stack.backend.process.pid, "actions": stack.actions.pid, "rasa": stack.rasa.pid},
            stack.backend.outbox,
            {"backend": stack.backend.log_path, "actions": work / "actions.log", "rasa": work / "rasa.log"})
    finally:
        stack.stop()
        with admin.cursor() as cur:
            cur.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s", (name,))
            cur.execute(f'DROP DATABASE IF EXISTS "{name}"')
        admin.close()


class SoakOutbox(OutboxReader):
    """bench_conversations' OutboxReader with an index reference -> codes in the order they were e-mailed (a
    status check needs the newest code, not the filing's), and at most one directory scan per 0.1 s for all
    clients together (50 clients polling a directory of thousands of files would load the machine)."""

    def __init__(self, directory: Path) -> None:
        super().__init__(directory)
        self.codes: Dict[str, List[str]] = collections.defaultdict(list)
        self._indexed = 0
        self._scanned_at = 0.0

    def scan(self, force: bool = False) -> None:
        now = time.monotonic()
        if not force and now - self._scanned_at < 0.1:
            return
        self._scanned_at = now
        self._scan()
        names = list(self.parsed)  # insertion order: the order the files were first seen
        for name in names[self._indexed:]:
            subject, body = self.parsed[name]
            match = CODE_RE.search(body)
            if match:
                for reference in sorted(set(REFERENCE.findall(subject + "\n" + body))):
                    self.codes[reference].append(match.group(1))
        self._indexed = len(names)

    def count(self, reference: str) -> int:
        self.scan(force=True)
        return len(self.codes.get(reference, []))

    async def code_after(self, reference: str, seen: int, timeout: float = 30.0) -> Optional[str]:
        """The newest code for `reference` once more than `seen` were e-mailed (the backend mails in the
        background, so wait)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            self.scan()
            codes = self.codes.get(reference, [])
            if len(codes) > seen:
                return codes[-1]
            await asyncio.sleep(0.1)
        return None


# ------------------------------------------------------------------------- cases filed during the soak


@dataclass
class FiledCase:
    reference: str
    lang: str
    email: Optional[str] = None  # named cases
    receipt: Optional[str] = None  # anonymous incident reports
    status_codes: int = 0
    last_code_at: float = 0.0
    busy: bool = False


class CasePool:
    """The cases the soak filed, for the status checks. A case with an e-mail is looked up by one client at a
    time (it waits for the code it asked for), at most STATUS_CODES_PER_CASE times, STATUS_CODE_INTERVAL_S
    apart: more would hit the backend's code limits, which are not what the soak measures."""

    def __init__(self) -> None:
        self.named: List[FiledCase] = []
        self.anonymous: List[FiledCase] = []
        self._turn = 0

    def take_named(self) -> Optional[FiledCase]:
        now = time.monotonic()
        for case in self.named:
            if (not case.busy and case.status_codes < STATUS_CODES_PER_CASE
                    and now - case.last_code_at >= STATUS_CODE_INTERVAL_S):
                case.busy = True
                return case
        return None

    def take_anonymous(self) -> Optional[FiledCase]:
        if not self.anonymous:
            return None
        self._turn += 1
        return self.anonymous[self._turn % len(self.anonymous)]


# ------------------------------------------------------------------------------------------ the clients


@dataclass
class KindTally:
    started: int = 0
    completed: int = 0
    failures: Counter[str] = field(default_factory=collections.Counter)
    latencies: List[float] = field(default_factory=list)
    fallbacks: int = 0  # status checks that ran a filing because no earlier case was ready


@dataclass
class Tally:
    kinds: Dict[str, KindTally] = field(default_factory=lambda: {kind: KindTally() for kind in KINDS})
    http_5xx: int = 0
    failed_transcripts: List[str] = field(default_factory=list)

    @property
    def errors(self) -> int:
        return sum(sum(k.failures.values()) for k in self.kinds.values())

    @property
    def completed(self) -> int:
        return sum(k.completed for k in self.kinds.values())

    @property
    def messages(self) -> int:
        return sum(len(k.latencies) for k in self.kinds.values())


class Conversation:
    """One person in the chat: a sender id, a language, the transcript (printed for failures only)."""

    def __init__(self, session: aiohttp.ClientSession, stack: SoakStack, lang: str, kind: str, tally: Tally,
                 label: str) -> None:
        self.session, self.stack, self.lang, self.kind, self.tally = session, stack, lang, kind, tally
        self.sender = f"soak-{label}-{uuid.uuid4().hex[:8]}"
        self.lines: List[str] = [f"--- {kind} {lang} {self.sender} ---"]

    async def say(self, text: str) -> str:
        """Send `text`; the bot's replies as one text. Raises Failure on HTTP errors, timeouts, no reply."""
        body = {"sender": self.sender, "message": text, "metadata": {"language": self.lang}}
        started = time.perf_counter()
        self.lines.append(f"  user: {text}")
        try:
            async with self.session.post(self.stack.webhook, json=body) as response:
                raw = await response.read()
                status = response.status
        except asyncio.TimeoutError:
            raise Failure("timeout") from None
        except aiohttp.ClientError as error:
            raise Failure(f"HTTP client error {type(error).__name__}") from None
        self.tally.kinds[self.kind].latencies.append(time.perf_counter() - started)
        if status >= 500:
            self.tally.http_5xx += 1
        if status != 200:
            raise Failure(f"HTTP {status}")
        try:
            replies = json.loads(raw)
        except ValueError:
            raise Failure("reply not JSON") from None
        said = "\n".join(str(r.get("text") or "") for r in replies)
        self.lines.append("  bot : " + (said or "(nothing)").replace("\n", "\n        "))
        if not replies:
            raise Failure("no reply")
        return said

    async def expect(self, text: str, wanted: str, reason: str) -> str:
        said = await self.say(text)
        if wanted not in said:
            raise Failure(reason)
        return said


async def identify(conv: Conversation, said: str, address: str) -> None:
    """From the name question to the summary (name, e-mail)."""
    lang = conv.lang
    if ASK_NAME[lang] not in said:
        raise Failure("name not asked")
    await conv.expect(NAMES[lang], ASK_EMAIL[lang], "e-mail not asked")
    summary = await conv.say(address)
    if SUMMARY[lang] not in summary or address not in summary:
        raise Failure("no summary with the address")


async def file_named(conv: Conversation, outbox: SoakOutbox, pool: CasePool, erasure: bool) -> None:
    """An access or erasure request to the end: the reference after "yes", the e-mailed code accepted."""
    lang = conv.lang
    address = f"soak.{uuid.uuid4().hex[:10]}@example.com"  # synthetic and unique: every filing is a new case
    await conv.say(GREET[lang])
    said = await conv.say(PHRASES[lang]["erasure"] if erasure else ACCESS_OPENING[lang])
    if erasure and ASK_NAME[lang] not in said:  # "what should be erased?" unless the opening said it
        said = await conv.say(PHRASES[lang]["everything"])
    await identify(conv, said, address)
    filed = await conv.say(YES[lang])
    found = REFERENCE.findall(filed)
    if not found:
        raise Failure("filing without a reference")
    reference = found[-1]
    if ASK_CODE[lang] not in filed:
        raise Failure("code not asked after filing")
    code = await outbox.code_after(reference, 0)
    if code is None:
        raise Failure("no code e-mail for the filing")
    if reference not in await conv.say(code):
        raise Failure("filing code not accepted")
    pool.named.append(FiledCase(reference, lang, email=address))  # its first status code may go out at once


async def file_incident(conv: Conversation, pool: CasePool) -> None:
    """An anonymous incident report (scripts/test_phrases.py's answers): reference and 16-digit receipt."""
    lang, words = conv.lang, PHRASES[conv.lang]
    await conv.say(words["incident"])
    for key in ("incident_what", "incident_when", "incident_data", "incident_count", "no", "yes"):
        await conv.say(words[key])
    summary = await conv.say(words["yes"])  # anonymous: yes
    if SUMMARY[lang] not in summary:
        raise Failure("no incident summary")
    filed = await conv.say(YES[lang])
    references, receipts = REFERENCE.findall(filed), RECEIPT.findall(filed)
    if not references or not references[-1].startswith("INC-"):
        raise Failure("incident without a reference")
    if len(receipts) != 1:
        raise Failure("incident without a receipt")
    pool.anonymous.append(FiledCase(references[-1], lang, receipt=receipts[0]))


async def status_by_email(conv: Conversation, outbox: SoakOutbox, case: FiledCase) -> None:
    lang = conv.lang
    await conv.expect(PHRASES[lang]["status"], ASK_REFERENCE[lang], "reference not asked")
    await conv.expect(case.reference, ASK_METHOD[lang], "proof method not asked")
    await conv.expect(BY_EMAIL, ASK_EMAIL[lang], "status e-mail not asked")
    seen = outbox.count(case.reference)
    case.status_codes += 1  # counted before the answer: the backend may have issued it even if the turn fails
    case.last_code_at = time.monotonic()
    await conv.expect(case.email or "", ASK_CODE[lang], "status code not asked")
    code = await outbox.code_after(case.reference, seen)
    if code is None:
        raise Failure("no status code e-mail")
    answer = await conv.say(code)
    if STATUS_RESULT[lang].format(reference=case.reference) not in answer:
        raise Failure("status check does not show the case (e-mail code)")


async def status_by_receipt(conv: Conversation, case: FiledCase) -> None:
    lang = conv.lang
    await conv.expect(PHRASES[lang]["status"], ASK_REFERENCE[lang], "reference not asked")
    await conv.expect(case.reference, ASK_METHOD[lang], "proof method not asked")
    await conv.expect(BY_RECEIPT, ASK_RECEIPT[lang], "receipt not asked")
    answer = await conv.say(case.receipt or "")
    if STATUS_RESULT[lang].format(reference=case.reference) not in answer:
        raise Failure("status check does not show the case (receipt)")


async def forget(conv: Conversation) -> None:
    """A complaint half answered, then "forget this conversation": erased, and the next message starts afresh."""
    lang, words = conv.lang, PHRASES[conv.lang]
    await conv.say(words["complaint"])
    await conv.expect(words["complaint_what"], ASK_NAME[lang], "name not asked")
    await conv.expect(NAMES[lang], ASK_EMAIL[lang], "e-mail not asked")
    await conv.expect(FORGET[lang], FORGOTTEN[lang], "forget not confirmed")
    said = await conv.say(GREET[lang])
    if GREETING[lang] not in said or ASK_EMAIL[lang] in said:
        raise Failure("no fresh start after forget")


async def policy(conv: Conversation) -> None:
    for _, text in SCRIPT_TEXTS["policy"][conv.lang]:
        await conv.say(text)


async def run_one(session: aiohttp.ClientSession, stack: SoakStack, outbox: SoakOutbox, pool: CasePool,
                  tally: Tally, kind: str, lang: str, label: str, erasure: bool, keep_failures: int) -> None:
    """One conversation of `kind` (a status check with no case ready becomes a filing), tallied."""
    case: Optional[FiledCase] = None
    if kind == "status_email":
        case = pool.take_named()
    elif kind == "status_receipt":
        case = pool.take_anonymous()
    if kind.startswith("status") and case is None:
        tally.kinds[kind].fallbacks += 1
        kind = "filing" if kind == "status_email" else "incident"
    conv = Conversation(session, stack, lang, kind, tally, label)
    counted = tally.kinds[kind]
    counted.started += 1
    try:
        if kind == "filing":
            await file_named(conv, outbox, pool, erasure)
        elif kind == "incident":
            await file_incident(conv, pool)
        elif kind == "status_email":
            assert case is not None
            await status_by_email(conv, outbox, case)
        elif kind == "status_receipt":
            assert case is not None
            await status_by_receipt(conv, case)
        elif kind == "forget":
            await forget(conv)
        else:
            await policy(conv)
    except Failure as failure:
        counted.failures[str(failure)] += 1
        if len(tally.failed_transcripts) < keep_failures:
            tally.failed_transcripts.append("\n".join(conv.lines + [f"  => {failure}"]))
        return
    finally:
        if case is not None and kind == "status_email":
            case.busy = False
    counted.completed += 1


async def run_clients(stack: SoakStack, outbox: SoakOutbox, pool: CasePool, clients: int, seconds: float,
                      timeout: float, keep_failures: int,
                      on_tick: Optional[Callable[[Tally, float], Awaitable[None]]] = None) -> Tuple[Tally, float]:
    """`clients` concurrent clients looping over CYCLE for `seconds` (a conversation started before the end runs
    to its end, so that every started conversation is judged); (tally, elapsed seconds)."""
    tally = Tally()
    started = time.monotonic()
    deadline = started + seconds

    async def client(number: int, session: aiohttp.ClientSession) -> None:
        turn = 0
        while time.monotonic() < deadline:
            kind = CYCLE[(number + turn) % len(CYCLE)]
            lang = LANGUAGES[(number + turn + turn // len(CYCLE)) % len(LANGUAGES)]
            await run_one(session, stack, outbox, pool, tally, kind, lang, f"c{number}t{turn}",
                          erasure=(number + turn // len(CYCLE)) % 2 == 1, keep_failures=keep_failures)
            turn += 1

    async def ticker() -> None:
        while on_tick is not None:
            await asyncio.sleep(10)
            await on_tick(tally, time.monotonic() - started)

    connector = aiohttp.TCPConnector(limit=0)
    async with aiohttp.ClientSession(connector=connector, timeout=aiohttp.ClientTimeout(total=timeout)) as session:
        ticking = asyncio.ensure_future(ticker())
        try:
            await asyncio.gather(*(client(n, session) for n in range(clients)))
        finally:
            ticking.cancel()
    return tally, time.monotonic() - started


async def warm_up(stack: SoakStack, outbox: SoakOutbox, pool: CasePool, timeout: float) -> Tally:
    """Not measured: TensorFlow builds its graphs on the first messages. Two filings and an incident report per
    language first (the status checks need earlier cases), then every kind once per language."""
    tally = Tally()
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=timeout)) as session:
        await asyncio.gather(*(run_one(session, stack, outbox, pool, tally, kind, lang, f"warm{i}{lang}",
                                       erasure=i == 1, keep_failures=5)
                               for lang in LANGUAGES for i, kind in enumerate(("filing", "filing", "incident"))))
        await asyncio.gather(*(run_one(session, stack, outbox, pool, tally, kind, lang, f"warm-{kind}-{lang}",
                                       erasure=False, keep_failures=5)
                               for lang in LANGUAGES for kind in KINDS))
    return tally


# ----------------------------------------------------------------------------------------------- logs

BACKEND_5XX = re.compile(r'" 5\d\d \d+ ')  # backend/__main__.py's access log format: '"%r" %s %b %Tfs'
SANIC_5XX = re.compile(r"\b(?:status|HTTP/1\.[01]\"?)\s*[:=]?\s*5\d\d\b")
TRACEBACK = "Traceback (most recent call last)"
ERROR_LINE = re.compile(r"\bERROR\b")
WARNING_LINE = re.compile(r"\bWARNING\b")  # e.g. the action server's backend client retrying a call


@dataclass
class LogFindings:
    lines: int  # how much was read (an empty log would find nothing)
    http_5xx: int
    tracebacks: int
    error_lines: int
    warning_lines: int
    examples: List[str]


def read_log(path: Path, offset: int, process: str) -> LogFindings:
    if not path.exists():
        return LogFindings(0, 0, 0, 0, 0, [])
    with path.open("rb") as handle:
        handle.seek(offset)
        text = handle.read().decode(errors="replace")
    fivexx = BACKEND_5XX if process == "backend" else SANIC_5XX
    lines = text.splitlines()
    bad = [line for line in lines if fivexx.search(line) or ERROR_LINE.search(line) or TRACEBACK in line
           or WARNING_LINE.search(line)]
    return LogFindings(len(lines), sum(1 for line in lines if fivexx.search(line)), text.count(TRACEBACK),
                       sum(1 for line in lines if ERROR_LINE.search(line)),
                       sum(1 for line in lines if WARNING_LINE.search(line)), bad[:3])


def log_sizes(stack: SoakStack) -> Dict[str, int]:
    return {name: path.stat().st_size if path.exists() else 0 for name, path in stack.logs.items()}


# ---------------------------------------------------------------------------------------------- report


def ms(seconds: float) -> str:
    return "-" if seconds != seconds else f"{seconds * 1000:.0f}"


def report(tally: Tally, elapsed: float, clients: int, rss: Dict[str, Dict[str, float]],
           logs: Dict[str, LogFindings], whole_logs: Dict[str, LogFindings], cpu: Dict[str, float],
           warm: Tally) -> str:
    lines = ["| kind | started | completed | errors | messages | p50 ms | p95 ms | status fallbacks |",
             "| --- | --- | --- | --- | --- | --- | --- | --- |"]
    every: List[float] = []
    for kind in KINDS:
        k = tally.kinds[kind]
        every += k.latencies
        lines.append(f"| {kind} | {k.started} | {k.completed} | {sum(k.failures.values())} | {len(k.latencies)} |"
                     f" {ms(percentile(k.latencies, .5))} | {ms(percentile(k.latencies, .95))} |"
                     f" {k.fallbacks if kind.startswith('status') else '-'} |")
    started = sum(k.started for k in tally.kinds.values())
    lines.append(f"| all | {started} | {tally.completed} | {tally.errors} | {len(every)} |"
                 f" {ms(percentile(every, .5))} | {ms(percentile(every, .95))} | - |")
    lines += ["", f"{clients} clients, {elapsed:.0f} s, {len(every) / elapsed:.1f} messages/s,"
                  f" {tally.completed / elapsed * 60:.0f} conversations/min"]
    reasons = collections.Counter()
    for kind in KINDS:
        for reason, n in tally.kinds[kind].failures.items():
            reasons[f"{kind}: {reason}"] += n
    if reasons:
        lines += ["", "| error | count |", "| --- | --- |"] + [f"| {r} | {n} |" for r, n in reasons.most_common()]
    lines += ["", "| log: during the soak (whole log, start-up included) | lines | HTTP 5xx | tracebacks |"
              " ERROR lines | WARNING lines |",
              "| --- | --- | --- | --- | --- | --- |"]
    for name in ("backend", "actions", "rasa"):
        now, whole = logs[name], whole_logs[name]
        lines.append(f"| {name} | {now.lines} ({whole.lines}) | {now.http_5xx} ({whole.http_5xx}) |"
                     f" {now.tracebacks} ({whole.tracebacks}) |"
                     f" {now.error_lines} ({whole.error_lines}) | {now.warning_lines} ({whole.warning_lines}) |")
    lines += ["", "| process (with children) | RSS MB after warm-up | peak | at the end | growth | CPU s in the soak |",
              "| --- | --- | --- | --- | --- | --- |"]
    for name in ("backend", "actions", "rasa"):
        start, peak, end = rss["start"][name], rss["peak"][name], rss["end"][name]
        lines.append(f"| {name} | {start:.0f} | {peak:.0f} | {end:.0f} | {end - start:+.0f}"
                     f" ({(end - start) / start:+.0%}) | {cpu[name]:.0f} |")
    log_5xx = sum(f.http_5xx for f in logs.values())
    warm_problems = warm.errors + warm.http_5xx
    lines += ["", f"errors: {tally.errors} (target 0)"
              + (f"  [and {warm.errors} errors, {warm.http_5xx} 5xx in the warm-up]" if warm_problems else ""),
              f"5xx: {tally.http_5xx + log_5xx} (target 0)  [clients saw {tally.http_5xx}; logs: "
              + ", ".join(f"{name} {logs[name].http_5xx}" for name in ("backend", "actions", "rasa")) + "]",
              "tracebacks: " + ", ".join(f"{name} {logs[name].tracebacks}" for name in ("backend", "actions", "rasa"))]
    return "\n".join(lines)


# ------------------------------------------------------------------------------------------------ main


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=50, help="concurrent conversations (default 50)")
    parser.add_argument("--duration", type=float, default=300.0, help="seconds of the soak (default 300)")
    parser.add_argument("--production", action="store_true",
                        help="PostgreSQL tracker store (a fresh database) and Redis lock store")
    parser.add_argument("--quick", action="store_true", help="10 clients for 60 s")
    parser.add_argument("--timeout", type=float, default=120.0, help="seconds before a request counts as an error")
    parser.add_argument("--keep-failures", type=int, default=3, help="transcripts of failed conversations to print")
    parser.add_argument("--keep-logs", metavar="DIR", help="copy the three processes' logs to DIR at the end")
    args = parser.parse_args()
    if args.quick:
        args.clients, args.duration = 10, 60.0
    return args


async def soak(args: argparse.Namespace, stack: SoakStack) -> None:
    outbox, pool = SoakOutbox(stack.outbox), CasePool()
    whole_start = {name: 0 for name in stack.logs}
    warm = await warm_up(stack, outbox, pool, args.timeout)
    print(f"warm-up: {warm.completed} conversations, {warm.errors} errors"
          + (f" {dict(r for k in warm.kinds.values() for r in k.failures.items())}" if warm.errors else "")
          + f"; {len(pool.named)} named and {len(pool.anonymous)} anonymous cases to look up", flush=True)
    for transcript in warm.failed_transcripts:
        print(transcript, flush=True)
    offsets = log_sizes(stack)
    rss_start = {name: rss_mb(pid) for name, pid in stack.pids.items()}
    peak = dict(rss_start)
    cpu_before = {name: cpu_seconds(pid) for name, pid in stack.pids.items()}
    print("RSS MB after warm-up: " + ", ".join(f"{n} {v:.0f}" for n, v in rss_start.items()), flush=True)
    print(f"soak: {args.clients} clients x {args.duration:.0f} s ...", flush=True)
    last_print = [0.0]

    async def tick(tally: Tally, elapsed: float) -> None:
        for name, pid in stack.pids.items():
            peak[name] = max(peak[name], rss_mb(pid))
        if elapsed - last_print[0] >= 30:
            last_print[0] = elapsed
            print(f"  {elapsed:5.0f} s: {tally.completed} conversations, {tally.messages} messages,"
                  f" {tally.errors} errors, {tally.http_5xx} 5xx; RSS MB "
                  + ", ".join(f"{n} {rss_mb(p):.0f}" for n, p in stack.pids.items())
                  + f"; load {os.getloadavg()[0]:.1f}", flush=True)

    tally, elapsed = await run_clients(stack, outbox, pool, args.clients, args.duration, args.timeout,
                                       args.keep_failures, tick)
    await asyncio.sleep(2)  # the last log lines and e-mails
    rss_end = {name: rss_mb(pid) for name, pid in stack.pids.items()}
    for name in peak:
        peak[name] = max(peak[name], rss_end[name])
    cpu = {name: cpu_seconds(pid) - cpu_before[name] for name, pid in stack.pids.items()}
    logs = {name: read_log(path, offsets[name], name) for name, path in stack.logs.items()}
    whole = {name: read_log(path, whole_start[name], name) for name, path in stack.logs.items()}
    print(f"\nload average {os.getloadavg()[0]:.2f} at the end; model file now {model_identity()}")
    print(f"{len(pool.named)} named cases filed and {len(pool.anonymous)} anonymous reports in all;"
          f" {sum(c.status_codes for c in pool.named)} status codes asked for\n")
    print(report(tally, elapsed, args.clients, {"start": rss_start, "peak": peak, "end": rss_end}, logs, whole, cpu,
                 warm),
          flush=True)
    for name, found in logs.items():
        for example in found.examples:
            print(f"  {name} log: {example[:300]}")
    for transcript in tally.failed_transcripts:
        print("\n" + transcript)
    if args.keep_logs:  # the stack's work directory is temporary
        target = Path(args.keep_logs)
        target.mkdir(parents=True, exist_ok=True)
        for name, path in stack.logs.items():
            if path.exists():
                shutil.copy(path, target / f"{name}.log")
        print(f"logs copied to {target}")


def main() -> int:
    args = parse_args()
    if not MODEL.exists():
        print(f"no trained model at {MODEL}: run `make train` (or set E2E_MODEL to a model path)")
        return 1
    commit = subprocess.run(["git", "describe", "--always", "--dirty"], cwd=ROOT, capture_output=True,
                            text=True).stdout.strip() or "unknown"
    print(f"{platform.node()}: soak benchmark, commit {commit}, Rasa {RASA_VERSION}, {os.cpu_count()} CPUs,"
          f" load average {os.getloadavg()[0]:.2f}; model {model_identity()}", flush=True)
    with tempfile.TemporaryDirectory(prefix="bench-soak-") as tmp:
        work = Path(tmp)
        starting = production_stack if args.production else embedded_stack
        with starting(work) as stack:
            print(f"stack: {stack.description}", flush=True)
            asyncio.run(soak(args, stack))
    return 0


if __name__ == "__main__":
    sys.exit(main())
