"""Language choice for the assistant: Swedish (sv), Norwegian Bokmål (nb) or English (en).

Pure Python on purpose (no rasa import), so that the CLI, the NLU component and the action server
share one implementation and the CLI starts fast.

How a message is judged (`detect`):
1. Tokens that carry no language (e-mail addresses, URLs, case references, numbers, dates) are removed.
2. Word evidence: distinctive function words and spellings per language from `bot/language_data/`
   (with spellings without diacritics derived), plus letter patterns (ä/ö vs æ/ø, "hv", "kk"/"ck", "th", "w").
3. Statistical evidence: pycld2 (Google's CLD2, its model is compiled into the wheel) restricted to our
   languages, with Danish, Norwegian and Nynorsk all counted as nb. langdetect, the named dependency,
   is used as a second voice only for longer messages, where it is reliable, because on one- or two-word
   Nordic chat it is mostly wrong (see bench/bench_language.py) and it costs ~20 ms a message.
The evidence is added up per language and normalised into `scores`; `confidence` is the best language's
share against the runner-up.

How a conversation's language is kept (`choose_language`): an explicit request ("in English please",
"snakk norsk") wins, and holds on later turns; then the channel/widget setting in the message metadata;
then, unless the message is short or ambiguous, what the text is written in; otherwise the previous
language stays.
"""

from __future__ import annotations

import functools
import re
import sys
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Dict, Iterable, List, Mapping, Optional, Tuple

LANGUAGES: Tuple[str, ...] = ("sv", "nb", "en")
DEFAULT_LANGUAGE = "en"

# A message needs at least this many words of its own (after removing references, e-mails, numbers)
# before it may change a conversation's language: "ja", "ok", "tack", "nei takk" never do.
MIN_WORDS_TO_SWITCH = 3
# detect() answers None when the best language has less than this share against the runner-up...
MIN_CONFIDENCE = 0.6
# ...or when the summed evidence is this weak (a single weak word is not enough).
MIN_EVIDENCE = 2.0

_DATA_DIR = Path(__file__).with_name("language_data")


@dataclass(frozen=True)
class Detection:
    """Result of `detect`: `language` is None when the text is too short or ambiguous to decide."""

    language: Optional[str]
    confidence: float
    scores: Dict[str, float] = field(default_factory=dict)


# --------------------------------------------------------------------------------------------------
# Normalisation
# --------------------------------------------------------------------------------------------------

_EMAIL_RE = re.compile(r"\b[\w.+-]+@[\w-]+(?:\.[\w-]+)+\b")
_URL_RE = re.compile(r"\b(?:https?://|www\.)\S+", re.IGNORECASE)
# Case references like PRV-2026-7K3Q-9CXM (tolerant of case, spaces and dashes), and any token with a digit.
# Same tolerance as the case_reference regex in data/nlu/entities.yml (separators or none, O/I/L for 0/1).
_CASE_REF_RE = re.compile(
    r"\b(?:prv|rec|inc|wbl)(?:[\s\-\u2010-\u2015_./]{0,3}[0-9oil]{4})(?:[\s\-\u2010-\u2015_./]{0,3}[0-9a-z]{4}){2}\b",
    re.IGNORECASE,
)
_DIGIT_TOKEN_RE = re.compile(r"\S*\d\S*")
_WORD_RE = re.compile(r"[^\W\d_]+(?:['’][^\W\d_]+)?")

_ASCII_FOLD = str.maketrans({"å": "a", "ä": "a", "ö": "o", "æ": "a", "ø": "o", "é": "e", "ü": "u"})


def _strip_non_language(text: str) -> str:
    """Remove parts of a message that say nothing about its language."""
    text = _URL_RE.sub(" ", text)
    text = _EMAIL_RE.sub(" ", text)
    text = _CASE_REF_RE.sub(" ", text)
    text = _DIGIT_TOKEN_RE.sub(" ", text)
    return text


def words(text: str) -> List[str]:
    """Lower-cased words of a message, without e-mails, URLs, case references and numbers."""
    cleaned = unicodedata.normalize("NFC", _strip_non_language(text)).lower().replace("’", "'")
    return _WORD_RE.findall(cleaned)


# --------------------------------------------------------------------------------------------------
# Word lists
# --------------------------------------------------------------------------------------------------


