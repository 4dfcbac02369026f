"""bot/rasa_patches.py: active wherever Rasa loads our pipeline, as strict as Rasa's own check, and refusing to
run on a Rasa version it was not written for."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Dict, List

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


# ------------------------------------------------------------------ the per-event-type fast validation

def _every_event_type() -> List[Dict[str, Any]]:
    """One serialised event of every type Rasa knows, as an action server could send it."""
    from rasa.shared.core import events as ev

    samples = [
        ev.UserUttered("hej", {"name": "greet", "confidence": 0.9}, [{"entity": "x", "value": "y", "start": 0,
                                                                      "end": 1}], parse_data={"text": "hej"}),
        ev.BotUttered("Hej", {"buttons": []}, {"utter_action": "utter_greet"}),
        ev.SlotSet("language", "sv"), ev.SlotSet("requested_slot", None), ev.ActionExecuted("action_listen"),
        ev.ActionExecuted("utter_greet", policy="RulePolicy", confidence=1.0, hide_rule_turn=True),
        ev.EntitiesAdded([{"entity": "x", "value": "y"}]), ev.UserUtteranceReverted(), ev.ActionReverted(),
        ev.Restarted(), ev.AllSlotsReset(), ev.SessionStarted(), ev.FollowupAction("utter_greet"),
        ev.ConversationPaused(), ev.ConversationResumed(), ev.StoryExported(), ev.ActiveLoop("a_form"),
        ev.ActiveLoop(None), ev.LoopInterrupted(True), ev.ActionExecutionRejected("a", "p", 0.3),
        ev.AgentUttered("x"), ev.ReminderCancelled(name="r"), ev.DefinePrevUserUtteredFeaturization(False),
    ]
    return [event.as_dict() for event in samples]


def _mutations(event: Dict[str, Any]) -> List[Dict[str, Any]]:
    """Variants of one event that break a type, a required key or a nested schema."""
    out = [{k: v for k, v in event.items() if k != "event"}, {**event, "event": 3}, {**event, "event": "nonsense"},
           {**event, "timestamp": "yesterday"}, {**event, "metadata": "text"}, {**event, "metadata": None}]
    if event["event"] == "slot":
        out += [{k: v for k, v in event.items() if k != "value"}, {**event, "name": 3}]
    if event["event"] == "user":
        out += [{**event, "text": 3}, {**event, "parse_data": {"intent": {"name": 3}}},
                {**event, "parse_data": {"entities": [{"entity": "x"}]}},
                {**event, "parse_data": {"response_selector": {"all_retrieval_intents": "faq"}}},
                {**event, "parse_data": {"response_selector": {"faq": {"response": {"confidence": "high"}}}}}]
    if event["event"] == "action":
        out += [{**event, "confidence": "1"}, {**event, "hide_rule_turn": "yes"}, {**event, "name": ["a"]}]
    if event["event"] == "entities":
        out += [{**event, "entities": [{"value": 1}]}, {k: v for k, v in event.items() if k != "entities"}]
    return out


def _responses() -> List[Any]:
    events = _every_event_type()
    bodies: List[Any] = [{"events": events, "responses": [{"text": "Hej"}]}, {}, {"responses": []}, [], "x",
                         {"events": {}}, {"events": [[]]}, {"events": ["slot"]}, {"events": [None]},
                         {"responses": [1]}, {"events": events, "responses": {"text": "x"}}]
    for event in events:
        bodies.append({"events": [event], "responses": []})
        bodies += [{"events": [event, broken], "responses": []} for broken in _mutations(event)]
    return bodies


@pytest.mark.parametrize("result", _responses())
def test_the_fast_validation_never_accepts_what_rasas_rejects(result: Any) -> None:
    surely_valid = getattr(RemoteAction._validate_action_result, "surely_valid")
    try:
        jsonschema.validate(result, RemoteAction.action_response_format_spec())
        stock = "ok"
    except jsonschema.ValidationError as error:
        stock = error.message
    if surely_valid(result):
        assert stock == "ok"
    if isinstance(result, dict):  # what Rasa passes; the patched method gives Rasa's own verdict and message
        assert _patched(result).startswith(stock)


def test_the_fast_validation_accepts_every_valid_event_type() -> None:
    surely_valid = getattr(RemoteAction._validate_action_result, "surely_valid")
    for event in _every_event_type():
        assert surely_valid({"events": [event], "responses": []}), event["event"]


# --------------------------------------------------------------------------- the event-type lookup

def test_event_types_resolve_as_rasas_own_walk_does() -> None:
    from rasa.shared.core.events import ActionExecuted, Event

    patched = Event.resolve_by_type
    assert getattr(patched, rasa_patches.PATCH_MARK, False)
    original = getattr(patched, "original")
    for data in _every_event_type():
        assert patched(data["event"]) is original(data["event"])
        assert patched(data["event"]) is original(data["event"])  # the cached answer too
    assert patched("nonsense", ActionExecuted) is ActionExecuted  # the default, not cached
    with pytest.raises(ValueError, match="Unknown event name"):
        patched("nonsense")
    assert patched("topic") is None


def test_a_tracker_rebuilt_from_its_events_is_the_same() -> None:
    from rasa.shared.core.events import Event
    from rasa.shared.core.trackers import DialogueStateTracker

    dicts = _every_event_type()
    assert [e.as_dict() for e in [Event.from_parameters(d) for d in dicts]] == dicts
    tracker = DialogueStateTracker.from_dict("x", dicts[:5], [])
    assert [e.as_dict() for e in tracker.events] == dicts[:5]


# ------------------------------------------------------------------------------ the domain's JSON

def test_request_bodies_parse_to_what_json_dumps_gives() -> None:
    import json

    from rasa.shared.core.domain import Domain

    domain = Domain.load(str(rasa_patches_root() / "domain.yml")).as_dict()
    tracker = {"events": [{"event": "user", "text": "Hej, jag heter Åsa Öberg — \"citat\" \\ / \u2028",
                           "parse_data": {"intent": {"name": "greet", "confidence": 0.9312345678901234},
                                          "entities": [], "ints": {1: "a", 2.5: "b"}}, "timestamp": 1765160000.123456},
                          {"event": "slot", "name": "n", "value": [1, None, True, 1e-7, -0.0, 12345678901234567]}],
               "latest_message": {"text": "ø", "metadata": {}}}
    body = {"next_action": "action_x", "sender_id": "s", "tracker": tracker, "version": rasa.__version__,
            "domain": domain}
    for _ in range(2):  # the first call fills the cache, the second uses it
        assert json.loads(rasa_patches._dumps(body)) == json.loads(json.dumps(body))
    other = {"domain": domain, "next_action": "a", "tracker": {}}  # the domain not last: serialised whole
    assert json.loads(rasa_patches._dumps(other)) == json.loads(json.dumps(other))
    for plain in ({"a": 1}, [1, 2], "x", {"next_action": "a", "tracker": {}, "domain": "not a dict"}):
        assert json.loads(rasa_patches._dumps(plain)) == json.loads(json.dumps(plain))


def test_what_orjson_refuses_goes_through_json_dumps() -> None:
    import json

    huge = {"next_action": "a", "tracker": {"n": 2 ** 70}}  # beyond 64 bits: orjson refuses it
    assert rasa_patches._dumps(huge) == json.dumps(huge)


def test_a_changed_domain_is_serialised_again() -> None:
    import json

    a = {"next_action": "x", "tracker": {}, "domain": {"slots": {"a": 1}}}
    b = {"next_action": "x", "tracker": {}, "domain": {"slots": {"b": 2}}}
    assert json.loads(rasa_patches._dumps(a))["domain"] == {"slots": {"a": 1}}
    assert json.loads(rasa_patches._dumps(b))["domain"] == {"slots": {"b": 2}}


async def test_endpoint_sessions_serialise_with_the_patched_dumps_and_share_a_connector() -> None:
    from rasa.utils.endpoints import EndpointConfig

    assert getattr(EndpointConfig.session, rasa_patches.PATCH_MARK, False)
    endpoint = EndpointConfig("http://127.0.0.1:9/webhook", basic_auth={"username": "u", "password": "p"},
                              headers={"X-Test": "1"})
    first, second = endpoint.session(), EndpointConfig("http://127.0.0.1:8/other").session()
    shared = first.connector
    try:
        assert first.json_serialize is rasa_patches._dumps
        assert first.connector is second.connector  # one pool per event loop
        assert isinstance(first.connector, rasa_patches._PooledConnector)
        assert first.connector._keepalive_timeout == rasa_patches.POOL_KEEPALIVE_SECONDS
        assert first.auth is not None and first.auth.login == "u"
        assert first.headers["X-Test"] == "1"
        assert first.timeout.total == 300  # Rasa's DEFAULT_REQUEST_TIMEOUT
    finally:
        await first.close()
        await second.close()
    assert shared is not None and not shared.closed  # the sessions do not own the shared connector


async def test_consecutive_calls_to_an_endpoint_reuse_one_connection() -> None:
    """A real HTTP server counts the TCP connections it accepted: Rasa's request() twice, one connection; after
    the keep-alive time a new one (an idle connection is never reused past POOL_KEEPALIVE_SECONDS)."""
    import asyncio

    from aiohttp import web
    from rasa.utils.endpoints import EndpointConfig

    connections: list = []

    async def handler(request: web.Request) -> web.Response:
        body = await request.json()
        return web.json_response({"echo": body["n"], "peer": request.transport.get_extra_info("peername")[1]})

    app = web.Application()
    app.router.add_post("/webhook", handler)
    runner = web.AppRunner(app, keepalive_timeout=5.0)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]
    try:
        endpoint = EndpointConfig(f"http://127.0.0.1:{port}/webhook")
        for n in range(3):
            answer = await endpoint.request(json={"n": n}, method="post")
            assert answer["echo"] == n
            connections.append(answer["peer"])
        assert len(set(connections)) == 1, connections
        await asyncio.sleep(rasa_patches.POOL_KEEPALIVE_SECONDS + 0.3)
        answer = await endpoint.request(json={"n": 9}, method="post")
        assert answer["peer"] not in connections  # the idle one was not reused
    finally:
        await runner.cleanup()


def rasa_patches_root() -> "Path":
    from pathlib import Path

    return Path(__file__).resolve().parents[2]


# ----------------------------------------------------------------------------------------- slot copies

def test_slot_copies_are_what_the_generic_copy_makes() -> None:
    import copy

    from rasa.shared.core import slots as rasa_slots
    from rasa.shared.core.domain import Domain

    patched = rasa_slots.Slot.__copy__
    assert getattr(patched, rasa_patches.PATCH_MARK, False)
    assert {rasa_slots.TextSlot, rasa_slots.BooleanSlot, rasa_slots.CategoricalSlot, rasa_slots.FloatSlot,
            rasa_slots.ListSlot, rasa_slots.AnySlot} <= getattr(patched, "plain_types")
    domain = Domain.load(str(rasa_patches_root() / "domain.yml"))
    assert domain.slots
    for slot in domain.slots:
        slot.value = ["a"] if isinstance(slot, rasa_slots.ListSlot) else slot.initial_value
        ours = copy.copy(slot)
        generic = copy._reconstruct(slot, None, *slot.__reduce_ex__(4))
        assert type(ours) is type(generic) is type(slot) and ours is not slot
        assert vars(ours) == vars(generic) == vars(slot)
        assert all(vars(ours)[k] is vars(slot)[k] for k in vars(slot))  # shallow, as copy.copy is


def test_a_slot_class_with_its_own_state_keeps_the_generic_copy() -> None:
    import copy

    from rasa.shared.core.slots import TextSlot

    class Custom(TextSlot):
        def __getstate__(self) -> Dict[str, Any]:
            return {**self.__dict__, "extra": True}

    slot = Custom("x", mappings=[{"type": "custom"}])
    assert copy.copy(slot).__dict__.get("extra") is True


# ------------------------------------------------------------------- past states shared within one prediction

CONVERSATIONS = [
    ("sv", ["hej", "hur länge sparar ni min ansökan?", "Jag vill ha ett registerutdrag, vilka uppgifter har ni om mig?",
            "Anna Svensson", "anna@example.se", "ja", "tack"]),
    ("en", ["hello", "I want you to delete my data", "John Smith", "no", "what is a data breach?", "bye"]),
    ("nb", ["hei", "jeg vil klage", "hva gjør dere med personnummeret mitt?", "stopp"]),
    ("en", ["I want a copy of my data", "Jane Doe", "start over", "Jane Doe", "stop", "/stop",
            "how long do you keep my application?"]),
]


@pytest.fixture(scope="module")
def agent(trained_agent: Any) -> Any:  # the real model, loaded once per run (tests/conftest.py)
    return trained_agent


def _ted_node(agent: Any) -> str:
    from rasa.core.policies.ted_policy import TEDPolicy

    schema = agent.processor.model_metadata.predict_schema
    names = [name for name, node in schema.nodes.items() if node.uses is TEDPolicy]
    assert len(names) == 1
    return names[0]


def _trackers_and_predictions(agent: Any) -> List[Any]:
    """Conversations built turn by turn from the model's own NLU and predictions (each predicted action appended
    as executed, up to 6 per turn, no action server): at each step, what the patched prediction (the shared
    past states) and Rasa's own graph run (nothing shared: no prediction scope) say."""
    import asyncio

    from rasa.core.channels.channel import UserMessage
    from rasa.engine.constants import PLACEHOLDER_TRACKER
    from rasa.shared.core.events import ActionExecuted, UserUttered
    from rasa.shared.core.trackers import DialogueStateTracker

    processor = agent.processor
    target, ted = processor.model_metadata.core_target, _ted_node(agent)
    steps: List[Any] = []
    for lang, texts in CONVERSATIONS:
        tracker = DialogueStateTracker(f"patch-{lang}", processor.domain.slots)
        tracker.update(ActionExecuted("action_listen"))
        for text in texts:
            message = UserMessage(text, metadata={"language": lang})
            parsed = asyncio.run(processor.parse_message(message))
            tracker.update(UserUttered(text, parsed["intent"], parsed["entities"], parsed))
            for _ in range(6):
                before, skipped_before = _shared_count(), rasa_patches.TED_STATS["skipped"]
                ours = processor._predict_next_with_tracker(tracker)
                shared = _shared_count() - before
                skipped = rasa_patches.TED_STATS["skipped"] - skipped_before
                stock = processor.graph_runner.run(inputs={PLACEHOLDER_TRACKER: tracker},
                                                   targets=[target, ted])  # Rasa's own graph: nothing deferred
                steps.append((ours, stock[target], shared, skipped, stock[ted]))
                action = processor.domain.action_names_or_texts[ours.max_confidence_index]
                tracker.update(ActionExecuted(action, policy=ours.policy_name, confidence=ours.max_confidence))
                if action == "action_listen":
                    break
    return steps


