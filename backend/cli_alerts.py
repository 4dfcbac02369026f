"""CLI for cron: `python -m backend alerts run` (case alerts due now) and `alerts digest` (today's digest
of overdue cases, regardless of ALERT_DIGEST_HOUR: cron decides when). Safe next to the in-process
scheduler: alerts are claimed in the database before sending, so nothing goes out twice.

Wiring in backend/__main__.py `build_parser()`: `add_alert_commands(sub)`.
"""

from __future__ import annotations

import argparse
import asyncio
import json
from typing import Any

from backend.config import Settings


def _run(settings: Settings, digest: bool) -> dict[str, Any]:
    from backend.services import build_services
    from backend.services.alerts import AlertSettings, run_alerts, run_digest

    alert_settings = AlertSettings.from_settings(settings)  # ALERT_* are read with the rest in backend/config.py
    svc = build_services(settings)
    try:
        if digest:
            result = asyncio.run(run_digest(svc, alert_settings, respect_hour=False))
        else:
            result = asyncio.run(run_alerts(svc, alert_settings))
    finally:
        svc.close()
    return result.as_json()


def cmd_alerts_run(settings: Settings, args: argparse.Namespace) -> int:
    return _print(_run(settings, digest=False), args.json)


def cmd_alerts_digest(settings: Settings, args: argparse.Namespace) -> int:
    return _print(_run(settings, digest=True), args.json)


def _print(result: dict[str, Any], as_json: bool) -> int:
    if as_json:
        print(json.dumps(result))
    else:
        print(f"sent {result['sent']}, failed {result['failed']}, without mailbox {result['no_mailbox']}")
    return 1 if result["failed"] else 0


def add_alert_commands(subparsers: Any) -> None:
    """Add `alerts run` and `alerts digest` to the backend CLI's subparsers."""
    alerts = subparsers.add_parser("alerts", help="staff deadline alerts (for cron)")
    alerts_sub = alerts.add_subparsers(dest="alerts_command", required=True)
    run = alerts_sub.add_parser("run", help="send new-case and deadline alerts that are due now")
    run.add_argument("--json", action="store_true", help="print JSON")
    run.set_defaults(func=cmd_alerts_run)
    digest = alerts_sub.add_parser("digest", help="send today's digest of overdue cases (once per day)")
    digest.add_argument("--json", action="store_true", help="print JSON")
    digest.set_defaults(func=cmd_alerts_digest)
