"""Staff pages over real HTTP (no browser): sign-in, sessions, CSRF, rate limit, role scoping, escaping,
headers, audit. Runs on SQLite and PostgreSQL (the `db_url` fixture of conftest.py)."""

from __future__ import annotations

import hashlib
import re
import string
from dataclasses import dataclass, replace
from html.parser import HTMLParser
from typing import Any, AsyncIterator, Optional

import pytest
from aiohttp.test_utils import TestClient, TestServer

from backend.app import create_app
from backend.mailer import OutboxMailer
from backend.pages import i18n, views
from backend.pages.auth import SESSION_COOKIE, StaffPagesConfig, build_providers
from backend.routes.staff_pages import setup_staff_pages
from backend.schemas import CASE_TYPES, LANGUAGES, ROLES, STATUSES
from backend.services import build_services
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


# --- languages ----------------------------------------------------------------------------------

def test_translation_table_has_every_key_in_three_languages_with_the_same_placeholders() -> None:
    fields = string.Formatter()
    for key, texts in i18n.TEXTS.items():
        assert set(texts) == {"sv", "nb", "en"}, key
        assert all(isinstance(text, str) and text.strip() for text in texts.values()), key
        names = {lang: {f for _, f, _, _ in fields.parse(text) if f} for lang, text in texts.items()}
        assert names["sv"] == names["nb"] == names["en"], key
        if key.endswith(".one"):
            assert key[:-4] + ".other" in i18n.TEXTS, key
        if key.endswith(".other"):
            assert key[:-6] + ".one" in i18n.TEXTS, key
    # Every code the pages show has a label in the table.
    for group, codes in (("type", CASE_TYPES), ("status", STATUSES), ("role", ROLES),
                         ("case_language", LANGUAGES), ("action", ACTIONS_ON_CASES)):
        for code in codes:
            assert f"{group}.{code}" in i18n.TEXTS, (group, code)
    for code in views.ERROR_CODES:
        assert f"fail.{code}" in i18n.TEXTS
    for code in views.DONE_CODES:
        assert f"done.{code}" in i18n.TEXTS
    # Swedish and Norwegian are really written, not copies of the English.
    for lang in ("sv", "nb"):
        same = [k for k, t in i18n.TEXTS.items() if t[lang] == t["en"]]
        assert len(same) < len(i18n.TEXTS) // 10, same


ACTIONS_ON_CASES = ("case_created", "case_verified", "case_viewed", "status_changed", "case_extended",
                    "staff_message", "requester_message", "status_viewed", "verification_code_issued",
                    "case_expired", "case_anonymised")


@pytest.mark.parametrize(("header", "expected"), [
    ("sv-SE,sv;q=0.9,en;q=0.8", "sv"), ("nb-NO", "nb"), ("no", "nb"), ("nn-NO,nn;q=0.9", "nb"),
    ("en-GB,en;q=0.9", "en"), ("de-DE,de;q=0.9,nb;q=0.5,en;q=0.4", "nb"), ("en;q=0.5,sv;q=0.8", "sv"),
    ("sv;q=0", None), ("de, fr", None), ("*", None), ("", None), (None, None), ("sv;q=abc,nb", "nb"),
])
def test_accept_language_is_negotiated(header: Optional[str], expected: Optional[str]) -> None:
    assert i18n.negotiate(header) == expected
    assert i18n.choose_language(None, header, "sv") == (expected or "sv")
    assert i18n.choose_language("nb", header, "sv") == "nb"  # the switcher's choice wins
    assert i18n.choose_language("xx", None, "en") == "en"  # a forged cookie is ignored


class VisibleText(HTMLParser):
    """What a reader sees or hears: text (SVG labels included) and title / aria-label / alt attributes,
    without the language switcher (it names each language in itself) and code samples."""

    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []
        self.skip: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, Optional[str]]]) -> None:
        values = dict(attrs)
        if tag == "code" or (tag == "form" and values.get("class") == "lang"):
            self.skip.append(tag)
        if not self.skip:
            self.parts.extend(v or "" for k, v in attrs if k in ("title", "aria-label", "alt", "placeholder"))

    def handle_endtag(self, tag: str) -> None:
        if self.skip and self.skip[-1] == tag:
            self.skip.pop()

    def handle_data(self, data: str) -> None:
        if not self.skip:
            self.parts.append(data)


