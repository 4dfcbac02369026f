"""Fixtures of the backend tests: a real database (SQLite file or a scratch PostgreSQL database,
migrated with Alembic), a real aiohttp server on loopback, a controllable clock, and e-mail into an
outbox directory or a real aiosmtpd server."""

from __future__ import annotations

import asyncio
import re
import secrets
import shutil
import socket
from dataclasses import dataclass, replace
from datetime import datetime, timedelta, timezone
from email.message import EmailMessage
from pathlib import Path
from typing import Any, AsyncIterator, Iterator, Optional

import psycopg2
import pytest
from aiohttp.test_utils import TestClient, TestServer
from cryptography.fernet import Fernet
from sqlalchemy import text

from backend.app import create_app
from backend.config import Settings
from backend.mailer import OutboxMailer, read_outbox
from backend.migrations import upgrade
from backend.services import Services, build_services

PG_HOST = "127.0.0.1"
PG_PORT = 5432
PG_USER = "postgres"

START = datetime(2026, 3, 2, 9, 0, tzinfo=timezone.utc)


class FakeClock:
    """The services' clock, moved by tests instead of sleeping."""

    def __init__(self, start: datetime = START) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> datetime:
        self.now += timedelta(**delta)
        return self.now


def _admin_connection() -> Any:
    conn = psycopg2.connect(host=PG_HOST, port=PG_PORT, user=PG_USER, dbname="postgres")
    conn.autocommit = True
    return conn


def _create_database(name: str, template: Optional[str] = None) -> str:
    admin = _admin_connection()
    try:
        with admin.cursor() as cur:
            cur.execute(f'CREATE DATABASE "{name}"' + (f' TEMPLATE "{template}"' if template else ""))
    finally:
        admin.close()
    return f"postgresql+psycopg2://{PG_USER}@{PG_HOST}:{PG_PORT}/{name}"


def _drop_database(name: str) -> None:
    admin = _admin_connection()
    try:
        with admin.cursor() as cur:
            cur.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        admin.close()


@pytest.fixture
def scratch_postgres() -> Iterator[str]:
    """A fresh, empty PostgreSQL database with a random name, dropped afterwards."""
    name = f"backend_test_{secrets.token_hex(6)}"
    try:
        yield _create_database(name)
    finally:
        _drop_database(name)


class MigratedTemplates:
    """One database per kind, migrated by Alembic once per session; each test gets a fresh copy.

    Copying (a file copy for SQLite, CREATE DATABASE ... TEMPLATE for PostgreSQL) keeps every test on
    its own database built by the real migrations, without paying for the migrations each time.
    test_services_migrations.py runs the migrations themselves (up, down, up) on empty databases.
    """

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.sqlite_file: Optional[Path] = None
        self.postgres_name: Optional[str] = None

    def sqlite(self, target: Path) -> str:
        if self.sqlite_file is None:
            self.sqlite_file = self.directory / "template.db"
            upgrade(f"sqlite:///{self.sqlite_file}")
        shutil.copyfile(self.sqlite_file, target)
        return f"sqlite:///{target}"

    def postgres(self, name: str) -> str:
        if self.postgres_name is None:
            template = f"backend_template_{secrets.token_hex(6)}"
            upgrade(_create_database(template))
            self.postgres_name = template
        return _create_database(name, template=self.postgres_name)

    def close(self) -> None:
        if self.postgres_name is not None:
            _drop_database(self.postgres_name)


@pytest.fixture(scope="session")
def migrated_templates(tmp_path_factory: pytest.TempPathFactory) -> Iterator[MigratedTemplates]:
    templates = MigratedTemplates(tmp_path_factory.mktemp("templates"))
    yield templates
    templates.close()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def db_url(request: pytest.FixtureRequest, tmp_path: Path, migrated_templates: MigratedTemplates) -> Iterator[str]:
    """Every API test runs once on SQLite and once on a fresh PostgreSQL database (random name, dropped
    afterwards), both with the schema made by the Alembic migrations."""
    if request.param == "sqlite":
        yield migrated_templates.sqlite(tmp_path / "backend.db")
        return
    name = f"backend_test_{secrets.token_hex(6)}"
    try:
        yield migrated_templates.postgres(name)
    finally:
        _drop_database(name)


@pytest.fixture
def settings(db_url: str, tmp_path: Path) -> Settings:
    return Settings(
        app_env="test",
        database_url=db_url,
        service_token="service-" + secrets.token_urlsafe(24),
        field_encryption_keys=(Fernet.generate_key().decode("ascii"),),
        blind_index_key=secrets.token_urlsafe(32),
        outbox_dir=tmp_path / "outbox",
        mail_from="Privacy Team <privacy@example.test>",
    )


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def services(settings: Settings, clock: FakeClock) -> Iterator[Services]:
    svc = build_services(
        settings, mailer=OutboxMailer(settings.outbox_dir, from_address=settings.mail_from), clock=clock
    )
    yield svc
    svc.close()


def default_case(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "type": "access",
        "language": "sv",
        "channel": "web",
        "company": "Exempel Solutions AB",
        "country": "SE",
        "requester": {"name": "Anna Svensson", "email": "anna@example.com"},
        "details": {"description": "Jag vill ha ett registerutdrag."},
    }
    body.update(overrides)
    return body


