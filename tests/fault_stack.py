"""The whole assistant as three processes that can each be killed with SIGKILL and restarted, for the fault matrix
(bench/bench_faults.py) and its test subset (tests/test_e2e_faults.py).

`FaultStack` runs the real backend, the real action server and `rasa run` on either store set:
- embedded (`make run`'s defaults): backend on SQLite, the redacting SQL tracker store on a SQLite file, the
  in-memory lock store;
- production (endpoints.production.yml): backend and trackers on PostgreSQL (a fresh database each), Redis locks.

Between the action server and the backend sits `FilingGate`, a real HTTP proxy that forwards everything and,
when armed, holds the next filing call (`POST /api/v1/cases`): after the backend answered (the case is
committed, the action server still waits), or before it is forwarded. The test kills a process at exactly
that moment, then lets the call go on, or drops the connection as a dead backend would.
"""

from __future__ import annotations

import http.client
import json
import secrets
import signal
import subprocess
import threading
import time
import urllib.error
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Dict, List, Optional
from urllib.parse import urlsplit

import psycopg2
import redis
from cryptography.fernet import Fernet

from tests.actions.flow_harness import ROOT, BackendProcess
from tests.e2e_stack import MODEL, RASA, TEAMS_VARIABLES, wait_http
from tests.support import free_port, stop_process

PROCESSES = ("backend", "actions", "rasa")
PG_ADMIN_DSN = "host=127.0.0.1 port=5432 user=postgres dbname=test"
REDIS_LOCK_DB = 8
FILING_PATH = "/api/v1/cases"


