"""Server-rendered staff workspace under /staff/: sign-in, case list, case detail, dashboard.

Wiring: `setup_staff_pages(app)` after the API routes in `create_app`. It reuses the API's case services
for everything that reads or changes a case (role scoping, audit entries, e-mails to requesters), so the
pages and the API cannot disagree; what is new here is the browser session (backend/pages/auth.py) and
the HTML (backend/pages/views.py, escaped by backend/pages/markup.py).

Every response carries a strict CSP (`default-src 'self'`, no inline script or style), `no-store`,
`nosniff`, no referrer and no framing. Anonymous visitors are redirected to the sign-in page before any
case is looked up; error pages never contain case data.

Language (sv / nb / en, texts in backend/pages/i18n.py): the switcher on every page POSTs to
/staff/language (CSRF token of the session, or of the sign-in form before sign-in; Origin checked) and
the choice is kept in the `staff_lang` cookie (HttpOnly, SameSite=Strict, Path=/staff). A cookie rather
than the server-side session: it works on the sign-in page before there is a session, survives signing
out, needs no schema change, and holds nothing secret or personal. Without the cookie the browser's
Accept-Language decides, then STAFF_DEFAULT_LANGUAGE.
"""

from __future__ import annotations

import logging
import re
import secrets
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Awaitable, Callable, Mapping, Optional
from urllib.parse import urlsplit

from aiohttp import web

from backend.models import StaffUser
from backend.pages import views
from backend.pages.i18n import LANGUAGE_COOKIE, Translator, choose_language, translator
from backend.pages.auth import (
    COOKIE_PATH,
    SESSION_ABSOLUTE,
    SESSION_COOKIE,
    SIGNIN_COOKIE,
    AuthProvider,
    StaffPagesConfig,
    build_providers,
    client_key,
    create_session_tx,
    csrf_ok,
    csrf_token,
    delete_session_tx,
    load_session_tx,
    record_failure_tx,
    signin_blocked_tx,
)
from backend.pages.markup import Safe, url
from backend.pages.queries import staff_ids_in, staff_names_tx, timeline_tx
from backend.routes.common import SERVICES_KEY, services
from backend.schemas import CASE_TYPES, LANGUAGES, STATUSES, ApiError, path_reference
from backend.services import audit, cases
from backend.services.dashboard import dashboard

log = logging.getLogger("backend.staff_pages")

STATIC_DIR = Path(__file__).resolve().parent.parent / "pages" / "static"
STATIC_FILES = {"staff.css": ("staff.css", "text/css")}
MAX_COOKIE_LENGTH = 128
SIGNIN_COOKIE_SECONDS = 30 * 60
LANGUAGE_COOKIE_SECONDS = 365 * 24 * 3600
# Where the language switcher may send the browser back to: our own GET pages only (no open redirect).
SAFE_RETURN = re.compile(
    r"^/staff/(?:cases(?:/[A-Za-z0-9-]{1,40})?|dashboard|signin)(?:\?[A-Za-z0-9_.~%+=&/():@!*,;-]{0,500})?$")

CONTENT_SECURITY_POLICY = "; ".join((
    "default-src 'self'", "script-src 'self'", "style-src 'self'", "img-src 'self'", "font-src 'self'",
    "connect-src 'self'", "object-src 'none'", "base-uri 'none'", "form-action 'self'", "frame-ancestors 'none'",
))
SECURITY_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    # same-origin, not no-referrer: with no-referrer browsers send `Origin: null` on form posts, and the
    # Origin check below needs the real origin. Case URLs are still never sent to another site.
    "Referrer-Policy": "same-origin",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Cross-Origin-Resource-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=(), payment=(), usb=()",
}


@dataclass
class StaffPagesState:
    config: StaffPagesConfig
    providers: list[AuthProvider]


STAFF_PAGES_KEY = web.AppKey("staff_pages", StaffPagesState)


