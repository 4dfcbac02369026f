"""Browser tests of the chat widget (web/) against a real python-socketio server speaking Rasa's protocol.

Chromium is the Debian one at /usr/bin/chromium, driven by Playwright's async API in the test's event loop,
so the page server, the socket server and the browser all run in one process on 127.0.0.1.
"""

from __future__ import annotations

import asyncio
import re
from typing import Any, Dict, List

import aiohttp
import pytest
from yarl import URL

from backend.routes.web import load_web_settings, parse_frame_ancestors, parse_rasa_public_url
from tests.web.conftest import (
    WEB_DIR,
    Recorder,
    new_page,
    open_chat,
    screenshot_path,
    serve_page,
    session_storage,
)
from tests.web.rasa_like_socketio import XSS_TEXT, RasaLikeServer, wait_for

SESSION_ID = re.compile(r"^[0-9a-f]{32}$")
STORAGE = "privacyChat.v1."


async def send(page: Any, text: str) -> None:
    await page.fill(".pc-input", text)
    await page.press(".pc-input", "Enter")


async def bot_texts(page: Any) -> List[str]:
    return await page.locator(".pc-msg-bot .pc-bubble").all_text_contents()


async def wait_bot_text(page: Any, text: str, timeout: float = 10_000) -> None:
    await page.locator(".pc-msg-bot .pc-bubble", has_text=text).first.wait_for(timeout=timeout)


# ---------------------------------------------------------------- HTTP: headers and the allow-list


async def test_page_and_static_files_carry_strict_headers(rasa_like: RasaLikeServer) -> None:
    runner, url = await serve_page(rasa_like.url)
    try:
        async with aiohttp.ClientSession() as http:
            async with http.get(url + "/") as response:
                assert response.status == 200
                assert response.content_type == "text/html"
                body = await response.text()
                headers = response.headers
            csp = headers["Content-Security-Policy"]
            directives = dict(d.strip().split(" ", 1) for d in csp.split(";"))
            assert directives["default-src"] == "'self'"
            assert directives["script-src"] == "'self'"  # no 'unsafe-inline', no 'unsafe-eval'
            assert directives["style-src"] == "'self'"
            port = rasa_like.port
            assert directives["connect-src"] == f"'self' http://127.0.0.1:{port} ws://127.0.0.1:{port}"
            assert directives["frame-ancestors"] == "'none'"
            assert directives["object-src"] == "'none'"
            assert headers["X-Content-Type-Options"] == "nosniff"
            assert headers["Referrer-Policy"] == "no-referrer"
            assert headers["X-Frame-Options"] == "DENY"
            assert f'data-rasa-url="{rasa_like.url}"' in body
            assert "__RASA_PUBLIC_URL__" not in body
            # Nothing in the page points anywhere but here (the embed snippet's example addresses are text).
            code_free = re.sub(r"<pre.*?</pre>", "", body, flags=re.S)
            assert re.findall(r'(?:src|href)="(?!/|#)[^"]*"', code_free) == []

            async with http.get(url + "/static/widget.js") as response:
                assert response.status == 200
                assert response.headers["Content-Type"] == "text/javascript; charset=utf-8"
                assert response.headers["X-Content-Type-Options"] == "nosniff"
                assert "Content-Security-Policy" in response.headers
            async with http.get(url + "/static/vendor/socket.io.min.js") as response:
                assert response.status == 200
                assert "Socket.IO v4." in (await response.text())[:200]
            for bad in (
                "/static/../pyproject.toml",
                "/static/%2e%2e/pyproject.toml",
                "/static/node_modules/socket.io-client/package.json",
                "/static/src/widget.js",
                "/static/index.html",
                "/static/",
            ):
                # encoded=True: send the path as written, `..` included, instead of letting the client fold it.
                async with http.get(URL(url + bad, encoded=True)) as response:
                    assert response.status == 404, bad
    finally:
        await runner.cleanup()


