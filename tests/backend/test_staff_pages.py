"""Staff pages over real HTTP (no browser): sign-in, sessions, CSRF, rate limit, role scoping, escaping,
headers, audit. Runs on SQLite and PostgreSQL (the `db_url` fixture of conftest.py)."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from typing import Any, AsyncIterator, Optional

import pytest
from aiohttp.test_utils import TestClient, TestServer

from backend.app import create_app
from backend.pages.auth import SESSION_COOKIE, StaffPagesConfig, build_providers
from backend.routes.staff_pages import setup_staff_pages
from tests.backend.conftest import Api

CSRF_RE = re.compile(r'name="csrf" value="([^"]+)"')
XSS_DESCRIPTION = ('<script>window.__xss=1</script> <img src=x onerror="window.__xss=2"> '
                   '<a href="javascript:window.__xss=3">click</a> javascript:alert(1)')


@dataclass
class Browserless:
    """A cookie-keeping HTTP client on the app with the staff pages."""

    client: TestClient
    api: Api

    async def get(self, path: str, **kwargs: Any) -> tuple[int, str, Any]:
        response = await self.client.get(path, allow_redirects=False, **kwargs)
        return response.status, await response.text(), response

    async def post(self, path: str, data: dict[str, Any], **kwargs: Any) -> tuple[int, str, Any]:
        response = await self.client.post(path, data=data, allow_redirects=False, **kwargs)
        return response.status, await response.text(), response

    async def csrf(self, path: str) -> str:
        status, body, _ = await self.get(path)
        assert status == 200, body
        match = CSRF_RE.search(body)
        assert match, "no CSRF field on the page"
        return match.group(1)

    async def sign_in(self, token: str) -> Any:
        csrf = await self.csrf("/staff/signin")
        status, body, response = await self.post("/staff/signin", {"csrf": csrf, "provider": "token", "token": token})
        assert status == 303, body
        return response

    def session_cookie(self) -> Optional[str]:
        for cookie in self.client.session.cookie_jar:
            if cookie.key == SESSION_COOKIE:
                return cookie.value
        return None


async def _client(api: Api) -> TestClient:
    app = create_app(api.settings, api.svc)
    setup_staff_pages(app, StaffPagesConfig())
    client = TestClient(TestServer(app, host="127.0.0.1", port=0))
    await client.start_server()
    return client


@pytest.fixture
async def web(api: Api) -> AsyncIterator[Browserless]:
    client = await _client(api)
    try:
        yield Browserless(client, api)
    finally:
        await client.close()


async def _incident(api: Api, description: str = "Laptop stolen on the train") -> dict[str, Any]:
    status, created = await api.create(
        type="incident", language="en", channel="teams", anonymous=True, requester=None, country="NO",
        aware_at=(api.clock.now.replace(hour=8)).isoformat(), details={"description": description},
    )
    assert status == 201, created
    return created


async def test_anonymous_visitors_are_sent_to_sign_in_and_see_no_case_data(web: Browserless) -> None:
    case = await web.api.verified_case(details={"description": "Hemlig beskrivning"})
    reference = case["reference"]
    for path in ("/staff/", "/staff/cases", f"/staff/cases/{reference}", "/staff/dashboard",
                 "/staff/cases/PRV-2026-XXXX-XXXX"):
        status, body, response = await web.get(path)
        assert status == 303 and response.headers["Location"] == "/staff/signin", path
        assert "Hemlig" not in body and reference not in body
    # A POST without a session changes nothing.
    status, _, response = await web.post(f"/staff/cases/{reference}/status", {"status": "completed"})
    assert status == 303 and response.headers["Location"] == "/staff/signin"
    assert web.api.sql("SELECT status FROM cases WHERE reference = :r", r=reference)[0][0] == "open"
    # The sign-in page itself is strict and has nothing of the case.
    status, body, response = await web.get("/staff/signin")
    assert status == 200 and "Hemlig" not in body
    assert response.headers["Content-Security-Policy"].startswith("default-src 'self'")
    assert response.headers["Cache-Control"] == "no-store"


async def test_sign_in_creates_a_hashed_server_side_session_and_sign_out_ends_it(web: Browserless) -> None:
    token = await web.api.staff_token("privacy_officer", "Pia Officer")
    response = await web.sign_in(token)
    assert response.headers["Location"] == "/staff/cases"
    raw_cookie = response.headers.getall("Set-Cookie")
    session_header = next(h for h in raw_cookie if h.startswith(SESSION_COOKIE + "="))
    assert "HttpOnly" in session_header and "SameSite=Strict" in session_header and "Path=/staff" in session_header
    assert "Secure" not in session_header  # plain http in the test; auto-Secure over https
    cookie = web.session_cookie()
    assert cookie and len(cookie) >= 40
    stored = web.api.sql("SELECT session_hash FROM staff_sessions")
    assert [row[0] for row in stored] == [hashlib.sha256(cookie.encode()).hexdigest()]
    assert web.api.sql("SELECT COUNT(*) FROM staff_sessions WHERE session_hash = :c", c=cookie)[0][0] == 0
    status, body, _ = await web.get("/staff/cases")
    assert status == 200 and "Pia Officer" in body
    assert web.api.sql("SELECT action FROM audit_entries WHERE action = 'staff_signed_in'")

    csrf = CSRF_RE.search(body).group(1)  # type: ignore[union-attr]
    status, _, response = await web.post("/staff/signout", {"csrf": csrf})
    assert status == 303 and response.headers["Location"].startswith("/staff/signin")
    assert web.api.count("staff_sessions") == 0
    # Replaying the old cookie does not work.
    status, _, _ = await web.get("/staff/cases", cookies={SESSION_COOKIE: cookie})
    assert status == 303


async def test_wrong_token_service_token_and_missing_csrf_are_refused(web: Browserless) -> None:
    await web.api.staff_token()
    for token in ("not-a-token", web.api.service_token, ""):
        csrf = await web.csrf("/staff/signin")
        status, body, _ = await web.post("/staff/signin", {"csrf": csrf, "provider": "token", "token": token})
        assert status == 401, token
        assert "not valid" in body
    real = await web.api.staff_token()
    status, _, _ = await web.post("/staff/signin", {"provider": "token", "token": real})
    assert status == 403  # no CSRF value
    assert web.session_cookie() is None
    assert web.api.count("staff_sessions") == 0


async def test_sign_in_is_rate_limited_per_client(web: Browserless) -> None:
    token = await web.api.staff_token()
    for _ in range(5):
        csrf = await web.csrf("/staff/signin")
        status, _, _ = await web.post("/staff/signin", {"csrf": csrf, "token": "wrong-token"})
        assert status == 401
    csrf = await web.csrf("/staff/signin")
    status, body, _ = await web.post("/staff/signin", {"csrf": csrf, "token": token})
    assert status == 429 and "Too many" in body
    assert web.session_cookie() is None
    web.api.clock.advance(minutes=15, seconds=1)
    await web.sign_in(token)
    assert web.session_cookie()
    # No client address is stored, only a keyed hash.
    keys = [row[0] for row in web.api.sql("SELECT client_key FROM staff_signin_attempts")]
    assert keys and all("127.0.0.1" not in k and len(k) == 64 for k in keys)


async def test_sessions_end_after_8_hours_idle_and_12_hours_in_all(web: Browserless) -> None:
    token = await web.api.staff_token()
    await web.sign_in(token)
    web.api.clock.advance(hours=7, minutes=59)
    assert (await web.get("/staff/cases"))[0] == 200
    web.api.clock.advance(hours=8, seconds=1)  # idle since the last request
    status, _, response = await web.get("/staff/cases")
    assert status == 303 and response.headers["Location"] == "/staff/signin"

    await web.sign_in(token)
    for _ in range(11):
        web.api.clock.advance(hours=1)
        assert (await web.get("/staff/cases"))[0] == 200
    web.api.clock.advance(minutes=59)
    assert (await web.get("/staff/cases"))[0] == 200
    web.api.clock.advance(minutes=1)  # 12 h after sign-in, however active
    assert (await web.get("/staff/cases"))[0] == 303


async def test_csrf_and_origin_are_checked_on_every_post(web: Browserless) -> None:
    case = await web.api.verified_case()
    reference = case["reference"]
    await web.sign_in(await web.api.staff_token())
    csrf = await web.csrf(f"/staff/cases/{reference}")
    path = f"/staff/cases/{reference}/status"
    for data, headers in (
        ({"status": "completed"}, {}),
        ({"status": "completed", "csrf": "0" * 64}, {}),
        ({"status": "completed", "csrf": csrf}, {"Origin": "http://evil.example"}),
    ):
        status, body, _ = await web.post(path, data, headers=headers)
        assert status == 403, data
        assert "not accepted" in body
    assert web.api.sql("SELECT status FROM cases WHERE reference = :r", r=reference)[0][0] == "open"
    status, _, response = await web.post(path, {"status": "in_progress", "csrf": csrf, "reason": "started"})
    assert status == 303 and "done=status" in response.headers["Location"]
    assert web.api.sql("SELECT status FROM cases WHERE reference = :r", r=reference)[0][0] == "in_progress"
    # A CSRF token of another session does not work.
    other = Browserless(await _client(web.api), web.api)
    try:
        await other.sign_in(await web.api.staff_token())
        status, _, _ = await other.post(path, {"status": "completed", "csrf": csrf})
        assert status == 403
    finally:
        await other.client.close()


async def test_role_scoping_matches_the_api(web: Browserless) -> None:
    incident = await _incident(web.api, "Secret incident text")
    withdrawal = await web.api.verified_case(type="application_withdrawal", language="nb", country="NO",
                                             details={"description": "Trekker søknaden"})
    await web.sign_in(await web.api.staff_token("recruiter", "Rita Recruiter"))
    status, body, _ = await web.get("/staff/cases")
    assert status == 200
    assert withdrawal["reference"] in body and incident["reference"] not in body
    status, body, _ = await web.get(f"/staff/cases/{incident['reference']}")
    assert status == 404 and "No such case" in body and "Secret incident" not in body
    status, body, _ = await web.get("/staff/cases/PRV-2026-AAAA-AAAA")  # malformed / unknown: the same
    assert status == 404 and "No such case" in body
    # Acting on it is a 404 too, and changes nothing.
    csrf = CSRF_RE.search(body).group(1)  # type: ignore[union-attr]
    status, _, _ = await web.post(f"/staff/cases/{incident['reference']}/status", {"status": "completed", "csrf": csrf})
    assert status == 404
    status, body, _ = await web.get("/staff/dashboard")
    assert status == 200 and incident["reference"] not in body


async def test_detail_decrypts_escapes_and_audits_every_view(web: Browserless) -> None:
    case = await web.api.verified_case(details={"description": XSS_DESCRIPTION})
    reference = case["reference"]
    token = await web.api.staff_token()
    await web.sign_in(token)
    staff_id = web.api.sql("SELECT id FROM staff_users ORDER BY id DESC")[0][0]
    before = web.api.sql("SELECT COUNT(*) FROM audit_entries WHERE action='case_viewed' AND case_reference=:r",
                         r=reference)[0][0]
    status, body, response = await web.get(f"/staff/cases/{reference}")
    assert status == 200
    assert "Anna Svensson" in body and "anna@example.com" in body
    assert "<script>window.__xss" not in body and "<img src=x" not in body and 'href="javascript:' not in body
    assert "&lt;script&gt;window.__xss=1&lt;/script&gt;" in body
    assert response.headers["Content-Security-Policy"].startswith("default-src 'self'")
    assert "script-src 'self'" in response.headers["Content-Security-Policy"]
    await web.get(f"/staff/cases/{reference}")
    views = web.api.sql("SELECT actor FROM audit_entries WHERE action='case_viewed' AND case_reference=:r",
                        r=reference)
    assert len(views) == before + 2 and {v[0] for v in views} == {f"staff:{staff_id}"}
    # The list shows no personal data.
    status, body, _ = await web.get("/staff/cases")
    assert reference in body and "Anna" not in body and "anna@" not in body


async def test_list_filters_and_clocks(web: Browserless) -> None:
    access = await web.api.verified_case()
    incident = await _incident(web.api)
    await web.sign_in(await web.api.staff_token())
    status, body, _ = await web.get("/staff/cases")
    assert access["reference"] in body and incident["reference"] in body
    assert "30 days left" in body  # 2 March + 30 days = 1 April (earlier than 2 April)
    assert "h left of 72 h" in body
    status, body, _ = await web.get("/staff/cases?type=incident")
    assert incident["reference"] in body and access["reference"] not in body
    status, body, _ = await web.get("/staff/cases?language=sv")
    assert access["reference"] in body and incident["reference"] not in body
    status, body, _ = await web.get("/staff/cases?due_within_days=5")
    assert incident["reference"] in body and access["reference"] not in body
    status, body, _ = await web.get("/staff/cases?overdue=true")
    assert "No cases match" in body
    web.api.clock.advance(days=31)
    await web.sign_in(await web.api.staff_token())  # the old session ended long ago
    status, body, _ = await web.get("/staff/cases?overdue=true")
    assert access["reference"] in body and "overdue" in body
    status, body, _ = await web.get("/staff/cases?type=<script>")
    assert status == 400 and "<script>" not in body


async def test_dashboard_draws_svg_charts(web: Browserless) -> None:
    await web.api.verified_case()
    incident = await _incident(web.api)
    await web.sign_in(await web.api.staff_token())
    status, body, _ = await web.get("/staff/dashboard")
    assert status == 200
    assert body.count("<svg") >= 2 and "Cases per week by type" in body
    assert incident["reference"] in body  # open breach
    assert "<script" not in body


def test_oidc_stub_is_off_by_default_and_refuses_to_be_configured() -> None:
    assert [p.name for p in build_providers(StaffPagesConfig())] == ["token"]
    with pytest.raises(NotImplementedError, match="not implemented"):
        build_providers(StaffPagesConfig(oidc_issuer="https://login.microsoftonline.com/tenant/v2.0"))
