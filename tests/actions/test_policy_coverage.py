"""Every policy fact is reachable: docs/POLICY_COVERAGE.md maps each paragraph of the policy to the FAQ topic
that answers it, and the answers the coverage work added (head office, both complaint routes) say what they must.

Real files throughout: the policy text, knowledge/policy/faq.yml, the coverage table and data/nlu/faq.yml.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Dict, List, Tuple

import pytest
import yaml

from actions.goals import START_INTENT_GOALS
from actions.knowledge import KnowledgeBase, get_knowledge_base
from actions.texts import t

ROOT = Path(__file__).resolve().parents[2]
COVERAGE = ROOT / "docs" / "POLICY_COVERAGE.md"
LANGS = ("sv", "nb", "en")
# Page furniture copied along with the policy text: not paragraphs.
ARTEFACTS = {"Sökwebbplats:", "IMG_9209_1920", "Integritetspolicy.", "LÄS MER STÄNGA"}
# Topics that do not rest on the policy text (docs/TRANSCRIPTS.md), so the table need not name them.
NOT_POLICY_TOPICS = {"assistant_data"}


def _ws(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def _is_numbered_heading(block: str) -> bool:
    if not re.match(r"^\d+(\.\d+)*\.?\s+\S", block):
        return False
    letters = [c for c in block if c.isalpha()]
    return bool(letters) and sum(c.isupper() for c in letters) / len(letters) > 0.7


def _section_number(heading: str) -> str:
    return re.match(r"^(\d+(?:\.\d+)*)", heading).group(1)


def policy_blocks(policy_text: str) -> List[Tuple[str, str, bool]]:
    """(section, block text, is a paragraph) for every blank-line-separated block after the title.

    A paragraph is a block that is not an artefact, not a numbered all-caps heading and not a sub-heading
    (at most seven words and no closing full stop or bracket: "Besökare", "Tekniska åtgärder:", the
    "Norge / Sverige / Danmark" link line)."""
    section = "intro"
    out = []
    for raw in re.split(r"\n\s*\n", policy_text):
        block = _ws(raw)
        if not block or block in ARTEFACTS:
            continue
        if _is_numbered_heading(block):
            section = _section_number(block)
            continue
        subheading = len(block.split()) <= 7 and not block.endswith((".", ")"))
        out.append((section, block, not subheading))
    return out


def coverage_rows() -> List[Dict[str, str]]:
    """The rows of the main table (the one with an "Opens with" column)."""
    rows: List[Dict[str, str]] = []
    header: List[str] = []
    for line in COVERAGE.read_text(encoding="utf-8").splitlines():
        if not line.startswith("|"):
            if rows:
                break  # the main table ended
            header = []
            continue
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if not header:
            header = cells
            continue
        if set("".join(cells)) <= set("- "):
            continue  # the separator line
        if "Opens with" in header:
            rows.append(dict(zip(header, cells)))
    return rows


def _backticked(cell: str) -> List[str]:
    return re.findall(r"`([^`]+)`", cell)


@pytest.fixture(scope="module")
def kb() -> KnowledgeBase:
    return get_knowledge_base()


@pytest.fixture(scope="module")
def rows() -> List[Dict[str, str]]:
    found = coverage_rows()
    assert len(found) > 50, "the coverage table was not found or is much shorter than the policy"
    return found


def test_block_splitter_finds_the_policy_structure(kb) -> None:
    blocks = policy_blocks(kb.policy_text)
    sections = {s for s, _, _ in blocks}
    assert {"intro", "1", "2.1", "2.2", "2.3", "2.4", "2.5", "2.6", "3", "4", "5", "6", "7"} <= sections
    paragraphs = [b for _, b, is_paragraph in blocks if is_paragraph]
    assert any(b.startswith("Amestos huvudkontor") or "huvudkontor ligger i Oslo" in b for b in paragraphs)
    assert not any(b in ("Besökare", "Kunder", "Tekniska åtgärder:") for b in paragraphs)


def test_every_paragraph_has_exactly_one_row_and_every_row_a_paragraph(kb, rows) -> None:
    blocks = policy_blocks(kb.policy_text)
    matched: Dict[int, List[str]] = {}
    bad_rows = []
    for row in rows:
        para = row["Para"]
        section = para.split()[0]
        (anchor,) = _backticked(row["Opens with"])
        hits = [i for i, (s, block, _) in enumerate(blocks) if s == section and block.startswith(_ws(anchor))]
        if len(hits) != 1:
            bad_rows.append((para, anchor, len(hits)))
            continue
        matched.setdefault(hits[0], []).append(para)
    assert not bad_rows, f"rows whose 'Opens with' does not start exactly one paragraph of their section: {bad_rows}"
    doubles = {blocks[i][1][:50]: paras for i, paras in matched.items() if len(paras) > 1}
    assert not doubles, doubles
    unmapped = [(s, b[:70]) for i, (s, b, is_paragraph) in enumerate(blocks) if is_paragraph and i not in matched]
    assert not unmapped, f"policy paragraphs missing from docs/POLICY_COVERAGE.md: {unmapped}"


def test_rows_name_real_topics_and_no_hole_is_left(kb, rows) -> None:
    for row in rows:
        after = row["Answered by"]
        assert "hole" not in after.lower(), row["Para"]
        topics = [name for name in _backticked(after) if name in kb.topics]
        unknown = [name for name in _backticked(after) if name not in kb.topics and not name.startswith(
            ("withdraw_", "report_", "file_"))]  # flows named in passing are intents, not topics
        assert not unknown, (row["Para"], unknown)
        assert topics or after.startswith("n/a"), row["Para"]
        for name in _backticked(row["Before"]):
            assert name in kb.topics, (row["Para"], name)


def test_every_policy_topic_is_named_in_the_table(kb, rows) -> None:
    named = {name for row in rows for name in _backticked(row["Answered by"])}
    missing = set(kb.topics) - NOT_POLICY_TOPICS - named
    assert not missing, missing


# ---------------------------------------------------------------------------------------------------------
# The holes the brief named
# ---------------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("language", LANGS)
def test_head_office_and_group_are_answered(kb, language) -> None:
    text = kb.answer_for_topic("controller", language, False).text
    assert "Oslo" in text
    group = {"sv": ("juridiska personer", "flera länder", "huvudkontor"),
             "nb": ("juridiske personer", "flere land", "hovedkontor"),
             "en": ("legal entities", "several countries", "head office")}[language]
    for phrase in group:
        assert phrase in text, (language, phrase)


@pytest.mark.parametrize("language", LANGS)
def test_update_date_is_answered(kb, language) -> None:
    text = kb.answer_for_topic("policy_changes", language, False).text
    assert re.search(r"27\.? (januari|januar|January) 2020", text), text


@pytest.mark.parametrize("language", LANGS)
def test_complaint_answer_gives_both_routes(kb, language) -> None:
    text = kb.answer_for_topic("complaint_authority", language, False).text
    # The authority route: each country's authority, and the right itself.
    assert "IMY" in text and "Integritetsskyddsmyndigheten" in text and text.count("Datatilsynet") == 2
    assert "Art. 77" in text or "art. 77" in text
    # "To us first": the chat, the Trust form and the chief privacy officer.
    assert "Amesto Trust" in text and "chief privacy officer" in text
    assert {"sv": "här i chatten", "nb": "her i chatten", "en": "here in the chat"}[language] in text


def test_complaint_answer_offers_the_complaint_flow(kb) -> None:
    offer = kb.topics["complaint_authority"].get("offer")
    assert offer == "file_complaint" and offer in START_INTENT_GOALS
    for name, topic in kb.topics.items():
        assert topic.get("offer") in (None, *START_INTENT_GOALS), name


@pytest.mark.parametrize("language", LANGS)
def test_complaint_flow_start_names_the_authorities(language) -> None:
    intro = t("intro_complaint", language)
    line = intro.split("\n")[-1]
    assert "IMY" in line and line.count("Datatilsynet") == 2, line
    assert len(line) <= 140, "one short line"


def _faq_examples() -> Dict[Tuple[str, str], List[str]]:
    doc = yaml.safe_load((ROOT / "data" / "nlu" / "faq.yml").read_text(encoding="utf-8"))
    out: Dict[Tuple[str, str], List[str]] = {}
    for block in doc["nlu"]:
        lang = (block.get("metadata") or {}).get("lang")
        lines = [ln.strip()[2:] for ln in block["examples"].splitlines() if ln.strip().startswith("- ")]
        out.setdefault((block["intent"], lang), []).extend(lines)
    return out


@pytest.mark.parametrize("language,words", [
    ("sv", ("huvudkontor", "hq")),
    ("nb", ("hovedkontor", "hq", "hovudkontor")),
    ("en", ("head office", "headquartered", "hq")),
])
def test_head_office_questions_are_trained(language, words) -> None:
    # The controller topic's own questions plus about a dozen head-office / company questions.
    examples = _faq_examples()[("faq/controller", language)]
    assert len(examples) >= 24, len(examples)
    assert sum(any(w in e for w in words) for e in examples) >= 4


@pytest.mark.parametrize("language,words", [
    ("sv", ("imy", "integritetsskyddsmyndigheten", "datatilsynet", "myndighet")),
    ("nb", ("imy", "datatilsynet", "myndighet", "datatilsyn")),
    ("en", ("imy", "datatilsynet", "authority", "regulator")),
])
def test_complaint_authority_questions_are_trained(language, words) -> None:
    examples = _faq_examples()[("faq/complaint_authority", language)]
    assert len(examples) >= 20, len(examples)
    assert sum(any(w in e for w in words) for e in examples) >= 12
