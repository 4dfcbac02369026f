"""Case references that people can read aloud and type, but cannot enumerate.

Format: ``PRV-2026-7K3Q-9CXM``
- a type-family prefix: PRV (rights requests and complaints), REC (application and recruitment-consent
  withdrawals), INC (incidents), WBL (misconduct / whistleblowing),
- the year,
- 8 characters of Crockford base32 (0-9 A-Z without I L O U) in two groups of four: 7 random characters
  from `secrets` (32**7 = 3.4e10 possibilities per prefix and year, so guessing is hopeless and a
  reference alone reveals nothing anyway) and 1 Luhn mod 32 check character over those 7, so a mistyped
  reference is rejected before any database look-up.

Luhn mod N detects every single-character substitution (its doubling step is a permutation of the
alphabet for even N) and most adjacent transpositions. The check character covers the random part
only; the prefix is checked against the four known prefixes and the year against four digits.
"""

from __future__ import annotations

import re
import secrets

from stdnum import luhn

__all__ = [
    "CROCKFORD_ALPHABET",
    "PREFIXES",
    "find_reference",
    "is_valid_reference",
    "new_reference",
    "normalize_reference",
    "prefix_for",
]

CROCKFORD_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
RANDOM_LENGTH = 7

_PREFIX_BY_TYPE: dict[str, str] = {
    "access": "PRV",
    "rectification": "PRV",
    "erasure": "PRV",
    "restriction": "PRV",
    "objection": "PRV",
    "portability": "PRV",
    "consent_withdrawal": "PRV",
    "complaint": "PRV",
    "application_withdrawal": "REC",
    "recruitment_consent_withdrawal": "REC",
    "incident": "INC",
    "misconduct": "WBL",
}
PREFIXES: frozenset[str] = frozenset(_PREFIX_BY_TYPE.values())

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
_SEARCH_RE = re.compile(r"(?<![0-9A-Za-z])" + _PATTERN + r"(?![0-9A-Za-z])", re.IGNORECASE)


def prefix_for(case_type: str) -> str:
    """The reference prefix of a case type; ValueError for unknown types."""
    try:
        return _PREFIX_BY_TYPE[case_type]
    except KeyError:
        raise ValueError(f"unknown case type {case_type!r}") from None


def _check_char(random_part: str) -> str:
    return luhn.calc_check_digit(random_part, alphabet=CROCKFORD_ALPHABET)


def new_reference(case_type: str, year: int) -> str:
    """A fresh random reference such as ``PRV-2026-7K3Q-9CXM``.

    Uniqueness is the caller's job (a unique index on the column and a retry on conflict); collisions are
    rare (1 in 3.4e10 per pair of cases with the same prefix and year).
    """
    prefix = prefix_for(case_type)
    if isinstance(year, bool) or not isinstance(year, int) or not 1000 <= year <= 9999:
        raise ValueError(f"year must be a four-digit int, got {year!r}")
    random_part = "".join(secrets.choice(CROCKFORD_ALPHABET) for _ in range(RANDOM_LENGTH))
    code = random_part + _check_char(random_part)
    return f"{prefix}-{year}-{code[:4]}-{code[4:]}"


def _canonical(match: re.Match[str]) -> str | None:
    prefix = match.group("prefix").upper()
    year = match.group("year").upper().translate(_LOOKALIKES)
    code = (match.group("first") + match.group("second")).upper().translate(_LOOKALIKES)
    if not year.isdigit() or any(ch not in CROCKFORD_ALPHABET for ch in code):
        return None  # e.g. a U, which Crockford base32 never uses
    if not luhn.is_valid(code, alphabet=CROCKFORD_ALPHABET):
        return None
    return f"{prefix}-{year}-{code[:4]}-{code[4:]}"


def normalize_reference(text: str) -> str | None:
    """The canonical form of a typed reference, or None if it is malformed or its check character fails.

    Accepts lower case, spaces (or nothing) instead of dashes, and Crockford look-alikes in the year and
    code parts (O -> 0, I and L -> 1).
    """
    if not isinstance(text, str):
        return None
    match = _FULL_RE.fullmatch(text.strip())
    if match is None:
        return None
    return _canonical(match)


def is_valid_reference(text: str) -> bool:
    """True when `text` is a well-formed reference with a correct check character."""
    return normalize_reference(text) is not None


def find_reference(text: str) -> str | None:
    """The first valid reference inside free text ("my case is prv 2026 7k3q 9cxm"), canonicalised."""
    if not isinstance(text, str):
        return None
    position = 0
    while True:
        match = _SEARCH_RE.search(text, position)
        if match is None:
            return None
        canonical = _canonical(match)
        if canonical is not None:
            return canonical
        # A candidate with a bad check character may overlap a real one starting a little later.
        position = match.start() + 1
