"""Redaction of personal data from conversation text and JSON-like values (pure functions, no I/O).

Used by the tracker store (bot/tracker_store.py) before anything is written, by its log filter, and by
anyone who needs to show or store a message without the personal data in it.

What is found and what replaces it:

| kind | placeholder | how it is recognised |
| --- | --- | --- |
| e-mail address | `[email]` | `local@domain.tld`, and broken tries such as `local@domain` or `local@domain,tld` |
| bearer / basic token, JWT | `[token]` | `Bearer xyz...`, `eyJ....` |
| anonymous receipt | `[receipt]` | exactly 16 digits, optionally grouped by spaces or dashes |
| national ID number | `[national-id]` | SE personnummer/samordningsnummer, NO fødselsnummer/D-nummer, DK CPR (see below) |
| phone number | `[phone]` | `+CC ...`/`00CC ...`; SE numbers starting with 0; NO/DK 8-digit shapes; after "tel/phone" |
| one-time code | `[code]` | a 6-digit message on its own; 6 digits after "code/kod/kode"; any 5-8 digit group when
|   |   | the caller says a code was asked for (`expect_code=True`) |

National ID numbers. A candidate (6 or 8 digits, optional `-`/`+`/space, then 4 or 5 digits) is redacted when
python-stdnum's validator accepts it (the detector is `basics.national_ids`, shared with the action server:
`stdnum.se.personnummer`, `stdnum.no.fodselsnummer`, `stdnum.dk.cpr`, and samordningsnummer, day + 60,
checked with stdnum's Luhn because stdnum's personnummer rejects them).
Decision on candidates whose checksum fails: they are ALSO redacted when they are written the way an ID is
written (a separator between the date part and the serial, or the 12-digit YYYYMMDDNNNN form) and the date
part is a real date. A mistyped ID number is still somebody's ID number minus one digit; the measured cost of
this rule on ordinary numbers (dates, amounts, case references, years, phone numbers) is zero, see
tests/bot/test_redaction.py::test_id_policy_measurement and docs/TRANSCRIPTS.md. Bare digit runs whose
checksum fails are not treated as IDs (they may still be phone numbers).

Over-redaction guard rails: case references such as `PRV-2026-7K3Q-9CX9` (recognised by their shape,
`basics.references.REFERENCE_SHAPE_RE`), ISO and Nordic dates, years,
times and amounts (`12 500 kr`, `1 250 000`) are left alone; tests measure this.
"""

from __future__ import annotations

import functools
import os
import re
from typing import Any, Collection, Dict, FrozenSet, Iterable, List, Mapping, Optional, Tuple

from basics.dates import is_date
from basics.national_ids import find_national_ids, is_national_id, looks_like_national_id
from basics.references import REFERENCE_SHAPE_RE

__all__ = [
    "PLACEHOLDERS",
    "DEFAULT_REDACT_SLOTS",
    "DEFAULT_CODE_SLOTS",
    "METADATA_SENSITIVE_KEYS",
    "Finding",
    "find_pii",
    "contains_pii",
    "redact_text",
    "redact_value",
    "redact_slots",
    "slot_placeholder",
    "redact_slot_names_from_env",
    "is_national_id",
    "looks_like_national_id",
    "KnownValues",
    "known_values",
    "MIN_KNOWN_VALUE_CHARS",
    "COMMON_ANSWERS",
]

PLACEHOLDERS: Dict[str, str] = {
    "email": "[email]",
    "phone": "[phone]",
    "national_id": "[national-id]",
    "code": "[code]",
    "receipt": "[receipt]",
    "token": "[token]",
    "name": "[name]",
    "text": "[free-text]",
    "other": "[redacted]",
}

