"""The command line, run as a real process: migrate, create-staff, cases list, purge, serve."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from cryptography.fernet import Fernet

from backend.config import PROJECT_ROOT

from .conftest import free_port


@pytest.fixture
def cli_env(tmp_path: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SMTP_", "DATABASE_", "BACKEND_"))}
    env.update(
        APP_ENV="test",
        DATABASE_URL=f"sqlite:///{tmp_path / 'cli.db'}",
        BACKEND_SERVICE_TOKEN="cli-service-token-" + "x" * 20,
        FIELD_ENCRYPTION_KEYS=Fernet.generate_key().decode(),
        BLIND_INDEX_KEY="cli-blind-index-key-123456",
        OUTBOX_DIR=str(tmp_path / "outbox"),
        SMTP_HOST="",
    )
    return env


def run(env: dict[str, str], *args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "backend", *args], env=env, cwd=cwd or PROJECT_ROOT,
        capture_output=True, text=True, timeout=120,
    )


def test_cli_end_to_end(cli_env: dict[str, str], tmp_path: Path) -> None:
    # migrate works from any working directory (no alembic.ini needed)
    result = run(cli_env, "migrate", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "0005_chat_transcript_erasures" in result.stdout

    result = run(cli_env, "create-staff", "--name", "Pia Officer", "--role", "privacy_officer")
    assert result.returncode == 0, result.stderr
    token = result.stdout.strip().splitlines()[-1]
    assert len(token) >= 40 and " " not in token
    assert "Pia" not in result.stderr  # the name is not logged

    result = run(cli_env, "create-staff", "--name", "X", "--role", "janitor")
    assert result.returncode != 0

    result = run(cli_env, "cases", "list", "--json")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == {"cases": []}

    result = run(cli_env, "purge", "--dry-run")
    assert result.returncode == 0, result.stderr
    assert "would purge expired_cases: 0" in result.stdout


def test_cli_refuses_missing_secrets(cli_env: dict[str, str]) -> None:
    env = dict(cli_env)
    del env["BLIND_INDEX_KEY"]
    env["APP_ENV"] = "production"
    result = run(env, "migrate")
    assert result.returncode == 2
    assert "BLIND_INDEX_KEY" in result.stderr


def test_serve_answers_health_and_creates_a_case(cli_env: dict[str, str], tmp_path: Path) -> None:
    assert run(cli_env, "migrate").returncode == 0
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "backend", "serve", "--host", "127.0.0.1", "--port", str(port)],
        env=cli_env, cwd=PROJECT_ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 30
        while True:
            try:
                with urllib.request.urlopen(f"{base}/healthz", timeout=2) as response:
                    assert json.load(response) == {"status": "ok"}
                    break
            except OSError:
                assert process.poll() is None, "server exited"
                assert time.monotonic() < deadline, "server did not start"
                time.sleep(0.2)
        request = urllib.request.Request(
            f"{base}/api/v1/cases", method="POST",
            data=json.dumps({
                "type": "access", "language": "en", "channel": "web", "country": "NO",
                "requester": {"name": "Kari Nordmann", "email": "kari@example.no"},
            }).encode(),
            headers={"Content-Type": "application/json", "Idempotency-Key": "cli-serve-key-1",
                     "Authorization": f"Bearer {cli_env['BACKEND_SERVICE_TOKEN']}"},
        )
        with urllib.request.urlopen(request, timeout=10) as response:
            assert response.status == 201
            reference = json.load(response)["reference"]
        result = run(cli_env, "cases", "list", "--json")
        assert [c["reference"] for c in json.loads(result.stdout)["cases"]] == [reference]
        assert "kari" not in result.stdout.lower()
    finally:
        process.terminate()
        output, _ = process.communicate(timeout=20)
    # Logs carry references, never the requester's name or address.
    assert reference in output
    assert "kari" not in output.lower()
