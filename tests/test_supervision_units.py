"""The production systemd units in docs/systemd/ (docs/SUPERVISION.md): the invariants that keep one dead process
from taking the others down, and that the units start what this repository actually has.

Parsed with a small parser of our own (configparser cannot keep repeated keys such as two `Wants=` lines).
When `systemd-analyze` is installed, the units are also checked with `systemd-analyze verify`, with the
install paths pointed at this checkout; otherwise that part is skipped, saying so.
"""

from __future__ import annotations

import re
import shlex
import shutil
import subprocess
from pathlib import Path
from typing import Dict, List, Tuple

import pytest

ROOT = Path(__file__).resolve().parent.parent
UNITS = ROOT / "docs" / "systemd"
INSTALL_ROOT = "/opt/privacy-assistant"
ENV_DIR = "/etc/privacy-assistant"

Unit = Dict[str, List[Tuple[str, str]]]

# Port each process listens on by default (backend/config.py, scripts/run_all.py, scripts/run_replicas.py).
PORTS = {"privacy-backend.service": 8080, "privacy-actions.service": 5055, "privacy-rasa.service": 5005}
REPLICA_PORTS = {"privacy-rasa@": (5006, 5007), "privacy-actions@": (5056, 5057)}
# Each long-running process, its user and its environment file.
PROCESSES = {
    "privacy-backend.service": ("privacy-backend", "backend"),
    "privacy-actions.service": ("privacy-actions", "actions"),
    "privacy-actions@.service": ("privacy-actions", "actions"),
    "privacy-rasa.service": ("privacy-rasa", "rasa"),
    "privacy-rasa@.service": ("privacy-rasa", "rasa"),
}
# Graceful stop of each process: aiohttp's run_app shutdown_timeout (60 s), Sanic's GRACEFUL_SHUTDOWN_TIMEOUT (15 s).
GRACEFUL_STOP_S = {"backend": 60, "actions": 15, "rasa": 15}
HARD_DEPENDENCIES = ("Requires", "Requisite", "BindsTo", "PartOf", "Upholds")
SECRET_NAME = re.compile(r"(TOKEN|PASSWORD|SECRET|_KEYS?\b|KEY=)")


def parse_unit(path: Path) -> Unit:
    """Sections to (key, value) lists, in order, repeated keys kept; comments and blank lines dropped."""
    sections: Unit = {}
    current = None
    for raw in path.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not line or line.startswith(("#", ";")):
            continue
        if line.startswith("[") and line.endswith("]"):
            current = line[1:-1]
            sections.setdefault(current, [])
            continue
        assert current is not None, f"{path.name}: {line!r} outside a section"
        assert "=" in line, f"{path.name}: not a key=value line: {line!r}"
        key, value = line.split("=", 1)
        sections[current].append((key.strip(), value.strip()))
    return sections


def values(unit: Unit, section: str, key: str) -> List[str]:
    return [v for k, v in unit.get(section, []) if k == key]


def one(unit: Unit, section: str, key: str) -> str:
    found = values(unit, section, key)
    assert len(found) == 1, f"expected one {section}.{key}, found {found}"
    return found[0]


def words(unit: Unit, section: str, key: str) -> List[str]:
    return [w for v in values(unit, section, key) for w in v.split()]


def unit_files() -> Dict[str, Unit]:
    found = {p.name: parse_unit(p) for p in sorted(UNITS.glob("*.service")) + sorted(UNITS.glob("*.target"))}
    assert found, "no units in docs/systemd"
    return found


def services() -> Dict[str, Unit]:
    return {name: unit for name, unit in unit_files().items() if name.endswith(".service")}


def ours(name: str) -> bool:
    return name.startswith("privacy-") and name.endswith(".service")


def test_the_expected_units_exist() -> None:
    names = set(unit_files())
    for expected in ("privacy-backend.service", "privacy-actions.service", "privacy-rasa.service",
                     "privacy-migrate.service", "privacy-assistant.target",
                     "privacy-rasa@.service", "privacy-actions@.service", "privacy-replicas.target"):
        assert expected in names


