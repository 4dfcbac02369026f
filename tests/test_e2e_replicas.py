"""Replicas end to end: `python -m scripts.run_replicas` (what `make run-replicas` runs) with real processes.

One backend, two action servers and two Rasa servers on PostgreSQL trackers (a scratch database the script
creates, dropped afterwards) and the Redis lock store, with HAProxy (Debian's package) in front. A Swedish
access request is filed with each message sent straight to the other Rasa replica than the one before, while
other conversations run at the same time through HAProxy: two filings and two that ask policy questions (two
of them kept by HAProxy on each Rasa server), and four that each send two messages at the same moment.

Checked: every message is answered with the answer its step needs; each case is filed exactly once (staff
API); what PostgreSQL holds for every conversation is its messages once each, in the order sent, each
followed by exactly the replies its sender got (two messages sent at once: one after the other, never
interleaved); HAProxy kept each conversation on one Rasa server and used both, and spread Rasa's action
calls over both action servers; both Rasa servers used the Redis lock store; and the script stops every
process when it is told to.
"""
from __future__ import annotations

import csv
import io
import json
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import threading
import time
import urllib.error
import urllib.request
import uuid
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Dict, Iterator, List, Optional, Sequence, Tuple

import psycopg2
import pytest
import redis
from cryptography.fernet import Fernet

from bot.redaction import PLACEHOLDERS, redact_text
from tests.actions.flow_harness import PYTHON, ROOT, BackendProcess
from tests.e2e_stack import (ACTIONS_START_TIMEOUT_S, RASA_START_TIMEOUT_S, TEAMS_VARIABLES, create_staff_token,
                             model_or_skip, staff_case, wait_http)
from tests.support import DATE, REFERENCE, free_port

pytestmark = pytest.mark.e2e

PG_ADMIN_DSN = "host=127.0.0.1 port=5432 user=postgres dbname=test"
REDIS_LOCK_DB = 12  # a database of its own, so the test can see that both Rasa servers use it
HAPROXY = os.environ.get("HAPROXY") or shutil.which("haproxy") or "/usr/sbin/haproxy"
STOP_TIMEOUT_S = 40  # the script gives its children 15 s before it kills them
POLICY_QUESTIONS = {"sv": ("hur länge sparar ni min ansökan?", "3 månader"),
                    "en": ("how long do you keep my job application?", "3 more months")}


# ------------------------------------------------------------------------------------------- the replicas


@dataclass
class Replicas:
    backend: BackendProcess
    public_url: str  # HAProxy's public frontend
    rasa_urls: List[str]  # the Rasa servers themselves
    stats_url: str
    action_ports: List[int]
    tracker_db: str
    log: Path
    process: subprocess.Popen

    def stats(self) -> Dict[Tuple[str, str], Dict[str, str]]:
        """HAProxy's statistics: (proxy, server) -> row (status, stot = requests served, ...)."""
        with urllib.request.urlopen(self.stats_url + ";csv", timeout=5) as response:
            text = response.read().decode().lstrip("# ")
        return {(row["pxname"], row["svname"]): row for row in csv.DictReader(io.StringIO(text))}


@pytest.fixture
def tracker_db() -> Iterator[str]:
    """A database name nobody uses; the script under test creates it. Dropped afterwards."""
    name = f"replicas_{secrets.token_hex(6)}"
    try:
        yield name
    finally:
        admin = psycopg2.connect(PG_ADMIN_DSN)
        admin.autocommit = True
        try:
            with admin.cursor() as cur:
                cur.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s", (name,))
                cur.execute(f'DROP DATABASE IF EXISTS "{name}"')
        finally:
            admin.close()