# Slots whose values are never written in clear, whatever they contain: every value the user gives (name,
# e-mail, codes, receipts, and every answer typed in their own words). This is the one list: the tracker
# store encrypts these slots' values, replaces a message answering one of them whole, and replaces each of
# their values wherever it is repeated (bot confirmations included; `known_values`). The names match
# domain.yml (tests/bot/test_redaction.py checks every form answer slot is here or is a choice); the
# generic names (email, phone, national_id ...) cover slots other flows may add later.
DEFAULT_REDACT_SLOTS: FrozenSet[str] = frozenset(
    {
        "requester_email",
        "requester_name",
        "previous_requester_email",
        "previous_requester_name",
        "status_email",
        "verification_code",
        "status_code",
        "status_receipt",
        "case_description",
        # Free-text answers (the user's own words; shown back in the summary).
        "application_position",
        "incident_data_types",
        "incident_people_count",
        "incident_aware_at",
        "incident_encrypted",
        "incident_contained",
        "national_id",
        "personnummer",
        "fodselsnummer",
        "cpr",
        "receipt",
        "email",
        "phone",
        "requester_phone",
    }
)

# Slots that hold a one-time code: a user message answering them is a code.
DEFAULT_CODE_SLOTS: FrozenSet[str] = frozenset({"verification_code", "status_code"})

# Keys inside channel metadata (Teams, widget) whose values are personal even when no pattern matches.
METADATA_SENSITIVE_KEYS: FrozenSet[str] = frozenset(
    {"name", "email", "mail", "upn", "userprincipalname", "given_name", "givenname", "family_name", "surname",
     "phone", "national_id", "displayname", "display_name", "username", "user_name"}
)


class Finding(Tuple[str, int, int]):
    """(kind, start, end) of one piece of personal data in a text."""

    __slots__ = ()

    def __new__(cls, kind: str, start: int, end: int) -> "Finding":
        return super().__new__(cls, (kind, start, end))

    @property
    def kind(self) -> str:
        return self[0]

    @property
    def start(self) -> int:
        return self[1]

    @property
    def end(self) -> int:
        return self[2]


# --------------------------------------------------------------------------------------------- patterns

_TOKEN_RE = re.compile(
    r"(?i)\b(?:bearer|basic)\s+(?=[A-Za-z0-9\-._~+/]*\d)[A-Za-z0-9\-._~+/]{8,}=*"
    r"|\beyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]*"
)
# Broken addresses count too ("anna@exmaple", "anna@example,se"): people's typos are still their address.
_EMAIL_RE = re.compile(r"(?<![\w.%+-])[\w.%+-]+@[\w-]+(?:[.,][\w-]+)*(?![\w-])", re.UNICODE)
# Exactly 16 digits, single spaces or dashes allowed between them; not part of a longer number.
_RECEIPT_RE = re.compile(r"(?<![\w-])(?<!\d[ -])(?:\d[ -]?){15}\d(?![ -]?\d)(?![\w-])")
# Phones. International prefix: total digit count is checked in code (8-15).
_PHONE_INTL_RE = re.compile(r"(?<![\w+\-/.])(?<!\d )(?:\+|00)[1-9][\d \-().]{5,22}\d(?!\d)")
# Numbers with a national trunk 0 (Sweden and most of the world): 8-11 digits, single separators.
_PHONE_TRUNK_RE = re.compile(r"(?<![\w\-/.,+])(?<!\d )\(?0[1-9]\d{0,3}\)?(?:[ -]?\d){5,9}(?![\w\-/.]?\d)")
# Norway and Denmark: 8 digits, written bare or in the usual groupings.
_PHONE_8_RE = re.compile(
    r"(?<![\w\-/.,+])(?<!\d )"
    r"(?:[2-9]\d{7}|[2-9]\d \d{2} \d{2} \d{2}|[2-9]\d{2} \d{2} \d{3}|[2-9]\d{3} \d{4})"
    r"(?![\w\-/.,]?\d)(?! \d)"
)
_PHONE_KEYWORD_RE = re.compile(
    r"(?i)\b(?:tel|tlf|telefon(?:nummer|nr)?|mobil(?:nummer|nr)?|mobile|phone|cell)\b[.:]?\D{0,12}?"
    r"((?:\+|00)?\d(?:[ \-]?\d){6,14})(?!\d)"
)
_CODE_WHOLE_RE = re.compile(r"^\s*(?:(?:code|kod|koden|kode|koden)\s*[:=]?\s*)?(\d{3}[ -]?\d{3})\s*[.!]?\s*$", re.I)
_CODE_KEYWORD_RE = re.compile(
    r"(?i)\b(?:code|kod|koden|kode|koden|engångskod(?:en)?|engangskode(?:n)?|verifieringskod(?:en)?"
    r"|verifiseringskode(?:n)?|bekräftelsekod(?:en)?|otp|pin)\b\D{0,20}?(?<!\d)(\d{3}[ -]?\d{3})(?!\d|[\-/.:]\d)"
)
_CODE_CONTEXT_RE = re.compile(r"(?<![\w\-/.:,])(\d(?:[ -]?\d){4,7})(?![\w\-/:]|[.,]\d)")

