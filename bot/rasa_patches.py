"""Patches of Rasa internals, written for Rasa 3.6.21 only (applied on import; any other version refuses).

1. `RemoteAction._validate_action_result` validates every action-server response with `jsonschema.validate`,
   which checks the response schema against the JSON Schema metaschema on every call before validating the
   response: about half of the Rasa process's CPU under load (issue 11, py-spy). The schema is a constant
   (`RemoteAction.action_response_format_spec()`), so it is checked once here and the validator compiled
   once. The validation itself is unchanged: the same validator class, the same errors (the best match, as
   `jsonschema.validate` raises), the same message added for the log.

2. The same validation spends most of its time in `EVENT_SCHEMA`'s `oneOf` of 23 event schemas, which
   jsonschema tries in full for every event. Each branch pins `event` to a different constant and `event`
   is required, so an event can only ever match the branch of its own type: checking that one branch (plus
   the shared properties) gives the same verdict. The fast check only ever says "valid"; anything it does not
   accept goes through the full validator, so invalid responses raise exactly the error they raised before.
3. `Event.resolve_by_type` walks every subclass of `Event` (`all_subclasses`, recursive, with
   `inspect.isabstract`) for every event it deserialises: rebuilding a tracker from the store and reading
   an action-server response do that for every event. The answer for a type name is cached once found (the
   event classes are defined at import); unknown names still take Rasa's own path (default / ValueError).
4. `EndpointConfig.session()` opens a new aiohttp session, and so a new TCP connection, for every action-server
   call, and serialises its body with `json.dumps`; every call carries the whole tracker and the domain
   (`Domain.as_dict()` returns the same dict each time), serialised again on every call. The sessions now share
   one connector per event loop, which keeps connections alive for `POOL_KEEPALIVE_SECONDS` (1 s, a fifth of the
   action server's keep-alive timeout: aiohttp never reuses a connection idle for longer, so the server cannot
   have closed it for idleness; one that the server closed otherwise, by a restart, is not reused either, and
   a call that still fails takes patch 8's path as before). Bodies are serialised with orjson into JSON that
   parses to the same value as `json.dumps`' output (anything orjson refuses goes through `json.dumps`), and
   the domain's JSON text is reused. Headers, auth and timeout are Rasa's.

5. `DialogueStateTracker.__init__` copies every domain slot with `copy.copy` (from the store, for each
   `tracker.copy()`, for the slot-validation call): the generic copy goes through `__reduce_ex__` and
   `copy._reconstruct`. Rasa's own slot classes get a `__copy__` that does what that path does for them (a new
   instance of the class with the same `__dict__`); any other slot class keeps the generic copy.

6. Every prediction runs MemoizationPolicy, RulePolicy and TEDPolicy on the same tracker, and each rebuilds the
   tracker's past states (`Domain.states_for_tracker_history`: a replay of every event through a copy of the
   tracker) on its own; RulePolicy twice after a user message (text and intent). Within one
   `MessageProcessor._predict_next_with_tracker` (one graph run of the policies on one tracker, which none of
   them changes) the states are computed once per tracker, domain and arguments and each caller gets its own
   copy (the featurizers edit the states they get). An entry is only reused for the same tracker object with
   the same number of events and the same last event object, so an appended event could never be missed;
   outside a prediction (training, `rasa test` story conversion, slot extraction) Rasa's own code runs.

7. The processor, RulePolicy and MemoizationPolicy `copy.deepcopy` events and states as arguments of
   `structlogger.debug(...)` calls, evaluated even when debug logging is off and the call does nothing. In those
   three modules `copy` becomes an object whose `deepcopy` returns its argument as is while structlog's
   configured logger drops debug messages (its `debug` is structlog's no-op), and is `copy.deepcopy` otherwise.
   At start-up the modules' source is checked: every use of `copy` must be a `copy.deepcopy(...)` argument of
   a `structlogger.debug(...)` call, or the patch refuses.

8. When the action server cannot run an action (down, restarting, unreachable, a 5xx), `RemoteAction.run` raises
   and `MessageProcessor._run_action` logs the error and drops the action's events: the user gets no answer at
   all. Now the action the processor runs (a custom action, or a form whose validation is a custom action)
   answers with a translated response instead: `utter_filing_interrupted` (with "try again", which files with
   the same idempotency key) for the filing action, `utter_service_interrupted` ("send it again") otherwise,
   and then listens (a follow-up `action_listen`: what the policies predict after an action that did nothing
   is a guess, usually the "I don't know" fallback).
   Its other events are lost as before, so the tracker keeps what it had: the typed answers. Only failures of
   the action server are caught (the exception `RemoteAction.run` raises is marked as such); a rejection
   (`ActionExecutionRejection`) and every other error take Rasa's own path, and calls outside the processor's
   `_run_action` (slot extraction) are unchanged.

9. Every prediction also runs TEDPolicy (a TensorFlow call, the largest share of a message's CPU) even when
   another policy's prediction already decides the ensemble's choice. In `DefaultPolicyPredictionEnsemble`
   (`_pick_best_policy`) TED's prediction counts only through (a) its mandatory events, (b) its flags
   `is_no_user_prediction` / `is_end_to_end_prediction`, which filter the others, and (c) winning on
   (max confidence, priority), compared strictly. Under the conditions checked at each call, TED's own code
   gives (a) no events (`Policy._prediction` without `events`), (b) both flags False (with no TEXT in its
   `fake_features` the batch has one row and `_pick_confidence` returns `self.only_e2e`, False; its optional
   entity events exist only for e2e predictions), and (c) a max confidence <= 1.0 (softmax confidences with
   cross-entropy loss; `rank_and_mask` only renormalises by a sum that includes the value). So TED cannot win,
   and removing it changes neither the winner nor the events, when another prediction has a flag set (TED is
   filtered out) or has max confidence >= 1.0 with a priority above TED's (it beats TED's (<= 1.0, priority)
   strictly, so the winner does too), and the last action was not rejected (the ensemble would zero that
   action's probability in every prediction first). Within one `MessageProcessor._predict_next_with_tracker`
   TED's graph node returns a deferred prediction; the ensemble computes it (TED's own code, same inputs)
   unless that proof holds, and any other reader computes it on first access. Outside a prediction, Rasa's
   own code runs.

10. `RulePolicy._get_possible_keys` filters every rule key (562 rules here) through `_is_rule_applicable` for the
    conversation's current state first: a Python call per rule, after every action and twice after a user
    message. A rule whose last state names a `prev_action.action_name` or a `user.intent` (a string, not
    `SHOULD_NOT_BE_SET`) other than the current state's fails that check (`_does_rule_match_state` rejects any
    set value that differs, and a rule with a `prev_action` never takes the "conversation start" exits). So the
    first pass only checks the rules indexed under the current state's action name and intent (or that name
    neither), in the order Rasa iterates `set(lookup.keys())`: the survivors are inserted into the new set in the
    same order as Rasa's filter inserts them, so the set iterates in the same order too, which
    `_find_action_from_rules`' `max(rule_keys, key=len)` depends on for ties. The later passes are Rasa's own.
    Only for RulePolicy's own `_is_rule_applicable` and `_rule_key_to_state`.

Applied where Rasa loads our code: `bot/language_component.py`, the first pipeline component, imports this
module, so `rasa run`, `rasa shell` and `rasa test` load the patches with the model. The action server never
imports it. tests/bot/test_rasa_patches.py proves each patch is active in a running Rasa (a real `rasa run`
process reports them) and gives the same results as Rasa's own code.
"""