@dataclass
class Ctx:
    """The signed-in staff member of one request, and the language their pages are in."""

    staff: StaffUser
    session_id: str
    display: dict[str, str]
    tr: Translator = field(default_factory=Translator)
    here: str = "/staff/cases"
    form: Mapping[str, Any] = field(default_factory=dict)

    @property
    def csrf(self) -> str:
        return csrf_token(self.session_id)

    @property
    def chrome(self) -> views.Chrome:
        return views.Chrome(tr=self.tr, csrf=self.csrf, staff=self.display, here=self.here)


# --- language -----------------------------------------------------------------------------------

def request_translator(request: web.Request) -> Translator:
    """The switcher's cookie, else Accept-Language (sv; nb, no, nn -> nb; en), else STAFF_DEFAULT_LANGUAGE."""
    cookie = request.cookies.get(LANGUAGE_COOKIE)
    return translator(choose_language(cookie, request.headers.get("Accept-Language"),
                                      request.app[STAFF_PAGES_KEY].config.default_language))


def _here(request: web.Request, fallback: str) -> str:
    """The page the language switcher returns to: this one when it is a GET page of ours."""
    if request.method == "GET" and SAFE_RETURN.fullmatch(request.path_qs):
        return request.path_qs
    return fallback


# --- responses ----------------------------------------------------------------------------------

def _secure(request: web.Request) -> bool:
    configured = request.app[STAFF_PAGES_KEY].config.cookie_secure
    return request.secure if configured is None else configured


def _headers(response: web.StreamResponse, cache: str = "no-store") -> web.StreamResponse:
    response.headers.update(SECURITY_HEADERS)
    response.headers["Cache-Control"] = cache
    return response


def _page(body: Safe, status: int = 200) -> web.Response:
    return web.Response(text=str(body), status=status, content_type="text/html", charset="utf-8")


def _redirect(location: str) -> web.Response:
    # Returned, not raised: the API's error middleware must not turn it into JSON.
    return web.Response(status=303, headers={"Location": location})


def _clear(response: web.StreamResponse, name: str) -> None:
    response.del_cookie(name, path=COOKIE_PATH)


def _same_origin(request: web.Request) -> bool:
    """A POST must come from our own pages: Origin (when the browser sends one) names this host."""
    origin = request.headers.get("Origin")
    if origin is None:
        return True  # older clients; the CSRF token still has to match
    parts = urlsplit(origin)
    return bool(parts.netloc) and parts.netloc == request.host


# --- the signed-in wrapper ----------------------------------------------------------------------

Handler = Callable[[web.Request, Ctx], Awaitable[web.StreamResponse]]


async def _load(request: web.Request) -> Optional[Ctx]:
    session_id = request.cookies.get(SESSION_COOKIE)
    if not session_id or len(session_id) > MAX_COOKIE_LENGTH:
        return None
    svc = services(request)
    loaded = await svc.db.run(load_session_tx, session_id, svc.now())
    if loaded is None:
        return None
    staff, _ends = loaded
    display = {"name": svc.cipher.decrypt(staff.name_enc) or f"staff #{staff.id}", "role": staff.role}
    return Ctx(staff=staff, session_id=session_id, display=display, tr=request_translator(request),
               here=_here(request, "/staff/cases"))


def signed_in(handler: Handler) -> Callable[[web.Request], Awaitable[web.StreamResponse]]:
    async def wrapper(request: web.Request) -> web.StreamResponse:
        ctx = await _load(request)
        if ctx is None:
            response = _redirect("/staff/signin")
            if SESSION_COOKIE in request.cookies:
                _clear(response, SESSION_COOKIE)
            return _headers(response)
        if request.method == "POST":
            form = await request.post()
            if not _same_origin(request) or not csrf_ok(ctx.session_id, form.get("csrf")):
                log.info("staff page POST refused: CSRF check failed (staff %s)", ctx.staff.id)
                return _headers(_page(views.error_page(ctx.chrome, 403, ctx.tr("error.csrf")), status=403))
            ctx.form = form
        try:
            response = await handler(request, ctx)
        except ApiError as exc:
            message = ctx.tr("error.no_such_case") if exc.status == 404 else ctx.tr("error.not_handled")
            response = _page(views.error_page(ctx.chrome, exc.status, message),
                             status=exc.status if 400 <= exc.status < 500 else 400)
        return _headers(response)

    return wrapper


