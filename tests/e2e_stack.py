"""The whole assistant as real processes, for the end-to-end tests (tests/test_e2e_*.py, test_scenarios.py).

`running_stack` starts the real backend (`BackendProcess`: SQLite + outbox in a temp dir), the real rasa-sdk
action server and `rasa run` with the trained model and the given credentials file, waits until each
answers, and stops them all afterwards (also when start-up failed half-way).

`shared_stack` is the one stack those modules share in a pytest run (the `e2e_stack` fixture in
tests/conftest.py): the project's own channels (REST, socketio, transcripts) plus our Teams channel configured
against a local Microsoft stand-in. Starting Rasa costs about a minute on 2 cores, so one start serves every
module; each test uses its own conversation ids, references and addresses, so they cannot see each other.

Model: env E2E_MODEL (default models/assistant.tar.gz); `model_or_skip` skips the test, saying so, when
there is none. Rasa is slow to start on a busy machine; the waits are generous on purpose.
"""

from __future__ import annotations

import json
import os
import subprocess
import time
import urllib.request
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Dict, Iterator, List, Mapping, Optional

import pytest
import yaml
from cryptography.fernet import Fernet

from bot.channels.teams_config import ENVIRONMENT_VARIABLES
from tests.actions.flow_harness import PYTHON, ROOT, BackendProcess
from tests.support import DATE, REFERENCE, free_port, stop_process

MODEL = Path(os.environ.get("E2E_MODEL", "models/assistant.tar.gz"))
if not MODEL.is_absolute():
    MODEL = ROOT / MODEL
RASA = str(ROOT / ".venv" / "bin" / "rasa")
RASA_START_TIMEOUT_S = 600.0
ACTIONS_START_TIMEOUT_S = 180.0


# Blank in every child, so neither the developer's shell nor .env (loaded without overriding) can configure
# Teams behind a test's back.
TEAMS_VARIABLES = ENVIRONMENT_VARIABLES


def model_or_skip() -> Path:
    if not MODEL.exists():
        pytest.skip(f"no trained model at {MODEL} (train one, or set E2E_MODEL to a model path)")
    return MODEL