class FilingGate:
    """A forwarding HTTP proxy with one trap: `arm()` makes it hold the next `POST /api/v1/cases`."""

    def __init__(self, target: str) -> None:
        self.target = urlsplit(target)
        self.armed: Optional[str] = None  # "response": hold after the backend answered; "request": before
        self.drop = False  # on release, close the connection instead of answering (a backend that died)
        self.held = threading.Event()
        self.released = threading.Event()
        gate = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: Any) -> None:  # the bench prints its own table
                pass

            def _forward(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else None
                trap = gate.armed if (self.command == "POST" and self.path == FILING_PATH) else None
                if trap:
                    gate.armed = None
                if trap == "request":
                    gate._hold()
                try:
                    status, headers, answer = gate._send(self.command, self.path, dict(self.headers), body)
                except OSError:
                    self.close_connection = True  # the backend is down: the client sees a dropped connection
                    return
                if trap == "response":
                    gate._hold()
                    if gate.drop:
                        self.close_connection = True
                        return
                try:
                    self.send_response(status)
                    for name, value in headers:
                        if name.lower() not in ("transfer-encoding", "connection", "content-length"):
                            self.send_header(name, value)
                    self.send_header("Content-Length", str(len(answer)))
                    self.end_headers()
                    self.wfile.write(answer)
                except OSError:
                    self.close_connection = True  # the caller died meanwhile

            do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _forward

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def _send(self, method: str, path: str, headers: Dict[str, str], body: Optional[bytes]) -> Any:
        connection = http.client.HTTPConnection(self.target.hostname, self.target.port, timeout=60)
        try:
            headers = {k: v for k, v in headers.items() if k.lower() not in ("host", "connection")}
            connection.request(method, path, body=body, headers=headers)
            response = connection.getresponse()
            return response.status, response.getheaders(), response.read()
        finally:
            connection.close()

    def _hold(self) -> None:
        self.held.set()
        self.released.wait(120)

    def arm(self, when: str = "response", drop: bool = False) -> None:
        self.held.clear()
        self.released.clear()
        self.drop = drop
        self.armed = when

    def wait_held(self, timeout: float = 120) -> bool:
        return self.held.wait(timeout)

    def release(self) -> None:
        self.released.set()

    def close(self) -> None:
        self.released.set()
        self.server.shutdown()
        self.server.server_close()


class FaultStack:
    """Backend + action server + Rasa, each of which can be killed (SIGKILL) and started again."""

    def __init__(self, work: Path, production: bool = False) -> None:
        self.work = work
        self.production = production
        self.backend = BackendProcess(work)
        self.database: Optional[str] = None
        self.tracker_database: Optional[str] = None
        if production:
            self.database = create_database("backend")
            self.tracker_database = create_database("trackers")
            self.backend.env["DATABASE_URL"] = f"postgresql+psycopg2://postgres@127.0.0.1:5432/{self.database}"
            lock_db = redis.Redis(host="127.0.0.1", port=6379, db=REDIS_LOCK_DB)
            lock_db.flushdb()
            lock_db.close()
        self.gate = FilingGate(self.backend.url)
        self.action_port, self.rasa_port = free_port(), free_port()
        self.backend.deliver_transcript_erasures_to(self.rasa_port)
        self.env = {**self.backend.env, "BACKEND_URL": self.gate.url, "TF_CPP_MIN_LOG_LEVEL": "2",
                    "SQLALCHEMY_SILENCE_UBER_WARNING": "1", "RASA_TELEMETRY_ENABLED": "false",
                    "TRACKER_ENCRYPTION_KEYS": Fernet.generate_key().decode("ascii"),
                    **{name: "" for name in TEAMS_VARIABLES}}
        if production:
            self.endpoints = ROOT / "endpoints.production.yml"
            self.env.update({
                "ACTION_SERVER_URL": f"http://127.0.0.1:{self.action_port}/webhook",
                "TRACKER_DB_HOST": "127.0.0.1", "TRACKER_DB_PORT": "5432", "TRACKER_DB_NAME": self.tracker_database,
                "TRACKER_DB_USER": "postgres", "TRACKER_DB_PASSWORD": "",
                "REDIS_HOST": "127.0.0.1", "REDIS_PORT": "6379", "REDIS_LOCK_DB": str(REDIS_LOCK_DB),
            })
        else:
            self.endpoints = work / "endpoints.yml"
            self.endpoints.write_text(
                f'action_endpoint:\n  url: "http://127.0.0.1:{self.action_port}/webhook"\n'
                "tracker_store:\n  type: bot.tracker_store.RedactingSQLTrackerStore\n"
                f'  dialect: "sqlite"\n  db: "{work / "trackers.db"}"\n'
                'lock_store:\n  type: "in_memory"\n'
            )
        self.actions: Optional[subprocess.Popen] = None
        self.rasa: Optional[subprocess.Popen] = None

    # -- processes ------------------------------------------------------------------------------------

    def start(self) -> None:
        self.backend.migrate()
        self.start_process("backend")
        self.start_process("actions")
        self.start_process("rasa")

    def start_process(self, name: str) -> None:
        if name == "backend":
            self.backend.start()
        elif name == "actions":
            log = self.work / "actions.log"
            self.actions = subprocess.Popen([RASA, "run", "actions", "--port", str(self.action_port)], cwd=ROOT,
                                            env=self.env, stdout=log.open("ab"), stderr=subprocess.STDOUT)
            wait_http(f"http://127.0.0.1:{self.action_port}/health", self.actions, log, 180)
        else:
            log = self.work / "rasa.log"
            self.rasa = subprocess.Popen(
                [RASA, "run", "--enable-api", "-m", str(MODEL), "--endpoints", str(self.endpoints),
                 "--credentials", str(ROOT / "credentials.yml"), "-p", str(self.rasa_port), "-i", "127.0.0.1"],
                cwd=ROOT, env=self.env, stdout=log.open("ab"), stderr=subprocess.STDOUT,
            )
            wait_http(f"http://127.0.0.1:{self.rasa_port}/status", self.rasa, log, 600)

    def kill(self, name: str) -> None:
        """SIGKILL: no clean-up, no flush, as a crash or the OOM killer would."""
        process = {"backend": self.backend.process, "actions": self.actions, "rasa": self.rasa}[name]
        assert process is not None and process.poll() is None, f"{name} is not running"
        process.send_signal(signal.SIGKILL)
        process.wait(30)
        if name == "backend":
            self.backend.process = None

    def stop(self) -> None:
        self.gate.close()
        for process in (self.rasa, self.actions):
            if process is not None:
                stop_process(process)
        self.backend.stop()
        for name in (self.database, self.tracker_database):
            if name:
                drop_database(name)

    # -- the user --------------------------------------------------------------------------------------

    def say(self, sender: str, text: str, lang: str, timeout: float = 120) -> Optional[List[Dict[str, Any]]]:
        """The bot's replies over the REST channel, or None when Rasa could not be reached (the widget then
        shows its own "connection lost" line)."""
        body = json.dumps({"sender": sender, "message": text, "metadata": {"language": lang}}).encode()
        request = urllib.request.Request(f"http://127.0.0.1:{self.rasa_port}/webhooks/rest/webhook", data=body,
                                         headers={"Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(request, timeout=timeout) as response:
                return json.loads(response.read().decode())
        except (urllib.error.URLError, ConnectionError, http.client.HTTPException):
            return None

    # -- the privacy team's view -----------------------------------------------------------------------

    def case_count(self) -> int:
        return len(self.backend.cases())

    def staff_token(self) -> str:
        from tests.e2e_stack import create_staff_token

        if not hasattr(self, "_staff_token"):
            self._staff_token = create_staff_token(self.backend)
        return self._staff_token

    def case(self, reference: str) -> Dict[str, Any]:
        from tests.e2e_stack import staff_case

        return staff_case(self.backend, self.staff_token(), reference)

    # -- the backend's database out of reach --------------------------------------------------------------

    def database_unavailable(self) -> "DatabaseOutage":
        return DatabaseOutage(self)


class DatabaseOutage:
    """The backend's database unavailable while held: PostgreSQL refuses connections to it (and the open ones
    are terminated); SQLite is locked by another writer (BEGIN EXCLUSIVE), as a stuck migration or backup would."""

    def __init__(self, stack: FaultStack) -> None:
        self.stack = stack
        self.lock: Any = None

    def __enter__(self) -> "DatabaseOutage":
        if self.stack.database:
            with admin() as cur:
                cur.execute(f'ALTER DATABASE "{self.stack.database}" ALLOW_CONNECTIONS false')
                cur.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s",
                            (self.stack.database,))
        else:
            import sqlite3

            self.lock = sqlite3.connect(str(self.stack.work / "backend.db"), timeout=30, isolation_level=None)
            self.lock.execute("BEGIN EXCLUSIVE")
        return self

    def __exit__(self, *exc: Any) -> None:
        if self.stack.database:
            with admin() as cur:
                cur.execute(f'ALTER DATABASE "{self.stack.database}" ALLOW_CONNECTIONS true')
        elif self.lock is not None:
            self.lock.execute("ROLLBACK")
            self.lock.close()


class admin:
    """A cursor on PostgreSQL's admin database (autocommit), for creating and dropping test databases."""

    def __enter__(self) -> Any:
        self.connection = psycopg2.connect(PG_ADMIN_DSN)
        self.connection.autocommit = True
        self.cursor = self.connection.cursor()
        return self.cursor

    def __exit__(self, *exc: Any) -> None:
        self.cursor.close()
        self.connection.close()


def create_database(kind: str) -> str:
    name = f"faults_{kind}_{secrets.token_hex(5)}"
    with admin() as cur:
        cur.execute(f'CREATE DATABASE "{name}"')
    return name


def drop_database(name: str) -> None:
    with admin() as cur:
        cur.execute(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS true')
        cur.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s", (name,))
        cur.execute(f'DROP DATABASE IF EXISTS "{name}"')


def wait_until(condition: Any, timeout: float = 30.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.2)
    return False