_DATE_LIKE_RE = re.compile(
    r"^\(?\d{1,4}[-./]\d{1,2}[-./]\d{1,4}\)?$"
)


# ------------------------------------------------------------------------------------------- finding

def _digits(s: str) -> str:
    return re.sub(r"\D", "", s)


def _is_date_like(s: str) -> bool:
    s = s.strip()
    if _DATE_LIKE_RE.match(s):
        return True
    d = _digits(s)
    if len(d) == 8 and s.isdigit():  # YYYYMMDD or DDMMYYYY written bare
        if 1900 <= int(d[:4]) <= 2100 and is_date(int(d[:4]), int(d[4:6]) or 13, int(d[6:]) or 32):
            return True
        if 1900 <= int(d[4:]) <= 2100 and is_date(int(d[4:]), int(d[2:4]) or 13, int(d[:2]) or 32):
            return True
    return False


def _overlaps(spans: List[Finding], start: int, end: int) -> bool:
    return any(start < f.end and f.start < end for f in spans)


def find_pii(text: str, *, expect_code: bool = False, strict_ids: bool = False) -> List[Finding]:
    """Every piece of personal data in `text`, as non-overlapping (kind, start, end), sorted by start.

    expect_code: the previous bot turn asked for a one-time code, so any 5-8 digit group is one.
    strict_ids: only checksum-valid ID numbers count (used to measure the policy; production uses False).
    """
    if not text:
        return []
    found: List[Finding] = []
    # Our own case references (basics.references, typed with any separators) are never personal data, and
    # their digit groups must not be mistaken for phone numbers or codes.
    protected = [Finding("reference", m.start(), m.end()) for m in REFERENCE_SHAPE_RE.finditer(text)]

    def add(kind: str, start: int, end: int) -> None:
        if not _overlaps(found, start, end) and not _overlaps(protected, start, end):
            found.append(Finding(kind, start, end))

    for m in _TOKEN_RE.finditer(text):
        add("token", m.start(), m.end())
    for m in _EMAIL_RE.finditer(text):
        add("email", m.start(), m.end())
    for m in _RECEIPT_RE.finditer(text):
        add("receipt", m.start(), m.end())
    # A bare 0-leading ten-digit number that is no valid personnummer is left to the phone rule below,
    # which redacts it as [phone] (a CPR of someone born on day 1-9 and a Swedish mobile look the same).
    for start, end in find_national_ids(text, shaped=not strict_ids):
        add("national_id", start, end)
    for m in _PHONE_INTL_RE.finditer(text):
        if 8 <= len(_digits(m.group())) <= 15:
            add("phone", m.start(), m.end())
    for m in _PHONE_TRUNK_RE.finditer(text):
        if 8 <= len(_digits(m.group())) <= 11 and not _is_date_like(m.group()):
            add("phone", m.start(), m.end())
    for m in _PHONE_8_RE.finditer(text):
        if not _is_date_like(m.group()):
            add("phone", m.start(), m.end())
    for m in _PHONE_KEYWORD_RE.finditer(text):
        if not _is_date_like(m.group(1)):
            add("phone", m.start(1), m.end(1))
    m = _CODE_WHOLE_RE.match(text)
    if m:
        add("code", m.start(1), m.end(1))
    for m in _CODE_KEYWORD_RE.finditer(text):
        add("code", m.start(1), m.end(1))
    if expect_code:
        for m in _CODE_CONTEXT_RE.finditer(text):
            if 5 <= len(_digits(m.group(1))) <= 8 and not _is_date_like(m.group(1)):
                add("code", m.start(1), m.end(1))
    return sorted(found, key=lambda f: f.start)