def _shared_count() -> int:
    return rasa_patches.PAST_STATES_STATS["shared"]


@pytest.fixture(scope="module")
def steps(agent: Any) -> List[Any]:
    return _trackers_and_predictions(agent)


def test_predictions_with_shared_past_states_are_rasas_own(steps: List[Any]) -> None:
    """Also with TEDPolicy deferred (patch 9): the same predictions as Rasa's own graph run."""
    from rasa.shared.core.domain import Domain

    assert getattr(Domain.states_for_tracker_history, rasa_patches.PATCH_MARK, False)
    assert len(steps) > 15
    for ours, stock, *_ in steps:
        assert ours.probabilities == stock.probabilities
        assert (ours.policy_name, ours.policy_priority, ours.events, ours.optional_events,
                ours.is_end_to_end_prediction, ours.is_no_user_prediction, ours.hide_rule_turn,
                ours.action_metadata) == (stock.policy_name, stock.policy_priority, stock.events,
                                          stock.optional_events, stock.is_end_to_end_prediction,
                                          stock.is_no_user_prediction, stock.hide_rule_turn,
                                          stock.action_metadata)
    # MemoizationPolicy and TEDPolicy share one computation, RulePolicy's text and intent passes another.
    # (Where TED is skipped, patch 9, only RulePolicy's second pass after a user message is left to share.)
    assert all(shared >= 1 for _, _, shared, skipped, _ in steps if not skipped)


