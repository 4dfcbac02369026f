"""The messy conversations (tests/scenarios/, issue 10) against the real stack: trained NLU, action server,
backend. Each scenario's filed case is read back through the staff API and compared with what it expects.

Per language, at least SHARE_REQUIRED of the scenarios must file the right case with the right fields; every
failure is printed with its transcript. SHARE_REQUIRED is a floor under today's numbers (sv 0.96, nb 0.91,
en 0.93 on the model of session 8), so a regression fails; the issue's target is 0.95, which
`bench/bench_scenarios.py` reports against, with the turns.
Model: env E2E_MODEL (default models/assistant.tar.gz); skipped, saying so, when there is none.
"""

from __future__ import annotations


import pytest

from tests.e2e_stack import RunningStack
from tests.e2e_flows_helpers import FlowStack, flow_stack
from tests.scenarios.runner import LANGUAGES, load, play_all

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(3600)]

SHARE_REQUIRED = 0.85  # raise it as the numbers rise; the target is 0.95
MIN_PER_FLOW = 15
FLOWS = {"rights": {"access", "rectification", "erasure", "restriction", "objection", "portability",
                    "consent_withdrawal"},
         "withdrawal": {"application_withdrawal", "recruitment_database"},
         "incident": {"incident"}, "misconduct": {"misconduct"}, "complaint": {"complaint"},
         "case_status": {"case_status"}}


@pytest.fixture(scope="module")
def stack(e2e_stack: RunningStack) -> FlowStack:
    # The run's shared stack (tests/conftest.py); skipped, saying why, when there is no model.
    return flow_stack(e2e_stack)


@pytest.mark.parametrize("lang", LANGUAGES)
def test_there_are_enough_messy_conversations_per_flow(lang: str) -> None:
    scenarios = load(lang)
    assert len({s["id"] for s in scenarios}) == len(scenarios)
    for group, flows in FLOWS.items():
        assert sum(s["flow"] in flows for s in scenarios) >= MIN_PER_FLOW, group


@pytest.mark.parametrize("lang", LANGUAGES)
def test_messy_conversations_file_the_right_case(stack: FlowStack, lang: str) -> None:
    outcomes = play_all(stack, lang)
    failed = [o for o in outcomes if not o.ok]
    share = 1 - len(failed) / len(outcomes)
    report = "\n".join(o.line() for o in outcomes)
    print(report)
    for outcome in failed:
        print(outcome.transcript)
    assert share >= SHARE_REQUIRED, f"{lang}: {share:.3f} of {len(outcomes)} filed right\n" + "\n".join(
        o.line() for o in failed)