def contains_pii(text: str, *, expect_code: bool = False) -> bool:
    """True when `text` holds anything `redact_text` would replace."""
    return bool(find_pii(text, expect_code=expect_code))


def redact_text(text: str, *, expect_code: bool = False, strict_ids: bool = False) -> str:
    """`text` with each piece of personal data replaced by its typed placeholder (`[email]`, `[phone]` ...)."""
    if not isinstance(text, str) or not text:
        return text
    findings = find_pii(text, expect_code=expect_code, strict_ids=strict_ids)
    if not findings:
        return text
    out: List[str] = []
    pos = 0
    for f in findings:
        out.append(text[pos:f.start])
        out.append(PLACEHOLDERS[f.kind])
        pos = f.end
    out.append(text[pos:])
    return "".join(out)


def redact_value(
    value: Any,
    *,
    expect_code: bool = False,
    skip_keys: Collection[str] = (),
    sensitive_keys: Collection[str] = (),
) -> Any:
    """A copy of a JSON-like value (dicts, lists, strings, numbers) with every string redacted.

    skip_keys: dict keys whose values are kept as they are (structural names such as `event`, `name`).
    sensitive_keys: dict keys (case-insensitive) whose non-empty values are always replaced (`[redacted]`).
    Integers are left alone: the IDs and codes we look for arrive as text; an int is a count or an amount.
    """
    sensitive = {k.lower() for k in sensitive_keys}

    def walk(v: Any) -> Any:
        if isinstance(v, str):
            return redact_text(v, expect_code=expect_code)
        if isinstance(v, Mapping):
            out = {}
            for k, item in v.items():
                if k in skip_keys:
                    out[k] = item
                elif isinstance(k, str) and k.lower() in sensitive and item not in (None, "", [], {}):
                    out[k] = _placeholder_for_key(k.lower())
                else:
                    out[k] = walk(item)
            return out
        if isinstance(v, (list, tuple)):
            return [walk(item) for item in v]
        return v

    return walk(value)


def _placeholder_for_key(key: str) -> str:
    if "mail" in key or key in ("upn", "userprincipalname"):
        return PLACEHOLDERS["email"]
    if "phone" in key:
        return PLACEHOLDERS["phone"]
    if "national" in key:
        return PLACEHOLDERS["national_id"]
    if "name" in key or key == "surname":
        return PLACEHOLDERS["name"]
    return PLACEHOLDERS["other"]


# ------------------------------------------------------------------------------------------- slots

def slot_placeholder(slot_name: str) -> str:
    """The placeholder that stands for a redacted slot's value, typed by what the slot name says it holds."""
    name = slot_name.lower()
    if "receipt" in name:
        return PLACEHOLDERS["receipt"]
    if "code" in name or name in ("otp", "pin"):
        return PLACEHOLDERS["code"]
    if "email" in name or "mail" in name:
        return PLACEHOLDERS["email"]
    if "phone" in name:
        return PLACEHOLDERS["phone"]
    if name in ("national_id", "personnummer", "fodselsnummer", "cpr") or "national" in name:
        return PLACEHOLDERS["national_id"]
    if "name" in name:
        return PLACEHOLDERS["name"]
    if "description" in name or "text" in name or "summary" in name:
        return PLACEHOLDERS["text"]
    return PLACEHOLDERS["other"]


def redact_slots(
    slots: Mapping[str, Any],
    redact: Iterable[str] = DEFAULT_REDACT_SLOTS,
    *,
    redact_other_values: bool = True,
) -> Dict[str, Any]:
    """A copy of `slots` where listed slots with a value become their placeholder, and (by default) every
    other value has its personal data redacted. None stays None so "not filled" remains visible."""
    listed = set(redact)
    out: Dict[str, Any] = {}
    for name, value in slots.items():
        if value is None:
            out[name] = None
        elif name in listed:
            out[name] = slot_placeholder(name)
        elif redact_other_values:
            out[name] = redact_value(value)
        else:
            out[name] = value
    return out


