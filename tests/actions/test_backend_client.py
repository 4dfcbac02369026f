"""actions/backend_client.py against the real backend (a child process on a free port)."""

from __future__ import annotations

import asyncio
import time
import uuid
from pathlib import Path
from typing import Iterator

import pytest
from aiohttp import web

from actions.backend_client import (
    BackendClient,
    BackendConfig,
    BackendError,
    BackendUnavailable,
    RetryPolicy,
)
from tests.actions.flow_harness import BackendProcess, free_port


@pytest.fixture(scope="module")
def backend(tmp_path_factory: pytest.TempPathFactory) -> Iterator[BackendProcess]:
    process = BackendProcess(tmp_path_factory.mktemp("backend-client"))
    process.migrate()
    process.start()
    yield process
    process.stop()


def rights_case() -> dict:
    return {
        "case_type": "access",
        "language": "sv",
        "channel": "web",
        "country": "SE",
        "requester": {"name": "Anna Svensson", "email": f"anna-{uuid.uuid4().hex[:6]}@example.com"},
        "details": {"description": "Registerutdrag"},
    }


async def test_create_verify_and_status_round_trip(backend: BackendProcess) -> None:
    client = backend.client()
    try:
        case = rights_case()
        created = await client.create_case(idempotency_key=uuid.uuid4().hex, **case)
        reference = created["reference"]
        assert created["status"] == "awaiting_verification"
        assert created["verification"]["required"] is True

        with pytest.raises(BackendError) as wrong:
            await client.verify(reference, "000000" if backend.latest_code(reference) != "000000" else "111111")
        assert wrong.value.code == "invalid_code"
        assert wrong.value.status == 400
        assert isinstance(wrong.value.details.get("attempts_left"), int)

        verified = await client.verify(reference, backend.latest_code(reference))
        assert verified["status"] == "open"
        assert verified["due_at"]

        with pytest.raises(BackendError) as again:
            await client.verify(reference, backend.latest_code(reference))
        assert again.value.code == "already_verified"

        # Status look-up with an e-mailed code.
        before = backend.code_count(reference)
        assert (await client.status_code(reference, case["requester"]["email"], "sv")) == {"sent": True}
        status = await client.status_verify(reference, case["requester"]["email"],
                                            backend.latest_code(reference, after=before))
        assert status["reference"] == reference
        assert status["status"] == "open"
    finally:
        await client.close()


async def test_same_idempotency_key_files_once(backend: BackendProcess) -> None:
    client = backend.client()
    try:
        key = uuid.uuid4().hex
        case = rights_case()
        first = await client.create_case(idempotency_key=key, **case)
        second = await client.create_case(idempotency_key=key, **case)
        assert first["reference"] == second["reference"]
        other = await client.create_case(idempotency_key=uuid.uuid4().hex, **case)
        assert other["reference"] != first["reference"]
    finally:
        await client.close()


async def test_anonymous_incident_gets_receipt_and_status(backend: BackendProcess) -> None:
    client = backend.client()
    try:
        created = await client.create_case(
            idempotency_key=uuid.uuid4().hex, case_type="incident", language="en", channel="teams", country="NO",
            anonymous=True, details={"description": "Laptop left on a train"},
            aware_at="2026-01-01T08:00:00+00:00",
        )
        assert created["status"] == "open"
        assert created["receipt"]
        status = await client.status_receipt(created["reference"], created["receipt"])
        assert status["reference"] == created["reference"]
        with pytest.raises(BackendError):
            await client.status_receipt(created["reference"], "0" * 16)
    finally:
        await client.close()


async def test_wrong_token_is_a_final_error(backend: BackendProcess) -> None:
    client = BackendClient(BackendConfig(base_url=backend.url, service_token="wrong"))
    try:
        with pytest.raises(BackendError) as error:
            await client.create_case(idempotency_key=uuid.uuid4().hex, **rights_case())
        assert error.value.status == 401
        assert error.value.code == "unauthorized"
    finally:
        await client.close()


async def test_unreachable_backend_raises_unavailable_after_retries() -> None:
    port = free_port()  # nothing listens there
    client = BackendClient(BackendConfig(base_url=f"http://127.0.0.1:{port}", service_token="x",
                                         retry=RetryPolicy(timeout_seconds=1, attempts=3, backoff_seconds=0.05)))
    started = time.monotonic()
    try:
        with pytest.raises(BackendUnavailable):
            await client.create_case(idempotency_key=uuid.uuid4().hex, **rights_case())
    finally:
        await client.close()
    assert time.monotonic() - started < 5


async def test_retries_5xx_and_timeouts_with_the_same_idempotency_key() -> None:
    """A flaky server (real HTTP, our own handler): 503, then a hang, then success. The client must retry
    with the same Idempotency-Key each time and must not retry a 4xx."""
    seen_keys: list = []
    behaviour = {"mode": "flaky"}

    async def handler(request: web.Request) -> web.Response:
        seen_keys.append(request.headers.get("Idempotency-Key"))
        if behaviour["mode"] == "bad_request":
            return web.json_response({"error": {"code": "validation_error", "message": "bad"}}, status=400)
        if len(seen_keys) == 1:
            return web.json_response({"error": {"code": "internal", "message": "x"}}, status=503)
        if len(seen_keys) == 2:
            await asyncio.sleep(2)
        return web.json_response({"reference": "PRV-2026-AAAA-BBBB", "status": "awaiting_verification"},
                                 status=201)

    app = web.Application()
    app.router.add_post("/api/v1/cases", handler)
    runner = web.AppRunner(app)
    await runner.setup()
    port = free_port()
    site = web.TCPSite(runner, "127.0.0.1", port)
    await site.start()
    client = BackendClient(BackendConfig(base_url=f"http://127.0.0.1:{port}", service_token="t",
                                         retry=RetryPolicy(timeout_seconds=0.5, attempts=3, backoff_seconds=0.05)))
    try:
        result = await client.create_case(idempotency_key="key-12345678", **rights_case())
        assert result["reference"] == "PRV-2026-AAAA-BBBB"
        assert seen_keys == ["key-12345678"] * 3

        seen_keys.clear()
        behaviour["mode"] = "bad_request"
        with pytest.raises(BackendError) as error:
            await client.create_case(idempotency_key="key-87654321", **rights_case())
        assert error.value.code == "validation_error"
        assert seen_keys == ["key-87654321"]  # a 4xx is final: no retry
    finally:
        await client.close()
        await runner.cleanup()


def test_config_reads_dev_secret_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import actions.backend_client as module

    secrets_file = tmp_path / "dev-secrets.env"
    secrets_file.write_text("BACKEND_SERVICE_TOKEN=from-dev-file\n")
    monkeypatch.setattr(module, "DEV_SECRETS_FILE", secrets_file)
    config = BackendConfig.from_env({"APP_ENV": "development"})
    assert config.service_token == "from-dev-file"
    assert config.base_url == "http://127.0.0.1:8080"
    assert BackendConfig.from_env({"APP_ENV": "production"}).service_token == ""
    explicit = BackendConfig.from_env({"BACKEND_SERVICE_TOKEN": "env", "BACKEND_URL": "http://h:1/"})
    assert (explicit.service_token, explicit.base_url) == ("env", "http://h:1")
    assert "env" not in repr(explicit)
