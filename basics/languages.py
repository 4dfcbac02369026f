"""The assistant's languages, and how a language code or locale maps to one of them.

A conversation is answered in Swedish (sv), Norwegian Bokmål (nb) or English (en). Messages can also be
recognised as Danish (da); Danish writers are answered in Norwegian (bot/language.py decides the rule).
"""

from __future__ import annotations

import re
from typing import Any, Dict, Optional, Tuple

__all__ = [
    "DEFAULT_LANGUAGE",
    "DETECTED",
    "LANGUAGES",
    "REPLY_LANGUAGE_FOR",
    "detected_from_code",
    "language_from_code",
    "normalise_language",
]

# The languages we answer in: the `language` slot's values, the case language, the staff pages' languages.
LANGUAGES: Tuple[str, ...] = ("sv", "nb", "en")
# What a message can be recognised as: our languages and Danish.
DETECTED: Tuple[str, ...] = ("sv", "nb", "da", "en")
# The reply language for a recognised one: Danish is answered in Norwegian.
REPLY_LANGUAGE_FOR: Dict[str, str] = {"sv": "sv", "nb": "nb", "da": "nb", "en": "en"}
DEFAULT_LANGUAGE = "en"

# ISO 639-1 and -2 codes; Norwegian, Nynorsk and Bokmål are all answered in Bokmål.
_CODE_TO_DETECTED: Dict[str, str] = {
    "sv": "sv", "swe": "sv", "nb": "nb", "no": "nb", "nn": "nb", "nob": "nb", "nno": "nb", "nor": "nb",
    "da": "da", "dan": "da", "en": "en", "eng": "en",
}


def detected_from_code(code: Any) -> Optional[str]:
    """"sv-SE" -> sv, "nn_NO" -> nb, "da-DK" -> da, "en-US" -> en; None for anything else."""
    if not isinstance(code, str) or not code.strip():
        return None
    primary = re.split(r"[-_.@]", code.strip().lower(), maxsplit=1)[0]
    return _CODE_TO_DETECTED.get(primary)


def language_from_code(code: Any) -> Optional[str]:
    """Map "sv", "nb", "no", "nn", "nb-NO", "nn_NO", "sv-SE", "da-DK", "en-US" ... to sv/nb/en; None otherwise."""
    found = detected_from_code(code)
    return REPLY_LANGUAGE_FOR[found] if found else None


def normalise_language(code: Any) -> str:
    """The reply language for a slot value, locale or case language: sv/nb/en, English for anything unknown."""
    return language_from_code(code) or DEFAULT_LANGUAGE
