"""Rasa NLU component that tags each message with its language (see bot/language.py).

Adds two entities, never annotated in training data:
- `language_detected` (sv/nb/da/en, with confidence) when `bot.language.detect` is confident (Danish `da` is
  answered in Norwegian: actions/language.py maps it to nb);
- `language_requested` (sv/nb/en) when the user explicitly asks to switch ("in English please").
The conversation's `language` slot is decided in actions/language.py with `choose_language`, which
also applies the sticky rule (short messages never flip the language).

config.yml: `- name: bot.language_component.LanguageDetector` (after the tokenizer; needs no training).
"""

from __future__ import annotations

from typing import Any, Dict, List, Optional, Text

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.extractors.extractor import EntityExtractorMixin
from rasa.shared.nlu.constants import ENTITIES, TEXT
from rasa.shared.nlu.training_data.message import Message

from bot import language
from bot import rasa_patches  # noqa: F401  (applies the Rasa 3.6.21 patches where Rasa loads our code)

ENTITY_DETECTED = "language_detected"
ENTITY_REQUESTED = "language_requested"


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.ENTITY_EXTRACTOR], is_trainable=False)
class LanguageDetector(GraphComponent, EntityExtractorMixin):
    """Adds `language_detected` / `language_requested` entities to parsed messages."""

    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        # min_confidence: below this share of the evidence no `language_detected` entity is added.
        return {"min_confidence": language.MIN_CONFIDENCE}

    def __init__(self, config: Dict[Text, Any], name: Optional[Text] = None) -> None:
        self._config = {**self.get_default_config(), **(config or {})}
        # The entities' `extractor` is the class name (not the graph node name), so it is recognisable.
        self._name = self.__class__.__name__

    @classmethod
    def create(
        cls,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> "LanguageDetector":
        return cls(config, execution_context.node_name)

    @property
    def name(self) -> Text:  # used by EntityExtractorMixin.add_extractor_name
        return self._name

    def entities_for(self, text: Text) -> List[Dict[Text, Any]]:
        """The language entities for one message text (empty when there is nothing to say)."""
        found: List[Dict[Text, Any]] = []
        if not text or not text.strip():
            return found
        end = len(text)
        requested = language.requested_language(text)
        if requested:
            found.append({"entity": ENTITY_REQUESTED, "value": requested, "start": 0, "end": end,
                          "confidence_entity": 1.0})
        min_confidence = float(self._config["min_confidence"])
        detection = language.detect(text, min_confidence)
        if detection.language and detection.confidence >= min_confidence:
            found.append({"entity": ENTITY_DETECTED, "value": detection.language, "start": 0, "end": end,
                          "confidence_entity": round(detection.confidence, 4)})
        return found

    def process(self, messages: List[Message]) -> List[Message]:
        """Adds the language entities to each message (the training data is never touched)."""
        for message in messages:
            text = message.get(TEXT)
            if not isinstance(text, str):
                continue
            extracted = self.add_extractor_name(self.entities_for(text))
            if extracted:
                message.set(ENTITIES, message.get(ENTITIES, []) + extracted, add_to_output=True)
        return messages
