"""Messy-conversation benchmark (issue 10): the share of tests/scenarios/<lang>.yml conversations that file
the right case with the right fields, per language and flow, and the turns they took against the minimum
a perfect assistant would need (the opening, every intended try, the detours, the summary, the code).

Starts the real stack on the embedded defaults (backend on SQLite, action server, `rasa run` with the trained
model) with tests/e2e_stack.running_stack, plays every scenario with the adaptive user of
tests/scenarios/runner.py, prints numbers and asserts nothing.

    .venv/bin/python bench/bench_scenarios.py                 # all languages
    .venv/bin/python bench/bench_scenarios.py --lang sv --errors   # with the failed transcripts
"""

from __future__ import annotations

import argparse
import collections
import os
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.e2e_flows_helpers import flow_stack  # noqa: E402
from tests.e2e_stack import running_stack  # noqa: E402
from tests.scenarios.runner import LANGUAGES, play_all  # noqa: E402

TARGET = 0.95


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lang", choices=LANGUAGES, action="append")
    parser.add_argument("--errors", action="store_true", help="print the transcript of every failure")
    args = parser.parse_args()
    langs = args.lang or list(LANGUAGES)
    with tempfile.TemporaryDirectory() as work, running_stack(Path(work), ROOT / "credentials.yml") as running:
        stack = flow_stack(running)
        rows = []
        for lang in langs:
            started = time.monotonic()
            outcomes = play_all(stack, lang)
            seconds = time.monotonic() - started
            by_flow = collections.defaultdict(list)
            for outcome in outcomes:
                by_flow[outcome.flow].append(outcome)
                if not outcome.ok:
                    print(outcome.line())
                    if args.errors:
                        print(outcome.transcript)
            ok = [o for o in outcomes if o.ok]
            turns = sum(o.turns for o in ok) / max(1, sum(o.minimum for o in ok))
            rows.append((lang, len(ok), len(outcomes), turns, seconds))
            for flow, group in sorted(by_flow.items()):
                print(f"  {lang} {flow:<24} {sum(o.ok for o in group):>3}/{len(group):<3}")
        print(f"\n{'lang':<5}{'filed right':>13}{'share':>8}{'target':>8}{'turns/minimum':>15}{'seconds':>9}")
        for lang, good, total, turns, seconds in rows:
            print(f"{lang:<5}{good:>7}/{total:<5}{good / max(1, total):>8.3f}{TARGET:>8.2f}{turns:>15.2f}{seconds:>9.0f}")


if __name__ == "__main__":
    main()
