"""Which policy topic a question is about (`faq/<topic>`): our linear classifier in place of Rasa's
ResponseSelector, writing the ResponseSelector's output.

On the 279 held-out policy questions of tests/nlu_holdout the ResponseSelector (60 epochs, 128 wide) had put
the right topic first for 0.946 / 0.946 / 0.935 (sv / nb / en), but its confidences were so spread that only
214 were sure enough to answer at its threshold (3 wrong); this classifier ranks 0.957 / 0.935 / 0.957 first,
and at its tuned threshold answers 246 with the right topic and 6 with a wrong one, offering the right one as
a button for 14 more (bench/bench_understanding.py; actions/routing.py holds the thresholds). Topics differ by their nouns ("cookies", "kreditupplysning", "leverantör"), which the
features of bot/linear_text_model.py catch from ~70 examples a topic.

Since issue 9's session 14 the regression's probabilities are averaged with a calibrated linear SVM's (config.yml):
answered right with the routing's 0.3 / 0.2 on the same held-out questions 0.989 / 0.989 / 0.946 (sv / nb / en;
before 0.978 / 0.957 / 0.946), and on a 5-fold split of the 4,348 training questions 1269 / 1292 / 1241 right
and 46 / 44 / 59 wrong (before 1246 / 1263 / 1207 and 56 / 47 / 66).

Output, as Rasa's ResponseSelector writes it, so everything downstream reads it unchanged:
`parse["response_selector"]["faq"]` with `response` (the best `intent_response_key`, its `confidence`, the
domain's responses) and `ranking`, best first.

config.yml: `- name: bot.faq_topics.FaqTopicClassifier` (before the request guard and the fallback).
"""

from __future__ import annotations

from typing import Any, Dict, List, Text, Tuple

from rasa.engine.graph import GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.shared.nlu.constants import INTENT, INTENT_RESPONSE_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from bot.linear_text_model import LinearClassifierComponent

SELECTOR_PROPERTY = "response_selector"


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER], is_trainable=True)
class FaqTopicClassifier(LinearClassifierComponent, GraphComponent):
    """Ranks the topics of one retrieval intent (`faq/<topic>`) for every message."""

    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        return {**LinearClassifierComponent.get_default_config(), "retrieval_intent": "faq"}

    @property
    def retrieval_intent(self) -> str:
        return str(self._config["retrieval_intent"])

    def examples(self, training_data: TrainingData) -> Tuple[List[str], List[str], Dict[str, Any]]:
        chosen = [m for m in training_data.intent_examples
                  if m.get(INTENT) == self.retrieval_intent and m.get(INTENT_RESPONSE_KEY) and m.get(TEXT)]
        responses = {key: value for key, value in training_data.responses.items()
                     if key.startswith(f"utter_{self.retrieval_intent}/")}
        return [m.get(TEXT) for m in chosen], [m.get(INTENT_RESPONSE_KEY) for m in chosen], {"responses": responses}

    def process(self, messages: List[Message]) -> List[Message]:
        responses = self._extras.get("responses") or {}
        for message in messages:
            ranking = self.ranking(message.get(TEXT))
            if not ranking:
                continue
            key, confidence = ranking[0]
            utter_action = f"utter_{key}"
            properties = message.get(SELECTOR_PROPERTY, {}) or {}
            properties["all_retrieval_intents"] = [self.retrieval_intent]
            properties[self.retrieval_intent] = {
                "response": {"responses": responses.get(utter_action, []), "confidence": confidence,
                             "intent_response_key": key, "utter_action": utter_action},
                "ranking": [{"id": i, "intent_response_key": k, "confidence": c} for i, (k, c) in enumerate(ranking)],
            }
            message.set(SELECTOR_PROPERTY, properties, add_to_output=True)
        return messages
