"""Staff pages in headless Chromium (Playwright, Debian's /usr/bin/chromium) against the real backend app
on a free port with SQLite: sign-in, list, detail, status change, extension (the requester's e-mail in
their language), an anonymous reporter's reply, inert XSS, role scoping and CSRF. Screenshots go to
test-artifacts/staff/."""

from __future__ import annotations

import asyncio
import re
from pathlib import Path
from typing import Any, AsyncIterator, Iterator

import pytest
from aiohttp import web

from backend.app import create_app
from backend.pages.auth import StaffPagesConfig
from backend.routes.staff_pages import setup_staff_pages
from tests.backend.conftest import Api, MigratedTemplates, body_of
from tests.web.conftest import CHROMIUM, CHROMIUM_ARGS, ROOT, Recorder, new_page

ARTIFACTS = ROOT / "test-artifacts" / "staff"
XSS = ('<script>window.__xss=1</script> <img src=x onerror="window.__xss=2"> '
       '<a href="javascript:window.__xss=3">click me</a>')
XSS_REPLY = '<img src=x onerror="window.__xss=5"><script>window.__xss=6</script> javascript:window.__xss=7'


@pytest.fixture
def db_url(tmp_path: Path, migrated_templates: MigratedTemplates) -> Iterator[str]:
    """Browser tests run on SQLite only (the HTTP tests in test_staff_pages.py cover PostgreSQL)."""
    yield migrated_templates.sqlite(tmp_path / "backend.db")


@pytest.fixture
async def browser() -> AsyncIterator[Any]:
    if not Path(CHROMIUM).is_file():
        pytest.skip(f"{CHROMIUM} missing: apt-get update && apt-get install -y chromium")
    from playwright.async_api import async_playwright

    playwright = await async_playwright().start()
    try:
        chromium = await playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            await chromium.close()
    finally:
        await playwright.stop()


async def _serve(app: web.Application) -> tuple[web.AppRunner, str]:
    runner = web.AppRunner(app, shutdown_timeout=0.2)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    return runner, f"http://127.0.0.1:{runner.addresses[0][1]}"


@pytest.fixture
async def base_url(api: Api) -> AsyncIterator[str]:
    app = create_app(api.settings, api.svc)
    setup_staff_pages(app, StaffPagesConfig())
    runner, url = await _serve(app)
    try:
        yield url
    finally:
        await runner.cleanup()


def shot(name: str) -> str:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return str(ARTIFACTS / f"{name}.png")


async def staff_page(browser: Any, recorder: Recorder) -> tuple[Any, list[str]]:
    page = await new_page(browser, recorder, locale="en-GB", viewport={"width": 1360, "height": 1000})
    dialogs: list[str] = []

    def on_dialog(dialog: Any) -> None:
        dialogs.append(dialog.message)
        asyncio.ensure_future(dialog.dismiss())

    page.on("dialog", on_dialog)
    return page, dialogs


async def sign_in(page: Any, base_url: str, token: str) -> None:
    await page.goto(base_url + "/staff/cases")
    assert page.url.endswith("/staff/signin")  # anonymous: straight to sign-in
    await page.fill("#token", token)
    await page.click("form.signin button[type=submit]")
    await page.wait_for_url(re.compile(r".*/staff/cases$"))


async def assert_inert(page: Any) -> None:
    assert await page.evaluate("() => window.__xss") is None
    injected = await page.evaluate(
        "() => document.querySelectorAll('main script, main img, main a[href^=\"javascript\"], main [onerror]').length")
    assert injected == 0


