"""End to end over the REST channel: real backend + real action server + real Rasa with a trained model.

One conversation per language files a real case and ends with a reference:
- Swedish access request, - Norwegian erasure request, - English application withdrawal.
The e-mail codes are read from the backend's outbox. The processes are started by tests/e2e_stack.py.

Model: env E2E_MODEL (default models/assistant.tar.gz); the test is skipped, saying so, when there is none.
Run:  E2E_MODEL=/tmp/flows-models/flows.tar.gz .venv/bin/pytest -m e2e tests/test_e2e_rest.py
"""

from __future__ import annotations

import json
import urllib.request
import uuid
from pathlib import Path
from typing import Any, Dict, List, Optional

import pytest

from tests.actions.flow_harness import BackendProcess
from tests.e2e_stack import DATE, REFERENCE, RunningStack

pytestmark = pytest.mark.e2e


class Stack:
    def __init__(self, backend: BackendProcess, rasa_port: int, rasa_log: Optional[Path] = None) -> None:
        self.backend = backend
        self.url = f"http://127.0.0.1:{rasa_port}/webhooks/rest/webhook"
        self.rasa_log = rasa_log

    def say(self, sender: str, text: str, lang: str) -> List[Dict[str, Any]]:
        body = json.dumps({"sender": sender, "message": text, "metadata": {"language": lang}}).encode()
        request = urllib.request.Request(self.url, data=body, headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=120) as response:
            return json.loads(response.read().decode())


def text_of(replies: List[Dict[str, Any]]) -> str:
    return "\n".join(r.get("text") or "" for r in replies)


@pytest.fixture(scope="module")
def stack(e2e_stack: RunningStack) -> Stack:
    # The run's shared stack (tests/conftest.py); skipped, saying why, when there is no model.
    return Stack(e2e_stack.backend, e2e_stack.rasa_port, e2e_stack.rasa_log)


def finish_with_code(stack: Stack, sender: str, lang: str, replies: List[Dict[str, Any]]) -> str:
    """After "yes" at the summary: the code e-mail arrives, we type it, and get reference + date."""
    said = text_of(replies)
    match = REFERENCE.search(said)
    assert match, f"no reference after confirming:\n{said}"
    reference = match.group(0)
    code = stack.backend.latest_code(reference)
    final = text_of(stack.say(sender, code, lang))
    assert reference in final, final
    assert DATE[lang].search(final), final
    filed = [c for c in stack.backend.cases() if c["reference"] == reference]
    assert len(filed) == 1 and filed[0]["status"] == "open" and filed[0]["language"] == lang
    return reference


def test_the_rasa_patches_are_active_in_the_running_server(stack: Stack) -> None:
    """bot/rasa_patches.py is loaded with the model by `rasa run` (and an action response passes the patched,
    compiled validation: the reply comes from the action server)."""
    replies = stack.say(f"patch-{uuid.uuid4().hex[:8]}", "hur länge sparar ni min ansökan?", "sv")
    assert replies and "3 månader" in text_of(replies)
    assert stack.rasa_log is not None
    assert "Rasa 3.6.21 patches applied" in stack.rasa_log.read_text(errors="replace")


def test_swedish_access_request(stack: Stack) -> None:
    sender, lang = f"e2e-sv-{uuid.uuid4().hex[:8]}", "sv"
    said = text_of(stack.say(sender, "Jag vill ha ett registerutdrag, vilka uppgifter har ni om mig?", lang))
    assert "Vad heter du" in said, said
    assert "Vilken e-postadress" in text_of(stack.say(sender, "Anna Svensson", lang))
    summary = text_of(stack.say(sender, f"anna.{uuid.uuid4().hex[:6]}@example.se", lang))
    assert "Stämmer det här?" in summary, summary
    replies = stack.say(sender, "ja", lang)
    assert "6-siffrig kod" in text_of(replies)
    reference = finish_with_code(stack, sender, lang, replies)
    assert [c["type"] for c in stack.backend.cases() if c["reference"] == reference] == ["access"]


def test_norwegian_erasure_request(stack: Stack) -> None:
    sender, lang = f"e2e-nb-{uuid.uuid4().hex[:8]}", "nb"
    said = text_of(stack.say(sender, "Jeg vil at dere sletter alle personopplysningene deres om meg", lang))
    assert "Skal vi slette alt" in said, said
    assert "Hva heter du" in text_of(stack.say(sender, "alt sammen", lang))
    assert "Hvilken e-postadresse" in text_of(stack.say(sender, "Kari Nordmann", lang))
    summary = text_of(stack.say(sender, f"kari.{uuid.uuid4().hex[:6]}@example.no", lang))
    assert "Stemmer dette?" in summary and "sletting" in summary, summary
    replies = stack.say(sender, "ja", lang)
    reference = finish_with_code(stack, sender, lang, replies)
    assert [c["type"] for c in stack.backend.cases() if c["reference"] == reference] == ["erasure"]


def test_english_application_withdrawal(stack: Stack) -> None:
    sender, lang = f"e2e-en-{uuid.uuid4().hex[:8]}", "en"
    said = text_of(stack.say(sender, "I would like to withdraw my job application", lang))
    assert "Which position and company" in said, said
    assert "3 months" in said  # what is deleted, and when
    assert "What is your name" in text_of(stack.say(sender, "Consultant, Amesto Solutions AS", lang))
    assert "Which e-mail address" in text_of(stack.say(sender, "Jane Smith", lang))
    summary = text_of(stack.say(sender, f"jane.{uuid.uuid4().hex[:6]}@example.com", lang))
    assert "Is this correct?" in summary, summary
    replies = stack.say(sender, "yes", lang)
    reference = finish_with_code(stack, sender, lang, replies)
    assert [c["type"] for c in stack.backend.cases() if c["reference"] == reference] == ["application_withdrawal"]
