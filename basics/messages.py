"""The message catalogues: every user-facing text of the chat, the e-mails, the staff pages and the Teams card.

Where the texts live: `messages/<language>/<audience>.yml` at the top of the repository (shipped with the
package, see pyproject.toml), one directory per language (sv, nb, en) and one file per audience (chat.yml,
email.yml, staff.yml, cards.yml). A file is a flat YAML mapping of key -> exact text; every key starts with the
file's name ("email.alert.new_case.subject" lives in email.yml), so a key names its file and no two files can
define the same key. Placeholders are `str.format` fields ("{ref}"), the same in every language
(tests/test_messages.py checks that, and that every key exists in every language).

Why YAML and not gettext: the product's own data (knowledge/, domain.yml) is YAML already, a native reviewer
edits one file per language, and the checks that matter (same keys, same placeholders) are a short test.

After editing a catalogue: `python -m basics.messages` lists what is wrong (the same checks as the test).

Look-up: `message(language, key, **values)`; `message_table(prefix)` gives {rest of key: {language: text}}
for the modules that keep a table shape (actions/texts.py, backend/pages/i18n.py, ...). There is no fallback
between languages here: a missing key or an unknown language is a KeyError (a test finds it, not a reader);
the callers map an unknown language to English first, as they always have (`normalise_language`).
"""

from __future__ import annotations

import string
import sys
from functools import lru_cache
from pathlib import Path
from types import MappingProxyType
from typing import Any, Dict, FrozenSet, List, Mapping, Optional, Tuple

import yaml

from basics.languages import LANGUAGES

__all__ = ["MESSAGES_DIR", "catalogue", "check_catalogues", "load_catalogue_dir", "message", "message_table",
           "placeholders"]

# Next to the packages, so a checkout, an editable install and an installed wheel (pyproject.toml ships
# messages/ as package data beside basics/) all find it; never relative to the working directory.
MESSAGES_DIR = Path(__file__).resolve().parent.parent / "messages"


def load_catalogue_dir(directory: Path) -> Dict[str, str]:
    """Every key -> text of one language directory, in file order (files sorted by name).

    ValueError for a file that is not a flat mapping of text, for a key outside its file's namespace and for
    a key defined twice, so a broken catalogue fails at start-up and in tests/test_messages.py.
    """
    texts: Dict[str, str] = {}
    files = sorted(directory.glob("*.yml"))
    if not files:
        raise ValueError(f"no catalogue files in {directory}")
    for path in files:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        if not isinstance(data, dict):
            raise ValueError(f"{path}: expected a mapping of key: text")
        for key, value in data.items():
            if not isinstance(key, str) or not key.startswith(f"{path.stem}."):
                raise ValueError(f"{path}: key {key!r} must start with {path.stem!r}.")
            if not isinstance(value, str):
                # `no`, `yes`, `on` or a number unquoted: YAML reads them as something else than text.
                raise ValueError(f"{path}: {key} is {type(value).__name__}, not text (quote it)")
            if key in texts:
                raise ValueError(f"{path}: {key} is defined twice")
            texts[key] = value
    return texts


@lru_cache(maxsize=None)
def catalogue(language: str) -> Mapping[str, str]:
    """The texts of one of LANGUAGES, read once per process. KeyError for any other language."""
    if language not in LANGUAGES:
        raise KeyError(language)
    return MappingProxyType(load_catalogue_dir(MESSAGES_DIR / language))


def message(language: str, key: str, **values: Any) -> str:
    """The text `key` in `language` (one of LANGUAGES), formatted with `values` when any are given."""
    text = catalogue(language)[key]
    return text.format(**values) if values else text


def message_table(prefix: str, languages: Optional[Tuple[str, ...]] = None) -> Dict[str, Dict[str, str]]:
    """{rest of key: {language: text}} for every key under `prefix` ("chat.name.right" ->
    {"access": {"sv": ..., "nb": ..., "en": ...}, ...}), in the order of the English catalogue.
    KeyError when no key has that prefix or a language lacks one of them."""
    languages = languages or LANGUAGES
    start = f"{prefix}."
    keys = [key for key in catalogue("en") if key.startswith(start)]
    if not keys:
        raise KeyError(prefix)
    return {key[len(start):]: {lang: catalogue(lang)[key] for lang in languages} for key in keys}


def placeholders(text: str) -> FrozenSet[str]:
    """The str.format fields of a text ("{ref}", "{n}", "{h:>3}" -> {"ref", "n", "h:>3"}); ValueError for a
    stray brace."""
    return frozenset(
        f"{name}{'!' + conversion if conversion else ''}{':' + spec if spec else ''}"
        for _, name, spec, conversion in string.Formatter().parse(text) if name is not None
    )


def check_catalogues(root: Path = MESSAGES_DIR) -> List[str]:
    """What is wrong with the catalogues under `root`, one line each (empty: all good): a language directory
    missing or with other files than English, a file that does not load, a key missing in a language, a
    text with other placeholders than English's, an empty text."""
    problems: List[str] = []
    loaded: Dict[str, Dict[str, str]] = {}
    files = {lang: sorted(p.name for p in (root / lang).glob("*.yml")) for lang in LANGUAGES}
    for lang in LANGUAGES:
        if files[lang] != files["en"]:
            problems.append(f"{lang}: files {files[lang]} differ from en's {files['en']}")
        try:
            loaded[lang] = load_catalogue_dir(root / lang)
        except (OSError, ValueError, yaml.YAMLError) as error:  # one line per broken directory is enough
            problems.append(f"{lang}: {' '.join(str(error).split())}")
    reference = loaded.get("en", {})
    for lang, texts in loaded.items():
        for key in reference.keys() - texts.keys():
            problems.append(f"{lang}: {key} is missing")
        for key in texts.keys() - reference.keys():
            problems.append(f"{lang}: {key} is not in en")
        for key, text in texts.items():
            if not text.strip():
                problems.append(f"{lang}: {key} is empty")
            try:
                fields = placeholders(text)
            except ValueError as error:
                problems.append(f"{lang}: {key}: {error} (write a literal brace as {{{{ or }}}})")
                continue
            if key in reference and lang != "en":
                try:
                    expected = placeholders(reference[key])
                except ValueError:
                    continue  # reported for en
                if fields != expected:
                    problems.append(f"{lang}: {key} has placeholders {sorted(fields)}, en has {sorted(expected)}")
    return sorted(problems)


if __name__ == "__main__":
    found = check_catalogues()
    print("\n".join(found) if found else f"catalogues in {MESSAGES_DIR}: no problems")
    sys.exit(1 if found else 0)
