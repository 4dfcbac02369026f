"""bot/rasa_patches.py: active wherever Rasa loads our pipeline, as strict as Rasa's own check, and refusing to
run on a Rasa version it was not written for."""

from __future__ import annotations

from typing import Any, Dict

import jsonschema
import pytest
import rasa
from rasa.core.actions.action import RemoteAction

import bot.language_component  # noqa: F401  (the way Rasa loads the patch: with our first pipeline component)
from bot import rasa_patches

VALID = [
    {"events": [], "responses": []},
    {"events": [{"event": "slot", "name": "language", "value": "sv", "timestamp": None}],
     "responses": [{"text": "Hej", "buttons": [{"title": "Ja", "payload": "/affirm"}]}]},
    {"events": [{"event": "followup", "name": "rights_request_form"}], "responses": [{"json_message": {"a": 1}}]},
]
INVALID = [
    {"events": "not a list"},
    {"events": [{"name": "no event type"}]},
    {"events": [{"event": "slot"}], "responses": "text"},
    {"events": [{"event": "slot", "name": 3}]},
]


def _stock(result: Dict[str, Any]) -> str:
    try:
        jsonschema.validate(result, RemoteAction.action_response_format_spec())
        return "ok"
    except jsonschema.ValidationError as error:
        return error.message


def _patched(result: Dict[str, Any]) -> str:
    action = RemoteAction.__new__(RemoteAction)
    try:
        assert action._validate_action_result(result) is True
        return "ok"
    except jsonschema.ValidationError as error:
        return error.message


def test_the_patch_is_active_once_rasa_loads_our_pipeline() -> None:
    assert getattr(RemoteAction._validate_action_result, rasa_patches.PATCH_MARK, False)
    assert rasa.__version__ == rasa_patches.PATCHED_FOR_RASA


@pytest.mark.parametrize("result", VALID + INVALID)
def test_the_compiled_validator_is_as_strict_as_rasas_own(result: Dict[str, Any]) -> None:
    stock, patched = _stock(result), _patched(result)
    assert patched.startswith(stock)  # the same verdict and error; the patch adds Rasa's hint to the message
    assert (stock == "ok") == (result in VALID)


def test_another_rasa_version_refuses_to_start(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(rasa, "__version__", "3.6.20")
    with pytest.raises(rasa_patches.UnsupportedRasaVersion, match="written for Rasa 3.6.21 and this is Rasa 3.6.20"):
        rasa_patches.apply()
    monkeypatch.undo()
    rasa_patches.apply()  # idempotent on the right version
    assert getattr(RemoteAction._validate_action_result, rasa_patches.PATCH_MARK, False)
