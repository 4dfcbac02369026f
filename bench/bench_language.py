"""Language detection benchmark: accuracy by message length and language, conversation turns, latency,
start-up cost.

Compares langdetect alone (mapped to sv/nb/da/en; anything else counts as wrong), each other installed
detector alone (pycld2, py3langid, lingua: skipped when not installed), our word lists alone, and the
combined `bot.language` detector (`best_guess`, as the CLI prints it). Data: tests/language_eval/{sv,nb,en}.tsv
and da.tsv (text<TAB>label), tests/language_eval/sticky.tsv (previous<TAB>text<TAB>expected),
tests/language_eval/conversations.tsv (conversation<TAB>metadata<TAB>text<TAB>expected[<TAB>note]) and, when
present, tests/nlu_holdout/*.yml (language from the file name). Prints numbers; asserts nothing.

Sections: the sv/nb/en tables by the old buckets (1-2, 3-5, 6-12, 13+ whitespace words; a "da" answer counts
as nb there, the language the conversation gets); the same data plus Danish by bins of own words (1-3, 4-7, 8+,
words as bot.language counts them: without e-mails, codes, references) with da as a label, and how often a
Nordic message is called English; the sticky turns; locale/text conflicts over conversation turns; cost.

Run: .venv/bin/python bench/bench_language.py
"""

from __future__ import annotations

import re
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Callable, Dict, List, Optional, Tuple

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bot import language as lang  # noqa: E402  (pure Python, no rasa)

EVAL_DIR = ROOT / "tests" / "language_eval"
HOLDOUT_DIR = ROOT / "tests" / "nlu_holdout"
BUCKETS = ("1-2", "3-5", "6-12", "13+")
BINS = ("1-3", "4-7", "8+")
LABELS = ("sv", "nb", "da", "en")
Example = Tuple[str, str]


def bucket_of(text: str) -> str:
    n = len(text.split())
    return "1-2" if n <= 2 else "3-5" if n <= 5 else "6-12" if n <= 12 else "13+"


def bin_of(text: str) -> str:
    """Length bin by the words of the message's own (as MIN_WORDS_TO_SWITCH counts them)."""
    n = len(lang.words(text))
    return "1-3" if n <= 3 else "4-7" if n <= 7 else "8+"


def as_slot(code: Optional[str]) -> Optional[str]:
    """The conversation language an answer leads to: Danish is answered in Norwegian."""
    return "nb" if code == "da" else code


def load_eval(names: Tuple[str, ...] = ("sv", "nb", "en")) -> List[Example]:
    examples: List[Example] = []
    for name in names:
        path = EVAL_DIR / f"{name}.tsv"
        if not path.exists():
            continue
        for line in path.read_text(encoding="utf-8").splitlines():
            if not line.strip() or line.startswith("#"):
                continue
            text, label = line.split("\t")
            examples.append((text, label.strip()))
    return examples


def load_heldout() -> List[Example]:
    """tests/language_eval/heldout.tsv: written after the word lists were frozen, never tuned on."""
    path = EVAL_DIR / "heldout.tsv"
    if not path.exists():
        return []
    return [
        (line.split("\t")[0], line.split("\t")[1].strip())
        for line in path.read_text(encoding="utf-8").splitlines()
        if line.strip() and not line.startswith("#")
    ]


def load_sticky() -> List[Tuple[str, str, str]]:
    rows = []
    for line in (EVAL_DIR / "sticky.tsv").read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            previous, text, expected = line.split("\t")
            rows.append((previous, text, expected.strip()))
    return rows


Turn = Tuple[str, Dict[str, str], str, str]  # text, metadata, expected, note


def load_conversations() -> Dict[str, List[Turn]]:
    """tests/language_eval/conversations.tsv, grouped by conversation, in order."""
    path = EVAL_DIR / "conversations.tsv"
    conversations: Dict[str, List[Turn]] = {}
    if not path.exists():
        return conversations
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        name, spec, text, expected, *note = line.split("\t")
        metadata = {} if spec == "-" else dict(pair.split("=", 1) for pair in spec.split(","))
        conversations.setdefault(name, []).append((text, metadata, expected.strip(), (note or [""])[0].strip()))
    return conversations