async def test_settings_validate_rasa_url_and_frame_ancestors(monkeypatch: pytest.MonkeyPatch) -> None:
    assert parse_rasa_public_url("https://chat.example.com/rasa/") == (
        "https://chat.example.com/rasa",
        ("https://chat.example.com", "wss://chat.example.com"),
    )
    assert parse_rasa_public_url("http://localhost:5005")[1] == ("http://localhost:5005", "ws://localhost:5005")
    for bad in ("ftp://x", "localhost:5005", "http://", "http://x:99999", "http://h/?q=1", "http://u:p@h"):
        with pytest.raises(ValueError):
            parse_rasa_public_url(bad)
    assert parse_frame_ancestors("'self' https://www.example.com") == "'self' https://www.example.com"
    for bad in ("*", "https://a.com; script-src *", "'none' 'self'", "https://a.com,https://b.com", "'unsafe-inline'"):
        with pytest.raises(ValueError):
            parse_frame_ancestors(bad)

    monkeypatch.setenv("RASA_PUBLIC_URL", "https://rasa.example.com")
    monkeypatch.setenv("WEB_FRAME_ANCESTORS", "https://www.example.com")
    settings = load_web_settings()
    csp = settings.content_security_policy()
    assert "connect-src 'self' https://rasa.example.com wss://rasa.example.com" in csp
    assert "frame-ancestors https://www.example.com" in csp

    # A configured framing origin drops X-Frame-Options (it can only say DENY or SAMEORIGIN).
    runner, url = await serve_page("http://127.0.0.1:5005", frame_ancestors="'self'")
    try:
        async with aiohttp.ClientSession() as http:
            async with http.get(url + "/") as response:
                assert "frame-ancestors 'self'" in response.headers["Content-Security-Policy"]
                assert "X-Frame-Options" not in response.headers
    finally:
        await runner.cleanup()

    from aiohttp import web

    from backend.routes.web import setup_web_routes

    monkeypatch.setenv("RASA_PUBLIC_URL", "javascript:alert(1)")
    with pytest.raises(ValueError):
        setup_web_routes(web.Application(), WEB_DIR)


# ---------------------------------------------------------------- browser


async def test_message_round_trip_without_console_errors(
    page: Any, site_url: str, rasa_like: RasaLikeServer, recorder: Recorder
) -> None:
    response = await page.goto(site_url + "/")
    assert "script-src 'self';" in response.headers["content-security-policy"]  # Playwright lower-cases
    assert rasa_like.received == [], "no socket before the visitor opens the chat"
    await page.click(".pc-launcher")
    await page.wait_for_selector('.pc-status[data-state="online"]')
    await send(page, "hej där")
    await wait_bot_text(page, "echo[sv-SE]: hej där")

    assert await page.locator(".pc-msg-user .pc-bubble").all_text_contents() == ["hej där"]
    [message] = rasa_like.messages()
    assert message["message"] == "hej där"
    assert SESSION_ID.match(message["session_id"])
    assert message["metadata"] == {"locale": "sv-SE"}
    [request] = rasa_like.events("session_request")
    assert request.data == {"session_id": message["session_id"]}
    # The screen-reader live region got the bot's words, not the user's own.
    live = await page.locator('.pc-root [aria-live="polite"]').text_content()
    assert "echo[sv-SE]: hej där" in live
    assert live.count("hej där") == 1
    assert await page.locator(".pc-input").input_value() == ""
    await page.screenshot(path=screenshot_path("round_trip_desktop"))

    assert recorder.console_errors == []
    assert recorder.page_errors == []


async def test_quick_reply_sends_payload_and_shows_title(page: Any, site_url: str, rasa_like: RasaLikeServer) -> None:
    await open_chat(page, site_url)
    await send(page, "buttons")
    await wait_bot_text(page, "Which right do you mean?")
    buttons = page.locator(".pc-quick-reply")
    assert await buttons.all_text_contents() == ["See my data", "Delete my data"]
    await page.screenshot(path=screenshot_path("quick_replies"))

    await buttons.nth(1).click()
    await wait_for(lambda: len(rasa_like.messages()) == 2)
    assert rasa_like.messages()[1]["message"] == "/request_erasure"
    assert await page.locator(".pc-msg-user .pc-bubble").all_text_contents() == ["buttons", "Delete my data"]
    await wait_bot_text(page, "echo[sv-SE]: /request_erasure")
    assert await page.locator(".pc-quick-reply").count() == 0, "answered suggestions are retired"
    assert await page.evaluate("document.activeElement.id") == "privacy-chat-input"


