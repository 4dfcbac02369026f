"""Language choice for the assistant: Swedish (sv), Norwegian Bokmål (nb) or English (en).

Pure Python on purpose (no rasa import), so that the CLI, the NLU component and the action server
share one implementation and the CLI starts fast.

How a message is judged (`detect`, `best_guess`): in sv, nb, da (Danish) or en. Danish is recognised as
Danish, but a conversation's language stays sv/nb/en: Danish writers are answered in Norwegian.
1. Tokens that carry no language (e-mail addresses, URLs, case references, numbers, dates, button payloads
   such as "/request_access") are removed.
2. Word evidence: distinctive function words, chat words and phrases ("hej med dig", "i lige måde") per
   language from `bot/language_data/` (Nynorsk and dialect spellings count as Norwegian; spellings without
   diacritics derived), plus letter patterns (ä/ö vs æ/ø, "hv", "kk"/"ck", "th", "w"). A capital "I" in the
   middle of an otherwise Scandinavian message is Danish "you" ("hvad gemmer I om mig?"), else English.
3. Statistical evidence: pycld2 (Google's CLD2, its model is compiled into the wheel) restricted to our
   languages (Norwegian and Nynorsk count as nb, Danish as da), weighed lower on 1-3 words, where it is
   often wrong and one distinctive word should win. langdetect, the named dependency, is used
   as a second voice only for longer messages, where it is reliable, because on one- or two-word Nordic
   chat it is mostly wrong (see bench/bench_language.py) and it costs ~20 ms a message.
4. Nordic letters (å/ø/æ/ä/ö in a word that is not a capitalised name mid-sentence) or Scandinavian
   function words rule English out as far as the statistical voices go (CLD2 calls "Ka blir temperaturen
   i dag?" English); English words still count, so "My name is Jørgen and ..." stays English.
The evidence is added up per language. Norwegian and Danish are one group for the confidence (their
shared words would otherwise make a clear Nordic message look unsure); `confidence` is the best group's
share against the runner-up. Within the group, a message is Danish only with Danish-only evidence
("hvad", "gerne", "tak", "spørgsmål"), or words it shares with Swedish ("mig", "nej") together with words
it shares with Norwegian ("jeg", "er": "det er mig"), and more of it than Norwegian: a Norwegian must not
be told that they write Danish, and a word two languages share never decides alone.

How a conversation's language is kept (`choose` / `choose_language`):
- an explicit request in the text ("kan vi ta det på svenska?", "snakk norsk", "in English please") wins,
  and holds on later turns (pinned) until the user asks again or changes the widget setting;
- the widget's explicit language choice (`metadata.language`, sent only when the user picked a language in
  its selector) pins the language too;
- a message of MIN_WORDS_TO_SWITCH (4) or more words of its own that is confidently in one of our languages
  (Danish: nb) decides, at any turn;
- the channel/browser locale (`metadata.locale`: the widget on "automatic", the Teams client) is only a prior:
  it decides the first message when that is short or unclear, and is ignored after that;
- otherwise the previous language stays (on the first message: the best guess of the text).
"""

from __future__ import annotations

import functools
import re
import sys
import unicodedata
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Dict, Iterable, List, Mapping, Optional, Sequence, Tuple

# The languages (LANGUAGES: the `language` slot's values; DETECTED: plus Danish, answered in Norwegian) are
# basics.languages, shared with the action server and the backend.
from basics.languages import (
    DEFAULT_LANGUAGE,
    DETECTED,
    LANGUAGES,
    REPLY_LANGUAGE_FOR,
    detected_from_code,
    language_from_code,
)
from basics.references import REFERENCE_SHAPE_RE

# A message needs at least this many words of its own (after removing references, e-mails, numbers)
# before it may change a conversation's language: "ja", "ok", "tack", "nei takk", "hur mår du" never do.
MIN_WORDS_TO_SWITCH = 4
# detect() answers None when the best language has less than this share against the runner-up...
MIN_CONFIDENCE = 0.6
# ...or when the summed evidence is this weak (a single weak word is not enough).
MIN_EVIDENCE = 2.0
# Scandinavian evidence (function words, lower-case words with å/ø/æ/ä/ö) from which the statistical
# voices may no longer call a message English.
NORDIC_RULES_OUT_ENGLISH = 2.0
# Danish-only evidence (one clearly Danish word: "hvad", "gerne", "tak", "spørgsmål") a message needs
# before it is called Danish rather than Norwegian.
MIN_DANISH_EVIDENCE = 2.0

_DATA_DIR = Path(__file__).with_name("language_data")


@dataclass(frozen=True)
class Detection:
    """Result of `detect`: `language` (sv/nb/da/en) is None when the text is too short or ambiguous."""

    language: Optional[str]
    confidence: float
    scores: Dict[str, float] = field(default_factory=dict)