def load_holdout() -> List[Example]:
    """Examples from tests/nlu_holdout/*.yml; the file name gives the language (sv.yml, faq_nb.yml ...)."""
    if not HOLDOUT_DIR.is_dir():
        return []
    examples: List[Example] = []
    for path in sorted(HOLDOUT_DIR.glob("*.yml")):
        match = re.search(r"(?:^|_)(sv|nb|no|nn|en)$", path.stem)
        if not match:
            continue
        label = lang.language_from_code(match.group(1))
        for line in path.read_text(encoding="utf-8").splitlines():
            item = re.match(r"^\s*-\s+(?!intent:|text:|examples:)(.+)$", line)
            if item and ":" not in item.group(1)[:12]:
                # Remove entity annotations: [text](entity) / [text]{"entity": ...}
                text = re.sub(r"\[([^\]]+)\](?:\([^)]*\)|\{[^}]*\})", r"\1", item.group(1)).strip().strip('"')
                if text:
                    examples.append((text, label))
    return examples


# ------------------------------------------------------------------------------------------------------
# Detectors, each: (name, start-up function returning a text -> sv/nb/en/None function)
# ------------------------------------------------------------------------------------------------------


def make_langdetect() -> Callable[[str], Optional[str]]:
    import langdetect  # noqa: F401

    lang._langdetect_factory()
    return lang.langdetect_language


def make_cld2() -> Callable[[str], Optional[str]]:
    import pycld2

    def run(text: str) -> Optional[str]:
        try:
            details = pycld2.detect(text, bestEffort=True)[2]
        except pycld2.error:
            return None
        return lang._CLD2_TO_OURS.get(details[0][1])

    return run


def make_py3langid() -> Callable[[str], Optional[str]]:
    from py3langid.langid import MODEL_FILE, LanguageIdentifier

    identifier = LanguageIdentifier.from_pickled_model(MODEL_FILE, norm_probs=True)
    identifier.set_languages(["sv", "no", "nn", "da", "en"])
    mapping = {"sv": "sv", "no": "nb", "nn": "nb", "da": "da", "en": "en"}
    return lambda text: mapping.get(identifier.classify(text)[0])


def make_lingua() -> Callable[[str], Optional[str]]:
    from lingua import Language, LanguageDetectorBuilder

    detector = (
        LanguageDetectorBuilder.from_languages(
            Language.SWEDISH, Language.BOKMAL, Language.NYNORSK, Language.DANISH, Language.ENGLISH
        )
        .with_preloaded_language_models()
        .build()
    )
    mapping = {
        Language.SWEDISH: "sv", Language.BOKMAL: "nb", Language.NYNORSK: "nb",
        Language.DANISH: "da", Language.ENGLISH: "en",
    }
    return lambda text: mapping.get(detector.detect_language_of(text))


def make_words_only() -> Callable[[str], Optional[str]]:
    def run(text: str) -> Optional[str]:
        evidence, amount = lang._word_evidence(lang.words(text))
        if amount <= 0:
            return None
        return max(("en", "sv", "nb"), key=lambda code: evidence[code])

    return run


def make_combined() -> Callable[[str], Optional[str]]:
    lang.best_guess("warm up the word lists och detektorn")
    return lang.best_guess


def make_combined_confident() -> Callable[[str], Optional[str]]:
    lang.detect("warm up")
    return lambda text: lang.detect(text).language


DETECTORS = (
    ("langdetect", make_langdetect),
    ("pycld2", make_cld2),
    ("py3langid", make_py3langid),
    ("lingua", make_lingua),
    ("words only", make_words_only),
    ("combined", make_combined),
)


