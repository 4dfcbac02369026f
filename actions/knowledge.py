"""The policy knowledge base: FAQ topics, a search over the policy sections, and the record of processing
activities for staff.

Everything the assistant says about the privacy policy comes from `knowledge/` (see knowledge/README.md),
which is grounded in the Swedish policy text. This module only selects and formats; it never writes policy
content of its own. Plain Python and PyYAML: no rasa, rasa_sdk or backend import (the actions that send these
answers are actions/policy.py).

Public API:
    answer_for_topic(topic, language, is_staff, question=None) -> Answer
    search(question, language, limit=3) -> list[SearchHit]
    answer_question(question, language, is_staff=False) -> Answer   # search, else the honest fallback
"""

from __future__ import annotations

import math
import os
import re
from collections import Counter
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, Dict, List, Optional

import yaml

from basics.languages import LANGUAGES, normalise_language
from bot.text import fold

# How the section reference reads in each language, e.g. "(avsnitt 2.4)"; tests rely on this.
SECTION_LABELS = {"sv": "avsnitt", "nb": "punkt", "en": "policy section"}
STAFF_ONLY_TOPIC = "where_data_kept"

# BM25 score a section needs before it counts as an answer; tuned so off-topic questions match nothing
# (tests/actions/test_policy.py has the positive and negative questions it was tuned on).
SEARCH_MIN_SCORE = 3.0
# Share of the question's (IDF-weighted) words a section must contain; words the index has never seen count
# fully against it, so "do you use my data to train AI models" does not land on a section that happens to
# mention "training".
SEARCH_MIN_COVERAGE = 0.45

_DEFAULT_KNOWLEDGE_DIR = Path(__file__).resolve().parent.parent / "knowledge"


@dataclass(frozen=True)
class Answer:
    """One reply: the text to send and the policy section it rests on."""

    text: str
    section: str
    language: str
    topic: Optional[str] = None
    # faq | ropa | staff_only | search | fallback: lets callers and tests see where the answer came from.
    source: str = "faq"


@dataclass(frozen=True)
class SearchHit:
    section_id: str
    section: str
    title: str
    text: str
    score: float


# ---------------------------------------------------------------------------------------------------------
# Text normalisation for search. Users write without diacritics ("lagrar ni min ansokan"), so both the
# index and the queries are folded the same way; a light suffix stripper stands in for a real stemmer.
# ---------------------------------------------------------------------------------------------------------

_STOPWORDS = {
    "sv": """att av de dem den denna det dig din dina ditt du efter eller en ett for fran har hur i inte jag
        kan man med mig min mina mitt na nagon nagot ni och om oss pa sa som till ur vad var vara vi vill
        ar ocksa bara hos nar vilka vilken vilket varfor sig sin sina sitt skulle ska finns gor gora far
        vem hej tack snalla undrar fraga lite typ alltsa liksom era er ert ju nu da mycket manga anvander anvands
        anvand hander hande nagonting tar""",
    "nb": """at av de dem den denne det deg din dine ditt du etter eller en et ett for fra har hvordan i ikke
        jeg kan man med meg min mine mitt noen noe dere og om oss pa sa som til hva var vi vil er ogsa bare
        hos nar hvilke hvilken hvilket hvorfor seg sin sine sitt skulle skal finnes gjor gjore far hvem kven hei takk
        lurer sporsmal litt liksom deres dykk eg ikkje kva kor korleis me dei vere ein eit no da hvor mange mye
        bruker brukes bruke skjer noe tar ta tek""",
    "en": """a an and are as at be by can could do does for from have how i if in is it its me my of on or
        our please so that the their them there they this to us we what when where which who why will with
        would you your yours hi hello thanks thank just wondering question tell about get any use used using
        happen happens happened one does did many much also some""",
}
_STOPWORDS = {lang: set(words.split()) for lang, words in _STOPWORDS.items()}

# Terms that may add to a score but never make a section a hit on their own: place and company names and
# very generic words appear in many questions that are not about the policy ("weather in Oslo").
_WEAK_WORDS = """oslo norge noreg norway sverige sweden danmark denmark amesto company companies foretag foretaget
    selskap selskapet bolag bolaget group koncern koncernen konsern konsernet day days dag dagar dager hour hours
    timme timmar time timer week weeks vecka veckor uke uker today idag tomorrow imorgon open opening tid
    tider"""

_SUFFIXES = {
    "sv": ("arnas", "ernas", "ornas", "heten", "heter", "andet", "arna", "erna", "orna", "ande", "ende",
           "aren", "else", "het", "ast", "are", "ens", "ets", "an", "ar", "er", "or", "en", "et", "na", "as",
           "es", "a", "e", "s"),
    "nb": ("elsene", "elsen", "heten", "ende", "ene", "ane", "ere", "ert", "ers", "ens", "ets", "het", "es",
           "er", "en", "et", "ar", "a", "e", "s"),
    "en": ("ational", "ations", "ation", "ings", "ness", "ing", "ies", "ied", "ers", "ed", "es", "er", "ly",
           "s", "e"),
}