async def test_language_choice_is_sent_as_metadata_and_translates_the_interface(
    browser: Any, page: Any, site_url: str, rasa_like: RasaLikeServer, recorder: Recorder
) -> None:
    await open_chat(page, site_url)
    assert await page.locator(".pc-send").text_content() == "Skicka"  # auto + sv-SE browser
    assert await page.get_attribute("html", "lang") == "sv"

    await page.select_option(".pc-language", "nb")
    assert await page.locator(".pc-forget").text_content() == "Glem denne samtalen"
    assert await page.locator("h1").text_content() == "Personopplysningene dine hos oss"
    assert await page.get_attribute(".pc-root", "lang") == "nb"
    await send(page, "hei")
    await wait_bot_text(page, "echo[nb]: hei")

    await page.select_option(".pc-language", "en")
    assert await page.locator(".pc-send").text_content() == "Send"
    assert await page.locator(".pc-launcher").text_content() == "Questions about personal data? Chat with us"
    await send(page, "hello")
    await wait_bot_text(page, "echo[en]: hello")

    await page.select_option(".pc-language", "auto")
    await send(page, "hallå")
    await wait_bot_text(page, "echo[sv-SE]: hallå")

    assert [m["metadata"] for m in rasa_like.messages()] == [
        {"language": "nb"},
        {"language": "en"},
        {"locale": "sv-SE"},
    ]

    # The choice survives a reload in the tab.
    await page.select_option(".pc-language", "nb")
    await page.reload()
    assert await page.locator(".pc-language").input_value() == "nb"
    assert await page.locator(".pc-send").text_content() == "Send"
    assert await page.locator(".pc-title").text_content() == "Personvernassistenten"

    # "Automatic" follows a Norwegian browser too (nn/no/nb all map to nb).
    other = await new_page(browser, recorder, locale="nn-NO")
    try:
        await other.goto(site_url + "/")
        assert await other.locator(".pc-launcher").text_content() == "Spørsmål om personopplysninger? Chat med oss"
    finally:
        await other.context.close()


async def test_reload_in_the_same_tab_keeps_the_conversation(
    browser: Any, page: Any, site_url: str, rasa_like: RasaLikeServer, recorder: Recorder
) -> None:
    await open_chat(page, site_url)
    await send(page, "lines")
    await wait_bot_text(page, "first line")
    first_id = rasa_like.messages()[0]["session_id"]

    await page.reload()
    await page.wait_for_selector('.pc-status[data-state="online"]')  # still open, reconnected
    assert await page.locator(".pc-msg-user .pc-bubble").all_text_contents() == ["lines"]
    bubble = page.locator(".pc-msg-bot .pc-bubble").first
    assert await bubble.evaluate("b => b.innerText") == "first line\nsecond line"  # line break kept
    assert [r.data["session_id"] for r in rasa_like.events("session_request")] == [first_id, first_id]

    await send(page, "again")
    await wait_bot_text(page, "echo[sv-SE]: again")
    assert rasa_like.messages()[1]["session_id"] == first_id

    # A new tab is a new, unrelated conversation.
    other = await new_page(browser, recorder)
    try:
        await open_chat(other, site_url)
        assert await other.locator(".pc-msg").count() == 0
        other_id = rasa_like.events("session_request")[-1].data["session_id"]
        assert SESSION_ID.match(other_id) and other_id != first_id
    finally:
        await other.context.close()


async def test_session_id_comes_from_crypto_get_random_values(page: Any, site_url: str) -> None:
    await page.add_init_script(
        """(() => { const original = crypto.getRandomValues.bind(crypto); window.__randomCalls = [];
             crypto.getRandomValues = (array) => { window.__randomCalls.push(array.length * (array.BYTES_PER_ELEMENT || 1));
               return original(array); }; })();"""
    )
    await page.goto(site_url + "/")
    stored = (await session_storage(page))[STORAGE + "sessionId"]
    assert SESSION_ID.match(stored)
    assert 16 in await page.evaluate("window.__randomCalls"), "128 bits drawn from crypto.getRandomValues"


