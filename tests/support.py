"""Small helpers every kind of test uses: free loopback ports, stopping child processes, and the patterns
of what the assistant shows (case references, dates in each language)."""

from __future__ import annotations

import re
import socket
import subprocess
import sys
import uuid
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Dict, Iterator, List, Optional

REFERENCE = re.compile(r"\b(?:PRV|REC|INC|WBL)-\d{4}-[0-9A-Z]{4}-[0-9A-Z]{4}\b")
# A date the way each language writes it: "24 december 2026", "24. desember 2026", "24 December 2026".
DATE = {
    "sv": re.compile(r"\b\d{1,2} (januari|februari|mars|april|maj|juni|juli|augusti|september|oktober|november|"
                     r"december) \d{4}\b"),
    "nb": re.compile(r"\b\d{1,2}\. (januar|februar|mars|april|mai|juni|juli|august|september|oktober|november|"
                     r"desember) \d{4}\b"),
    "en": re.compile(r"\b\d{1,2} (January|February|March|April|May|June|July|August|September|October|November|"
                     r"December) \d{4}\b"),
}


def modules_loaded_by_importing(package: str) -> List[str]:
    """Every module a fresh interpreter has loaded after importing each module of `package` (run from the
    repository root, so the worktree's packages are the ones imported): what a process of it would load."""
    script = (
        f"import importlib, pkgutil, sys, {package}\n"
        f"for info in pkgutil.iter_modules({package}.__path__): importlib.import_module('{package}.' + info.name)\n"
        "print(' '.join(sorted(sys.modules)))\n"
    )
    root = Path(__file__).resolve().parents[1]
    loaded = subprocess.run([sys.executable, "-c", script], cwd=root, capture_output=True, text=True, check=True)
    return loaded.stdout.split()


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def stop_process(process: subprocess.Popen, timeout: float = 20) -> None:
    """Terminate a child process, and kill it if it does not stop within `timeout` seconds."""
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def action_request(action: str, latest_message: Dict[str, Any], slots: Dict[str, Any],
                   active_loop: Optional[str] = None, sender_id: str = "test-user") -> Dict[str, Any]:
    """The body Rasa POSTs to the action server's /webhook to run `action`, for an ActionExecutor."""
    return {
        "next_action": action, "sender_id": sender_id, "version": "3.6.2", "domain": {},
        "tracker": {"sender_id": sender_id, "slots": slots, "latest_message": latest_message, "events": [],
                    "paused": False, "followup_action": None,
                    "active_loop": {"name": active_loop} if active_loop else {}, "latest_action_name": None},
    }


# The local PostgreSQL server (trust auth); its `test` database is where scratch databases are made from.
PG_ADMIN_URL = "postgresql://postgres@127.0.0.1:5432/test"


@contextmanager
def scratch_postgres_database(prefix: str) -> Iterator[str]:
    """A new, empty database on the local PostgreSQL server (its name), dropped afterwards even while
    connections to it are still open."""
    import sqlalchemy as sa

    name = f"{prefix}_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    try:
        yield name
    finally:
        with admin.connect() as conn:
            conn.execute(sa.text(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = :n AND pid <> pg_backend_pid()"
            ), {"n": name})
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}"'))
        admin.dispose()