def _read_list(name: str) -> Dict[str, float]:
    entries: Dict[str, float] = {}
    for raw in (_DATA_DIR / name).read_text(encoding="utf-8").splitlines():
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        parts = line.split()
        word = parts[0].lower()
        weight = float(parts[1]) if len(parts) > 1 else 1.0
        entries[word] = max(weight, entries.get(word, 0.0))
    return entries


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
    per_language = {lang: _read_list(f"{lang}.txt") for lang in LANGUAGES}
    nordic = _read_list("nordic.txt")
    lexicon: Dict[str, Dict[str, float]] = {}

    def add(word: str, lang: str, weight: float) -> None:
        lexicon.setdefault(word, {})
        lexicon[word][lang] = max(weight, lexicon[word].get(lang, 0.0))

    for lang, entries in per_language.items():
        for word, weight in entries.items():
            add(word, lang, weight)
    for word, weight in nordic.items():
        add(word, "sv", weight)
        add(word, "nb", weight)
    # Spellings without diacritics, unless that spelling is already a word of a list ("när" -> "nar"
    # collides with "når" -> "nar", "här" -> "har" is a common word): then it says nothing.
    derived: Dict[str, Dict[str, float]] = {}
    for word, weights in list(lexicon.items()):
        for variant in _ascii_variants(word):
            for lang, weight in weights.items():
                derived.setdefault(variant, {})
                derived[variant][lang] = max(weight * 0.7, derived[variant].get(lang, 0.0))
    for variant, weights in derived.items():
        if variant in lexicon:
            continue
        if len(weights) > 1 and {"sv", "nb"} <= set(weights) and "en" not in weights:
            lexicon[variant] = weights  # both Nordic: still "not English"
        elif len(weights) == 1:
            lexicon[variant] = weights
    return lexicon


# Letter patterns: (regex on a single word, language, weight). Weak on purpose: tie-breakers.
_LETTER_PATTERNS: Tuple[Tuple[re.Pattern, str, float], ...] = (
    (re.compile(r"[äö]"), "sv", 1.5),
    (re.compile(r"[æø]"), "nb", 1.5),
    (re.compile(r"^hv"), "nb", 1.0),
    (re.compile(r"kk"), "nb", 0.4),
    (re.compile(r"ck"), "sv", 0.4),
    (re.compile(r"(?:sjon|sjonen|sjoner)$"), "nb", 0.8),
    (re.compile(r"(?:erna|arna|orna)$"), "sv", 0.8),
    (re.compile(r"(?:ene|ane)$"), "nb", 0.4),
    (re.compile(r"th"), "en", 0.8),
    (re.compile(r"w"), "en", 0.8),
    (re.compile(r"(?:ou|ea|ee|oo)"), "en", 0.3),
    (re.compile(r"(?:tion|ly)$"), "en", 0.3),
)


def _word_evidence(tokens: Iterable[str]) -> Tuple[Dict[str, float], float]:
    """Per-language evidence from the word lists and letter patterns, and how much evidence there is."""
    lexicon = _lexicon()
    evidence = {lang: 0.0 for lang in LANGUAGES}
    for token in tokens:
        known = lexicon.get(token)
        if known:
            for lang, weight in known.items():
                evidence[lang] += weight
            continue
        for pattern, lang, weight in _LETTER_PATTERNS:
            if pattern.search(token):
                evidence[lang] += weight
    return evidence, sum(evidence.values())


# --------------------------------------------------------------------------------------------------
# Statistical detectors (loaded lazily; both ship their models inside the wheel, no network)
# --------------------------------------------------------------------------------------------------

_CLD2_TO_OURS = {"sv": "sv", "no": "nb", "nn": "nb", "da": "nb", "en": "en"}
# langdetect has no Nynorsk/Bokmål split: "no" and "da" are both read as Norwegian (Danish is the
# most frequent confusion for short Norwegian text).
_LANGDETECT_TO_OURS = {"sv": "sv", "no": "nb", "da": "nb", "en": "en"}


def cld2_scores(text: str) -> Dict[str, float]:
    """pycld2's view, as shares over sv/nb/en (empty when it has no opinion or is not installed)."""
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
    """langdetect's probabilities mapped to sv/nb/en (other languages dropped)."""
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
    """langdetect's single best guess mapped to sv/nb/en; None for anything else (used by the bench)."""
    from langdetect import detect
    from langdetect.lang_detect_exception import LangDetectException

    _langdetect_factory()
    try:
        return _LANGDETECT_TO_OURS.get(detect(text))
    except LangDetectException:
        return None