# --------------------------------------------------------------------------------------------------
# Normalisation
# --------------------------------------------------------------------------------------------------

_EMAIL_RE = re.compile(r"\b[\w.+-]+@[\w-]+(?:\.[\w-]+)+\b")
_URL_RE = re.compile(r"\b(?:https?://|www\.)\S+", re.IGNORECASE)
# Case references (basics.references, tolerant of case and separators), and any token with a digit.
_DIGIT_TOKEN_RE = re.compile(r"\S*\d\S*")
_WORD_RE = re.compile(r"[^\W\d_]+(?:['’][^\W\d_]+)?")
_SENTENCE_END_RE = re.compile(r"(?:^|[.!?:;\n]\W*)$")
_NORDIC_LETTERS_RE = re.compile(r"[åäöæø]")

_ASCII_FOLD = str.maketrans({"å": "a", "ä": "a", "ö": "o", "æ": "a", "ø": "o", "é": "e", "ü": "u"})


# A button payload ("/request_access", '/inform{"withdrawal_target": "application"}'): the intent and entity
# names are English identifiers, not the user's words, and must not switch a Swedish conversation.
_PAYLOAD_RE = re.compile(r"^\s*/[\w.-]+\s*(?:\{.*\}|\[.*\])?\s*$", re.DOTALL)


def _strip_non_language(text: str) -> str:
    """Remove parts of a message that say nothing about its language."""
    if _PAYLOAD_RE.match(text):
        return ""
    text = _URL_RE.sub(" ", text)
    text = _EMAIL_RE.sub(" ", text)
    text = REFERENCE_SHAPE_RE.sub(" ", text)
    text = _DIGIT_TOKEN_RE.sub(" ", text)
    return text


@dataclass(frozen=True)
class _Token:
    word: str  # lower-cased
    raw: str  # as written
    name_like: bool  # capitalised in the middle of a sentence ("Jørgen", "Tromsø"): probably a name
    sentence_start: bool = False  # first word of a sentence ("I dag ...": Nordic "in", not Danish "you")


def _tokens(text: str) -> List[_Token]:
    cleaned = unicodedata.normalize("NFC", _strip_non_language(text)).replace("’", "'")
    found: List[_Token] = []
    for match in _WORD_RE.finditer(cleaned):
        raw = match.group(0)
        capitalised = len(raw) > 1 and raw[0].isupper() and raw[1:] == raw[1:].lower()
        sentence_start = bool(_SENTENCE_END_RE.search(cleaned[: match.start()]))
        found.append(_Token(raw.lower(), raw, capitalised and not sentence_start, sentence_start))
    return found


def words(text: str) -> List[str]:
    """Lower-cased words of a message, without e-mails, URLs, case references and numbers."""
    return [token.word for token in _tokens(text)]


# --------------------------------------------------------------------------------------------------
# Word lists
# --------------------------------------------------------------------------------------------------

# File name (without .txt) -> the languages its words point to; other names are "<lang>+<lang>".
_LIST_LANGUAGES: Dict[str, Tuple[str, ...]] = {"nordic": ("sv", "nb", "da")}


def _read_list(name: str, languages: Sequence[str]) -> Dict[str, Dict[str, float]]:
    """word -> {language: weight}; a line is `word`, `word weight` or `word weight-per-language...`."""
    entries: Dict[str, Dict[str, float]] = {}
    for raw in (_DATA_DIR / name).read_text(encoding="utf-8").splitlines():
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        parts = line.split()
        # "hej_med_dig": a phrase of several words (matched on consecutive words, see _evidence_of)
        word = unicodedata.normalize("NFC", parts[0].lower()).replace("_", " ")
        weights = [float(p) for p in parts[1:]] or [1.0]
        if len(weights) == 1:
            weights = weights * len(languages)
        if len(weights) != len(languages):
            raise ValueError(f"{name}: {line!r} needs 1 or {len(languages)} weights")
        known = entries.setdefault(word, {})
        for lang, weight in zip(languages, weights):
            known[lang] = max(weight, known.get(lang, 0.0))
    return entries


def _list_files() -> List[Tuple[str, Tuple[str, ...]]]:
    files = []
    for path in sorted(_DATA_DIR.glob("*.txt")):
        languages = _LIST_LANGUAGES.get(path.stem) or tuple(path.stem.split("+"))
        if not set(languages) <= set(DETECTED):
            raise ValueError(f"{path.name}: unknown language in the file name")
        files.append((path.name, languages))
    return files