def test_past_states_are_shared_only_inside_a_prediction_and_only_for_the_same_events() -> None:
    from rasa.shared.core.domain import Domain
    from rasa.shared.core.events import ActionExecuted, SlotSet, UserUttered
    from rasa.shared.core.trackers import DialogueStateTracker

    domain = Domain.load(str(rasa_patches_root() / "domain.yml"))
    original = getattr(Domain.states_for_tracker_history, "original")
    tracker = DialogueStateTracker("x", domain.slots)
    for event in (ActionExecuted("action_listen"), UserUttered("hej", {"name": "greet", "confidence": 1.0}),
                  ActionExecuted("utter_greet"), ActionExecuted("action_listen")):
        tracker.update(event)
    stats = dict(rasa_patches.PAST_STATES_STATS)
    tracker.past_states(domain)
    tracker.past_states(domain)
    assert rasa_patches.PAST_STATES_STATS == stats  # no prediction running: Rasa's own code, nothing kept

    token = rasa_patches._PAST_STATES.set({})
    try:
        first = tracker.past_states(domain, ignore_rule_only_turns=True, rule_only_data={"slots": [], "loops": []})
        first[-1].clear()  # a caller editing its states does not reach the next caller's
        second = tracker.past_states(domain, ignore_rule_only_turns=True, rule_only_data={"slots": [], "loops": []})
        assert second == original(domain, tracker, False, True, {"slots": [], "loops": []})
        assert rasa_patches.PAST_STATES_STATS["shared"] == stats["shared"] + 1
        assert tracker.past_states(domain) == original(domain, tracker, False, False, None)  # other arguments
        tracker.update(SlotSet("language", "sv"))
        tracker.update(UserUttered("hej igen", {"name": "greet", "confidence": 1.0}))
        assert tracker.past_states(domain) == original(domain, tracker, False, False, None)  # new events
        assert rasa_patches.PAST_STATES_STATS["computed"] == stats["computed"] + 3
    finally:
        rasa_patches._PAST_STATES.reset(token)