def wait_http(url: str, process: subprocess.Popen, log: Path, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{url} process exited:\n{log.read_text(errors='replace')[-3000:]}")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.5)
    raise RuntimeError(f"{url} did not come up in {timeout} s:\n{log.read_text(errors='replace')[-3000:]}")


@dataclass
class RunningStack:
    backend: BackendProcess
    work: Path
    action_port: int
    rasa_port: int
    rasa_log: Path
    action_log: Path
    tracker_db: Path  # the redacting SQLite tracker store Rasa and the action server share

    @property
    def rasa_url(self) -> str:
        return f"http://127.0.0.1:{self.rasa_port}"

    def rasa_log_text(self) -> str:
        return self.rasa_log.read_text(errors="replace")


@contextmanager
def running_stack(work: Path, credentials: Path, extra_env: Optional[Mapping[str, str]] = None,
                  tracker_store: Optional[str] = None) -> Iterator[RunningStack]:
    """Backend + action server + `rasa run --enable-api` with `credentials`; everything stopped on exit.
    tracker_store: the endpoints file's `tracker_store:` keys (YAML lines indented by two spaces) instead of
    the redacting store on this stack's SQLite file (e.g. the same store on a PostgreSQL database)."""
    model = model_or_skip()
    action_port, rasa_port = free_port(), free_port()
    backend = BackendProcess(work)
    backend.deliver_transcript_erasures_to(rasa_port)
    backend.migrate()
    backend.start()
    processes: List[subprocess.Popen] = []
    try:
        # The redacting SQL tracker store on a file of this stack, as `make run` has it (never the project's
        # endpoints.yml, whose store is the developer's own var/trackers.db).
        tracker_db = work / "trackers.db"
        endpoints = work / "endpoints.yml"
        endpoints.write_text(
            f'action_endpoint:\n  url: "http://127.0.0.1:{action_port}/webhook"\n'
            "tracker_store:\n"
            + (tracker_store or "  type: bot.tracker_store.RedactingSQLTrackerStore\n"
               f'  dialect: "sqlite"\n  db: "{tracker_db}"\n')
            + 'lock_store:\n  type: "in_memory"\n'
        )
        # No telemetry: Rasa would otherwise try to reach its servers (nothing may fetch at run time).
        env = {**backend.env, "BACKEND_URL": backend.url, "TF_CPP_MIN_LOG_LEVEL": "2",
               "SQLALCHEMY_SILENCE_UBER_WARNING": "1", "RASA_TELEMETRY_ENABLED": "false",
               "TRACKER_ENDPOINTS": str(endpoints), "TRACKER_ENCRYPTION_KEYS": Fernet.generate_key().decode("ascii"),
               **{name: "" for name in TEAMS_VARIABLES}, **dict(extra_env or {})}
        action_log = work / "actions.log"
        actions = subprocess.Popen([RASA, "run", "actions", "--port", str(action_port)], cwd=ROOT, env=env,
                                   stdout=action_log.open("wb"), stderr=subprocess.STDOUT)
        processes.append(actions)
        rasa_log = work / "rasa.log"
        rasa = subprocess.Popen(
            [RASA, "run", "--enable-api", "-m", str(model), "--endpoints", str(endpoints),
             "--credentials", str(credentials), "-p", str(rasa_port), "-i", "127.0.0.1"],
            cwd=ROOT, env=env, stdout=rasa_log.open("wb"), stderr=subprocess.STDOUT,
        )
        processes.append(rasa)
        wait_http(f"http://127.0.0.1:{action_port}/health", actions, action_log, ACTIONS_START_TIMEOUT_S)
        wait_http(f"http://127.0.0.1:{rasa_port}/status", rasa, rasa_log, RASA_START_TIMEOUT_S)
        yield RunningStack(backend, work, action_port, rasa_port, rasa_log, action_log, tracker_db)
    finally:
        for process in reversed(processes):
            stop_process(process)
        backend.stop()


def teams_channel_settings(openid_metadata_url: str, login_base_url: str) -> Dict[str, Any]:
    """Our Teams channel's credentials entry (test secrets only) against the Microsoft stand-in's URLs."""
    from tests.channels.fake_microsoft import APP_ID, APP_PASSWORD, TENANT

    return {"app_id": APP_ID, "app_password": APP_PASSWORD, "app_type": "SingleTenant", "tenant_ids": [TENANT],
            "openid_metadata_url": openid_metadata_url, "login_base_url": login_base_url,
            "button_style": "hero_card"}


@contextmanager
def shared_stack(work: Path, openid_metadata_url: str, login_base_url: str) -> Iterator[RunningStack]:
    """`running_stack` with the project's credentials.yml, its Teams entry pointed at the Microsoft stand-in."""
    channels = yaml.safe_load((ROOT / "credentials.yml").read_text(encoding="utf-8"))
    channels["bot.channels.teams.TeamsInput"] = teams_channel_settings(openid_metadata_url, login_base_url)
    credentials = work / "credentials.yml"
    credentials.write_text(yaml.safe_dump(channels), encoding="utf-8")
    with running_stack(work, credentials) as running:
        yield running


# ------------------------------------------------------------------------------------------ backend views


def create_staff_token(backend: BackendProcess, role: str = "privacy_officer") -> str:
    """A new staff member's bearer token (`python -m backend create-staff`, the token is the last line)."""
    done = subprocess.run([PYTHON, "-m", "backend", "create-staff", "--name", f"E2E {role}", "--role", role],
                          cwd=ROOT, env=backend.env, capture_output=True, text=True, timeout=60, check=True)
    return done.stdout.strip().splitlines()[-1].strip()


def staff_case(backend: BackendProcess, token: str, reference: str) -> Dict[str, Any]:
    """The staff view of one case (`GET /api/v1/staff/cases/{reference}`): aware_at, requester, details."""
    request = urllib.request.Request(f"{backend.url}/api/v1/staff/cases/{reference}",
                                     headers={"Authorization": f"Bearer {token}"})
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.loads(response.read().decode())