def rss_mb() -> float:
    with open("/proc/self/statm") as handle:
        return int(handle.read().split()[1]) * resource.getpagesize() / 2**20


def evaluate(run: Callable[[str], Optional[str]], examples: List[Example],
             bucket: Callable[[str], str] = bucket_of, slot: bool = True) -> Dict[Tuple[str, str], List[int]]:
    """(bucket, language) -> [correct, total], with '*' rows/columns for totals. slot: a da answer counts as
    nb (the conversation language it leads to); else it must match the label exactly."""
    table: Dict[Tuple[str, str], List[int]] = {}
    for text, label in examples:
        got = run(text)
        ok = int((as_slot(got) == as_slot(label)) if slot else (got == label))
        for key in ((bucket(text), label), (bucket(text), "*"), ("*", label), ("*", "*")):
            cell = table.setdefault(key, [0, 0])
            cell[0] += ok
            cell[1] += 1
    return table


def print_table(title: str, results: Dict[str, Dict[Tuple[str, str], List[int]]],
                buckets: Tuple[str, ...] = BUCKETS, labels: Tuple[str, ...] = ("sv", "nb", "en"),
                unit: str = "length bucket (words)") -> None:
    print(f"\n## {title}: accuracy % (n) by {unit} and language")
    columns = [(b, l) for b in buckets + ("*",) for l in labels + ("*",)]
    any_table = next(iter(results.values()))
    header = "detector".ljust(12) + "".join(f"{(b + ' ' + l):>11}" for b, l in columns if (b, l) in any_table)
    print(header)
    counts = "n".ljust(12) + "".join(f"{any_table[c][1]:>11}" for c in columns if c in any_table)
    print(counts)
    for name, table in results.items():
        row = name.ljust(12)
        for column in columns:
            if column in any_table:
                correct, total = table.get(column, [0, 0])
                row += f"{100.0 * correct / total:>10.1f}%" if total else f"{'-':>11}"
        print(row)


def metadata_first(turns: List[Turn]) -> List[str]:
    """Baseline, the rule before issue 9: request > pinned > the metadata (widget setting or locale) > text."""
    got: List[str] = []
    earlier: List[Tuple[Optional[str], Dict[str, str]]] = []
    previous: Optional[str] = None
    for text, metadata, _expected, _note in turns:
        pinned = lang.is_pinned(earlier, previous, metadata)
        chosen = (lang.requested_language(text) or (previous if pinned and previous else None)
                  or lang.language_from_metadata(metadata) or lang.choose_language(previous, text, None))
        got.append(chosen)
        earlier.append((lang.requested_language(text), metadata))
        previous = chosen
    return got