def visible_text(page: str) -> str:
    parser = VisibleText()
    parser.feed(page)
    return "\n".join(parser.parts)


# Common English words of the staff pages that are not Swedish or Norwegian words.
ENGLISH_WORDS = {
    "the", "of", "and", "by", "left", "due", "day", "days", "hours", "overdue", "Sign", "sign", "Signed",
    "Cases", "case", "Case", "week", "requester", "Requester", "Clear", "any", "Change", "Extend", "Message",
    "Messages", "Timeline", "Dashboard", "Breaches", "breaches", "closed", "Closed", "Reason", "Reference",
    "Country", "Filed", "Verified", "Company", "Language", "Channel", "acknowledge", "acknowledged", "feedback",
    "yet", "not", "with", "your", "this", "that", "You", "Back", "found", "Too", "many", "attempts", "Error",
    "Open", "open", "Anonymous", "What", "they", "wrote", "Work", "New", "months", "month", "rate", "time",
    "late", "Awaiting", "Rejected", "Completed", "Withdrawn", "Expired", "progress", "Waiting", "Privacy",
    "cases", "Incident", "Access", "viewed", "filed", "changed", "extended", "looked", "assistant",
}


def english_left(page: str, lang: str) -> list[str]:
    """English in a page rendered in `lang`: words from ENGLISH_WORDS, and any English sentence fragment of
    the translation table that differs from its `lang` translation."""
    text = visible_text(page)
    found = sorted({w for w in re.findall(r"[^\W\d_]+", text) if w in ENGLISH_WORDS})
    for texts in i18n.TEXTS.values():
        if texts["en"] == texts[lang]:
            continue
        for chunk in re.split(r"\{[^}]*\}", texts["en"]):
            chunk = chunk.strip(" .,:;()+→←·")
            if len(chunk) >= 4 and chunk in text and chunk not in texts[lang] and chunk not in i18n.ENDONYMS.values():
                found.append(chunk)
    return found


async def switch_language(web: Browserless, lang: str, back: str) -> Any:
    csrf = await web.csrf(back)
    status, body, response = await web.post("/staff/language", {"csrf": csrf, "lang": lang, "next": back})
    assert status == 303, body
    return response