def _ascii_variants(word: str) -> List[str]:
    """How a word is typed without Nordic letters: ä→a, ö→o, å→a/aa, æ→ae/a, ø→o/oe."""
    if word.isascii():
        return []
    variants = {word.translate(_ASCII_FOLD)}
    variants.add(word.replace("æ", "ae").replace("ø", "oe").replace("å", "aa").translate(_ASCII_FOLD))
    variants.discard(word)
    return sorted(variants)


@functools.lru_cache(maxsize=1)
def _lexicon() -> Dict[str, Dict[str, float]]:
    """word -> {language: weight}. Loaded once; ~1 ms."""
    lexicon: Dict[str, Dict[str, float]] = {}
    for name, languages in _list_files():
        for word, weights in _read_list(name, languages).items():
            known = lexicon.setdefault(word, {})
            for lang, weight in weights.items():
                known[lang] = max(weight, known.get(lang, 0.0))
    # Spellings without diacritics, unless that spelling is already a word of a list ("när" -> "nar"
    # collides with "når" -> "nar", "här" -> "har" is a common word): then it says nothing.
    derived: Dict[str, Dict[str, float]] = {}
    for word, weights in list(lexicon.items()):
        for variant in _ascii_variants(word):
            for lang, weight in weights.items():
                derived.setdefault(variant, {})
                derived[variant][lang] = max(weight * 0.7, derived[variant].get(lang, 0.0))
    for variant, weights in derived.items():
        if variant not in lexicon and "en" not in weights:
            lexicon[variant] = weights  # one or more Nordic languages: still "not English"
    return lexicon


@functools.lru_cache(maxsize=1)
def _phrases() -> Dict[str, Dict[str, float]]:
    """The word lists' phrases ("hej med dig", "i lige måde"): evidence on top of their words' own."""
    return {entry: weights for entry, weights in _lexicon().items() if " " in entry}


@functools.lru_cache(maxsize=1)
def _longest_phrase() -> int:
    """The most words in one phrase of the word lists ("tak skal du have": 4), read from the lists."""
    return max((entry.count(" ") + 1 for entry in _phrases()), default=1)


# "i" is English "I" when written as a capital (or Danish "I", you), and "in" in all Nordic languages:
# lower-case "i" is typed in English chat too, so it says little.
_CAPITAL_I = {"en": 1.5, "da": 0.5}
_DANISH_CAPITAL_I = {"da": 2.5}
_LOWER_I = {"sv": 0.6, "nb": 0.6, "da": 0.6, "en": 0.6}

# Letter patterns: (regex on a single word, {language: weight}). Weak on purpose: tie-breakers.
_LETTER_PATTERNS: Tuple[Tuple[re.Pattern, Dict[str, float]], ...] = (
    (re.compile(r"[äö]"), {"sv": 1.5}),
    (re.compile(r"[æø]"), {"nb": 1.5, "da": 1.5}),
    (re.compile(r"å"), {"sv": 0.75, "nb": 0.75, "da": 0.75}),
    (re.compile(r"^hv"), {"nb": 1.0, "da": 1.0}),
    (re.compile(r"kk"), {"nb": 0.4}),
    (re.compile(r"ck"), {"sv": 0.4}),
    (re.compile(r"(?:sjon|sjonen|sjoner)$"), {"nb": 0.8}),
    (re.compile(r"(?:erna|arna|orna)$"), {"sv": 0.8}),
    (re.compile(r"(?:ene|ane)$"), {"nb": 0.4}),
    (re.compile(r"(?:erne|hed|heden|gning)$"), {"da": 0.6}),
    (re.compile(r"igt$"), {"sv": 0.6, "da": 0.6}),  # "roligt", "hyggeligt": Norwegian writes "-ig"
    (re.compile(r"th"), {"en": 0.8}),
    (re.compile(r"w"), {"en": 0.8}),
    (re.compile(r"(?:ou|ea|ee|oo)"), {"en": 0.3}),
    (re.compile(r"(?:tion|ly)$"), {"en": 0.3}),
)
# A capitalised word with Nordic letters in the middle of a sentence is probably a name ("Jørgen",
# "Tromsø", "Åsa"): its letters count this much, and do not rule English out.
NAME_LETTER_FACTOR = 0.25


@dataclass
class _WordEvidence:
    scores: Dict[str, float]  # per DETECTED language
    amount: float  # how much word-list and letter evidence there is
    nordic: float  # evidence that the message is Scandinavian (not English)
    danish: float  # evidence for Danish over Norwegian


