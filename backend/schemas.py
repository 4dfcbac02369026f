"""Request validation and machine-readable errors.

Validation is explicit (every field has a type, a length limit and an allowed set) and fails with an
`ApiError` naming the field; handlers turn it into `{"error": {"code", "message", ...}}` with a 4xx
status. Messages name fields, never echo values (they may be personal data).

Free text is stored as text: nothing here interprets or strips HTML; it is encrypted at rest and
returned as JSON strings, which no client should render as markup.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any, Mapping, Optional

from email_validator import EmailNotValidError, validate_email

from backend.deadlines import CASE_TYPES, RIGHTS_CASE_TYPES  # one list of case types, kept in deadlines
from basics.languages import LANGUAGES
from basics.references import normalise_reference

STATUSES: tuple[str, ...] = (
    "awaiting_verification",
    "open",
    "in_progress",
    "waiting_for_requester",
    "completed",
    "rejected",
    "withdrawn",
    "expired",
)
CLOSED_STATUSES = frozenset({"completed", "rejected", "withdrawn", "expired"})
CHANNELS = ("web", "teams", "api")
COUNTRIES = ("NO", "SE", "DK")
ROLES = ("privacy_officer", "recruiter", "security")
# Reports people may file without identity; rights requests always need an e-mail address.
ANONYMOUS_TYPES = frozenset({"incident", "misconduct", "complaint"})
# Art. 12(3) extensions apply to data-subject rights requests, not to complaints.
EXTENDABLE_TYPES = frozenset(RIGHTS_CASE_TYPES - {"complaint"})

MAX_BODY_BYTES = 64 * 1024
MAX_NAME = 200
MAX_EMAIL = 254
MAX_COMPANY = 200
MAX_DESCRIPTION = 5000
MAX_DETAIL_VALUE = 500
MAX_DETAIL_FIELDS = 30
MAX_DETAIL_KEY = 64
MAX_REASON = 2000
MAX_MESSAGE = 5000
MAX_REFERENCE_INPUT = 64
# GET /api/v1/staff/cases query limits.
MAX_LIST_LIMIT = 1000
MAX_DUE_WITHIN_DAYS = 3650
MAX_OFFSET = 10_000_000
# Rasa's sender id of the chat a case was filed from. 255 = the width of Rasa's own `events.sender_id`
# column: a Teams group-chat id ("<user id>|<conversation id>") can pass 128 characters.
MAX_CONVERSATION_ID = 255
AWARE_AT_FUTURE_SKEW = timedelta(minutes=5)

# Patterns in the dialect JSON Schema and Python share (ECMA-262 subset: no \Z, no look-behind). The
# OpenAPI document (backend/openapi.py) publishes these same strings, so what the validators below enforce
# and what the document says cannot drift apart. `_python` anchors the end as \Z: Python's `$` would also
# match before a trailing newline.
DETAIL_KEY_PATTERN = r"^[a-z][a-z0-9_]{0,%d}$" % (MAX_DETAIL_KEY - 1)
IDEMPOTENCY_KEY_PATTERN = r"^[A-Za-z0-9._:\-]{8,128}$"
# ASCII digits only: \d would also accept other scripts' digits.
CODE_PATTERN = r"^ *[0-9]{3} ?[0-9]{3} *$"
RECEIPT_PATTERN = r"^[0-9 \-]{16,40}$"
# Conversation ids as our channels make them: socketio session ids (hex), Teams ids ("29:...",
# "29:...|19:...@thread.v2;messageid=..."), REST senders. ASCII only, no spaces, quotes or markup.
# bot/channels/transcripts.py applies the same rule (a test keeps the two equal).
CONVERSATION_ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._:@|;=+/\-]{0,%d}$" % (MAX_CONVERSATION_ID - 1)
# Control characters (Unicode category Cc) that `text` refuses; multi-line text keeps tab, LF and CR.
_CONTROL = "\\u0000-\\u001f\\u007f-\\u009f"
_CONTROL_MULTILINE = "\\u0000-\\u0008\\u000b\\u000c\\u000e-\\u001f\\u007f-\\u009f"
# A reference or other required value: at least one character that is not white space.
NOT_BLANK_PATTERN = r"\S"


def text_pattern(*, multiline: bool, required: bool) -> str:
    """The JSON Schema pattern of a `text` field: no control characters; when required, not blank."""
    control = _CONTROL_MULTILINE if multiline else _CONTROL
    if not required:
        return f"^[^{control}]*$"
    return f"^[^{control}]*[^\\s{_CONTROL}][^{control}]*$"


def _python(pattern: str) -> "re.Pattern[str]":
    return re.compile(pattern[:-1] + r"\Z" if pattern.endswith("$") else pattern)


_DETAIL_KEY_RE = _python(DETAIL_KEY_PATTERN)
_IDEMPOTENCY_KEY_RE = _python(IDEMPOTENCY_KEY_PATTERN)
_CODE_RE = _python(CODE_PATTERN)
_RECEIPT_RE = _python(RECEIPT_PATTERN)
CONVERSATION_ID_RE = _python(CONVERSATION_ID_PATTERN)
EARLIEST_AWARE_AT = datetime(2000, 1, 1, tzinfo=timezone.utc)


class ApiError(Exception):
    """An error the client caused (or may see): HTTP status, machine code, human message, extras."""

    def __init__(self, status: int, code: str, message: str, **extra: Any) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.extra = extra

    def body(self) -> dict[str, Any]:
        return {"error": {"code": self.code, "message": self.message, **self.extra}}


def invalid(field_name: str, message: str, code: str = "invalid_field") -> ApiError:
    return ApiError(400, code, message, field=field_name)


# --- primitive validators -----------------------------------------------------------------------

def _has_control_chars(value: str, allow_newlines: bool) -> bool:
    for ch in value:
        if ch in "\n\r\t" and allow_newlines:
            continue
        if unicodedata.category(ch) in ("Cc", "Cs"):
            return True
    return False


def text(
    data: Mapping[str, Any],
    name: str,
    *,
    max_length: int,
    required: bool = False,
    multiline: bool = False,
    label: Optional[str] = None,
) -> Optional[str]:
    """A string field: type-checked, stripped, length-limited, free of control characters."""
    label = label or name
    value = data.get(name)
    if value is None:
        if required:
            raise invalid(label, f"{label} is required", code="missing_field")
        return None
    if not isinstance(value, str):
        raise invalid(label, f"{label} must be a string")
    value = value.strip()
    if not value:
        if required:
            raise invalid(label, f"{label} must not be empty", code="missing_field")
        return None
    if len(value) > max_length:
        raise invalid(label, f"{label} is longer than {max_length} characters", code="field_too_long")
    if _has_control_chars(value, allow_newlines=multiline):
        raise invalid(label, f"{label} contains control characters")
    return value


def choice(data: Mapping[str, Any], name: str, allowed: tuple[str, ...], code: str, required: bool = True) -> Optional[str]:
    value = data.get(name)
    if value is None:
        if required:
            raise ApiError(400, "missing_field", f"{name} is required", field=name)
        return None
    if not isinstance(value, str) or value not in allowed:
        raise ApiError(400, code, f"{name} must be one of: {', '.join(allowed)}", field=name)
    return value


def boolean(data: Mapping[str, Any], name: str, default: bool = False) -> bool:
    # Absent means the default; an explicit null is refused like any other non-boolean (the document
    # says boolean, not nullable).
    if name not in data:
        return default
    value = data[name]
    if not isinstance(value, bool):
        raise invalid(name, f"{name} must be true or false")
    return value


def email_address(value: Any, label: str = "email") -> str:
    """A syntactically valid address (no DNS look-ups), in its normalised form."""
    if not isinstance(value, str):
        raise invalid(label, f"{label} must be a string", code="invalid_email")
    value = value.strip()
    if not value or len(value) > MAX_EMAIL:
        raise invalid(label, f"{label} must be an e-mail address of at most {MAX_EMAIL} characters", code="invalid_email")
    try:
        result = validate_email(value, check_deliverability=False)
    except EmailNotValidError:
        raise invalid(label, f"{label} is not a valid e-mail address", code="invalid_email") from None
    return result.normalized


def aware_datetime(value: Any, label: str) -> datetime:
    if not isinstance(value, str) or len(value) > 40:
        raise invalid(label, f"{label} must be an ISO 8601 date-time string with a UTC offset", code="invalid_datetime")
    try:
        parsed = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        raise invalid(label, f"{label} must be an ISO 8601 date-time string with a UTC offset", code="invalid_datetime") from None
    if parsed.tzinfo is None or parsed.tzinfo.utcoffset(parsed) is None:
        raise invalid(label, f"{label} must include a UTC offset", code="invalid_datetime")
    try:
        parsed = parsed.astimezone(timezone.utc)
    except OverflowError:  # e.g. 0001-01-01T00:00+01:00
        raise invalid(label, f"{label} is out of range", code="invalid_datetime") from None
    if parsed < EARLIEST_AWARE_AT:
        raise invalid(label, f"{label} is implausibly early", code="invalid_datetime")
    return parsed


def reference(data: Mapping[str, Any], name: str = "reference") -> str:
    """A case reference in canonical form. A malformed one is reported as not found (no oracle)."""
    value = data.get(name)
    if not isinstance(value, str) or not value.strip():
        raise ApiError(400, "missing_field", f"{name} is required", field=name)
    canonical = normalise_reference(value[:MAX_REFERENCE_INPUT])
    if canonical is None:
        raise ApiError(404, "case_not_found", "no such case")
    return canonical


def path_reference(raw: str) -> str:
    canonical = normalise_reference(raw[:MAX_REFERENCE_INPUT]) if raw else None
    if canonical is None:
        raise ApiError(404, "case_not_found", "no such case")
    return canonical


def otp_code(data: Mapping[str, Any]) -> str:
    value = data.get("code")
    if value is None:
        raise ApiError(400, "missing_field", "code is required", field="code")
    if not isinstance(value, str) or not _CODE_RE.match(value):
        raise ApiError(400, "invalid_field", "code must be a string of 6 digits", field="code")
    return value.replace(" ", "")


def receipt(data: Mapping[str, Any]) -> str:
    value = data.get("receipt")
    if value is None:
        raise ApiError(400, "missing_field", "receipt is required", field="receipt")
    if not isinstance(value, str) or not _RECEIPT_RE.match(value):
        raise ApiError(400, "invalid_field", "receipt must be a string of 16 digits", field="receipt")
    return value


def conversation_id(data: Mapping[str, Any]) -> Optional[str]:
    """The optional chat conversation id (Rasa sender id) a case was filed from."""
    value = data.get("conversation_id")
    if value is None:
        return None
    if not isinstance(value, str) or not CONVERSATION_ID_RE.match(value):
        raise ApiError(
            400, "invalid_conversation_id",
            f"conversation_id must be 1-{MAX_CONVERSATION_ID} characters of letters, digits and . _ : @ | ; = + / -",
            field="conversation_id",
        )
    return value


def idempotency_key(value: Optional[str]) -> str:
    if value is None or not value.strip():
        raise ApiError(400, "idempotency_key_required", "the Idempotency-Key header is required for this call")
    value = value.strip()
    if not _IDEMPOTENCY_KEY_RE.match(value):
        raise ApiError(
            400, "invalid_idempotency_key",
            "Idempotency-Key must be 8-128 characters of letters, digits and . _ : -",
        )
    return value


def chat_erasure_request(data: Mapping[str, Any]) -> str:
    """The body of POST /api/v1/conversations/erasure: exactly one, required, `conversation_id`."""
    reject_unknown(data, frozenset({"conversation_id"}))
    value = conversation_id(data)
    if value is None:
        raise ApiError(400, "missing_field", "conversation_id is required", field="conversation_id")
    return value


def reject_unknown(data: Mapping[str, Any], allowed: frozenset[str], where: str = "body") -> None:
    unknown = sorted(k for k in data if k not in allowed)
    if unknown:
        shown = ", ".join(k[:40] for k in unknown[:5])
        raise ApiError(400, "unknown_field", f"unknown field(s) in {where}: {shown}", fields=unknown[:5])


def json_object(data: Any, where: str = "body") -> Mapping[str, Any]:
    if not isinstance(data, dict):
        raise ApiError(400, "invalid_json", f"{where} must be a JSON object")
    return data


# --- case creation -----------------------------------------------------------------------------

@dataclass(frozen=True)
class Requester:
    name: Optional[str]
    email: Optional[str]
    verified_by_channel: bool = False


@dataclass(frozen=True)
class NewCase:
    type: str
    language: str
    channel: str
    country: str
    company: Optional[str]
    anonymous: bool
    requester: Optional[Requester]
    details: dict[str, str] = field(default_factory=dict)
    aware_at: Optional[datetime] = None
    conversation_id: Optional[str] = None


_CASE_FIELDS = frozenset(
    {"type", "language", "channel", "company", "country", "requester", "anonymous", "details", "aware_at",
     "conversation_id"}
)
_REQUESTER_FIELDS = frozenset({"name", "email", "verified_by_channel"})


def _details(value: Any) -> dict[str, str]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise invalid("details", "details must be an object with string values")
    if len(value) > MAX_DETAIL_FIELDS:
        raise invalid("details", f"details may have at most {MAX_DETAIL_FIELDS} fields", code="field_too_long")
    result: dict[str, str] = {}
    for key in value:
        if not isinstance(key, str) or not _DETAIL_KEY_RE.match(key):
            raise invalid("details", f"details keys must be lower-case identifiers (a-z, 0-9, _), at most {MAX_DETAIL_KEY} characters")
        limit = MAX_DESCRIPTION if key == "description" else MAX_DETAIL_VALUE
        item = value[key]
        if item is None:
            continue
        if not isinstance(item, str):  # the document says string: numbers are refused, not converted
            raise invalid(f"details.{key}", f"details.{key} must be a string")
        cleaned = text({key: item}, key, max_length=limit, multiline=True, label=f"details.{key}")
        if cleaned is not None:
            result[key] = cleaned
    return result


def parse_new_case(data: Any, now: datetime) -> NewCase:
    data = json_object(data)
    reject_unknown(data, _CASE_FIELDS)
    case_type = data.get("type")
    if case_type is None:
        raise ApiError(400, "missing_field", "type is required", field="type")
    if not isinstance(case_type, str) or case_type not in CASE_TYPES:
        raise ApiError(400, "unknown_case_type", f"type must be one of: {', '.join(CASE_TYPES)}", field="type")
    language = choice(data, "language", LANGUAGES, "invalid_language")
    channel = choice(data, "channel", CHANNELS, "invalid_channel")
    country = choice(data, "country", COUNTRIES, "invalid_country")
    company = text(data, "company", max_length=MAX_COMPANY)
    anonymous = boolean(data, "anonymous")
    details = _details(data.get("details"))
    conversation = conversation_id(data)

    requester: Optional[Requester] = None
    raw_requester = data.get("requester")
    if raw_requester is not None:
        if not isinstance(raw_requester, dict):
            raise invalid("requester", "requester must be an object or null")
        reject_unknown(raw_requester, _REQUESTER_FIELDS, where="requester")
        name = text(raw_requester, "name", max_length=MAX_NAME, label="requester.name")
        raw_email = raw_requester.get("email")
        email = None if raw_email in (None, "") else email_address(raw_email, "requester.email")
        verified = boolean(raw_requester, "verified_by_channel")
        if name or email or verified:
            requester = Requester(name=name, email=email, verified_by_channel=verified)

    aware_at = None
    if data.get("aware_at") is not None:
        aware_at = aware_datetime(data["aware_at"], "aware_at")
        if aware_at > now + AWARE_AT_FUTURE_SKEW:
            raise invalid("aware_at", "aware_at must not be in the future", code="invalid_datetime")
    if case_type == "incident" and aware_at is None:
        raise ApiError(400, "missing_field", "aware_at is required for incident reports", field="aware_at")

    if anonymous:
        if case_type not in ANONYMOUS_TYPES:
            raise ApiError(
                400, "anonymous_not_allowed",
                f"only {', '.join(sorted(ANONYMOUS_TYPES))} reports can be anonymous", field="anonymous",
            )
        if requester is not None:
            raise ApiError(400, "anonymous_with_requester", "an anonymous report must not carry requester data",
                           field="requester")
    else:
        if requester is not None and requester.verified_by_channel:
            if channel != "teams":
                raise invalid("requester.verified_by_channel", "only the teams channel can vouch for an identity")
            if not (requester.name or requester.email):
                raise ApiError(400, "requester_required", "requester needs a name or an e-mail address",
                               field="requester")
        elif requester is None or requester.email is None:
            raise ApiError(
                400, "requester_email_required",
                "requester.email is required (the requester proves it with an e-mail code)",
                field="requester.email",
            )
    return NewCase(
        type=case_type,
        language=language,  # type: ignore[arg-type]
        channel=channel,  # type: ignore[arg-type]
        country=country,  # type: ignore[arg-type]
        company=company,
        anonymous=anonymous,
        requester=requester,
        details=details,
        aware_at=aware_at,
        # Never kept for anonymous reports: it would tie the report to a chat session.
        conversation_id=None if anonymous else conversation,
    )
