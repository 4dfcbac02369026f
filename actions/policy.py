"""The policy-answer actions: `action_answer_faq` (with the request offer) and `action_clarify_request`
(nlu_fallback), and the answer to a policy question asked beside a form answer. What they say comes from
the knowledge base (actions/knowledge.py); these only choose which answer, and which buttons go with it.
"""

from __future__ import annotations

import json
import logging
from typing import Any, Dict, List, Optional

from rasa_sdk import Action, Tracker
from rasa_sdk.events import FollowupAction
from rasa_sdk.executor import CollectingDispatcher

from actions.common import has_any
from actions.goals import START_INTENT_GOALS
from actions.knowledge import KnowledgeBase, answer_question, get_knowledge_base
from actions.routing import (
    CHOSEN_TOPIC_ENTITY,
    clarify_candidates,
    faq_topic,
    offer_for_question,
    topic_candidates,
    topic_in_fallback,
)
from actions.texts import button, goal_name, t
from actions.words import MUST_WORDS, NOTIFY_WORDS
from basics.languages import normalise_language
from bot.request_rules import names_an_authority

logger = logging.getLogger(__name__)


def _tracker_language(tracker: Tracker) -> str:
    return normalise_language(tracker.get_slot("language"))


def _tracker_is_staff(tracker: Tracker) -> bool:
    # Only an explicit True (set from verified Teams metadata) counts; missing or anything else is not staff.
    return tracker.get_slot("is_staff") is True


class ActionAnswerFaq(Action):
    """Answers `faq/<topic>` from the knowledge base in the user's language. A topic that is not clearly
    ahead is asked about ("did you mean ...?" with the closest topics as buttons); with no topic close, the
    policy search answers, and without a search hit the honest "the policy does not say" answer."""

    def name(self) -> str:
        return "action_answer_faq"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[str, Any]) -> List[Dict]:
        from actions.forms import form_answer_beats_interruption  # flows module; imported late on purpose

        answering = form_answer_beats_interruption(tracker, "faq")
        if answering:
            return [FollowupAction(answering)]
        kb = get_knowledge_base()
        language = _tracker_language(tracker)
        is_staff = _tracker_is_staff(tracker)
        question = tracker.latest_message.get("text") or ""
        topic, confidence = faq_topic(tracker.latest_message)
        # Inside a form the user is busy with one request already: no offer of another one there.
        offer = None if tracker.active_loop_name else (
            offer_for_question(tracker.latest_message, topic_unsure=topic not in kb.topics)
            or (kb.topics[topic].get("offer") if topic in kb.topics else None))
        candidates = [c for c in topic_candidates(tracker.latest_message) if c in kb.topics]
        if topic not in kb.topics and candidates:
            logger.info("faq clarify: topics=%s confidence=%.2f language=%s offer=%s",
                        candidates, confidence, language, offer)
            ask_which_topic(dispatcher, kb, candidates, offer, language)
            return []
        if topic in kb.topics:
            answer = kb.answer_for_topic(topic, language, is_staff, question)
        else:
            answer = kb.answer_question(question, language, is_staff)
        # Log only labels and numbers, never the user's text.
        logger.info("faq answer: topic=%s confidence=%.2f source=%s section=%s language=%s offer=%s",
                    topic, confidence, answer.source, answer.section, language, offer)
        dispatcher.utter_message(text=answer.text)
        if offer:
            offer_request(dispatcher, offer, language)
        return []


def answer_beside_a_form_answer(dispatcher: CollectingDispatcher, tracker: Tracker, question: str) -> None:
    """Answer the policy question a form answer came with ("names and e-mails, do we have to tell the
    customers?"): from its topic when that is confident, else from the policy search on the question part
    (or the honest "the policy does not say" with the contact route). The form keeps the answer part."""
    topic, _ = faq_topic(tracker.latest_message)
    kb = get_knowledge_base()
    language, is_staff = _tracker_language(tracker), _tracker_is_staff(tracker)
    if tracker.get_slot("flow") == "incident" and asks_who_must_be_told(question):
        # "namn och personnummer, måste vi anmäla det till IMY?": the 72-hour assessment is the team's, not the
        # complaint route the policy topic would give.
        logger.info("incident notification question beside a form answer")
        dispatcher.utter_message(text=t("incident_who_is_told", language))
        return
    if topic in kb.topics:
        answer = kb.answer_for_topic(topic, language, is_staff, question)
    else:
        answer = kb.answer_question(question, language, is_staff)
    logger.info("faq answer beside a form answer: topic=%s source=%s section=%s", topic, answer.source,
                answer.section)
    dispatcher.utter_message(text=answer.text)