async def test_privacy_officer_works_a_case_in_the_browser(api: Api, base_url: str, browser: Any) -> None:
    recorder = Recorder()
    access = await api.verified_case(details={"description": XSS},
                                     requester={"name": 'Anna <img src=x onerror="window.__xss=4">',
                                                "email": "anna@example.com"})
    status, incident = await api.create(
        type="incident", language="en", channel="teams", anonymous=True, requester=None, country="NO",
        aware_at=api.clock.now.replace(hour=7).isoformat(), details={"description": "USB stick lost"})
    assert status == 201, incident
    status, _ = await api.post("/api/v1/status/receipt/reply",
                               {"reference": incident["reference"], "receipt": incident["receipt"], "body": XSS_REPLY})
    assert status == 201
    token = await api.staff_token("privacy_officer", "Pia Officer")

    page, dialogs = await staff_page(browser, recorder)
    await sign_in(page, base_url, token)
    table = await page.inner_text("table.cases")
    assert access["reference"] in table and incident["reference"] in table
    assert "30 days left" in table and "h left of 72 h" in table
    await page.screenshot(path=shot("01_case_list"), full_page=True)

    # Detail: decrypted requester data, requester text shown as text and inert.
    await page.click(f"text={access['reference']}")
    await page.wait_for_selector("h1")
    main = await page.inner_text("main")
    assert "anna@example.com" in main and 'Anna <img src=x onerror="window.__xss=4">' in main
    assert "<script>window.__xss=1</script>" in main and "javascript:window.__xss=3" in main
    await assert_inert(page)
    await page.screenshot(path=shot("02_case_detail_xss_inert"), full_page=True)

    # Status change with a reason.
    await page.select_option("#status-form select[name=status]", "in_progress")
    await page.fill("#status-form textarea[name=reason]", "Collecting the data from the CRM")
    await page.click("#status-form button[type=submit]")
    await page.wait_for_selector(".notice")
    assert "Status changed." in await page.inner_text(".notice")
    assert "In progress" in await page.inner_text("h1 .badge")
    assert "Open → In progress (reason given)" in await page.inner_text("ol.timeline")

    # Extension: the requester is told in Swedish.
    await page.select_option("#extension-form select[name=months]", "2")
    await page.fill("#extension-form textarea[name=reason]", "Vi har fått ovanligt många begäranden.")
    await page.click("#extension-form button[type=submit]")
    await page.wait_for_selector(".notice")
    assert "Deadline extended" in await page.inner_text(".notice")
    assert await page.locator("#extension-form").count() == 0  # once only
    mails = [m for m in await api.mails_for(access["reference"]) if "mer tid" in str(m["Subject"])]
    assert len(mails) == 1 and mails[0]["To"] == "anna@example.com"
    assert "Vi har fått ovanligt många begäranden." in body_of(mails[0]) and "Hej!" in body_of(mails[0])
    await page.screenshot(path=shot("03_case_extended"), full_page=True)

    # The anonymous reporter's reply (sent through the receipt) is visible, and inert.
    await page.goto(f"{base_url}/staff/cases/{incident['reference']}")
    messages = await page.inner_text("ul.messages")
    assert "Anonymous reporter" in messages and '<img src=x onerror="window.__xss=5">' in messages
    await assert_inert(page)
    await page.fill("#message-form textarea[name=body]", "Thank you. Was the stick encrypted?")
    await page.click("#message-form button[type=submit]")
    await page.wait_for_selector(".notice")
    status, seen = await api.post("/api/v1/status/receipt",
                                  {"reference": incident["reference"], "receipt": incident["receipt"]})
    assert status == 200 and any(m["body"] == "Thank you. Was the stick encrypted?" for m in seen["messages"])
    await page.screenshot(path=shot("04_incident_with_reporter_reply"), full_page=True)

    await page.click("nav.top >> text=Dashboard")
    await page.wait_for_selector("svg.chart")
    assert await page.locator("main svg").count() >= 2  # weekly chart + the breach clock bar
    assert incident["reference"] in await page.inner_text("main")
    await page.screenshot(path=shot("05_dashboard"), full_page=True)

    await page.click("nav.top button[type=submit]")  # sign out
    await page.wait_for_url(re.compile(r".*/staff/signin\?ended=1$"))
    await page.goto(f"{base_url}/staff/cases/{access['reference']}")
    assert page.url.endswith("/staff/signin")
    assert dialogs == [] and recorder.page_errors == [] and recorder.non_local() == []
    await page.context.close()


async def test_recruiter_cannot_open_an_incident(api: Api, base_url: str, browser: Any) -> None:
    recorder = Recorder()
    status, incident = await api.create(
        type="incident", language="en", channel="teams", anonymous=True, requester=None, country="NO",
        aware_at=api.clock.now.isoformat(), details={"description": "Confidential breach text"})
    assert status == 201
    withdrawal = await api.verified_case(type="application_withdrawal", language="nb", country="NO")
    page, _ = await staff_page(browser, recorder)
    await sign_in(page, base_url, await api.staff_token("recruiter", "Rita Recruiter"))
    table = await page.inner_text("main")
    assert withdrawal["reference"] in table and incident["reference"] not in table
    response = await page.goto(f"{base_url}/staff/cases/{incident['reference']}")
    assert response.status == 404
    text = await page.inner_text("main")
    assert "No such case" in text and "Confidential" not in text
    await page.screenshot(path=shot("06_recruiter_incident_404"), full_page=True)
    await page.context.close()


