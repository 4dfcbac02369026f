"""`rasa run` itself (a real process) with the repository's credentials.yml: Teams is always listed.

Without Teams settings the server starts, logs one warning and answers 503 on the Teams webhook (what
`make run` on a laptop gets); with a half configuration it refuses to start, naming what is missing.
No model is needed for either (Rasa serves its channels without one), so this stays fairly quick.
"""

from __future__ import annotations

import json
import os
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Dict

import pytest

from tests.channels.conftest import TEAMS_VARIABLES
from tests.support import free_port, stop_process

ROOT = Path(__file__).resolve().parents[2]
RASA = str(ROOT / ".venv" / "bin" / "rasa")

# Starts real Rasa processes (about a minute each on a busy machine).
pytestmark = [pytest.mark.e2e, pytest.mark.timeout(600)]


def rasa_env(**teams: str) -> Dict[str, str]:
    env = {**os.environ, **{name: "" for name in TEAMS_VARIABLES}, **teams}
    env.update(RASA_TELEMETRY_ENABLED="false", TF_CPP_MIN_LOG_LEVEL="2", SQLALCHEMY_SILENCE_UBER_WARNING="1")
    return env


def rasa_run(tmp_path: Path, env: Dict[str, str], port: int) -> subprocess.Popen:
    log = (tmp_path / "rasa.log").open("wb")
    return subprocess.Popen(
        [RASA, "run", "--credentials", str(ROOT / "credentials.yml"), "-m", str(tmp_path / "no-model"),
         "-p", str(port), "-i", "127.0.0.1"],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)


def test_rasa_run_without_teams_settings_serves_503_on_the_teams_webhook(tmp_path: Path) -> None:
    port = free_port()
    process = rasa_run(tmp_path, rasa_env(), port)
    url = f"http://127.0.0.1:{port}/webhooks/teams/webhook"
    try:
        deadline = time.monotonic() + 300
        status, body = None, None
        while time.monotonic() < deadline and status is None:
            assert process.poll() is None, (tmp_path / "rasa.log").read_text(errors="replace")[-3000:]
            request = urllib.request.Request(url, data=b"{}", headers={"Content-Type": "application/json"})
            try:
                with urllib.request.urlopen(request, timeout=5) as response:
                    status, body = response.status, response.read()
            except urllib.error.HTTPError as error:
                status, body = error.code, error.read()
            except OSError:
                time.sleep(0.5)
        assert status == 503, (status, body)
        assert json.loads(body)["error"]["code"] == "teams_not_configured"
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/webhooks/rest/", timeout=5) as response:
            assert response.status == 200  # the other channels are served as before
    finally:
        stop_process(process, timeout=30)
    log = (tmp_path / "rasa.log").read_text(errors="replace")
    assert log.count("teams.channel not configured") == 1, log[-3000:]


def test_rasa_run_with_a_half_configured_teams_channel_refuses_to_start(tmp_path: Path) -> None:
    process = rasa_run(tmp_path, rasa_env(TEAMS_APP_ID="11111111-2222-3333-4444-555555555555",
                                          TEAMS_TENANT_IDS="aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee"), free_port())
    try:
        code = process.wait(timeout=300)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    log = (tmp_path / "rasa.log").read_text(errors="replace")
    assert code != 0, log[-3000:]
    assert "TeamsConfigError" in log and "TEAMS_APP_PASSWORD missing" in log, log[-3000:]
