"""Checks on the NLU training data and the held-out sets.

Reads the files with Rasa's own YAML reader, so a file Rasa cannot load fails here too.
"""

from __future__ import annotations

import bisect
import collections
import difflib
import math
import random
import re
from pathlib import Path

import pytest
from rasa.shared.nlu.training_data.formats.rasa_yaml import RasaYAMLReader
from rasa.shared.nlu.training_data.message import Message

from basics.references import PREFIXES, new_reference, normalise_reference

ROOT = Path(__file__).resolve().parent.parent
NLU_DIR = ROOT / "data" / "nlu"
HOLDOUT_DIR = ROOT / "tests" / "nlu_holdout"
# The acceptance sets of bench/bench_understanding.py (text<TAB>label files), held out just the same.
ACCEPTANCE_DIR = ROOT / "tests" / "nlu_acceptance"
# The development sets of bench/bench_topics_dev.py (tuned on, never trained on: held out from data/ the same way).
DEV_DIR = ROOT / "tests" / "nlu_dev"
CONVERSATION_DOC = ROOT / "docs" / "CONVERSATION.md"
LANGUAGES = ("sv", "nb", "en")
# faq/<topic> examples and the faq hold-out files belong to the knowledge-base colleague.
FAQ_TRAINING_FILES = {"faq.yml", "faq_responses.yml"}

# Two lines this similar (difflib ratio on normalised text) count as a near-copy: a held-out line that
# close to a training line would measure memory, not generalisation. 0.9 lets "delete my data" and
# "please delete my data" coexist (0.8) while catching an added full stop or a single changed letter.
NEAR_COPY_RATIO = 0.9
# Short lines ("ja", "nei", "ok") are single words; a near-copy test on them is meaningless.
NEAR_COPY_MIN_LENGTH = 12
# Contract intents that only ever arrive as a payload ("/card_submitted" from the Teams channel's Adaptive
# Cards), never as typed text: they must have no NLU examples, so the coverage tests skip them.
PAYLOAD_ONLY_INTENTS = frozenset({"card_submitted"})


def normalise(text: str) -> str:
    """Lower case, no punctuation, single spaces: what makes two chat lines "the same" line."""
    text = re.sub(r"[^\w\s]", " ", text.lower())
    return " ".join(text.split())


def contract_intents() -> list[str]:
    """The intent names listed in the public contract in docs/CONVERSATION.md (minus the faq retrieval intent)."""
    doc = CONVERSATION_DOC.read_text(encoding="utf-8")
    section = doc.split("## Intents", 1)[1].split("\n## ", 1)[0]
    section = section.split("is NOT an intent", 1)[0]
    names = re.findall(r"`([a-z_]+)`", section)
    # The last backticked name before "is NOT an intent" is the one that is explicitly not an intent.
    names = [n for n in names if n != "delete_data_ambiguous"]
    return sorted({n for n in names if n != "faq"})


def _read(path: Path) -> list[Message]:
    return RasaYAMLReader().read(str(path)).intent_examples


def _language(message: Message) -> str | None:
    return ((message.get("metadata") or {}).get("intent") or {}).get("lang")


def training_messages() -> list[tuple[Path, Message]]:
    return [(path, m) for path in sorted(NLU_DIR.glob("*.yml")) for m in _read(path)]


def holdout_messages() -> list[tuple[Path, Message]]:
    return [(path, m) for path in sorted(HOLDOUT_DIR.glob("*.yml")) for m in _read(path)]


def acceptance_texts() -> list[str]:
    texts = []
    for path in sorted([*ACCEPTANCE_DIR.glob("*/*.tsv"), *DEV_DIR.glob("*/*.tsv")]):
        if path.parent.name == "language":
            continue  # language identification sets: they judge bot/language.py, which data/nlu does not train
        column = 0
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip() and not line.lstrip().startswith("#"):
                texts.append(line.split("\t")[column])
    return texts


def held_out_texts() -> list[str]:
    """Every line the model must never have seen: the hold-out files, the acceptance and the development sets."""
    return [m.get("text") for _, m in holdout_messages()] + acceptance_texts()


def typed_contract_intents() -> list[str]:
    """The contract intents people type, i.e. the ones that need training and held-out examples."""
    return [i for i in contract_intents() if i not in PAYLOAD_ONLY_INTENTS]


def test_contract_parser_finds_the_documented_intents() -> None:
    """Guards the doc parser itself: if it silently found nothing, the coverage test would pass vacuously."""
    intents = contract_intents()
    assert "request_erasure" in intents and "bot_challenge" in intents and "thanks" in intents
    assert "retry" in intents and "forget_conversation" in intents
    assert len(intents) >= 28


def test_payload_only_intents_are_documented_as_such_and_have_no_examples() -> None:
    doc = CONVERSATION_DOC.read_text(encoding="utf-8")
    trained = {m.get("intent") for _, m in training_messages()} | {m.get("intent") for _, m in holdout_messages()}
    for intent in PAYLOAD_ONLY_INTENTS:
        assert intent in contract_intents(), f"{intent} is not in the contract list"
        assert re.search(rf"`{intent}` \(payload only", doc), f"docs/CONVERSATION.md must mark {intent} payload only"
        assert intent not in trained, f"{intent} is payload only but has NLU examples"


