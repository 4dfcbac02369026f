"""Our linear classifiers (bot/linear_text_model.py): the policy-topic classifier (bot/faq_topics.py) and the
intent classifier (bot/intent_classifier.py), trained, stored and loaded through Rasa's own model storage.
The topics come in the ResponseSelector's output shape that actions/routing.py reads, the intents as Rasa's
classifiers write them."""

from __future__ import annotations

from pathlib import Path
from typing import List, Tuple

import pytest
import skops.io as sio
from rasa.engine.graph import ExecutionContext, GraphSchema
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.resource import Resource
from rasa.shared.nlu.constants import INTENT, INTENT_RESPONSE_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from actions.routing import faq_topic, topic_ranking
from bot.faq_topics import FaqTopicClassifier
from bot.intent_classifier import LinearIntentClassifier
from bot.linear_text_model import MODEL_FILE, UntrustedModelError

EXAMPLES: List[Tuple[str, str]] = [
    ("hur länge sparar ni min ansökan", "retention_recruitment"),
    ("när raderas mitt cv efter rekryteringen", "retention_recruitment"),
    ("how long do you keep my job application", "retention_recruitment"),
    ("hvor lenge lagrer dere søknaden min", "retention_recruitment"),
    ("använder ni cookies på webbplatsen", "cookies"),
    ("vilka kakor sätter sajten", "cookies"),
    ("what cookies does your website use", "cookies"),
    ("bruker nettsiden informasjonskapsler", "cookies"),
    ("gör ni kreditupplysningar på kunder", "credit_check"),
    ("do you run a credit check on me", "credit_check"),
    ("tar dere kredittsjekk av nye kunder", "credit_check"),
    ("kreditupplysning innan avtal?", "credit_check"),
]


def _training_data() -> TrainingData:
    messages = [Message(data={TEXT: text, INTENT: "faq", INTENT_RESPONSE_KEY: f"faq/{topic}"}) for text, topic in EXAMPLES]
    messages.append(Message(data={TEXT: "hej", INTENT: "greet"}))  # other intents are not topics
    responses = {f"utter_faq/{topic}": [{"text": f"answer about {topic}"}] for topic in {t for _x, t in EXAMPLES}}
    return TrainingData(training_examples=messages, responses=responses)


def _context() -> ExecutionContext:
    return ExecutionContext(GraphSchema({}), node_name="faq_topics")


@pytest.fixture()
def storage(tmp_path: Path) -> LocalModelStorage:
    (tmp_path / "model").mkdir()
    return LocalModelStorage(tmp_path / "model")


def _trained(storage: LocalModelStorage) -> Resource:
    resource = Resource("faq_topics")
    classifier = FaqTopicClassifier.create(FaqTopicClassifier.get_default_config(), storage, resource, _context())
    return classifier.train(_training_data())


def test_a_stored_classifier_ranks_unseen_questions_in_the_selector_shape(storage: LocalModelStorage) -> None:
    resource = _trained(storage)
    loaded = FaqTopicClassifier.load(FaqTopicClassifier.get_default_config(), storage, resource, _context())
    [message] = loaded.process([Message(data={TEXT: "Sparar ni CV:n länge efter att jag sökt?"})])
    parse = message.as_dict(only_output_properties=True)
    selector = parse["response_selector"]["faq"]
    assert selector["response"]["intent_response_key"] == "faq/retention_recruitment"
    assert selector["response"]["responses"] == [{"text": "answer about retention_recruitment"}]
    ranked = topic_ranking(parse)
    assert [topic for topic, _c in ranked][0] == "retention_recruitment"
    assert len(ranked) == 3 and abs(sum(c for _t, c in ranked) - 1.0) < 1e-6
    assert ranked == sorted(ranked, key=lambda r: -r[1])
    assert faq_topic({**parse, "intent": {"name": "faq"}})[1] == pytest.approx(ranked[0][1])


def test_folded_spelling_ranks_like_the_diacritics(storage: LocalModelStorage) -> None:
    resource = _trained(storage)
    loaded = FaqTopicClassifier.load({}, storage, resource, _context())
    assert loaded.ranking("gor ni kreditupplysningar")[0][0] == "faq/credit_check"
    assert loaded.ranking("gör ni kreditupplysningar") == loaded.ranking("gor ni kreditupplysningar")


def test_an_empty_message_gets_no_topic(storage: LocalModelStorage) -> None:
    loaded = FaqTopicClassifier.load({}, storage, _trained(storage), _context())
    [message] = loaded.process([Message(data={TEXT: "  "})])
    assert "response_selector" not in message.as_dict(only_output_properties=True)


def test_a_model_without_topics_ranks_nothing(storage: LocalModelStorage) -> None:
    resource = Resource("faq_topics")
    classifier = FaqTopicClassifier.create({}, storage, resource, _context())
    classifier.train(TrainingData(training_examples=[Message(data={TEXT: "hej", INTENT: "greet"})]))
    loaded = FaqTopicClassifier.load({}, storage, resource, _context())
    assert loaded.ranking("använder ni cookies") == []


def test_loading_refuses_a_stored_model_with_untrusted_types(storage: LocalModelStorage) -> None:
    resource = _trained(storage)
    with storage.write_to(resource) as directory:
        # A stand-in for a tampered file: an object skops does not trust by default.
        sio.dump({"pipeline": Path("/")}, directory / MODEL_FILE)
    with pytest.raises(UntrustedModelError, match="untrusted types"):
        FaqTopicClassifier.load({}, storage, resource, _context())


def test_the_intent_classifier_ranks_intents_with_faq_as_one_intent(storage: LocalModelStorage) -> None:
    resource = Resource("intents")
    classifier = LinearIntentClassifier.create({}, storage, resource, _context())
    data = _training_data()
    greetings = ["hej", "hallå där", "hei hei", "god morgon", "hello there", "hi"]
    data = data.merge(TrainingData(training_examples=[Message(data={TEXT: g, INTENT: "greet"}) for g in greetings]))
    classifier.train(data)
    loaded = LinearIntentClassifier.load({}, storage, resource, _context())
    [question, greeting] = loaded.process([Message(data={TEXT: "använder ni kakor på sajten?"}),
                                           Message(data={TEXT: "hallå"})])
    parsed = question.as_dict(only_output_properties=True)
    assert parsed["intent"]["name"] == "faq"
    assert [r["name"] for r in parsed["intent_ranking"]] == ["faq", "greet"]
    assert parsed["intent"]["confidence"] == parsed["intent_ranking"][0]["confidence"] > 0.5
    assert greeting.as_dict(only_output_properties=True)["intent"]["name"] == "greet"


def test_loading_a_stored_classifier_leaves_the_log_level_alone() -> None:
    # skops sets the root logger to WARNING on import; in `rasa run` that silenced every INFO line after
    # the model loaded. A fresh process shows it (here skops is imported already).
    import subprocess
    import sys

    code = ("import logging; logging.basicConfig(level=logging.INFO); "
            "from bot.linear_text_model import _skops_io; _skops_io(); "
            "assert logging.getLogger().level == logging.INFO, logging.getLogger().level")
    subprocess.run([sys.executable, "-c", code], check=True, cwd=Path(__file__).resolve().parents[2])
