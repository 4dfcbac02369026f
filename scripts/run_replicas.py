"""Start the assistant replicated, in one foreground command (`make run-replicas`; docs/SCALING.md).

One case backend, two rasa-sdk action servers, two Rasa servers and HAProxy in front (deploy/haproxy.cfg):

    clients ──> HAProxy :5005 ──> Rasa :5006 | :5007 ──> HAProxy 127.0.0.1:5055 ──> actions :5056 | :5057
                                       │                                               │
                                       └─ PostgreSQL (trackers), Redis (locks)          └─> backend :8080

The Rasa servers are stateless, as Rasa documents for horizontal scaling: endpoints.production.yml gives
them the redacting SQL tracker store on PostgreSQL and the Redis lock store, so any replica can take any
message of any conversation. Before the Rasa servers start, the tracker database is created if it is missing
and its tables are created once (two servers creating them at the same moment can collide).

Processes are handled by scripts/run_all.py's Supervisor: Ctrl-C stops everything, and so does any one
process exiting. Settings come from the environment (and .env), defaults in `settings()`.
"""
from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path
from typing import Dict, List, Mapping, Tuple

from dotenv import dotenv_values

from scripts.run_all import ROOT, VENV_BIN, Supervisor, child_env

REPLICAS = 2
HAPROXY_CONFIG = ROOT / "deploy" / "haproxy.cfg"
# Another production endpoints file of yours: REPLICAS_ENDPOINTS (its stores must be shared ones).
ENDPOINTS = os.environ.get("REPLICAS_ENDPOINTS") or "endpoints.production.yml"
PREPARE_COMMAND = "prepare-tracker-store"

# Defaults for the values endpoints.production.yml reads, for PostgreSQL and Redis as they run on our
# machines (trust authentication on loopback). The environment or .env overrides each of them.
STORE_DEFAULTS = {
    "TRACKER_DB_HOST": "127.0.0.1",
    "TRACKER_DB_PORT": "5432",
    "TRACKER_DB_NAME": "privacy_trackers",
    "TRACKER_DB_USER": "postgres",
    "TRACKER_DB_PASSWORD": "",
    "REDIS_HOST": "127.0.0.1",
    "REDIS_PORT": "6379",
    "REDIS_LOCK_DB": "0",
}


def _ports(value: str, count: int) -> List[str]:
    ports = [p.strip() for p in value.split(",") if p.strip()]
    if len(ports) != count or not all(p.isdigit() for p in ports):
        raise SystemExit(f"expected {count} comma-separated ports, got {value!r}")
    return ports


def settings(environ: Mapping[str, str]) -> Dict[str, str]:
    """Ports and hosts of every process (the same names `make run` uses, plus the replicas' ports)."""
    def get(name: str, default: str) -> str:
        return environ.get(name) or default

    return {
        "BIND_HOST": get("BIND_HOST", "127.0.0.1"),
        "BACKEND_PORT": get("BACKEND_PORT", "8080"),
        "RASA_PORT": get("RASA_PORT", "5005"),  # HAProxy's public frontend
        "ACTIONS_PORT": get("ACTIONS_PORT", "5055"),  # HAProxy's action server frontend (loopback)
        "LB_STATS_PORT": get("LB_STATS_PORT", "8404"),
        "RASA_REPLICA_PORTS": get("RASA_REPLICA_PORTS", "5006,5007"),
        "ACTIONS_REPLICA_PORTS": get("ACTIONS_REPLICA_PORTS", "5056,5057"),
        "RASA_MODEL": get("RASA_MODEL", str(ROOT / "models" / "assistant.tar.gz")),
        "RASA_CREDENTIALS": get("RASA_CREDENTIALS", "credentials.yml"),
    }


def replica_env(conf: Mapping[str, str]) -> Dict[str, str]:
    """The children's environment: `make run`'s (shared secrets), the production stores' values, the
    action server URL pointing at HAProxy, and the replicas' addresses for deploy/haproxy.cfg."""
    env = child_env()  # TRANSCRIPT_ERASE_URL follows RASA_PORT: erasure requests go through HAProxy too
    env_file = ROOT / ".env"
    dotenv = {k: v for k, v in dotenv_values(env_file).items() if v is not None} if env_file.exists() else {}
    for name, default in STORE_DEFAULTS.items():
        # Rasa substitutes ${VAR} from its own environment only, so values kept in .env are passed on here.
        env[name] = os.environ.get(name, dotenv.get(name, default))
    env.update(conf)
    env["ACTION_SERVER_URL"] = f"http://127.0.0.1:{conf['ACTIONS_PORT']}/webhook"
    # rasa-sdk listens on SANIC_HOST (default 0.0.0.0); behind HAProxy the action servers need loopback only.
    env.setdefault("SANIC_HOST", "127.0.0.1")
    if "BACKEND_URL" not in os.environ and "BACKEND_URL" not in dotenv:  # follow BACKEND_PORT
        env["BACKEND_URL"] = f"http://127.0.0.1:{conf['BACKEND_PORT']}"
    # Nothing may call out at run time; Rasa's telemetry would.
    env.setdefault("RASA_TELEMETRY_ENABLED", "false")
    for i, port in enumerate(_ports(conf["RASA_REPLICA_PORTS"], REPLICAS), start=1):
        env[f"RASA_REPLICA_{i}"] = f"127.0.0.1:{port}"
    for i, port in enumerate(_ports(conf["ACTIONS_REPLICA_PORTS"], REPLICAS), start=1):
        env[f"ACTIONS_REPLICA_{i}"] = f"127.0.0.1:{port}"
    return env


