"""The forms against the trained model's real NLU: every answer a user types is taken as the answer.

`rasa test core` replays the test stories with the intents written in them, and the action tests choose
intents by hand, so neither notices when the NLU hears an answer as something else ("cirka 40" as a hand-off,
"you never answered my access request" as a new access request). Here every answer phrase of every flow in
every language (scripts/test_phrases.py) is parsed by the trained model and fed to the real validation
actions, up to the summary; and the detours (a policy question, chatter, another request) are checked to be
detours with the real predictions too.

Model: env E2E_MODEL (default models/assistant.tar.gz); skipped, saying so, when there is none.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Dict, Tuple

import pytest

from scripts.test_phrases import PHRASES
from tests.actions.flow_harness import ROOT, Conversation

MODEL = Path(os.environ.get("E2E_MODEL", "models/assistant.tar.gz"))
if not MODEL.is_absolute():
    MODEL = ROOT / MODEL

pytestmark = pytest.mark.skipif(not MODEL.exists(), reason=f"no trained model at {MODEL} (run `make train`)")

# flow name -> (start phrase key, start intent, {asked slot: answer phrase key}) up to the summary
IDENTITY = {"requester_name": "name", "requester_email": "email"}
FLOWS: Dict[str, Tuple[str, str, Dict[str, str]]] = {
    "access": ("access", "request_access", IDENTITY),
    "rectification": ("rectification", "request_rectification", {"case_description": "rectify_details", **IDENTITY}),
    "erasure": ("erasure", "request_erasure", {"case_description": "everything", **IDENTITY}),
    "objection": ("objection", "request_objection", {"case_description": "objection_details", **IDENTITY}),
    "consent": ("consent", "withdraw_consent", {"case_description": "consent_details", **IDENTITY}),
    "restriction": ("restriction", "request_restriction", {"case_description": "restriction_details", **IDENTITY}),
    "portability": ("portability", "request_portability", IDENTITY),
    "application": ("withdraw_application", "withdraw_application",
                    {"withdrawal_target": "application", "application_position": "position", **IDENTITY}),
    "database": ("withdraw_database", "withdraw_application", {"withdrawal_target": "database_choice", **IDENTITY}),
    "incident": ("incident", "report_incident", {
        "case_description": "incident_what", "incident_aware_at": "incident_when", "incident_data_types": "incident_data",
        "incident_people_count": "incident_count", "incident_encrypted": "no", "incident_contained": "yes",
        "reporter_anonymous": "yes"}),
    "named_incident": ("incident", "report_incident", {
        "case_description": "incident_what", "incident_aware_at": "incident_when", "incident_data_types": "incident_data",
        "incident_people_count": "incident_count", "incident_encrypted": "dont_know", "incident_contained": "no",
        "reporter_anonymous": "no", **IDENTITY}),
    "misconduct": ("misconduct", "report_misconduct", {"case_description": "misconduct_what", "reporter_anonymous": "yes"}),
    "complaint": ("complaint", "file_complaint", {"case_description": "complaint_what", **IDENTITY}),
}
DONT_KNOW = {"sv": "vet inte", "nb": "vet ikke", "en": "don't know"}
DATABASE_CHOICE = {"sv": "rekryteringsdatabasen", "nb": "rekrutteringsdatabasen", "en": "the recruitment database"}


@pytest.fixture(scope="module")
def agent(trained_agent: Any) -> Any:  # the real model, loaded once per run (tests/conftest.py)
    return trained_agent


async def parse(agent: Any, text: str) -> Tuple[str, float, Dict[str, Any]]:
    """(intent, confidence, the rest of the parse the forms read: the whole ranking)."""
    result = await agent.parse_message(text)
    intent = result.get("intent") or {}
    return str(intent.get("name")), float(intent.get("confidence") or 0.0), {"intent_ranking": result.get("intent_ranking") or []}


def phrase(lang: str, key: str) -> str:
    if key == "dont_know":
        return DONT_KNOW[lang]
    return DATABASE_CHOICE[lang] if key == "database_choice" else PHRASES[lang][key]


@pytest.mark.parametrize("lang", ["sv", "nb", "en"])
@pytest.mark.parametrize("flow", list(FLOWS))
async def test_every_answer_is_taken_as_the_answer(agent: Any, lang: str, flow: str) -> None:
    start_key, start_intent, answers = FLOWS[flow]
    conv = Conversation(lang)
    await conv.start(phrase(lang, start_key), start_intent)
    asked = []
    while conv.slots["requested_slot"] != "confirm_summary" and len(asked) < len(answers):
        slot = conv.slots["requested_slot"]
        assert slot in answers, f"{lang} {flow}: unexpected question {slot} after {asked}"
        asked.append(slot)
        text = phrase(lang, answers[slot])
        intent, confidence, nlu = await parse(agent, text)
        mark = len(conv.sent)
        outcome = await conv.say(text, intent, confidence, parse=nlu)
        assert outcome == "ok", f"{lang} {flow}: {text!r} at {slot} was not taken (NLU: {intent} {confidence:.2f})"
        assert conv.slots[slot] is not None, (
            f"{lang} {flow}: {text!r} at {slot} refused (NLU: {intent} {confidence:.2f}): {conv.said(mark)}")
    assert conv.slots["requested_slot"] == "confirm_summary", f"{lang} {flow}: {conv.slots['requested_slot']}"


DETOURS = {
    "sv": {"weather": "vad blir det för väder i morgon?", "other": "jag vill också anmäla en dataläcka",
           "question": "hur länge sparar ni min ansökan?"},
    "nb": {"weather": "hvordan blir været i morgen?", "other": "jeg vil også melde et sikkerhetsbrudd",
           "question": "hvor lenge lagrer dere søknaden min?"},
    "en": {"weather": "what's the weather like tomorrow?", "other": "I also need to report a data breach",
           "question": "how long do you keep my application?"},
}


@pytest.mark.parametrize("lang", ["sv", "nb", "en"])
async def test_detours_are_detours_with_the_real_nlu(agent: Any, lang: str) -> None:
    d = DETOURS[lang]
    conv = Conversation(lang)
    await conv.start(PHRASES[lang]["erasure"], "request_erasure")
    assert conv.slots["requested_slot"] == "case_description"

    intent, confidence, nlu = await parse(agent, d["question"])
    assert intent == "faq"
    assert await conv.say(d["question"], intent, confidence, parse=nlu) == "rejected"  # the faq rule answers it

    intent, confidence, nlu = await parse(agent, d["weather"])
    assert await conv.say(d["weather"], intent, confidence, parse=nlu) == "ok"
    assert conv.slots["case_description"] is None, f"chatter taken as the answer (NLU: {intent} {confidence:.2f})"

    intent, confidence, nlu = await parse(agent, d["other"])
    assert intent == "report_incident"
    assert await conv.say(d["other"], intent, confidence, parse=nlu) == "rejected"  # noted, not taken
    assert conv.slots["case_description"] is None

    text = PHRASES[lang]["everything"]
    intent, confidence, nlu = await parse(agent, text)
    assert await conv.say(text, intent, confidence, parse=nlu) == "ok" and conv.slots["case_description"] == text


WRONG_FIELD = {
    "sv": {"yes": "ja", "name": "Anna Lindqvist", "position": "Senior konsult, Amesto Solutions AB",
           "incident": "jag mejlade ett kalkylark med kundnamn till fel person", "when": "i går kl 14",
           "time": "för en timme sedan"},
    "nb": {"yes": "ja", "name": "Kari Nordmann", "position": "Rådgiver, Amesto Accounthouse AS",
           "incident": "jeg sendte et regneark med kundenavn til feil person", "when": "i går kl 14",
           "time": "for en time siden"},
    "en": {"yes": "yes", "name": "Jane Smith", "position": "Consultant, Amesto Solutions AS",
           "incident": "I emailed a spreadsheet with customer names to the wrong person", "when": "yesterday at 2 pm",
           "time": "an hour ago"},
}


async def say_parsed(agent: Any, conv: Conversation, text: str) -> str:
    intent, confidence, nlu = await parse(agent, text)
    return await conv.say(text, intent, confidence, parse=nlu)


@pytest.mark.parametrize("lang", ["sv", "nb", "en"])
async def test_wrong_field_answers_are_refused_or_moved_with_the_real_nlu(agent: Any, lang: str) -> None:
    """Issue 10's wrong-field answers, tried with the real predictions: "ja" is no consent to withdraw, a name and
    a position typed in the wrong order are swapped, and a time is no number of people."""
    w = WRONG_FIELD[lang]
    consent = Conversation(lang)
    await consent.start(PHRASES[lang]["consent"], "withdraw_consent")
    assert consent.slots["requested_slot"] == "case_description"
    await say_parsed(agent, consent, w["yes"])
    assert consent.slots["case_description"] is None and consent.slots["requested_slot"] == "case_description"

    withdrawal = Conversation(lang)
    await withdrawal.start(PHRASES[lang]["withdraw_application"], "withdraw_application")
    if withdrawal.slots["requested_slot"] == "withdrawal_target":
        await say_parsed(agent, withdrawal, "application")
    assert withdrawal.slots["requested_slot"] == "application_position"
    await say_parsed(agent, withdrawal, w["name"])
    await say_parsed(agent, withdrawal, w["position"])
    assert (withdrawal.slots["requester_name"], withdrawal.slots["application_position"]) == (w["name"], w["position"])

    incident = Conversation(lang)
    await incident.start(PHRASES[lang]["incident"], "report_incident")
    for text in (w["incident"], w["when"], PHRASES[lang]["incident_data"]):
        await say_parsed(agent, incident, text)
    assert incident.slots["requested_slot"] == "incident_people_count"
    await say_parsed(agent, incident, w["time"])
    assert incident.slots["incident_people_count"] is None
    assert incident.slots["requested_slot"] == "incident_people_count"
