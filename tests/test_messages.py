"""The message catalogues (messages/<language>/*.yml, basics/messages.py): every key in every language with the
same placeholders, no empty text, every file loads, every key the code asks for exists, and the checks do
fail on a broken catalogue."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
import yaml

from basics.languages import LANGUAGES
from basics.messages import (
    MESSAGES_DIR,
    catalogue,
    check_catalogues,
    load_catalogue_dir,
    message,
    message_table,
    placeholders,
)

ROOT = Path(__file__).resolve().parent.parent

# How code asks for a text: (files, call, catalogue key for the quoted name). Each module keeps its short helper
# (`t` in the chat, `tr` on the staff pages, ...); literal keys in those calls are checked here. Keys built at
# run time (f-strings, a variable) are not, but their families are whole in every language (the checks above).
USES: tuple[tuple[str, str, str], ...] = (
    ("actions/**/*.py", r"(?<![\w.])t\(\s*\"([^\"{}]+)\"", "chat.text.{}"),
    ("backend/**/*.py", r"(?<![\w.])tr(?:\.n|\.markup)?\(\s*\"([^\"{}]+)\"", "staff.page.{}"),
    ("backend/email_templates.py", r"(?<![\w.])_text\(\s*\"([^\"{}]+)\"", "email.{}"),
    ("backend/email_templates.py", r"(?<![\w.])_alert_text\(\s*\"([^\"{}]+)\"", "email.alert.{}"),
    ("bot/channels/cards.py", r"(?<![\w.])_t\(\s*\"([^\"{}]+)\"", "cards.form.{}"),
    ("*/**/*.py", r"(?<![\w.])message\(\s*[\w.]+(?:\([\w.]*\))?\s*,\s*\"([^\"{}]+)\"", "{}"),
)
TABLES = r"(?<![\w.])message_table\(\s*\"([^\"]+)\""
PACKAGES = ("actions", "backend", "bot", "basics")


def _sources(pattern: str) -> list[Path]:
    files = sorted(ROOT.glob(pattern))
    return [p for p in files if p.parts[len(ROOT.parts)] in PACKAGES]


def test_the_catalogues_have_no_problems() -> None:
    # Same files and keys in every language, same placeholders as English, no empty text, every file loads.
    assert check_catalogues() == []


def test_every_catalogue_file_parses_as_a_flat_mapping_of_text() -> None:
    files = sorted(MESSAGES_DIR.glob("*/*.yml"))
    assert {p.parent.name for p in files} == set(LANGUAGES)
    assert {p.stem for p in files} == {"chat", "email", "staff", "cards"}
    for path in files:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        assert isinstance(data, dict) and data, path
        assert all(isinstance(k, str) and k.startswith(f"{path.stem}.") for k in data), path
        assert all(isinstance(v, str) and v.strip() for v in data.values()), path
        assert path.read_text(encoding="utf-8").startswith("# "), f"{path}: the header comment for reviewers"


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_key_exists_in_every_language_with_the_same_placeholders(language: str) -> None:
    english = catalogue("en")
    texts = catalogue(language)
    assert texts.keys() == english.keys()
    different = {key: (placeholders(texts[key]), placeholders(english[key])) for key in english
                 if placeholders(texts[key]) != placeholders(english[key])}
    assert different == {}
    assert [key for key, text in texts.items() if not text.strip()] == []


def test_every_key_used_in_code_exists() -> None:
    keys = set(catalogue("en"))
    missing: list[str] = []
    for pattern, call, template in USES:
        found = 0
        for path in _sources(pattern):
            for name in re.findall(call, path.read_text(encoding="utf-8")):
                found += 1
                key = template.format(name)
                # tr.n("clock.days_left", n) and _alert_text("due_soon.subject", lang, n) use the .one/.other pair.
                if key not in keys and not {f"{key}.one", f"{key}.other"} <= keys:
                    missing.append(f"{path.relative_to(ROOT)}: {key}")
        assert found, f"no call matches {call!r} in {pattern}: the pattern is out of date"
    tables = [name for path in _sources("*/**/*.py")
              for name in re.findall(TABLES, path.read_text(encoding="utf-8"))]
    assert len(tables) >= 10, tables
    missing += [f"table {prefix}" for prefix in tables if not any(k.startswith(f"{prefix}.") for k in keys)]
    assert missing == []


def test_look_up_raises_for_a_missing_key_or_language_and_formats_placeholders() -> None:
    assert message("nb", "email.alert.link", url="https://x.test") == "Åpne saken: https://x.test"
    assert message("sv", "chat.text.btn_cancel") == "Avbryt"
    with pytest.raises(KeyError):
        message("en", "chat.text.no_such_text")
    with pytest.raises(KeyError):
        message("da", "chat.text.btn_cancel")  # callers map other languages to one of ours first
    with pytest.raises(KeyError):
        message_table("chat.no_such_table")
    assert list(message_table("chat.name.answer")) == ["yes", "no", "unknown"]
    assert message_table("chat.name.answer")["no"] == {"sv": "Nej", "nb": "Nei", "en": "No"}


def test_the_catalogues_are_found_from_any_working_directory(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    assert MESSAGES_DIR == ROOT / "messages"
    assert load_catalogue_dir(MESSAGES_DIR / "sv")["cards.form.submit"] == "Skicka rapporten"


def _broken_copy(tmp_path: Path) -> Path:
    root = tmp_path / "messages"
    shutil.copytree(MESSAGES_DIR, root)
    return root


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, old
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def test_the_checks_fail_on_a_broken_catalogue(tmp_path: Path) -> None:
    root = _broken_copy(tmp_path)
    assert check_catalogues(root) == []  # the copy is fine until we break it
    _edit(root / "nb" / "chat.yml", "chat.text.btn_cancel: Avbryt\n", "")  # a key lost in Norwegian
    _edit(root / "sv" / "email.yml", "Öppna ärendet: {url}", "Öppna ärendet: {adress}")  # a translated placeholder
    _edit(root / "en" / "staff.yml", "staff.page.filter.apply: Filter\n", "staff.page.filter.apply: ' '\n")
    assert check_catalogues(root) == [
        "en: staff.page.filter.apply is empty",
        "nb: chat.text.btn_cancel is missing",
        "sv: email.alert.link has placeholders ['adress'], en has ['url']",
    ]


@pytest.mark.parametrize("damage, expected", [
    (("chat.text.btn_cancel: Avbryt", "chat.text.btn_cancel: [Avbryt"), "sv: while parsing"),  # not YAML
    (("chat.name.answer.yes: Ja", "chat.name.answer.yes: yes"), "is bool, not text"),  # unquoted yes
    (("chat.text.btn_cancel: Avbryt", "email.btn_cancel: Avbryt"), "must start with 'chat'"),
    (("chat.text.btn_cancel: Avbryt", "chat.text.btn_cancel: Avbryt {"), "Single '{' encountered"),
])
def test_a_file_that_does_not_load_is_reported(tmp_path: Path, damage: tuple[str, str], expected: str) -> None:
    root = _broken_copy(tmp_path)
    _edit(root / "sv" / "chat.yml", *damage)
    problems = check_catalogues(root)
    assert any(expected in problem for problem in problems), problems
