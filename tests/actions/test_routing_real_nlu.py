"""Request or question through the trained model: new start phrasings start (or offer) the right flow,
customer-service and everyday messages open nothing, and the clarify and offer paths reach the user.

The replayed test stories carry written intents, so only the real NLU can show that "I wonder what you
know about me" starts an access request while "show me my reminders" does not. The phrasings here are
this test's own (not in data/ or the acceptance sets). Skipped without a trained model (`make train`).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from actions.routing import CASE_OPENING_INTENTS, route
from tests.support import action_request

ROOT = Path(__file__).resolve().parents[2]
MODEL = Path(os.environ.get("E2E_MODEL", "models/assistant.tar.gz"))
if not MODEL.is_absolute():
    MODEL = ROOT / MODEL

pytestmark = pytest.mark.skipif(not MODEL.exists(), reason=f"no trained model at {MODEL} (run `make train`)")


@pytest.fixture(scope="module")
def agent(trained_agent: Any) -> Any:  # the real model, loaded once per run (tests/conftest.py)
    return trained_agent


@pytest.mark.parametrize(
    "text, intent",
    [
        ("undrar vad ni egentligen vet om mig", "request_access"),
        ("kan ni radera allt ni har sparat om mig, tack", "request_erasure"),
        ("jag samtycker inte längre till era nyhetsbrev", "withdraw_consent"),
        ("ni har fel efternamn på mig i registret", "request_rectification"),
        ("hva har dere egentlig lagret om meg?", "request_access"),
        ("eg vil ha sletta alle opplysningane mine", "request_erasure"),
        ("jeg vil reservere meg mot at dere bruker dataene mine til reklame", "request_objection"),
        ("trekk søknaden min til stillinga som controller", "withdraw_application"),
        ("I wonder what you know about me", "request_access"),
        ("could you erase my personal information please?", "request_erasure"),
        ("I emailed a file with client salaries to the wrong person this morning", "report_incident"),
        ("stop using my details for profiling, I object", "request_objection"),
    ],
)
async def test_own_words_start_or_offer_the_flow(agent: Any, text: str, intent: str) -> None:
    decided = route(await agent.parse_message(text))
    assert (decided.kind == "start" and decided.intent == intent) or intent in decided.offers, (text, decided)


@pytest.mark.parametrize(
    "text",
    [
        "kan jag få en kopia av fakturan från oktober",
        "radera mötet jag bokade på torsdag",
        "visa mina påminnelser för i morgon",
        "slett alarmen klokka seks",
        "vis meg spillelistene mine",
        "hvordan bytter jeg passord i kundeportalen",
        "cancel my order from yesterday",
        "turn off all the alarms",
        "delete the reminder about the dentist",
        "The central bank left interest rates unchanged on Thursday.",
    ],
)
async def test_everyday_and_customer_service_messages_open_nothing(agent: Any, text: str) -> None:
    decided = route(await agent.parse_message(text))
    assert not (decided.kind == "start" and decided.intent in CASE_OPENING_INTENTS), (text, decided)


async def test_the_complaint_question_names_the_authorities_and_offers_the_flow(agent: Any, policy_executor: Any) -> None:
    message = await agent.parse_message("where can I complain about how you process my data?")
    result = await policy_executor.run(action_request("action_answer_faq", message, {"language": "en"}))
    texts = " ".join(r.get("text") or "" for r in result["responses"])
    assert "IMY" in texts and "Datatilsynet" in texts, texts
    payloads = [b["payload"] for r in result["responses"] for b in r.get("buttons") or []]
    assert "/file_complaint" in payloads, result["responses"]


async def test_close_requests_are_clarified_with_buttons_in_the_users_language(agent: Any, policy_executor: Any) -> None:
    # "Stop processing my data" is an objection or a restriction: the model ranks both high. When they are
    # close the fallback catches it and action_clarify_request offers both with the model's own ranking; when
    # one is clearly ahead it starts, and it must be one of the two, with the other right behind it.
    message = await agent.parse_message("sluta behandla mina uppgifter")
    pair = {"request_objection", "request_restriction"}
    if message["intent"]["name"] != "nlu_fallback":
        ranked = [r["name"] for r in message["intent_ranking"][:2]]
        assert set(ranked) == pair, message["intent_ranking"][:3]
        return
    result = await policy_executor.run(action_request("action_clarify_request", message, {"language": "sv"}))
    (reply,) = result["responses"]
    assert reply["text"].startswith("Jag är inte säker")
    payloads = [b["payload"] for b in reply["buttons"]]
    assert {"/" + intent for intent in pair} <= set(payloads), payloads
    assert payloads[-1] == "/help"


async def test_a_topic_button_payload_answers_that_topic(agent: Any, policy_executor: Any) -> None:
    # The payload goes through Rasa's own parsing of "/intent{entities}" with the trained domain: the
    # entity must be declared there, or Rasa drops it and the click would be asked about again.
    from actions.knowledge import get_knowledge_base
    from actions.policy import topic_payload

    message = await agent.parse_message(topic_payload("credit_check"))
    result = await policy_executor.run(action_request("action_answer_faq", message, {"language": "nb"}))
    (reply,) = result["responses"]
    assert reply["text"] == get_knowledge_base().topics["credit_check"]["answer"]["nb"]


@pytest.mark.parametrize(
    "text, topic, offered",
    [
        ("har jag rätt att få ut mina uppgifter i ett format jag kan flytta?", "rights_overview",
         "request_portability"),
        ("har eg rett til å få retta feil i opplysningane om meg?", "rights_overview", "request_rectification"),
        ("do I have the right to have everything about me erased?", "rights_overview", "request_erasure"),
        ("var kan jag klaga om jag tycker att ni hanterar mina uppgifter fel?", "complaint_authority",
         "file_complaint"),
        ("kor kan eg klage om de ikkje svarer meg?", "complaint_authority", "file_complaint"),
        ("where can I complain about how you handled my data?", "complaint_authority", "file_complaint"),
    ],
)
async def test_a_question_about_a_right_is_answered_and_the_request_offered(
        agent: Any, text: str, topic: str, offered: str) -> None:
    """Issue 9: a request asked as a question about the right itself gets the answer (for a complaint: both
    routes, us or the authority) and the request as a button, not a form asking for a name."""
    decided = route(await agent.parse_message(text))
    assert decided.kind == "answer" and decided.topic == topic and offered in decided.offers, (text, decided)
