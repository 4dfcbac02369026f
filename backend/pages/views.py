"""The staff pages as functions from data to `Safe` HTML. Every value is escaped by `markup.html`.

The staff interface is in English, like the staff e-mails (backend/email_templates.py); requester-facing
text stays in the requester's language and is produced by the case services, not here.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Mapping, Optional, Sequence

from backend.deadlines import RIGHTS_CASE_TYPES, days_left, hours_left
from backend.email_templates import case_type_name, format_datetime
from backend.pages import charts
from backend.pages.markup import Safe, html, join, url
from backend.pages.queries import TimelineEntry
from backend.schemas import CASE_TYPES, CLOSED_STATUSES, EXTENDABLE_TYPES, LANGUAGES, STATUSES
from backend.services.dashboard import DashboardData

TYPE_LABELS: dict[str, str] = {
    "access": "Access", "rectification": "Rectification", "erasure": "Erasure", "restriction": "Restriction",
    "objection": "Objection", "portability": "Portability", "consent_withdrawal": "Consent withdrawal",
    "application_withdrawal": "Application withdrawal",
    "recruitment_consent_withdrawal": "Recruitment consent withdrawal", "incident": "Incident (breach)",
    "misconduct": "Misconduct report", "complaint": "Complaint",
}
STATUS_LABELS: dict[str, str] = {
    "awaiting_verification": "Awaiting verification", "open": "Open", "in_progress": "In progress",
    "waiting_for_requester": "Waiting for requester", "completed": "Completed", "rejected": "Rejected",
    "withdrawn": "Withdrawn", "expired": "Expired",
}
LANGUAGE_LABELS = {"sv": "Swedish", "nb": "Norwegian", "en": "English"}
ROLE_LABELS = {"privacy_officer": "Privacy officer", "recruiter": "Recruiter", "security": "Security"}
ACTION_LABELS = {
    "case_created": "Case filed", "case_verified": "Requester verified", "case_viewed": "Case viewed",
    "status_changed": "Status changed", "case_extended": "Deadline extended", "staff_message": "Message to requester",
    "requester_message": "Message from requester", "status_viewed": "Requester looked up the status",
    "verification_code_issued": "Verification code sent", "case_expired": "Expired unverified",
    "case_anonymised": "Anonymised (retention)",
}
ERROR_TEXTS = {
    "invalid_transition": "That status change is not possible from the current status.",
    "reason_required": "A reason is required.",
    "invalid_status": "Choose a status.",
    "already_extended": "The case has already been extended once.",
    "extension_too_late": "The original deadline has passed, so the requester can no longer be told in time.",
    "extension_not_allowed": "This case cannot be extended.",
    "case_closed": "The case is closed.",
    "invalid_field": "A field was not valid (check the length and characters).",
    "missing_field": "A required field is missing.",
}
DONE_TEXTS = {
    "status": "Status changed.",
    "extension": "Deadline extended; the requester is being told in their language.",
    "message": "Message saved; the requester is notified that a message is waiting.",
}
STYLESHEET = "/staff/static/staff.css"


def _dt(value: Optional[str | datetime], country: Optional[str]) -> str:
    if not value:
        return "—"
    moment = datetime.fromisoformat(value) if isinstance(value, str) else value
    return format_datetime(moment, "en", country)


def _parse(value: Optional[str]) -> Optional[datetime]:
    return datetime.fromisoformat(value) if value else None


def layout(title: str, body: Safe, *, staff: Optional[Mapping[str, Any]] = None, csrf: str = "",
           active: str = "") -> Safe:
    nav = Safe("")
    if staff is not None:
        links = join(
            html('<a href="{href}"{cur}>{label}</a>', href=href,
                 cur=Safe(' aria-current="page"') if key == active else Safe(""), label=label)
            for key, href, label in (("cases", "/staff/cases", "Cases"), ("dashboard", "/staff/dashboard", "Dashboard"))
        )
        nav = html(
            '<nav class="top">{links}<span class="who">Signed in as <strong>{name}</strong> ({role})</span>'
            '<form method="post" action="/staff/signout" class="inline">'
            '<input type="hidden" name="csrf" value="{csrf}"><button type="submit">Sign out</button></form></nav>',
            links=links, name=staff.get("name"), role=ROLE_LABELS.get(staff.get("role", ""), staff.get("role")),
            csrf=csrf,
        )
    return html(
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        '<meta name="referrer" content="same-origin"><title>{title} · Privacy cases</title>'
        '<link rel="stylesheet" href="{css}"></head><body><header><span class="brand">Privacy cases</span>{nav}'
        '</header><main>{body}</main></body></html>',
        title=title, css=STYLESHEET, nav=nav, body=body,
    )


def error_page(status: int, message: str, *, staff: Optional[Mapping[str, Any]] = None, csrf: str = "") -> Safe:
    titles = {400: "Bad request", 403: "Not allowed", 404: "Not found", 429: "Too many attempts"}
    title = titles.get(status, "Error")
    back = html('<p><a href="/staff/cases">Back to the cases</a></p>') if staff else html(
        '<p><a href="/staff/signin">Sign in</a></p>')
    return layout(title, html('<h1>{t}</h1><p class="error">{m}</p>{back}', t=title, m=message, back=back),
                  staff=staff, csrf=csrf)


def signin_page(csrf: str, providers: Sequence[Any], message: str = "", ended: bool = False) -> Safe:
    notice = Safe("")
    if message:
        notice = html('<p class="error" role="alert">{m}</p>', m=message)
    elif ended:
        notice = html('<p class="notice">You are signed out.</p>')
    forms = []
    for provider in providers:
        if provider.name == "token":
            forms.append(html(
                '<form method="post" action="/staff/signin" class="card signin">'
                '<input type="hidden" name="csrf" value="{csrf}"><input type="hidden" name="provider" value="token">'
                '<label for="token">{label}</label>'
                '<input id="token" name="token" type="password" autocomplete="off" required maxlength="256">'
                '<button type="submit">Sign in</button>'
                '<p class="muted">The token printed by <code>python -m backend create-staff</code>.</p></form>',
                csrf=csrf, label=provider.label,
            ))
    return layout("Sign in", html('<h1>Sign in</h1>{notice}{forms}', notice=notice, forms=join(forms)))


# --- clocks -------------------------------------------------------------------------------------

def clock_summary(case: Mapping[str, Any], now: datetime) -> Safe:
    """The clock that matters for a case, in words, with a CSS class for urgency."""
    case_type, status, country = case["type"], case["status"], case.get("country")
    clocks = case.get("clocks") or {}
    if status in CLOSED_STATUSES:
        return html('<span class="clock done">closed</span>')
    if case_type in RIGHTS_CASE_TYPES:
        due = _parse(case.get("due_at"))
        if due is None:
            return html('<span class="clock muted">starts when verified</span>')
        days = days_left(due, now, country)
        if days < 0:
            text, cls = f"{-days} day{'s' if days != -1 else ''} overdue", "overdue"
        elif days == 0:
            text, cls = "due today", "soon"
        else:
            text, cls = f"{days} day{'s' if days != 1 else ''} left", "soon" if days <= 5 else "ok"
        extended = " (extended)" if case.get("extended") else ""
        return html('<span class="clock {cls}" title="due {due}">{text}{ext}</span>', cls=cls,
                    due=_dt(due, country), text=text, ext=extended)
    if case_type == "incident":
        due = _parse(clocks.get("authority_notification_due_at"))
        if due is None:
            return Safe("")
        left = hours_left(due, now)
        if left < 0:
            return html('<span class="clock overdue" title="72-hour clock">72 h clock: overdue by {h:.0f} h</span>',
                        h=-left)
        return html('<span class="clock {cls}" title="72-hour clock, due {due}">{h:.0f} h left of 72 h</span>',
                    cls="overdue" if left < 12 else ("soon" if left < 36 else "ok"), due=_dt(due, country), h=left)
    if case_type == "misconduct":
        ack, feedback = _parse(clocks.get("acknowledge_due_at")), _parse(clocks.get("feedback_due_at"))
        acknowledged = status not in ("awaiting_verification", "open")
        parts = []
        if ack is not None:
            if acknowledged:
                parts.append(html('<span class="clock done">acknowledged</span>'))
            else:
                cls = "overdue" if ack < now else ("soon" if hours_left(ack, now) < 48 else "ok")
                parts.append(html('<span class="clock {cls}">acknowledge by {d}</span>', cls=cls,
                                  d=_dt(ack, country)))
        if feedback is not None:
            cls = "overdue" if feedback < now else "ok"
            parts.append(html('<span class="clock {cls}">feedback by {d}</span>', cls=cls, d=_dt(feedback, country)))
        return join(parts, " ")
    return Safe("")


# --- list ---------------------------------------------------------------------------------------

def _select(name: str, label: str, options: Sequence[tuple[str, str]], current: Optional[str]) -> Safe:
    opts = join(
        html('<option value="{v}"{sel}>{t}</option>', v=value, t=text,
             sel=Safe(" selected") if (current or "") == value else Safe(""))
        for value, text in [("", "any")] + list(options)
    )
    return html('<label>{label} <select name="{name}">{opts}</select></label>', label=label, name=name, opts=opts)


def case_list_page(rows: Sequence[Mapping[str, Any]], filters: Mapping[str, Any], now: datetime, *,
                   staff: Mapping[str, Any], csrf: str, visible_types: Sequence[str]) -> Safe:
    form = html(
        '<form method="get" action="/staff/cases" class="filters">{t}{s}{l}'
        '<label><input type="checkbox" name="overdue" value="true"{od}> overdue</label>'
        '<label>due within <input type="number" name="due_within_days" min="0" max="3650" value="{dw}"> days</label>'
        '<button type="submit">Filter</button> <a href="/staff/cases">Clear</a></form>',
        t=_select("type", "Type", [(t, TYPE_LABELS[t]) for t in visible_types], filters.get("type")),
        s=_select("status", "Status", [(s, STATUS_LABELS[s]) for s in STATUSES], filters.get("status")),
        l=_select("language", "Language", [(code, LANGUAGE_LABELS[code]) for code in LANGUAGES],
                  filters.get("language")),
        od=Safe(" checked") if filters.get("overdue") else Safe(""),
        dw="" if filters.get("due_within_days") is None else filters["due_within_days"],
    )
    if not rows:
        table = html('<p class="muted">No cases match.</p>')
    else:
        body = join(
            html(
                '<tr class="{cls}"><td><a href="{href}">{ref}</a></td><td>{type}</td><td>{status}</td>'
                '<td>{lang}</td><td>{country}</td><td>{created}</td><td>{clock}</td></tr>',
                cls="overdue" if row.get("overdue") else "", href=url("staff", "cases", row["reference"]),
                ref=row["reference"], type=TYPE_LABELS.get(row["type"], row["type"]),
                status=STATUS_LABELS.get(row["status"], row["status"]), lang=row["language"], country=row["country"],
                created=_dt(row.get("created_at"), row.get("country")), clock=clock_summary(row, now),
            )
            for row in rows
        )
        table = html(
            '<table class="cases"><thead><tr><th>Reference</th><th>Type</th><th>Status</th><th>Lang</th>'
            '<th>Country</th><th>Filed</th><th>Clock</th></tr></thead><tbody>{body}</tbody></table>'
            '<p class="muted">{n} case(s).</p>', body=body, n=len(rows),
        )
    return layout("Cases", html('<h1>Cases</h1>{form}{table}', form=form, table=table), staff=staff, csrf=csrf,
                  active="cases")


# --- detail -------------------------------------------------------------------------------------

def _facts(case: Mapping[str, Any]) -> Safe:
    country = case.get("country")
    rows: list[tuple[str, Any]] = [
        ("Type", TYPE_LABELS.get(case["type"], case["type"])),
        ("Status", STATUS_LABELS.get(case["status"], case["status"])),
        ("Language", LANGUAGE_LABELS.get(case["language"], case["language"])),
        ("Country", country), ("Channel", case.get("channel")), ("Company", case.get("company") or "—"),
        ("Filed", _dt(case.get("created_at"), country)), ("Verified", _dt(case.get("verified_at"), country)),
    ]
    if case.get("aware_at"):
        rows.append(("Reporter became aware", _dt(case.get("aware_at"), country)))
    for name, value in (case.get("clocks") or {}).items():
        label = {"authority_notification_due_at": "Authority notification due (72 h)",
                 "acknowledge_due_at": "Acknowledgement due", "feedback_due_at": "Feedback due",
                 "due_at": "Answer due"}.get(name, name)
        rows.append((label, _dt(value, country)))
    if case["type"] in RIGHTS_CASE_TYPES:
        rows.append(("Answer due", _dt(case.get("due_at"), country)))
        if case.get("original_due_at") and case.get("original_due_at") != case.get("due_at"):
            rows.append(("Originally due", _dt(case.get("original_due_at"), country)))
    extension = case.get("extension")
    if extension:
        rows.append(("Extension", f"{extension['months']} month(s) on {_dt(extension.get('extended_at'), country)}"))
        rows.append(("Extension reason", extension.get("reason")))
    if case.get("status_reason"):
        rows.append(("Status reason", case.get("status_reason")))
    if case.get("closed_at"):
        rows.append(("Closed", _dt(case.get("closed_at"), country)))
    return html('<dl class="facts">{rows}</dl>', rows=join(
        html('<dt>{k}</dt><dd class="text">{v}</dd>', k=k, v=v) for k, v in rows))


def _requester(case: Mapping[str, Any]) -> Safe:
    requester = case.get("requester")
    if case.get("anonymised_at"):
        return html('<p class="muted">Personal data removed under the retention rule on {d}.</p>',
                    d=_dt(case.get("anonymised_at"), case.get("country")))
    if not requester:
        if case.get("anonymous"):
            return html('<p class="muted">Anonymous reporter. They read messages and reply with their receipt.</p>')
        return html('<p class="muted">No requester data.</p>')
    return html(
        '<dl class="facts requester"><dt>Name</dt><dd class="text">{name}</dd><dt>E-mail</dt>'
        '<dd class="text">{email}</dd><dt>Identity</dt><dd>{how}</dd></dl>',
        name=requester.get("name") or "—", email=requester.get("email") or "—",
        how="confirmed by the channel (Teams)" if requester.get("verified_by_channel") else (
            "e-mail code" if case.get("verified_at") else "not verified yet"),
    )


def _details(details: Mapping[str, Any]) -> Safe:
    if not details:
        return html('<p class="muted">No details.</p>')
    return html('<dl class="facts details">{rows}</dl>', rows=join(
        html('<dt>{k}</dt><dd class="text">{v}</dd>', k=key.replace("_", " "), v=value)
        for key, value in details.items()))


def _messages(case: Mapping[str, Any], names: Mapping[int, str]) -> Safe:
    messages = case.get("messages") or []
    if not messages:
        return html('<p class="muted">No messages yet.</p>')
    items = []
    for message in messages:
        if message.get("from") == "staff":
            who = f"{names.get(message.get('staff_id'), 'staff')} → requester"
            cls = "from-staff"
        else:
            who = "Anonymous reporter" if case.get("anonymous") else "Requester"
            cls = "from-requester"
        items.append(html('<li class="message {cls}"><div class="meta">{who} · {when}</div>'
                          '<div class="text">{body}</div></li>', cls=cls, who=who,
                          when=_dt(message.get("created_at"), case.get("country")), body=message.get("body")))
    return html('<ul class="messages">{items}</ul>', items=join(items))


def _timeline(entries: Sequence[TimelineEntry], names: Mapping[int, str], country: Optional[str]) -> Safe:
    def actor(value: str) -> str:
        if value.startswith("staff:"):
            try:
                return names.get(int(value.split(":", 1)[1]), value)
            except ValueError:
                return value
        return {"service": "assistant", "system": "system", "requester": "requester", "cli": "CLI"}.get(value, value)

    def detail(entry: TimelineEntry) -> str:
        data = entry.data
        if entry.action == "status_changed":
            reason = " (reason given)" if data.get("reason_given") else ""
            return f"{STATUS_LABELS.get(data.get('from'), data.get('from'))} → " \
                   f"{STATUS_LABELS.get(data.get('to'), data.get('to'))}{reason}"
        if entry.action == "case_extended":
            return f"+{data.get('months')} month(s)"
        return ", ".join(f"{k}: {v}" for k, v in sorted(data.items()) if k not in ("message_id",))

    rows = join(
        html('<li><span class="when">{when}</span> <strong>{action}</strong> by {actor}<span class="muted"> {detail}</span></li>',
             when=_dt(entry.occurred_at, country), action=ACTION_LABELS.get(entry.action, entry.action),
             actor=actor(entry.actor), detail=detail(entry))
        for entry in entries
    )
    return html('<ol class="timeline">{rows}</ol>', rows=rows)


def _forms(case: Mapping[str, Any], csrf: str, transitions: Sequence[str]) -> Safe:
    ref = case["reference"]
    parts = []
    if transitions:
        options = join(html('<option value="{v}">{t}</option>', v=s, t=STATUS_LABELS.get(s, s)) for s in transitions)
        parts.append(html(
            '<form method="post" action="{action}" class="card" id="status-form"><h3>Change status</h3>'
            '<input type="hidden" name="csrf" value="{csrf}">'
            '<label>New status <select name="status" required>{options}</select></label>'
            '<label>Reason (required when rejecting) <textarea name="reason" rows="3" maxlength="2000"></textarea></label>'
            '<button type="submit">Change status</button></form>',
            action=url("staff", "cases", ref, "status"), csrf=csrf, options=options,
        ))
    if (case["type"] in EXTENDABLE_TYPES and case.get("extension") is None and case.get("due_at")
            and case["status"] not in CLOSED_STATUSES):
        parts.append(html(
            '<form method="post" action="{action}" class="card" id="extension-form"><h3>Extend the deadline (once)</h3>'
            '<input type="hidden" name="csrf" value="{csrf}">'
            '<label>By <select name="months"><option value="1">1 month</option><option value="2">2 months</option>'
            '</select></label><label>Reason (sent to the requester in their language)'
            '<textarea name="reason" rows="3" maxlength="2000" required></textarea></label>'
            '<button type="submit">Extend</button></form>',
            action=url("staff", "cases", ref, "extension"), csrf=csrf,
        ))
    if not case.get("anonymised_at"):
        parts.append(html(
            '<form method="post" action="{action}" class="card" id="message-form"><h3>Message to the requester</h3>'
            '<input type="hidden" name="csrf" value="{csrf}">'
            '<label>Message <textarea name="body" rows="4" maxlength="5000" required></textarea></label>'
            '<button type="submit">Send</button></form>',
            action=url("staff", "cases", ref, "messages"), csrf=csrf,
        ))
    return join(parts)


def case_detail_page(case: Mapping[str, Any], timeline: Sequence[TimelineEntry], names: Mapping[int, str],
                     now: datetime, *, staff: Mapping[str, Any], csrf: str, transitions: Sequence[str],
                     done: str = "", error: str = "") -> Safe:
    flash = Safe("")
    if error:
        flash = html('<p class="error" role="alert">{m}</p>', m=ERROR_TEXTS.get(error, "The change was not saved."))
    elif done in DONE_TEXTS:
        flash = html('<p class="notice" role="status">{m}</p>', m=DONE_TEXTS[done])
    body = html(
        '<p><a href="/staff/cases">← All cases</a></p>'
        '<h1>{ref} <span class="badge">{status}</span></h1><p class="lead">{kind} · {clock}</p>{flash}'
        '<div class="columns"><div>'
        '<section><h2>Case</h2>{facts}</section>'
        '<section><h2>Requester</h2>{requester}</section>'
        '<section><h2>What they wrote</h2>{details}</section>'
        '<section><h2>Messages</h2>{messages}</section>'
        '</div><div><section><h2>Work on the case</h2>{forms}</section>'
        '<section><h2>Timeline</h2>{timeline}</section></div></div>',
        ref=case["reference"], status=STATUS_LABELS.get(case["status"], case["status"]),
        kind=case_type_name(case["type"], "en"), clock=clock_summary(case, now), flash=flash,
        facts=_facts(case), requester=_requester(case), details=_details(case.get("details") or {}),
        messages=_messages(case, names), forms=_forms(case, csrf, transitions),
        timeline=_timeline(timeline, names, case.get("country")),
    )
    return layout(case["reference"], body, staff=staff, csrf=csrf, active="cases")


# --- dashboard ----------------------------------------------------------------------------------

def dashboard_page(data: DashboardData, now: datetime, *, staff: Mapping[str, Any], csrf: str) -> Safe:
    rate = data.on_time_rate
    breaches: Safe
    if data.open_breaches:
        breaches = html('<table class="cases"><thead><tr><th>Reference</th><th>Status</th><th>Aware since</th>'
                        '<th>72 h clock</th><th></th></tr></thead><tbody>{rows}</tbody></table>', rows=join(
            html('<tr><td><a href="{href}">{ref}</a></td><td>{status}</td><td>{aware}</td><td>{left}</td>'
                 '<td>{bar}</td></tr>', href=url("staff", "cases", b.reference), ref=b.reference,
                 status=STATUS_LABELS.get(b.status, b.status), aware=_dt(b.aware_at, None),
                 left=("—" if b.hours_left is None else (f"{b.hours_left:.0f} h left" if b.hours_left >= 0
                                                         else f"overdue by {-b.hours_left:.0f} h")),
                 bar=charts.clock_bar(b.hours_left))
            for b in data.open_breaches))
    elif staff.get("role") == "recruiter":
        breaches = html('<p class="muted">Breaches are not in your role.</p>')
    else:
        breaches = html('<p class="muted">No open breaches.</p>')
    body = html(
        '<h1>Dashboard</h1>'
        '<section><h2>Cases per week by type</h2>{weekly}</section>'
        '<section class="columns"><div><h2>On-time rate</h2><p class="big">{rate}</p>{bar}</div>'
        '<div><h2>Open cases</h2><p class="big">{open}</p><p>{overdue} overdue</p></div></section>'
        '<section><h2>Open breaches</h2>{breaches}</section>',
        weekly=charts.stacked_bars(data.weeks, data.per_week, TYPE_LABELS, CASE_TYPES),
        rate="—" if rate is None else f"{rate * 100:.0f} %", bar=charts.rate_bar(data.answered_on_time,
                                                                                   data.answered_late),
        open=data.open_cases, overdue=data.open_overdue, breaches=breaches,
    )
    return layout("Dashboard", body, staff=staff, csrf=csrf, active="dashboard")
