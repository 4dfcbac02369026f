"""Request or question (actions/routing.py) and the actions that carry it out: the request offered after a
policy answer, the FAQ topic trusted only when clearly ahead, and "did you mean ...?" buttons."""

from __future__ import annotations

from typing import Any, Dict, List, Optional, Tuple

import pytest

from actions import routing
from actions.knowledge import get_knowledge_base
from actions.routing import Route, offer_for_question, route
from actions.texts import t
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
    decided = route(parse("faq", 0.95, topics=[("legal_basis", 0.52), ("what_data", 0.41), ("cookies", 0.05)]))
    assert decided.kind == "answer" and decided.topic is None
    assert decided.topics == ["legal_basis", "what_data"]  # "did you mean ...?"; a faint third is left out


def test_with_no_topic_close_the_search_answers() -> None:
    decided = route(parse("faq", 0.95, topics=[("legal_basis", 0.08), ("what_data", 0.07)]))
    assert (decided.topic, decided.topics) == (None, [])


def test_a_clicked_topic_button_is_answered_whatever_the_selector_says() -> None:
    message = parse("faq", 1.0)
    message["entities"] = [{"entity": routing.CHOSEN_TOPIC_ENTITY, "value": "cookies"}]
    assert route(message) == Route("answer", intent="faq", topic="cookies")
    message["entities"] = [{"entity": routing.CHOSEN_TOPIC_ENTITY, "value": "anna@example.se <b>"}]
    assert routing.chosen_topic(message) is None  # a hand-typed payload is no topic


def test_a_question_that_may_be_a_request_offers_it() -> None:
    decided = route(parse("faq", 0.6, [("request_erasure", 0.35)], topics=[("retention_general", 0.9)]))
    assert decided.topic == "retention_general" and decided.offers == ["request_erasure"]


def test_an_unplaceable_question_offers_the_request_ranked_right_after_faq() -> None:
    # "how can i get my data deleted?": faq at ~1.0, the request right below at ~0.0, no topic ahead.
    ranked = [("request_erasure", 0.0003), ("greet", 0.0001)]
    unsure = route(parse("faq", 0.999, ranked, topics=[("rights_overview", 0.41), ("retention_general", 0.38)]))
    assert unsure.topic is None and unsure.offers == ["request_erasure"]
    sure = route(parse("faq", 0.999, ranked, topics=[("rights_overview", 0.91), ("retention_general", 0.05)]))
    assert sure.topic == "rights_overview" and sure.offers == []


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
    assert answer["text"] == get_knowledge_base().topics["retention_general"]["answer"][language]
    assert words in offer["text"]
    assert offer["buttons"][0]["payload"] == "/request_erasure"


@pytest.mark.parametrize("language", ["sv", "nb", "en"])
async def test_an_unsure_topic_is_asked_about_with_titled_buttons(policy_executor, language: str) -> None:
    kb = get_knowledge_base()
    message = parse("faq", 0.9, [("request_access", 0.2)], topics=[("what_data", 0.45), ("legal_basis", 0.4)])
    result = await policy_executor.run(action_request("action_answer_faq", message, {"language": language}))
    (reply,) = result["responses"]
    assert reply["text"] == t("clarify_topic", language)
    assert [b["title"] for b in reply["buttons"][:2]] == [kb.topics["what_data"]["title"][language],
                                                          kb.topics["legal_basis"]["title"][language]]
    assert [b["payload"] for b in reply["buttons"]] == [
        '/faq{"faq_topic": "what_data"}', '/faq{"faq_topic": "legal_basis"}', "/request_access", "/help"]


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


def test_fallback_between_a_question_and_a_request_answers_a_clear_topic_and_offers_the_request() -> None:
    # "where can i complain if im not happy with how you handle my data": faq 0.53, file_complaint 0.46.
    between = parse("nlu_fallback", 0.4, [("faq", 0.53), ("file_complaint", 0.46)],
                    topics=[("complaint_authority", 0.99), ("processor_role", 0.0)])
    assert route(between) == Route("answer", intent="faq", topic="complaint_authority", offers=["file_complaint"])
    unsure_topic = parse("nlu_fallback", 0.4, [("faq", 0.5), ("file_complaint", 0.46)],
                         topics=[("complaint_authority", 0.5), ("processor_role", 0.4)])
    assert route(unsure_topic).kind == "clarify"
    faq_third = parse("nlu_fallback", 0.4, [("request_access", 0.4), ("request_portability", 0.35), ("faq", 0.2)],
                      topics=[("what_data", 0.99)])
    assert route(faq_third).kind == "clarify"  # the hesitation was between two requests


@pytest.mark.parametrize("language", ["sv", "nb", "en"])
async def test_clarify_between_a_question_and_a_request_answers_and_offers(policy_executor, language: str) -> None:
    message = parse("nlu_fallback", 0.4, [("faq", 0.53), ("file_complaint", 0.46)],
                    topics=[("complaint_authority", 0.99), ("processor_role", 0.0)],
                    text="where can i complain if im not happy with how you handle my data")
    result = await policy_executor.run(action_request("action_clarify_request", message, {"language": language}))
    answer, offer = result["responses"]
    assert answer["text"] == get_knowledge_base().topics["complaint_authority"]["answer"][language]
    assert "IMY" in answer["text"] and "Datatilsynet" in answer["text"]
    assert offer["buttons"][0]["payload"] == "/file_complaint"


async def test_clarify_with_nothing_close_falls_back_to_the_menu(policy_executor) -> None:
    message = parse("nlu_fallback", 0.2, [("out_of_scope", 0.3)], text="blorp snerk")
    result = await policy_executor.run(action_request("action_clarify_request", message, {"language": "sv"}))
    assert [r.get("response") for r in result["responses"]] == ["utter_nlu_fallback"]


@pytest.mark.parametrize("text, ranking, offered", [
    # a long story that ends in the request: the verb decides among the requests the classifier saw
    ("hei jeg sokte jobb hos dere for lenge siden og na far jeg plutselig nyhetsbrev. jeg vil bare at dere "
     "sletter opplysningene mine, alt sammen",
     [("faq", 0.53), ("file_complaint", 0.20), ("request_erasure", 0.16)], "request_erasure"),
    ("there are photos of me on your website from a course, I would like the photos removed and my details too",
     [("faq", 0.41), ("customer_service", 0.21), ("request_erasure", 0.07)], "request_erasure"),
    ("how long do you keep my data?", [("faq", 0.9), ("request_access", 0.05)], None),
    ("please delete my booking for tuesday", [("faq", 0.5), ("customer_service", 0.3), ("request_erasure", 0.06)],
     None),  # no personal data: no erasure offer
])
def test_a_request_said_in_words_is_offered(text: str, ranking: List[Tuple[str, float]], offered: Optional[str]) -> None:
    parse = {"text": text, "intent": {"name": ranking[0][0], "confidence": ranking[0][1]},
             "intent_ranking": [{"name": n, "confidence": c} for n, c in ranking]}
    assert offer_for_question(parse) == offered

