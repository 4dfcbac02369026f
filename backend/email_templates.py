"""E-mails to requesters (sv, nb, en) and to staff, as plain text. Staff deadline alerts are in the
language configured for the recipient role (`render_staff_alert`, `render_staff_digest`); the case
service's own new-case notice to PRIVACY_TEAM_EMAIL (`staff_new_case`) follows the privacy officer's alert language.

Each e-mail carries only what it is for: a code e-mail holds the code and the reference, a "message
waiting" e-mail holds no message text. Codes are never put in subjects (subjects show on lock screens).
Dates are written the way each language writes them and in the case's local time zone.

The texts are in messages/<language>/email.yml (basics/messages.py); this module assembles them.

`render(template, language, **context) -> (subject, body)`; unknown language -> English, unknown
template -> KeyError, missing context -> ValueError naming the missing fields.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import date, datetime

from backend.deadlines import zone_for
from basics.dates import format_day
from basics.languages import LANGUAGES, normalise_language
from basics.messages import message, message_table

__all__ = [
    "CASE_TYPE_NAMES",
    "TEMPLATES",
    "case_type_name",
    "format_date",
    "format_datetime",
    "render",
    "render_staff_alert",
    "render_staff_digest",
    "supervisory_authority",
]

# Language -> case type -> name (messages/<language>/email.yml, email.case_type.*).
CASE_TYPE_NAMES: dict[str, dict[str, str]] = {
    lang: {case_type: names[lang] for case_type, names in message_table("email.case_type").items()}
    for lang in LANGUAGES
}


def _text(key: str, lang: str, **values: object) -> str:
    """One e-mail text (`email.<key>` in the catalogue); `lang` is already one of LANGUAGES."""
    return message(lang, f"email.{key}", **values)


def case_type_name(case_type: str, language: str) -> str:
    """The case type in words; the raw type name for an unknown type rather than failing an e-mail."""
    return CASE_TYPE_NAMES[normalise_language(language)].get(case_type, case_type.replace("_", " "))


def _local(dt: datetime | date, country: str | None) -> datetime | date:
    if isinstance(dt, datetime):
        if dt.tzinfo is None or dt.utcoffset() is None:
            raise ValueError("format_date needs a timezone-aware datetime")
        return dt.astimezone(zone_for(country))
    if isinstance(dt, date):
        return dt
    raise TypeError(f"expected a datetime or date, got {type(dt).__name__}")


def format_date(dt: datetime | date, language: str, country: str | None = None) -> str:
    """The local date as each language writes it: sv "24 november 2026", nb "24. november 2026",
    en "24 November 2026". Aware datetimes are converted to the country's zone first."""
    return format_day(_local(dt, country), language)


def format_datetime(dt: datetime, language: str, country: str | None = None) -> str:
    """Local date and time with the zone abbreviation: sv "24 november 2026 kl. 09.00 (CET)",
    nb "24. november 2026 kl. 09.00 (CET)", en "24 November 2026, 09:00 (CET)"."""
    local = _local(dt, country)
    if not isinstance(local, datetime):
        raise TypeError("format_datetime needs a datetime")
    lang = normalise_language(language)
    day = format_day(local, lang)
    return _text("format.datetime", lang, day=day, hour=f"{local:%H}", minute=f"{local:%M}",
                 zone=local.tzname() or "")


# The countries whose authority the catalogue names (email.authority.<country>); any other: email.authority.any.
_AUTHORITY_COUNTRIES = ("NO", "SE", "DK")


def supervisory_authority(country: str | None, language: str) -> str:
    """The supervisory authority of the case's country, named in the reader's language."""
    lang = normalise_language(language)
    code = (country or "").strip().upper()
    return _text(f"authority.{code}" if code in _AUTHORITY_COUNTRIES else "authority.any", lang)


def _minutes(value: object, language: str) -> str:
    minutes = int(value)  # type: ignore[call-overload]
    return _text("minutes.one" if minutes == 1 else "minutes.other", language, n=minutes)


# --- templates -----------------------------------------------------------------------------------
# Each builder gets the language (already normalised) and the context and returns (subject, body
# without signature). The words are email.<template>.* in messages/<language>/email.yml; the builders
# stay small functions because optional parts (a due date that is not set yet) add or drop whole sentences.

Builder = Callable[[str, Mapping[str, object]], tuple[str, str]]


def _verification_code(lang: str, c: Mapping[str, object]) -> tuple[str, str]:
    values = {"code": c["code"], "ref": c["reference"], "minutes": _minutes(c["minutes_valid"], lang)}
    return _text("verification_code.subject", lang, **values), _text("verification_code.body", lang, **values)


