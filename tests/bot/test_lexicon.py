"""The shared word lists (bot/lexicon/): every reader answers as it did with its own list before the merge.

Before bot/lexicon/, the action server (actions/words: QUESTION_WORDS, read as prefixes by
actions/reading.looks_like_question_opening; DELETE_WORDS and APPLICATION_WORDS, read by has_any) and the request
guard (bot/request_rules: QUESTION_OPENERS, whole first words; ROUTE_QUESTION_WORDS; ERASING_VERBS and
APPLICATION_ANCHORS, read as stems) kept their own lists. The old lists and readers are copied below as they were;
every training example in data/nlu and every phrase of tests/language_eval (and each clause of them, as
actions/reading.answer_before_question reads clauses) must get the same answer from the old and the new reader.
A deliberate change of the lexicon updates the copies here.

The action server's own lists (actions/words.py) and the request guard's (bot/request_rules.py) moved from Python
literals to bot/lexicon/ too: tests/bot/lexicon_snapshot.json holds their values as they were (generated once from
the literals), and every name must load equal to it, type and order included. A deliberate change of a word updates the snapshot.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any, Dict, List

import pytest
from rasa.shared.nlu.training_data.formats.rasa_yaml import RasaYAMLReader

import bot.text
from actions import reading, words
from actions.common import has_any
from bot import request_rules
from bot.text import fold, lexicon, lexicon_lines, tagged

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
OLD_DELETE_WORDS = ["radera", "ta bort", "slett", "fjern", "delete", "remove", "erase", "glöm", "glem"]
OLD_APPLICATION_WORDS = ["ansökan", "ansökning", "søknad", "soknad", "application", "tjänst", "stilling", "position",
                         "jobb", "job"]
OLD_ERASING_VERBS = (
    "radera", "raderin", "ta bort", "tas bort", "slett", "fjern", "delete", "erase", "remove", "wipe", "glom mig",
    "glem meg", "gloym meg", "forget me", "utplan",
)
OLD_APPLICATION_ANCHORS = (
    "ansok", "sokt", "soknad", "soker", "applic", "applied", "cv", "tjanst", "stilling", "position", "jobb", "job",
    "rekryt", "rekrutt", "recruit", "kandidat", "candidate", "intervju", "interview", "vacanc", "talang",
    "talent", "candida",
)


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
    # has_any folds both sides: the folded words decide.
    assert {fold(w) for w in words.DELETE_WORDS} == {fold(w) for w in OLD_DELETE_WORDS}
    assert {fold(w) for w in words.APPLICATION_WORDS} == {fold(w) for w in OLD_APPLICATION_WORDS}
    assert sorted(request_rules.ERASING_VERBS) == sorted(OLD_ERASING_VERBS)
    assert sorted(request_rules.APPLICATION_ANCHORS) == sorted(OLD_APPLICATION_ANCHORS)


@pytest.mark.parametrize("new, old", [("DELETE_WORDS", OLD_DELETE_WORDS), ("APPLICATION_WORDS", OLD_APPLICATION_WORDS)])
def test_the_action_servers_word_lists_answer_as_before(texts: List[str], new: str, old: List[str]) -> None:
    answers = [(has_any(t, getattr(words, new)), has_any(t, old)) for t in texts]
    assert all(a == b for a, b in answers), [t for t, (a, b) in zip(texts, answers) if a != b][:20]
    assert any(a for a, _ in answers) and not all(a for a, _ in answers)


@pytest.mark.parametrize("new, old", [("ERASING_VERBS", OLD_ERASING_VERBS),
                                      ("APPLICATION_ANCHORS", OLD_APPLICATION_ANCHORS)])
def test_the_guards_word_lists_answer_as_before(texts: List[str], new: str, old: tuple) -> None:
    def matches(text: str, stems: tuple) -> bool:
        return request_rules._matches(*request_rules.words_of(text), stems)

    answers = [(matches(t, getattr(request_rules, new)), matches(t, old)) for t in texts]
    assert all(a == b for a, b in answers), [t for t, (a, b) in zip(texts, answers) if a != b][:20]
    assert any(a for a, _ in answers) and not all(a for a, _ in answers)


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
    assert set().union(*lexicon("question_words").values()) == {"stem", "word", "guard", "route"}
    for name in ("erasing_verbs", "application_words"):
        assert set().union(*lexicon(name).values()) == {"actions", "guard"}
    # "er" opens a Norwegian question but is Swedish "your": the guard takes it, the action server does not.
    assert lexicon("question_words")["er"] == {"guard"}


SNAPSHOT: Dict[str, Dict[str, Dict[str, Any]]] = json.loads(
    (ROOT / "tests" / "bot" / "lexicon_snapshot.json").read_text("utf-8"))
MODULES = {"actions.words": words, "bot.request_rules": request_rules}


def test_the_snapshot_covers_every_name_of_actions_words() -> None:
    assert {name for name in dir(words) if name.isupper()} == set(SNAPSHOT["actions.words"])


@pytest.mark.parametrize("module, name", [(m, n) for m in sorted(SNAPSHOT) for n in sorted(SNAPSHOT[m])])
def test_the_word_lists_load_the_values_the_python_literals_had(module: str, name: str) -> None:
    value, expected = getattr(MODULES[module], name), SNAPSHOT[module][name]
    assert type(value).__name__ == expected["type"]
    if isinstance(value, dict):
        assert list(value) == list(expected["value"])  # typed_choice tries the choices in this order
        for key, found in value.items():
            assert type(found).__name__ == expected["item_type"] and list(found) == expected["value"][key], key
    elif isinstance(value, (set, frozenset)):
        assert sorted(value) == expected["value"]
    elif isinstance(value, (list, tuple)):
        assert list(value) == expected["value"]  # in order: first match wins in some readers
    else:
        assert value == expected["value"]


# The lists of each file, as actions/words.py and bot/request_rules.py read them: a list added to a file without a reader (or a tag
# misspelt in one line) fails here rather than being silently ignored.
FILE_TAGS = {
    "answers": {"unknown", "yes", "no", "but", "filler", "same_as_before"},
    "corrections": {"again", "change", "agreeing"},
    "fields": {"requester_email", "requester_name", "case_description", "application_position", "withdrawal_target",
               "incident_aware_at", "incident_data_types", "incident_people_count", "incident_encrypted",
               "incident_contained", "reporter_anonymous", "right"},
    "rights": {"access", "rectification", "erasure", "restriction", "objection", "portability",
               "consent_withdrawal"},
    "choices": {"database", "email_method", "receipt_method"},
    "identity": {"name_intro", "name_ending", "group_name", "email_filler", "not_anonymous", "anonymous", "named"},
    "company_forms": {"form"},
    "commands": {"command", "stop_phrase", "stop", "new_request"},
    "requests": {"withdraw", "everything_token", "everything", "earlier_case", "follow_up", "objecting_verb"},
    "description_objects": {"erasure", "consent_withdrawal", "objection"},
    "domain_words": {"domain"},
    "report_frame": {"frame"},
    "incident_facts": {"contained", "encrypted", "notify", "must"},
    # bot/request_rules.py
    "guard_objects": {"customer_service", "other_object"},
    "guard_anchors": {"personal_data", "request_access", "request_rectification", "request_erasure",
                      "request_restriction", "request_portability", "consent", "objection", "incident", "misconduct",
                      "case", "complaint"},
    "guard_requests": {"access", "recruitment_database", "leaving", "complaint_act", "complaint_heading",
                       "supervisory_authority", "asks_a_right", "asks_where_to_complain"},
}


def test_every_file_is_read_with_the_tags_it_has() -> None:
    files = {path.stem for path in (ROOT / "bot" / "lexicon").glob("*.txt")}
    assert files == set(FILE_TAGS) | {"question_words", "erasing_verbs", "application_words"}
    for name, tags in FILE_TAGS.items():
        assert set().union(*lexicon(name).values()) == tags, name
    # The dict-shaped files take one choice a line: a second tag would put the word in two choices silently.
    for name in ("fields", "rights", "description_objects"):
        assert all(len(tags) == 1 for _, tags in lexicon_lines(name)), name


def test_a_word_twice_in_one_list_or_an_empty_tag_is_refused_and_case_is_kept_only_when_asked(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "twice.txt").write_text("# a header\nja yes\nnej no\nJa yes\n", encoding="utf-8")
    (tmp_path / "lists.txt").write_text("ja yes\nAS form  # a comment\nja other\nta_bort yes\n", encoding="utf-8")
    monkeypatch.setattr(bot.text, "_LEXICON_DIR", tmp_path)
    lexicon_lines.cache_clear()
    try:
        with pytest.raises(ValueError, match="twice"):
            lexicon_lines("twice")
        # A word may stand in several lists of a file, one line each; each list keeps its own order.
        assert tagged("lists", "yes") == ("ja", "ta bort")
        assert tagged("lists", "other") == ("ja",)
        assert tagged("lists", "form") == ("as",)
        assert tagged("lists", "form", keep_case=True) == ("AS",)
        with pytest.raises(ValueError, match="no word tagged"):
            tagged("lists", "yse")  # a misspelt tag fails on loading, not by matching nothing
    finally:
        lexicon_lines.cache_clear()
