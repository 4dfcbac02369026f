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
def lexicon_lines(name: str, keep_case: bool = False) -> Tuple[Tuple[str, FrozenSet[str]], ...]:
    """The lines of `bot/lexicon/<name>.txt` in order, as (word, tags): a line is `word tag ...`, `#` starts a
    comment, `_` joins the words of a phrase ("ta_bort"). Words are lower-cased unless `keep_case` (the company
    forms: "AS" is one, "as" is not). A word may stand on several lines (one per list of the file), but twice
    with the same tag is a slip and refused."""
    lines = []
    seen = set()
    for raw in (_LEXICON_DIR / f"{name}.txt").read_text(encoding="utf-8").splitlines():
        parts = raw.split("#", 1)[0].split()
        if not parts:
            continue
        if len(parts) < 2:
            raise ValueError(f"{name}.txt: {raw!r} names no reader")
        word = unicodedata.normalize("NFC", parts[0] if keep_case else parts[0].lower()).replace("_", " ")
        tags = frozenset(parts[1:])
        if any((word, tag) in seen for tag in tags):
            raise ValueError(f"{name}.txt: {word!r} is listed twice with the same tag")
        seen.update((word, tag) for tag in tags)
        lines.append((word, tags))
    return tuple(lines)


@functools.lru_cache(maxsize=None)
def lexicon(name: str) -> Dict[str, FrozenSet[str]]:
    """word -> its tags, from `bot/lexicon/<name>.txt` (`lexicon_lines`). Each reader takes the words of its own
    tags (`tagged`)."""
    entries: Dict[str, FrozenSet[str]] = {}
    for word, tags in lexicon_lines(name):
        entries[word] = entries.get(word, frozenset()) | tags
    return entries


def tagged(name: str, tag: str, keep_case: bool = False) -> Tuple[str, ...]:
    """The words of `bot/lexicon/<name>.txt` that carry `tag`, in the file's order. A tag with no word is a
    renamed tag or a wrong file name, refused when the reader loads it."""
    found = tuple(word for word, tags in lexicon_lines(name, keep_case) if tag in tags)
    if not found:
        raise ValueError(f"bot/lexicon/{name}.txt has no word tagged {tag!r}")
    return found


def grouped(name: str) -> Dict[str, Tuple[str, ...]]:
    """tag -> its words, for a file that is one list per choice (the tag is the choice): tags in the order they
    first appear, words in the file's order."""
    groups: Dict[str, Tuple[str, ...]] = {}
    for word, tags in lexicon_lines(name):
        for tag in sorted(tags):
            groups[tag] = groups.get(tag, ()) + (word,)
    return groups