class _DanishTally:
    """Danish-only evidence. A word Danish shares with Swedish ("mig", "hej", "nej") rules Norwegian out but
    not Swedish, one it shares with Norwegian ("jeg", "ikke", "er") rules Swedish out but not Norwegian:
    neither decides alone, but the two together ("det er mig", "send mig en kopi") leave only Danish."""

    def __init__(self) -> None:
        self.only = 0.0  # Danish-only words, and the Danish surplus of nb+da words ("ved")
        self.not_norwegian = 0.0  # Danish weight of words shared with Swedish only
        self.not_swedish = 0.0  # Danish weight of words shared with Norwegian only

    def add(self, weights: Mapping[str, float], factor: float) -> None:
        da, nb, sv = weights.get("da", 0.0), weights.get("nb", 0.0), weights.get("sv", 0.0)
        if da <= 0:
            return
        if sv <= 0 and nb <= 0:
            self.only += da * factor
        elif sv <= 0:
            self.only += max(0.0, da - nb) * factor
            self.not_swedish += da * factor
        elif nb <= 0:
            self.not_norwegian += da * factor

    @property
    def combined(self) -> float:
        return min(self.not_norwegian, self.not_swedish)

    @property
    def total(self) -> float:
        return self.only + self.combined


def _word_evidence(tokens: Iterable[Any]) -> Tuple[Dict[str, float], float]:
    """Per-language evidence from the word lists and letter patterns, and how much evidence there is
    (tokens: lower-case words, or _Token)."""
    found = _evidence_of(tokens)
    return found.scores, found.amount


def _evidence_of(tokens: Iterable[Any]) -> _WordEvidence:
    lexicon = _lexicon()
    scores = {lang: 0.0 for lang in DETECTED}
    nordic = 0.0
    danish = _DanishTally()

    def add(weights: Mapping[str, float], factor: float = 1.0) -> None:
        for lang, weight in weights.items():
            scores[lang] += weight * factor
        danish.add(weights, factor)

    tokens = [item if isinstance(item, _Token) else _Token(str(item), str(item), False) for item in tokens]
    # Phrases ("hej med dig" is Danish, a Swede says "hej på dig") count on top of their words.
    phrases = _phrases()
    lowered = [token.word for token in tokens]
    for size in range(2, _longest_phrase() + 1):
        for start in range(len(lowered) - size + 1):
            known = phrases.get(" ".join(lowered[start:start + size]))
            if known:
                add(known)
                if "en" not in known:
                    nordic += max(known.values())
    capital_i = 0
    for token in tokens:
        if token.word == "i":
            if token.raw == "I" and not token.sentence_start:
                capital_i += 1  # judged below, once the rest of the message is known
            elif token.raw == "I":
                add(_CAPITAL_I)
            else:
                add(_LOWER_I)
            continue
        known = lexicon.get(token.word)
        if known:
            add(known)
            if "en" not in known:
                nordic += max(known.values())
            continue
        has_nordic_letters = bool(_NORDIC_LETTERS_RE.search(token.word))
        factor = NAME_LETTER_FACTOR if (token.name_like and has_nordic_letters) else 1.0
        if has_nordic_letters and factor == 1.0:
            nordic += 1.5
        for pattern, weights in _LETTER_PATTERNS:
            if pattern.search(token.word):
                add(weights, factor)
    # "I" is English "I", or Danish "I" (you, plural: "hvad gemmer I om mig?"), which is what it is in a
    # message that is otherwise clearly Scandinavian.
    danish_i = nordic >= NORDIC_RULES_OUT_ENGLISH and scores["en"] < nordic
    for _ in range(capital_i):
        add(_DANISH_CAPITAL_I if danish_i else _CAPITAL_I)
    # The combination is evidence for Danish over both neighbours, beyond each word's own weight.
    scores["da"] += danish.combined
    amount = sum(scores.values())
    return _WordEvidence(scores, amount, nordic, danish.total)


# --------------------------------------------------------------------------------------------------
# Statistical detectors (loaded lazily; both ship their models inside the wheel, no network)
# --------------------------------------------------------------------------------------------------

_CLD2_TO_OURS = {"sv": "sv", "no": "nb", "nn": "nb", "da": "da", "en": "en"}
# langdetect has no Nynorsk/Bokmål split ("no"); it calls short Norwegian Danish often, which is one
# reason it only speaks for longer messages here.
_LANGDETECT_TO_OURS = {"sv": "sv", "no": "nb", "da": "da", "en": "en"}


def cld2_scores(text: str) -> Dict[str, float]:
    """pycld2's view, as shares over sv/nb/da/en (empty when it has no opinion or is not installed)."""
    try:
        import pycld2
    except ImportError:  # optional: the word evidence still works
        return {}
    try:
        _reliable, _bytes, details = pycld2.detect(text, bestEffort=True)
    except pycld2.error:
        return {}
    shares: Dict[str, float] = {}
    for _name, code, percent, score in details:
        ours = _CLD2_TO_OURS.get(code)
        if ours and percent > 0:
            shares[ours] = shares.get(ours, 0.0) + percent / 100.0
    return shares