def test_long_running_services_always_restart_and_oneshots_do_not() -> None:
    for name, unit in services().items():
        kind = one(unit, "Service", "Type")
        if kind == "oneshot":  # set-up steps: systemd refuses Restart=always for a oneshot
            assert one(unit, "Service", "RemainAfterExit") == "yes", name
            assert not values(unit, "Service", "Restart"), name
            continue
        assert one(unit, "Service", "Restart") == "always", name
        assert 1 <= int(one(unit, "Service", "RestartSec")) <= 30, name
        # A crash loop ends in a failed unit someone looks at, but ordinary restarts never reach the limit.
        interval, burst = int(one(unit, "Unit", "StartLimitIntervalSec")), int(one(unit, "Unit", "StartLimitBurst"))
        assert burst >= 5 and interval >= burst * int(one(unit, "Service", "RestartSec")), name


def test_no_unit_hard_depends_on_another_of_ours() -> None:
    """A dead backend must not stop Rasa, nor a dead action server the backend: Wants=/After= only."""
    for name, unit in unit_files().items():
        for key in HARD_DEPENDENCIES:
            for target in words(unit, "Unit", key):
                assert not ours(target), f"{name}: {key}={target}"
                # PartOf= a grouping target only: stopping the target stops the group, a death stops nothing.
                assert key == "PartOf" and target.endswith(".target"), f"{name}: {key}={target}"
        for target in words(unit, "Unit", "Wants") + words(unit, "Unit", "After"):
            if ours(target):
                template = re.sub(r"@[^.]+\.service$", "@.service", target)
                assert target in unit_files() or template in unit_files(), f"{name}: unknown unit {target}"


def test_targets_pull_in_their_units() -> None:
    units = unit_files()
    for target_name in ("privacy-assistant.target", "privacy-replicas.target"):
        wanted = set(words(units[target_name], "Unit", "Wants"))
        for name, unit in services().items():
            if target_name in words(unit, "Install", "WantedBy") and "@" not in name:
                assert name in wanted, f"{target_name} does not want {name}"
    assert {"privacy-backend.service", "privacy-actions.service", "privacy-rasa.service",
            "privacy-migrate.service"} <= set(words(units["privacy-assistant.target"], "Unit", "Wants"))
    replicas = set(words(units["privacy-replicas.target"], "Unit", "Wants"))
    for prefix, ports in REPLICA_PORTS.items():
        for port in ports:
            assert f"{prefix}{port}.service" in replicas


def test_migrations_run_before_the_backend() -> None:
    backend = services()["privacy-backend.service"]
    assert "privacy-migrate.service" in words(backend, "Unit", "After")
    assert "privacy-migrate.service" in words(backend, "Unit", "Wants")
    migrate = services()["privacy-migrate.service"]
    assert shlex.split(one(migrate, "Service", "ExecStart"))[1:] == ["-m", "backend", "migrate"]


def _module_exists(module: str) -> bool:
    path = ROOT / Path(*module.split("."))
    return (path / "__main__.py").exists() or path.with_suffix(".py").exists()


