"""The staff pages as functions from data to `Safe` HTML. Every value is escaped by `markup.html`.

Every text comes from the translation table (`backend/pages/i18n.py`) in the reader's language (sv, nb or
en), passed in as `Chrome.tr`; dates are written the way that language writes them. Requester-facing text
(e-mails, the requester's own words) stays in the requester's language and is produced elsewhere.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Mapping, Optional, Sequence

from backend.deadlines import RIGHTS_CASE_TYPES, days_left, hours_left
from backend.pages import charts
from backend.pages.i18n import ENDONYMS, LANGUAGES, Translator
from backend.pages.markup import Safe, html, join, url
from backend.pages.queries import TimelineEntry
from backend.schemas import CASE_TYPES, CLOSED_STATUSES, EXTENDABLE_TYPES, LANGUAGES as CASE_LANGUAGES, STATUSES
from backend.services.dashboard import DashboardData

STYLESHEET = "/staff/static/staff.css"
LANGUAGE_ACTION = "/staff/language"
ERROR_CODES = frozenset({
    "invalid_transition", "reason_required", "invalid_status", "already_extended", "extension_too_late",
    "extension_not_allowed", "case_closed", "invalid_field", "missing_field",
})
DONE_CODES = frozenset({"status", "extension", "message"})
CLOCK_FACTS = {"authority_notification_due_at": "fact.authority_due", "acknowledge_due_at": "fact.acknowledge_due",
               "feedback_due_at": "fact.feedback_due", "due_at": "fact.answer_due"}
YES_NO_FIELDS = frozenset({"encrypted", "contained"})


@dataclass(frozen=True)
class Chrome:
    """What every page needs besides its data: the reader's language, the CSRF token of the forms
    (session or sign-in), the signed-in staff member (None on the sign-in page) and the local path the
    language switcher returns to."""

    tr: Translator
    csrf: str = ""
    staff: Optional[Mapping[str, Any]] = None
    here: str = "/staff/cases"


def _hours(value: float) -> str:
    return f"{value:.0f}"


# --- frame --------------------------------------------------------------------------------------

def _language_switcher(chrome: Chrome) -> Safe:
    """A POST form (CSRF token, same-origin check), one button per language, each named in itself."""
    tr = chrome.tr
    buttons = join(
        html('<button type="submit" name="lang" value="{code}" lang="{code}"{current}>{name}</button>',
             code=code, name=ENDONYMS[code],
             current=html(' aria-pressed="true" title="{t}" class="current"', t=tr("lang.current"))
             if code == tr.lang else html(' aria-pressed="false"'))
        for code in LANGUAGES
    )
    return html(
        '<form method="post" action="{action}" class="lang" aria-label="{label}">'
        '<input type="hidden" name="csrf" value="{csrf}"><input type="hidden" name="next" value="{here}">'
        '<span class="lang-label">{label}:</span> {buttons}</form>',
        action=LANGUAGE_ACTION, label=tr("lang.switcher"), csrf=chrome.csrf, here=chrome.here, buttons=buttons,
    )


def layout(chrome: Chrome, title: str, body: Safe, *, active: str = "") -> Safe:
    tr, staff = chrome.tr, chrome.staff
    nav = Safe("")
    if staff is not None:
        links = join(
            html('<a href="{href}"{cur}>{label}</a>', href=href,
                 cur=Safe(' aria-current="page"') if key == active else Safe(""), label=tr(f"nav.{key}"))
            for key, href in (("cases", "/staff/cases"), ("dashboard", "/staff/dashboard"))
        )
        nav = html(
            '<nav class="top">{links}<span class="who">{signed_in} <strong>{name}</strong> ({role})</span>'
            '<form method="post" action="/staff/signout" class="inline">'
            '<input type="hidden" name="csrf" value="{csrf}"><button type="submit">{sign_out}</button></form></nav>',
            links=links, signed_in=tr("nav.signed_in_as"), name=staff.get("name"),
            role=tr.label("role", staff.get("role")), csrf=chrome.csrf, sign_out=tr("nav.sign_out"),
        )
    switcher = _language_switcher(chrome) if chrome.csrf else Safe("")
    return html(
        '<!doctype html><html lang="{lang}"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        '<meta name="referrer" content="same-origin"><title>{title}</title>'
        '<link rel="stylesheet" href="{css}"></head><body><header><span class="brand">{brand}</span>{nav}'
        '{switcher}</header><main>{body}</main></body></html>',
        lang=tr.lang, title=tr("title", page=title), css=STYLESHEET, brand=tr("brand"), nav=nav,
        switcher=switcher, body=body,
    )


def error_page(chrome: Chrome, status: int, message: str) -> Safe:
    tr = chrome.tr
    title = tr(f"error.{status}") if status in (400, 403, 404, 429) else tr("error.generic")
    back = html('<p><a href="/staff/cases">{t}</a></p>', t=tr("error.back_to_cases")) if chrome.staff else html(
        '<p><a href="/staff/signin">{t}</a></p>', t=tr("error.sign_in"))
    return layout(chrome, title, html('<h1>{t}</h1><p class="error">{m}</p>{back}', t=title, m=message, back=back))


def signin_page(chrome: Chrome, providers: Sequence[Any], message: str = "", ended: bool = False) -> Safe:
    tr = chrome.tr
    notice = Safe("")
    if message:
        notice = html('<p class="error" role="alert">{m}</p>', m=message)
    elif ended:
        notice = html('<p class="notice">{m}</p>', m=tr("signin.signed_out"))
    forms = []
    for provider in providers:
        if provider.name == "token":
            forms.append(html(
                '<form method="post" action="/staff/signin" class="card signin">'
                '<input type="hidden" name="csrf" value="{csrf}"><input type="hidden" name="provider" value="token">'
                '<label for="token">{label}</label>'
                '<input id="token" name="token" type="password" autocomplete="off" required maxlength="256">'
                '<button type="submit">{button}</button><p class="muted">{hint}</p></form>',
                csrf=chrome.csrf, label=tr.label("provider", provider.name), button=tr("signin.button"),
                hint=tr.markup("signin.token_hint", command=Safe("<code>python -m backend create-staff</code>")),
            ))
    title = tr("signin.title")
    return layout(chrome, title, html('<h1>{t}</h1>{notice}{forms}', t=title, notice=notice, forms=join(forms)))


# --- clocks -------------------------------------------------------------------------------------

def clock_summary(case: Mapping[str, Any], now: datetime, tr: Translator) -> Safe:
    """The clock that matters for a case, in words, with a CSS class for urgency."""
    case_type, status, country = case["type"], case["status"], case.get("country")
    clocks = case.get("clocks") or {}
    if status in CLOSED_STATUSES:
        return html('<span class="clock done">{t}</span>', t=tr("clock.closed"))
    if case_type in RIGHTS_CASE_TYPES:
        due = _parse(case.get("due_at"))
        if due is None:
            return html('<span class="clock muted">{t}</span>', t=tr("clock.not_started"))
        days = days_left(due, now, country)
        if days < 0:
            text, cls = tr.n("clock.days_overdue", -days), "overdue"
        elif days == 0:
            text, cls = tr("clock.due_today"), "soon"
        else:
            text, cls = tr.n("clock.days_left", days), "soon" if days <= 5 else "ok"
        extended = tr("clock.extended") if case.get("extended") else ""
        return html('<span class="clock {cls}" title="{title}">{text}{ext}</span>', cls=cls,
                    title=tr("clock.due_on", date=tr.datetime_text(due, country)), text=text, ext=extended)
    if case_type == "incident":
        due = _parse(clocks.get("authority_notification_due_at"))
        if due is None:
            return Safe("")
        left = hours_left(due, now)
        if left < 0:
            return html('<span class="clock overdue" title="{title}">{text}</span>', title=tr("clock.72h_title"),
                        text=tr.n("clock.72h_overdue", round(-left), h=_hours(-left)))
        return html('<span class="clock {cls}" title="{title}">{text}</span>',
                    cls="overdue" if left < 12 else ("soon" if left < 36 else "ok"),
                    title=tr("clock.72h_title_due", date=tr.datetime_text(due, country)),
                    text=tr.n("clock.72h_left", round(left), h=_hours(left)))
    if case_type == "misconduct":
        ack, feedback = _parse(clocks.get("acknowledge_due_at")), _parse(clocks.get("feedback_due_at"))
        acknowledged = status not in ("awaiting_verification", "open")
        parts = []
        if ack is not None:
            if acknowledged:
                parts.append(html('<span class="clock done">{t}</span>', t=tr("clock.acknowledged")))
            else:
                cls = "overdue" if ack < now else ("soon" if hours_left(ack, now) < 48 else "ok")
                parts.append(html('<span class="clock {cls}">{t}</span>', cls=cls,
                                  t=tr("clock.acknowledge_by", date=tr.datetime_text(ack, country))))
        if feedback is not None:
            cls = "overdue" if feedback < now else "ok"
            parts.append(html('<span class="clock {cls}">{t}</span>', cls=cls,
                              t=tr("clock.feedback_by", date=tr.datetime_text(feedback, country))))
        return join(parts, " ")
    return Safe("")


def _parse(value: Optional[str | datetime]) -> Optional[datetime]:
    if not value:
        return None
    return datetime.fromisoformat(value) if isinstance(value, str) else value


# --- list ---------------------------------------------------------------------------------------

def _select(name: str, label: str, options: Sequence[tuple[str, str]], current: Optional[str], any_text: str) -> Safe:
    opts = join(
        html('<option value="{v}"{sel}>{t}</option>', v=value, t=text,
             sel=Safe(" selected") if (current or "") == value else Safe(""))
        for value, text in [("", any_text)] + list(options)
    )
    return html('<label>{label} <select name="{name}">{opts}</select></label>', label=label, name=name, opts=opts)


def case_list_page(chrome: Chrome, rows: Sequence[Mapping[str, Any]], filters: Mapping[str, Any], now: datetime,
                   *, visible_types: Sequence[str]) -> Safe:
    tr = chrome.tr
    any_text = tr("filter.any")
    form = html(
        '<form method="get" action="/staff/cases" class="filters">{t}{s}{l}'
        '<label><input type="checkbox" name="overdue" value="true"{od}> {overdue}</label>'
        '<label>{within} <input type="number" name="due_within_days" min="0" max="3650" value="{dw}"> {days}</label>'
        '<button type="submit">{apply}</button> <a href="/staff/cases">{clear}</a></form>',
        t=_select("type", tr("filter.type"), [(t, tr.label("type", t)) for t in visible_types],
                  filters.get("type"), any_text),
        s=_select("status", tr("filter.status"), [(s, tr.label("status", s)) for s in STATUSES],
                  filters.get("status"), any_text),
        l=_select("language", tr("filter.language"), [(code, tr.label("case_language", code)) for code in CASE_LANGUAGES],
                  filters.get("language"), any_text),
        od=Safe(" checked") if filters.get("overdue") else Safe(""), overdue=tr("filter.overdue"),
        within=tr("filter.due_within_before"), days=tr("filter.due_within_after"),
        dw="" if filters.get("due_within_days") is None else filters["due_within_days"],
        apply=tr("filter.apply"), clear=tr("filter.clear"),
    )
    if not rows:
        table = html('<p class="muted">{t}</p>', t=tr("list.none"))
    else:
        body = join(
            html(
                '<tr class="{cls}"><td><a href="{href}">{ref}</a></td><td>{type}</td><td>{status}</td>'
                '<td>{lang}</td><td>{country}</td><td>{created}</td><td>{clock}</td></tr>',
                cls="overdue" if row.get("overdue") else "", href=url("staff", "cases", row["reference"]),
                ref=row["reference"], type=tr.label("type", row["type"]), status=tr.label("status", row["status"]),
                lang=row["language"], country=row["country"],
                created=tr.datetime_text(row.get("created_at"), row.get("country")), clock=clock_summary(row, now, tr),
            )
            for row in rows
        )
        table = html(
            '<table class="cases"><thead><tr><th>{c_ref}</th><th>{c_type}</th><th>{c_status}</th><th>{c_lang}</th>'
            '<th>{c_country}</th><th>{c_filed}</th><th>{c_clock}</th></tr></thead><tbody>{body}</tbody></table>'
            '<p class="muted">{count}</p>', body=body, count=tr.n("list.count", len(rows)),
            c_ref=tr("col.reference"), c_type=tr("col.type"), c_status=tr("col.status"), c_lang=tr("col.language"),
            c_country=tr("col.country"), c_filed=tr("col.filed"), c_clock=tr("col.clock"),
        )
    title = tr("list.title")
    return layout(chrome, title, html('<h1>{t}</h1>{form}{table}', t=title, form=form, table=table), active="cases")


# --- detail -------------------------------------------------------------------------------------

def _facts(case: Mapping[str, Any], tr: Translator) -> Safe:
    country = case.get("country")
    when = tr.datetime_text
    rows: list[tuple[str, Any]] = [
        (tr("fact.type"), tr.label("type", case["type"])),
        (tr("fact.status"), tr.label("status", case["status"])),
        (tr("fact.language"), tr.label("case_language", case["language"])),
        (tr("fact.country"), tr.label("country", country)), (tr("fact.channel"), tr.label("channel", case.get("channel"))),
        (tr("fact.company"), case.get("company") or "—"),
        (tr("fact.filed"), when(case.get("created_at"), country)), (tr("fact.verified"), when(case.get("verified_at"), country)),
    ]
    if case.get("aware_at"):
        rows.append((tr("fact.aware"), when(case.get("aware_at"), country)))
    for name, value in (case.get("clocks") or {}).items():
        rows.append((tr(CLOCK_FACTS[name]) if name in CLOCK_FACTS else name, when(value, country)))
    if case["type"] in RIGHTS_CASE_TYPES:
        rows.append((tr("fact.answer_due"), when(case.get("due_at"), country)))
        if case.get("original_due_at") and case.get("original_due_at") != case.get("due_at"):
            rows.append((tr("fact.original_due"), when(case.get("original_due_at"), country)))
    extension = case.get("extension")
    if extension:
        rows.append((tr("fact.extension"), tr.n("fact.extension_value", extension["months"],
                                                date=when(extension.get("extended_at"), country))))
        rows.append((tr("fact.extension_reason"), extension.get("reason")))
    if case.get("status_reason"):
        rows.append((tr("fact.status_reason"), case.get("status_reason")))
    if case.get("closed_at"):
        rows.append((tr("fact.closed"), when(case.get("closed_at"), country)))
    return html('<dl class="facts">{rows}</dl>', rows=join(
        html('<dt>{k}</dt><dd class="text">{v}</dd>', k=k, v=v) for k, v in rows))


def _requester(case: Mapping[str, Any], tr: Translator) -> Safe:
    requester = case.get("requester")
    if case.get("anonymised_at"):
        return html('<p class="muted">{t}</p>', t=tr("requester.anonymised",
                                                       date=tr.datetime_text(case.get("anonymised_at"), case.get("country"))))
    if not requester:
        if case.get("anonymous"):
            return html('<p class="muted">{t}</p>', t=tr("requester.anonymous"))
        return html('<p class="muted">{t}</p>', t=tr("requester.none"))
    if requester.get("verified_by_channel"):
        how = tr("requester.by_channel")
    else:
        how = tr("requester.by_code") if case.get("verified_at") else tr("requester.unverified")
    return html(
        '<dl class="facts requester"><dt>{l_name}</dt><dd class="text">{name}</dd><dt>{l_email}</dt>'
        '<dd class="text">{email}</dd><dt>{l_how}</dt><dd>{how}</dd></dl>',
        l_name=tr("requester.name"), l_email=tr("requester.email"), l_how=tr("requester.identity"),
        name=requester.get("name") or "—", email=requester.get("email") or "—", how=how,
    )


def _field_label(key: str, tr: Translator) -> str:
    label = tr.label("detail_field", key)
    return key.replace("_", " ") if label == key else label


def _details(details: Mapping[str, Any], tr: Translator) -> Safe:
    if not details:
        return html('<p class="muted">{t}</p>', t=tr("details.none"))

    def value(key: str, raw: Any) -> Any:
        # The bot stores yes / no / unknown for these; anything else is the requester's own text.
        return tr.label("answer", raw) if key in YES_NO_FIELDS and raw in ("yes", "no", "unknown") else raw

    return html('<dl class="facts details">{rows}</dl>', rows=join(
        html('<dt>{k}</dt><dd class="text">{v}</dd>', k=_field_label(key, tr),
             v=value(key, raw))
        for key, raw in details.items()))


def _messages(case: Mapping[str, Any], names: Mapping[int, str], tr: Translator) -> Safe:
    messages = case.get("messages") or []
    if not messages:
        return html('<p class="muted">{t}</p>', t=tr("messages.none"))
    items = []
    for message in messages:
        if message.get("from") == "staff":
            who = tr("messages.staff_to_requester", name=names.get(message.get("staff_id"), tr("messages.staff")))
            cls = "from-staff"
        else:
            who = tr("messages.anonymous") if case.get("anonymous") else tr("messages.requester")
            cls = "from-requester"
        items.append(html('<li class="message {cls}"><div class="meta">{who} · {when}</div>'
                          '<div class="text">{body}</div></li>', cls=cls, who=who,
                          when=tr.datetime_text(message.get("created_at"), case.get("country")),
                          body=message.get("body")))
    return html('<ul class="messages">{items}</ul>', items=join(items))


def _timeline_detail(entry: TimelineEntry, tr: Translator) -> str:
    """What an audit entry adds, in words; data keys we have no words for are shown as they are."""
    data = entry.data
    if entry.action == "status_changed":
        reason = tr("timeline.reason_given") if data.get("reason_given") else ""
        return f"{tr.label('status', data.get('from'))} → {tr.label('status', data.get('to'))}{reason}"
    if entry.action == "case_extended":
        months = data.get("months")
        return tr.n("timeline.months", months) if isinstance(months, int) else ""
    if entry.action == "case_created":
        parts = [tr.label("type", data.get("type")), tr.label("case_language", data.get("language")),
                 tr.label("channel", data.get("channel")), tr.label("country", data.get("country"))]
        if data.get("anonymous"):
            parts.append(tr("timeline.anonymous"))
        return " · ".join(part for part in parts if part)
    if entry.action == "verification_code_issued":
        return tr.label("timeline.purpose", data.get("purpose"))
    if entry.action == "status_viewed":
        return tr.label("timeline.proof", data.get("proof"))
    if entry.action == "case_anonymised" and isinstance(data.get("retention_days"), int):
        return tr.n("timeline.retention", data["retention_days"])
    if entry.action in ("case_verified", "case_expired", "case_anonymised", "staff_message", "requester_message"):
        return ""  # the type is on the page already; message ids mean nothing to a reader
    return ", ".join(f"{k}: {v}" for k, v in sorted(data.items()) if k != "message_id")


def _timeline(entries: Sequence[TimelineEntry], names: Mapping[int, str], country: Optional[str],
              tr: Translator) -> Safe:
    def actor(value: str) -> str:
        if value.startswith("staff:"):
            try:
                return names.get(int(value.split(":", 1)[1]), value)
            except ValueError:
                return value
        return tr.label("actor", value)

    rows = join(
        html('<li><span class="when">{when}</span> <strong>{action}</strong> {by}<span class="muted"> {detail}</span></li>',
             when=tr.datetime_text(entry.occurred_at, country), action=tr.label("action", entry.action),
             by=tr("timeline.entry", actor=actor(entry.actor)), detail=_timeline_detail(entry, tr))
        for entry in entries
    )
    return html('<ol class="timeline">{rows}</ol>', rows=rows)


def _forms(case: Mapping[str, Any], csrf: str, transitions: Sequence[str], tr: Translator) -> Safe:
    ref = case["reference"]
    parts = []
    if transitions:
        options = join(html('<option value="{v}">{t}</option>', v=s, t=tr.label("status", s)) for s in transitions)
        parts.append(html(
            '<form method="post" action="{action}" class="card" id="status-form"><h3>{title}</h3>'
            '<input type="hidden" name="csrf" value="{csrf}">'
            '<label>{new} <select name="status" required>{options}</select></label>'
            '<label>{reason} <textarea name="reason" rows="3" maxlength="2000"></textarea></label>'
            '<button type="submit">{submit}</button></form>',
            action=url("staff", "cases", ref, "status"), csrf=csrf, options=options, title=tr("form.status.title"),
            new=tr("form.status.new"), reason=tr("form.status.reason"), submit=tr("form.status.submit"),
        ))
    if (case["type"] in EXTENDABLE_TYPES and case.get("extension") is None and case.get("due_at")
            and case["status"] not in CLOSED_STATUSES):
        parts.append(html(
            '<form method="post" action="{action}" class="card" id="extension-form"><h3>{title}</h3>'
            '<input type="hidden" name="csrf" value="{csrf}">'
            '<label>{by} <select name="months"><option value="1">{one}</option><option value="2">{two}</option>'
            '</select></label><label>{reason}'
            '<textarea name="reason" rows="3" maxlength="2000" required></textarea></label>'
            '<button type="submit">{submit}</button></form>',
            action=url("staff", "cases", ref, "extension"), csrf=csrf, title=tr("form.extend.title"),
            by=tr("form.extend.by"), one=tr.n("form.extend.months", 1), two=tr.n("form.extend.months", 2),
            reason=tr("form.extend.reason"), submit=tr("form.extend.submit"),
        ))
    if not case.get("anonymised_at"):
        parts.append(html(
            '<form method="post" action="{action}" class="card" id="message-form"><h3>{title}</h3>'
            '<input type="hidden" name="csrf" value="{csrf}">'
            '<label>{label} <textarea name="body" rows="4" maxlength="5000" required></textarea></label>'
            '<button type="submit">{submit}</button></form>',
            action=url("staff", "cases", ref, "messages"), csrf=csrf, title=tr("form.message.title"),
            label=tr("form.message.body"), submit=tr("form.message.submit"),
        ))
    return join(parts)


def case_detail_page(chrome: Chrome, case: Mapping[str, Any], timeline: Sequence[TimelineEntry],
                     names: Mapping[int, str], now: datetime, *, transitions: Sequence[str],
                     done: str = "", error: str = "") -> Safe:
    tr = chrome.tr
    flash = Safe("")
    if error:
        flash = html('<p class="error" role="alert">{m}</p>',
                     m=tr(f"fail.{error}") if error in ERROR_CODES else tr("fail.generic"))
    elif done in DONE_CODES:
        flash = html('<p class="notice" role="status">{m}</p>', m=tr(f"done.{done}"))
    body = html(
        '<p><a href="/staff/cases">{all}</a></p>'
        '<h1>{ref} <span class="badge">{status}</span></h1><p class="lead">{kind} · {clock}</p>{flash}'
        '<div class="columns"><div>'
        '<section><h2>{h_case}</h2>{facts}</section>'
        '<section><h2>{h_requester}</h2>{requester}</section>'
        '<section><h2>{h_details}</h2>{details}</section>'
        '<section><h2>{h_messages}</h2>{messages}</section>'
        '</div><div><section><h2>{h_work}</h2>{forms}</section>'
        '<section><h2>{h_timeline}</h2>{timeline}</section></div></div>',
        all=tr("detail.all_cases"), ref=case["reference"], status=tr.label("status", case["status"]),
        kind=tr.label("type", case["type"]), clock=clock_summary(case, now, tr), flash=flash,
        h_case=tr("detail.section.case"), h_requester=tr("detail.section.requester"),
        h_details=tr("detail.section.details"), h_messages=tr("detail.section.messages"),
        h_work=tr("detail.section.work"), h_timeline=tr("detail.section.timeline"),
        facts=_facts(case, tr), requester=_requester(case, tr), details=_details(case.get("details") or {}, tr),
        messages=_messages(case, names, tr), forms=_forms(case, chrome.csrf, transitions, tr),
        timeline=_timeline(timeline, names, case.get("country"), tr),
    )
    return layout(chrome, case["reference"], body, active="cases")


# --- dashboard ----------------------------------------------------------------------------------

def dashboard_page(chrome: Chrome, data: DashboardData, now: datetime) -> Safe:
    tr, staff = chrome.tr, chrome.staff or {}
    rate = data.on_time_rate
    breaches: Safe

    def left(hours: Optional[float]) -> str:
        if hours is None:
            return "—"
        if hours >= 0:
            return tr.n("dash.hours_left", round(hours), h=_hours(hours))
        return tr.n("dash.hours_over", round(-hours), h=_hours(-hours))

    if data.open_breaches:
        breaches = html(
            '<table class="cases"><thead><tr><th>{c_ref}</th><th>{c_status}</th><th>{c_aware}</th>'
            '<th>{c_clock}</th><th></th></tr></thead><tbody>{rows}</tbody></table>',
            c_ref=tr("col.reference"), c_status=tr("col.status"), c_aware=tr("dash.col.aware"),
            c_clock=tr("dash.col.clock"), rows=join(
                html('<tr><td><a href="{href}">{ref}</a></td><td>{status}</td><td>{aware}</td><td>{left}</td>'
                     '<td>{bar}</td></tr>', href=url("staff", "cases", b.reference), ref=b.reference,
                     status=tr.label("status", b.status), aware=tr.datetime_text(b.aware_at, None),
                     left=left(b.hours_left), bar=charts.clock_bar(b.hours_left, tr=tr))
                for b in data.open_breaches))
    elif staff.get("role") == "recruiter":
        breaches = html('<p class="muted">{t}</p>', t=tr("dash.breaches_not_in_role"))
    else:
        breaches = html('<p class="muted">{t}</p>', t=tr("dash.no_breaches"))
    title = tr("dash.title")
    body = html(
        '<h1>{title}</h1>'
        '<section><h2>{h_week}</h2>{weekly}</section>'
        '<section class="columns"><div><h2>{h_rate}</h2><p class="big">{rate}</p>{bar}</div>'
        '<div><h2>{h_open}</h2><p class="big">{open}</p><p>{overdue}</p></div></section>'
        '<section><h2>{h_breaches}</h2>{breaches}</section>',
        title=title, h_week=tr("dash.per_week"), h_rate=tr("dash.on_time"), h_open=tr("dash.open"),
        h_breaches=tr("dash.breaches"),
        weekly=charts.stacked_bars(data.weeks, data.per_week, {t: tr.label("type", t) for t in CASE_TYPES},
                                   CASE_TYPES, tr=tr),
        rate="—" if rate is None else f"{rate * 100:.0f} %",
        bar=charts.rate_bar(data.answered_on_time, data.answered_late, tr=tr),
        open=data.open_cases, overdue=tr.n("dash.overdue", data.open_overdue), breaches=breaches,
    )
    return layout(chrome, title, body, active="dashboard")