async def test_forget_wipes_the_tab_and_asks_the_server_to_forget(
    page: Any, site_url: str, rasa_like: RasaLikeServer, recorder: Recorder
) -> None:
    await open_chat(page, site_url)
    await send(page, "my secret question")
    await wait_bot_text(page, "echo[sv-SE]: my secret question")
    old_id = rasa_like.messages()[0]["session_id"]
    assert "my secret question" in (await session_storage(page))[STORAGE + "messages"]

    await page.click(".pc-forget")
    assert await page.evaluate("document.activeElement.className") == "pc-confirm-yes"
    await page.click(".pc-confirm-yes")

    await wait_for(lambda: any(m["message"] == "/forget_conversation" for m in rasa_like.messages()))
    forget = [m for m in rasa_like.messages() if m["message"] == "/forget_conversation"]
    assert len(forget) == 1 and forget[0]["session_id"] == old_id
    assert await page.locator(".pc-msg-user, .pc-msg-bot").count() == 0
    assert await page.locator(".pc-msg-system").text_content() == "Samtalet är glömt. Ett nytt samtal har börjat."

    await page.wait_for_selector('.pc-status[data-state="online"]')
    new_id = rasa_like.events("session_request")[-1].data["session_id"]
    assert SESSION_ID.match(new_id) and new_id != old_id

    async def storage_settled() -> Dict[str, Any]:
        for _ in range(100):
            stored = await session_storage(page)
            if STORAGE + "pendingForget" not in stored:  # removed once the server acknowledged it
                return stored
            await asyncio.sleep(0.05)
        raise AssertionError("the forget request was never acknowledged")

    stored = await storage_settled()
    assert stored.get(STORAGE + "sessionId") == new_id
    assert STORAGE + "messages" not in stored
    assert "my secret question" not in repr(stored)

    # The server's reply to the forget goes to the old room, which this tab has left.
    await asyncio.sleep(0.5)
    assert not any("FORGET-REPLY" in t for t in await bot_texts(page))

    await page.reload()
    await page.wait_for_selector('.pc-status[data-state="online"]')
    assert await page.locator(".pc-msg").count() == 0
    await send(page, "fresh start")
    await wait_bot_text(page, "echo[sv-SE]: fresh start")
    assert rasa_like.messages()[-1]["session_id"] == new_id
    assert recorder.console_errors == []


async def test_offline_status_retry_and_recovery(
    page: Any, site_url: str, rasa_like: RasaLikeServer, recorder: Recorder
) -> None:
    await open_chat(page, site_url)
    await send(page, "before")
    await wait_bot_text(page, "echo[sv-SE]: before")

    await rasa_like.stop()
    status = page.locator(".pc-status")
    await page.wait_for_selector('.pc-status[data-state="reconnecting"]', timeout=10_000)
    assert "Försöker igen" in await status.text_content()
    await page.wait_for_selector('.pc-status[data-state="offline"]', timeout=30_000)
    assert "når inte servern" in await status.text_content()
    assert await page.locator(".pc-retry").is_visible()

    await send(page, "while offline")
    assert await page.locator(".pc-form-note").is_visible()
    assert await page.locator(".pc-input").input_value() == "while offline", "the draft is not lost"
    assert await page.locator(".pc-msg-user .pc-bubble").all_text_contents() == ["before"]
    await page.screenshot(path=screenshot_path("offline"))

    restarted = RasaLikeServer(port=rasa_like.port)
    await restarted.start()
    try:
        await page.click(".pc-retry")
        await page.wait_for_selector('.pc-status[data-state="online"]', timeout=15_000)
        old_id = rasa_like.messages()[0]["session_id"]
        assert restarted.events("session_request")[-1].data["session_id"] == old_id
        await page.press(".pc-input", "Enter")
        await wait_bot_text(page, "echo[sv-SE]: while offline")
    finally:
        await restarted.stop()
    # Chromium logs the refused WebSocket connections as console errors; nothing else may appear.
    unexpected = [e for e in recorder.console_errors if "WebSocket connection to" not in e]
    assert unexpected == []
    assert recorder.page_errors == []


async def test_no_request_leaves_localhost(page: Any, site_url: str, recorder: Recorder) -> None:
    await open_chat(page, site_url)
    await send(page, "hej")
    await wait_bot_text(page, "echo")
    paths = sorted({re.sub(r"^\w+://[^/]+", "", u).split("?")[0] for u in recorder.urls})
    assert paths == [
        "/",
        "/socket.io/",
        "/static/favicon.svg",
        "/static/page.css",
        "/static/page.js",
        "/static/vendor/socket.io.min.js",
        "/static/widget.css",
        "/static/widget.js",
    ]
    assert any(u.startswith("ws://127.0.0.1:") for u in recorder.urls)
    assert recorder.non_local() == []


