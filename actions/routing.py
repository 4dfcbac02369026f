"""Request or question: what the assistant does with a message outside a form, decided from the parse.

Why one module: the dialogue rules start a flow for a request intent and answer a policy question for
`faq`, but three decisions need the whole parse, not only the top intent, and bench/bench_understanding.py
must measure exactly what the actions do:
- a policy question that may also be a request ("can you delete my personal information?") is answered in
  one line and the request is offered as a button (`offer_for_question`);
- a policy topic that is not clearly ahead of the runner-up is not answered as if it were (`faq_topic`):
  the closest topics are offered as buttons, "did you mean ...?" (`topic_candidates`), and with none close
  the policy search or an honest "I am not sure" takes over;
- a message the classifier cannot place (nlu_fallback) gets the closest candidates as buttons in the user's
  language, Rasa's two-stage fallback pattern (`clarify_candidates`).
The thresholds come from bench/bench_understanding.py's sweep on tests/nlu_holdout (the tuning set); the
acceptance sets in tests/nlu_acceptance only report.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from typing import Any, Dict, List, Mapping, Optional, Tuple

from actions.goals import START_INTENT_GOALS
from actions.words import OBJECTING_VERBS
from bot.request_rules import CHOSEN_TOPIC_ENTITY, ERASING_VERBS, names_personal_data, words_of

# The policy topic (bot/faq_topics.py) is trusted from this confidence on ... (0.3 with the margin below: on
# tests/nlu_holdout's 279 policy questions 246 were answered with the right topic and 6 with a wrong one, and
# the right topic was answered or offered as a button for 260; 0.4 answered 239 right and 6 wrong, 0.6 201
# and 2, 0.2 without a margin 254 and 12. bench/bench_understanding.py prints the sweep.)
FAQ_MIN_CONFIDENCE = float(os.environ.get("PRIVACY_FAQ_MIN_CONFIDENCE", "0.3"))
# ... and only when it leads the second topic by this much; otherwise "did you mean" or the search decides.
FAQ_MIN_MARGIN = float(os.environ.get("PRIVACY_FAQ_MIN_MARGIN", "0.2"))
# "Did you mean ...?" for an unsure topic: asked when the best topic has at least this confidence (below it
# the selector is guessing and the search does better) ...
TOPIC_CLARIFY_MIN_TOP = float(os.environ.get("PRIVACY_TOPIC_CLARIFY_MIN_TOP", "0.2"))
# ... listing the topics of at least this confidence, at most this many. On tests/nlu_holdout's unsure
# questions the right topic was among these buttons for 35 of 37 (an earlier training: 33 of 43), while the
# search's best section was the right one for 8 (10).
TOPIC_CLARIFY_MIN_CONFIDENCE = float(os.environ.get("PRIVACY_TOPIC_CLARIFY_MIN_CONFIDENCE", "0.1"))
TOPIC_CLARIFY_MAX_CANDIDATES = 2
# The entity a topic button's payload carries (`/faq{"faq_topic": "cookies"}`): the user chose the topic.
_TOPIC_NAME = re.compile(r"[a-z][a-z_]{0,63}")
# A request intent ranked below `faq` is offered as a button after the answer from this confidence on.
OFFER_MIN_CONFIDENCE = float(os.environ.get("PRIVACY_OFFER_MIN_CONFIDENCE", "0.1"))
# "Did you mean ...?" lists the request intents of at least this confidence, at most this many.
CLARIFY_MIN_CONFIDENCE = float(os.environ.get("PRIVACY_CLARIFY_MIN_CONFIDENCE", "0.1"))
CLARIFY_MAX_CANDIDATES = 3

# Intents that open a flow (a case, or the status check of one): the ones that may be offered as buttons.
REQUEST_INTENTS: Tuple[str, ...] = tuple(START_INTENT_GOALS)
# Intents whose flow files a case: an out-of-domain message must never reach one of these.
CASE_OPENING_INTENTS = frozenset(i for i in REQUEST_INTENTS if i != "check_case_status")
NOT_REQUESTS = frozenset({"customer_service", "out_of_scope"})


@dataclass(frozen=True)
class Route:
    """What the assistant does with one message outside a form.

    kind: "start" (the rules start `intent`'s flow), "answer" (policy `topic`, or the search when topic is
    None), "clarify" (buttons for `offers`), "customer_service", "out_of_scope" or "other" (small talk,
    hand-off, ...: a rule answers `intent`). `offers` are request intents offered as buttons."""

    kind: str
    intent: Optional[str] = None
    topic: Optional[str] = None
    offers: List[str] = field(default_factory=list)
    topics: List[str] = field(default_factory=list)  # policy topics offered as buttons when `topic` is unsure


def _ranking(parse: Mapping[str, Any]) -> List[Dict[str, Any]]:
    return [r for r in parse.get("intent_ranking") or [] if r.get("name") != "nlu_fallback"]


def chosen_topic(parse: Mapping[str, Any]) -> Optional[str]:
    """The topic the user picked with a topic button, if this message is such a click."""
    for entity in parse.get("entities") or []:
        value = entity.get("value")
        # A payload is typed by whoever sends it: only a topic-shaped name is taken (and ever logged).
        if entity.get("entity") == CHOSEN_TOPIC_ENTITY and isinstance(value, str) and _TOPIC_NAME.fullmatch(value):
            return value
    return None


def topic_ranking(parse: Mapping[str, Any]) -> List[Tuple[str, float]]:
    """[(topic, confidence), ...] as the topic classifier ranked them, best first."""
    selector = (parse.get("response_selector") or {}).get("faq") or {}
    ranked = []
    for entry in selector.get("ranking") or []:
        key = entry.get("intent_response_key") or ""
        if key.startswith("faq/"):
            ranked.append((key.split("/", 1)[1], float(entry.get("confidence") or 0.0)))
    return ranked


def faq_topic(parse: Mapping[str, Any]) -> Tuple[Optional[str], float]:
    """(topic, confidence) when the user chose the topic, or the response selector's topic is confident and
    clearly ahead; else (None, confidence)."""
    chosen = chosen_topic(parse)
    if chosen:
        return chosen, 1.0
    selector = (parse.get("response_selector") or {}).get("faq") or {}
    response = selector.get("response") or {}
    key = response.get("intent_response_key") or ""
    confidence = float(response.get("confidence") or 0.0)
    ranking = topic_ranking(parse)
    runner_up = ranking[1][1] if len(ranking) > 1 else 0.0
    if not key.startswith("faq/") or confidence < FAQ_MIN_CONFIDENCE or confidence - runner_up < FAQ_MIN_MARGIN:
        return None, confidence
    return key.split("/", 1)[1], confidence


def topic_candidates(parse: Mapping[str, Any]) -> List[str]:
    """The topics worth asking about when `faq_topic` is unsure, best first (empty when it is sure)."""
    ranking = topic_ranking(parse)
    if faq_topic(parse)[0] or not ranking or ranking[0][1] < TOPIC_CLARIFY_MIN_TOP:
        return []
    found = [topic for topic, confidence in ranking if confidence >= TOPIC_CLARIFY_MIN_CONFIDENCE]
    return found[:TOPIC_CLARIFY_MAX_CANDIDATES]


def offer_for_question(parse: Mapping[str, Any], topic_unsure: bool = False) -> Optional[str]:
    """The request intent to offer after a policy answer, when the classifier saw one too.

    `topic_unsure`: no policy topic is clearly ahead. Such a "question" is often a request asked as one
    ("how can I get my data deleted?"): the classifier puts `faq` near 1.0 and the request right below it, so
    the request ranked right after `faq` is offered whatever its confidence. On tests/nlu_holdout this
    started or offered the right flow for 358 of 363 requests instead of 354, and added a request button to
    32 of the 279 policy questions (27 of the unsure ones among them were "did you mean" questions already)
    and to none of the 349 other messages."""
    ranking = _ranking(parse)
    said = request_said_in_words(parse, ranking)
    if said:
        return said
    if topic_unsure and len(ranking) > 1 and ranking[1].get("name") in REQUEST_INTENTS:
        return ranking[1]["name"]
    for ranked in ranking[1:3]:
        name = ranked.get("name")
        if name in REQUEST_INTENTS and float(ranked.get("confidence") or 0.0) >= OFFER_MIN_CONFIDENCE:
            return name
    return None


# A request whose own verb is in the message ("jeg vil bare at dere sletter opplysningene mine" at the end of a
# long story): offered even when another request ranks above it, if the classifier saw it at all.
REQUEST_VERBS: Dict[str, Tuple[str, ...]] = {
    "request_erasure": ERASING_VERBS,
    "request_objection": OBJECTING_VERBS,
}
REQUEST_SEEN_MIN_CONFIDENCE = 0.05
REQUEST_SEEN_IN_TOP = 4


def request_said_in_words(parse: Mapping[str, Any], ranking: List[Dict[str, Any]]) -> Optional[str]:
    """The request among the top ranked whose verb the message uses about personal data, if any."""
    text = str(parse.get("text") or "")
    if not text or text.startswith("/") or not names_personal_data(text):
        return None
    _, joined = words_of(text)  # folded words, space-separated, as the guard reads them
    for ranked in ranking[1:REQUEST_SEEN_IN_TOP]:
        verbs = REQUEST_VERBS.get(ranked.get("name") or "")
        if verbs and float(ranked.get("confidence") or 0.0) >= REQUEST_SEEN_MIN_CONFIDENCE and any(
                f" {verb}" in joined for verb in verbs):
            return ranked["name"]
    return None


def clarify_candidates(parse: Mapping[str, Any]) -> List[str]:
    """The request intents worth asking about when the classifier could not decide, best first."""
    if (parse.get("intent") or {}).get("name") in NOT_REQUESTS:
        return []
    found = []
    for ranked in _ranking(parse):
        if ranked.get("name") in NOT_REQUESTS:
            break  # what ranks below "not a request" is not worth a button
        if ranked.get("name") in REQUEST_INTENTS and float(ranked.get("confidence") or 0.0) >= CLARIFY_MIN_CONFIDENCE:
            found.append(ranked["name"])
        if len(found) == CLARIFY_MAX_CANDIDATES:
            break
    return found


def topic_in_fallback(parse: Mapping[str, Any]) -> Optional[str]:
    """The policy topic to answer when the classifier could not decide between `faq` and a request.

    "Where can I complain if I'm not happy?" sits between `faq` and `file_complaint`; the topic classifier is
    sure it is the complaint-routes topic. Answering that (and offering the request, as `route` does) says more
    than "did you mean ...?" with one button: a question that may be a request gets its answer and the
    request as a button. Only when `faq` is one of the two intents the classifier hesitated between."""
    if chosen_topic(parse):
        return None  # a topic button's payload is handled by the faq rule, never as a fallback
    if not any(r.get("name") == "faq" for r in _ranking(parse)[:2]):
        return None
    return faq_topic(parse)[0]


def route(parse: Mapping[str, Any]) -> Route:
    """The whole decision for a message outside a form, as the rules and actions carry it out."""
    intent = (parse.get("intent") or {}).get("name") or "nlu_fallback"
    if intent in REQUEST_INTENTS:
        return Route("start", intent=intent)
    if intent == "faq":
        topic, _confidence = faq_topic(parse)
        offer = offer_for_question(parse, topic_unsure=topic is None)
        return Route("answer", intent=intent, topic=topic, offers=[offer] if offer else [],
                     topics=[] if topic else topic_candidates(parse))
    if intent == "nlu_fallback":
        candidates = clarify_candidates(parse)
        topic = topic_in_fallback(parse)
        if topic:
            return Route("answer", intent="faq", topic=topic, offers=candidates[:1])
        return Route("clarify", intent=intent, offers=candidates)
    if intent in NOT_REQUESTS:
        return Route(intent, intent=intent)
    return Route("other", intent=intent)