def report_conversations(conversations: Dict[str, List[Turn]],
                         langdetect: Optional[Callable[[str], Optional[str]]]) -> None:
    """Reply language over conversation turns, split by whether the metadata agrees with the expected
    language (conflict: an English browser and Swedish text ...), first turn or later."""
    def follow(turns: List[Turn]) -> List[str]:
        return [c.language for c in lang.follow_conversation([(t, m) for t, m, _, _ in turns])]

    rules: Dict[str, Callable[[List[Turn]], List[str]]] = {"rule (choose)": follow, "metadata first": metadata_first}
    if langdetect is not None:
        def every_turn(turns: List[Turn]) -> List[str]:
            got: List[str] = []
            previous: Optional[str] = None
            for text, metadata, _e, _n in turns:
                previous = as_slot(langdetect(text)) or previous or lang.language_from_metadata(metadata) or "en"
                got.append(previous)
            return got
        rules["langdetect every turn"] = every_turn

    def kinds(turn: Turn, index: int) -> List[str]:
        _text, metadata, expected, _note = turn
        hint = lang.language_from_metadata(metadata)
        found = ["conflict" if hint and hint != expected else "agree" if hint else "no metadata"]
        found.append("first turn" if index == 0 else "later turns")
        found.append("widget choice" if metadata.get("language") else "locale" if metadata.get("locale") else "")
        return found + ["all"]

    n_turns = sum(len(t) for t in conversations.values())
    print(f"\n## locale/text conflicts over conversation turns (tests/language_eval/conversations.tsv, "
          f"{len(conversations)} conversations, {n_turns} turns): accuracy % (n)")
    print("conflict: the widget setting or locale says another language than the expected one")
    groups = ("conflict", "agree", "no metadata", "first turn", "later turns", "locale", "widget choice", "all")
    print("rule".ljust(22) + "".join(f"{g:>16}" for g in groups))
    misses: List[str] = []
    for name, rule in rules.items():
        tally: Dict[str, List[int]] = {}
        for conversation, turns in conversations.items():
            for index, (turn, got) in enumerate(zip(turns, rule(turns))):
                for k in kinds(turn, index):
                    cell = tally.setdefault(k, [0, 0])
                    cell[0] += got == turn[2]
                    cell[1] += 1
                if rule is follow and got != turn[2]:
                    misses.append(f"   miss: {conversation} {turn[1]} {turn[0]!r} -> {got} (expected {turn[2]})")
        row = name.ljust(22)
        for g in groups:
            ok, total = tally.get(g, [0, 0])
            row += f"{(100.0 * ok / total):>9.1f}% ({total:>3})" if total else f"{'-':>16}"
        print(row)
    for miss in misses:
        print(miss)
    # The Danish line: due on the turns marked "danish", once per conversation, never elsewhere.
    right = total = 0
    for turns in conversations.values():
        noted = False
        for turn, choice in zip(turns, lang.follow_conversation([(t, m) for t, m, _, _ in turns])):
            said = bool(getattr(choice, "danish", False)) and choice.language == "nb" and not noted
            noted = noted or said
            total += 1
            right += said == (turn[3] == "danish")
    print(f"Danish note said on exactly the expected turns: {right}/{total}")


