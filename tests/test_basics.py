"""basics/: the shared languages, case references, national IDs and dates. The behaviour of each is tested
where it is used (tests/backend/test_references.py, tests/bot/test_redaction.py, tests/actions/...); here:
that the package stays importable by all three processes, and the rules the copies used to disagree on."""

from __future__ import annotations

from datetime import date

import pytest

from basics.dates import COUNTRY_TIMEZONES, format_day
from basics.languages import LANGUAGES, language_from_code, normalise_language
from basics.national_ids import find_national_ids, is_national_id, strip_national_ids
from basics.references import REFERENCE_SHAPE_RE, find_reference, new_reference, normalise_reference
from tests.support import modules_loaded_by_importing

FORBIDDEN = ("rasa", "rasa_sdk", "aiohttp", "sqlalchemy", "backend", "actions", "bot", "tensorflow")


def test_basics_imports_no_framework_and_none_of_our_packages() -> None:
    top_level = {m.split(".")[0] for m in modules_loaded_by_importing("basics")}
    assert "basics" in top_level and "stdnum" in top_level, top_level
    assert not top_level & set(FORBIDDEN), top_level & set(FORBIDDEN)


@pytest.mark.parametrize("code, language", [
    ("sv", "sv"), ("sv-SE", "sv"), ("nb_NO", "nb"), ("nn", "nb"), ("no", "nb"), ("da-DK", "nb"), ("en-GB", "en"),
    ("de", "en"), (None, "en"), ("", "en"), (42, "en"),
])
def test_one_language_rule(code: object, language: str) -> None:
    # Danish is answered in Norwegian everywhere now (the e-mails and the Teams card used to write English).
    assert normalise_language(code) == language
    assert language_from_code(code) == (None if code in ("de", None, "", 42) else language)
    assert normalise_language(code) in LANGUAGES


def test_the_written_day_is_the_same_for_chat_and_mail() -> None:
    day = date(2026, 11, 24)
    assert [format_day(day, lang) for lang in LANGUAGES] == ["24 november 2026", "24. november 2026",
                                                              "24 November 2026"]
    assert format_day(day, "nb-NO") == "24. november 2026" and format_day(day, "xx") == "24 November 2026"
    assert set(COUNTRY_TIMEZONES) == {"NO", "SE", "DK"}


def test_one_reference_format_for_backend_chat_and_redaction() -> None:
    reference = new_reference("INC", 2026)
    typed = reference.lower().replace("-", " ")
    assert normalise_reference(typed) == reference == find_reference(f"my case is {typed}, thanks")
    assert REFERENCE_SHAPE_RE.search(f"ärende {typed}")
    # The shape is recognised without the check (redaction protects it); the parser needs the check.
    assert REFERENCE_SHAPE_RE.fullmatch("PRV-2026-7K3Q-9CXM") and normalise_reference("PRV-2026-7K3Q-9CXM") is None
    with pytest.raises(ValueError):
        new_reference("ABC", 2026)


def test_national_ids_valid_and_the_cpr_that_looks_like_a_phone() -> None:
    assert is_national_id("811218-9876") and is_national_id("811218 9876")  # a space is how some write it
    assert not is_national_id("811218-9875")
    cleaned, removed = strip_national_ids("pnr 811218 9876, tack")
    assert removed and "9876" not in cleaned and "tack" in cleaned
    # A bare 0-leading ten-digit number: a phone number unless the text calls it a CPR number.
    assert find_national_ids("ring 0101901234") == []
    assert strip_national_ids("mitt cpr 0101901234") == ("mitt cpr", True)