def _stem(token: str, language: str) -> str:
    for suffix in _SUFFIXES[language]:
        if token.endswith(suffix) and len(token) - len(suffix) >= 3:
            return token[: -len(suffix)]
    return token


def tokenize(text: str, language: str) -> List[str]:
    """Folded, stop-word-free, stemmed tokens (public so tests and benchmarks can inspect matching)."""
    language = normalise_language(language)
    words = re.findall(r"[a-z0-9]+", fold(text))
    return [_stem(w, language) for w in words if w not in _STOPWORDS[language] and len(w) > 1]


_WEAK_TERMS = {t for lang in LANGUAGES for t in tokenize(_WEAK_WORDS, lang)}


class _Bm25:
    """Okapi BM25 over a handful of documents; small enough that a library would add nothing."""

    def __init__(self, docs: List[List[str]], k1: float = 1.4, b: float = 0.75) -> None:
        self.k1, self.b = k1, b
        self.tfs = [Counter(d) for d in docs]
        self.lengths = [len(d) for d in docs]
        self.avg_len = sum(self.lengths) / max(len(docs), 1)
        df: Counter = Counter()
        for tf in self.tfs:
            df.update(tf.keys())
        n = len(docs)
        self.idf = {t: math.log(1 + (n - f + 0.5) / (f + 0.5)) for t, f in df.items()}
        self.max_idf = math.log(1 + (n + 0.5) / 0.5)

    def weight(self, term: str) -> float:
        """IDF of a term; an unseen term weighs as much as the rarest one (it is informative and unmatched)."""
        return self.idf.get(term, self.max_idf)

    def scores(self, query: List[str]) -> List[tuple]:
        """(score, matched-terms) per document."""
        out = []
        terms = set(query)
        for tf, length in zip(self.tfs, self.lengths):
            score, matched = 0.0, set()
            for t in terms:
                f = tf.get(t)
                if not f:
                    continue
                matched.add(t)
                norm = f * (self.k1 + 1) / (f + self.k1 * (1 - self.b + self.b * length / self.avg_len))
                score += self.idf[t] * norm
            out.append((score, matched))
        return out


# ---------------------------------------------------------------------------------------------------------
# Knowledge base
# ---------------------------------------------------------------------------------------------------------
def cite(section: str, language: str) -> str:
    return f"({SECTION_LABELS[language]} {section})"


def _require_languages(value: Any, where: str) -> Dict[str, str]:
    if not isinstance(value, dict) or any(not str(value.get(lang) or "").strip() for lang in LANGUAGES):
        raise ValueError(f"{where}: needs non-empty text for each of {LANGUAGES}")
    return value