# --- sign-in / sign-out -------------------------------------------------------------------------

async def signin_form(request: web.Request) -> web.StreamResponse:
    if await _load(request) is not None:
        return _headers(_redirect("/staff/cases"))
    return _headers(_signin_response(request, ended=request.query.get("ended") == "1"))


def _signin_response(request: web.Request, *, message: str = "", ended: bool = False, status: int = 200) -> web.Response:
    """The sign-in page; `message` is a key of the translation table (signin.*)."""
    # A fresh pre-session secret per form: binds the sign-in POST to this browser (no login CSRF). The
    # language switcher on this page carries the same token.
    pre = secrets.token_urlsafe(32)
    tr = request_translator(request)
    chrome = views.Chrome(tr=tr, csrf=csrf_token(pre, "signin"),
                          here="/staff/signin?ended=1" if ended else "/staff/signin")
    response = _page(views.signin_page(chrome, request.app[STAFF_PAGES_KEY].providers,
                                       message=tr(message) if message else "", ended=ended), status=status)
    response.set_cookie(SIGNIN_COOKIE, pre, path=COOKIE_PATH, httponly=True, samesite="Strict",
                        secure=_secure(request), max_age=SIGNIN_COOKIE_SECONDS)
    return response


async def signin(request: web.Request) -> web.StreamResponse:
    svc = services(request)
    state = request.app[STAFF_PAGES_KEY]
    form = await request.post()
    pre = request.cookies.get(SIGNIN_COOKIE)
    if not _same_origin(request) or not csrf_ok(pre, form.get("csrf"), "signin"):
        return _headers(_signin_response(request, message="signin.expired", status=403))
    key = client_key(svc, request.remote)
    now = svc.now()
    if await svc.db.run(signin_blocked_tx, key, now, write=False):
        log.info("staff sign-in refused: rate limit")
        return _headers(_signin_response(request, message="signin.rate_limited", status=429))
    wanted = form.get("provider") or "token"
    provider = next((p for p in state.providers if p.name == wanted), None)
    staff = await provider.authenticate(svc, form) if provider is not None else None
    if staff is None or provider is None:
        await svc.db.run(record_failure_tx, key, now)
        log.info("staff sign-in refused: invalid credentials")
        return _headers(_signin_response(request, message="signin.invalid", status=401))

    def start(session: Any) -> str:
        session_id = create_session_tx(session, staff.id, provider.name, now)
        audit.append(session, action="staff_signed_in", actor=f"staff:{staff.id}", now=now,
                     data={"provider": provider.name})
        return session_id

    session_id = await svc.db.run(start)
    log.info("staff %s signed in to the staff pages", staff.id)
    response = _redirect("/staff/cases")
    response.set_cookie(SESSION_COOKIE, session_id, path=COOKIE_PATH, httponly=True, samesite="Strict",
                        secure=_secure(request), max_age=int(SESSION_ABSOLUTE.total_seconds()))
    _clear(response, SIGNIN_COOKIE)
    return _headers(response)


@signed_in
async def signout(request: web.Request, ctx: Ctx) -> web.StreamResponse:
    svc = services(request)
    now = svc.now()

    def end(session: Any) -> None:
        delete_session_tx(session, ctx.session_id)
        audit.append(session, action="staff_signed_out", actor=f"staff:{ctx.staff.id}", now=now)

    await svc.db.run(end)
    response = _redirect("/staff/signin?ended=1")
    _clear(response, SESSION_COOKIE)
    return response


# --- pages --------------------------------------------------------------------------------------

@signed_in
async def home(_request: web.Request, _ctx: Ctx) -> web.StreamResponse:
    return _redirect("/staff/cases")


def _visible_types(staff: StaffUser) -> list[str]:
    allowed = cases.ROLE_CASE_TYPES.get(staff.role, frozenset())
    return [t for t in CASE_TYPES if allowed is None or t in allowed]