async def test_csrf_is_rejected_in_the_browser(api: Api, base_url: str, browser: Any) -> None:
    recorder = Recorder()
    case = await api.verified_case()
    reference = case["reference"]
    page, _ = await staff_page(browser, recorder)
    await sign_in(page, base_url, await api.staff_token())
    await page.goto(f"{base_url}/staff/cases/{reference}")

    # 1. Our own form with a tampered token.
    await page.evaluate("() => { document.querySelector('#status-form input[name=csrf]').value = 'x'.repeat(64); }")
    await page.select_option("#status-form select[name=status]", "completed")
    async with page.expect_response(lambda r: r.request.method == "POST") as posted:
        await page.click("#status-form button[type=submit]")
    assert (await posted.value).status == 403
    assert "not accepted" in await page.inner_text("main")

    # 2. A form on another origin posting to the staff pages while the staff member is signed in.
    attacker = web.Application()

    async def evil(_request: web.Request) -> web.Response:
        return web.Response(content_type="text/html", text=(
            f'<form method="post" action="{base_url}/staff/cases/{reference}/status">'
            '<input type="hidden" name="status" value="completed"><input type="hidden" name="csrf" value="guess">'
            '<button id="go" type="submit">Win a prize</button></form>'))

    attacker.router.add_get("/", evil)
    runner, attacker_url = await _serve(attacker)
    try:
        await page.goto(attacker_url + "/")
        async with page.expect_response(lambda r: r.request.method == "POST") as posted:
            await page.click("#go")
        # 127.0.0.1 on another port is same-site, so SameSite=Strict alone would let the cookie through:
        # the Origin check and the CSRF token must refuse it.
        assert (await posted.value).status == 403
        await page.wait_for_load_state()
        await page.screenshot(path=shot("07_csrf_rejected"), full_page=True)
    finally:
        await runner.cleanup()
    rows = api.sql("SELECT status FROM cases WHERE reference = :r", r=reference)
    assert rows[0][0] == "open"
    await page.context.close()


async def test_language_follows_the_browser_then_the_switcher_in_chromium(api: Api, base_url: str,
                                                                          browser: Any) -> None:
    """A Swedish browser gets Swedish pages; the switcher turns them Norwegian on every page after, also
    after signing out; requester text stays inert whatever the language."""
    recorder = Recorder()
    access = await api.verified_case(details={"description": XSS})
    token = await api.staff_token("privacy_officer", "Pia Ek")
    page = await new_page(browser, recorder, locale="sv-SE", viewport={"width": 1360, "height": 1000})

    await page.goto(base_url + "/staff/signin")
    assert await page.evaluate("() => document.documentElement.lang") == "sv"
    assert await page.inner_text("h1") == "Logga in"
    await page.fill("#token", token)
    await page.click("form.signin button[type=submit]")
    await page.wait_for_url(re.compile(r".*/staff/cases$"))
    assert "30 dagar kvar" in await page.inner_text("table.cases")
    assert "Ärendenummer" in await page.inner_text("table.cases thead")
    await page.screenshot(path=shot("08_case_list_sv"), full_page=True)

    # The switcher: back on the same page (with its filters), now in Norwegian.
    await page.goto(base_url + "/staff/cases?type=access")
    await page.click("form.lang button[value=nb]")
    await page.wait_for_url(re.compile(r".*/staff/cases\?type=access$"))
    assert await page.evaluate("() => document.documentElement.lang") == "nb"
    assert "30 dager igjen" in await page.inner_text("table.cases")
    assert await page.get_attribute("form.lang button[value=nb]", "aria-pressed") == "true"
    await page.click("nav.top >> text=Oversikt")
    await page.wait_for_selector("svg.chart")
    assert await page.inner_text("h1") == "Oversikt" and "Saker per uke etter type" in await page.inner_text("main")
    await page.goto(f"{base_url}/staff/cases/{access['reference']}")
    main = await page.inner_text("main")
    assert "Hva innsenderen skrev" in main and "<script>window.__xss=1</script>" in main
    assert "2. mars 2026 kl." in main
    await assert_inert(page)
    await page.screenshot(path=shot("09_case_detail_nb"), full_page=True)

    await page.click("nav.top button[type=submit]")  # Logg ut
    await page.wait_for_url(re.compile(r".*/staff/signin\?ended=1$"))
    assert "Du er nå logget ut." in await page.inner_text("main")
    await page.click("form.lang button[value=en]")  # before sign-in, too
    await page.wait_for_url(re.compile(r".*/staff/signin\?ended=1$"))
    assert await page.inner_text("h1") == "Sign in"
    assert recorder.page_errors == [] and recorder.non_local() == []
    await page.context.close()