from __future__ import annotations

import ast
import asyncio
import contextvars
import functools
import inspect
import json
import logging
import weakref
from typing import Any, Dict, List, Optional, Text, Tuple, Type

import aiohttp
import orjson
import rasa
from rasa.shared.exceptions import RasaException

logger = logging.getLogger(__name__)

PATCHED_FOR_RASA = "3.6.21"  # every patch below was read against this version's source
PATCH_MARK = "__privacy_assistant_patch__"


class UnsupportedRasaVersion(RuntimeError):
    pass


def _require_version() -> None:
    if rasa.__version__ != PATCHED_FOR_RASA:
        raise UnsupportedRasaVersion(
            f"bot/rasa_patches.py was written for Rasa {PATCHED_FOR_RASA} and this is Rasa {rasa.__version__}: "
            "check each patch against the new version, then change PATCHED_FOR_RASA"
        )


def _event_branches(event_schema: Dict[Text, Any]) -> Dict[Text, Dict[Text, Any]]:
    """event type -> the schema an event of that type must satisfy: the shared part of `EVENT_SCHEMA` and
    the one `oneOf` branch whose `event` constant is that type. Refuses (at start-up) a schema of another
    shape, since the equivalence argued in the module docstring would no longer hold."""
    shared = {key: value for key, value in event_schema.items() if key != "oneOf"}
    if "event" not in shared.get("required", ()):
        raise UnsupportedRasaVersion("EVENT_SCHEMA no longer requires `event`: the fast validation is unsound")
    branches: Dict[Text, Dict[Text, Any]] = {}
    for branch in event_schema["oneOf"]:
        const = branch.get("properties", {}).get("event", {}).get("const")
        if not isinstance(const, str) or const in branches:
            raise UnsupportedRasaVersion("EVENT_SCHEMA's oneOf branches are not one per event constant")
        branches[const] = {"allOf": [shared, branch]}
    return branches


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
    events_schema = schema["properties"]["events"]
    # Everything of the response schema but the events' items, and one validator per event type.
    outer = {**schema, "properties": {**schema["properties"], "events": {
        key: value for key, value in events_schema.items() if key != "items"}}}
    validator_class.check_schema(outer)
    outer_validator = validator_class(outer)
    per_type = {}
    for name, branch in _event_branches(events_schema["items"]).items():
        validator_class.check_schema(branch)
        per_type[name] = validator_class(branch)

    def _surely_valid(result: Any) -> bool:
        """True only when the full schema would accept `result` (see the module docstring); False means
        "not sure", never "invalid"."""
        if not isinstance(result, dict) or not outer_validator.is_valid(result):
            return False
        events = result.get("events", [])
        if not isinstance(events, list):
            return False
        for event in events:
            kind = event.get("event") if isinstance(event, dict) else None
            checker = per_type.get(kind) if isinstance(kind, str) else None
            if checker is None or not checker.is_valid(event):
                return False
        return True

    def _validate_action_result(self: RemoteAction, result: Dict[Text, Any]) -> bool:
        if _surely_valid(result):
            return True
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
    setattr(_validate_action_result, "surely_valid", _surely_valid)  # for tests/bot/test_rasa_patches.py
    RemoteAction._validate_action_result = _validate_action_result  # type: ignore[method-assign]