def haproxy_binary() -> str:
    found = os.environ.get("HAPROXY") or shutil.which("haproxy") or "/usr/sbin/haproxy"
    if not Path(found).exists():
        raise SystemExit("HAProxy is not installed: `make run-replicas` installs Debian's haproxy package")
    return found


def commands(conf: Mapping[str, str]) -> Tuple[Dict[str, List[str]], Dict[str, List[str]]]:
    """(started at once, started once the tracker store is ready): name -> command."""
    rasa = str(VENV_BIN / "rasa")
    first: Dict[str, List[str]] = {
        "backend": [sys.executable, "-m", "backend", "serve", "--host", conf["BIND_HOST"],
                    "--port", conf["BACKEND_PORT"]],
    }
    for i, port in enumerate(_ports(conf["ACTIONS_REPLICA_PORTS"], REPLICAS), start=1):
        first[f"actions-{i}"] = [rasa, "run", "actions", "--port", port]
    # HAProxy from the start: it answers 503 until a Rasa server passes its health check.
    first["haproxy"] = [haproxy_binary(), "-db", "-f", str(HAPROXY_CONFIG)]
    second: Dict[str, List[str]] = {}
    for i, port in enumerate(_ports(conf["RASA_REPLICA_PORTS"], REPLICAS), start=1):
        # Loopback only: clients reach the Rasa servers through HAProxy. No --enable-api, as in `make run`.
        second[f"rasa-{i}"] = [
            rasa, "run", "--model", conf["RASA_MODEL"], "--interface", "127.0.0.1", "--port", port,
            "--endpoints", ENDPOINTS, "--credentials", conf["RASA_CREDENTIALS"],
            "--cors", f"http://localhost:{conf['BACKEND_PORT']}",
        ]
    return first, second


def ensure_database(env: Mapping[str, str]) -> None:
    """Create the tracker database when it does not exist (connecting to the server's `postgres` database)."""
    import psycopg2
    from psycopg2 import sql

    name = env["TRACKER_DB_NAME"]
    try:
        conn = psycopg2.connect(host=env["TRACKER_DB_HOST"], port=int(env["TRACKER_DB_PORT"]),
                                user=env["TRACKER_DB_USER"], password=env["TRACKER_DB_PASSWORD"] or None,
                                dbname=env.get("TRACKER_DB_LOGIN_DB") or "postgres", connect_timeout=10)
    except psycopg2.OperationalError as error:  # its text names host and user, never the password
        raise SystemExit(f"PostgreSQL for the tracker store is not reachable: {error}".strip()) from None
    try:
        conn.autocommit = True  # CREATE DATABASE cannot run inside a transaction
        with conn.cursor() as cur:
            cur.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,))
            if cur.fetchone() is None:
                cur.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
                print(f"Created the tracker database {name}", flush=True)
    finally:
        conn.close()


def prepare_tracker_store() -> int:
    """In a child process (it imports Rasa): create the store's tables once, and in development the tracker
    encryption key file, before several Rasa servers would race to create both."""
    from bot.tracker_store import store_from_endpoints

    store = store_from_endpoints(ENDPOINTS)  # the constructor creates what is missing
    store.engine.dispose()
    return 0


def main() -> int:
    os.chdir(ROOT)
    (ROOT / "var" / "outbox").mkdir(parents=True, exist_ok=True)
    conf = settings(os.environ)
    env = replica_env(conf)
    first, second = commands(conf)
    ensure_database(env)

    supervisor = Supervisor("the replicas")
    for name, cmd in first.items():
        supervisor.start(name, cmd, env)
    # TRACKER_DB_URL would point the CLI helper elsewhere than the endpoints file the Rasa servers read.
    prepare_env = {k: v for k, v in env.items() if k != "TRACKER_DB_URL"}
    if not supervisor.run_step("tracker-store", [sys.executable, "-m", "scripts.run_replicas", PREPARE_COMMAND],
                               prepare_env):
        return supervisor.exit_code or 1
    for name, cmd in second.items():
        supervisor.start(name, cmd, env)

    rasa_ports = " and ".join(_ports(conf["RASA_REPLICA_PORTS"], REPLICAS))
    action_ports = " and ".join(_ports(conf["ACTIONS_REPLICA_PORTS"], REPLICAS))
    print(
        f"\nThe privacy assistant is starting with {REPLICAS} Rasa servers and {REPLICAS} action servers "
        "(the Rasa servers need about a minute to load the model):\n"
        f"  web page and backend   http://localhost:{conf['BACKEND_PORT']}/\n"
        f"  Rasa, through HAProxy  http://localhost:{conf['RASA_PORT']}/webhooks/rest/webhook"
        "   (header X-Served-By: which replica)\n"
        f"  Rasa replicas          127.0.0.1:{rasa_ports}\n"
        f"  action servers         127.0.0.1:{action_ports}, balanced for Rasa at 127.0.0.1:{conf['ACTIONS_PORT']}\n"
        f"  HAProxy statistics     http://127.0.0.1:{conf['LB_STATS_PORT']}/stats"
        "   (it reports the Rasa servers DOWN until they have loaded the model)\n"
        f"  stores                 PostgreSQL database {env['TRACKER_DB_NAME']} on {env['TRACKER_DB_HOST']}:"
        f"{env['TRACKER_DB_PORT']}, Redis {env['REDIS_HOST']}:{env['REDIS_PORT']} db {env['REDIS_LOCK_DB']}\n"
        "Press Ctrl-C to stop everything.\n",
        flush=True,
    )
    return supervisor.watch()


if __name__ == "__main__":
    if sys.argv[1:] == [PREPARE_COMMAND]:
        sys.exit(prepare_tracker_store())
    sys.exit(main())
