"""Command line: `python -m backend serve|migrate|create-staff|cases list --json|purge [--dry-run]|
transcripts deliver [--json]`."""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import sys
from typing import Optional, Sequence

from backend.config import ConfigError, Settings


def _services(settings: Settings):  # type: ignore[no-untyped-def]
    from backend.services import build_services

    return build_services(settings)


def cmd_serve(settings: Settings, args: argparse.Namespace) -> int:
    from aiohttp import web

    from backend.app import create_app
    from backend.migrations import current_heads

    if not current_heads(settings.database_url):
        print("the database has no schema yet: run `python -m backend migrate` first", file=sys.stderr)
        return 2
    host = args.host or settings.host
    port = args.port if args.port is not None else settings.port
    # The access log leaves out client addresses (personal data) and never contains bodies.
    web.run_app(
        create_app(settings), host=host, port=port, access_log_format='"%r" %s %b %Tfs', print=None,
    )
    return 0


def cmd_migrate(settings: Settings, _args: argparse.Namespace) -> int:
    from backend.migrations import current_heads, upgrade

    if settings.is_sqlite:
        from pathlib import Path

        path = settings.database_url.split("sqlite:///", 1)[-1].split("?", 1)[0]
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
            # The file holds encrypted personal data and blind indexes: readable by the owner only.
            os.close(os.open(path, os.O_CREAT | os.O_WRONLY, 0o600))
    upgrade(settings.database_url)
    print(f"database at revision {', '.join(current_heads(settings.database_url))}")
    return 0


def cmd_create_staff(settings: Settings, args: argparse.Namespace) -> int:
    from backend.services.staff import create_staff

    svc = _services(settings)
    try:
        created = create_staff(svc, args.name, args.role)
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    finally:
        svc.close()
    print(f"created staff member {created.id} with role {created.role}; the token is shown once:")
    print(created.token)
    return 0


def cmd_cases_list(settings: Settings, args: argparse.Namespace) -> int:
    from backend.services.cases import CaseFilter, list_cases

    svc = _services(settings)
    try:
        rows = asyncio.run(list_cases(svc, None, CaseFilter(status=args.status, limit=args.limit)))
    finally:
        svc.close()
    if args.json:
        print(json.dumps({"cases": rows}, indent=2, ensure_ascii=False))
    else:
        for row in rows:
            print(f"{row['reference']}  {row['type']:<31} {row['status']:<22} due {row['due_at'] or '-'}")
    return 0


def cmd_purge(settings: Settings, args: argparse.Namespace) -> int:
    from backend.services.purge import purge

    svc = _services(settings)
    try:
        counts = purge(svc, dry_run=args.dry_run)
    finally:
        svc.close()
    prefix = "would purge" if args.dry_run else "purged"
    for name, value in counts.as_json().items():
        if name != "dry_run":
            print(f"{prefix} {name}: {value}")
    return 0


def cmd_transcripts_deliver(settings: Settings, args: argparse.Namespace) -> int:
    """Send queued chat-transcript erasures to Rasa once (for cron; the scheduler does the same)."""
    from backend.services.transcripts import deliver_pending

    svc = _services(settings)
    try:
        run = asyncio.run(deliver_pending(svc))
    finally:
        svc.close()
    if args.json:
        print(json.dumps(run.as_json()))
    elif not run.configured:
        print(f"TRANSCRIPT_ERASE_TOKEN is not set: nothing sent, {run.pending} transcript erasure(s) left pending")
    else:
        print(f"delivered {run.delivered}, failed {run.failed}, still pending {run.pending}"
              + (f" (errors: {', '.join(sorted(set(run.error_codes)))})" if run.error_codes else ""))
    if run.failed or (not run.configured and run.pending):
        return 1
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m backend", description="Privacy case backend")
    sub = parser.add_subparsers(dest="command", required=True)

    serve = sub.add_parser("serve", help="run the HTTP API")
    serve.add_argument("--host", default=None)
    serve.add_argument("--port", type=int, default=None)
    serve.set_defaults(func=cmd_serve)

    migrate = sub.add_parser("migrate", help="apply database migrations (Alembic)")
    migrate.set_defaults(func=cmd_migrate)

    staff = sub.add_parser("create-staff", help="create a staff member and print a new token (last line)")
    staff.add_argument("--name", required=True)
    staff.add_argument("--role", required=True, choices=["privacy_officer", "recruiter", "security"])
    staff.set_defaults(func=cmd_create_staff)

    cases = sub.add_parser("cases", help="case commands")
    cases_sub = cases.add_subparsers(dest="cases_command", required=True)
    listing = cases_sub.add_parser("list", help="list cases (no personal data)")
    listing.add_argument("--json", action="store_true", help="print JSON")
    listing.add_argument("--status", default=None)
    listing.add_argument("--limit", type=int, default=1000)
    listing.set_defaults(func=cmd_cases_list)

    purge = sub.add_parser("purge", help="expire unverified cases and enforce retention")
    purge.add_argument("--dry-run", action="store_true", help="count, change nothing")
    purge.set_defaults(func=cmd_purge)

    transcripts = sub.add_parser("transcripts", help="chat-transcript erasures owed by completed erasure cases")
    transcripts_sub = transcripts.add_subparsers(dest="transcripts_command", required=True)
    deliver = transcripts_sub.add_parser("deliver", help="send queued transcript erasures to Rasa (for cron)")
    deliver.add_argument("--json", action="store_true", help="print JSON")
    deliver.set_defaults(func=cmd_transcripts_deliver)

    from backend.cli_alerts import add_alert_commands  # `alerts run`, `alerts digest` (for cron)

    add_alert_commands(sub)
    return parser


def main(argv: Optional[Sequence[str]] = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        settings = Settings.from_env()
    except ConfigError as exc:
        print(f"configuration error: {exc}", file=sys.stderr)
        return 2
    logging.basicConfig(
        level=getattr(logging, settings.log_level, logging.INFO),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    return int(args.func(settings, args))


if __name__ == "__main__":
    sys.exit(main())