def _patch_event_type_lookup() -> None:
    from rasa.shared.core.events import Event

    original = Event.resolve_by_type
    if getattr(original, PATCH_MARK, False):
        return
    found: Dict[Text, Type[Event]] = {}

    def resolve_by_type(type_name: Text, default: Optional[Type[Event]] = None) -> Optional[Type[Event]]:
        cls = found.get(type_name)
        if cls is not None:
            return cls
        cls = original(type_name, default)  # Rasa's own walk: also its "topic", default and ValueError cases
        if cls is not None and cls is not default and getattr(cls, "type_name", None) == type_name:
            found[type_name] = cls
        return cls

    setattr(resolve_by_type, PATCH_MARK, True)
    setattr(resolve_by_type, "original", original)
    Event.resolve_by_type = staticmethod(resolve_by_type)  # type: ignore[assignment]


# Serialised domains: id(dict) -> (the dict itself, its JSON text). Holding the dict keeps its id unique.
_DOMAIN_JSON: Dict[int, Tuple[Dict[Text, Any], Text]] = {}
_DOMAIN_JSON_MAX = 4  # a process serves one model at a time; a reload brings a new domain dict
# orjson: what json.dumps accepts it serialises to JSON that parses to the same value (non-str keys as
# json.dumps writes them; its only other difference, NaN and infinities, is not JSON at all).
_ORJSON_OPTIONS = orjson.OPT_NON_STR_KEYS


def _to_json(obj: Any) -> Text:
    """JSON text that parses to what `json.dumps(obj)` parses to, several times faster; anything orjson
    refuses (an integer beyond 64 bits, a type it does not know) goes through `json.dumps` as before."""
    try:
        return orjson.dumps(obj, option=_ORJSON_OPTIONS).decode("utf-8")
    except TypeError:  # orjson.JSONEncodeError is a TypeError
        return json.dumps(obj)


def _domain_json(domain: Dict[Text, Any]) -> Text:
    entry = _DOMAIN_JSON.get(id(domain))
    if entry is not None and entry[0] is domain:
        return entry[1]
    text = _to_json(domain)
    if len(_DOMAIN_JSON) >= _DOMAIN_JSON_MAX:
        _DOMAIN_JSON.clear()
    _DOMAIN_JSON[id(domain)] = (domain, text)
    return text


def _dumps(obj: Any) -> Text:
    """An endpoint request body as JSON (`_to_json`), reusing the domain's JSON text in an action-server call."""
    if isinstance(obj, dict) and isinstance(obj.get("domain"), dict) and "next_action" in obj and "tracker" in obj:
        keys = list(obj)
        if keys[-1] == "domain" and len(keys) > 1:
            head = _to_json({key: obj[key] for key in keys[:-1]})
            return f'{head[:-1]},"domain":{_domain_json(obj["domain"])}}}'
    return _to_json(obj)


# A pooled connection idle for longer than this is closed, never reused (aiohttp checks it when it takes one
# from the pool). Well below the keep-alive timeout of the servers behind our endpoints (Sanic's, the action
# server's: 5 s; HAProxy's in deploy/haproxy.cfg: its `timeout http-request`, 10 s), so the server never closes
# a connection we are about to reuse. The calls of one turn, and of concurrent conversations, come
# milliseconds apart. HAProxy still balances each request on its own (HTTP mode).
POOL_KEEPALIVE_SECONDS = 1.0


class _PooledConnector(aiohttp.TCPConnector):
    """The connections Rasa's endpoint calls share within one event loop. It lives as long as its loop; what
    is still pooled when the loop goes is closed quietly (aiohttp would report an "Unclosed connector")."""

    def __del__(self, _warnings: Any = None) -> None:
        if self._closed or not self._conns:
            return
        try:
            self._close()
        except RuntimeError:  # the loop is already closed: its transports went with it
            pass


_POOLS: "weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, _PooledConnector]" = weakref.WeakKeyDictionary()


def _pooled_connector() -> Optional[aiohttp.TCPConnector]:
    """This event loop's shared connector, or None outside a running loop (then a session has its own)."""
    try:
        loop = asyncio.get_running_loop()
    except RuntimeError:
        return None
    connector = _POOLS.get(loop)
    if connector is None or connector.closed:
        # No cap on open connections (limit=0), as before, when every call had its own connector.
        connector = _PooledConnector(keepalive_timeout=POOL_KEEPALIVE_SECONDS, limit=0)
        _POOLS[loop] = connector
    return connector