def test_every_file_parses_with_rasas_reader() -> None:
    for path in [*NLU_DIR.glob("*.yml"), *HOLDOUT_DIR.glob("*.yml")]:
        reader = RasaYAMLReader()
        reader.read(str(path))
        assert reader.training_examples or reader.responses or path.name in FAQ_TRAINING_FILES or (
            "regex" in path.read_text(encoding="utf-8")
        ), f"{path} holds no examples"


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_contract_intent_has_training_examples_in_every_language(language: str) -> None:
    counts = collections.Counter(
        m.get("intent") for path, m in training_messages() if path.name not in FAQ_TRAINING_FILES and _language(m) == language
    )
    missing = [i for i in typed_contract_intents() if counts[i] == 0]
    assert not missing, f"no {language} training examples for {missing}"
    thin = {i: counts[i] for i in typed_contract_intents() if counts[i] < 10}
    assert not thin, f"fewer than 10 {language} training examples: {thin}"


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_contract_intent_has_holdout_examples_in_every_language(language: str) -> None:
    counts = collections.Counter(
        m.get("intent") for path, m in holdout_messages() if _language(m) == language and not path.name.startswith("faq")
    )
    missing = [i for i in typed_contract_intents() if counts[i] < 4]
    assert not missing, f"fewer than 4 {language} held-out examples for {missing}"


def test_my_training_blocks_declare_their_language() -> None:
    for path, message in training_messages():
        if path.name in FAQ_TRAINING_FILES:
            continue
        assert _language(message) in LANGUAGES, f"{path.name}: {message.get('text')!r} has no metadata.lang"


def test_only_contract_intents_are_trained() -> None:
    allowed = set(contract_intents()) | {"faq"}
    unknown = {m.get("intent") for _, m in training_messages()} - allowed
    assert not unknown, f"intents not in docs/CONVERSATION.md: {unknown}"


def test_no_example_appears_under_two_intents_or_twice() -> None:
    seen: dict[str, tuple[str, str]] = {}
    clashes: list[str] = []
    for path, message in training_messages():
        key = normalise(message.get("text"))
        label = message.get("intent_response_key") or message.get("intent")
        if key in seen:
            clashes.append(f"{message.get('text')!r}: {seen[key]} and {(path.name, label)}")
        else:
            seen[key] = (path.name, label)
    assert not clashes, "duplicate training lines:\n" + "\n".join(clashes)


def test_no_holdout_example_is_in_the_training_data() -> None:
    training = {normalise(m.get("text")) for _, m in training_messages()}
    leaked = [text for text in held_out_texts() if normalise(text) in training]
    assert not leaked, f"held-out lines found in data/nlu: {leaked}"


def test_no_holdout_example_is_a_near_copy_of_a_training_line() -> None:
    # difflib's ratio is 2*matches/(len(a)+len(b)), so it cannot reach NEAR_COPY_RATIO unless the shorter line is
    # at least RATIO/(2-RATIO) of the longer: only training lines in that length window are compared (the same
    # pairs are found as comparing all, in a fraction of the time).
    training = sorted({normalise(m.get("text")) for _, m in training_messages()}, key=len)
    lengths = [len(t) for t in training]
    shortest_share = NEAR_COPY_RATIO / (2 - NEAR_COPY_RATIO)
    near: list[str] = []
    for original in held_out_texts():
        text = normalise(original)
        if len(text) < NEAR_COPY_MIN_LENGTH:
            continue
        low = bisect.bisect_left(lengths, math.floor(len(text) * shortest_share))
        high = bisect.bisect_right(lengths, math.ceil(len(text) / shortest_share))
        matcher = difflib.SequenceMatcher(None, b=text)  # seq2 is the one difflib caches
        for other in training[low:high]:
            matcher.set_seq1(other)
            if (matcher.real_quick_ratio() >= NEAR_COPY_RATIO and matcher.quick_ratio() >= NEAR_COPY_RATIO
                    and matcher.ratio() >= NEAR_COPY_RATIO):
                near.append(f"{original!r} ~ {other!r}")
                break
    assert not near, "held-out lines too close to training lines:\n" + "\n".join(near)


def test_the_near_copy_window_keeps_every_pair_that_can_reach_the_ratio() -> None:
    """The length window above must never skip a pair difflib could call a near copy, and must skip some."""
    shortest_share = NEAR_COPY_RATIO / (2 - NEAR_COPY_RATIO)
    skipped = 0
    for held_out in range(NEAR_COPY_MIN_LENGTH, 300):
        window = range(math.floor(held_out * shortest_share), math.ceil(held_out / shortest_share) + 1)
        for trained in range(1, 3 * held_out):
            if 2 * min(trained, held_out) / (trained + held_out) >= NEAR_COPY_RATIO:  # real_quick_ratio's bound
                assert trained in window, (held_out, trained)
            elif trained not in window:
                skipped += 1
    assert skipped > 0


