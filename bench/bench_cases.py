"""Case-creation benchmark of the backend, on SQLite and on PostgreSQL.

For each database: start the backend in-process (aiohttp on a free loopback port, migrated with
Alembic), then let CLIENTS concurrent aiohttp clients create REQUESTS access cases in total (each
with its own Idempotency-Key and address, so every request makes a case, a code and an audit entry;
e-mail goes to a temporary outbox). Prints throughput (cases/s) and p50/p95/max latency.
It prints numbers and asserts nothing about speed.

    .venv/bin/python bench/bench_cases.py [--requests 1000] [--clients 50] [--only sqlite|postgresql]
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import secrets
import socket
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Optional

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("SQLALCHEMY_SILENCE_UBER_WARNING", "1")

import aiohttp  # noqa: E402
from aiohttp import web  # noqa: E402
from cryptography.fernet import Fernet  # noqa: E402

from backend.app import create_app  # noqa: E402
from backend.config import Settings  # noqa: E402
from backend.mailer import OutboxMailer  # noqa: E402
from backend.migrations import upgrade  # noqa: E402
from backend.services import build_services  # noqa: E402

PG_ADMIN = dict(host="127.0.0.1", port=5432, user="postgres", dbname="postgres")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def percentile(sorted_values: list[float], fraction: float) -> float:
    index = min(len(sorted_values) - 1, max(0, round(fraction * (len(sorted_values) - 1))))
    return sorted_values[index]


async def run_load(base: str, token: str, requests: int, clients: int) -> tuple[float, list[float], dict[int, int]]:
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    counter = iter(range(requests))

    async def client(session: aiohttp.ClientSession) -> None:
        for number in counter:  # shared iterator: the clients split the requests between them
            body = {
                "type": "access", "language": "en", "channel": "web", "country": "NO",
                "company": "Bench AS",
                "requester": {"name": f"Bench Person {number}", "email": f"bench{number}@example.com"},
                "details": {"description": "Benchmark request " * 10},
            }
            headers = {"Authorization": f"Bearer {token}", "Idempotency-Key": f"bench-{secrets.token_hex(12)}"}
            started = time.perf_counter()
            async with session.post(f"{base}/api/v1/cases", json=body, headers=headers) as response:
                await response.read()
                statuses[response.status] = statuses.get(response.status, 0) + 1
            latencies.append(time.perf_counter() - started)

    connector = aiohttp.TCPConnector(limit=clients)
    async with aiohttp.ClientSession(connector=connector) as session:
        started = time.perf_counter()
        await asyncio.gather(*(client(session) for _ in range(clients)))
        elapsed = time.perf_counter() - started
    return elapsed, latencies, statuses


async def bench_one(name: str, url: str, workdir: Path, requests: int, clients: int) -> None:
    upgrade(url)
    settings = Settings(
        app_env="test", database_url=url, service_token=secrets.token_urlsafe(32),
        field_encryption_keys=(Fernet.generate_key().decode(),), blind_index_key=secrets.token_urlsafe(32),
        outbox_dir=workdir / f"outbox-{name}",
    )
    services = build_services(settings, mailer=OutboxMailer(settings.outbox_dir))
    app = create_app(settings, services)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    port = free_port()
    site = web.TCPSite(runner, "127.0.0.1", port)
    await site.start()
    try:
        base = f"http://127.0.0.1:{port}"
        await run_load(base, settings.service_token, min(50, requests), clients)  # warm-up
        cpu_started = time.process_time()
        elapsed, latencies, statuses = await run_load(base, settings.service_token, requests, clients)
        await services.drain()
        cpu = time.process_time() - cpu_started
    finally:
        await runner.cleanup()
        services.close()
    latencies.sort()
    ms = [value * 1000 for value in latencies]
    print(
        f"{name:<10} requests={requests} clients={clients} statuses={dict(sorted(statuses.items()))} "
        f"time={elapsed:.2f}s throughput={requests / elapsed:.1f} cases/s "
        f"p50={percentile(ms, 0.50):.1f}ms p95={percentile(ms, 0.95):.1f}ms max={ms[-1]:.1f}ms "
        f"mean={statistics.fmean(ms):.1f}ms cpu={cpu * 1000 / requests:.1f}ms/case (server and clients)",
        flush=True,
    )


def main(argv: Optional[list[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=1000)
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--only", choices=["sqlite", "postgresql"], default=None)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)
    print(f"bench_cases: {args.requests} case creations per database, {args.clients} concurrent clients, "
          f"{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f}")

    with tempfile.TemporaryDirectory(prefix="bench-cases-") as tmp:
        workdir = Path(tmp)
        if args.only in (None, "sqlite"):
            asyncio.run(bench_one("sqlite", f"sqlite:///{workdir / 'bench.db'}", workdir, args.requests, args.clients))
        if args.only in (None, "postgresql"):
            import psycopg2

            name = f"bench_cases_{secrets.token_hex(6)}"
            admin = psycopg2.connect(**PG_ADMIN)
            admin.autocommit = True
            try:
                with admin.cursor() as cur:
                    cur.execute(f'CREATE DATABASE "{name}"')
                asyncio.run(bench_one("postgresql", f"postgresql+psycopg2://postgres@127.0.0.1:5432/{name}",
                                      workdir, args.requests, args.clients))
            finally:
                with admin.cursor() as cur:
                    cur.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
                admin.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