async def test_csp_blocks_inline_scripts_markup_sinks_and_foreign_connections(page: Any, site_url: str) -> None:
    await page.goto(site_url + "/")
    result = await page.evaluate(
        """async () => {
            const violations = [];
            document.addEventListener('securitypolicyviolation', e => violations.push(e.violatedDirective));
            const outcome = {};
            try { const s = document.createElement('script'); s.textContent = 'window.__inline = 1';
                  document.body.appendChild(s); outcome.inlineScript = 'allowed'; }
            catch (e) { outcome.inlineScript = e.name; }
            try { document.body.insertAdjacentElement('beforeend', document.createElement('div')).innerHTML = '<b>x</b>';
                  outcome.innerHTML = 'allowed'; }
            catch (e) { outcome.innerHTML = e.name; }
            try { await fetch('http://localhost:1/'); outcome.fetch = 'allowed'; } catch (e) { outcome.fetch = e.name; }
            await new Promise(r => setTimeout(r, 200));
            return { outcome, violations, inline: window.__inline === undefined ? null : window.__inline };
        }"""
    )
    assert result["inline"] is None
    assert result["outcome"]["inlineScript"] == "TypeError"  # Trusted Types refuse the string
    assert result["outcome"]["innerHTML"] == "TypeError"
    assert result["outcome"]["fetch"] == "TypeError"  # blocked by connect-src
    assert "connect-src" in result["violations"]
    assert "require-trusted-types-for" in result["violations"]


async def test_html_in_bot_text_stays_inert(page: Any, site_url: str, recorder: Recorder) -> None:
    await open_chat(page, site_url)
    await send(page, "xss")
    await wait_bot_text(page, "Look:")
    bubble = page.locator(".pc-msg-bot .pc-bubble").first
    assert await bubble.text_content() == XSS_TEXT
    assert await page.locator(".pc-log img, .pc-log script, .pc-log [onerror]").count() == 0
    links = await page.locator(".pc-log a").evaluate_all("as => as.map(a => [a.href, a.target, a.rel])")
    assert links == [["https://example.org/policy", "_blank", "noopener noreferrer nofollow"]]
    await asyncio.sleep(0.3)
    assert await page.evaluate("window.__xss === undefined")
    # The stored copy re-renders as text after a reload as well.
    await page.reload()
    await page.wait_for_selector(".pc-msg-bot")
    assert await page.locator(".pc-msg-bot .pc-bubble").first.text_content() == XSS_TEXT
    assert await page.locator(".pc-log img, .pc-log script").count() == 0
    assert await page.evaluate("window.__xss === undefined")
    assert recorder.page_errors == []


async def test_phone_width_has_no_horizontal_scroll(browser: Any, site_url: str, recorder: Recorder) -> None:
    page = await new_page(browser, recorder, viewport={"width": 360, "height": 740}, is_mobile=True, has_touch=True)
    try:
        overflow = "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"
        await page.goto(site_url + "/")
        assert await page.evaluate(overflow) <= 0
        await page.screenshot(path=screenshot_path("phone_360_closed"), full_page=True)

        await page.click(".pc-launcher")
        await page.wait_for_selector('.pc-status[data-state="online"]')
        await send(page, "long")
        await wait_bot_text(page, "xxxx")
        await send(page, "buttons")
        await wait_bot_text(page, "Which right")
        assert await page.evaluate(overflow) <= 0
        box = await page.locator(".pc-panel").bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= 360
        for selector in (".pc-send", ".pc-input", ".pc-forget", ".pc-close", ".pc-quick-reply >> nth=1"):
            element = await page.locator(selector).bounding_box()
            assert element["x"] >= 0 and element["x"] + element["width"] <= 360, selector
        log_overflow = await page.locator(".pc-log").evaluate("l => l.scrollWidth - l.clientWidth")
        assert log_overflow <= 0
        # The log hides horizontal overflow, so also check that no bubble is wider than its box (text cut off).
        clipped = await page.locator(".pc-bubble, .pc-quick-reply").evaluate_all(
            "els => els.filter(e => e.scrollWidth > e.clientWidth + 1 || e.getBoundingClientRect().right > 360)"
            ".map(e => e.textContent.slice(0, 20))"
        )
        assert clipped == []
        await page.screenshot(path=screenshot_path("phone_360_open"))
    finally:
        await page.context.close()
    assert recorder.non_local() == []