def _patch_endpoint_sessions() -> None:
    from rasa.utils.endpoints import DEFAULT_REQUEST_TIMEOUT, EndpointConfig

    original = EndpointConfig.session
    if getattr(original, PATCH_MARK, False):
        return
    # Rasa 3.6.21's session(): these headers, this auth and this timeout, and aiohttp's own connector.
    expected = ("headers=self.headers", "auth=auth", "timeout=aiohttp.ClientTimeout(total=DEFAULT_REQUEST_TIMEOUT)")
    source = inspect.getsource(original)
    if not all(part in source for part in expected) or "connector" in source:
        raise UnsupportedRasaVersion("EndpointConfig.session() is not the one the pooled sessions replace")

    def session(self: EndpointConfig) -> aiohttp.ClientSession:
        auth = (aiohttp.BasicAuth(self.basic_auth["username"], self.basic_auth["password"])
                if self.basic_auth else None)
        connector = _pooled_connector()
        return aiohttp.ClientSession(
            headers=self.headers, auth=auth, timeout=aiohttp.ClientTimeout(total=DEFAULT_REQUEST_TIMEOUT),
            connector=connector, connector_owner=connector is None, json_serialize=_dumps)

    setattr(session, PATCH_MARK, True)
    setattr(session, "original", original)
    EndpointConfig.session = session  # type: ignore[method-assign]


def _plain_copy(slot: Any) -> Any:
    """`copy.copy(slot)` for a class without its own copy protocol: `cls.__new__(cls)` plus the same
    `__dict__` entries, which is what `copy._reconstruct` does with `object.__reduce_ex__(4)`'s result."""
    new = slot.__class__.__new__(slot.__class__)
    new.__dict__.update(slot.__dict__)
    return new


def _patch_slot_copy() -> None:
    import copy

    from rasa.shared.core import slots as rasa_slots

    if getattr(getattr(rasa_slots.Slot, "__copy__", None), PATCH_MARK, False):
        return
    protocol = ("__copy__", "__reduce__", "__reduce_ex__", "__getstate__", "__setstate__", "__slots__")
    plain = {cls for cls in vars(rasa_slots).values()
             if isinstance(cls, type) and issubclass(cls, rasa_slots.Slot)
             and not any(name in vars(c) for c in cls.__mro__ if issubclass(c, rasa_slots.Slot)
                         for name in protocol)}
    if rasa_slots.Slot not in plain:
        raise UnsupportedRasaVersion("rasa.shared.core.slots.Slot now has its own copy protocol")

    def __copy__(self: Any) -> Any:
        if type(self) in plain:
            return _plain_copy(self)
        return copy._reconstruct(self, None, *self.__reduce_ex__(4))  # what copy.copy does without __copy__

    setattr(__copy__, PATCH_MARK, True)
    setattr(__copy__, "plain_types", frozenset(plain))
    rasa_slots.Slot.__copy__ = __copy__  # type: ignore[attr-defined]


# ------------------------------------------------------------------ 6. past states shared within one prediction

# While a prediction runs: key -> (domain, tracker, number of events, last event, states). None outside one.
_PAST_STATES: "contextvars.ContextVar[Optional[Dict[Any, Tuple[Any, ...]]]]" = contextvars.ContextVar(
    "privacy_assistant_past_states", default=None)
PAST_STATES_STATS = {"computed": 0, "shared": 0}  # for tests/bot/test_rasa_patches*.py


