"""The shared word lists (bot/lexicon/): both readers of the question words answer as they did with their own lists.

Before bot/lexicon/question_words.txt, the action server (actions/words.QUESTION_WORDS, read as prefixes by
actions/reading.looks_like_question_opening) and the request guard (bot/request_rules.QUESTION_OPENERS, whole
first words, and ROUTE_QUESTION_WORDS) kept their own lists. The old lists and readers are copied below as they
were; every training example in data/nlu and every phrase of tests/language_eval (and each clause of them, as
actions/reading.answer_before_question reads clauses) must get the same answer from the old and the new reader.
A deliberate change of the lexicon updates the copies here.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import List

import pytest
from rasa.shared.nlu.training_data.formats.rasa_yaml import RasaYAMLReader

from actions import reading, words
from bot import request_rules
from bot.text import fold, lexicon

ROOT = Path(__file__).resolve().parents[2]

OLD_QUESTION_WORDS = ["vad", "vilk", "hur", "när", "var ", "varför", "vem", "hva", "hvilk", "hvordan", "når", "hvor",
                      "hvorfor", "hvem", "what", "which", "how", "when", "where", "why", "who", "kan ", "can ", "får ",
                      "may ", "do ", "does ", "is ", "are ", "är ", "måste", "må ", "must "]
OLD_QUESTION_OPENERS = frozenset({
    "how", "what", "can", "could", "may", "do", "does", "is", "are", "where", "why", "when", "hur", "vad", "kan",
    "far", "ar", "var", "varfor", "nar", "hvordan", "hva", "korleis", "kva", "ka", "kor", "er", "hvor", "hvorfor",
    "maste", "ma", "will", "would", "should", "shall", "blir", "kommer",
})
OLD_ROUTE_QUESTION_WORDS = frozenset({"var", "vart", "hvor", "kvar", "kor", "where", "how", "hur", "hvordan",
                                      "korleis", "vem", "hvem", "who", "kan", "can", "could"})


def old_looks_like_question_opening(text: str) -> bool:
    lowered, folded = text.strip().lower(), fold(text).strip()
    return any(folded.startswith(fold(word)) if fold(word) != word else lowered.startswith(word)
               for word in OLD_QUESTION_WORDS)


def old_is_question(text: str) -> bool:
    found, _ = request_rules.words_of(text)
    return text.rstrip().endswith("?") or bool(found) and found[0] in OLD_QUESTION_OPENERS


# Which column of a tests/language_eval file is the message (the others are labels, metadata, ids).
TEXT_COLUMN = {"conversations.tsv": 2, "sticky.tsv": 1}


def corpus() -> List[str]:
    texts: List[str] = []
    for path in sorted((ROOT / "data" / "nlu").glob("*.yml")):
        reader = RasaYAMLReader()
        reader.read(str(path))
        texts += [str(example.get("text")) for example in reader.training_examples if example.get("text")]
    for path in sorted((ROOT / "tests" / "language_eval").glob("*.tsv")):
        for line in path.read_text(encoding="utf-8").splitlines():
            fields = line.split("\t")
            column = TEXT_COLUMN.get(path.name, 0)
            if line.strip() and not line.startswith("#") and len(fields) > column:
                texts.append(fields[column])
    clauses = [c for text in texts for c in re.split(r"(?<=[,;.!?\n])", text.strip()) if c.strip(" ,;.!?\n")]
    return texts + clauses


@pytest.fixture(scope="module")
def texts() -> List[str]:
    found = corpus()
    assert len(found) > 5000, len(found)  # the training data and the phrases, not an empty glob
    return found


def test_the_readers_take_the_same_words_as_before() -> None:
    assert sorted(words.QUESTION_WORDS) == sorted(OLD_QUESTION_WORDS)
    assert request_rules.QUESTION_OPENERS == OLD_QUESTION_OPENERS
    assert request_rules.ROUTE_QUESTION_WORDS == OLD_ROUTE_QUESTION_WORDS


def test_question_openings_answer_as_before_on_the_training_data_and_phrases(texts: List[str]) -> None:
    changed = [t for t in texts if reading.looks_like_question_opening(t) != old_looks_like_question_opening(t)]
    assert not changed, changed[:20]
    assert any(reading.looks_like_question_opening(t) for t in texts)
    assert not all(reading.looks_like_question_opening(t) for t in texts)


def test_is_question_answers_as_before_on_the_training_data_and_phrases(texts: List[str]) -> None:
    changed = [t for t in texts if request_rules.is_question(t) != old_is_question(t)]
    assert not changed, changed[:20]
    # Opening words decide, not only the question mark: some unmarked texts are questions.
    assert any(request_rules.is_question(t) and not t.rstrip().endswith("?") for t in texts)


def test_every_line_names_a_reader_and_the_readers_are_known() -> None:
    tags = set().union(*lexicon("question_words").values())
    assert tags == {"stem", "word", "guard", "route"}
    # "er" opens a Norwegian question but is Swedish "your": the guard takes it, the action server does not.
    assert lexicon("question_words")["er"] == {"guard"}