@functools.lru_cache(maxsize=1)
def _langdetect_factory() -> Any:
    from langdetect import DetectorFactory
    from langdetect.detector_factory import init_factory

    DetectorFactory.seed = 0  # deterministic answers
    init_factory()
    return DetectorFactory


def langdetect_scores(text: str) -> Dict[str, float]:
    """langdetect's probabilities mapped to sv/nb/da/en (other languages dropped)."""
    from langdetect import detect_langs
    from langdetect.lang_detect_exception import LangDetectException

    _langdetect_factory()
    try:
        found = detect_langs(text)
    except LangDetectException:
        return {}
    shares: Dict[str, float] = {}
    for item in found:
        ours = _LANGDETECT_TO_OURS.get(item.lang)
        if ours:
            shares[ours] = shares.get(ours, 0.0) + item.prob
    return shares


def langdetect_language(text: str) -> Optional[str]:
    """langdetect's single best guess mapped to sv/nb/da/en; None for anything else (used by the bench)."""
    from langdetect import detect
    from langdetect.lang_detect_exception import LangDetectException

    _langdetect_factory()
    try:
        return _LANGDETECT_TO_OURS.get(detect(text))
    except LangDetectException:
        return None


# Weights of the statistical voices relative to one distinctive word (measured on tests/language_eval).
CLD2_WEIGHT = 2.5
# On 1-3 words CLD2 is right only about three times in four (bench/bench_language.py): there it breaks ties
# and speaks for words the lists do not know, but does not outvote one distinctive word.
CLD2_SHORT_WEIGHT = 1.5
LANGDETECT_WEIGHT = 1.5
LANGDETECT_MIN_WORDS = 6
# How much CLD2's "Danish, not Norwegian" counts as Danish-only word evidence (see MIN_DANISH_EVIDENCE).
CLD2_DANISH_WEIGHT = 1.0


@dataclass
class _Analysis:
    evidence: Dict[str, float]  # per DETECTED language, all voices
    amount: float  # word-list and letter evidence
    n_words: int
    danish: float  # Danish-only word evidence

    def groups(self) -> Dict[str, float]:
        """Evidence per conversation language, Norwegian and Danish as one: the Danish evidence when the
        message is Danish, else the Norwegian (their shared words count once; evidence that only looks Danish,
        such as CLD2 calling "hej" Danish, does not make a Swedish greeting Norwegian)."""
        ev = self.evidence
        return {"sv": ev["sv"], "nb": ev["da"] if self.is_danish() else ev["nb"], "en": ev["en"]}

    def is_danish(self) -> bool:
        return self.danish >= MIN_DANISH_EVIDENCE and self.evidence["da"] > self.evidence["nb"]


def _base_analysis(text: str) -> Tuple[_Analysis, str, bool]:
    """Every voice but langdetect's: (the analysis, the text without tokens that carry no language, whether
    English is ruled out for the statistical voices)."""
    tokens = _tokens(text)
    found = _evidence_of(tokens)
    evidence = dict(found.scores)
    if not tokens:
        return _Analysis(evidence, 0.0, 0, 0.0), "", False
    clean = " ".join(token.word for token in tokens)
    not_english = found.nordic >= NORDIC_RULES_OUT_ENGLISH
    cld2 = cld2_scores(clean)
    _add_voice(evidence, CLD2_SHORT_WEIGHT if len(tokens) < MIN_WORDS_TO_SWITCH else CLD2_WEIGHT, cld2, not_english)
    # CLD2 tells Danish from Norwegian well (it never called a message of tests/language_eval/nb.tsv Danish),
    # so its own call counts towards the Danish-only evidence; langdetect's does not (it calls short
    # Norwegian Danish).
    danish = found.danish + CLD2_DANISH_WEIGHT * max(0.0, cld2.get("da", 0.0) - cld2.get("nb", 0.0))
    return _Analysis(evidence, found.amount, len(tokens), danish), clean, not_english


def _add_voice(evidence: Dict[str, float], weight: float, shares: Mapping[str, float], not_english: bool) -> None:
    for lang, share in shares.items():
        if lang == "en" and not_english:
            continue
        evidence[lang] += weight * share


def _with_langdetect(analysis: _Analysis, clean: str, not_english: bool) -> _Analysis:
    evidence = dict(analysis.evidence)
    _add_voice(evidence, LANGDETECT_WEIGHT, langdetect_scores(clean), not_english)
    return replace(analysis, evidence=evidence)


def _analyse(text: str, min_confidence: Optional[float] = None) -> _Analysis:
    """All the voices. With `min_confidence` (detect's threshold), langdetect's only when it could change
    detect's answer (`_langdetect_cannot_change`); without, whenever the message is long enough (best_guess)."""
    analysis, clean, not_english = _base_analysis(text)
    if analysis.n_words >= LANGDETECT_MIN_WORDS and (
            min_confidence is None or not _langdetect_cannot_change(analysis, not_english, min_confidence)):
        analysis = _with_langdetect(analysis, clean, not_english)
    return analysis


