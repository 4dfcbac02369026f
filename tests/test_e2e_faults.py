"""A subset of the fault matrix (bench/bench_faults.py runs all of it): on the embedded stores, each process is
killed with SIGKILL while the filing call is in flight (the step where a case is most easily lost or filed
twice), and the mail server refuses the code e-mail. Each time exactly one case is filed with the typed answers,
the person ends verified, and whatever they saw was in their language.
"""

from __future__ import annotations

from typing import Iterator

import pytest

from tests.e2e_stack import model_or_skip
from tests.fault_matrix import kill_run, smtp_refusing_run
from tests.fault_stack import FaultStack

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(900)]  # Rasa starts twice: slow on a busy machine


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[FaultStack]:
    model_or_skip()
    running = FaultStack(tmp_path_factory.mktemp("faults"))
    try:
        running.start()
        yield running
    finally:
        running.stop()


@pytest.mark.parametrize("process,lang", [("actions", "sv"), ("backend", "nb"), ("rasa", "en")])
def test_a_process_killed_while_filing_loses_nothing_and_files_once(stack: FaultStack, process: str,
                                                                     lang: str) -> None:
    outcome = kill_run(stack, "embedded", process, "filing_in_flight", lang)
    assert not outcome.error, outcome
    assert outcome.cases_filed == 1, outcome
    assert not outcome.lost, outcome
    assert outcome.translated is not False, outcome
    if process != "rasa":  # with Rasa dead nothing can answer; the widget says the connection was lost
        assert outcome.saw.startswith("[try again]"), outcome


def test_a_refused_code_email_keeps_the_case_and_a_new_code_confirms_it(stack: FaultStack) -> None:
    outcome = smtp_refusing_run(stack, "embedded", "sv")
    assert not outcome.error, outcome
    assert outcome.cases_filed == 1 and not outcome.lost, outcome
    assert outcome.translated is True, outcome
