"""Fault matrix (issue 13): kill -9 each of the three processes at each step of a filing, on both store sets.

What runs (tests/fault_stack.py, tests/fault_matrix.py): the real backend, action server and `rasa run`, with a
forwarding proxy between the action server and the backend that can hold the filing call. For each store set
(embedded: SQLite + in-memory locks, as `make run`; production: PostgreSQL backend and trackers + Redis locks),
each process (backend, actions, rasa) and each step (before_filing, filing_in_flight, after_filing, after_code)
one person files an access request (sv, nb, en in turn); the process is killed with SIGKILL at that step,
the person's next message meets the dead process, the process is started again, and the person does what the
assistant said (press "try again", or send the message again). Then two more rows per store: the backend's
database unavailable while the filing call is on its way, and the mail server refusing the code e-mail.

Printed: one row per run: cases filed (1 expected; more is a duplicate), answers lost, what the user saw while
the process was dead, whether it was in their language, the tries it took, and the totals. It asserts nothing;
tests/test_e2e_faults.py asserts a subset.

    .venv/bin/python bench/bench_faults.py                         # everything, ~20-30 minutes on 2 cores
    .venv/bin/python bench/bench_faults.py --stores embedded --processes actions backend
    .venv/bin/python bench/bench_faults.py --steps filing_in_flight
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import List

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("SQLALCHEMY_SILENCE_UBER_WARNING", "1")
os.environ.setdefault("RASA_TELEMETRY_ENABLED", "false")
ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.fault_matrix import STEPS, Outcome, database_outage_run, kill_run, smtp_refusing_run  # noqa: E402
from tests.fault_stack import PROCESSES, FaultStack  # noqa: E402

LANGS = ("sv", "nb", "en")


def row(outcome: Outcome) -> str:
    translated = {True: "yes", False: "NO", None: "-"}[outcome.translated]
    lost = ",".join(outcome.lost) or "0"
    line = (f"{outcome.store:<10} {outcome.process:<8} {outcome.step:<16} {outcome.lang:<3} "
            f"{outcome.cases_filed:>5} {outcome.duplicates:>4} {lost:<9} {translated:<5} {outcome.retries:>5}  "
            f"{outcome.saw}")
    if outcome.error:
        line += f"\n{'':<45}ERROR {outcome.error}"
    return line


HEADER = (f"{'store':<10} {'process':<8} {'step':<16} {'lng':<3} {'cases':>5} {'dup':>4} {'lost':<9} "
          f"{'lang?':<5} {'tries':>5}  what the user saw while it was dead")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--stores", nargs="+", default=["embedded", "production"], choices=["embedded", "production"])
    parser.add_argument("--processes", nargs="+", default=list(PROCESSES), choices=list(PROCESSES))
    parser.add_argument("--steps", nargs="+", default=list(STEPS), choices=list(STEPS))
    parser.add_argument("--no-extra", action="store_true", help="skip the database and SMTP rows")
    args = parser.parse_args()

    outcomes: List[Outcome] = []
    started = time.monotonic()
    print(HEADER, flush=True)
    for store in args.stores:
        with tempfile.TemporaryDirectory(prefix=f"faults-{store}-") as work:
            stack = FaultStack(Path(work), production=store == "production")
            try:
                stack.start()
                turn = 0
                for process in args.processes:
                    for step in args.steps:
                        outcome = kill_run(stack, store, process, step, LANGS[turn % len(LANGS)])
                        turn += 1
                        outcomes.append(outcome)
                        print(row(outcome), flush=True)
                if not args.no_extra:
                    for extra in (database_outage_run, smtp_refusing_run):
                        outcome = extra(stack, store, LANGS[turn % len(LANGS)])
                        turn += 1
                        outcomes.append(outcome)
                        print(row(outcome), flush=True)
            finally:
                stack.stop()

    runs = len(outcomes)
    print()
    print(f"runs: {runs}, in {time.monotonic() - started:.0f} s")
    print(f"cases lost (none filed): {sum(o.cases_filed == 0 for o in outcomes)}   (target 0)")
    print(f"duplicate cases: {sum(o.duplicates for o in outcomes)}   (target 0)")
    print(f"runs with answers lost: {sum(bool(o.lost) for o in outcomes)}   (target 0)")
    print(f"messages not in the user's language: {sum(o.translated is False for o in outcomes)}   (target 0)")
    print(f"runs with errors: {sum(bool(o.error) for o in outcomes)}")
    print(f"runs fully right: {sum(o.ok for o in outcomes)}/{runs}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
