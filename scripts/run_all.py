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

    for name, cmd in commands().items():
        children[name] = subprocess.Popen(cmd, cwd=ROOT)

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