def redact_slot_names_from_env(
    env: Optional[Mapping[str, str]] = None, default: Iterable[str] = DEFAULT_REDACT_SLOTS
) -> FrozenSet[str]:
    """The configured slot list: TRACKER_REDACT_SLOTS="a,b" replaces the default; "+a,-b" edits it."""
    raw = (env if env is not None else os.environ).get("TRACKER_REDACT_SLOTS", "")
    return parse_slot_list(raw, default)


def parse_slot_list(raw: Any, default: Iterable[str] = DEFAULT_REDACT_SLOTS) -> FrozenSet[str]:
    """Parse a slot list given as a list or comma string; entries with +/- edit `default`, plain ones replace it."""
    if raw is None or raw == "":
        return frozenset(default)
    items = [s.strip() for s in (raw.split(",") if isinstance(raw, str) else raw) if str(s).strip()]
    if items and all(s[0] in "+-" for s in items):
        names = set(default)
        for s in items:
            (names.add if s[0] == "+" else names.discard)(s[1:].strip())
        return frozenset(names)
    return frozenset(s.lstrip("+") for s in items if not s.startswith("-"))



# ------------------------------------------------------------------------------------ known values

# A slot value shorter than this (after trimming) is never searched for: "Li", "AB", "40" would wreck the
# transcript (every "li" in every word boundary) and say nothing about a person on their own.
MIN_KNOWN_VALUE_CHARS = 3
# Digit-only values shorter than this are counts, years or amounts ("40", "2025"), not personal data; codes
# have 6 digits and receipts 16.
MIN_KNOWN_DIGITS = 5
# Answers every conversation uses (yes/no/don't know, choice keys): replacing them would wreck the transcript
# and they identify nobody. Compared case-insensitively after collapsing whitespace.
COMMON_ANSWERS: FrozenSet[str] = frozenset({
    "ja", "nej", "nei", "yes", "no", "yep", "nope", "ok", "okay", "okej", "jo", "javisst", "japp",
    "vet inte", "vet ej", "vet ikke", "veit ikkje", "vet ikkje", "don't know", "dont know", "i don't know",
    "unknown", "okänt", "ukjent", "kanske", "kanskje", "maybe", "none", "ingen", "inga", "inget", "ingenting",
    "nothing", "true", "false", "null", "yes please", "ja tack", "ja takk", "nej tack", "nei takk",
    "email", "e-post", "e-mail", "receipt", "kvitto", "kvittering", "application", "database",
})
# Summaries shorten long answers ("first 297 characters…"): a long value is also found as a prefix of at
# least this many characters that runs on to an ellipsis on the same line.
_PREFIX_CHARS = 40
_WS = re.compile(r"\s+")


def _value_key(text: str) -> str:
    return _WS.sub(" ", text).strip().lower()


# Placeholders of answers in the user's own words: one word there ("allt", "nyhetsbrevet") is a common word,
# not a description of anyone, and replacing it everywhere would wreck the transcript.
_WORDS_PLACEHOLDERS = frozenset({PLACEHOLDERS["text"], PLACEHOLDERS["other"]})


def _replaceable(value: str, placeholder: str = "") -> bool:
    key = _value_key(value)
    if len(key) < MIN_KNOWN_VALUE_CHARS or key in COMMON_ANSWERS or key.startswith("["):
        return False  # short, common, or already a placeholder
    if placeholder in _WORDS_PLACEHOLDERS and " " not in key:
        return False
    if not any(ch.isalnum() for ch in key):
        return False
    if key.replace(" ", "").replace("-", "").isdigit() and len(_digits(key)) < MIN_KNOWN_DIGITS:
        return False
    return True