async def test_every_page_renders_in_swedish_norwegian_and_english(web: Browserless) -> None:
    api = web.api
    access = await api.verified_case(details={"description": "Jag vill ha ett registerutdrag."})
    complaint = await api.verified_case(type="complaint", details={"description": "Klagomål på hanteringen"})
    incident = await _incident(api, "Borttappad dator")
    status, _ = await api.post("/api/v1/status/receipt/reply",
                               {"reference": incident["reference"], "receipt": incident["receipt"], "body": "Hej igen"})
    assert status == 201
    status, misconduct = await api.create(type="misconduct", language="sv", anonymous=True, requester=None,
                                          details={"description": "Fusk med tidrapporter"})
    assert status == 201
    await web.sign_in(await api.staff_token("privacy_officer", "Pia Ek"))
    csrf = await web.csrf(f"/staff/cases/{access['reference']}")
    for path, data in ((f"/staff/cases/{access['reference']}/status", {"status": "in_progress", "reason": "Vi samlar"}),
                       (f"/staff/cases/{access['reference']}/extension", {"months": "2", "reason": "Många ärenden"}),
                       (f"/staff/cases/{access['reference']}/messages", {"body": "Hej Anna"}),
                       (f"/staff/cases/{complaint['reference']}/status", {"status": "rejected", "reason": "Utanför"})):
        status, body, response = await web.post(path, {**data, "csrf": csrf})
        assert status == 303 and "done=" in response.headers["Location"], body

    pages = ["/staff/cases", "/staff/cases?type=erasure", "/staff/dashboard", "/staff/no-such-page",
             "/staff/cases?type=bogus", "/staff/cases/PRV-2026-AAAA-AAAA",
             f"/staff/cases/{access['reference']}?done=extension", f"/staff/cases/{complaint['reference']}?error=x",
             f"/staff/cases/{incident['reference']}?error=reason_required",
             f"/staff/cases/{misconduct['reference']}?done=message"]
    dates = {"sv": "2 mars 2026 kl. ", "nb": "2. mars 2026 kl. ", "en": "2 March 2026, "}
    clocks = {"sv": (" dagar kvar (förlängd)", " av 72 timmar kvar", "bekräfta mottagandet senast "),
              "nb": (" dager igjen (forlenget)", " av 72 timer igjen", "bekreft mottak innen "),
              "en": (" days left (extended)", " h left of 72 h", "acknowledge by ")}
    for lang in ("sv", "nb", "en"):
        response = await switch_language(web, lang, "/staff/dashboard")
        assert response.headers["Location"] == "/staff/dashboard"
        seen = []
        for path in pages:
            status, body, _ = await web.get(path)
            assert status in (200, 400, 404), (path, status)
            assert f'<html lang="{lang}">' in body, path
            if lang != "en":
                assert english_left(body, lang) == [], (lang, path)
            seen.append(body)
        everything = "\n".join(seen)
        assert dates[lang] in everything and all(clock in everything for clock in clocks[lang]), lang
        # The form that failed the CSRF check is answered in the chosen language too.
        status, body, _ = await web.post(f"/staff/cases/{access['reference']}/status", {"status": "completed"})
        assert status == 403 and f'<html lang="{lang}">' in body
        if lang != "en":
            assert english_left(body, lang) == []
    # English pages do use the English texts (so the check above is not empty-handed).
    status, body, _ = await web.get(f"/staff/cases/{access['reference']}")
    assert "Timeline" in body and english_left(body, "sv") != []


async def test_sign_in_page_follows_accept_language_and_says_everything_in_it(web: Browserless) -> None:
    token = await web.api.staff_token()
    for header, lang, heading in (("sv-SE,sv;q=0.9", "sv", "Logga in"), ("nn-NO", "nb", "Logg inn"),
                                  ("de-DE", "en", "Sign in"), (None, "en", "Sign in")):
        headers = {"Accept-Language": header} if header else {}
        status, body, _ = await web.get("/staff/signin", headers=headers)
        assert status == 200 and f'<html lang="{lang}">' in body and f"<h1>{heading}</h1>" in body
        csrf = CSRF_RE.search(body).group(1)  # type: ignore[union-attr]
        status, body, _ = await web.post("/staff/signin", {"csrf": csrf, "token": "wrong"}, headers=headers)
        assert status == 401 and f'<html lang="{lang}">' in body
        if lang != "en":
            assert english_left(body, lang) == [], lang
    status, body, _ = await web.post("/staff/signin", {"csrf": "x" * 64, "token": token},
                                     headers={"Accept-Language": "sv"})
    assert status == 403 and "Inloggningsformuläret hann gå ut" in body
    # Signed out, in the language of the browser.
    await web.sign_in(token)
    csrf = await web.csrf("/staff/cases")
    status, _, response = await web.post("/staff/signout", {"csrf": csrf})
    status, body, _ = await web.get(response.headers["Location"], headers={"Accept-Language": "nb"})
    assert "Du er nå logget ut." in body and english_left(body, "nb") == []


