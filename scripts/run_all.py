"""Start the whole assistant in one foreground command (`make run`).

Runs the case backend (8080), the rasa-sdk action server (5055) and Rasa (5005) as child processes,
prints where to open things, and stops all of them cleanly on Ctrl-C. If any one of them dies, the
others are stopped too, so a half-running assistant never looks healthy.
"""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Dict, List

ROOT = Path(__file__).resolve().parent.parent
VENV_BIN = Path(sys.executable).parent
STOP_GRACE_SECONDS = 15


def _env(name: str, default: str) -> str:
    return os.environ.get(name) or default


def commands() -> Dict[str, List[str]]:
    backend_port = _env("BACKEND_PORT", "8080")
    actions_port = _env("ACTIONS_PORT", "5055")
    rasa_port = _env("RASA_PORT", "5005")
    host = _env("BIND_HOST", "127.0.0.1")
    model = _env("RASA_MODEL", str(ROOT / "models" / "assistant.tar.gz"))
    return {
        "backend": [sys.executable, "-m", "backend", "serve", "--host", host, "--port", backend_port],
        "actions": [str(VENV_BIN / "rasa"), "run", "actions", "--port", actions_port],
        # No --enable-api: the channels (REST, socketio) work without Rasa's unauthenticated HTTP API.
        "rasa": [
            str(VENV_BIN / "rasa"), "run", "--model", model, "--interface", host, "--port", rasa_port,
            "--endpoints", _env("RASA_ENDPOINTS", "endpoints.yml"),
            "--credentials", _env("RASA_CREDENTIALS", "credentials.yml"),
            "--cors", f"http://localhost:{backend_port}",
        ],
    }


def child_env() -> Dict[str, str]:
    """The environment of the three processes: ours, plus the shared transcript erasure token and URL.

    The backend reads .env and, in development, generates its secrets into var/dev-secrets.env; Rasa
    reads neither. Resolving the token here, before anything starts, gives the backend (which sends) and
    Rasa (which checks) the same value on the first run too."""
    from backend.config import DEFAULT_TRANSCRIPT_ERASE_URL, ConfigError, Settings

    env = dict(os.environ)
    try:
        settings = Settings.from_env()
    except ConfigError:
        return env  # the backend reports its configuration error itself when it starts
    if settings.transcript_erase_token and not os.environ.get("TRANSCRIPT_ERASE_TOKEN"):
        env["TRANSCRIPT_ERASE_TOKEN"] = settings.transcript_erase_token
    if settings.transcript_erase_url == DEFAULT_TRANSCRIPT_ERASE_URL:  # not set: follow RASA_PORT / BIND_HOST
        host = _env("BIND_HOST", "127.0.0.1")
        host = "127.0.0.1" if host in ("0.0.0.0", "::") else host
        env["TRANSCRIPT_ERASE_URL"] = f"http://{host}:{_env('RASA_PORT', '5005')}/webhooks/transcripts/erase"
    return env


def main() -> int:
    os.chdir(ROOT)
    (ROOT / "var" / "outbox").mkdir(parents=True, exist_ok=True)
    children: Dict[str, subprocess.Popen] = {}
    stopping = False

    def stop_all(*_: object) -> None:
        nonlocal stopping
        if stopping:
            return
        stopping = True
        print("\nStopping the assistant ...", flush=True)
        for proc in children.values():
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + STOP_GRACE_SECONDS
        for name, proc in children.items():
            try:
                proc.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                print(f"{name} did not stop in {STOP_GRACE_SECONDS} s; killing it", flush=True)
                proc.kill()
                proc.wait()

    signal.signal(signal.SIGINT, stop_all)
    signal.signal(signal.SIGTERM, stop_all)

    env = child_env()
    for name, cmd in commands().items():
        children[name] = subprocess.Popen(cmd, cwd=ROOT, env=env)

    backend_port = _env("BACKEND_PORT", "8080")
    print(
        "\nThe privacy assistant is starting (Rasa needs about a minute to load its model):\n"
        f"  web page and backend   http://localhost:{backend_port}/   (health: /healthz, API: /api/v1/openapi.json)\n"
        f"  Rasa REST channel      http://localhost:{_env('RASA_PORT', '5005')}/webhooks/rest/webhook\n"
        f"  action server          http://localhost:{_env('ACTIONS_PORT', '5055')}/health\n"
        "  e-mails (no SMTP set)  var/outbox/*.eml\n"
        "Press Ctrl-C to stop everything.\n",
        flush=True,
    )

    exit_code = 0
    while not stopping:
        for name, proc in children.items():
            code = proc.poll()
            if code is not None:
                print(f"{name} exited with code {code}; stopping the others", flush=True)
                exit_code = code or 1
                stop_all()
                break
        time.sleep(0.5)
    return exit_code


if __name__ == "__main__":
    sys.exit(main())
