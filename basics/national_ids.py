"""Nordic national ID numbers, recognised with python-stdnum: the one detector for the action server (which
keeps them out of case descriptions) and the tracker store's redaction.

What counts:
- Swedish personnummer (YYMMDD-NNNN, YYMMDD+NNNN for people over 100, YYYYMMDD[-]NNNN, or with a space) and
  samordningsnummer (day + 60, which stdnum's personnummer rejects, so date and Luhn are checked here);
- Norwegian fødselsnummer and D-nummer (11 digits, DDMMYY NNNNN; day + 40 for a D-nummer);
- Danish CPR (DDMMYY-NNNN). CPR numbers have had no checksum since 2007, only a date, so a bare ten-digit
  number starting with 0 is as often a Swedish mobile number: it counts only when the text calls it a CPR
  number (`named_cpr`).

"Valid" (`is_national_id`) means the stdnum check passes. "Looks like" (`looks_like_national_id`) adds numbers
written the way an ID is written (a separator between the date and the serial, or the 12-digit YYYYMMDDNNNN
form) with a real date, whatever the checksum says: a mistyped ID number is still somebody's ID number. The
redaction uses "looks like"; stripping IDs from a typed answer uses "valid" (a wrongly checked number there
may be an order number the privacy team needs).
"""

from __future__ import annotations

import datetime as _dt
import re
from typing import List, Tuple

from stdnum import luhn
from stdnum.dk import cpr as _dk_cpr
from stdnum.no import fodselsnummer as _no_fnr
from stdnum.se import personnummer as _se_pnr

from basics.dates import is_date

__all__ = [
    "CANDIDATE_RE",
    "find_national_ids",
    "is_national_id",
    "looks_like_national_id",
    "strip_national_ids",
]

# Candidates: 6 or 8 digits, optional separator, 4 or 5 digits; not glued to other digits or words (a
# dash, slash or dot before or after makes it part of something else: a date, a reference, an amount).
CANDIDATE_RE = re.compile(r"(?<![\w+\-/.])(?<!\d )(\d{6}|\d{8})([-+ ]?)(\d{4,5})(?![\w\-/])(?! ?\d)")


def _se_date_part_ok(date_digits: str) -> bool:
    """YYMMDD or YYYYMMDD, day may carry +60 (samordningsnummer)."""
    if len(date_digits) == 8:
        year, rest = int(date_digits[:4]), date_digits[4:]
        if not 1870 <= year <= _dt.date.today().year:
            return False
    else:
        # YYMMDD: the century is unknown, so only the leap-year question matters for 29 February.
        year, rest = (2000 if int(date_digits[:2]) % 4 == 0 else 2001), date_digits[2:]
    month, day = int(rest[:2]), int(rest[2:4])
    if day > 60:
        day -= 60
    return is_date(year, month, day)


def _ddmmyy_ok(date_digits: str, *, offset: int) -> bool:
    """DDMMYY (NO/DK); `offset` is the D-number day offset (40 for NO, 0 for DK)."""
    day, month, yy = int(date_digits[:2]), int(date_digits[2:4]), int(date_digits[4:6])
    if offset and day > offset:
        day -= offset
    return is_date(2000 if yy % 4 == 0 else 2001, month, day)


def _se_valid(date_digits: str, sep: str, serial: str) -> bool:
    number = f"{date_digits}{sep if sep in '-+' else '-'}{serial}"
    if _se_pnr.is_valid(number):
        return True
    # Samordningsnummer (day + 60): stdnum's date check rejects them, so check date and Luhn here.
    ten = date_digits[-6:] + serial
    return int(ten[4:6]) > 60 and _se_date_part_ok(date_digits) and luhn.is_valid(ten)


def _valid_parts(date_digits: str, sep: str, serial: str) -> bool:
    if len(serial) == 4:
        if _se_valid(date_digits, sep, serial):
            return True
        return len(date_digits) == 6 and sep in ("", "-") and _dk_cpr.is_valid(date_digits + serial)
    # 5-digit serial: Norwegian fødselsnummer / D-nummer (11 digits).
    return len(date_digits) == 6 and sep in ("", " ", "-") and _no_fnr.is_valid(date_digits + serial)


def _shaped_parts(date_digits: str, sep: str, serial: str) -> bool:
    """Written like an ID number with a real date, whatever the checksum says."""
    if len(serial) == 4:
        if len(date_digits) == 8:
            return _se_date_part_ok(date_digits)  # YYYYMMDD[-]NNNN: the 12-digit Swedish form
        if sep not in ("-", "+"):
            return False
        return _se_date_part_ok(date_digits) or _ddmmyy_ok(date_digits, offset=0)
    return len(date_digits) == 6 and sep == " " and _ddmmyy_ok(date_digits, offset=40)


def _could_be_a_phone(date_digits: str, sep: str, serial: str) -> bool:
    """A bare 0-leading ten-digit number that is no valid personnummer: a Swedish phone number as often as a
    CPR number (which has no checksum to tell them apart)."""
    return sep == "" and len(date_digits) == 6 and date_digits[0] == "0" and len(serial) == 4 \
        and not _se_valid(date_digits, sep, serial)


def is_national_id(candidate: str) -> bool:
    """True when python-stdnum (plus the samordningsnummer rule) accepts `candidate` as a SE/NO/DK ID."""
    match = CANDIDATE_RE.fullmatch(candidate.strip())
    return bool(match) and _valid_parts(*match.groups())


def looks_like_national_id(candidate: str) -> bool:
    """True for valid IDs and for ID-shaped numbers whose checksum fails (the redaction policy)."""
    match = CANDIDATE_RE.fullmatch(candidate.strip())
    return bool(match) and (_valid_parts(*match.groups()) or _shaped_parts(*match.groups()))


def find_national_ids(text: str, *, shaped: bool = False, named_cpr: bool = False) -> List[Tuple[int, int]]:
    """(start, end) of every national ID number in `text`.

    shaped: also numbers that only look like one (`looks_like_national_id`); else only valid ones.
    named_cpr: the text calls the number a CPR number, so a bare 0-leading ten-digit one counts too.
    """
    spans: List[Tuple[int, int]] = []
    for match in CANDIDATE_RE.finditer(text or ""):
        parts = match.groups()
        if _could_be_a_phone(*parts) and not named_cpr:
            continue
        if _valid_parts(*parts) or (shaped and _shaped_parts(*parts)):
            spans.append((match.start(), match.end()))
    return spans


def strip_national_ids(text: str) -> Tuple[str, bool]:
    """`text` without its valid national ID numbers, and whether one was removed (they are never echoed,
    stored in a case or logged)."""
    spans = find_national_ids(text, named_cpr="cpr" in (text or "").lower())
    if not spans:
        return text, False
    kept, position = [], 0
    for start, end in spans:
        kept.append(text[position:start])
        position = end
    kept.append(text[position:])
    return re.sub(r"\s{2,}", " ", "".join(kept)).strip(" ,;:-"), True