def _copy_state_value(value: Any) -> Any:
    if isinstance(value, dict):
        return {key: _copy_state_value(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_copy_state_value(item) for item in value]
    if isinstance(value, tuple) and any(isinstance(item, (dict, list, set, tuple)) for item in value):
        return tuple(_copy_state_value(item) for item in value)
    if isinstance(value, set):
        return set(value)
    return value  # str, numbers, None, and tuples of those: immutable


def _copy_states(states: List[Any]) -> List[Any]:
    """A copy that shares nothing mutable with `states` (as `copy.deepcopy` would, for states' plain types)."""
    return [_copy_state_value(state) for state in states]


def _patch_shared_past_states() -> None:
    from rasa.core.processor import MessageProcessor
    from rasa.shared.core.domain import Domain

    original_states = Domain.states_for_tracker_history
    original_predict = MessageProcessor._predict_next_with_tracker
    if getattr(original_states, PATCH_MARK, False):
        return
    expected = ["self", "tracker", "omit_unset_slots", "ignore_rule_only_turns", "rule_only_data"]
    if list(inspect.signature(original_states).parameters) != expected:
        raise UnsupportedRasaVersion("Domain.states_for_tracker_history has another signature")
    if list(inspect.signature(original_predict).parameters) != ["self", "tracker"]:
        raise UnsupportedRasaVersion("MessageProcessor._predict_next_with_tracker has another signature")

    def states_for_tracker_history(self: Domain, tracker: Any, omit_unset_slots: bool = False,
                                   ignore_rule_only_turns: bool = False,
                                   rule_only_data: Optional[Dict[Text, Any]] = None) -> List[Any]:
        memo = _PAST_STATES.get()
        if memo is None:
            return original_states(self, tracker, omit_unset_slots, ignore_rule_only_turns, rule_only_data)
        key = (id(self), id(tracker), bool(omit_unset_slots), bool(ignore_rule_only_turns),
               None if rule_only_data is None else json.dumps(rule_only_data, sort_keys=True, default=repr))
        events = tracker.events
        count = len(events)
        last = events[-1] if count else None
        entry = memo.get(key)
        if entry is not None and entry[0] is self and entry[1] is tracker and entry[2] == count and entry[3] is last:
            PAST_STATES_STATS["shared"] += 1
            return _copy_states(entry[4])
        states = original_states(self, tracker, omit_unset_slots, ignore_rule_only_turns, rule_only_data)
        PAST_STATES_STATS["computed"] += 1
        memo[key] = (self, tracker, count, last, _copy_states(states))
        return states

    def _predict_next_with_tracker(self: MessageProcessor, tracker: Any) -> Any:
        token = _PAST_STATES.set({})
        try:
            return original_predict(self, tracker)
        finally:
            _PAST_STATES.reset(token)

    for patched, original in ((states_for_tracker_history, original_states),
                              (_predict_next_with_tracker, original_predict)):
        setattr(patched, PATCH_MARK, True)
        setattr(patched, "original", original)
    Domain.states_for_tracker_history = states_for_tracker_history  # type: ignore[method-assign]
    MessageProcessor._predict_next_with_tracker = _predict_next_with_tracker  # type: ignore[method-assign]


# ------------------------------------------------------------------ 7. no debug-only deep copies when debug is off

def _debug_logging_on() -> bool:
    import structlog
    from structlog._native import _nop

    return getattr(structlog.get_config().get("wrapper_class"), "debug", None) is not _nop


class _DebugLogCopy:
    """Stands in for the `copy` module in a module that deep-copies only for `structlogger.debug` arguments."""

    def __init__(self, real: Any) -> None:
        self._real = real
        setattr(self, PATCH_MARK, True)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._real, name)

    def deepcopy(self, x: Any, memo: Any = None) -> Any:
        if _debug_logging_on():
            return self._real.deepcopy(x, memo)
        return x  # the debug call it is an argument of does nothing (and renders synchronously if it did)


def _debug_only_copies(module: Any) -> bool:
    """True when every use of `copy` in the module is `copy.deepcopy(...)` as an argument of `structlogger.debug`."""
    tree = ast.parse(inspect.getsource(module))
    allowed = set()
    for node in ast.walk(tree):
        if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "debug"
                and isinstance(node.func.value, ast.Name) and node.func.value.id == "structlogger"):
            for arg in list(node.args) + [keyword.value for keyword in node.keywords]:
                if (isinstance(arg, ast.Call) and isinstance(arg.func, ast.Attribute)
                        and arg.func.attr == "deepcopy" and isinstance(arg.func.value, ast.Name)
                        and arg.func.value.id == "copy"):
                    allowed.add(id(arg.func.value))
    uses = [node for node in ast.walk(tree) if isinstance(node, ast.Name) and node.id == "copy"]
    return bool(uses) and all(id(node) in allowed for node in uses)


DEBUG_COPY_MODULES = ("rasa.core.processor", "rasa.core.policies.rule_policy", "rasa.core.policies.memoization")


def _patch_debug_copies() -> None:
    import copy
    import importlib

    try:
        from structlog._native import _nop  # noqa: F401
    except ImportError as error:  # pragma: no cover - another structlog
        raise UnsupportedRasaVersion("structlog has no _native._nop: cannot tell whether debug is off") from error
    for name in DEBUG_COPY_MODULES:
        module = importlib.import_module(name)
        if getattr(module.copy, PATCH_MARK, False):
            continue
        if module.copy is not copy or not _debug_only_copies(module):
            raise UnsupportedRasaVersion(f"{name} uses `copy` for more than debug-log arguments")
        module.copy = _DebugLogCopy(copy)


# ------------------------------------------------------------- 8. a translated answer when the action server fails

# The response for an action the action server could not run; any other action gets SERVICE_INTERRUPTED.
INTERRUPTED_RESPONSES = {"action_file_case": "utter_filing_interrupted"}
SERVICE_INTERRUPTED = "utter_service_interrupted"
_PROCESSOR_ACTION: contextvars.ContextVar[Optional[Any]] = contextvars.ContextVar("processor_action", default=None)


class ActionServerFailure(RasaException):
    """What `RemoteAction.run` raises when the action server could not run the action (still a RasaException,
    so Rasa's own handlers, such as slot extraction's, catch it as before)."""


