"""Case references that people can read aloud and type, but cannot enumerate: the one format and parser.

Format: ``PRV-2026-7K3Q-9CX9``
- a type-family prefix: PRV (rights requests and complaints), REC (application and recruitment-consent
  withdrawals), INC (incidents), WBL (misconduct / whistleblowing); the backend maps case types to them
  (backend/references.py),
- the year,
- 8 characters of Crockford base32 (0-9 A-Z without I L O U) in two groups of four: 7 random characters
  from `secrets` (32**7 = 3.4e10 possibilities per prefix and year, so guessing is hopeless and a
  reference alone reveals nothing anyway) and 1 Luhn mod 32 check character over those 7, so a mistyped
  reference is rejected before any database look-up (and before the chat asks for anything else).

Luhn mod N detects every single-character substitution (its doubling step is a permutation of the
alphabet for even N) and most adjacent transpositions. The check character covers the random part
only; the prefix is checked against the four known prefixes and the year against four digits.

What people type is read tolerantly, here once: lower case, spaces, dots, slashes, underscores or nothing
instead of dashes, and Crockford look-alikes in the year and code parts (O -> 0, I and L -> 1).
`REFERENCE_SHAPE_RE` is that pattern without the check: what looks like one of our references, for code
that must recognise one (the tracker store's redaction protects it, language detection ignores it).
"""

from __future__ import annotations

import re
import secrets
from typing import FrozenSet, Optional

from stdnum import luhn

__all__ = [
    "CROCKFORD_ALPHABET",
    "PREFIXES",
    "REFERENCE_SHAPE_RE",
    "find_reference",
    "is_valid_reference",
    "new_reference",
    "normalise_reference",
]

CROCKFORD_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
RANDOM_LENGTH = 7
PREFIXES: FrozenSet[str] = frozenset({"PRV", "REC", "INC", "WBL"})

# Crockford decoding of look-alikes, applied to the year and code parts only (the prefixes contain
# I and L legitimately: INC, WBL).
_LOOKALIKES = str.maketrans({"O": "0", "I": "1", "L": "1"})

# Separators people use when they type or dictate a reference: spaces, hyphens and dashes, dots,
# underscores, slashes. At most a few between groups, so unrelated words are not glued together.
_SEP = r"[\s\-\u2010-\u2015_./]{0,3}"
_PATTERN = (
    r"(?P<prefix>PRV|REC|INC|WBL)" + _SEP
    + r"(?P<year>[0-9OIL]{4})" + _SEP
    + r"(?P<first>[0-9A-Z]{4})" + _SEP
    + r"(?P<second>[0-9A-Z]{4})"
)
_FULL_RE = re.compile(_PATTERN, re.IGNORECASE)
# In free text the reference must stand alone: no letters or digits glued on either side.
REFERENCE_SHAPE_RE = re.compile(r"(?<![0-9A-Za-z])" + _PATTERN + r"(?![0-9A-Za-z])", re.IGNORECASE)


def _check_char(random_part: str) -> str:
    return luhn.calc_check_digit(random_part, alphabet=CROCKFORD_ALPHABET)


def new_reference(prefix: str, year: int) -> str:
    """A fresh random reference such as ``PRV-2026-7K3Q-9CX9`` for one of the four prefixes.

    Uniqueness is the caller's job (a unique index on the column and a retry on conflict); collisions are
    rare (1 in 3.4e10 per pair of cases with the same prefix and year).
    """
    if prefix not in PREFIXES:
        raise ValueError(f"unknown reference prefix {prefix!r}")
    if isinstance(year, bool) or not isinstance(year, int) or not 1000 <= year <= 9999:
        raise ValueError(f"year must be a four-digit int, got {year!r}")
    random_part = "".join(secrets.choice(CROCKFORD_ALPHABET) for _ in range(RANDOM_LENGTH))
    code = random_part + _check_char(random_part)
    return f"{prefix}-{year}-{code[:4]}-{code[4:]}"


def _canonical(match: "re.Match[str]") -> Optional[str]:
    prefix = match.group("prefix").upper()
    year = match.group("year").upper().translate(_LOOKALIKES)
    code = (match.group("first") + match.group("second")).upper().translate(_LOOKALIKES)
    if not year.isdigit() or any(ch not in CROCKFORD_ALPHABET for ch in code):
        return None  # e.g. a U, which Crockford base32 never uses
    if not luhn.is_valid(code, alphabet=CROCKFORD_ALPHABET):
        return None
    return f"{prefix}-{year}-{code[:4]}-{code[4:]}"


def normalise_reference(text: str) -> Optional[str]:
    """The canonical form of a typed reference (the whole text), or None if it is malformed or its check
    character fails."""
    if not isinstance(text, str):
        return None
    match = _FULL_RE.fullmatch(text.strip())
    if match is None:
        return None
    return _canonical(match)


def is_valid_reference(text: str) -> bool:
    """True when `text` is a well-formed reference with a correct check character."""
    return normalise_reference(text) is not None


def find_reference(text: str) -> Optional[str]:
    """The first valid reference inside free text ("my case is prv 2026 7k3q 9cx9"), canonicalised."""
    if not isinstance(text, str):
        return None
    position = 0
    while True:
        match = REFERENCE_SHAPE_RE.search(text, position)
        if match is None:
            return None
        canonical = _canonical(match)
        if canonical is not None:
            return canonical
        # A candidate with a bad check character may overlap a real one starting a little later.
        position = match.start() + 1