class KnowledgeBase:
    """The loaded knowledge files plus one search index per language."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.policy_text = (root / "policy" / "integritetspolicy-sv.txt").read_text(encoding="utf-8")
        sections_doc = self._load(root / "policy" / "sections.yml")
        faq_doc = self._load(root / "policy" / "faq.yml")
        self.ropa = self._load(root / "ropa.yml")

        self.sections: List[Dict[str, Any]] = sections_doc["sections"]
        self.topics: Dict[str, Dict[str, Any]] = faq_doc["topics"]
        self.fallback_text = _require_languages(faq_doc["fallback"], "faq.yml fallback")
        self.search_prefix = _require_languages(faq_doc["search_prefix"], "faq.yml search_prefix")
        for section in self.sections:
            _require_languages(section.get("title"), f"section {section.get('id')} title")
            _require_languages(section.get("summary"), f"section {section.get('id')} summary")
        for name, topic in self.topics.items():
            _require_languages(topic.get("answer"), f"topic {name} answer")
            _require_languages(topic.get("title"), f"topic {name} title")  # its "did you mean" button
            if not topic.get("section"):
                raise ValueError(f"topic {name}: missing section")

        self._indexes = {lang: _Bm25([self._doc_tokens(s, lang) for s in self.sections]) for lang in LANGUAGES}

    @staticmethod
    def _load(path: Path) -> Dict[str, Any]:
        with path.open(encoding="utf-8") as fh:
            return yaml.safe_load(fh)

    @staticmethod
    def _doc_tokens(section: Dict[str, Any], language: str) -> List[str]:
        # Title and keywords count twice: they are the words people actually ask with.
        parts = [section["title"][language]] * 2 + [section["summary"][language]]
        parts += [" ".join(section.get("keywords", {}).get(language, []))] * 2
        for field in (section.get("processing") or {}).values():
            parts.append(field.get(language, ""))
        return tokenize(" ".join(parts), language)

    # -- FAQ topics ------------------------------------------------------------------------------------
    def answer_for_topic(
        self, topic: str, language: str, is_staff: bool, question: Optional[str] = None
    ) -> Answer:
        """The answer for one FAQ topic. Raises KeyError for an unknown topic."""
        language = normalise_language(language)
        entry = self.topics[topic]
        if entry.get("staff_only"):
            if is_staff is not True:
                return Answer(entry["answer"][language], str(entry["section"]), language, topic, "staff_only")
            return self._ropa_answer(entry, language, question)
        return Answer(entry["answer"][language], str(entry["section"]), language, topic, "faq")

    def _ropa_answer(self, entry: Dict[str, Any], language: str, question: Optional[str]) -> Answer:
        staff = entry["staff"]
        activities = self.ropa["activities"]
        chosen = self.match_activities(question or "")
        lines = [staff["intro"][language]]
        if not chosen:
            lines.append(staff["all_activities"][language])
            chosen = activities
        labels = staff["labels"][language]
        for act in chosen:
            lines.append(
                f"• {act['name'][language]}: {labels['system']} {act['system']}; "
                f"{labels['location']} {act['location']}; {labels['retention']} {act['retention'][language]}; "
                f"{labels['owner']} {act['owner']} {cite(str(act['policy_section']), language)}"
            )
        if self.ropa.get("example_data"):
            lines.append(staff["example_note"][language])
        return Answer("\n".join(lines), str(staff["section"]), language, STAFF_ONLY_TOPIC, "ropa")

    def match_activities(self, question: str) -> List[Dict[str, Any]]:
        """Record entries whose keywords occur in the question (folded). A one-word keyword also matches the
        start of a longer word, so Swedish/Norwegian compounds work ("kandidatdata" -> "kandidat")."""
        words = re.findall(r"[a-z0-9]+", fold(question))
        folded = " " + " ".join(words) + " "
        hits = []
        for act in self.ropa["activities"]:
            for kw in act.get("keywords", []):
                kw_words = re.findall(r"[a-z0-9]+", fold(kw))
                if not kw_words:
                    continue
                if len(kw_words) > 1:
                    found = " " + " ".join(kw_words) + " " in folded
                else:
                    found = any(w == kw_words[0] or (len(kw_words[0]) >= 5 and w.startswith(kw_words[0]))
                                for w in words)
                if found:
                    hits.append(act)
                    break
        return hits

    # -- Search ----------------------------------------------------------------------------------------
    def search(self, question: str, language: str, limit: int = 3) -> List[SearchHit]:
        """Policy sections that answer `question`, best first; empty when nothing is relevant enough."""
        language = normalise_language(language)
        query = tokenize(question, language)
        if not query:
            return []
        index = self._indexes[language]
        # Weak terms (place names, "time", ...) weigh like unseen words: they must not carry a match.
        total_weight = sum(index.max_idf if t in _WEAK_TERMS else index.weight(t) for t in set(query))
        ranked = []
        for section, (score, matched) in zip(self.sections, index.scores(query)):
            coverage = sum(index.weight(t) for t in matched - _WEAK_TERMS) / total_weight
            if score < SEARCH_MIN_SCORE or coverage < SEARCH_MIN_COVERAGE or not (matched - _WEAK_TERMS):
                continue
            ranked.append(
                SearchHit(section["id"], str(section["number"]), section["title"][language],
                          section["summary"][language], round(score, 3))
            )
        ranked.sort(key=lambda h: h.score, reverse=True)
        return ranked[:limit]

    def answer_question(self, question: str, language: str, is_staff: bool = False) -> Answer:
        """Free-text question: the best search hit, else the honest "the policy does not say" answer."""
        language = normalise_language(language)
        hits = self.search(question or "", language, limit=1)
        if hits:
            hit = hits[0]
            text = f"{self.search_prefix[language]} {hit.text} {cite(hit.section, language)}"
            return Answer(text, hit.section, language, None, "search")
        return self.fallback(language)

    def fallback(self, language: str) -> Answer:
        language = normalise_language(language)
        return Answer(self.fallback_text[language], "7", language, None, "fallback")


@lru_cache(maxsize=1)
def get_knowledge_base() -> KnowledgeBase:
    """Loaded once per process (the action server imports this module once)."""
    root = Path(os.environ.get("PRIVACY_KNOWLEDGE_DIR", _DEFAULT_KNOWLEDGE_DIR))
    return KnowledgeBase(root)


def answer_for_topic(topic: str, language: str, is_staff: bool, question: Optional[str] = None) -> Answer:
    return get_knowledge_base().answer_for_topic(topic, language, is_staff, question)


def search(question: str, language: str, limit: int = 3) -> List[SearchHit]:
    return get_knowledge_base().search(question, language, limit)


def answer_question(question: str, language: str, is_staff: bool = False) -> Answer:
    return get_knowledge_base().answer_question(question, language, is_staff)