def test_exec_lines_name_what_this_repository_has() -> None:
    backend_cli = (ROOT / "backend" / "__main__.py").read_text(encoding="utf-8")
    for name, unit in services().items():
        assert one(unit, "Service", "WorkingDirectory") == INSTALL_ROOT, name
        for key in ("ExecStart", "ExecStartPre", "ExecStartPost"):
            for line in values(unit, "Service", key):
                argv = shlex.split(line)
                program = argv[0]
                assert program in (f"{INSTALL_ROOT}/.venv/bin/python", f"{INSTALL_ROOT}/.venv/bin/rasa"), line
                if program.endswith("/python"):
                    assert argv[1] == "-m" and _module_exists(argv[2]), line
                    if argv[2] == "backend":
                        assert f'add_parser("{argv[3]}"' in backend_cli, line
                    if argv[2] == "scripts.run_replicas":
                        assert argv[3:] == ["prepare-tracker-store"], line
                    continue
                assert argv[1] == "run", line
                if argv[2] == "actions":
                    assert (ROOT / "actions" / "__init__.py").exists()
                    continue
                options = dict(zip(argv[2::2], argv[3::2]))
                assert (ROOT / options["--endpoints"]).exists() and (ROOT / options["--credentials"]).exists()
                assert options["--model"] == "models/assistant.tar.gz"  # the Makefile's MODEL
                assert "--enable-api" not in argv, "Rasa's HTTP API stays off, as with make run"


def _listen_port(unit: Unit) -> str:
    argv = shlex.split(one(unit, "Service", "ExecStart"))
    return argv[argv.index("--port") + 1]


def test_ports_match_the_defaults_and_health_checks_ask_the_same_port() -> None:
    from backend.config import Settings
    from scripts.run_all import commands

    assert Settings().port == PORTS["privacy-backend.service"]
    default = commands()
    assert default["actions"][default["actions"].index("--port") + 1] == str(PORTS["privacy-actions.service"])
    assert default["rasa"][default["rasa"].index("--port") + 1] == str(PORTS["privacy-rasa.service"])
    health = {"backend": "/healthz", "actions": "/health", "rasa": "/"}
    for name, (_, process) in PROCESSES.items():
        unit = services()[name]
        port = _listen_port(unit)
        assert port == ("%i" if "@" in name else str(PORTS[name])), name
        probe = shlex.split(one(unit, "Service", "ExecStartPost"))
        assert probe[1:3] == ["-m", "scripts.wait_ready"]
        assert probe[3] == f"http://127.0.0.1:{port}{health[process]}", name
        # The readiness wait must fit in the start timeout.
        assert float(probe[4]) < float(one(unit, "Service", "TimeoutStartSec")), name


def test_each_process_has_its_own_user_environment_file_and_no_secrets_in_the_unit() -> None:
    sysusers = (UNITS / "privacy-assistant.sysusers.conf").read_text(encoding="utf-8")
    for name, unit in services().items():
        user = one(unit, "Service", "User")
        assert user.startswith("privacy-") and re.search(rf"^u {re.escape(user)} ", sysusers, re.M), name
        assert one(unit, "Service", "Group") == user
        env_file = one(unit, "Service", "EnvironmentFile")
        # No leading "-": a missing file must stop the start, not run the process without its settings.
        match = re.fullmatch(rf"{ENV_DIR}/(\w+)\.env", env_file)
        assert match, f"{name}: {env_file}"
        example = UNITS / "env" / f"{match.group(1)}.env.example"
        assert example.exists(), example
        if name in PROCESSES:
            assert (user, match.group(1)) == PROCESSES[name], name
        for line in values(unit, "Service", "Environment"):
            for assignment in shlex.split(line):
                assert not SECRET_NAME.search(assignment.split("=", 1)[0] + "="), f"{name}: {assignment}"
    users = {one(services()[n], "Service", "User") for n in ("privacy-backend.service", "privacy-actions.service",
                                                             "privacy-rasa.service")}
    assert len(users) == 3


def test_environment_file_examples_hold_no_secret_values() -> None:
    for example in sorted((UNITS / "env").glob("*.env.example")):
        for line in example.read_text(encoding="utf-8").splitlines():
            if line.startswith("#") or "=" not in line:
                continue
            key, value = line.split("=", 1)
            if SECRET_NAME.search(key + "="):
                assert value == "", f"{example.name}: {key} has a value"


