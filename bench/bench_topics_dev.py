"""Policy-topic development bench: right topic / wrong topic / unsure on tests/nlu_dev, and the confusions;
with a trained model also the request development set (right flow started or offered) and the negatives
(customer-service and everyday messages: a case opened).

The development set (tests/nlu_dev/<lang>/policy.tsv, written apart from data/, never trained on) is what the
FAQ training data and the topic thresholds are tuned on; the acceptance sets stay the judge
(bench/bench_understanding.py). Judged exactly as bench_understanding judges a policy question (its `judge`,
actions/routing.py's `route`), so "wrong" is a confident answer on another topic, or a case opened, and
"unsure" is a "did you mean" question or the search answer.

    # a trained model (full or `rasa train nlu`): the whole NLU pipeline, the routing the actions do; also
    # tests/nlu_dev/<lang>/requests.tsv and negatives.tsv, judged as bench_understanding judges requests and
    # customer-service messages
    .venv/bin/python bench/bench_topics_dev.py /tmp/topics_models/nlu.tar.gz
    # no model: trains the topic classifier alone from data/nlu in seconds (every message taken as `faq`),
    # and sweeps the thresholds on the dev set and on a k-fold split of the training questions
    .venv/bin/python bench/bench_topics_dev.py --direct --folds 5

It prints numbers and asserts nothing.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import logging
import os
import random
import sys
from pathlib import Path
from typing import Any, Dict, List, Optional, Sequence, Tuple

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from actions import routing  # noqa: E402
from bench_understanding import Case, judge, read_tsv  # noqa: E402  (one judge for both benches)

DEV = ROOT / "tests" / "nlu_dev"
NLU_DIR = ROOT / "data" / "nlu"
LANGUAGES = ("sv", "nb", "en")
WRONG = ("wrong_topic", "case_opened", "wrong_start")
UNSURE = ("offered", "asked_other", "search", "unanswered")
CONFIDENCES = (0.2, 0.3, 0.4, 0.5, 0.6)
MARGINS = (0.0, 0.1, 0.2, 0.3)


def load_dev(languages: Sequence[str] = LANGUAGES) -> List[Case]:
    cases = []
    for lang in languages:
        path = DEV / lang / "policy.tsv"
        if path.exists():
            cases += [Case(row[0], tuple(e.strip() for e in row[1].split("|")), lang, "policy")
                      for row in read_tsv(path) if len(row) > 1]
    return cases


def load_requests(languages: Sequence[str] = LANGUAGES) -> List[Case]:
    """tests/nlu_dev/<lang>/requests.tsv (`text<TAB>intent[|intent]`) and negatives.tsv (`text<TAB>none`),
    as the Cases bench_understanding judges: requests, and negatives judged as customer-service messages."""
    cases = []
    for lang in languages:
        for name, kind in (("requests.tsv", "requests"), ("negatives.tsv", "customer_service")):
            path = DEV / lang / name
            if not path.exists():
                continue
            for row in read_tsv(path):
                expected = tuple(e.strip() for e in row[1].split("|")) if kind == "requests" and len(row) > 1 else ()
                cases.append(Case(row[0], expected, lang, kind))
    return cases


def report_requests(cases: List[Case], parses: List[Dict[str, Any]], show: bool = True) -> None:
    """Requests: right flow started or offered (started); negatives: a case opened (any flow started)."""
    print("\n== tests/nlu_dev requests and negatives (whole pipeline)")
    print("lang | requests: right flow started or offered (started) | negatives: case opened (any flow started)")
    judged = [(case, judge(case, parse, routing.route(parse)), routing.route(parse))
              for case, parse in zip(cases, parses)]
    for lang in LANGUAGES:
        req = [r for c, r, _d in judged if c.language == lang and c.kind == "requests"]
        neg = [r for c, r, _d in judged if c.language == lang and c.kind == "customer_service"]
        if not (req or neg):
            continue
        right = sum(r in ("ok", "offered") for r in req)
        print(f"{lang}   | {right / max(1, len(req)):.3f} ({right}/{len(req)}) ({sum(r == 'ok' for r in req)} started) | "
              f"{sum(r == 'case_opened' for r in neg)}/{len(neg)} "
              f"({sum(r in ('case_opened', 'status_opened') for r in neg)})")
    if show:
        for case, result, decided in judged:
            if result in ("missed", "wrong_start", "case_opened", "status_opened"):
                print(f"  [{case.language} {case.kind} {result}] {case.text!r}: {'|'.join(case.expected) or '-'} -> "
                      f"{decided.kind} {decided.intent} {decided.offers}")


def training_questions() -> List[Tuple[str, str, str]]:
    """(text, faq/<topic>, language) of every FAQ training example in data/nlu."""
    from rasa.shared.nlu.training_data.formats.rasa_yaml import RasaYAMLReader

    rows = []
    for path in sorted(NLU_DIR.glob("*.yml")):
        for m in RasaYAMLReader().read(str(path)).intent_examples:
            key = m.get("intent_response_key")
            if m.get("intent") == "faq" and key:
                lang = ((m.get("metadata") or {}).get("intent") or {}).get("lang") or "?"
                rows.append((m.get("text"), key, lang))
    return rows


def parse_from_ranking(ranking: List[Tuple[str, float]]) -> Dict[str, Any]:
    """The parse the NLU would give for a message classified `faq` with this topic ranking."""
    return {
        "intent": {"name": "faq", "confidence": 1.0},
        "intent_ranking": [{"name": "faq", "confidence": 1.0}],
        "response_selector": {"faq": {
            "response": {"intent_response_key": ranking[0][0], "confidence": ranking[0][1]},
            "ranking": [{"intent_response_key": k, "confidence": c} for k, c in ranking],
        }},
    }


async def parse_with_model(model: Path, cases: List[Case]) -> List[Dict[str, Any]]:
    from rasa.core.agent import Agent

    agent = Agent.load(str(model))
    return [await agent.parse_message(case.text) for case in cases]


def topic_options() -> Dict[str, float]:
    """The FaqTopicClassifier's classifier options as config.yml sets them (C, svm_weight, svm_C), so that
    --direct measures the classifier the model is trained with."""
    import yaml

    from bot.linear_text_model import LinearClassifierComponent

    config = yaml.safe_load((ROOT / "config.yml").read_text(encoding="utf-8"))
    entry = next((e for e in config.get("pipeline") or [] if e.get("name") == "bot.faq_topics.FaqTopicClassifier"),
                 {})
    options = {**LinearClassifierComponent.get_default_config(), **entry}
    return {"c": float(options["C"]), "svm_weight": float(options["svm_weight"]), "svm_c": float(options["svm_C"])}


def direct_parses(train_rows: List[Tuple[str, str, str]], cases: List[Case]) -> List[Dict[str, Any]]:
    from bot import linear_text_model

    pipeline = linear_text_model.train([r[0] for r in train_rows], [r[1] for r in train_rows], **topic_options())
    return [parse_from_ranking(linear_text_model.rank(pipeline, c.text, 10)) for c in cases]


def results(cases: List[Case], parses: List[Dict[str, Any]]) -> List[Tuple[Case, str, routing.Route]]:
    out = []
    for case, parse in zip(cases, parses):
        decided = routing.route(parse)
        # A question that is also a request asked as one names that request as a second right answer
        # ("faq/trust_center|report_misconduct"): starting it is right, as answering the topic is.
        started_expected = decided.kind == "start" and decided.intent in case.expected
        out.append((case, "ok" if started_expected else judge(case, parse, decided), decided))
    return out


def report(rows: List[Tuple[Case, str, routing.Route]], title: str, show: bool = True) -> None:
    print(f"\n== {title}")
    print("lang | right topic | wrong topic | unsure (of which the right topic offered as a button)")
    for lang in LANGUAGES:
        mine = [r for c, r, _d in rows if c.language == lang]
        if not mine:
            continue
        n = len(mine)
        right, wrong = sum(r == "ok" for r in mine), sum(r in WRONG for r in mine)
        unsure, offered = sum(r in UNSURE for r in mine), sum(r == "offered" for r in mine)
        print(f"{lang}   | {right / n:.3f} ({right}/{n}) | {wrong / n:.3f} ({wrong}) | {unsure / n:.3f} ({unsure}; "
              f"{offered} offered)")
    if not show:
        return
    pairs = collections.Counter()
    print("misses (expected -> what happened):")
    for case, result, decided in rows:
        if result == "ok":
            continue
        got = decided.topic or decided.intent or decided.kind
        if result in WRONG:
            pairs[(case.expected[0].split("/")[-1], got)] += 1
        print(f"  [{case.language} {result}] {case.text!r}: {case.expected[0]} -> {decided.kind} {got} "
              f"{decided.topics or ''}")
    if pairs:
        print("wrong-topic pairs (expected, answered): " +
              ", ".join(f"{a}->{b} x{n}" for (a, b), n in pairs.most_common()))


def sweep(cases: List[Case], parses: List[Dict[str, Any]], title: str) -> None:
    """FAQ_MIN_CONFIDENCE x FAQ_MIN_MARGIN: right / wrong / unsure-with-the-right-button, of all."""
    print(f"\n== threshold sweep, {title} (confidence | margin: right/wrong/offered of {len(cases)})")
    saved = routing.FAQ_MIN_CONFIDENCE, routing.FAQ_MIN_MARGIN
    try:
        for conf in CONFIDENCES:
            cells = []
            for margin in MARGINS:
                routing.FAQ_MIN_CONFIDENCE, routing.FAQ_MIN_MARGIN = conf, margin
                got = [r for _c, r, _d in results(cases, parses)]
                cells.append(f"{margin:.1f}: {got.count('ok')}/{sum(r in WRONG for r in got)}/"
                             f"{got.count('offered')}")
            print(f"  {conf:.1f} | " + "  ".join(cells))
    finally:
        routing.FAQ_MIN_CONFIDENCE, routing.FAQ_MIN_MARGIN = saved
    print(f"  (in use: {routing.FAQ_MIN_CONFIDENCE} / {routing.FAQ_MIN_MARGIN})")


def fold_split(rows: List[Tuple[str, str, str]], folds: int) -> Tuple[List[Case], List[Dict[str, Any]]]:
    """Every training question ranked by a classifier trained on the other folds (stratified by topic)."""
    by_topic: Dict[str, List[int]] = collections.defaultdict(list)
    for i, row in enumerate(rows):
        by_topic[row[1]].append(i)
    fold_of = {}
    shuffle = random.Random(42)
    for indices in by_topic.values():
        shuffle.shuffle(indices)
        for position, i in enumerate(indices):
            fold_of[i] = position % folds
    cases: List[Case] = []
    parses: List[Dict[str, Any]] = []
    for k in range(folds):
        train = [r for i, r in enumerate(rows) if fold_of[i] != k]
        test = [Case(r[0], (r[1],), "nb" if r[2] == "nn" else r[2], "policy")
                for i, r in enumerate(rows) if fold_of[i] == k]
        cases += test
        parses += direct_parses(train, test)
    return cases, parses


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("model", nargs="?", help="a trained model archive (NLU-only is enough)")
    parser.add_argument("--direct", action="store_true", help="train the topic classifier alone from data/nlu")
    parser.add_argument("--folds", type=int, default=0, help="also sweep on a k-fold split of the training data")
    parser.add_argument("--quiet", action="store_true", help="numbers only, no list of misses")
    args = parser.parse_args(argv)
    logging.disable(logging.WARNING)
    cases = load_dev()
    if args.model:
        import structlog

        structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.WARNING))
        requests = load_requests()
        parses = asyncio.run(parse_with_model(Path(args.model), cases + requests))
        parses, request_parses = parses[:len(cases)], parses[len(cases):]
        report(results(cases, parses), f"tests/nlu_dev with {args.model} (whole NLU pipeline)", not args.quiet)
        sweep(cases, parses, "tests/nlu_dev, whole pipeline")
        report_requests(requests, request_parses, not args.quiet)
    rows = training_questions() if (args.direct or args.folds) else []
    if args.direct:
        parses = direct_parses(rows, cases)
        report(results(cases, parses), "tests/nlu_dev, topic classifier alone (trained on data/nlu)",
               not args.quiet)
        sweep(cases, parses, "tests/nlu_dev, topic classifier alone")
    if args.folds:
        fold_cases, fold_parses = fold_split(rows, args.folds)
        report(results(fold_cases, fold_parses), f"{args.folds}-fold split of the training questions", False)
        sweep(fold_cases, fold_parses, f"{args.folds}-fold split of the training questions")
    return 0


if __name__ == "__main__":
    sys.exit(main())