def _reply_language(tracker: Any) -> str:
    """The conversation's language, or on its first message what the message itself says (the language
    entities of bot/language_component.py, the channel's metadata); the action server usually decides it."""
    from basics.languages import DEFAULT_LANGUAGE, language_from_code

    latest = tracker.latest_message
    entities = {e.get("entity"): e.get("value") for e in (latest.entities if latest else [])}
    metadata = (latest.metadata if latest else None) or {}
    for code in (tracker.get_slot("language"), entities.get("language_requested"),
                 entities.get("language_detected"), metadata.get("language")):
        found = language_from_code(code)
        if found:
            return found
    return DEFAULT_LANGUAGE


def _patch_action_server_failures() -> None:
    from rasa.core.actions.action import ActionBotResponse, ActionExecutionRejection, RemoteAction
    from rasa.core.actions.loops import LoopAction
    from rasa.core.processor import MessageProcessor
    from rasa.shared.core.constants import ACTION_LISTEN_NAME
    from rasa.shared.core.events import FollowupAction, SlotSet

    if getattr(MessageProcessor._run_action, PATCH_MARK, False):
        return
    failure = ActionServerFailure
    original_remote_run = RemoteAction.run
    original_loop_run = LoopAction.run
    original_run_action = MessageProcessor._run_action

    async def answer_instead(action: Any, error: Exception, output_channel: Any, nlg: Any, tracker: Any,
                             domain: Any) -> List[Any]:
        response = INTERRUPTED_RESPONSES.get(action.name(), SERVICE_INTERRUPTED)
        if response not in domain.responses:
            raise error  # a model without the responses: Rasa's own path
        logger.error("the action server could not run %s; the user was asked to try again (%s)", action.name(),
                     type(error.__cause__ or error).__name__)
        language = _reply_language(tracker)
        if tracker.get_slot("language") != language:  # the first message: the action server sets the slot
            tracker = tracker.copy()
            tracker.update(SlotSet("language", language))
        # Then listen: what the policies would predict after an action that did nothing is a guess.
        return [*await ActionBotResponse(response).run(output_channel, nlg, tracker, domain),
                FollowupAction(ACTION_LISTEN_NAME)]

    async def remote_run(self: Any, output_channel: Any, nlg: Any, tracker: Any, domain: Any) -> List[Any]:
        try:
            return await original_remote_run(self, output_channel, nlg, tracker, domain)
        except ActionExecutionRejection:
            raise
        except failure:
            raise
        except RasaException as error:
            marked = failure(str(error))
            marked.__cause__ = error.__cause__ or error
            if _PROCESSOR_ACTION.get() is self:
                return await answer_instead(self, marked, output_channel, nlg, tracker, domain)
            raise marked

    async def loop_run(self: Any, output_channel: Any, nlg: Any, tracker: Any, domain: Any) -> List[Any]:
        try:
            return await original_loop_run(self, output_channel, nlg, tracker, domain)
        except failure as error:
            if _PROCESSOR_ACTION.get() is self:
                return await answer_instead(self, error, output_channel, nlg, tracker, domain)
            raise

    async def _run_action(self: Any, action: Any, *args: Any, **kwargs: Any) -> Any:
        token = _PROCESSOR_ACTION.set(action)
        try:
            return await original_run_action(self, action, *args, **kwargs)
        finally:
            _PROCESSOR_ACTION.reset(token)

    for patched, original in ((remote_run, original_remote_run), (loop_run, original_loop_run),
                              (_run_action, original_run_action)):
        setattr(patched, PATCH_MARK, True)
        setattr(patched, "original", original)
    RemoteAction.run = remote_run  # type: ignore[method-assign]
    LoopAction.run = loop_run  # type: ignore[method-assign]
    MessageProcessor._run_action = _run_action  # type: ignore[method-assign]


# ------------------------------------------------------- 9. TED skipped when another policy decides the prediction

_DEFER_TED: contextvars.ContextVar[bool] = contextvars.ContextVar("privacy_assistant_defer_ted", default=False)
TED_STATS = {"computed": 0, "skipped": 0}  # for tests/bot/test_rasa_patches.py


def _ted_cannot_win(ted_priority: int, others: List[Any], tracker: Any) -> bool:
    """True when a TED prediction with no events, both flags False and max confidence <= 1.0 cannot be the
    ensemble's choice among `others` (the argument is in the module docstring, 9)."""
    from rasa.shared.core.events import ActionExecuted, ActionExecutionRejected

    last_action = next((event for event in reversed(tracker.events)
                        if isinstance(event, (ActionExecutionRejected, ActionExecuted))), None)
    if isinstance(last_action, ActionExecutionRejected):
        return False
    return any(other.is_no_user_prediction or other.is_end_to_end_prediction
               or (other.max_confidence >= 1.0 and other.policy_priority > ted_priority) for other in others)