async def test_language_switcher_is_csrf_safe_and_the_choice_persists(web: Browserless) -> None:
    token = await web.api.staff_token()
    # Before sign-in: the switcher on the sign-in page carries the sign-in form's token.
    response = await switch_language(web, "sv", "/staff/signin")
    assert response.headers["Location"] == "/staff/signin"
    header = next(h for h in response.headers.getall("Set-Cookie") if h.startswith(i18n.LANGUAGE_COOKIE + "="))
    assert "HttpOnly" in header and "SameSite=Strict" in header and "Path=/staff" in header
    status, body, _ = await web.get("/staff/signin", headers={"Accept-Language": "en"})
    assert '<html lang="sv">' in body  # the choice beats the browser's preference
    await web.sign_in(token)
    for path in ("/staff/cases", "/staff/dashboard"):
        status, body, _ = await web.get(path)
        assert status == 200 and '<html lang="sv">' in body and "Inloggad som" in body

    before = web.api.count("audit_entries")
    csrf = await web.csrf("/staff/cases")
    refused = (({"lang": "nb", "next": "/staff/cases"}, {}),  # no token
               ({"lang": "nb", "next": "/staff/cases", "csrf": "0" * 64}, {}),  # wrong token
               ({"lang": "nb", "next": "/staff/cases", "csrf": csrf}, {"Origin": "http://evil.example"}))
    for data, headers in refused:
        status, body, response = await web.post("/staff/language", data, headers=headers)
        assert status == 403 and i18n.LANGUAGE_COOKIE not in response.headers.get("Set-Cookie", ""), data
        assert '<html lang="sv">' in body
    status, _, _ = await web.post("/staff/language", {"lang": "de", "next": "/staff/cases", "csrf": csrf})
    assert status == 400
    # `next` only ever leads to one of our own pages.
    for back in ("https://evil.example/", "//evil.example/staff/cases", "/api/v1/staff/cases", "/staff/cases\r\nX: y",
                 "javascript:alert(1)", "/staff/../api", "/staff/cases\n"):
        status, _, response = await web.post("/staff/language", {"lang": "nb", "next": back, "csrf": csrf})
        assert status == 303 and response.headers["Location"] == "/staff/cases", back
    status, _, response = await web.post("/staff/language",
                                         {"lang": "nb", "next": "/staff/cases?type=incident&overdue=true", "csrf": csrf})
    assert response.headers["Location"] == "/staff/cases?type=incident&overdue=true"
    status, body, _ = await web.get("/staff/cases")
    assert '<html lang="nb">' in body and "Logget inn som" in body
    assert web.api.count("audit_entries") == before  # switching language is not a case event
    # The choice outlives the session: after signing out the sign-in page stays Norwegian.
    csrf = await web.csrf("/staff/cases")
    await web.post("/staff/signout", {"csrf": csrf})
    status, body, _ = await web.get("/staff/signin?ended=1")
    assert '<html lang="nb">' in body and "Du er nå logget ut." in body


async def test_configured_default_language_when_the_browser_names_none(api: Api) -> None:
    svc = build_services(replace(api.settings, staff_default_language="sv"),
                         mailer=OutboxMailer(api.settings.outbox_dir, from_address=api.settings.mail_from),
                         clock=api.clock)
    app = create_app(svc.settings, svc)
    client = TestClient(TestServer(app, host="127.0.0.1", port=0))
    await client.start_server()
    try:
        for header, lang in ((None, "sv"), ("de-DE,fr;q=0.8", "sv"), ("en-US", "en"), ("nb", "nb")):
            response = await client.get("/staff/signin", headers={"Accept-Language": header} if header else {})
            assert f'<html lang="{lang}">' in await response.text(), header
    finally:
        await client.close()
        svc.close()


async def test_switcher_and_pages_stay_escaped(web: Browserless) -> None:
    await web.sign_in(await web.api.staff_token("privacy_officer", 'Pia <img src=x onerror="alert(1)">'))
    status, body, _ = await web.get('/staff/cases?due_within_days=5&x="><script>alert(1)</script>')
    assert status == 200
    assert "<script>alert" not in body and '<img src=x' not in body
    assert "&lt;img src=x onerror=&quot;alert(1)&quot;&gt;" in body
    assert 'name="next" value="/staff/cases?due_within_days=5&amp;x=%22%3E%3Cscript%3Ealert(1)%3C/script%3E"' in body