def test_acceptance_sets_are_there_and_large_enough() -> None:
    """bench/bench_understanding.py's minimums per language (issue 9), so a lost file cannot go unnoticed."""
    minimum = {"requests.tsv": 40, "policy.tsv": 60, "customer_service.tsv": 60, "out_of_domain.tsv": 300}
    for lang in LANGUAGES:
        for name, least in minimum.items():
            lines = [line for line in (ACCEPTANCE_DIR / lang / name).read_text(encoding="utf-8").splitlines()
                     if line.strip() and not line.startswith("#")]
            assert len(lines) >= least, (lang, name, len(lines))


def test_dev_sets_ask_about_every_topic() -> None:
    """tests/nlu_dev (README there): at least four questions per policy topic in sv and nb, two in en, and no
    topic the training data does not have."""
    trained = {m.get("intent_response_key") for _, m in training_messages() if m.get("intent_response_key")}
    for lang, least in (("sv", 4), ("nb", 4), ("en", 2)):
        rows = [line.split("\t") for line in (DEV_DIR / lang / "policy.tsv").read_text(encoding="utf-8").splitlines()
                if line.strip() and not line.startswith("#")]
        counts = collections.Counter(row[1].split("|")[0].strip() for row in rows)
        assert set(counts) <= trained, (lang, set(counts) - trained)
        assert {t: counts[t] for t in trained if counts[t] < least} == {}, lang


def test_dev_request_sets_are_there_with_known_intents() -> None:
    """tests/nlu_dev/<lang>/requests.tsv (at least 40, every label a trained case intent) and negatives.tsv (at
    least 20, labelled `none`): bench_topics_dev.py's check that topic changes cost no requests."""
    trained = {m.get("intent") for _, m in training_messages()}
    for lang in LANGUAGES:
        for name, least in (("requests.tsv", 40), ("negatives.tsv", 20)):
            rows = [line.split("\t") for line in (DEV_DIR / lang / name).read_text(encoding="utf-8").splitlines()
                    if line.strip() and not line.startswith("#")]
            assert len(rows) >= least, (lang, name, len(rows))
            assert all(len(row) == 2 for row in rows), (lang, name)
            labels = {label.strip() for row in rows for label in row[1].split("|")}
            if name == "negatives.tsv":
                assert labels == {"none"}, (lang, labels)
            else:
                assert labels <= trained - {"faq", "customer_service", "out_of_scope"}, (lang, labels - trained)


def test_holdout_has_no_duplicates() -> None:
    counts = collections.Counter(normalise(m.get("text")) for _, m in holdout_messages())
    assert not [t for t, n in counts.items() if n > 1]


def test_normalise_treats_case_and_punctuation_as_equal() -> None:
    """The leak checks are only as good as this; a broken normaliser would let copies through."""
    assert normalise("Delete my data, PLS!") == normalise("delete my data pls")
    assert normalise("slett alt") != normalise("slett alle")


def test_regexes_match_the_formats_people_type() -> None:
    data = RasaYAMLReader().read(str(NLU_DIR / "entities.yml"))
    patterns = {r["name"]: re.compile(r["pattern"], re.IGNORECASE) for r in data.regex_features}
    reference = patterns["case_reference"]
    for typed in ("PRV-2026-7K3Q-9CXM", "prv-2026-7k3q-9cxm", "PRV 2026 7K3Q 9CXM", "inc2026 8D2K7WQF", "WBL-2026-6H9J-3SXA"):
        assert reference.search(typed), typed
    for not_a_reference in ("ABC-2026-7K3Q-9CXM", "PRV-26-7K3Q-9CXM", "PRV-2026-7K3Q-9CUM"):
        assert not reference.fullmatch(not_a_reference), not_a_reference
    # Every way of typing a reference that the actions' parser (basics.references) takes, the entity takes too.
    rng = random.Random(12)
    for _ in range(50):
        canonical = new_reference(rng.choice(sorted(PREFIXES)), 2026)
        for typed in (canonical, canonical.lower(), canonical.replace("-", " "), canonical.replace("-", ""),
                      canonical.replace("-", "."), canonical.replace("0", "O").replace("1", "l")):
            assert normalise_reference(typed) == canonical, typed
            assert reference.fullmatch(typed), typed
    email = patterns["email"]
    assert email.search("min mejl är anna.lind@gmail.com tack").group(0) == "anna.lind@gmail.com"
    assert not email.search("skicka till anna.lind at gmail")


def test_annotated_entities_are_the_regex_ones() -> None:
    """RegexEntityExtractor only uses a pattern whose name is also an annotated entity."""
    entities = collections.Counter(
        e["entity"] for _, m in training_messages() for e in (m.get("entities") or [])
    )
    assert entities["email"] >= 3 and entities["case_reference"] >= 3
    assert set(entities) <= {"email", "case_reference"}
