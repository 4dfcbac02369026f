"""Text basics shared by the Rasa extensions (bot/) and the action server (actions/): no Rasa imports here."""

from __future__ import annotations

import functools
import unicodedata
from pathlib import Path
from typing import Dict, FrozenSet, Tuple

# Word lists both the Rasa extensions and the action server read (bot/lexicon/README.md).
_LEXICON_DIR = Path(__file__).with_name("lexicon")

# Letters NFKD does not decompose; the rest lose their accents below ("å" -> "a", "ö" -> "o", "é" -> "e").
_UNDECOMPOSED = str.maketrans({"ø": "o", "æ": "ae", "ß": "ss", "đ": "d", "ł": "l"})


def fold(text: str) -> str:
    """Lower case without diacritics, as people type without Nordic letters.

    "Återkalla" -> "aterkalla", "søknad" -> "soknad", "Påminnelsen" -> "paminnelsen", "lærer" -> "laerer".
    """
    decomposed = unicodedata.normalize("NFKD", text.lower().translate(_UNDECOMPOSED))
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


@functools.lru_cache(maxsize=None)
def lexicon(name: str) -> Dict[str, FrozenSet[str]]:
    """word -> its tags, from `bot/lexicon/<name>.txt`: a line is `word tag ...`, `#` starts a comment, `_` joins
    the words of a phrase ("ta_bort"). Each reader takes the words of its own tags (`tagged`)."""
    entries: Dict[str, FrozenSet[str]] = {}
    for raw in (_LEXICON_DIR / f"{name}.txt").read_text(encoding="utf-8").splitlines():
        parts = raw.split("#", 1)[0].split()
        if not parts:
            continue
        if len(parts) < 2:
            raise ValueError(f"{name}.txt: {raw!r} names no reader")
        word = unicodedata.normalize("NFC", parts[0].lower()).replace("_", " ")
        entries[word] = entries.get(word, frozenset()) | frozenset(parts[1:])
    return entries


def tagged(name: str, tag: str) -> Tuple[str, ...]:
    """The words of `bot/lexicon/<name>.txt` that carry `tag`, in the file's order."""
    return tuple(word for word, tags in lexicon(name).items() if tag in tags)