def _case_received(lang: str, c: Mapping[str, object]) -> tuple[str, str]:
    ref = c["reference"]
    kind = case_type_name(str(c["case_type"]), lang)
    due = c.get("due_at")
    due_text = format_date(due, lang, c.get("country")) if due is not None else None  # type: ignore[arg-type]
    # The due date is a sentence of its own, left out while the case has no deadline yet.
    lines = [_text("case_received.received", lang, kind=kind, ref=ref)]
    if due_text:
        lines.append(_text("case_received.due", lang, date=due_text))
    lines.append(_text("case_received.keep", lang))
    return _text("case_received.subject", lang, ref=ref), "\n\n".join(lines)


def _status_code(lang: str, c: Mapping[str, object]) -> tuple[str, str]:
    values = {"code": c["code"], "ref": c["reference"], "minutes": _minutes(c["minutes_valid"], lang)}
    return _text("status_code.subject", lang, **values), _text("status_code.body", lang, **values)


def _extension_notice(lang: str, c: Mapping[str, object]) -> tuple[str, str]:
    ref, reason = c["reference"], str(c["reason"]).strip()
    new_due = format_date(c["new_due_at"], lang, c.get("country"))  # type: ignore[arg-type]
    authority = supervisory_authority(c.get("country"), lang)  # type: ignore[arg-type]
    return (_text("extension_notice.subject", lang, ref=ref),
            _text("extension_notice.body", lang, ref=ref, date=new_due, reason=reason, authority=authority))


def _staff_message(lang: str, c: Mapping[str, object]) -> tuple[str, str]:
    ref = c["reference"]
    return _text("staff_message.subject", lang, ref=ref), _text("staff_message.body", lang, ref=ref)


# Labels of the clocks in the new-case notice (email.clock.<clock name>).
_CLOCK_LABELS: dict[str, dict[str, str]] = message_table("email.clock")


def _staff_new_case(lang: str, c: Mapping[str, object]) -> tuple[str, str]:
    # The privacy team's notice, in ALERT_LANGUAGE_PRIVACY_OFFICER / ALERT_LANGUAGE; no personal data: the
    # case is read in the staff view.
    lang = lang if lang in LANGUAGES else "en"
    ref, case_type = c["reference"], str(c["case_type"])
    country = c.get("country")
    kind = case_type_name(case_type, lang)
    lines = [_text("staff_new_case.intro", lang, ref=ref, type=kind)]
    due_lines: list[str] = []
    if c.get("due_summary"):
        due_lines.append(str(c["due_summary"]))
    clocks = dict(c.get("clocks") or {})  # type: ignore[call-overload]
    if c.get("due_at") is not None:
        clocks.setdefault("due_at", c["due_at"])
    for name, value in clocks.items():
        if value is None:
            continue
        label = _CLOCK_LABELS.get(name, {}).get(lang) or name.replace("_", " ")
        due_lines.append(f"{label}: {format_datetime(value, lang, country)}")  # type: ignore[arg-type]
    if due_lines:
        lines.append("\n".join(due_lines))
    lines.append(_text("staff_new_case.outro", lang))
    return _text("staff_new_case.subject", lang, ref=ref, type=kind), "\n\n".join(lines)


TEMPLATES: dict[str, tuple[Builder, tuple[str, ...], bool]] = {
    # name: (builder, required context, addressed to the requester)
    "verification_code": (_verification_code, ("code", "minutes_valid", "reference"), True),
    "case_received": (_case_received, ("reference", "case_type"), True),
    "status_code": (_status_code, ("code", "minutes_valid", "reference"), True),
    "extension_notice": (_extension_notice, ("reference", "new_due_at", "reason"), True),
    "staff_message": (_staff_message, ("reference",), True),
    "staff_new_case": (_staff_new_case, ("reference", "case_type"), False),
}


def render(template: str, language: str, **context: object) -> tuple[str, str]:
    """(subject, body) of an e-mail.

    Context per template:
    - verification_code: code, minutes_valid, reference
    - case_received: reference, case_type, due_at (aware datetime or None), country
    - status_code: code, minutes_valid, reference
    - extension_notice: reference, new_due_at, reason, country
    - staff_message: reference (the message itself is never e-mailed)
    - staff_new_case: reference, case_type, and any of due_summary (str), due_at, clocks
      (dict name -> aware datetime, as from deadlines.clocks_for), country; in the privacy officer's language
    """
    builder, required, to_requester = TEMPLATES[template]  # KeyError for unknown templates
    missing = [name for name in required if context.get(name) is None]
    if missing:
        raise ValueError(f"template {template!r} is missing context: {', '.join(missing)}")
    lang = normalise_language(language)
    subject, body = builder(lang, context)
    if to_requester:
        body = f"{body}\n\n{_text('signature', lang)}\n\n{_text('automated_note', lang)}\n"
    else:
        body = f"{body}\n"
    return subject, body