def _patch_deferred_ted() -> None:
    from rasa.core.policies.ensemble import DefaultPolicyPredictionEnsemble
    from rasa.core.policies.policy import PolicyPrediction
    from rasa.core.policies.ted_policy import TEDPolicy
    from rasa.core.processor import MessageProcessor
    from rasa.shared.nlu.constants import TEXT
    from rasa.utils.tensorflow.constants import CROSS_ENTROPY, LOSS_TYPE, MODEL_CONFIDENCE, SOFTMAX

    original_ted = TEDPolicy.predict_action_probabilities
    original_combine = DefaultPolicyPredictionEnsemble.combine_predictions_from_kwargs
    original_predict = MessageProcessor._predict_next_with_tracker
    if getattr(original_ted, PATCH_MARK, False):
        return
    expected = ["self", "tracker", "domain", "rule_only_data", "precomputations", "kwargs"]
    if list(inspect.signature(original_ted).parameters) != expected:
        raise UnsupportedRasaVersion("TEDPolicy.predict_action_probabilities has another signature")
    if list(inspect.signature(original_combine).parameters) != ["self", "tracker", "domain", "kwargs"]:
        raise UnsupportedRasaVersion("DefaultPolicyPredictionEnsemble.combine_predictions_from_kwargs changed")

    class DeferredPrediction(PolicyPrediction):
        """TED's prediction, computed by TED's own code on first access to any of its attributes."""

        def __init__(self, compute: Any, priority: int) -> None:  # no super().__init__: nothing known yet
            self.__dict__["_deferred"] = (compute, priority)

        def __getattr__(self, name: str) -> Any:  # only called for attributes not set yet
            if name.startswith("__"):  # protocol lookups (copy, pickle, dask's checks) do not compute it
                raise AttributeError(name)
            deferred = self.__dict__.pop("_deferred", None)
            if deferred is None:
                raise AttributeError(name)
            TED_STATS["computed"] += 1
            self.__dict__.update(deferred[0]().__dict__)
            return getattr(self, name)

    def _deferrable(ted: Any) -> bool:
        return (type(ted) is TEDPolicy and ted.model is not None and not ted.only_e2e and TEXT not in ted.fake_features
                and ted.config.get(MODEL_CONFIDENCE) == SOFTMAX and ted.config.get(LOSS_TYPE) == CROSS_ENTROPY)

    # Both are graph run functions: Rasa validates their signature and type hints against the graph schema when
    # it trains and loads a model, so they carry the originals' (functools.wraps; `typing.get_type_hints` then
    # resolves the originals' annotations in the originals' module).
    @functools.wraps(original_ted)
    def predict_action_probabilities(self, tracker: Any, domain: Any, rule_only_data: Any = None,  # type: ignore[no-untyped-def]
                                     precomputations: Any = None, **kwargs: Any) -> Any:
        if not _DEFER_TED.get() or not _deferrable(self):
            return original_ted(self, tracker, domain, rule_only_data, precomputations, **kwargs)
        return DeferredPrediction(
            lambda: original_ted(self, tracker, domain, rule_only_data, precomputations, **kwargs), self.priority)

    @functools.wraps(original_combine)
    def combine_predictions_from_kwargs(self, tracker: Any, domain: Any, **kwargs: Any) -> Any:  # type: ignore[no-untyped-def]
        deferred = {key for key, value in kwargs.items()
                    if isinstance(value, DeferredPrediction) and "_deferred" in value.__dict__}
        if deferred:
            others = [value for key, value in kwargs.items()
                      if key not in deferred and isinstance(value, PolicyPrediction)]
            skip = {key for key in deferred
                    if _ted_cannot_win(kwargs[key].__dict__["_deferred"][1], others, tracker)}
            TED_STATS["skipped"] += len(skip)
            kwargs = {key: value for key, value in kwargs.items() if key not in skip}
        return original_combine(self, tracker, domain, **kwargs)

    def _predict_next_with_tracker(self: Any, tracker: Any) -> Any:
        token = _DEFER_TED.set(True)
        try:
            return original_predict(self, tracker)
        finally:
            _DEFER_TED.reset(token)

    for patched, original in ((predict_action_probabilities, original_ted),
                              (combine_predictions_from_kwargs, original_combine),
                              (_predict_next_with_tracker, original_predict)):
        setattr(patched, PATCH_MARK, True)
        setattr(patched, "original", original)
    setattr(predict_action_probabilities, "deferred_class", DeferredPrediction)
    TEDPolicy.predict_action_probabilities = predict_action_probabilities  # type: ignore[method-assign]
    DefaultPolicyPredictionEnsemble.combine_predictions_from_kwargs = (  # type: ignore[method-assign]
        combine_predictions_from_kwargs)
    MessageProcessor._predict_next_with_tracker = _predict_next_with_tracker  # type: ignore[method-assign]


# ------------------------------------------------------- 10. RulePolicy's first rule filter through an index

RULE_KEYS_STATS = {"indexed": 0, "skipped_checks": 0}  # for tests/bot/test_rasa_patches.py
# id(lookup) -> (lookup, number of keys, {(action name or None, intent or None): [(position, key)]})
_RULE_INDEX: Dict[int, Tuple[Dict[Text, Any], int, Dict[Tuple[Optional[Text], Optional[Text]], List[Any]]]] = {}


