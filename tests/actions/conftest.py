"""Fixtures shared by the action tests."""

from __future__ import annotations

import pytest
from rasa_sdk.executor import ActionExecutor

from actions import policy


@pytest.fixture()
def policy_executor() -> ActionExecutor:
    """The action server's policy answers (action_answer_faq, action_clarify_request), run as Rasa calls them."""
    executor = ActionExecutor()
    executor.register_action(policy.ActionAnswerFaq)
    executor.register_action(policy.ActionClarifyRequest)
    return executor
