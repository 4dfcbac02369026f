"""Patches of Rasa internals, written for Rasa 3.6.21 only (applied on import; any other version refuses).

1. `RemoteAction._validate_action_result` validates every action-server response with `jsonschema.validate`,
   which checks the response schema against the JSON Schema metaschema on every call before validating the
   response: about half of the Rasa process's CPU under load (issue 11, py-spy). The schema is a constant
   (`RemoteAction.action_response_format_spec()`), so it is checked once here and the validator compiled
   once. The validation itself is unchanged: the same validator class, the same errors (the best match, as
   `jsonschema.validate` raises), the same message added for the log.

Applied where Rasa loads our code: `bot/language_component.py`, the first pipeline component, imports this
module, so `rasa run`, `rasa shell` and `rasa test` load the patch with the model. The action server never
imports it. tests/bot/test_rasa_patches.py proves the patch is active in a running Rasa and as strict.
"""

from __future__ import annotations

import logging
from typing import Any, Dict, Text

import rasa

logger = logging.getLogger(__name__)

PATCHED_FOR_RASA = "3.6.21"
PATCH_MARK = "__privacy_assistant_patch__"


class UnsupportedRasaVersion(RuntimeError):
    pass


def _require_version() -> None:
    if rasa.__version__ != PATCHED_FOR_RASA:
        raise UnsupportedRasaVersion(
            f"bot/rasa_patches.py was written for Rasa {PATCHED_FOR_RASA} and this is Rasa {rasa.__version__}: "
            "check each patch against the new version, then change PATCHED_FOR_RASA"
        )


def _patch_action_result_validation() -> None:
    from jsonschema import ValidationError, exceptions, validators
    from rasa.core.actions.action import RemoteAction
    from rasa.shared.constants import DOCS_BASE_URL

    if getattr(RemoteAction._validate_action_result, PATCH_MARK, False):
        return
    schema = RemoteAction.action_response_format_spec()
    validator_class = validators.validator_for(schema)
    validator_class.check_schema(schema)  # once, instead of on every response
    validator = validator_class(schema)

    def _validate_action_result(self: RemoteAction, result: Dict[Text, Any]) -> bool:
        error = exceptions.best_match(validator.iter_errors(result))
        if error is None:
            return True
        assert isinstance(error, ValidationError)
        error.message += (
            ". Failed to validate Action server response from API, make sure your response from the Action "
            f"endpoint is valid. For more information about the format visit {DOCS_BASE_URL}/custom-actions"
        )
        raise error

    setattr(_validate_action_result, PATCH_MARK, True)
    RemoteAction._validate_action_result = _validate_action_result  # type: ignore[method-assign]


def apply() -> None:
    """Apply every patch (idempotent); refuse on any Rasa version but the one they were written for."""
    _require_version()
    _patch_action_result_validation()
    logger.info("Rasa %s patches applied: action response validation compiled once", PATCHED_FOR_RASA)


apply()