def _indexed_value(sub_state: Any, name: Text) -> Optional[Text]:
    """The value a rule's state requires for `name`, or None when it requires none the index can use."""
    from rasa.core.policies.rule_policy import SHOULD_NOT_BE_SET

    value = sub_state.get(name) if isinstance(sub_state, dict) else None
    return value if isinstance(value, str) and value and value != SHOULD_NOT_BE_SET else None


def _rule_index(policy: Any, lookup: Dict[Text, Any]) -> Dict[Tuple[Optional[Text], Optional[Text]], List[Any]]:
    from rasa.shared.core.constants import PREVIOUS_ACTION, USER
    from rasa.shared.nlu.constants import ACTION_NAME, INTENT

    entry = _RULE_INDEX.get(id(lookup))
    if entry is not None and entry[0] is lookup and entry[1] == len(lookup):
        return entry[2]
    index: Dict[Tuple[Optional[Text], Optional[Text]], List[Any]] = {}
    for position, key in enumerate(set(lookup.keys())):  # the order Rasa's first filter iterates in
        last = policy._rule_key_to_state(key)[-1]
        action = _indexed_value(last.get(PREVIOUS_ACTION), ACTION_NAME) if last.get(PREVIOUS_ACTION) else None
        intent = _indexed_value(last.get(USER), INTENT) if last.get(PREVIOUS_ACTION) else None
        index.setdefault((action, intent), []).append((position, key))
    if len(_RULE_INDEX) >= 16:  # two lookups per loaded model
        _RULE_INDEX.clear()
    _RULE_INDEX[id(lookup)] = (lookup, len(lookup), index)
    return index


def _patch_rule_keys() -> None:
    from rasa.core.policies.rule_policy import RulePolicy
    from rasa.shared.core.constants import PREVIOUS_ACTION, USER
    from rasa.shared.nlu.constants import ACTION_NAME, INTENT

    original = RulePolicy._get_possible_keys
    if getattr(original, PATCH_MARK, False):
        return
    is_applicable, key_to_state = RulePolicy._is_rule_applicable, RulePolicy.__dict__["_rule_key_to_state"]
    if list(inspect.signature(original).parameters) != ["self", "lookup", "states"]:
        raise UnsupportedRasaVersion("RulePolicy._get_possible_keys has another signature")

    def _get_possible_keys(self: Any, lookup: Dict[Text, Text], states: List[Any]) -> Any:
        if (not states or type(self)._is_rule_applicable is not is_applicable
                or inspect.getattr_static(type(self), "_rule_key_to_state") is not key_to_state):
            return original(self, lookup, states)
        index = _rule_index(self, lookup)
        state = states[-1]
        previous = state.get(PREVIOUS_ACTION) or {}
        action, intent = previous.get(ACTION_NAME), (state.get(USER) or {}).get(INTENT)
        candidates = [entry for pair in {(action, intent), (action, None), (None, intent), (None, None)}
                      for entry in index.get(pair, ())]
        candidates.sort()  # Rasa's order
        RULE_KEYS_STATS["indexed"] += 1
        RULE_KEYS_STATS["skipped_checks"] += len(lookup) - len(candidates)
        possible_keys = set(filter(lambda _key: self._is_rule_applicable(_key, 0, state),
                                   [key for _, key in candidates]))
        for i, state in enumerate(reversed(states[:-1]), start=1):  # Rasa's loop from its second pass on
            possible_keys = set(filter(lambda _key: self._is_rule_applicable(_key, i, state), possible_keys))
        return possible_keys

    setattr(_get_possible_keys, PATCH_MARK, True)
    setattr(_get_possible_keys, "original", original)
    RulePolicy._get_possible_keys = _get_possible_keys  # type: ignore[method-assign]


# What the start-up log line lists (tests/bot/test_rasa_patches_running.py looks for each in a real `rasa run`).
PATCHES = ("RemoteAction._validate_action_result (compiled, per-event-type fast path)",
           "Event.resolve_by_type (cached)", "EndpointConfig.session (pooled connections, orjson bodies, domain JSON reused)",
           "Slot.__copy__ (plain copy)",
           "Domain.states_for_tracker_history (shared within one prediction)",
           "debug-only deepcopies skipped while debug logging is off",
           "a translated answer when the action server cannot run an action",
           "TEDPolicy deferred (skipped when another policy decides)",
           "RulePolicy._get_possible_keys (first pass through an index)")


def apply() -> None:
    """Apply every patch (idempotent); refuse on any Rasa version but the one they were written for."""
    _require_version()
    _patch_action_result_validation()
    _patch_event_type_lookup()
    _patch_endpoint_sessions()
    _patch_slot_copy()
    _patch_shared_past_states()
    _patch_debug_copies()
    _patch_action_server_failures()
    _patch_deferred_ted()
    _patch_rule_keys()
    logger.info("Rasa %s patches applied: %s", PATCHED_FOR_RASA, ", ".join(PATCHES))


apply()