def main() -> None:
    examples = load_eval()
    holdout = load_holdout()
    heldout = load_heldout()
    sticky = load_sticky()
    print(f"# bench_language: {len(examples)} labelled sv/nb/en messages, {len(load_eval(('da',)))} da "
          f"(+{len(heldout)} untuned), "
          f"{len(holdout)} NLU hold-out examples, "
          f"{len(sticky)} sticky turns")

    runners: Dict[str, Callable[[str], Optional[str]]] = {}
    startup: Dict[str, Tuple[float, float]] = {}
    for name, factory in DETECTORS:
        before_rss, started = rss_mb(), time.perf_counter()
        try:
            run = factory()
            run("hej jag heter anna")  # first call loads lazy models
        except ImportError as exc:
            print(f"- {name}: not installed ({exc.name}); skipped")
            continue
        startup[name] = (time.perf_counter() - started, rss_mb() - before_rss)
        runners[name] = run

    eval_results = {name: evaluate(run, examples) for name, run in runners.items()}
    print_table("tests/language_eval", eval_results)
    if heldout:
        print_table("tests/language_eval/heldout.tsv (not tuned on)",
                    {name: evaluate(run, heldout) for name, run in runners.items()})
    if holdout:
        print_table("tests/nlu_holdout", {name: evaluate(run, holdout) for name, run in runners.items()})
    else:
        print("\n(no tests/nlu_holdout/*.yml yet)")

    # Confident detection (what the NLU component puts in `language_detected`): coverage and precision.
    print("\n## combined detect() (None when unsure): share answered / accuracy when answered, by bucket")
    for bucket in BUCKETS + ("*",):
        subset = [(t, l) for t, l in examples if bucket == "*" or bucket_of(t) == bucket]
        answers = [(lang.detect(t).language, l) for t, l in subset]
        answered = [(a, l) for a, l in answers if a is not None]
        precision = 100.0 * sum(as_slot(a) == l for a, l in answered) / len(answered) if answered else 0.0
        print(f"{bucket:>5}: answered {100.0 * len(answered) / len(subset):5.1f}%  accuracy {precision:5.1f}%"
              f"  (n={len(subset)})")

    # The same data and Danish, by bins of own words, with da as a label of its own.
    labelled = load_eval(LABELS)
    print_table("tests/language_eval incl. da.tsv (da must be answered da)",
                {name: evaluate(run, labelled, bin_of, slot=False) for name, run in runners.items()},
                BINS, LABELS, "own words (1-3, 4-7, 8+)")
    print_table("tests/language_eval incl. da.tsv, as the conversation language (da counts as nb)",
                {name: evaluate(run, labelled, bin_of, slot=True) for name, run in runners.items()},
                BINS, LABELS, "own words (1-3, 4-7, 8+)")
    if heldout:
        print_table("tests/language_eval/heldout.tsv (not tuned on)",
                    {name: evaluate(run, heldout, bin_of, slot=False) for name, run in runners.items()},
                    BINS, LABELS, "own words (1-3, 4-7, 8+)")
    nordic = [(t, l) for t, l in labelled if l != "en"]
    print(f"\nNordic messages (sv/nb/da, n={len(nordic)}) called English: "
          + ", ".join(f"{name} {sum(run(t) == 'en' for t, _ in nordic)}" for name, run in runners.items()))
    cells = []
    for b in BINS + ("*",):
        subset = [(t, l) for t, l in labelled if b == "*" or bin_of(t) == b]
        answers = [(lang.detect(t).language, l) for t, l in subset]
        answered = [(a, l) for a, l in answers if a is not None]
        right = sum(a == l for a, l in answered)
        cells.append(f"{b}: answered {100.0 * len(answered) / max(len(subset), 1):.1f}%, right "
                     f"{100.0 * right / max(len(answered), 1):.1f}% (n={len(subset)})")
    print("combined detect() by own words, da as a label: " + "; ".join(cells))
    # Sticky rule vs "set the language to langdetect's answer on every turn".
    ours = sum(lang.choose_language(p, t, None) == e for p, t, e in sticky)
    baseline = 0
    if "langdetect" in runners:
        baseline = sum((runners["langdetect"](t) or p) == e for p, t, e in sticky)
    print(f"\n## sticky turns (tests/language_eval/sticky.tsv, n={len(sticky)})")
    print(f"choose_language: {100.0 * ours / len(sticky):.1f}%   langdetect every turn (keep on no answer): "
          f"{100.0 * baseline / len(sticky):.1f}%")
    for p, t, e in sticky:
        got = lang.choose_language(p, t, None)
        if got != e:
            print(f"   miss: {p} + {t!r} -> {got} (expected {e})")

    conversations = load_conversations()
    if conversations:
        report_conversations(conversations, runners.get("langdetect"))

    print("\n## cost: start-up (import + model load + first call), resident memory added, per-message latency")
    texts = [t for t, _ in examples]
    for name, run in runners.items():
        timings = []
        for text in texts:
            started = time.perf_counter()
            run(text)
            timings.append((time.perf_counter() - started) * 1000)
        timings.sort()
        load_s, mem = startup[name]
        print(f"{name:<12} start-up {load_s * 1000:8.1f} ms  memory +{mem:6.1f} MB  per message: median "
              f"{statistics.median(timings):6.3f} ms, p95 {timings[int(len(timings) * 0.95)]:6.3f} ms")

    started = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, "-m", "bot.language"], input="hej\n", capture_output=True, text=True, cwd=ROOT
    )
    print(f"CLI `python -m bot.language` wall time for one line: {(time.perf_counter() - started) * 1000:.0f} ms"
          f" (exit {proc.returncode})")

    if "--misses" in sys.argv:
        print("\n## combined misses")
        for text, label in load_eval(LABELS) + heldout + holdout:
            got = runners["combined"](text)
            if got != label:
                print(f"   {label} -> {got}: {text}")


if __name__ == "__main__":
    main()