def _list_filters(query: Mapping[str, str]) -> tuple[cases.CaseFilter, dict[str, Any]]:
    def pick(name: str, allowed: tuple[str, ...]) -> Optional[str]:
        value = query.get(name) or None
        if value is not None and value not in allowed:
            raise ApiError(400, "invalid_parameter", f"unknown {name}")
        return value

    due_within: Optional[int] = None
    raw = (query.get("due_within_days") or "").strip()
    if raw:
        if not raw.isdigit() or int(raw) > 3650:
            raise ApiError(400, "invalid_parameter", "due_within_days must be 0-3650")
        due_within = int(raw)
    shown = {
        "type": pick("type", CASE_TYPES), "status": pick("status", STATUSES), "language": pick("language", LANGUAGES),
        "overdue": (query.get("overdue") or "").lower() in ("true", "1", "on"), "due_within_days": due_within,
    }
    return cases.CaseFilter(type=shown["type"], status=shown["status"], language=shown["language"],
                            overdue=shown["overdue"], due_within_days=due_within, limit=500), shown


@signed_in
async def case_list(request: web.Request, ctx: Ctx) -> web.StreamResponse:
    svc = services(request)
    try:
        filters, shown = _list_filters(request.query)
    except ApiError:
        return _page(views.error_page(ctx.chrome, 400, ctx.tr("error.bad_filter")), 400)
    rows = await cases.list_cases(svc, ctx.staff, filters)
    return _page(views.case_list_page(ctx.chrome, rows, shown, svc.now(), visible_types=_visible_types(ctx.staff)))


def _field(form: Mapping[str, Any], name: str) -> Optional[str]:
    """A text field of a posted form; None when absent, empty or not text (a file part)."""
    value = form.get(name)
    if not isinstance(value, str):
        return None
    return value.strip() or None


def _ordered_transitions(status: str) -> list[str]:
    allowed = cases.TRANSITIONS.get(status, frozenset())
    return [s for s in STATUSES if s in allowed]


@signed_in
async def case_detail(request: web.Request, ctx: Ctx) -> web.StreamResponse:
    svc = services(request)
    reference = path_reference(request.match_info["reference"])
    # The API's staff view: role-scoped (404 outside the role) and audited as `case_viewed`.
    case = await cases.staff_get_case(svc, ctx.staff, reference)

    def extras(session: Any) -> tuple[list[Any], dict[int, str]]:
        entries = timeline_tx(session, reference)
        return entries, staff_names_tx(session, svc, staff_ids_in(entries, case.get("messages") or []))

    entries, names = await svc.db.run(extras, write=False)
    done = request.query.get("done", "")
    error = request.query.get("error", "")
    return _page(views.case_detail_page(
        ctx.chrome, case, entries, names, svc.now(),
        transitions=_ordered_transitions(case["status"]), done=done, error=error,
    ))


def _after(reference: str, *, done: str = "", error: str = "") -> web.Response:
    return _redirect(url("staff", "cases", reference, query={"done": done, "error": error}))


async def _act(reference: str, kind: str, action: Awaitable[Any]) -> web.Response:
    try:
        await action
    except ApiError as exc:
        if exc.status == 404:
            raise
        return _after(reference, error=exc.code)
    return _after(reference, done=kind)


@signed_in
async def change_status(request: web.Request, ctx: Ctx) -> web.StreamResponse:
    reference = path_reference(request.match_info["reference"])
    return await _act(reference, "status", cases.staff_set_status(
        services(request), ctx.staff, reference, _field(ctx.form, "status"), _field(ctx.form, "reason")))


@signed_in
async def extend(request: web.Request, ctx: Ctx) -> web.StreamResponse:
    reference = path_reference(request.match_info["reference"])
    raw = _field(ctx.form, "months")
    months: Any = int(raw) if raw in ("1", "2") else raw
    reason = _field(ctx.form, "reason")
    # The same service as POST /api/v1/staff/cases/{ref}/extension: it e-mails the requester in their language.
    return await _act(reference, "extension", cases.staff_extend(services(request), ctx.staff, reference, months, reason))


