"""Readable, non-enumerable case references with a Luhn mod 32 check character."""

from __future__ import annotations

import re

import pytest
from stdnum import luhn

from backend.references import new_reference, prefix_for
from basics.references import (
    CROCKFORD_ALPHABET,
    PREFIXES,
    find_reference,
    is_valid_reference,
    normalise_reference,
)

CANONICAL = re.compile(r"^(PRV|REC|INC|WBL)-\d{4}-[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}$")
# A valid reference worked out independently: random part 7K3Q9CX, Luhn mod 32 check character 9.
KNOWN = "PRV-2026-7K3Q-9CX9"


def test_alphabet_is_crockford() -> None:
    assert len(CROCKFORD_ALPHABET) == 32 == len(set(CROCKFORD_ALPHABET))
    assert not set("ILOU") & set(CROCKFORD_ALPHABET)


def test_known_reference_check_char() -> None:
    assert luhn.calc_check_digit("7K3Q9CX", alphabet=CROCKFORD_ALPHABET) == "9"
    assert normalise_reference(KNOWN) == KNOWN
    assert normalise_reference("PRV-2026-7K3Q-9CXM") is None  # the old illustration: no valid check char


@pytest.mark.parametrize(
    ("case_type", "prefix"),
    [
        ("access", "PRV"), ("rectification", "PRV"), ("erasure", "PRV"), ("restriction", "PRV"),
        ("objection", "PRV"), ("portability", "PRV"), ("consent_withdrawal", "PRV"), ("complaint", "PRV"),
        ("application_withdrawal", "REC"), ("recruitment_consent_withdrawal", "REC"),
        ("incident", "INC"), ("misconduct", "WBL"),
    ],
)
def test_round_trip_and_prefix(case_type: str, prefix: str) -> None:
    assert prefix_for(case_type) == prefix
    for _ in range(50):
        ref = new_reference(case_type, 2026)
        assert CANONICAL.match(ref), ref
        assert ref.startswith(f"{prefix}-2026-")
        assert normalise_reference(ref) == ref
        assert normalise_reference(ref.lower()) == ref
        assert find_reference(f"hej, mitt ärende är {ref.lower().replace('-', ' ')}, tack") == ref
        assert is_valid_reference(ref)


def test_unknown_type_and_bad_year_rejected() -> None:
    with pytest.raises(ValueError):
        new_reference("newsletter", 2026)
    for year in (26, 20260, True, "2026"):
        with pytest.raises(ValueError):
            new_reference("access", year)  # type: ignore[arg-type]
    assert PREFIXES == {"PRV", "REC", "INC", "WBL"}


def test_no_ambiguous_letters_ever_generated() -> None:
    seen: set[str] = set()
    for _ in range(3000):
        code = new_reference("access", 2026)[9:].replace("-", "")
        assert not set(code) & set("ILOU")
        seen.update(code)
    # 3000 x 8 characters: every one of the 32 symbols shows up, so the generator uses the whole alphabet.
    assert seen == set(CROCKFORD_ALPHABET)


def test_references_are_not_sequential_or_repeated() -> None:
    refs = {new_reference("incident", 2026) for _ in range(2000)}
    assert len(refs) == 2000


def test_check_char_catches_every_single_character_substitution() -> None:
    samples = [KNOWN] + [new_reference("access", 2026) for _ in range(20)]
    tried = 0
    for ref in samples:
        code = ref[9:].replace("-", "")
        for position in range(8):
            for replacement in CROCKFORD_ALPHABET:
                if replacement == code[position]:
                    continue
                mutated = code[:position] + replacement + code[position + 1:]
                typed = f"{ref[:9]}{mutated[:4]}-{mutated[4:]}"
                assert normalise_reference(typed) is None, typed
                assert find_reference(f"case {typed}") is None, typed
                tried += 1
    assert tried == len(samples) * 8 * 31


def test_check_char_catches_most_adjacent_transpositions() -> None:
    caught = total = 0
    for _ in range(300):
        ref = new_reference("access", 2026)
        code = ref[9:].replace("-", "")
        for i in range(7):
            if code[i] == code[i + 1]:
                continue
            swapped = code[:i] + code[i + 1] + code[i] + code[i + 2:]
            total += 1
            caught += normalise_reference(f"{ref[:9]}{swapped[:4]}-{swapped[4:]}") is None
    assert caught / total > 0.9


@pytest.mark.parametrize(
    "typed",
    [
        "PRV-2026-7K3Q-9CX9",
        "prv-2026-7k3q-9cx9",
        "  PRV 2026 7K3Q 9CX9  ",
        "PRV20267K3Q9CX9",
        "prv_2026_7k3q_9cx9",
        "PRV – 2026 – 7K3Q – 9CX9",
        "PRV-2O26-7K3Q-9CX9",  # letter O in the year
        "PRV.2026.7K3Q.9CX9",
    ],
)
def test_normalisation_accepts_typing_variants(typed: str) -> None:
    assert normalise_reference(typed) == KNOWN


def test_normalisation_maps_crockford_lookalikes() -> None:
    # Build references whose code contains 0 and 1, then type them with O, I and L.
    random_part = "10A0B1C"
    check = luhn.calc_check_digit(random_part, alphabet=CROCKFORD_ALPHABET)
    canonical = f"WBL-2027-{random_part[:4]}-{random_part[4:]}{check}"
    assert normalise_reference(canonical) == canonical
    assert normalise_reference(canonical.replace("0", "O").replace("-1", "-I")) == canonical
    typed = "wbl 2027 lOaO blc" + check.lower()
    assert normalise_reference(typed) == canonical
    # The prefixes keep their own I and L.
    assert normalise_reference(canonical.replace("WBL", "WB1")) is None


@pytest.mark.parametrize(
    "typed",
    [
        "",
        "PRV",
        "PRV-2026-7K3Q-9CX",  # too short
        "PRV-2026-7K3Q-9CX99",  # too long
        "ABC-2026-7K3Q-9CX9",  # unknown prefix
        "PRV-26-7K3Q-9CX9",
        "PRV-2026-7K3U-9CX9",  # U is not Crockford
        "PRV-2026-7K3Q-9CX8",  # wrong check character
        "PRV--- 2026-7K3Q-9CX9",  # too many separators
        "my case PRV-2026-7K3Q-9CX9",  # normalize wants the reference alone; find_reference searches
    ],
)
def test_normalisation_rejects_malformed(typed: str) -> None:
    assert normalise_reference(typed) is None


def test_normalize_non_string() -> None:
    assert normalise_reference(None) is None  # type: ignore[arg-type]
    assert find_reference(None) is None  # type: ignore[arg-type]


def test_find_reference_in_free_text() -> None:
    assert find_reference("my case is prv 2026 7k3q 9cx9") == KNOWN
    assert find_reference("Saken min: PRV-2026-7K3Q-9CX9.") == KNOWN
    assert find_reference("(ref PRV20267K3Q9CX9)") == KNOWN
    assert find_reference("no reference here, only 2026 and PRV") is None
    # Glued to other letters or digits it is not a reference.
    assert find_reference("XPRV-2026-7K3Q-9CX9") is None
    assert find_reference("PRV-2026-7K3Q-9CX9Z") is None


def test_find_reference_skips_invalid_candidates() -> None:
    other = new_reference("incident", 2026)
    text = f"first PRV-2026-7K3Q-9CX8 (typo), then {other.lower()} and {KNOWN}"
    assert find_reference(text) == other