def _langdetect_cannot_change(analysis: _Analysis, not_english: bool, min_confidence: float) -> bool:
    """Whether langdetect's vote cannot change what `detect` answers (the language, and whether it is at least
    `min_confidence`), so its ~20 ms need not be spent (issue 11: a tenth of Rasa's time per message).

    Why this is exact: langdetect adds LANGDETECT_WEIGHT x its probabilities to sv/nb/da/en (not en when English
    is ruled out), which sum to at most 1: its vote is a point of the simplex spanned by no vote and the whole
    weight on one language. With no Danish-only evidence (`is_danish` is then False whatever the vote), "L, with
    confidence >= t" is a set of linear inequalities in the vote (L's group at least t/(1-t) times each other
    group's, the rounding included; the evidence sum only grows), so a convex set: if no vote and each corner
    give L with that confidence, so does every vote langdetect can cast."""
    base = _decide(analysis)
    if base.language is None or base.confidence < min_confidence or analysis.danish >= MIN_DANISH_EVIDENCE:
        return False
    reach = LANGDETECT_WEIGHT * (1.0 + 1e-9)  # its probabilities may sum to 1 plus a rounding error
    for lang in DETECTED:
        if lang == "en" and not_english:
            continue
        evidence = dict(analysis.evidence)
        evidence[lang] += reach
        corner = _decide(replace(analysis, evidence=evidence))
        if corner.language != base.language or corner.confidence < min_confidence:
            return False
    return True


def _normalise(evidence: Mapping[str, float], languages: Sequence[str]) -> Dict[str, float]:
    total = sum(max(evidence[lang], 0.0) for lang in languages)
    if total <= 0:
        return {lang: 0.0 for lang in languages}
    return {lang: round(max(evidence[lang], 0.0) / total, 4) for lang in languages}


def detect(text: str, min_confidence: float = MIN_CONFIDENCE) -> Detection:
    """Which of sv/nb/da/en a message is written in; language None when too short or ambiguous.
    `scores` are shares over sv/nb/da/en; `confidence` is the best of sv / nb+da / en against the runner-up.
    `min_confidence`: the caller's own threshold (at least MIN_CONFIDENCE); langdetect is only asked when its
    vote could change the language or which side of that threshold the confidence falls (then `confidence`
    and `scores` are computed without it)."""
    return _decide(_analyse(text, max(min_confidence, MIN_CONFIDENCE)))


def _decide(analysis: _Analysis) -> Detection:
    """`detect`'s answer from the evidence."""
    scores = _normalise(analysis.evidence, DETECTED)
    if analysis.n_words == 0:
        return Detection(None, 0.0, scores)
    groups = analysis.groups()
    ranked = sorted(LANGUAGES, key=lambda lang: groups[lang], reverse=True)
    best, runner_up = ranked[0], ranked[1]
    # Confidence is the best language's share against the runner-up only: a third language's share
    # (English loanwords in a Nordic sentence) should not make a clear sv-vs-nb call look unsure.
    pair = groups[best] + groups[runner_up]
    confidence = round(groups[best] / pair, 4) if pair > 0 else 0.0
    if (
        confidence < MIN_CONFIDENCE
        or sum(groups.values()) < MIN_EVIDENCE
        or analysis.amount <= 0  # the statistical voices alone ("GDPR DSAR SAR request") do not decide
    ):
        return Detection(None, confidence, scores)
    if best == "nb" and analysis.is_danish():
        best = "da"
    return Detection(best, confidence, scores)


def best_guess(text: str) -> str:
    """The most likely language (sv/nb/da/en) of one message on its own, even a short one; "en" when
    nothing points elsewhere."""
    analysis = _analyse(text)
    groups = analysis.groups()
    if analysis.n_words == 0 or sum(groups.values()) <= 0:
        return DEFAULT_LANGUAGE
    # Ties go to en, then sv: the order below keeps max() stable on "en" first.
    best = max(("en", "sv", "nb"), key=lambda lang: groups[lang])
    if best == "nb" and analysis.is_danish():
        return "da"
    return best


# --------------------------------------------------------------------------------------------------
# Explicit requests ("kan vi ta det på engelska?", "snakk norsk", "in English please")
# --------------------------------------------------------------------------------------------------