# Weights of the statistical voices relative to one distinctive word (measured on tests/language_eval).
CLD2_WEIGHT = 2.5
LANGDETECT_WEIGHT = 1.5
LANGDETECT_MIN_WORDS = 6


def _analyse(text: str) -> Tuple[Dict[str, float], float, int]:
    """Combined evidence per language, amount of word evidence, and the number of words."""
    tokens = words(text)
    evidence, amount = _word_evidence(tokens)
    if not tokens:
        return evidence, 0.0, 0
    clean = " ".join(tokens)
    for lang, share in cld2_scores(clean).items():
        evidence[lang] += CLD2_WEIGHT * share
    if len(tokens) >= LANGDETECT_MIN_WORDS:
        for lang, share in langdetect_scores(clean).items():
            evidence[lang] += LANGDETECT_WEIGHT * share
    return evidence, amount, len(tokens)


def _normalise(evidence: Mapping[str, float]) -> Dict[str, float]:
    total = sum(max(v, 0.0) for v in evidence.values())
    if total <= 0:
        return {lang: 0.0 for lang in LANGUAGES}
    return {lang: round(max(evidence[lang], 0.0) / total, 4) for lang in LANGUAGES}


def detect(text: str) -> Detection:
    """Which of sv/nb/en a message is written in; language None when too short or ambiguous."""
    evidence, amount, n_words = _analyse(text)
    scores = _normalise(evidence)
    if n_words == 0:
        return Detection(None, 0.0, scores)
    ranked = sorted(LANGUAGES, key=lambda lang: scores[lang], reverse=True)
    best, runner_up = ranked[0], ranked[1]
    # Confidence is the best language's share against the runner-up only: a third language's share
    # (English loanwords in a Nordic sentence) should not make a clear sv-vs-nb call look unsure.
    pair = scores[best] + scores[runner_up]
    confidence = round(scores[best] / pair, 4) if pair > 0 else 0.0
    if confidence < MIN_CONFIDENCE or sum(evidence.values()) < MIN_EVIDENCE or (n_words <= 2 and amount <= 0):
        return Detection(None, confidence, scores)
    return Detection(best, confidence, scores)


def best_guess(text: str) -> str:
    """The most likely language of one message on its own, even a short one; "en" when nothing points."""
    evidence, _amount, n_words = _analyse(text)
    if n_words == 0 or sum(evidence.values()) <= 0:
        return DEFAULT_LANGUAGE
    # Ties go to en, then sv: the order of LANGUAGES reversed keeps max() stable on "en" first.
    return max(("en", "sv", "nb"), key=lambda lang: evidence[lang])


# --------------------------------------------------------------------------------------------------
# Explicit requests ("kan vi ta det på engelska?", "snakk norsk", "in English please")
# --------------------------------------------------------------------------------------------------

_LANGUAGE_NAMES: Dict[str, str] = {
    # Swedish
    "svenska": "sv", "svensk": "sv", "svenske": "sv", "swedish": "sv", "svenskt": "sv",
    # Norwegian (Nynorsk and Danish are answered in Bokmål)
    "norska": "nb", "norsk": "nb", "norske": "nb", "norwegian": "nb", "nynorsk": "nb", "bokmål": "nb",
    "bokmal": "nb", "bokmaal": "nb", "danska": "nb", "dansk": "nb", "danish": "nb",
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
        # "snakk norsk", "prata svenska", "byt till engelska", "skriv på norsk", "bytte til engelsk"
        r"\b(?:snakk|snakke|snakker|snakka|prat|prate|prata|pratar|tala|talar|skriv|skrive|skriva|svar|"
        r"svare|svara|byt|byta|byte|bytt|bytte|ta|tar|kör|køyr|kjør|fortsett|fortsätt|kan|forstår|"
        r"förstår)(?:\s+(?:du|dere|ni|vi|me))?(?:\s+(?:over|över))?(?:\s+(?:till|til|på|paa|pa|to|in))?\s+"
        + _NAME,
        # "english please", "norsk takk", "svenska tack", "english?" and a bare "English"
        r"^\W*" + _NAME + r"\s*(?:please|pls|plz|thanks|tack|takk|thx|,)?\W*(?:please|tack|takk)?\W*$",
        r"\b" + _NAME + r"\s+(?:please|pls|plz|tack|takk|thanks)\b",
        # "language: nb", "språk: svenska", "change language to english"
        r"\b(?:language|språk|språket|sprog)\b[^.?!]{0,20}?\b" + _NAME,
    )
)