def test_state_copies_share_nothing_mutable() -> None:
    import copy

    states = [{"user": {"intent": "greet", "entities": ("a", "b")}, "slots": {"s": (1.0,)}},
              {"prev_action": {"action_name": "x"}, "other": [{"a": [1]}], "t": ({"k": 1},)}]
    copied = rasa_patches._copy_states(states)
    assert copied == copy.deepcopy(states)
    copied[0]["user"]["intent"] = "other"
    copied[1]["other"][0]["a"].append(2)
    copied[1]["t"][0]["k"] = 2
    assert states == [{"user": {"intent": "greet", "entities": ("a", "b")}, "slots": {"s": (1.0,)}},
                      {"prev_action": {"action_name": "x"}, "other": [{"a": [1]}], "t": ({"k": 1},)}]


# ----------------------------------------------------------------------- debug-only deep copies

def test_the_modules_deepcopy_only_for_debug_logs_and_others_are_refused() -> None:
    import importlib

    import rasa.core.policies.policy

    for name in rasa_patches.DEBUG_COPY_MODULES:
        module = importlib.import_module(name)
        assert getattr(module.copy, rasa_patches.PATCH_MARK, False), name
        assert rasa_patches._debug_only_copies(module), name
    assert not rasa_patches._debug_only_copies(rasa.core.policies.policy)  # deep-copies its config


