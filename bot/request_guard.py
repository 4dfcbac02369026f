"""The request guard, as an NLU component: a case-opening intent whose object is not personal data becomes
`customer_service` or `out_of_scope`, and a request named by its object or act in words (leaving the
recruitment database, "Klage: ...") takes the place of the neighbour the classifier chose (the rules and their
word lists: bot/request_rules.py).

config.yml: `- name: bot.request_guard.RequestGuard`, after the intent classifiers and the response
selector and before the FallbackClassifier (which then judges the guarded ranking).
"""

from __future__ import annotations

from typing import Any, Dict, List, Text

from bot.request_rules import (
    CHOSEN_TOPIC_ENTITY,
    CUSTOMER_SERVICE,
    ERASING_VERBS,
    OUT_OF_SCOPE,
    erasure_said_as_access,
    guard_ranking,
    guarded_intent,
    names_personal_data,
    promote_named_request,
    question_about_a_right,
)

# The rule's names are importable from here too (the component and its rule read as one thing to callers).
__all__ = ["RequestGuard", "CUSTOMER_SERVICE", "ERASING_VERBS", "OUT_OF_SCOPE", "erasure_said_as_access",
           "guard_ranking", "guarded_intent", "names_personal_data", "promote_named_request",
           "question_about_a_right"]

try:  # The Rasa component; the rule above stays importable without Rasa (action server, CLI, tests).
    from rasa.engine.graph import ExecutionContext, GraphComponent
    from rasa.engine.recipes.default_recipe import DefaultV1Recipe
    from rasa.engine.storage.resource import Resource
    from rasa.engine.storage.storage import ModelStorage
    from rasa.shared.nlu.constants import ENTITIES, INTENT, INTENT_RANKING_KEY, TEXT
    from rasa.shared.nlu.training_data.message import Message
except ImportError:  # pragma: no cover - only the action server lacks Rasa
    GraphComponent = object  # type: ignore[misc,assignment]
    DefaultV1Recipe = None  # type: ignore[assignment]

if DefaultV1Recipe is not None:

    @DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER], is_trainable=False)
    class RequestGuard(GraphComponent):
        """Replaces a case-opening intent whose object is not personal data (see the module docstring).

        The removed intent is kept in the parse data as `guarded_intent`, for the logs and the benchmark."""

        @classmethod
        def create(
            cls,
            config: Dict[Text, Any],
            model_storage: ModelStorage,
            resource: Resource,
            execution_context: ExecutionContext,
        ) -> "RequestGuard":
            return cls()

        def process(self, messages: List[Message]) -> List[Message]:
            for message in messages:
                text = message.get(TEXT)
                intent = message.get(INTENT)
                if not isinstance(text, str) or not intent:
                    continue
                new_intent, ranking, removed = guard_ranking(intent, message.get(INTENT_RANKING_KEY) or [], text)
                erasure = erasure_said_as_access(new_intent, ranking, text)
                if erasure is not None:
                    new_intent = {"name": "request_erasure", "confidence": float(new_intent.get("confidence") or 0.0)}
                    ranking = [new_intent] + [r for r in ranking if r.get("name") != "request_erasure"]
                    removed = "request_access"
                named = promote_named_request(new_intent, ranking, text)
                reranked = named is not None
                if named is not None:
                    if named[0].get("name") != new_intent.get("name"):
                        removed = new_intent.get("name")
                    new_intent, ranking = named
                asked = question_about_a_right(new_intent, ranking, text)
                if asked is not None:
                    removed = new_intent.get("name")
                    new_intent, ranking, topic = asked
                    # The topic the answer is about, as a topic button would choose it (actions/routing).
                    message.set(ENTITIES, message.get(ENTITIES, []) + [{
                        "entity": CHOSEN_TOPIC_ENTITY, "value": topic, "start": 0, "end": len(text),
                        "extractor": type(self).__name__}], add_to_output=True)
                if removed or reranked:
                    message.set(INTENT, new_intent, add_to_output=True)
                    message.set(INTENT_RANKING_KEY, ranking, add_to_output=True)
                if removed:
                    message.set("guarded_intent", removed, add_to_output=True)
            return messages