def requested_language(text: str) -> Optional[str]:
    """The language the user explicitly asks to switch to, in any of our languages; else None."""
    lowered = unicodedata.normalize("NFC", text).lower()
    for pattern in _REQUEST_PATTERNS:
        match = pattern.search(lowered)
        if match:
            return _LANGUAGE_NAMES[match.group("name").lower()]
    return None


# --------------------------------------------------------------------------------------------------
# Channel / widget metadata
# --------------------------------------------------------------------------------------------------

_CODE_TO_OURS = {
    "sv": "sv", "swe": "sv", "nb": "nb", "no": "nb", "nn": "nb", "nob": "nb", "nno": "nb", "nor": "nb",
    "da": "nb", "en": "en", "eng": "en",
}


def language_from_code(code: Any) -> Optional[str]:
    """Map "sv", "nb", "no", "nn", "nb-NO", "nn_NO", "sv-SE", "en-US" ... to sv/nb/en; None otherwise."""
    if not isinstance(code, str) or not code.strip():
        return None
    primary = re.split(r"[-_.@]", code.strip().lower(), maxsplit=1)[0]
    return _CODE_TO_OURS.get(primary)


def language_from_metadata(metadata: Optional[Mapping[str, Any]]) -> Optional[str]:
    """The widget setting (`language`) or the channel locale (`locale`) of a message, mapped."""
    if not metadata or not isinstance(metadata, Mapping):
        return None
    for key in ("language", "locale"):
        found = language_from_code(metadata.get(key))
        if found:
            return found
    return None


# --------------------------------------------------------------------------------------------------
# The sticky rule
# --------------------------------------------------------------------------------------------------


def is_short(text: str) -> bool:
    """Too short to change a conversation's language ("ja", "ok", "tack", a code, an e-mail, a date)."""
    return len(words(text)) < MIN_WORDS_TO_SWITCH


def choose_language(
    previous: Optional[str],
    text: str,
    metadata: Optional[Mapping[str, Any]] = None,
    *,
    requested: Optional[str] = None,
    detection: Optional[Detection] = None,
    pinned: bool = False,
) -> str:
    """The conversation's language after this message.

    Order: an explicit request in the text; else, if the user's own earlier request pinned the
    language, it stays; else the channel/widget metadata; else the text's language when the
    message is long enough and the detection is confident; else the previous language (and with no
    previous language: the best guess of the text, "en" when nothing points elsewhere).

    `requested` and `detection` let the caller pass what the NLU component already found (the
    `language_requested` / `language_detected` entities); without them they are computed here.
    `pinned` says the previous language came from the user's explicit request: neither the channel default
    (which the widget sends again with every message) nor the language of later text undoes it; only
    another request does (the action un-pins when the widget setting itself changes).
    """
    if previous not in LANGUAGES:
        previous = None
    requested = requested if requested in LANGUAGES else requested_language(text)
    if requested:
        return requested
    if pinned and previous:
        return previous
    from_metadata = language_from_metadata(metadata)
    if from_metadata:
        return from_metadata
    if previous is None:
        if detection is not None and detection.language in LANGUAGES:
            return detection.language  # type: ignore[return-value]
        return best_guess(text)
    if is_short(text):
        return previous
    if detection is None:
        detection = detect(text)
    if detection.language in LANGUAGES:
        return detection.language  # type: ignore[return-value]
    return previous


# --------------------------------------------------------------------------------------------------
# CLI: one message per line on stdin -> one code per line on stdout (each line judged on its own)
# --------------------------------------------------------------------------------------------------


def main(argv: Optional[List[str]] = None) -> int:
    out = sys.stdout
    for line in sys.stdin:
        text = line.rstrip("\r\n")
        out.write(best_guess(text))
        out.write("\n")
    out.flush()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
