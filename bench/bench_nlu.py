"""NLU benchmark on the held-out sets.

Trains an NLU model from config.yml + data/ into a temporary directory (or loads the model given as the first
argument), parses every example in tests/nlu_holdout/*.yml and prints, per language:
intent accuracy and macro-F1 (faq/<topic> counted as `faq`), faq-topic accuracy from the topic classifier (bot/faq_topics.py)
(when faq_*.yml hold-out files exist), the most frequent confusions, how many out_of_scope messages would
start a request flow, and a sweep of FallbackClassifier thresholds so the ones in config.yml can be chosen
from data. Also prints training time and model size. It prints numbers and asserts nothing.

    .venv/bin/python bench/bench_nlu.py                  # train into a temp dir, then evaluate
    .venv/bin/python bench/bench_nlu.py /tmp/m.tar.gz    # evaluate an existing model
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import logging
import os
import re
import resource
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("SQLALCHEMY_SILENCE_UBER_WARNING", "1")

ROOT = Path(__file__).resolve().parent.parent
HOLDOUT_DIR = ROOT / "tests" / "nlu_holdout"
LANGUAGES = ("sv", "nb", "en")

# Intents whose flows open a case; an out_of_scope message predicted as one of these would start a request.
REQUEST_INTENTS = frozenset(
    {
        "request_access",
        "request_rectification",
        "request_erasure",
        "request_restriction",
        "request_objection",
        "request_portability",
        "withdraw_consent",
        "withdraw_application",
        "report_incident",
        "report_misconduct",
        "file_complaint",
    }
)
FALLBACK = "nlu_fallback"


@dataclass
class Example:
    text: str
    intent: str  # full intent, "faq/cookies" for retrieval intents
    language: str
    variant: str | None = None


@dataclass
class Prediction:
    example: Example
    intent: str  # top intent before the FallbackClassifier ("faq", never "nlu_fallback")
    confidence: float
    margin: float  # top confidence minus the second one
    final_intent: str  # what the pipeline returns, nlu_fallback included
    faq_key: str | None = None  # "faq/<topic>" chosen by the topic classifier
    entities: list[dict[str, Any]] = field(default_factory=list)


def _language_of_file(path: Path) -> str | None:
    """sv.yml / faq_sv.yml / faq-nb.yml -> the language in the name, if any."""
    match = re.search(r"(?:^|[_-])(sv|nb|nn|en)$", path.stem)
    if not match:
        return None
    return "nb" if match.group(1) == "nn" else match.group(1)


def load_holdout(directory: Path = HOLDOUT_DIR) -> list[Example]:
    """Every held-out example, with its language from block metadata or else from the file name."""
    from rasa.shared.nlu.training_data.formats.rasa_yaml import RasaYAMLReader

    examples: list[Example] = []
    for path in sorted(directory.glob("*.yml")):
        file_language = _language_of_file(path)
        data = RasaYAMLReader().read(str(path))
        for message in data.intent_examples:
            meta = (message.get("metadata") or {}).get("intent") or {}
            language = meta.get("lang") or file_language or "unknown"
            intent = message.get("intent")
            response_key = message.get("intent_response_key")
            examples.append(
                Example(
                    text=message.get("text"),
                    intent=response_key or intent,
                    language=language,
                    variant=meta.get("variant"),
                )
            )
    return examples


def train_model(out_dir: Path) -> tuple[Path, float, float]:
    """Train an NLU model the way developers do (`rasa train nlu`); return its path, wall and CPU seconds.

    CPU seconds (user + system of the training process) are reported as well because the 2 shared cores are
    often busy with other jobs, which inflates the wall clock but not the CPU time.
    """
    started = time.monotonic()
    cpu_before = resource.getrusage(resource.RUSAGE_CHILDREN)
    cmd = [
        str(ROOT / ".venv" / "bin" / "rasa"),
        "train",
        "nlu",
        "--config",
        str(ROOT / "config.yml"),
        "--nlu",
        str(ROOT / "data"),
        "--out",
        str(out_dir),
        "--fixed-model-name",
        "bench-nlu",
        "--quiet",
    ]
    subprocess.run(cmd, cwd=ROOT, check=True, stdout=subprocess.DEVNULL)
    elapsed = time.monotonic() - started
    cpu_after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (cpu_after.ru_utime - cpu_before.ru_utime) + (cpu_after.ru_stime - cpu_before.ru_stime)
    model = next(out_dir.glob("bench-nlu*.tar.gz"))
    return model, elapsed, cpu


def _fallback_thresholds(config_path: Path = ROOT / "config.yml") -> tuple[float, float]:
    import yaml

    config = yaml.safe_load(config_path.read_text())
    for component in config.get("pipeline", []):
        if component.get("name") == "FallbackClassifier":
            return float(component.get("threshold", 0.3)), float(component.get("ambiguity_threshold", 0.1))
    return 0.0, 0.0


async def _parse_all(model_path: Path, examples: list[Example]) -> list[Prediction]:
    from rasa.core.agent import Agent

    agent = Agent.load(str(model_path))
    predictions: list[Prediction] = []
    for example in examples:
        result = await agent.parse_message(example.text)
        ranking = [r for r in result.get("intent_ranking", []) if r["name"] != FALLBACK]
        top = ranking[0] if ranking else {"name": "", "confidence": 0.0}
        second = ranking[1]["confidence"] if len(ranking) > 1 else 0.0
        selector = (result.get("response_selector") or {}).get("faq") or {}
        faq_key = (selector.get("response") or {}).get("intent_response_key")
        predictions.append(
            Prediction(
                example=example,
                intent=top["name"],
                confidence=float(top["confidence"]),
                margin=float(top["confidence"]) - float(second),
                final_intent=result["intent"]["name"],
                faq_key=faq_key,
                entities=result.get("entities", []),
            )
        )
    return predictions


def _base(intent: str) -> str:
    return intent.split("/", 1)[0]


def _report_language(
    name: str, preds: list[Prediction], threshold: float, ambiguity: float, list_errors: bool = True
) -> None:
    from sklearn.metrics import accuracy_score, f1_score

    gold = [_base(p.example.intent) for p in preds]
    pred = [p.intent for p in preds]
    labels = sorted(set(gold))
    accuracy = accuracy_score(gold, pred)
    macro_f1 = f1_score(gold, pred, labels=labels, average="macro", zero_division=0)
    print(f"\n== {name}: {len(preds)} held-out examples, {len(labels)} intents")
    print(f"intent accuracy {accuracy:.3f}   macro-F1 {macro_f1:.3f}   (top intent, before fallback)")
    non_faq = [p for p in preds if not p.example.intent.startswith("faq/")]
    if len(non_faq) != len(preds) and non_faq:
        gold_nf = [_base(p.example.intent) for p in non_faq]
        pred_nf = [p.intent for p in non_faq]
        print(
            f"without the faq examples ({len(non_faq)}): accuracy {accuracy_score(gold_nf, pred_nf):.3f}   "
            f"macro-F1 {f1_score(gold_nf, pred_nf, labels=sorted(set(gold_nf)), average='macro', zero_division=0):.3f}"
        )

    # With the FallbackClassifier: a fallback on an out_of_scope message is the right outcome.
    def ok_after_fallback(p: Prediction) -> bool:
        if p.final_intent == FALLBACK:
            return _base(p.example.intent) == "out_of_scope"
        return p.final_intent == _base(p.example.intent)

    fallback_share = sum(p.final_intent == FALLBACK for p in preds) / len(preds)
    after = sum(ok_after_fallback(p) for p in preds) / len(preds)
    print(
        f"with FallbackClassifier (threshold {threshold}, ambiguity {ambiguity}): "
        f"{after:.3f} correct, {fallback_share:.3f} sent to fallback"
    )

    nynorsk = [p for p in preds if p.example.variant == "nn"]
    if nynorsk:
        nn_acc = sum(_base(p.example.intent) == p.intent for p in nynorsk) / len(nynorsk)
        print(f"nynorsk subset: {len(nynorsk)} examples, accuracy {nn_acc:.3f}")

    faq = [p for p in preds if p.example.intent.startswith("faq/")]
    if faq:
        topic_ok = sum(p.intent == "faq" and p.faq_key == p.example.intent for p in faq)
        selector_ok = sum(p.faq_key == p.example.intent for p in faq)
        print(
            f"faq topics: {len(faq)} examples, end-to-end topic accuracy {topic_ok / len(faq):.3f} "
            f"(intent faq and right topic), response selector alone {selector_ok / len(faq):.3f}"
        )
        # Topic errors of the topic classifier itself (whatever the intent), so a topic pair it mixes up
        # shows even when the intent was wrong too.
        topic_confusions = collections.Counter(
            (p.example.intent, p.faq_key) for p in faq if p.faq_key != p.example.intent
        )
        if topic_confusions:
            print("most frequent faq topic confusions (response selector, gold -> predicted: count):")
            for (g, pr), count in topic_confusions.most_common(8):
                print(f"    {g} -> {pr}: {count}")
            for p in faq if list_errors else []:
                if p.faq_key != p.example.intent:
                    print(f"      [{p.example.intent} -> {p.faq_key}] {p.example.text!r}")

    oos = [p for p in preds if _base(p.example.intent) == "out_of_scope"]
    if oos:
        raw = [p for p in oos if p.intent in REQUEST_INTENTS]
        final = [p for p in oos if p.final_intent in REQUEST_INTENTS]
        print(
            f"out_of_scope -> request intent: {len(raw)}/{len(oos)} by top intent, "
            f"{len(final)}/{len(oos)} after fallback"
        )
        # Any in-scope answer to an off-topic message (a faq answer or a small-talk reply included): the
        # fallback (or out_of_scope) is the only right outcome for these.
        leaked = [p for p in oos if p.final_intent not in ("out_of_scope", FALLBACK)]
        print(f"out_of_scope -> any other intent after fallback: {len(leaked)}/{len(oos)}")
        for p in final if list_errors else []:
            print(f"    oos starts {p.final_intent} ({p.confidence:.2f}): {p.example.text!r}")

    confusions = collections.Counter(
        (_base(p.example.intent), p.intent) for p in preds if _base(p.example.intent) != p.intent
    )
    if confusions:
        print("most frequent confusions (gold -> predicted: count):")
        for (g, pr), count in confusions.most_common(8):
            print(f"    {g} -> {pr}: {count}")
        for p in preds if list_errors else []:
            if _base(p.example.intent) != p.intent:
                print(f"      [{p.example.intent} -> {p.intent} {p.confidence:.2f}] {p.example.text!r}")


def _threshold_sweep(preds: list[Prediction]) -> None:
    """How each (threshold, ambiguity) pair trades correct answers lost against errors caught."""
    print("\n== FallbackClassifier sweep (all languages; oos counted as correctly caught by fallback)")
    print("threshold ambiguity | correct kept | wrong caught | correct lost | oos->request let through")
    correct = [p for p in preds if p.intent == _base(p.example.intent)]
    wrong = [p for p in preds if p.intent != _base(p.example.intent)]
    oos = [p for p in preds if _base(p.example.intent) == "out_of_scope"]
    for threshold in (0.3, 0.4, 0.5, 0.6, 0.7, 0.8):
        for ambiguity in (0.0, 0.05, 0.1, 0.2):

            def falls_back(p: Prediction) -> bool:
                return p.confidence < threshold or p.margin < ambiguity

            kept = sum(not falls_back(p) for p in correct if _base(p.example.intent) != "out_of_scope")
            kept += sum(1 for p in correct if _base(p.example.intent) == "out_of_scope")
            caught = sum(falls_back(p) for p in wrong)
            lost = len(correct) - kept
            leaked = sum(p.intent in REQUEST_INTENTS and not falls_back(p) for p in oos)
            print(
                f"   {threshold:.2f}     {ambiguity:.2f}   | {kept:4d}/{len(correct):<4d}   "
                f"| {caught:3d}/{len(wrong):<3d}      | {lost:4d}         | {leaked}/{len(oos)}"
            )


def _entity_check(preds: list[Prediction]) -> None:
    expected = 0
    found = 0
    for p in preds:
        if re.search(r"\b(PRV|REC|INC|WBL)\b", p.example.text, re.IGNORECASE) or "@" in p.example.text:
            expected += 1
            if any(e.get("extractor") == "RegexEntityExtractor" for e in p.entities):
                found += 1
    if expected:
        print(f"\nregex entities: {found}/{expected} held-out messages with an e-mail or reference got one")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("model", nargs="?", help="a trained model (.tar.gz); trains one when omitted")
    args = parser.parse_args(argv)
    logging.disable(logging.WARNING)
    import structlog  # Rasa logs every parse at debug level through structlog; keep the report readable

    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.WARNING))

    examples = load_holdout()
    with tempfile.TemporaryDirectory(prefix="bench-nlu-") as tmp:
        if args.model:
            model_path, train_seconds, train_cpu = Path(args.model), None, None
        else:
            print("training NLU model (config.yml + data/) ...", flush=True)
            model_path, train_seconds, train_cpu = train_model(Path(tmp))
        size_mb = model_path.stat().st_size / 1e6
        started = time.monotonic()
        predictions = asyncio.run(_parse_all(model_path, examples))
        parse_ms = (time.monotonic() - started) * 1000 / max(1, len(examples))

    threshold, ambiguity = _fallback_thresholds()
    if train_seconds is not None:
        print(
            f"NLU training time {train_seconds:.0f} s wall clock, {train_cpu:.0f} s CPU "
            f"(includes Rasa start-up; load average now {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores)"
        )
    print(f"model size {size_mb:.1f} MB; parse time {parse_ms:.0f} ms per message")
    by_language: dict[str, list[Prediction]] = collections.defaultdict(list)
    for p in predictions:
        by_language[p.example.language].append(p)
    for language in [*LANGUAGES, *sorted(set(by_language) - set(LANGUAGES))]:
        if by_language.get(language):
            _report_language(language, by_language[language], threshold, ambiguity)
    if len(by_language) > 1:
        _report_language("all", predictions, threshold, ambiguity, list_errors=False)
    _threshold_sweep(predictions)
    _entity_check(predictions)
    return 0


if __name__ == "__main__":
    sys.exit(main())
