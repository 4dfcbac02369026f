"""The production stores, end to end: PostgreSQL trackers (redacting store) and Redis lock store.

A Swedish access request is started, Rasa and then the action server are restarted in the middle of the
form, and the conversation still ends with a filed case: the user's typed answers survived each restart.
Afterwards the raw tracker rows in PostgreSQL hold neither the e-mail address nor the code in clear.
"""
from __future__ import annotations

import json
import secrets
import subprocess
import urllib.request
import uuid
from pathlib import Path
from typing import Any, Dict, Iterator, List

import psycopg2
import pytest
import redis
from cryptography.fernet import Fernet

from tests.actions.flow_harness import ROOT, BackendProcess
from tests.e2e_stack import MODEL, RASA, wait_http
from tests.support import REFERENCE, free_port, stop_process
from tests.test_e2e_rest import text_of

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(900)]  # Rasa starts twice: slow on a busy machine

PG_ADMIN_DSN = "host=127.0.0.1 port=5432 user=postgres dbname=test"
REDIS_LOCK_DB = 7


@pytest.fixture
def tracker_database() -> Iterator[str]:
    name = f"trackers_{secrets.token_hex(6)}"
    admin = psycopg2.connect(PG_ADMIN_DSN)
    admin.autocommit = True
    with admin.cursor() as cur:
        cur.execute(f'CREATE DATABASE "{name}"')
    try:
        yield name
    finally:
        with admin.cursor() as cur:
            cur.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s", (name,)
            )
            cur.execute(f'DROP DATABASE IF EXISTS "{name}"')
        admin.close()


class ProductionStack:
    """Backend + action server + Rasa, with endpoints like endpoints.production.yml."""

    def __init__(self, work: Path, tracker_db: str) -> None:
        self.work = work
        self.backend = BackendProcess(work)
        self.action_port, self.rasa_port = free_port(), free_port()
        self.backend.deliver_transcript_erasures_to(self.rasa_port)
        self.auth_token = secrets.token_urlsafe(16)
        self.env = {
            **self.backend.env,
            "BACKEND_URL": self.backend.url,
            "TF_CPP_MIN_LOG_LEVEL": "2",
            "SQLALCHEMY_SILENCE_UBER_WARNING": "1",
            # the values endpoints.production.yml reads
            "ACTION_SERVER_URL": f"http://127.0.0.1:{self.action_port}/webhook",
            "TRACKER_DB_HOST": "127.0.0.1",
            "TRACKER_DB_PORT": "5432",
            "TRACKER_DB_NAME": tracker_db,
            "TRACKER_DB_USER": "postgres",
            "TRACKER_DB_PASSWORD": "",
            "TRACKER_ENCRYPTION_KEYS": Fernet.generate_key().decode("ascii"),
            "REDIS_HOST": "127.0.0.1",
            "REDIS_PORT": "6379",
            "REDIS_LOCK_DB": str(REDIS_LOCK_DB),
        }
        self.actions: subprocess.Popen | None = None
        self.rasa: subprocess.Popen | None = None

    def start_actions(self) -> None:
        log = self.work / "actions.log"
        self.actions = subprocess.Popen(
            [RASA, "run", "actions", "--port", str(self.action_port)], cwd=ROOT, env=self.env,
            stdout=log.open("ab"), stderr=subprocess.STDOUT,
        )
        wait_http(f"http://127.0.0.1:{self.action_port}/health", self.actions, log, 180)

    def start_rasa(self) -> None:
        log = self.work / "rasa.log"
        self.rasa = subprocess.Popen(
            [RASA, "run", "--enable-api", "--auth-token", self.auth_token, "-m", str(MODEL),
             "--endpoints", str(ROOT / "endpoints.production.yml"),
             "--credentials", str(ROOT / "credentials.yml"), "-p", str(self.rasa_port), "-i", "127.0.0.1"],
            cwd=ROOT, env=self.env, stdout=log.open("ab"), stderr=subprocess.STDOUT,
        )
        wait_http(f"http://127.0.0.1:{self.rasa_port}/status?token={self.auth_token}", self.rasa, log, 600)

    def say(self, sender: str, text: str) -> List[Dict[str, Any]]:
        body = json.dumps({"sender": sender, "message": text, "metadata": {"language": "sv"}}).encode()
        request = urllib.request.Request(
            f"http://127.0.0.1:{self.rasa_port}/webhooks/rest/webhook", data=body,
            headers={"Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=120) as response:
            return json.loads(response.read().decode())

    def stop(self) -> None:
        for process in (self.rasa, self.actions):
            if process is not None:
                stop_process(process)
        self.backend.stop()


def test_form_survives_restarts_on_postgres_trackers_and_redis_locks(
    tmp_path: Path, tracker_database: str
) -> None:
    if not MODEL.exists():
        pytest.skip(f"no trained model at {MODEL}")
    lock_db = redis.Redis(host="127.0.0.1", port=6379, db=REDIS_LOCK_DB)
    lock_db.flushdb()
    lock_db.close()
    stack = ProductionStack(tmp_path, tracker_database)
    stack.backend.migrate()
    stack.backend.start()
    try:
        stack.start_actions()
        stack.start_rasa()
        sender = f"prod-{uuid.uuid4().hex[:12]}"
        email = f"eva.{uuid.uuid4().hex[:6]}@example.se"

        said = text_of(stack.say(sender, "Jag vill ha ett registerutdrag, vilka uppgifter har ni om mig?"))
        assert "Vad heter du" in said, said
        assert "Vilken e-postadress" in text_of(stack.say(sender, "Eva Lind"))

        # Rasa restarts mid-form: the tracker comes back from PostgreSQL with the name still there.
        stop_process(stack.rasa)
        stack.start_rasa()
        summary = text_of(stack.say(sender, email))
        assert "Stämmer det här?" in summary and "Eva Lind" in summary, summary

        # The action server restarts before the case is filed: nothing it needs lived only in its memory.
        stop_process(stack.actions)
        stack.start_actions()
        replies = stack.say(sender, "ja")
        match = REFERENCE.search(text_of(replies))
        assert match, text_of(replies)
        reference = match.group(0)
        code = stack.backend.latest_code(reference)
        final = text_of(stack.say(sender, code))
        assert reference in final, final

        # Redis really was the lock store: Rasa holds a connection to the lock database ...
        monitor = redis.Redis(host="127.0.0.1", port=6379, db=0)
        try:
            lock_clients = [c for c in monitor.client_list() if str(c.get("db")) == str(REDIS_LOCK_DB)]
        finally:
            monitor.close()
        assert lock_clients, "Rasa did not connect to the Redis lock store"
    finally:
        stack.stop()

    # ... and the stored conversation keeps no e-mail address or code in clear.
    conn = psycopg2.connect(f"host=127.0.0.1 port=5432 user=postgres dbname={tracker_database}")
    try:
        with conn.cursor() as cur:
            cur.execute("SELECT data FROM events WHERE sender_id = %s", (sender,))
            rows = [row[0] for row in cur.fetchall()]
    finally:
        conn.close()
    assert rows, "the conversation was not stored in PostgreSQL"
    stored = "\n".join(rows)
    assert email not in stored
    assert code not in stored