_LANGUAGE_NAMES: Dict[str, str] = {
    # Swedish
    "svenska": "sv", "svensk": "sv", "svenske": "sv", "swedish": "sv", "svenskt": "sv",
    # Norwegian (Nynorsk is answered in Bokmål)
    "norska": "nb", "norsk": "nb", "norske": "nb", "norwegian": "nb", "nynorsk": "nb", "bokmål": "nb",
    "bokmal": "nb", "bokmaal": "nb",
    # Danish (answered in Norwegian)
    "danska": "da", "dansk": "da", "danske": "da", "danish": "da",
    # English
    "engelska": "en", "engelsk": "en", "engelske": "en", "english": "en", "eng": "en",
}
_NAME = r"(?P<name>" + "|".join(sorted(map(re.escape, _LANGUAGE_NAMES), key=len, reverse=True)) + r")\b"
_REQUEST_PATTERNS: Tuple[re.Pattern, ...] = tuple(
    re.compile(p, re.IGNORECASE)
    for p in (
        # "på svenska", "paa norsk", "in English", "på nynorsk"
        r"\b(?:på|paa|pa|in|på\s+ren)\s+" + _NAME,
        # "speak Norwegian", "switch to English", "answer in Swedish", "prefer english"
        r"\b(?:speak|talk|write|answer|reply|respond|continue|switch|change|prefer|use|go)"
        r"(?:\s+(?:back|over))?(?:\s+(?:to|in|into))?\s+" + _NAME,
        # "snakk norsk", "prata svenska", "byt till engelska", "skriv på norsk", "bytte til engelsk", "tale dansk"
        r"\b(?:snakk|snakke|snakker|snakka|snak|prat|prate|prata|pratar|tala|talar|tale|taler|skriv|skrive|"
        r"skriva|svar|svare|svara|byt|byta|byte|bytt|bytte|skift|skifte|ta|tar|kör|køyr|kjør|fortsett|"
        r"fortsätt|fortsæt|kan|forstår|förstår)(?:\s+(?:du|dere|ni|vi|me|i))?(?:\s+(?:over|över))?"
        r"(?:\s+(?:till|til|på|paa|pa|to|in))?\s+" + _NAME,
        # "english please", "norsk takk", "svenska tack", "english?" and a bare "English"
        r"^\W*" + _NAME + r"\s*(?:please|pls|plz|thanks|tack|takk|tak|thx|,)?\W*(?:please|tack|takk|tak)?\W*$",
        r"\b" + _NAME + r"\s+(?:please|pls|plz|tack|takk|tak|thanks)\b",
        # "language: nb", "språk: svenska", "change language to english"
        r"\b(?:language|språk|språket|sprog|sproget)\b[^.?!]{0,20}?\b" + _NAME,
    )
)


def requested_code(text: str) -> Optional[str]:
    """The language the user explicitly asks for, as sv/nb/da/en ("dansk" is da); else None."""
    lowered = unicodedata.normalize("NFC", text).lower()
    for pattern in _REQUEST_PATTERNS:
        match = pattern.search(lowered)
        if match:
            return _LANGUAGE_NAMES[match.group("name").lower()]
    return None


def requested_language(text: str) -> Optional[str]:
    """The language the user explicitly asks to switch to, in any of our languages, as sv/nb/en (a request
    for Danish is answered in Norwegian); else None."""
    code = requested_code(text)
    return REPLY_LANGUAGE_FOR[code] if code else None


# --------------------------------------------------------------------------------------------------
# Channel / widget metadata
# --------------------------------------------------------------------------------------------------

def widget_language(metadata: Optional[Mapping[str, Any]]) -> Optional[str]:
    """The widget's explicit language choice (`metadata.language`, sent only when the user picked one)."""
    if not metadata or not isinstance(metadata, Mapping):
        return None
    return language_from_code(metadata.get("language"))


def locale_language(metadata: Optional[Mapping[str, Any]]) -> Optional[str]:
    """The channel or browser locale (`metadata.locale`), mapped to sv/nb/en: a prior, not a choice."""
    if not metadata or not isinstance(metadata, Mapping):
        return None
    return language_from_code(metadata.get("locale"))


def language_from_metadata(metadata: Optional[Mapping[str, Any]]) -> Optional[str]:
    """The widget setting (`language`), else the channel locale (`locale`) of a message, mapped. (A fallback
    for code that has no `language` slot; the slot itself follows `choose`.)"""
    return widget_language(metadata) or locale_language(metadata)


# --------------------------------------------------------------------------------------------------
# The rule for a conversation
# --------------------------------------------------------------------------------------------------


def is_short(text: str) -> bool:
    """Too short to change a conversation's language ("ja", "ok", "tack", a code, an e-mail, a date)."""
    return len(words(text)) < MIN_WORDS_TO_SWITCH


