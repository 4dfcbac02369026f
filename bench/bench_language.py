"""Language detection benchmark: accuracy by message length and language, latency, start-up cost.

Compares langdetect alone (mapped to sv/nb/en; anything else counts as wrong), each other installed
detector alone (pycld2, py3langid, lingua: skipped when not installed), our word lists alone, and the
combined `bot.language` detector (`best_guess`, as the CLI prints it). Data: tests/language_eval/{sv,nb,en}.tsv
(text<TAB>label), tests/language_eval/sticky.tsv (previous<TAB>text<TAB>expected) and, when present,
tests/nlu_holdout/*.yml (language from the file name). Prints numbers; asserts nothing.

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
Example = Tuple[str, str]


def bucket_of(text: str) -> str:
    n = len(text.split())
    return "1-2" if n <= 2 else "3-5" if n <= 5 else "6-12" if n <= 12 else "13+"


def load_eval() -> List[Example]:
    examples: List[Example] = []
    for name in ("sv", "nb", "en"):
        path = EVAL_DIR / f"{name}.tsv"
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
    mapping = {"sv": "sv", "no": "nb", "nn": "nb", "da": "nb", "en": "en"}
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
        Language.DANISH: "nb", Language.ENGLISH: "en",
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


def evaluate(run: Callable[[str], Optional[str]], examples: List[Example]) -> Dict[Tuple[str, str], List[int]]:
    """(bucket, language) -> [correct, total], with '*' rows/columns for totals."""
    table: Dict[Tuple[str, str], List[int]] = {}
    for text, label in examples:
        ok = int(run(text) == label)
        for key in ((bucket_of(text), label), (bucket_of(text), "*"), ("*", label), ("*", "*")):
            cell = table.setdefault(key, [0, 0])
            cell[0] += ok
            cell[1] += 1
    return table


def print_table(title: str, results: Dict[str, Dict[Tuple[str, str], List[int]]]) -> None:
    print(f"\n## {title}: accuracy % (n) by length bucket (words) and language")
    columns = [(b, l) for b in BUCKETS + ("*",) for l in ("sv", "nb", "en", "*")]
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


def main() -> None:
    examples = load_eval()
    holdout = load_holdout()
    heldout = load_heldout()
    sticky = load_sticky()
    print(f"# bench_language: {len(examples)} labelled messages (+{len(heldout)} untuned), "
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
        precision = 100.0 * sum(a == l for a, l in answered) / len(answered) if answered else 0.0
        print(f"{bucket:>5}: answered {100.0 * len(answered) / len(subset):5.1f}%  accuracy {precision:5.1f}%"
              f"  (n={len(subset)})")

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
        for text, label in examples + heldout + holdout:
            got = runners["combined"](text)
            if got != label:
                print(f"   {label} -> {got}: {text}")


if __name__ == "__main__":
    main()