def _port_open(port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(0.5)
        return sock.connect_ex(("127.0.0.1", port)) == 0


def _stop_replicas(process: subprocess.Popen) -> Optional[int]:
    """SIGTERM to the script, which stops its children; the whole process group if it does not manage."""
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            return process.wait(timeout=STOP_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)  # our own group only (start_new_session)
            process.wait()
            return None
    return process.returncode


@contextmanager
def running_replicas(work: Path, tracker_db: str) -> Iterator[Replicas]:
    model = model_or_skip()
    if not Path(HAPROXY).exists():
        pytest.skip(f"HAProxy is not installed at {HAPROXY} (`make test` installs Debian's haproxy package)")
    backend = BackendProcess(work)  # its settings, outbox and helpers; the script runs the server itself
    backend.migrate()
    public, actions_lb, stats = free_port(), free_port(), free_port()
    rasa_ports, action_ports = [free_port(), free_port()], [free_port(), free_port()]
    env = {
        **backend.env,
        **{name: "" for name in TEAMS_VARIABLES},
        "BIND_HOST": "127.0.0.1", "BACKEND_PORT": str(backend.port), "BACKEND_URL": backend.url,
        "RASA_PORT": str(public), "ACTIONS_PORT": str(actions_lb), "LB_STATS_PORT": str(stats),
        "RASA_REPLICA_PORTS": ",".join(map(str, rasa_ports)),
        "ACTIONS_REPLICA_PORTS": ",".join(map(str, action_ports)),
        "RASA_MODEL": str(model), "HAPROXY": HAPROXY,
        "TRACKER_DB_HOST": "127.0.0.1", "TRACKER_DB_PORT": "5432", "TRACKER_DB_NAME": tracker_db,
        "TRACKER_DB_USER": "postgres", "TRACKER_DB_PASSWORD": "",
        "REDIS_HOST": "127.0.0.1", "REDIS_PORT": "6379", "REDIS_LOCK_DB": str(REDIS_LOCK_DB),
        "TRACKER_ENCRYPTION_KEYS": Fernet.generate_key().decode("ascii"),
        "RASA_TELEMETRY_ENABLED": "false", "TF_CPP_MIN_LOG_LEVEL": "2", "SQLALCHEMY_SILENCE_UBER_WARNING": "1",
    }
    env.pop("TRACKER_DB_URL", None)
    log = work / "replicas.log"
    process = subprocess.Popen([PYTHON, "-m", "scripts.run_replicas"], cwd=ROOT, env=env,
                               stdout=log.open("wb"), stderr=subprocess.STDOUT, start_new_session=True)
    replicas = Replicas(backend, f"http://127.0.0.1:{public}", [f"http://127.0.0.1:{p}" for p in rasa_ports],
                        f"http://127.0.0.1:{stats}/stats", action_ports, tracker_db, log, process)
    try:
        wait_http(f"{backend.url}/healthz", process, log, 60)
        for port in action_ports:
            wait_http(f"http://127.0.0.1:{port}/health", process, log, ACTIONS_START_TIMEOUT_S)
        for url in replicas.rasa_urls:  # Rasa listens only once its model is loaded
            wait_http(url + "/", process, log, RASA_START_TIMEOUT_S)
        _wait_until_haproxy_sees_every_server(replicas)
        yield replicas
    finally:
        code = _stop_replicas(process)
        assert code == 0, f"run_replicas exited with {code}:\n{log.read_text(errors='replace')[-3000:]}"
        ports = [public, actions_lb, stats, backend.port, *rasa_ports, *action_ports]
        assert not [p for p in ports if _port_open(p)], "a process outlived `run_replicas`"


def _wait_until_haproxy_sees_every_server(replicas: Replicas, timeout: float = 30) -> None:
    wanted = [("rasa_servers", "rasa1"), ("rasa_servers", "rasa2"),
              ("action_servers", "actions1"), ("action_servers", "actions2")]
    deadline = time.monotonic() + timeout
    rows: Dict[Tuple[str, str], Dict[str, str]] = {}
    while time.monotonic() < deadline:
        rows = replicas.stats()
        if all(rows.get(key, {}).get("status") == "UP" for key in wanted):
            return
        time.sleep(0.5)
    states = [(key, rows.get(key, {}).get("status")) for key in wanted]
    raise AssertionError(f"HAProxy does not see every server up: {states}")


# ------------------------------------------------------------------------------------------ conversations


@dataclass
class Turn:
    text: str
    replies: List[Dict[str, Any]]
    served_by: str  # the Rasa server that answered (HAProxy's X-Served-By, or the replica we addressed)


@dataclass
class Conversation:
    label: str
    lang: str
    sender: str = ""
    turns: List[Turn] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.sender = self.sender or f"replicas-{self.label}-{uuid.uuid4().hex[:10]}"

    def say(self, base_url: str, text: str) -> str:
        body = json.dumps({"sender": self.sender, "message": text, "metadata": {"language": self.lang}}).encode()
        request = urllib.request.Request(base_url + "/webhooks/rest/webhook", data=body,
                                         headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=120) as response:
            replies = json.loads(response.read().decode())
            served_by = response.headers.get("X-Served-By") or base_url
        self.turns.append(Turn(text, replies, served_by))
        said = "\n".join(r.get("text") or "" for r in replies)
        assert said.strip(), f"{self.label}: no answer to message {len(self.turns)}\n{self.transcript()}"
        return said

    def transcript(self) -> str:
        lines = []
        for turn in self.turns:
            lines.append(f"  user: {turn.text}  [{turn.served_by}]")
            lines.extend(f"  bot : {r.get('text')}" for r in turn.replies)
        return "\n".join(lines)


def confirm_summary(chat: Conversation, url: str, confirm: str) -> str:
    """Say yes at the summary: the case is filed and its reference shown (the code is e-mailed)."""
    match = REFERENCE.search(chat.say(url, confirm))
    assert match, f"no reference after confirming:\n{chat.transcript()}"
    return match.group(0)


def main_filing(replicas: Replicas, email: str) -> Tuple[Conversation, str]:
    """The Swedish access request, each message to the other Rasa server than the one before."""
    chat = Conversation("main-sv", "sv")
    urls = replicas.rasa_urls
    said = chat.say(urls[0], "Jag vill ha ett registerutdrag, vilka uppgifter har ni om mig?")
    assert "Vad heter du" in said, chat.transcript()
    assert "Vilken e-postadress" in chat.say(urls[1], "Anna Svensson"), chat.transcript()
    assert "Stämmer det här?" in chat.say(urls[0], email), chat.transcript()
    reference = confirm_summary(chat, urls[1], "ja")
    assert "6-siffrig kod" in "\n".join(r.get("text") or "" for r in chat.turns[-1].replies), chat.transcript()
    final = chat.say(urls[0], replicas.backend.latest_code(reference))
    assert reference in final and DATE["sv"].search(final), chat.transcript()
    return chat, reference


def other_filing(replicas: Replicas, lang: str, email: str, sender: str) -> Tuple[Conversation, str]:
    """A Norwegian erasure request or an English application withdrawal, through HAProxy."""
    chat, url = Conversation(f"other-{lang}", lang, sender), replicas.public_url
    if lang == "nb":
        assert "Skal vi slette alt" in chat.say(url, "Jeg vil at dere sletter alle personopplysningene deres om meg")
        assert "Hva heter du" in chat.say(url, "alt sammen"), chat.transcript()
        assert "Hvilken e-postadresse" in chat.say(url, "Kari Nordmann"), chat.transcript()
        assert "Stemmer dette?" in chat.say(url, email), chat.transcript()
        confirm = "ja"
    else:
        assert "Which position and company" in chat.say(url, "I would like to withdraw my job application")
        assert "What is your name" in chat.say(url, "Consultant, Amesto Solutions AS"), chat.transcript()
        assert "Which e-mail address" in chat.say(url, "Jane Smith"), chat.transcript()
        assert "Is this correct?" in chat.say(url, email), chat.transcript()
        confirm = "yes"
    reference = confirm_summary(chat, url, confirm)
    final = chat.say(url, replicas.backend.latest_code(reference))
    assert reference in final and DATE[lang].search(final), chat.transcript()
    return chat, reference


def policy_questions(replicas: Replicas, lang: str, sender: str, main_done: threading.Event) -> Conversation:
    """Ask the same policy question through HAProxy until the main conversation is over (at least 3 times)."""
    chat = Conversation(f"policy-{lang}", lang, sender)
    question, answer = POLICY_QUESTIONS[lang]
    while len(chat.turns) < 3 or (not main_done.is_set() and len(chat.turns) < 40):
        assert answer in chat.say(replicas.public_url, question), chat.transcript()
    return chat


def two_at_once(replicas: Replicas, pairs: int) -> List[Conversation]:
    """New conversations that each send two messages through HAProxy at the same moment (a double send).

    Both must be handled one after the other. Sent to two different Rasa servers they are not always (Rasa
    3.6's Redis lock store, docs/SCALING.md); HAProxy's conversation affinity keeps them on one."""
    chats = []
    question, _answer = POLICY_QUESTIONS["sv"]
    for i in range(pairs):
        chat = Conversation(f"two-at-once-{i}", "sv")
        barrier = threading.Barrier(2)

        def send(chat: Conversation, barrier: threading.Barrier) -> None:
            barrier.wait(timeout=30)
            chat.say(replicas.public_url, question)  # list.append is atomic: both turns are kept

        threads = [threading.Thread(target=send, args=(chat, barrier)) for _ in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=150)
        assert len(chat.turns) == 2, f"{chat.label}: {len(chat.turns)} of 2 messages answered"
        chats.append(chat)
    return chats


def senders_by_replica(replicas: Replicas, per_replica: int) -> Dict[str, List[str]]:
    """Fresh conversation ids, `per_replica` of them for each Rasa server HAProxy maps them to. Asked with a
    POST to `/`, which Rasa refuses (405) without starting a conversation, but HAProxy routes by the body."""
    found: Dict[str, List[str]] = {"rasa1": [], "rasa2": []}
    for _ in range(200):
        if all(len(v) >= per_replica for v in found.values()):
            return found
        sender = f"replicas-{uuid.uuid4().hex[:12]}"
        request = urllib.request.Request(replicas.public_url + "/", data=json.dumps({"sender": sender}).encode(),
                                         headers={"Content-Type": "application/json"})
        try:
            urllib.request.urlopen(request, timeout=10).close()
            served_by = ""
        except urllib.error.HTTPError as error:  # the 405 is expected
            served_by = error.headers.get("X-Served-By") or ""
        if served_by in found and len(found[served_by]) < per_replica:
            found[served_by].append(sender)
    raise AssertionError(f"HAProxy did not map conversations to both Rasa servers: {found}")


# ------------------------------------------------------------------------------------------------ checks


def stored_turns(tracker_db: str, sender: str) -> List[Tuple[str, List[str]]]:
    """(user text, [bot texts that follow it]) for every user message PostgreSQL holds, in stored order."""
    conn = psycopg2.connect(f"host=127.0.0.1 port=5432 user=postgres dbname={tracker_db}")
    try:
        with conn.cursor() as cur:
            cur.execute("SELECT type_name, data FROM events WHERE sender_id = %s AND type_name IN ('user', 'bot') "
                        "ORDER BY id", (sender,))
            rows = cur.fetchall()
    finally:
        conn.close()
    turns: List[Tuple[str, List[str]]] = []
    for kind, data in rows:
        text = json.loads(data).get("text") or ""
        if kind == "user":
            turns.append((text, []))
        else:
            assert turns, f"a bot message stored before any user message for {sender}"
            turns[-1][1].append(text)
    return turns


def _same_text(stored: str, sent: str) -> bool:
    # The store keeps text redacted (bot/tracker_store.py): compare with what redaction makes of ours, and
    # read each placeholder the store put for a value the user gave ("Namn: [name]") as "some text".
    if stored in (sent, redact_text(sent), redact_text(sent, expect_code=True)):
        return True
    parts = re.split(r"(\[[a-z_-]+\])", stored)
    pattern = "".join(".+?" if part in PLACEHOLDERS.values() else re.escape(part) for part in parts)
    return re.fullmatch(pattern, sent, re.S) is not None


def assert_stored_one_after_the_other(tracker_db: str, chat: Conversation) -> None:
    """Two messages sent at once: stored as message, its replies, message, its replies (never interleaved)."""
    stored = stored_turns(tracker_db, chat.sender)
    received = sorted([r.get("text") or "" for r in t.replies] for t in chat.turns)
    assert len(stored) == 2 and sorted(bots for _user, bots in stored) == received, (
        f"{chat.label}: two messages sent at once were not handled one after the other: stored {stored}, "
        f"received {received}")


def assert_stored_in_order(tracker_db: str, chat: Conversation) -> None:
    stored = stored_turns(tracker_db, chat.sender)
    assert len(stored) == len(chat.turns), (
        f"{chat.label}: {len(chat.turns)} messages sent, {len(stored)} stored\n{chat.transcript()}")
    for i, (turn, (user_text, bot_texts)) in enumerate(zip(chat.turns, stored), start=1):
        received = [r.get("text") or "" for r in turn.replies]
        # A form answer the store keeps as its slot's placeholder ("[name]") cannot be compared as text.
        assert _same_text(user_text, turn.text) or user_text in PLACEHOLDERS.values(), (
            f"{chat.label}: message {i} stored out of order: {user_text!r} for {turn.text!r}")
        assert len(bot_texts) == len(received) and all(map(_same_text, bot_texts, received)), (
            f"{chat.label}: message {i}: stored replies {bot_texts} differ from the replies received {received}")


def cases_by_email(replicas: Replicas, token: str) -> Dict[str, List[Dict[str, Any]]]:
    request = urllib.request.Request(f"{replicas.backend.url}/api/v1/staff/cases",
                                     headers={"Authorization": f"Bearer {token}"})
    with urllib.request.urlopen(request, timeout=30) as response:
        summaries = json.loads(response.read().decode())["cases"]
    found: Dict[str, List[Dict[str, Any]]] = {}
    for summary in summaries:
        full = staff_case(replicas.backend, token, summary["reference"])
        found.setdefault(((full.get("requester") or {}).get("email") or "").lower(), []).append(full)
    return found


# ------------------------------------------------------------------------------------------------- test


def test_a_conversation_alternating_replicas_while_others_run_through_haproxy(tmp_path: Path, tracker_db: str) -> None:
    started = time.monotonic()
    emails = {lang: f"replicas.{lang}.{uuid.uuid4().hex[:6]}@example.{'se' if lang == 'sv' else 'no'}"
              for lang in ("sv", "nb", "en")}
    with running_replicas(tmp_path, tracker_db) as replicas:
        print(f"replicas up after {time.monotonic() - started:.0f} s", flush=True)
        senders = senders_by_replica(replicas, 2)
        main_done = threading.Event()
        with ThreadPoolExecutor(max_workers=5) as pool:
            others = [pool.submit(other_filing, replicas, "nb", emails["nb"], senders["rasa1"][0]),
                      pool.submit(other_filing, replicas, "en", emails["en"], senders["rasa2"][0]),
                      pool.submit(policy_questions, replicas, "sv", senders["rasa2"][1], main_done),
                      pool.submit(policy_questions, replicas, "en", senders["rasa1"][1], main_done),
                      pool.submit(two_at_once, replicas, 4)]
            try:
                main_chat, main_reference = main_filing(replicas, emails["sv"])
            finally:
                main_done.set()
            results = [future.result(timeout=300) for future in others]
        (nb_chat, nb_reference), (en_chat, en_reference) = results[0], results[1]
        chats: Sequence[Conversation] = [main_chat, nb_chat, en_chat, results[2], results[3]]
        doubles: List[Conversation] = results[4]

        # Each case exactly once, as the staff see it: one case per requester, with the reference they were told.
        cases = cases_by_email(replicas, create_staff_token(replicas.backend))
        for lang, reference, kind in (("sv", main_reference, "access"), ("nb", nb_reference, "erasure"),
                                      ("en", en_reference, "application_withdrawal")):
            filed = cases.get(emails[lang], [])
            assert [(c["reference"], c["type"]) for c in filed] == [(reference, kind)], filed
        assert sum(len(v) for v in cases.values()) == 3, sorted(cases)

        # What PostgreSQL holds: every message once, in order, each with exactly the replies its sender got.
        for chat in chats:
            assert_stored_in_order(replicas.tracker_db, chat)
        for chat in doubles:
            assert_stored_one_after_the_other(replicas.tracker_db, chat)

        # The balancing really happened: HAProxy kept each conversation on the Rasa server it maps it to and
        # used both, the Rasa servers' action calls went to both action servers, and both Rasa servers took
        # their conversation locks in Redis.
        for chat in [*chats[1:], *doubles]:
            served = {t.served_by for t in chat.turns}
            expected = {name for name, ids in senders.items() if chat.sender in ids} or served
            assert len(served) == 1 and served == expected, f"{chat.label}: served by {served}, expected {expected}"
        assert {t.served_by for chat in chats[1:] for t in chat.turns} == {"rasa1", "rasa2"}
        stats = replicas.stats()
        for server in ("actions1", "actions2"):
            assert int(stats[("action_servers", server)]["stot"]) > 0, stats[("action_servers", server)]
        monitor = redis.Redis(host="127.0.0.1", port=6379, db=0)
        try:
            lock_clients = [c for c in monitor.client_list() if str(c.get("db")) == str(REDIS_LOCK_DB)]
        finally:
            monitor.close()
        assert len(lock_clients) >= 2, f"expected both Rasa servers on Redis db {REDIS_LOCK_DB}: {lock_clients}"
        turns = sum(len(chat.turns) for chat in [*chats, *doubles])
        print(f"{turns} messages in {len(chats) + len(doubles)} conversations; {time.monotonic() - started:.0f} s",
              flush=True)
