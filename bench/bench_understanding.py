"""Understanding benchmark: what the assistant does with messages it has never seen (issue 9).

Runs a trained model (the whole NLU pipeline, the request guard included) and the routing decision the
actions make (actions/routing.py) over:
- the acceptance sets in tests/nlu_acceptance/<lang>/ (written by hand apart from data/, never trained on,
  never used to tune anything): requests in people's own words, policy questions, customer-service
  messages and other out-of-domain messages;
- the older held-out sets in tests/nlu_holdout/ (the tuning set for the thresholds: the sweep below);
- language identification on tests/nlu_acceptance/language/ by message length, and the reply language
  over conversation turns with a browser/Teams locale (bot.language).
It prints numbers and asserts nothing.

    .venv/bin/python bench/bench_understanding.py models/assistant.tar.gz
    .venv/bin/python bench/bench_understanding.py models/assistant.tar.gz --errors   # list every miss
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import logging
import os
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Dict, Iterable, List, Optional, Sequence, Tuple

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from actions import routing  # noqa: E402
from actions.routing import CASE_OPENING_INTENTS, REQUEST_INTENTS, Route  # noqa: E402

ACCEPTANCE = ROOT / "tests" / "nlu_acceptance"
HOLDOUT = ROOT / "tests" / "nlu_holdout"
LANGUAGES = ("sv", "nb", "en")
TARGETS = {"requests": 0.95, "policy": 0.95, "policy_wrong": 0.02, "customer_service": 0.01, "out_of_domain": 0.01}


@dataclass
class Case:
    text: str
    expected: Tuple[str, ...]  # acceptable intents or faq/<topic>; empty for the negative sets
    language: str
    kind: str  # requests, policy, customer_service, out_of_domain, holdout


def read_tsv(path: Path) -> List[List[str]]:
    rows = []
    with path.open(encoding="utf-8") as fh:
        for line in fh:
            line = line.rstrip("\n")
            if not line.strip() or line.lstrip().startswith("#"):
                continue
            rows.append(line.split("\t"))
    return rows


def load_acceptance(languages: Sequence[str] = LANGUAGES) -> List[Case]:
    cases = []
    for lang in languages:
        for kind in ("requests", "policy", "customer_service", "out_of_domain"):
            path = ACCEPTANCE / lang / f"{kind}.tsv"
            if not path.exists():
                continue
            for row in read_tsv(path):
                expected = tuple(row[1].split("|")) if len(row) > 1 and row[1].strip() else ()
                cases.append(Case(row[0], tuple(e.strip() for e in expected), lang, kind))
    return cases


def load_holdout() -> List[Case]:
    from bench_nlu import load_holdout as holdout_examples  # one reader of tests/nlu_holdout for both benches

    return [Case(e.text, (e.intent,), "nb" if e.language == "nn" else e.language, "holdout")
            for e in holdout_examples(HOLDOUT)]


async def parse_all(model: Path, cases: List[Case]) -> List[Dict[str, Any]]:
    from rasa.core.agent import Agent

    agent = Agent.load(str(model))
    return [await agent.parse_message(case.text) for case in cases]


# ------------------------------------------------------------------------------------------ judging


def judge(case: Case, parse: Dict[str, Any], decided: Route) -> str:
    """One word for what happened: ok / offered / wrong_start / wrong_topic / asked_other / unanswered /
    case_opened ... ("offered": the right request or topic is one of the buttons of a clarifying question)."""
    if case.kind == "requests":
        if decided.kind == "start":
            return "ok" if decided.intent in case.expected else "wrong_start"
        if set(decided.offers) & set(case.expected):
            return "offered"
        return "missed"
    if case.kind == "policy" or (case.kind == "holdout" and case.expected[0].startswith("faq/")):
        if decided.kind == "start":
            return "case_opened" if decided.intent in CASE_OPENING_INTENTS else "wrong_start"
        if decided.kind == "answer" and decided.topic:
            return "ok" if f"faq/{decided.topic}" in case.expected else "wrong_topic"
        if decided.kind == "answer" and decided.topics:  # "did you mean ...?" with topic buttons
            return "offered" if {f"faq/{t}" for t in decided.topics} & set(case.expected) else "asked_other"
        if decided.kind == "answer":
            return "search"  # the policy search or "I am not sure" answers: not a confident wrong answer
        return "unanswered"
    if case.kind in ("customer_service", "out_of_domain"):
        if decided.kind == "start":
            return "case_opened" if decided.intent in CASE_OPENING_INTENTS else "status_opened"
        if decided.kind == "customer_service":
            return "customer_service"
        if decided.kind == "answer":
            return "faq_answer"
        return "refused"
    expected = case.expected[0]
    return "ok" if decided.intent == expected or (decided.kind == "answer" and expected == "faq") else "wrong"


def share(results: Iterable[str], *wanted: str) -> Tuple[int, int]:
    results = list(results)
    return sum(r in wanted for r in results), len(results)


def report(cases: List[Case], parses: List[Dict[str, Any]], show_errors: bool) -> None:
    by: Dict[Tuple[str, str], List[Tuple[Case, str, Route]]] = collections.defaultdict(list)
    for case, parse in zip(cases, parses):
        decided = routing.route(parse)
        by[(case.language, case.kind)].append((case, judge(case, parse, decided), decided))
    print("\n== acceptance sets (tests/nlu_acceptance, never trained on, never tuned on)")
    print("lang | requests: right flow started or offered (started) | policy: right topic / wrong topic / "
          "right answered or offered as a button / asked without the right button / search | customer service: case opened / told it is customer service | out-of-domain: case-opening "
          "intent / any request intent")
    for lang in LANGUAGES:
        req = [r for _c, r, _d in by[(lang, "requests")]]
        pol = [r for _c, r, _d in by[(lang, "policy")]]
        cs = [r for _c, r, _d in by[(lang, "customer_service")]]
        ood = [r for _c, r, _d in by[(lang, "out_of_domain")]]
        if not (req or pol or cs or ood):
            continue

        def pct(hit: int, total: int) -> str:
            return f"{hit / total:.3f} ({hit}/{total})" if total else "-"

        print(
            f"{lang}   | {pct(*share(req, 'ok', 'offered'))} ({pct(*share(req, 'ok'))}) | "
            f"{pct(*share(pol, 'ok'))} / {pct(*share(pol, 'wrong_topic', 'case_opened', 'wrong_start'))} / "
            f"{pct(*share(pol, 'ok', 'offered'))} / {pct(*share(pol, 'asked_other'))} / {pct(*share(pol, 'search'))} | {pct(*share(cs, 'case_opened'))} / {pct(*share(cs, 'customer_service'))} | "
            f"{pct(*share(ood, 'case_opened'))} / {pct(*share(ood, 'case_opened', 'status_opened'))}"
        )
    if show_errors:
        for (lang, kind), rows in sorted(by.items()):
            for case, result, decided in rows:
                bad = {"requests": ("missed", "wrong_start"), "policy": ("wrong_topic", "case_opened", "wrong_start",
                                                                       "asked_other", "search", "unanswered"),
                       "customer_service": ("case_opened", "status_opened"),
                       "out_of_domain": ("case_opened", "status_opened")}.get(kind, ())
                if result in bad:
                    print(f"  [{lang} {kind} {result}: {decided.kind} {decided.intent} {decided.topic} "
                          f"{decided.offers}] {case.text!r} (expected {'|'.join(case.expected) or '-'})")


def report_holdout(cases: List[Case], parses: List[Dict[str, Any]]) -> None:
    print("\n== older held-out sets (tests/nlu_holdout; the thresholds are tuned on these)")
    for lang in LANGUAGES:
        rows = [(c, p) for c, p in zip(cases, parses) if c.language == lang]
        intents = [(c, p) for c, p in rows if not c.expected[0].startswith("faq/")]
        faqs = [(c, p) for c, p in rows if c.expected[0].startswith("faq/")]
        top_ok = sum((p.get("intent") or {}).get("name") == c.expected[0] for c, p in intents)
        raw_ok = sum(
            next((r["name"] for r in p.get("intent_ranking", []) if r["name"] != "nlu_fallback"), None) == c.expected[0]
            for c, p in intents
        )
        faq_results = [judge(Case(c.text, c.expected, lang, "policy"), p, routing.route(p)) for c, p in faqs]
        # The topic ranked first, before any threshold: what the topic classifier alone gets right.
        first_topic = sum(f"faq/{ranked[0][0]}" in c.expected
                          for c, ranked in ((c, routing.topic_ranking(p)) for c, p in faqs) if ranked)
        oos = [(c, p) for c, p in intents if c.expected[0] == "out_of_scope"]
        oos_opened = sum(routing.route(p).intent in CASE_OPENING_INTENTS for _c, p in oos)
        print(
            f"{lang}: intents {len(intents)}: top intent {raw_ok / max(1, len(intents)):.3f}, after guard and "
            f"fallback {top_ok / max(1, len(intents)):.3f}; faq {len(faqs)}: topic ranked first "
            f"{first_topic / max(1, len(faqs)):.3f}, right topic "
            f"{share(faq_results, 'ok')[0] / max(1, len(faqs)):.3f}, right or offered "
            f"{share(faq_results, 'ok', 'offered')[0] / max(1, len(faqs)):.3f}, wrong {share(faq_results, 'wrong_topic', 'case_opened', 'wrong_start')[0] / max(1, len(faqs)):.3f}; "
            f"out_of_scope opening a case {oos_opened}/{len(oos)}"
        )


def sweep(cases: List[Case], parses: List[Dict[str, Any]]) -> None:
    """FAQ confidence and margin on the tuning set: right answers kept against wrong-topic answers."""
    faqs = [(c, p) for c, p in zip(cases, parses) if c.expected[0].startswith("faq/")]
    print("\n== FAQ threshold sweep on tests/nlu_holdout faq sets (min confidence, min margin: right / right or "
          "offered / wrong / asked without the right button / search)")
    saved = routing.FAQ_MIN_CONFIDENCE, routing.FAQ_MIN_MARGIN
    try:
        for conf in (0.2, 0.3, 0.4, 0.5, 0.6, 0.7):
            cells = []
            for margin in (0.0, 0.1, 0.2, 0.3, 0.4):
                routing.FAQ_MIN_CONFIDENCE, routing.FAQ_MIN_MARGIN = conf, margin
                results = [judge(Case(c.text, c.expected, c.language, "policy"), p, routing.route(p)) for c, p in faqs]
                cells.append(f"{margin:.1f}: {share(results, 'ok')[0]}/{share(results, 'ok', 'offered')[0]}/"
                             f"{share(results, 'wrong_topic')[0]}/{share(results, 'asked_other')[0]}/"
                             f"{share(results, 'search')[0]}")
            print(f"  {conf:.1f} | " + "  ".join(cells))
    finally:
        routing.FAQ_MIN_CONFIDENCE, routing.FAQ_MIN_MARGIN = saved
    print(f"  (in use: {routing.FAQ_MIN_CONFIDENCE} / {routing.FAQ_MIN_MARGIN}; of {len(faqs)})")


# ------------------------------------------------------------------------------------------ language


def _bin(text: str) -> str:
    from bot.language import words

    n = len(words(text)) or len(text.split())
    return "1-3" if n <= 3 else "4-7" if n <= 7 else "8+"


def report_language() -> None:
    from bot import language

    messages = ACCEPTANCE / "language" / "messages.tsv"
    if messages.exists():
        rows = [r for r in read_tsv(messages) if len(r) >= 2]
        print("\n== language identification (tests/nlu_acceptance/language/messages.tsv), bot.language.best_guess")
        table: Dict[Tuple[str, str], List[bool]] = collections.defaultdict(list)
        english_calls = collections.Counter()
        for text, label in ((r[0], r[1].strip()) for r in rows):
            guess = language.best_guess(text)
            table[(label, _bin(text))].append(guess == label)
            table[(label, "all")].append(guess == label)
            if label != "en" and guess == "en":
                english_calls[label] += 1
        labels = sorted({k[0] for k in table})
        print("label | 1-3 words | 4-7 | 8+ | all | called English")
        for label in labels:
            cells = []
            for b in ("1-3", "4-7", "8+", "all"):
                got = table.get((label, b), [])
                cells.append(f"{sum(got) / len(got):.3f} ({len(got)})" if got else "-")
            print(f"{label:5} | " + " | ".join(cells) + f" | {english_calls.get(label, 0)}")
    turns = ACCEPTANCE / "language" / "conversations.tsv"
    if turns.exists():
        rows = [r for r in read_tsv(turns) if len(r) >= 4]
        ok = collections.Counter()
        total = collections.Counter()
        misses = []
        for locale, previous, text, expected in rows:
            metadata = {"locale": locale} if locale.strip() not in ("", "-") else {}
            prev = previous.strip() if previous.strip() in LANGUAGES else None
            got = language.choose_language(prev, text, metadata)
            kind = ("conflict" if metadata and language.language_from_code(locale) != expected.strip()
                    else "agree")
            for k in (kind, "all"):
                total[k] += 1
                ok[k] += got == expected.strip()
            if got != expected.strip():
                misses.append((locale, previous, text, expected, got))
        print("\n== reply language over conversation turns (tests/nlu_acceptance/language/conversations.tsv)")
        for k in ("conflict", "agree", "all"):
            if total[k]:
                print(f"{k:8}: {ok[k] / total[k]:.3f} ({ok[k]}/{total[k]})")
        for miss in misses[:15]:
            print("   miss:", miss)


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("model", nargs="?", default=str(ROOT / "models" / "assistant.tar.gz"))
    parser.add_argument("--errors", action="store_true", help="list every miss of the acceptance sets")
    parser.add_argument("--language-only", action="store_true")
    args = parser.parse_args(argv)
    if not args.language_only:
        logging.disable(logging.WARNING)
        import structlog

        structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.WARNING))
        acceptance = load_acceptance()
        holdout = load_holdout()
        parses = asyncio.run(parse_all(Path(args.model), acceptance + holdout))
        report(acceptance, parses[: len(acceptance)], args.errors)
        report_holdout(holdout, parses[len(acceptance):])
        sweep(holdout, parses[len(acceptance):])
    report_language()
    return 0


if __name__ == "__main__":
    sys.exit(main())