def asks_who_must_be_told(question: str) -> bool:
    """A question, in an incident report, about telling the authority or the people affected."""
    return names_an_authority(question) or (has_any(question, NOTIFY_WORDS) and has_any(question, MUST_WORDS))


def topic_payload(topic: str) -> str:
    """A button payload that answers `topic` directly: the faq intent with the chosen-topic entity."""
    return "/faq" + json.dumps({CHOSEN_TOPIC_ENTITY: topic})


def ask_which_topic(dispatcher: CollectingDispatcher, kb: "KnowledgeBase", topics: List[str],
                    offer: Optional[str], language: str) -> None:
    """"Did you mean ...?": the candidate topics as buttons, the request the classifier also saw, and a way out."""
    buttons = [button(kb.topics[topic]["title"][language], topic_payload(topic)) for topic in topics]
    if offer:
        flow, right = START_INTENT_GOALS[offer]
        buttons.append(button(goal_name(flow, right, language).capitalize(), f"/{offer}"))
    buttons.append(button(t("btn_something_else", language), "/help"))
    dispatcher.utter_message(text=t("clarify_topic", language), buttons=buttons)


def offer_request(dispatcher: CollectingDispatcher, intent: str, language: str) -> None:
    """One short line and a button that starts the request `intent` (its payload is the intent)."""
    flow, right = START_INTENT_GOALS[intent]
    dispatcher.utter_message(text=t("offer_request", language, goal=goal_name(flow, right, language)),
                             buttons=[button(t("btn_offer_request", language), f"/{intent}")])


class ActionClarifyRequest(Action):
    """`nlu_fallback` outside a form. Between `faq` and a request with a clear policy topic: that answer and
    the request as a button (routing.topic_in_fallback). Otherwise the closest requests as buttons ("did you
    mean ...?"); a message with no close request gets the policy search, and with no search hit the menu
    (`utter_nlu_fallback`)."""

    def name(self) -> str:
        return "action_clarify_request"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[str, Any]) -> List[Dict]:
        language = _tracker_language(tracker)
        candidates = clarify_candidates(tracker.latest_message)
        topic = topic_in_fallback(tracker.latest_message)
        kb = get_knowledge_base()
        if topic in kb.topics:
            # Between a policy question and a request, with the topic clear: the answer, and the request offered.
            offer = (candidates[:1] or [kb.topics[topic].get("offer")])[0]
            logger.info("clarify answered: topic=%s language=%s offer=%s", topic, language, offer)
            question = tracker.latest_message.get("text") or ""
            answer = kb.answer_for_topic(topic, language, _tracker_is_staff(tracker), question)
            dispatcher.utter_message(text=answer.text)
            if offer:
                offer_request(dispatcher, offer, language)
            return []
        logger.info("clarify: candidates=%s language=%s", candidates, language)
        if candidates:
            buttons = []
            for intent in candidates:
                flow, right = START_INTENT_GOALS[intent]
                buttons.append(button(goal_name(flow, right, language).capitalize(), f"/{intent}"))
            buttons.append(button(t("btn_something_else", language), "/help"))
            dispatcher.utter_message(text=t("clarify_request", language), buttons=buttons)
            return []
        answer = answer_question(tracker.latest_message.get("text") or "", language, _tracker_is_staff(tracker))
        if answer.source == "search":
            dispatcher.utter_message(text=answer.text)
        else:
            dispatcher.utter_message(response="utter_nlu_fallback")
        return []