def test_debug_copies_are_real_copies_while_debug_is_on_and_skipped_when_off() -> None:
    import logging

    import structlog

    import rasa.core.processor

    saved = structlog.get_config()
    value = {"events": [{"event": "slot", "value": [1]}]}
    try:
        structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.DEBUG))
        copied = rasa.core.processor.copy.deepcopy(value)
        assert copied == value and copied is not value and copied["events"][0] is not value["events"][0]
        structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.INFO))
        assert rasa.core.processor.copy.deepcopy(value) is value
        assert rasa.core.processor.copy.copy is __import__("copy").copy  # everything else is the copy module
    finally:
        structlog.configure(**saved)


# ------------------------------------------------------------- 8. a translated answer when the action server fails

def _variations(agent: Any, response: str) -> Dict[str, str]:
    """language -> text of one of the domain's responses (the English one has no condition)."""
    found = {}
    for variation in agent.domain.responses[response]:
        condition = variation.get("condition") or [{"value": "en"}]
        found[condition[0]["value"]] = variation["text"]
    return found


@pytest.mark.parametrize("lang,text", [("sv", "Jag vill se vilka personuppgifter ni har om mig"),
                                       ("nb", "Jeg vil se hvilke personopplysninger dere har om meg"),
                                       ("en", "I want to see the personal data you hold about me")])