@dataclass(frozen=True)
class Choice:
    """The conversation's language after a message, and why.

    source: "request" (explicit request in the text), "pinned" (an earlier request holds), "widget" (the
    widget's explicit setting), "text" (a long enough, confidently detected message), "locale" (the channel
    locale, first message only), "guess" (the first message's best guess) or "previous".
    danish: the reply is Norwegian because the user writes Danish (or asked for Danish, or has a Danish
    locale on a short first message); the assistant says so once.
    """

    language: str
    source: str
    danish: bool = False


def choose(
    previous: Optional[str],
    text: str,
    metadata: Optional[Mapping[str, Any]] = None,
    *,
    requested: Optional[str] = None,
    detection: Optional[Detection] = None,
    pinned: bool = False,
    text_may_switch: bool = True,
) -> Choice:
    """The conversation's language after this message (see the module docstring for the rule).

    `previous` is the language before this message (None on the first message). `requested` and
    `detection` let the caller pass what the NLU component already found (the `language_requested` /
    `language_detected` entities); without them they are computed here. `pinned` says the previous
    language came from the user's explicit request (see `is_pinned`): neither the widget's unchanged
    setting nor the language of later text undoes it; only another request does. `text_may_switch` False:
    the message answers a question whose answer is a name, a company, a job title or an address
    ("Rådgiver, Amesto Accounthouse AS"), which says nothing about the language the user reads.
    """
    if previous not in LANGUAGES:
        previous = None
    code = requested_code(text)
    if requested in DETECTED and (code is None or REPLY_LANGUAGE_FOR[code] != REPLY_LANGUAGE_FOR[requested]):
        code = requested  # the NLU component's entity wins; the text still tells that Danish was asked for
    if code:
        return Choice(REPLY_LANGUAGE_FOR[code], "request", danish=code == "da")
    if pinned and previous:
        return Choice(previous, "pinned")
    widget = widget_language(metadata)
    if widget:
        return Choice(widget, "widget")
    if text_may_switch and not is_short(text):
        if detection is None or detection.language not in DETECTED:
            detection = detect(text)
        if detection.language in DETECTED:
            return Choice(REPLY_LANGUAGE_FOR[detection.language], "text", danish=detection.language == "da")
    if previous is not None:
        return Choice(previous, "previous")
    locale = detected_from_code((metadata or {}).get("locale")) if isinstance(metadata, Mapping) else None
    if locale:
        return Choice(REPLY_LANGUAGE_FOR[locale], "locale", danish=locale == "da")
    if detection is not None and detection.language in DETECTED:
        guess = detection.language
    else:
        guess = best_guess(text)
    return Choice(REPLY_LANGUAGE_FOR[guess], "guess", danish=guess == "da")


def choose_language(
    previous: Optional[str],
    text: str,
    metadata: Optional[Mapping[str, Any]] = None,
    *,
    requested: Optional[str] = None,
    detection: Optional[Detection] = None,
    pinned: bool = False,
) -> str:
    """The conversation's language (sv/nb/en) after this message: `choose(...).language`."""
    return choose(previous, text, metadata, requested=requested, detection=detection, pinned=pinned).language


def is_pinned(
    earlier: Sequence[Tuple[Optional[str], Optional[Mapping[str, Any]]]],
    previous: Optional[str],
    metadata: Optional[Mapping[str, Any]],
) -> bool:
    """True when the user's latest explicit request set `previous` and the widget's explicit setting has
    not changed since. `earlier`: (requested language or None, metadata) of each earlier user message,
    oldest first. The widget resends its setting (or the locale) with every message, so only a change of
    the setting is a new choice; a changing locale is not."""
    for requested, earlier_metadata in reversed(earlier):
        if requested:
            return requested == previous and widget_language(earlier_metadata) == widget_language(metadata)
    return False


def follow_conversation(turns: Iterable[Tuple[str, Optional[Mapping[str, Any]]]]) -> List[Choice]:
    """The choice after each user message (text, metadata) of a conversation, kept the way
    actions/language.py keeps the `language` slot (used by the bench and tests)."""
    earlier: List[Tuple[Optional[str], Optional[Mapping[str, Any]]]] = []
    previous: Optional[str] = None
    choices: List[Choice] = []
    for text, metadata in turns:
        choice = choose(previous, text, metadata, pinned=is_pinned(earlier, previous, metadata))
        choices.append(choice)
        earlier.append((requested_language(text), metadata))
        previous = choice.language
    return choices


# --------------------------------------------------------------------------------------------------
# CLI: one message per line on stdin -> one code per line on stdout (each line judged on its own)
# --------------------------------------------------------------------------------------------------


def main(argv: Optional[List[str]] = None) -> int:
    """Prints sv, nb, da or en per line (Danish is recognised here; a conversation answers it in nb)."""
    out = sys.stdout
    for line in sys.stdin:
        text = line.rstrip("\r\n")
        out.write(best_guess(text))
        out.write("\n")
    out.flush()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
