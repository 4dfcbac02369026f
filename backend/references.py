"""Which reference prefix each case type gets; the format, the check character and the parsing are
`basics.references` (shared with the action server and the tracker store's redaction)."""

from __future__ import annotations

from basics import references as _references

__all__ = ["new_reference", "prefix_for"]

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
assert set(_PREFIX_BY_TYPE.values()) == _references.PREFIXES, "every prefix belongs to a case type"


def prefix_for(case_type: str) -> str:
    """The reference prefix of a case type; ValueError for unknown types."""
    try:
        return _PREFIX_BY_TYPE[case_type]
    except KeyError:
        raise ValueError(f"unknown case type {case_type!r}") from None


def new_reference(case_type: str, year: int) -> str:
    """A fresh random reference such as ``PRV-2026-7K3Q-9CX9`` for a case of `case_type` filed in `year`."""
    return _references.new_reference(prefix_for(case_type), year)