def test_hardening_and_stop_timeouts() -> None:
    for name, unit in services().items():
        service = dict(unit["Service"])
        for key, expected in (("NoNewPrivileges", "yes"), ("ProtectSystem", "strict"), ("ProtectHome", "yes"),
                              ("PrivateTmp", "yes"), ("PrivateDevices", "yes"), ("CapabilityBoundingSet", ""),
                              ("UMask", "0077")):
            assert service.get(key) == expected, f"{name}: {key}={service.get(key)!r}"
        # ProtectSystem=strict: what a process writes must be listed (StateDirectory is writable).
        writable = values(unit, "Service", "StateDirectory") + values(unit, "Service", "ReadWritePaths")
        assert writable, name
        for line in values(unit, "Service", "Environment"):
            for assignment in shlex.split(line):
                if assignment.startswith("HOME="):
                    assert assignment == f"HOME=/var/lib/{one(unit, 'Service', 'StateDirectory')}", name
        if name in PROCESSES:
            process = PROCESSES[name][1]
            assert float(one(unit, "Service", "TimeoutStopSec")) > GRACEFUL_STOP_S[process], name


def test_graceful_stop_defaults_are_the_ones_assumed() -> None:
    import inspect

    from aiohttp import web
    from sanic.config import DEFAULT_CONFIG

    assert inspect.signature(web.run_app).parameters["shutdown_timeout"].default == GRACEFUL_STOP_S["backend"]
    assert DEFAULT_CONFIG["GRACEFUL_SHUTDOWN_TIMEOUT"] == GRACEFUL_STOP_S["rasa"]


def test_systemd_analyze_verify(tmp_path: Path) -> None:
    analyze = shutil.which("systemd-analyze")
    if analyze is None:
        pytest.skip("systemd-analyze is not installed: the units were checked by the parser above only")
    # Point the install paths at this checkout (verify checks that each command is executable) and
    # instantiate the templates with the replica ports.
    for source in sorted(UNITS.glob("*.service")) + sorted(UNITS.glob("*.target")):
        text = source.read_text(encoding="utf-8").replace(INSTALL_ROOT, str(ROOT))
        text = re.sub(rf"{ENV_DIR}/(\w+)\.env", lambda m: str(UNITS / "env" / f"{m.group(1)}.env.example"), text)
        names = [source.name]
        for prefix, ports in REPLICA_PORTS.items():
            if source.name == f"{prefix}.service":
                names = [f"{prefix}{port}.service" for port in ports]
        for name in names:
            (tmp_path / name).write_text(text, encoding="utf-8")
    if not (ROOT / ".venv" / "bin" / "rasa").exists():
        pytest.skip("no .venv/bin/rasa in this checkout for verify to find")
    files = sorted(str(p) for p in tmp_path.iterdir())
    done = subprocess.run([analyze, "verify", "--man=no", *files], cwd=tmp_path, capture_output=True, text=True,
                          timeout=60)
    output = done.stdout + done.stderr
    # Units we pull in but do not ship (haproxy, postgresql, redis) may be missing on a test machine.
    problems = [line for line in output.splitlines()
                if line.strip() and not re.search(r"(haproxy|postgresql|redis-server)\.service", line)]
    assert done.returncode == 0 and not problems, output


def test_wait_ready_waits_for_a_200() -> None:
    import http.server
    import threading

    from scripts.wait_ready import main, wait_ready
    from tests.support import free_port

    port = free_port()
    assert not wait_ready(f"http://127.0.0.1:{port}/healthz", timeout=0.3, interval=0.1)  # nothing listens
    assert main([f"http://127.0.0.1:{port}/healthz", "0.2"]) == 1

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 (http.server's name)
            self.send_response(200 if self.path == "/healthz" else 503)
            self.end_headers()

        def log_message(self, *_: object) -> None:
            pass

    server = http.server.HTTPServer(("127.0.0.1", port), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        assert main([f"http://127.0.0.1:{port}/healthz", "5"]) == 0
        assert not wait_ready(f"http://127.0.0.1:{port}/other", timeout=0.3, interval=0.1)  # 503 is not ready
    finally:
        server.shutdown()
        server.server_close()
