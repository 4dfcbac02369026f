"""bot/rasa_patches.py in a real `rasa run` (the model, the action server and the backend as real processes, as
tests/e2e_stack.py starts them): the start-up log lists every patch, and conversations that go through the
action server (so through the patched request serialisation, the fast response validation and the cached
event-type lookup) get the answers they should.

Model: env E2E_MODEL (default models/assistant.tar.gz); skipped, saying so, when there is none.
"""

from __future__ import annotations

import json
import urllib.request
import uuid
from typing import Any, Dict, List

import pytest

from bot import rasa_patches
from tests.e2e_stack import REFERENCE, RunningStack

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def stack(e2e_stack: RunningStack) -> RunningStack:
    # The run's shared stack (tests/conftest.py): its log covers every end-to-end module of the run, so the
    # checks below that no action failed hold for all of them.
    return e2e_stack


def say(stack: RunningStack, sender: str, text: str, lang: str) -> str:
    body = json.dumps({"sender": sender, "message": text, "metadata": {"language": lang}}).encode()
    request = urllib.request.Request(f"{stack.rasa_url}/webhooks/rest/webhook", data=body,
                                     headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=120) as response:
        replies: List[Dict[str, Any]] = json.loads(response.read().decode())
    return "\n".join(r.get("text") or "" for r in replies)


def test_every_patch_is_listed_by_the_running_server(stack: RunningStack) -> None:
    assert "3 månader" in say(stack, f"patch-{uuid.uuid4().hex[:8]}", "hur länge sparar ni min ansökan?", "sv")
    log = stack.rasa_log_text()
    assert f"Rasa {rasa_patches.PATCHED_FOR_RASA} patches applied" in log
    for patch in rasa_patches.PATCHES:
        assert patch in log, f"{patch} not applied in the running Rasa"
    assert "Failed to validate Action server response" not in log
    assert "Encountered an exception while running action" not in log


def test_a_filing_through_the_patched_action_calls(stack: RunningStack) -> None:
    """Every turn of a form calls the action server with the tracker and the domain (the spliced JSON) and
    reads its events back (validation, event types): a filing only ends with a reference if all of it works."""
    sender, lang = f"patch-sv-{uuid.uuid4().hex[:8]}", "sv"
    assert "Vad heter du" in say(stack, sender, "Jag vill ha ett registerutdrag, vilka uppgifter har ni om mig?", lang)
    assert "Vilken e-postadress" in say(stack, sender, "Anna Svensson", lang)
    assert "Stämmer det här?" in say(stack, sender, f"anna.{uuid.uuid4().hex[:6]}@example.se", lang)
    said = say(stack, sender, "ja", lang)
    match = REFERENCE.search(said)
    assert match, said
    code = stack.backend.latest_code(match.group(0))
    assert match.group(0) in say(stack, sender, code, lang)