async def test_a_dead_action_server_gets_a_translated_answer(agent: Any, monkeypatch: pytest.MonkeyPatch,
                                                             lang: str, text: str) -> None:
    from rasa.utils.endpoints import EndpointConfig

    from tests.support import free_port

    # Nothing listens on the port: the request's first action (action_start_flow) cannot be run.
    monkeypatch.setattr(agent.processor, "action_endpoint",
                        EndpointConfig(f"http://127.0.0.1:{free_port()}/webhook"))
    sender = f"dead-actions-{lang}"
    replies = await agent.handle_text(text, sender_id=sender)
    # Only this answer, in the user's language, though the action server (which sets the language) is gone.
    assert [reply.get("text") for reply in replies] == [_variations(agent, "utter_service_interrupted")[lang]]
    tracker = await agent.tracker_store.retrieve(sender)
    assert tracker.latest_action_name == "action_listen"


async def test_outside_the_processor_a_failed_remote_action_still_raises() -> None:
    """Slot extraction and direct callers keep Rasa's behaviour: an exception (now marked), no answer."""
    from rasa.core.channels import CollectingOutputChannel
    from rasa.core.nlg import TemplatedNaturalLanguageGenerator
    from rasa.shared.core.domain import Domain
    from rasa.shared.core.trackers import DialogueStateTracker
    from rasa.shared.exceptions import RasaException
    from rasa.utils.endpoints import EndpointConfig

    from tests.support import free_port

    action = RemoteAction("action_file_case", EndpointConfig(f"http://127.0.0.1:{free_port()}/webhook"))
    domain = Domain.empty()
    with pytest.raises(rasa_patches.ActionServerFailure) as raised:
        await action.run(CollectingOutputChannel(), TemplatedNaturalLanguageGenerator({}),
                         DialogueStateTracker("direct", []), domain)
    assert isinstance(raised.value, RasaException)
    assert getattr(RemoteAction.run, rasa_patches.PATCH_MARK, False)


# ------------------------------------------------------- 9. TEDPolicy skipped when another policy decides

def test_ted_is_skipped_only_where_its_prediction_could_not_matter(steps: List[Any]) -> None:
    from rasa.core.policies.ted_policy import TEDPolicy

    assert getattr(TEDPolicy.predict_action_probabilities, rasa_patches.PATCH_MARK, False)
    skipped = [step for step in steps if step[3]]
    assert skipped and len(skipped) < len(steps)  # both paths ran: skipped, and computed by the ensemble
    for ours, stock, _, skipped_here, ted in steps:
        # What the proof assumes of TED's own prediction, checked on every step's real output.
        assert (ted.events, ted.is_no_user_prediction, ted.is_end_to_end_prediction) == ([], False, False)
        assert ted.max_confidence <= 1.0 and ted.policy_name == "TEDPolicy"
        if skipped_here:
            assert stock.policy_name != "TEDPolicy" and ours.policy_name == stock.policy_name


