"""Request or question (actions/routing.py) and the actions that carry it out: the request offered after a
policy answer, the FAQ topic trusted only when clearly ahead, and "did you mean ...?" buttons."""

from __future__ import annotations

from typing import Any, Dict, List, Optional, Tuple

import pytest

from actions import policy, routing
from actions.routing import Route, route
from tests.support import action_request


def parse(intent: str, confidence: float, others: List[Tuple[str, float]] = (),
          topics: Optional[List[Tuple[str, float]]] = None, text: str = "x") -> Dict[str, Any]:
    message: Dict[str, Any] = {
        "text": text,
        "intent": {"name": intent, "confidence": confidence},
        "intent_ranking": [{"name": intent, "confidence": confidence}]
        + [{"name": n, "confidence": c} for n, c in others],
        "entities": [],
    }
    if topics:
        message["response_selector"] = {"faq": {
            "response": {"intent_response_key": f"faq/{topics[0][0]}", "confidence": topics[0][1]},
            "ranking": [{"intent_response_key": f"faq/{t}", "confidence": c} for t, c in topics],
        }}
    return message


def test_a_request_intent_starts_its_flow() -> None:
    assert route(parse("request_erasure", 0.9)) == Route("start", intent="request_erasure")


def test_a_clear_topic_is_answered() -> None:
    decided = route(parse("faq", 0.95, topics=[("cookies", 0.9), ("marketing", 0.05)]))
    assert (decided.kind, decided.topic, decided.offers) == ("answer", "cookies", [])


def test_a_topic_not_clearly_ahead_is_not_answered_as_if_it_were() -> None:
    decided = route(parse("faq", 0.95, topics=[("legal_basis", 0.52), ("what_data", 0.41)]))
    assert decided.kind == "answer" and decided.topic is None  # the search answers instead


def test_a_question_that_may_be_a_request_offers_it() -> None:
    decided = route(parse("faq", 0.6, [("request_erasure", 0.35)], topics=[("retention_general", 0.9)]))
    assert decided.topic == "retention_general" and decided.offers == ["request_erasure"]


def test_a_faint_request_is_not_offered() -> None:
    decided = route(parse("faq", 0.96, [("request_erasure", 0.01)], topics=[("cookies", 0.9)]))
    assert decided.offers == []


def test_fallback_asks_with_the_closest_requests_first() -> None:
    decided = route(parse("nlu_fallback", 0.3, [("request_access", 0.35), ("request_portability", 0.3),
                                                 ("greet", 0.2), ("withdraw_consent", 0.12)]))
    assert decided.kind == "clarify"
    assert decided.offers == ["request_access", "request_portability", "withdraw_consent"]


def test_nothing_below_not_a_request_is_offered() -> None:
    decided = route(parse("nlu_fallback", 0.3, [("out_of_scope", 0.38), ("request_erasure", 0.3)]))
    assert decided.offers == []
    assert route(parse("customer_service", 0.8, [("request_access", 0.15)])).kind == "customer_service"


# ------------------------------------------------------------------------------------- the actions


@pytest.mark.parametrize("language, words", [("sv", "begäran om radering"), ("nb", "krav om sletting"),
                                              ("en", "erasure request")])
async def test_answer_then_offer_in_the_users_language(policy_executor, language: str, words: str) -> None:
    message = parse("faq", 0.55, [("request_erasure", 0.4)], topics=[("retention_general", 0.92)],
                    text="how long do you keep my personal information, can you delete it")
    result = await policy_executor.run(action_request("action_answer_faq", message, {"language": language}))
    answer, offer = result["responses"]
    assert answer["text"] == policy.get_knowledge_base().topics["retention_general"]["answer"][language]
    assert words in offer["text"]
    assert offer["buttons"][0]["payload"] == "/request_erasure"


async def test_no_offer_inside_a_form(policy_executor) -> None:
    message = parse("faq", 0.55, [("request_erasure", 0.4)], topics=[("retention_general", 0.92)])
    result = await policy_executor.run(action_request("action_answer_faq", message, {"language": "en"}, active_loop="complaint_form"))
    assert len(result["responses"]) == 1


async def test_clarify_buttons_start_the_candidates(policy_executor) -> None:
    message = parse("nlu_fallback", 0.3, [("request_access", 0.36), ("request_portability", 0.31)])
    result = await policy_executor.run(action_request("action_clarify_request", message, {"language": "nb"}))
    (reply,) = result["responses"]
    assert reply["text"].startswith("Jeg er ikke sikker")
    assert [b["payload"] for b in reply["buttons"]] == ["/request_access", "/request_portability", "/help"]
    assert reply["buttons"][0]["title"] == "Innsynsbegjæring"


async def test_clarify_with_nothing_close_falls_back_to_the_menu(policy_executor) -> None:
    message = parse("nlu_fallback", 0.2, [("out_of_scope", 0.3)], text="blorp snerk")
    result = await policy_executor.run(action_request("action_clarify_request", message, {"language": "sv"}))
    assert [r.get("response") for r in result["responses"]] == ["utter_nlu_fallback"]