_CODE_RE = re.compile(r"^\s{4}(\d{6})\s*$", re.MULTILINE)


def body_of(message: EmailMessage) -> str:
    part = message.get_body(preferencelist=("plain",))
    assert part is not None
    return part.get_content()


def code_in(message: EmailMessage) -> str:
    match = _CODE_RE.search(body_of(message))
    assert match, "no code in the e-mail"
    return match.group(1)


@dataclass
class Api:
    """A real server on loopback plus the handles a test needs."""

    client: TestClient
    svc: Services
    clock: FakeClock
    settings: Settings

    @property
    def service_token(self) -> str:
        return self.settings.service_token

    def headers(self, token: Optional[str] = "service", key: Optional[str] = None) -> dict[str, str]:
        headers: dict[str, str] = {}
        if token == "service":
            token = self.service_token
        if token is not None:
            headers["Authorization"] = f"Bearer {token}"
        if key is not None:
            headers["Idempotency-Key"] = key
        return headers

    async def call(self, method: str, path: str, *, json: Any = None, token: Optional[str] = "service",
                   key: Optional[str] = None, **kwargs: Any) -> tuple[int, Any]:
        response = await self.client.request(method, path, json=json, headers=self.headers(token, key), **kwargs)
        body = await response.json() if response.content_type == "application/json" else await response.text()
        return response.status, body

    async def post(self, path: str, json: Any = None, **kwargs: Any) -> tuple[int, Any]:
        return await self.call("POST", path, json=json, **kwargs)

    async def get(self, path: str, **kwargs: Any) -> tuple[int, Any]:
        return await self.call("GET", path, **kwargs)

    async def create(self, body: Optional[dict[str, Any]] = None, key: Optional[str] = None,
                     **overrides: Any) -> tuple[int, Any]:
        return await self.post(
            "/api/v1/cases", json=body if body is not None else default_case(**overrides),
            key=key or f"key-{secrets.token_hex(8)}",
        )

    async def mails(self) -> list[EmailMessage]:
        await self.svc.drain()
        return read_outbox(str(self.settings.outbox_dir))

    async def mails_for(self, reference: str) -> list[EmailMessage]:
        return [m for m in await self.mails() if reference in str(m["Subject"])]

    async def last_code(self, reference: str) -> str:
        mails = [m for m in await self.mails_for(reference) if _CODE_RE.search(body_of(m))]
        assert mails, f"no code e-mail for {reference}"
        return code_in(mails[-1])

    async def staff_token(self, role: str = "privacy_officer", name: str = "Pia Officer") -> str:
        from backend.services.staff import create_staff

        created = await asyncio.get_running_loop().run_in_executor(None, create_staff, self.svc, name, role)
        return created.token

    async def verified_case(self, **overrides: Any) -> dict[str, Any]:
        status, created = await self.create(**overrides)
        assert status == 201, created
        code = await self.last_code(created["reference"])
        status, verified = await self.post(f"/api/v1/cases/{created['reference']}/verification", {"code": code})
        assert status == 200, verified
        return verified

    def sql(self, statement: str, **params: Any) -> list[Any]:
        """Raw SQL on the test database (to look at what is really stored)."""
        with self.svc.db.engine.begin() as conn:
            result = conn.execute(text(statement), params)
            return list(result) if result.returns_rows else []

    def count(self, table: str) -> int:
        return self.sql(f"SELECT COUNT(*) FROM {table}")[0][0]


@pytest.fixture
async def api(services: Services, settings: Settings, clock: FakeClock) -> AsyncIterator[Api]:
    app = create_app(settings, services)
    async with TestClient(TestServer(app, host="127.0.0.1", port=0)) as client:
        yield Api(client=client, svc=services, clock=clock, settings=settings)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class _CollectingHandler:
    def __init__(self) -> None:
        self.messages: list[Any] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802 (aiosmtpd API)
        self.messages.append(envelope)
        return "250 OK"


@dataclass
class SmtpServer:
    host: str
    port: int
    handler: _CollectingHandler

    def messages(self) -> list[EmailMessage]:
        from email import message_from_bytes, policy

        return [message_from_bytes(env.content, policy=policy.default) for env in self.handler.messages]


@pytest.fixture
def smtp_server() -> Iterator[SmtpServer]:
    """A real aiosmtpd SMTP server on loopback that keeps what it receives."""
    from aiosmtpd.controller import Controller

    handler = _CollectingHandler()
    port = free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield SmtpServer("127.0.0.1", port, handler)
    finally:
        controller.stop()


@pytest.fixture
def smtp_settings(settings: Settings, smtp_server: SmtpServer) -> Settings:
    return replace(settings, smtp_host=smtp_server.host, smtp_port=smtp_server.port, smtp_starttls=False)


@pytest.fixture
async def smtp_api(smtp_settings: Settings, clock: FakeClock, smtp_server: SmtpServer) -> AsyncIterator[Api]:
    """Like `api`, but e-mail goes through SmtpMailer to the aiosmtpd server."""
    svc = build_services(smtp_settings, clock=clock)
    app = create_app(smtp_settings, svc)
    try:
        async with TestClient(TestServer(app, host="127.0.0.1", port=0)) as client:
            yield Api(client=client, svc=svc, clock=clock, settings=smtp_settings)
    finally:
        svc.close()