def test_a_deferred_ted_prediction_reads_as_teds_own(agent: Any) -> None:
    """Read outside the ensemble, the deferred prediction computes itself: the same as Rasa's own run."""
    from rasa.engine.constants import PLACEHOLDER_TRACKER
    from rasa.shared.core.events import ActionExecuted, UserUttered
    from rasa.shared.core.trackers import DialogueStateTracker

    processor, ted = agent.processor, _ted_node(agent)
    tracker = DialogueStateTracker("deferred", processor.domain.slots)
    for event in (ActionExecuted("action_listen"), UserUttered("hej", {"name": "greet", "confidence": 1.0})):
        tracker.update(event)
    stock = processor.graph_runner.run(inputs={PLACEHOLDER_TRACKER: tracker}, targets=[ted])[ted]
    token = rasa_patches._DEFER_TED.set(True)
    try:
        deferred = processor.graph_runner.run(inputs={PLACEHOLDER_TRACKER: tracker}, targets=[ted])[ted]
    finally:
        rasa_patches._DEFER_TED.reset(token)
    assert type(deferred).__name__ == "DeferredPrediction" and "_deferred" in vars(deferred)
    assert not hasattr(deferred, "__dask_graph__")  # a protocol lookup (dask checks outputs so) computes nothing
    assert "_deferred" in vars(deferred)
    computed = rasa_patches.TED_STATS["computed"]
    assert deferred == stock  # PolicyPrediction.__eq__: probabilities, name, priority, events, flags, ...
    assert rasa_patches.TED_STATS["computed"] == computed + 1 and "_deferred" not in vars(deferred)


def test_ted_cannot_win_only_against_a_certain_higher_priority_or_flagged_prediction() -> None:
    from rasa.core.policies.policy import PolicyPrediction
    from rasa.shared.core.events import ActionExecuted, ActionExecutionRejected, UserUttered
    from rasa.shared.core.trackers import DialogueStateTracker

    tracker = DialogueStateTracker("x", [])
    for event in (ActionExecuted("action_listen"), UserUttered("hej", {"name": "greet", "confidence": 1.0})):
        tracker.update(event)

    def prediction(confidence: float, priority: int, **flags: bool) -> PolicyPrediction:
        return PolicyPrediction([1.0 - confidence, confidence], "P", priority, **flags)

    assert rasa_patches._ted_cannot_win(1, [prediction(1.0, 6)], tracker)
    assert rasa_patches._ted_cannot_win(1, [prediction(0.2, 3), prediction(1.0, 6)], tracker)
    assert not rasa_patches._ted_cannot_win(1, [prediction(0.99, 6)], tracker)  # TED could be more confident
    assert not rasa_patches._ted_cannot_win(6, [prediction(1.0, 1)], tracker)  # a tie goes to the priority
    assert not rasa_patches._ted_cannot_win(1, [prediction(1.0, 1)], tracker)  # equal priority: order decides
    assert rasa_patches._ted_cannot_win(1, [prediction(0.3, 6, is_no_user_prediction=True)], tracker)
    assert rasa_patches._ted_cannot_win(1, [prediction(0.3, 6, is_end_to_end_prediction=True)], tracker)
    tracker.update(ActionExecutionRejected("utter_greet"))  # the ensemble zeroes it in every prediction first
    assert not rasa_patches._ted_cannot_win(1, [prediction(1.0, 6)], tracker)


# ------------------------------------------------------- 10. RulePolicy's first rule filter through an index

