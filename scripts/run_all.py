"""Start the whole assistant in one foreground command (`make run`).

Runs the case backend (8080), the rasa-sdk action server (5055) and Rasa (5005) as child processes,
prints where to open things, and stops all of them cleanly on Ctrl-C. If any one of them dies, the
others are stopped too, so a half-running assistant never looks healthy. That is for development; in
production each process runs as a systemd service restarted on its own (docs/SUPERVISION.md).
"""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Dict, List, Mapping

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
    # rasa-sdk listens on SANIC_HOST, by default on every interface; the action server is for Rasa only.
    env.setdefault("SANIC_HOST", _env("BIND_HOST", "127.0.0.1"))
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


class Supervisor:
    """Child processes that live and die together (shared by `make run` and `make run-replicas`).

    Ctrl-C or SIGTERM stops all of them; so does any one of them exiting, so a half-running assistant never
    looks healthy. Stopping is SIGTERM to every child, then SIGKILL for those still running after
    STOP_GRACE_SECONDS."""

    def __init__(self, what: str = "the assistant") -> None:
        self.what = what
        self.children: Dict[str, subprocess.Popen] = {}
        self.stopping = False
        self.exit_code = 0
        signal.signal(signal.SIGINT, self.stop_all)
        signal.signal(signal.SIGTERM, self.stop_all)

    def start(self, name: str, cmd: List[str], env: Mapping[str, str]) -> subprocess.Popen:
        self.children[name] = subprocess.Popen(cmd, cwd=ROOT, env=dict(env))
        return self.children[name]

    def stop_all(self, *_: object) -> None:
        if self.stopping:
            return
        self.stopping = True
        print(f"\nStopping {self.what} ...", flush=True)
        for proc in self.children.values():
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + STOP_GRACE_SECONDS
        for name, proc in self.children.items():
            try:
                proc.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                print(f"{name} did not stop in {STOP_GRACE_SECONDS} s; killing it", flush=True)
                proc.kill()
                proc.wait()

    def _check_children(self) -> bool:
        """False (and everything stopped) when a child has exited."""
        for name, proc in self.children.items():
            code = proc.poll()
            if code is not None:
                print(f"{name} exited with code {code}; stopping the others", flush=True)
                self.exit_code = code or 1
                self.stop_all()
                return False
        return True

    def run_step(self, name: str, cmd: List[str], env: Mapping[str, str]) -> bool:
        """Run a one-off command to completion while the children started so far keep running (set-up that
        must finish before the next children start). False, with everything stopped, when the step fails,
        a child dies meanwhile, or we are asked to stop."""
        step = subprocess.Popen(cmd, cwd=ROOT, env=dict(env))
        self.children[name] = step  # so that Ctrl-C stops it too
        while not self.stopping and step.poll() is None:
            running = {n: p for n, p in self.children.items() if n != name}
            if any(p.poll() is not None for p in running.values()):
                break
            time.sleep(0.2)
        code = step.wait() if self.stopping else step.poll()
        if code == 0:
            del self.children[name]
            return True
        if not self.stopping:
            self._check_children()  # names the child that died, or the failed step
        return False

    def watch(self) -> int:
        """Block until Ctrl-C / SIGTERM or until a child exits; return the exit code for the command."""
        while not self.stopping:
            if not self._check_children():
                break
            time.sleep(0.5)
        return self.exit_code


def main() -> int:
    os.chdir(ROOT)
    (ROOT / "var" / "outbox").mkdir(parents=True, exist_ok=True)
    supervisor = Supervisor()
    env = child_env()
    for name, cmd in commands().items():
        supervisor.start(name, cmd, env)

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
    return supervisor.watch()


if __name__ == "__main__":
    sys.exit(main())