@signed_in
async def message(request: web.Request, ctx: Ctx) -> web.StreamResponse:
    reference = path_reference(request.match_info["reference"])
    body = _field(ctx.form, "body")
    return await _act(reference, "message", cases.staff_message(services(request), ctx.staff, reference, body))


@signed_in
async def dashboard_view(request: web.Request, ctx: Ctx) -> web.StreamResponse:
    svc = services(request)
    data = await dashboard(svc, ctx.staff)
    return _page(views.dashboard_page(ctx.chrome, data, svc.now()))


@signed_in
async def not_found(_request: web.Request, ctx: Ctx) -> web.StreamResponse:
    """Any other path under /staff/: a page in the reader's language rather than the API's JSON error."""
    return _page(views.error_page(ctx.chrome, 404, ctx.tr("error.no_such_page")), status=404)


async def set_language(request: web.Request) -> web.StreamResponse:
    """The language switcher: checks the form like any other POST, stores the choice in a cookie and
    sends the browser back to the page it came from (one of ours)."""
    form = await request.post()
    ctx = await _load(request)
    if ctx is not None:
        accepted = _same_origin(request) and csrf_ok(ctx.session_id, form.get("csrf"))
    else:
        accepted = _same_origin(request) and csrf_ok(request.cookies.get(SIGNIN_COOKIE), form.get("csrf"), "signin")
    if not accepted:
        log.info("language switch refused: CSRF check failed")
        if ctx is None:
            return _headers(_signin_response(request, message="signin.expired", status=403))
        return _headers(_page(views.error_page(ctx.chrome, 403, ctx.tr("error.csrf")), status=403))
    chosen = form.get("lang")
    if not isinstance(chosen, str) or chosen not in LANGUAGES:
        tr = request_translator(request)
        chrome = ctx.chrome if ctx is not None else views.Chrome(tr=tr)
        return _headers(_page(views.error_page(chrome, 400, tr("error.not_handled")), status=400))
    back = form.get("next")
    fallback = "/staff/cases" if ctx is not None else "/staff/signin"
    response = _redirect(back if isinstance(back, str) and SAFE_RETURN.fullmatch(back) else fallback)
    response.set_cookie(LANGUAGE_COOKIE, chosen, path=COOKIE_PATH, httponly=True, samesite="Strict",
                        secure=_secure(request), max_age=LANGUAGE_COOKIE_SECONDS)
    return _headers(response)


async def static(request: web.Request) -> web.StreamResponse:
    entry = STATIC_FILES.get(request.match_info["name"])
    if entry is None:
        return _headers(web.Response(status=404, text="Not found\n", content_type="text/plain"))
    name, content_type = entry
    response = web.FileResponse(STATIC_DIR / name, headers={"Content-Type": f"{content_type}; charset=utf-8"})
    return _headers(response, cache="no-cache")


def setup_staff_pages(app: web.Application, config: Optional[StaffPagesConfig] = None) -> None:
    """Add the /staff/ pages to the app (idempotent). Takes the STAFF_* values of the services' Settings
    unless `config` is given; a configured-but-unimplemented OIDC provider fails here, at start-up."""
    if STAFF_PAGES_KEY in app:
        return
    config = config or StaffPagesConfig.from_settings(app[SERVICES_KEY].settings)
    app[STAFF_PAGES_KEY] = StaffPagesState(config=config, providers=build_providers(config))
    router = app.router
    router.add_get("/staff", home)
    router.add_get("/staff/", home)
    router.add_get("/staff/signin", signin_form)
    router.add_post("/staff/signin", signin)
    router.add_post("/staff/signout", signout)
    router.add_get("/staff/cases", case_list)
    router.add_get("/staff/cases/{reference}", case_detail)
    router.add_post("/staff/cases/{reference}/status", change_status)
    router.add_post("/staff/cases/{reference}/extension", extend)
    router.add_post("/staff/cases/{reference}/messages", message)
    router.add_get("/staff/dashboard", dashboard_view)
    router.add_get("/staff/static/{name}", static)
    router.add_post("/staff/language", set_language)
    # Last: every other GET under /staff/ gets a page, not the API's JSON 404.
    router.add_get("/staff/{tail:.*}", not_found)