def test_rule_keys_are_rasas_own_in_the_same_iteration_order(agent: Any) -> None:
    """For every prefix of real conversations (predictions as in the steps above): the same set, iterated in
    the same order (the rule policy breaks ties of `max(keys, key=len)` by that order), for both lookups."""
    import asyncio

    from rasa.core.channels.channel import UserMessage
    from rasa.core.policies.rule_policy import RULES, RULES_FOR_LOOP_UNHAPPY_PATH, RulePolicy
    from rasa.shared.core.events import ActionExecuted, UserUttered
    from rasa.shared.core.trackers import DialogueStateTracker

    assert getattr(RulePolicy._get_possible_keys, rasa_patches.PATCH_MARK, False)
    original = getattr(RulePolicy._get_possible_keys, "original")
    processor = agent.processor
    rules = [node._component for node in processor.graph_runner._instantiated_nodes.values()
             if type(node._component) is RulePolicy]
    assert len(rules) == 1
    policy, domain = rules[0], processor.domain
    compared = 0
    skipped = rasa_patches.RULE_KEYS_STATS["skipped_checks"]
    for lang, texts in CONVERSATIONS:
        tracker = DialogueStateTracker(f"rules-{lang}", domain.slots)
        tracker.update(ActionExecuted("action_listen"))
        for text in texts:
            parsed = asyncio.run(processor.parse_message(UserMessage(text, metadata={"language": lang})))
            tracker.update(UserUttered(text, parsed["intent"], parsed["entities"], parsed))
            for _ in range(6):
                for use_text in (True, False):
                    states = policy._prediction_states(tracker, domain, use_text,
                                                       rule_only_data=policy._get_rule_only_data())
                    for lookup in (policy.lookup[RULES], policy.lookup[RULES_FOR_LOOP_UNHAPPY_PATH]):
                        assert list(policy._get_possible_keys(lookup, states)) == list(original(policy, lookup,
                                                                                                states))
                        compared += 1
                ours = processor._predict_next_with_tracker(tracker)
                action = domain.action_names_or_texts[ours.max_confidence_index]
                tracker.update(ActionExecuted(action, policy=ours.policy_name, confidence=ours.max_confidence))
                if action == "action_listen":
                    break
    assert compared > 60
    assert rasa_patches.RULE_KEYS_STATS["skipped_checks"] > skipped + 100 * compared  # the index did skip checks


def test_a_rule_policy_with_its_own_applicability_check_keeps_rasas_filter() -> None:
    from rasa.core.policies.rule_policy import RulePolicy

    class Lenient(RulePolicy):
        def _is_rule_applicable(self, rule_key: str, turn_index: int, conversation_state: Any) -> bool:
            return True  # unlike Rasa's check, accepts a rule after another action

    policy = Lenient.__new__(Lenient)
    lookup = {'[{"prev_action": {"action_name": "utter_greet"}}]': "action_listen"}
    states = [{"prev_action": {"action_name": "action_listen"}}] * 3
    assert policy._get_possible_keys(lookup, states) == set(lookup)  # its own check ran: the index would drop it
    assert RulePolicy._get_possible_keys(RulePolicy.__new__(RulePolicy), lookup, states) == set()


def test_the_model_configuration_is_valid_with_the_patches_active() -> None:
    """Rasa validates every graph run function's signature and type hints when it trains or loads a model; a
    patched run function (patch 9: TEDPolicy.predict_action_probabilities, the ensemble's
    combine_predictions_from_kwargs) must pass that validation as the original did (seen: `rasa train` refused
    "TEDPolicy needs the param 'self'")."""
    from rasa.engine.recipes.recipe import Recipe
    from rasa.engine.validation import validate
    from rasa.shared.data import TrainingType
    from rasa.shared.importers.importer import TrainingDataImporter

    root = Path(__file__).resolve().parents[2]
    importer = TrainingDataImporter.load_from_config(str(root / "config.yml"), str(root / "domain.yml"),
                                                     [str(root / "data")])
    config = importer.get_config()
    model_configuration = Recipe.recipe_for_name(config.get("recipe")).graph_config_for_recipe(
        config, {}, training_type=TrainingType.BOTH)
    validate(model_configuration)  # raises GraphSchemaValidationException on a bad signature