# --- staff alerts (backend/services/alerts.py) ----------------------------------------------------
# In the language configured for the recipient role (ALERT_LANGUAGE_<ROLE>, ALERT_LANGUAGE). They carry
# the reference, the case type and the deadline, plus a link to the staff page: never the requester's
# name, address, company or words. The texts are email.alert.* in the catalogue; keys ending in `.one` /
# `.other` are singular and plural.

STAFF_ALERT_KINDS = ("new_case", "rights_due_soon", "breach_24h", "breach_60h", "misconduct_ack")


def _alert_text(key: str, lang: str, count: int | None = None, **values: object) -> str:
    if count is not None:
        key = f"{key}.{'one' if abs(count) == 1 else 'other'}"
        values["n"] = count
    return _text(f"alert.{key}", lang, **values)


def render_staff_alert(
    kind: str,
    language: str,
    *,
    reference: str,
    case_type: str,
    country: str | None,
    deadline: datetime | None,
    deadline_label: str,
    days_left: int | None = None,
    hours_left: float | None = None,
    base_url: str = "",
) -> tuple[str, str]:
    """(subject, body) of a deadline alert to a staff mailbox.

    `kind`: one of STAFF_ALERT_KINDS; `deadline_label`: answer_due | authority_due | acknowledge_due;
    `days_left` for rights_due_soon, `hours_left` (negative when overdue) for the breach alerts;
    `base_url`: STAFF_BASE_URL (empty: no link). KeyError for an unknown kind.
    """
    lang = normalise_language(language)
    ref = reference
    extra: list[str] = []
    if kind == "new_case":
        subject = _alert_text("new_case.subject", lang, ref=ref, type_name=case_type_name(case_type, lang))
        intro = _alert_text("new_case.intro", lang)
    elif kind == "rights_due_soon":
        days = max(days_left or 0, 0)
        if days == 0:
            subject = _alert_text("due_soon.subject_today", lang, ref=ref)
            intro = _alert_text("due_soon.intro_today", lang)
        else:
            subject = _alert_text("due_soon.subject", lang, days, ref=ref)
            intro = _alert_text("due_soon.intro", lang, days)
    elif kind in ("breach_24h", "breach_60h"):
        left = hours_left or 0.0
        hours = round(abs(left))
        side = "left" if left >= 0 else "over"
        subject = _alert_text(f"breach.subject_{side}", lang, hours, ref=ref)
        intro = _alert_text(f"breach.intro_{side}", lang, hours)
        extra.append(f"{_alert_text('authority', lang)}: {supervisory_authority(country, lang)}")
    elif kind == "misconduct_ack":
        subject = _alert_text("misconduct.subject", lang, ref=ref)
        intro = _alert_text("misconduct.intro", lang)
    else:
        raise KeyError(kind)
    when = format_datetime(deadline, lang, country) if deadline is not None else _alert_text("not_set", lang)
    facts = [
        f"{_alert_text('reference', lang)}: {ref}",
        f"{_alert_text('type', lang)}: {case_type_name(case_type, lang)}",
        f"{_alert_text(f'deadline.{deadline_label}', lang)}: {when}",
        *extra,
    ]
    link = (_alert_text("link", lang, url=f"{base_url}/staff/cases/{ref}") if base_url
            else _alert_text("no_link", lang))
    return subject, f"{intro}\n\n" + "\n".join(facts) + f"\n\n{link}\n"


def render_staff_digest(
    language: str, *, day: date, rows: list[Mapping[str, object]], base_url: str = "",
) -> tuple[str, str]:
    """(subject, body) of the daily digest. `rows`: reference, type, due_at (aware datetime), country,
    days_overdue (int)."""
    lang = normalise_language(language)
    lines = [
        _alert_text("digest.line", lang, int(row["days_overdue"]), ref=row["reference"],  # type: ignore[call-overload]
                    type_name=case_type_name(str(row["type"]), lang),
                    due=format_datetime(row["due_at"], lang, row.get("country")))  # type: ignore[arg-type]
        for row in rows
    ]
    subject = _alert_text("digest.subject", lang, date=format_date(day, lang), n=len(rows))
    link = f"\n\n{_alert_text('digest.link', lang, url=f'{base_url}/staff/cases?overdue=true')}" if base_url else ""
    return subject, f"{_alert_text('digest.intro', lang)}\n\n" + "\n".join(lines) + link + "\n"