def _value_regex(value: str) -> str:
    """The value as typed or as the bot shows it: any run of whitespace for a space; long values also as
    a shortened prefix ending in an ellipsis."""
    words = _value_key(value).split(" ")
    full = r"\s+".join(re.escape(w) for w in words)
    if len(_value_key(value)) <= _PREFIX_CHARS:
        return full
    prefix_words, taken = [], 0
    for w in words:
        prefix_words.append(w)
        taken += len(w) + 1
        if taken >= _PREFIX_CHARS:
            break
    prefix = r"\s+".join(re.escape(w) for w in prefix_words)
    return rf"{full}|{prefix}[^\n…]*?(?:…|\.\.\.)"


class KnownValues:
    """The values the user gave in this conversation, and one compiled pattern that finds each of them.

    `replace_text` and `replace_in` put the slot's placeholder where a value occurs: case-insensitively, not
    inside a longer word, the longest value first."""

    __slots__ = ("placeholders", "pattern")

    def __init__(self, placeholders: Mapping[str, str]) -> None:
        self.placeholders: Dict[str, str] = dict(placeholders)  # value key -> placeholder
        keys = sorted(self.placeholders, key=len, reverse=True)  # "Anna Lindqvist" before "Anna"
        self.pattern = _compiled_alternation(tuple(keys))

    def __bool__(self) -> bool:
        return bool(self.placeholders)

    def _placeholder(self, match: "re.Match[str]") -> str:
        found = self.placeholders.get(_value_key(match.group()))
        if found is not None:
            return found
        start = _value_key(match.group())[:_PREFIX_CHARS]  # a shortened form: whose prefix is it?
        return next((p for k, p in self.placeholders.items() if k.startswith(start)), PLACEHOLDERS["other"])

    def replace_text(self, text: str) -> str:
        if not text or self.pattern is None:
            return text
        return self.pattern.sub(self._placeholder, text)

    def replace_in(self, value: Any, skip_keys: Collection[str] = ()) -> Any:
        """A copy of a JSON-like value with every known value replaced in every string (dict keys in
        `skip_keys` are kept as they are)."""
        if self.pattern is None:
            return value

        sub, placeholder = self.pattern.sub, self._placeholder

        def walk(v: Any) -> Any:
            # dict/list, not typing.Mapping: serialised events are plain JSON values, and the abstract
            # isinstance check cost more than the search itself.
            if type(v) is str:
                return sub(placeholder, v) if v else v
            if isinstance(v, dict):
                return {k: (item if k in skip_keys else walk(item)) for k, item in v.items()}
            if isinstance(v, (list, tuple)):
                return [walk(item) for item in v]
            if isinstance(v, str):
                return sub(placeholder, v)
            return v

        return walk(value)


@functools.lru_cache(maxsize=256)
def _compiled_alternation(keys: Tuple[str, ...]) -> "Optional[re.Pattern[str]]":
    # One pattern per distinct value set; a conversation keeps its set for many turns, so it is compiled once.
    if not keys:
        return None
    body = "|".join(_value_regex(k) for k in keys)
    return re.compile(rf"(?<!\w)(?:{body})(?!\w)", re.IGNORECASE)


def known_values(slot_values: Iterable[Tuple[str, Any]], redact: Collection[str] = DEFAULT_REDACT_SLOTS
                 ) -> KnownValues:
    """The replaceable values among (slot, value) pairs of redacted slots (strings, numbers, and strings in
    lists), each with its slot's placeholder. The first slot seen for a value decides its placeholder."""
    placeholders: Dict[str, str] = {}
    seen = set()
    for slot, value in slot_values:
        if slot not in redact or value is None or isinstance(value, bool):
            continue
        if isinstance(value, str):  # the same value is set many times in a tracker: judge it once
            if (slot, value) in seen:
                continue
            seen.add((slot, value))
        items = value if isinstance(value, (list, tuple)) else [value]
        for item in items:
            if isinstance(item, (int, float)) and not isinstance(item, bool):
                item = str(item)
            placeholder = slot_placeholder(slot)
            if isinstance(item, str) and _replaceable(item, placeholder):
                placeholders.setdefault(_value_key(item), placeholder)
    return KnownValues(placeholders)
