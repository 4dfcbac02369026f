"""Language choice: detection, explicit switches, the sticky rule, the CLI, the NLU component and the
ValidationAction that keeps the `language` slot (real rasa Message / rasa_sdk Tracker objects)."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any, Dict, List, Optional

import pytest

from bot import language
from bot.language import choose_language, detect, requested_language

ROOT = Path(__file__).resolve().parents[2]


# --------------------------------------------------------------------------------------------------
# detect()
# --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text, expected",
    [
        ("jag vill radera mina uppgifter", "sv"),
        ("hur länge sparar ni min ansökan?", "sv"),
        ("hur lange sparar ni min ansokan", "sv"),  # no diacritics
        ("jeg vil slette opplysningene mine", "nb"),
        ("hvor lenge lagrer dere søknaden min?", "nb"),
        ("hvor lenge lagrer dere soknaden min", "nb"),  # no diacritics
        ("eg vil vite kva de lagrar om meg", "nb"),  # Nynorsk is answered in Bokmål
        ("korleis kan eg klage til Datatilsynet?", "nb"),
        ("how long do you keep my application?", "en"),
        ("kan jag få en copy av min data?", "sv"),  # English loanwords
        ("jeg vil unsubscribe fra nyhetsbrevet", "nb"),
    ],
)
def test_detect_clear_messages(text: str, expected: str) -> None:
    result = detect(text)
    assert result.language == expected, result
    assert result.confidence >= language.MIN_CONFIDENCE
    assert set(result.scores) == {"sv", "nb", "en"}


@pytest.mark.parametrize("text", ["ja", "ok", "PRV-2026-7K3Q-9CXM", "anna@example.se", "12345", "2026-03-14", "", "👍"])
def test_detect_gives_no_language_for_short_or_empty_messages(text: str) -> None:
    assert detect(text).language is None


def test_langdetect_is_deterministic() -> None:
    from langdetect import DetectorFactory

    first = [language.langdetect_language("jeg vil slette dataene") for _ in range(5)]
    assert DetectorFactory.seed == 0
    assert len(set(first)) == 1


def test_danish_guess_from_langdetect_maps_to_nb() -> None:
    # langdetect often calls short Norwegian Danish; both count as nb.
    assert language._LANGDETECT_TO_OURS["da"] == "nb"
    assert language._LANGDETECT_TO_OURS["no"] == "nb"
    assert language.langdetect_language("jeg kan ikke finde min ansøgning, hvad gør jeg nu?") == "nb"


# --------------------------------------------------------------------------------------------------
# requested_language()
# --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text, expected",
    [
        ("kan vi ta det på engelska?", "en"),
        ("can we speak Norwegian?", "nb"),
        ("snakk norsk", "nb"),
        ("på svenska tack", "sv"),
        ("in English please", "en"),
        ("English please", "en"),
        ("kan vi snakke engelsk?", "en"),
        ("kan vi snakke svensk?", "sv"),
        ("kan vi ta det på norska?", "nb"),
        ("can we switch to Swedish?", "sv"),
        ("svar på nynorsk", "nb"),
        ("skriv på bokmål takk", "nb"),
        ("prata svenska med mig", "sv"),
        ("Norsk?", "nb"),
    ],
)
def test_requested_language(text: str, expected: str) -> None:
    assert requested_language(text) == expected


@pytest.mark.parametrize(
    "text",
    ["jag vill radera mina uppgifter", "jeg har et norsk personnummer", "i am from Sweden", "ok", "jag är svensk"],
)
def test_no_request_without_a_switch_cue(text: str) -> None:
    assert requested_language(text) is None


# --------------------------------------------------------------------------------------------------
# choose_language(): the sticky rule
# --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("previous", ["sv", "nb", "en"])
@pytest.mark.parametrize(
    "text",
    ["ja", "ok", "nei", "jo", "tack", "takk", "nej", "hej", "PRV-2026-7K3Q-9CXM", "prv 2026 7k3q 9cxm",
     "ola.nordmann@example.no", "123456", "2026-03-14", "14.03.2026", "ja takk", "GDPR"],
)
def test_short_or_ambiguous_messages_never_flip(previous: str, text: str) -> None:
    assert choose_language(previous, text, None) == previous


@pytest.mark.parametrize(
    "previous, text, expected",
    [
        ("sv", "kan vi ta det på engelska?", "en"),
        ("sv", "på norska tack", "nb"),
        ("nb", "snakk svensk", "sv"),
        ("nb", "in English please", "en"),
        ("en", "can we speak Norwegian?", "nb"),
        ("en", "på svenska tack", "sv"),  # the request is in Swedish, the conversation was English
        ("en", "snakk norsk", "nb"),
        ("sv", "in English please", "en"),
        ("en", "in Swedish please", "sv"),
    ],
)
def test_explicit_switch_in_all_directions(previous: str, text: str, expected: str) -> None:
    assert choose_language(previous, text, None) == expected


def test_clear_text_in_another_language_switches() -> None:
    assert choose_language("sv", "jeg vil slette opplysningene mine", None) == "nb"
    assert choose_language("nb", "jag vill radera mina uppgifter", None) == "sv"
    assert choose_language("sv", "how long do you keep my data?", None) == "en"
    assert choose_language("en", "eg vil vite kva de lagrar om meg", None) == "nb"


@pytest.mark.parametrize(
    "metadata, expected",
    [
        ({"language": "sv"}, "sv"),
        ({"language": "nb"}, "nb"),
        ({"language": "no"}, "nb"),
        ({"language": "nn"}, "nb"),
        ({"language": "en"}, "en"),
        ({"locale": "nb-NO"}, "nb"),
        ({"locale": "nn-NO"}, "nb"),
        ({"locale": "nn_NO"}, "nb"),
        ({"locale": "sv-SE"}, "sv"),
        ({"locale": "en-US"}, "en"),
    ],
)
def test_metadata_wins_over_text(metadata: Dict[str, str], expected: str) -> None:
    # The text is clearly another language each time, so only the metadata can give `expected`.
    other_text = {
        "sv": "how long do you keep my application?",
        "nb": "jag vill radera mina uppgifter",
        "en": "jeg vil slette opplysningene mine",
    }[expected]
    assert choose_language(None, other_text, metadata) == expected
    assert choose_language("sv" if expected != "sv" else "nb", other_text, metadata) == expected


def test_unknown_metadata_is_ignored() -> None:
    assert choose_language(None, "jag vill radera mina uppgifter", {"locale": "de-DE"}) == "sv"
    assert choose_language(None, "jag vill radera mina uppgifter", {"language": 3}) == "sv"


def test_explicit_request_beats_metadata_and_stays_pinned() -> None:
    assert choose_language("sv", "in English please", {"language": "sv"}) == "en"
    # Next turn: the widget still says sv, but the user asked for English.
    assert choose_language("en", "och hur länge sparar ni den?", {"language": "sv"}, pinned=True) == "en"
    assert choose_language("en", "och hur länge sparar ni den?", {"language": "sv"}, pinned=False) == "sv"


def test_defaults_without_previous_language() -> None:
    assert choose_language(None, "", None) == "en"
    assert choose_language(None, "ok", None) == "en"
    assert choose_language(None, "hej", None) == "sv"
    assert choose_language(None, "hei", None) == "nb"
    assert choose_language(None, "jeg vil slette opplysningene mine", None) == "nb"
    assert choose_language("xx", "tack", None) == "sv"  # an invalid previous value counts as none


def test_sticky_evaluation_file_passes_in_full() -> None:
    rows = [
        line.split("\t")
        for line in (ROOT / "tests/language_eval/sticky.tsv").read_text(encoding="utf-8").splitlines()
        if line.strip() and not line.startswith("#")
    ]
    assert len(rows) > 50
    misses = [(p, t, e) for p, t, e in rows if choose_language(p, t, None) != e.strip()]
    assert misses == []


def test_eval_sets_are_well_formed_and_large_enough() -> None:
    for name in ("sv", "nb", "en"):
        rows = [
            line.split("\t")
            for line in (ROOT / f"tests/language_eval/{name}.tsv").read_text(encoding="utf-8").splitlines()
            if line.strip() and not line.startswith("#")
        ]
        assert len(rows) >= 100
        assert all(len(r) == 2 and r[1] == name for r in rows)


def test_combined_beats_langdetect_on_short_messages() -> None:
    """A regression guard with a margin: on the 1-5 word messages of the labelled set the combined detector
    must stay at least 15 points above langdetect alone (measured: about 98% vs 67%)."""
    examples = []
    for name in ("sv", "nb", "en"):
        for line in (ROOT / f"tests/language_eval/{name}.tsv").read_text(encoding="utf-8").splitlines():
            if line.strip() and not line.startswith("#") and len(line.split("\t")[0].split()) <= 5:
                examples.append((line.split("\t")[0], name))
    ours = sum(language.best_guess(t) == label for t, label in examples) / len(examples)
    baseline = sum(language.langdetect_language(t) == label for t, label in examples) / len(examples)
    assert ours >= 0.93
    assert ours >= baseline + 0.15


# --------------------------------------------------------------------------------------------------
# CLI
# --------------------------------------------------------------------------------------------------


def test_cli_prints_one_code_per_line() -> None:
    lines = [
        "jag vill radera mina uppgifter",
        "jeg vil slette opplysningene mine",
        "how long do you keep my data?",
        "eg vil vite kva de lagrar om meg",
        "tack",
        "takk",
        "",
        "PRV-2026-7K3Q-9CXM",
        "kan vi ta det på engelska?",  # the line is Swedish; the CLI judges the text, not the request
    ]
    started = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, "-m", "bot.language"],
        input="\n".join(lines) + "\n",
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=60,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    elapsed = time.perf_counter() - started
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.splitlines() == ["sv", "nb", "en", "nb", "sv", "nb", "en", "en", "sv"]
    assert "tensorflow" not in proc.stderr.lower()
    assert elapsed < 10


def test_cli_does_not_import_rasa_or_tensorflow() -> None:
    code = "import sys, bot.language; bot.language.best_guess('hej'); print(sorted(m for m in sys.modules if m.split('.')[0] in ('rasa', 'tensorflow')))"
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "[]"


# --------------------------------------------------------------------------------------------------
# NLU component on real rasa Message objects
# --------------------------------------------------------------------------------------------------


def _component() -> Any:
    from rasa.engine.graph import ExecutionContext, GraphSchema
    from rasa.engine.storage.local_model_storage import LocalModelStorage
    from rasa.engine.storage.resource import Resource

    from bot.language_component import LanguageDetector

    return LanguageDetector.create(
        {**LanguageDetector.get_default_config()},
        LocalModelStorage.__new__(LocalModelStorage),
        Resource("language_detector"),
        ExecutionContext(GraphSchema({}), "test-model", node_name="run_LanguageDetector0"),
    )


def _entities(message: Any) -> Dict[str, Dict[str, Any]]:
    return {e["entity"]: e for e in message.get("entities", []) or []}


def test_component_adds_language_entities_to_messages() -> None:
    from rasa.shared.nlu.training_data.message import Message

    component = _component()
    messages = [
        Message.build(text="kan vi ta det på engelska? jag förstår inte svenska så bra"),
        Message.build(text="jeg vil slette opplysningene mine"),
        Message.build(text="ok"),
        Message.build(text="in English please"),
    ]
    messages[1].set("entities", [{"entity": "email", "value": "x@example.no", "start": 0, "end": 1}], add_to_output=True)
    component.process(messages)

    first = _entities(messages[0])
    assert first["language_requested"]["value"] == "en"
    assert first["language_detected"]["value"] == "sv"
    assert first["language_detected"]["extractor"] == "LanguageDetector"
    assert 0.6 <= first["language_detected"]["confidence_entity"] <= 1.0

    second = _entities(messages[1])
    assert second["language_detected"]["value"] == "nb"
    assert "email" in second  # entities from other extractors are kept
    assert "language_requested" not in second

    assert _entities(messages[2]) == {}  # short: no confident detection, no request
    assert _entities(messages[3])["language_requested"]["value"] == "en"


def test_component_is_registered_for_config_yml() -> None:
    from rasa.engine.recipes.default_recipe import DefaultV1Recipe
    from rasa.engine.graph import GraphComponent

    from bot.language_component import LanguageDetector

    registered = DefaultV1Recipe._registered_components.get("bot.language_component.LanguageDetector") or \
        DefaultV1Recipe._registered_components.get("LanguageDetector")
    assert registered is not None
    assert registered.clazz is LanguageDetector
    assert DefaultV1Recipe.ComponentType.ENTITY_EXTRACTOR in registered.types
    assert registered.is_trainable is False
    assert issubclass(LanguageDetector, GraphComponent)


def test_config_yml_name_resolves_to_the_component() -> None:
    import rasa.shared.utils.common

    cls = rasa.shared.utils.common.class_from_module_path("bot.language_component.LanguageDetector")
    from bot.language_component import LanguageDetector

    assert cls is LanguageDetector


# --------------------------------------------------------------------------------------------------
# ValidationAction with real rasa_sdk Tracker / CollectingDispatcher
# --------------------------------------------------------------------------------------------------

DOMAIN: Dict[str, Any] = {
    "slots": {
        "language": {"type": "categorical", "values": ["sv", "nb", "en"], "influence_conversation": False,
                     "mappings": [{"type": "custom"}]},
        "is_staff": {"type": "bool", "influence_conversation": False, "mappings": [{"type": "custom"}]},
    },
    "actions": ["action_validate_slot_mappings"],
}


def _user(text: str, metadata: Optional[Dict[str, Any]] = None, entities: Optional[List[Dict[str, Any]]] = None,
          input_channel: str = "rest") -> Dict[str, Any]:
    return {
        "event": "user",
        "text": text,
        "input_channel": input_channel,
        "parse_data": {"text": text, "intent": {"name": "x", "confidence": 1.0}, "entities": entities or [],
                       "metadata": metadata or {}},
        "metadata": metadata or {},
    }


class Conversation:
    """A conversation driven through the real ValidationAction, turn by turn, applying its SlotSets."""

    def __init__(self, initial_language: Optional[str] = "en") -> None:
        self.events: List[Dict[str, Any]] = []
        self.slots: Dict[str, Any] = {"language": initial_language, "is_staff": None}

    async def say(self, text: str, metadata: Optional[Dict[str, Any]] = None, with_nlu: bool = True,
                  input_channel: str = "rest") -> List[Dict[str, Any]]:
        from rasa_sdk import Tracker
        from rasa_sdk.executor import CollectingDispatcher

        from actions.language import ValidateSlotMappings

        entities: List[Dict[str, Any]] = []
        if with_nlu:
            from rasa.shared.nlu.training_data.message import Message

            message = Message.build(text=text)
            _component().process([message])
            entities = list(message.get("entities") or [])
        event = _user(text, metadata, entities, input_channel)
        self.events.append(event)
        tracker = Tracker(
            sender_id="test",
            slots=dict(self.slots),
            latest_message=event["parse_data"],
            events=list(self.events),
            paused=False,
            followup_action=None,
            active_loop={},
            latest_action_name="action_listen",
        )
        dispatcher = CollectingDispatcher()
        result = await ValidateSlotMappings().run(dispatcher, tracker, DOMAIN)
        assert dispatcher.messages == []
        for slot_event in result:
            assert slot_event["event"] == "slot"
            self.slots[slot_event["name"]] = slot_event["value"]
            self.events.append(slot_event)
        self.events.append({"event": "action", "name": "action_listen"})
        return result

    @property
    def language(self) -> Optional[str]:
        return self.slots["language"]


async def test_action_name_and_first_turn_ignores_initial_value() -> None:
    from actions.language import ValidateSlotMappings

    assert ValidateSlotMappings().name() == "action_validate_slot_mappings"
    chat = Conversation(initial_language="en")
    await chat.say("hej")  # first message: the domain's initial "en" is no user choice
    assert chat.language == "sv"


async def test_action_sticky_conversation() -> None:
    chat = Conversation()
    await chat.say("jeg vil slette opplysningene mine")
    assert chat.language == "nb"
    for short in ("ja", "ok", "tack", "PRV-2026-7K3Q-9CXM", "anna@example.se", "12", "2026-03-14"):
        await chat.say(short)
        assert chat.language == "nb", short
    await chat.say("kan vi ta det på engelska?")
    assert chat.language == "en"
    await chat.say("nei")
    assert chat.language == "en"
    await chat.say("snakk norsk")
    assert chat.language == "nb"
    # The user's explicit choice holds against what they write next...
    await chat.say("jag vill radera mina uppgifter")
    assert chat.language == "nb"
    # ...until they ask again.
    await chat.say("på svenska tack")
    assert chat.language == "sv"


async def test_action_text_switches_when_no_request_pinned_the_language() -> None:
    chat = Conversation()
    await chat.say("jeg vil slette opplysningene mine")
    assert chat.language == "nb"
    await chat.say("jag vill radera mina uppgifter")
    assert chat.language == "sv"
    await chat.say("how long do you keep my data?")
    assert chat.language == "en"


async def test_action_without_nlu_entities_uses_the_text() -> None:
    chat = Conversation()
    await chat.say("how long do you keep my data?", with_nlu=False)
    assert chat.language == "en"
    await chat.say("på svenska tack", with_nlu=False)
    assert chat.language == "sv"


async def test_action_metadata_first_and_request_pinned_against_widget_default() -> None:
    chat = Conversation()
    await chat.say("how long do you keep my data?", metadata={"locale": "nb-NO"})
    assert chat.language == "nb"  # metadata wins over the text
    await chat.say("in English please", metadata={"locale": "nb-NO"})
    assert chat.language == "en"
    # The widget keeps sending nb-NO; the user's explicit request holds.
    await chat.say("hvor lenge lagrer dere søknaden min?", metadata={"locale": "nb-NO"})
    assert chat.language == "en"
    # The user changes the widget setting: that is a new explicit choice.
    await chat.say("jag vill radera mina uppgifter", metadata={"language": "sv"})
    assert chat.language == "sv"


async def test_action_emits_nothing_when_language_unchanged() -> None:
    chat = Conversation()
    first = await chat.say("jag vill radera mina uppgifter")
    assert {"event": "slot", "name": "language", "value": "sv", "timestamp": None} in first
    again = await chat.say("ok")
    assert [e for e in again if e["name"] == "language"] == []


async def test_action_is_staff_only_from_channel_metadata_true() -> None:
    chat = Conversation()
    await chat.say("var finns kandidatdata?", metadata={"is_staff": True, "locale": "sv-SE"}, input_channel="teams")
    assert chat.slots["is_staff"] is True
    assert chat.language == "sv"
    await chat.say("where is candidate data kept?", metadata={"is_staff": "true"}, input_channel="teams")
    assert chat.slots["is_staff"] is False  # only a real boolean True from the channel counts
    await chat.say("where is candidate data kept?", input_channel="teams")
    assert chat.slots["is_staff"] is False


async def test_action_is_staff_claim_from_other_channels_is_ignored() -> None:
    # The REST channel and the widget pass client-written metadata through: a claim, not a fact.
    for channel in ("rest", "socketio", "web"):
        chat = Conversation()
        await chat.say("where is candidate data kept?", metadata={"is_staff": True}, input_channel=channel)
        assert chat.slots["is_staff"] is not True, channel


async def test_action_set_language_alternative() -> None:
    from rasa_sdk import Tracker
    from rasa_sdk.executor import CollectingDispatcher

    from actions.language import ActionSetLanguage

    events = [_user("hej"), {"event": "slot", "name": "language", "value": "sv"}, _user("in English please")]
    tracker = Tracker("t", {"language": "sv"}, events[-1]["parse_data"], events, False, None, {}, "action_listen")
    result = await ActionSetLanguage().run(CollectingDispatcher(), tracker, DOMAIN)
    assert [(e["name"], e["value"]) for e in result] == [("language", "en")]
