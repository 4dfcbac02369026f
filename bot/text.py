"""Text basics shared by the Rasa extensions (bot/) and the action server (actions/): no Rasa imports here."""

from __future__ import annotations

import unicodedata

# Letters NFKD does not decompose; the rest lose their accents below ("å" -> "a", "ö" -> "o", "é" -> "e").
_UNDECOMPOSED = str.maketrans({"ø": "o", "æ": "ae", "ß": "ss", "đ": "d", "ł": "l"})


def fold(text: str) -> str:
    """Lower case without diacritics, as people type without Nordic letters.

    "Återkalla" -> "aterkalla", "søknad" -> "soknad", "Påminnelsen" -> "paminnelsen", "lærer" -> "laerer".
    """
    decomposed = unicodedata.normalize("NFKD", text.lower().translate(_UNDECOMPOSED))
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))