async def test_keyboard_use_tab_order_and_visible_focus(page: Any, site_url: str, rasa_like: RasaLikeServer) -> None:
    await page.goto(site_url + "/")
    for _ in range(20):  # the launcher is reachable with Tab alone
        await page.keyboard.press("Tab")
        if await page.evaluate("document.activeElement.className") == "pc-launcher":
            break
    else:
        raise AssertionError("the chat button is not reachable with Tab")
    await page.keyboard.press("Enter")
    await page.wait_for_selector('.pc-status[data-state="online"]')
    assert await page.evaluate("document.activeElement.id") == "privacy-chat-input"

    await page.keyboard.type("rad ett")
    await page.keyboard.press("Shift+Enter")
    await page.keyboard.type("rad två")
    assert await page.locator(".pc-input").input_value() == "rad ett\nrad två"
    assert rasa_like.messages() == []
    await page.keyboard.press("Enter")
    await wait_bot_text(page, "echo[sv-SE]: rad ett\nrad två")

    await page.focus(".pc-close")
    order = []
    outlines = []
    for _ in range(6):
        await page.keyboard.press("Tab")
        info = await page.evaluate(
            """() => { const a = document.activeElement; const s = getComputedStyle(a);
                 return [a.className, s.outlineStyle, parseFloat(s.outlineWidth)]; }"""
        )
        order.append(info[0])
        outlines.append(info)
    assert order == ["pc-language", "pc-forget", "pc-log", "pc-input", "pc-send", "pc-launcher"]
    for name, style, width in outlines:
        assert style != "none" and width >= 2, name

    await page.focus(".pc-input")
    await page.keyboard.press("Escape")
    assert await page.locator(".pc-panel").is_hidden()
    assert await page.evaluate("document.activeElement.className") == "pc-launcher"
    assert await page.get_attribute(".pc-launcher", "aria-expanded") == "false"


CONTRAST_JS = """
(selectors) => {
  const lum = (rgb) => { const [r, g, b] = rgb.map(v => { v /= 255; return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); });
                         return 0.2126 * r + 0.7152 * g + 0.0722 * b; };
  const parse = (c) => { const m = c.match(/rgba?\\(([^)]+)\\)/); const p = m[1].split(/[ ,\\/]+/).filter(Boolean).map(Number);
                         return { rgb: p.slice(0, 3), a: p.length > 3 ? p[3] : 1 }; };
  const background = (el) => { for (let e = el; e; e = e.parentElement) { const c = parse(getComputedStyle(e).backgroundColor);
                                 if (c.a > 0.99) return c.rgb; } return [255, 255, 255]; };
  const out = {};
  for (const sel of selectors) {
    const el = document.querySelector(sel);
    if (!el) { out[sel] = null; continue; }
    const fg = lum(parse(getComputedStyle(el).color).rgb), bg = lum(background(el));
    out[sel] = (Math.max(fg, bg) + 0.05) / (Math.min(fg, bg) + 0.05);
  }
  return out;
}
"""


async def test_text_contrast_meets_wcag_aa(page: Any, site_url: str) -> None:
    await open_chat(page, site_url)
    await send(page, "buttons")
    await wait_bot_text(page, "Which right")
    await page.click(".pc-forget")  # shows the confirmation row
    selectors = [
        ".pc-launcher", ".pc-title", ".pc-language-label", ".pc-language", ".pc-forget", ".pc-confirm-text",
        ".pc-confirm-yes", ".pc-confirm-no", ".pc-status-text", ".pc-intro", ".pc-msg-user .pc-bubble",
        ".pc-msg-bot .pc-bubble", ".pc-quick-reply", ".pc-input", ".pc-send", ".pc-note",
        "h1", ".brand", ".demo-tag", ".open-chat", ".snippet", ".site-footer p", "nav a",
    ]
    ratios = await page.evaluate(CONTRAST_JS, selectors)
    states = {}
    for state in ("connecting", "reconnecting", "offline"):
        await page.evaluate(
            "s => { const st = document.querySelector('.pc-status'); st.dataset.state = s; "
            "document.querySelector('.pc-retry').hidden = false; }",
            state,
        )
        states.update({f"{state} {k}": v for k, v in (await page.evaluate(CONTRAST_JS, [".pc-status-text", ".pc-retry"])).items()})
    ratios.update(states)
    low = {k: round(v, 2) for k, v in ratios.items() if v is None or v < 4.5}
    assert low == {}, low
    print("lowest contrast ratio:", round(min(ratios.values()), 2))
