"""The request guard: a case-opening intent needs personal data as its object (bot/request_guard.py)."""

from __future__ import annotations

import pytest

from bot.request_guard import CUSTOMER_SERVICE, OUT_OF_SCOPE, guard_ranking, guarded_intent


@pytest.mark.parametrize(
    "intent, text, expected",
    [
        # Customer-service objects: the assistant says it handles privacy only.
        ("request_access", "send me a copy of my invoice", CUSTOMER_SERVICE),
        ("request_erasure", "jeg har glemt passordet til kundeportalen, kan dere slette det gamle", CUSTOMER_SERVICE),
        ("request_erasure", "jeg vil bli glemt hos dere", None),  # the right to be forgotten keeps its request
        ("request_access", "kan jag få en kopia på fakturan från mars", CUSTOMER_SERVICE),
        ("request_erasure", "delete the meeting I booked for Thursday", CUSTOMER_SERVICE),
        ("request_erasure", "avbestill ordren min fra i går", CUSTOMER_SERVICE),
        ("report_incident", "how do I reset my customer portal password", CUSTOMER_SERVICE),
        ("check_case_status", "what's the status of my order", CUSTOMER_SERVICE),
        ("withdraw_consent", "säg upp mitt abonnemang", CUSTOMER_SERVICE),
        # Everyday objects: not ours at all.
        ("request_erasure", "slett påminnelsen min", OUT_OF_SCOPE),
        ("request_access", "show me my reminders", OUT_OF_SCOPE),
        ("withdraw_consent", "turn off all alarms", OUT_OF_SCOPE),
        ("request_access", "vis meg spillelistene mine", OUT_OF_SCOPE),
        ("request_objection", "stoppa musiken", OUT_OF_SCOPE),
        # No object of ours at all: a news sentence or an office remark is no report.
        ("report_misconduct", "Riksdagen röstade igenom budgeten i går kväll", OUT_OF_SCOPE),
        ("report_incident", "the coffee machine on floor two is broken", OUT_OF_SCOPE),
        ("request_erasure", "kan du fjerne den siste linja i teksten", OUT_OF_SCOPE),
        ("report_incident", "my email account got compromised", None),
        ("request_erasure", "please close and delete my account", None),
        ("report_incident", "my account is locked after three attempts", CUSTOMER_SERVICE),
        # Personal data, the person themself, consent or an application as the object: the request stands.
        ("request_access", "I want a copy of everything you have on me", None),
        ("request_access", "what do you know about me", None),
        ("request_erasure", "radera mina personuppgifter", None),
        ("request_erasure", "ta bort mig från era register", None),
        ("request_erasure", "forget me", None),
        ("request_erasure", "slett opplysningene mine og kanseller ordren", None),
        ("withdraw_consent", "jag vill inte längre få ert nyhetsbrev", None),
        ("withdraw_application", "trekk søknaden min", None),
        # An incident may well be about a password; a status check about a case.
        ("report_incident", "I typed my password into a phishing page", None),
        ("report_incident", "en kollega har tappat bort en laptop med lönefiler", None),
        ("check_case_status", "status på mitt ärende PRV-2026-7K3Q-9CX9", None),
        # Intents that open nothing are never touched.
        ("faq", "how long do you keep invoices", None),
        ("out_of_scope", "delete my reminder", None),
    ],
)
def test_guarded_intent(intent: str, text: str, expected: str) -> None:
    assert guarded_intent(intent, text) == expected


def test_guard_ranking_removes_every_ruled_out_request() -> None:
    intent = {"name": "request_erasure", "confidence": 0.7}
    ranking = [intent, {"name": "request_access", "confidence": 0.2}, {"name": "faq", "confidence": 0.06},
               {"name": "customer_service", "confidence": 0.04}]
    top, new_ranking, removed = guard_ranking(intent, ranking, "remove the meeting from my calendar")
    assert removed == "request_erasure"
    assert top == {"name": CUSTOMER_SERVICE, "confidence": 0.7}
    # Neither request can come back through the ambiguity check or a "did you mean" button.
    assert [r["name"] for r in new_ranking] == [CUSTOMER_SERVICE, "faq"]


def test_guard_ranking_leaves_personal_data_requests_alone() -> None:
    intent = {"name": "request_access", "confidence": 0.9}
    ranking = [intent]
    assert guard_ranking(intent, ranking, "a copy of my personal data please") == (intent, ranking, None)


def test_component_changes_the_parse_of_a_real_message() -> None:
    from rasa.shared.nlu.constants import INTENT, INTENT_RANKING_KEY, TEXT
    from rasa.shared.nlu.training_data.message import Message

    from bot.request_guard import RequestGuard

    guarded = Message(data={TEXT: "slett alarmen klokka sju"})
    guarded.set(INTENT, {"name": "request_erasure", "confidence": 0.81})
    guarded.set(INTENT_RANKING_KEY, [{"name": "request_erasure", "confidence": 0.81}])
    kept = Message(data={TEXT: "slett alt dere har om meg"})
    kept.set(INTENT, {"name": "request_erasure", "confidence": 0.93})
    RequestGuard().process([guarded, kept])
    assert guarded.get(INTENT)["name"] == OUT_OF_SCOPE
    assert guarded.get("guarded_intent") == "request_erasure"
    assert kept.get(INTENT)["name"] == "request_erasure"
    assert kept.get("guarded_intent") is None


def test_the_guard_is_in_the_pipeline_before_the_fallback() -> None:
    from pathlib import Path

    import yaml

    pipeline = [c["name"] for c in yaml.safe_load((Path(__file__).parents[2] / "config.yml").read_text())["pipeline"]]
    assert pipeline.index("bot.request_guard.RequestGuard") < pipeline.index("FallbackClassifier")
    assert pipeline.index("bot.request_guard.RequestGuard") > pipeline.index("bot.faq_topics.FaqTopicClassifier")
    assert pipeline.index("bot.request_guard.RequestGuard") > pipeline.index("bot.intent_classifier.LinearIntentClassifier")


@pytest.mark.parametrize("text, erasure", [
    ("kan ni radera allt ni har sparat om mig, tack", True),
    ("slett alt dere har om meg", True),
    ("kan jeg få se hva dere har lagret om meg", False),
    ("I want a copy of everything and then delete it", False),
    ("what data do you have on me", False),
])
def test_an_access_prediction_with_an_erasing_verb_is_erasure(text: str, erasure: bool) -> None:
    from bot.request_guard import erasure_said_as_access

    ranking = [{"name": "request_access", "confidence": 0.7}, {"name": "request_erasure", "confidence": 0.24}]
    found = erasure_said_as_access({"name": "request_access", "confidence": 0.7}, ranking, text)
    assert (found is not None) is erasure


@pytest.mark.parametrize("text", [
    "Hej, jag registrerade mig i er rekryteringsdatabas men vill dra tillbaka det nu",
    "snälla ta bort mig ur talangbanken",
    "jeg vil ikke lenger være registrert hos dere som jobbsøker",
    "ka må æ gjør for å komme ut av rekrutteringsbasen dokkers",
    "please delete me from your recruitment database",
    "I no longer want to be in the talent pool",
])
def test_leaving_the_recruitment_database_is_the_application_withdrawal(text: str) -> None:
    from bot.request_rules import promote_named_request

    intent = {"name": "withdraw_consent", "confidence": 0.45}
    ranking = [intent, {"name": "withdraw_application", "confidence": 0.4}, {"name": "request_erasure", "confidence": 0.1},
               {"name": "faq", "confidence": 0.05}]
    top, new_ranking = promote_named_request(intent, ranking, text)
    assert top == {"name": "withdraw_application", "confidence": 0.6}  # over the fallback threshold: the words decided
    assert [r["name"] for r in new_ranking] == ["withdraw_application", "faq"]  # no near tie left for the fallback


def test_a_named_request_the_classifier_was_unsure_of_is_not_asked_about_again() -> None:
    from bot.request_rules import promote_named_request

    intent = {"name": "withdraw_application", "confidence": 0.33}
    ranking = [intent, {"name": "request_erasure", "confidence": 0.31}, {"name": "request_rectification", "confidence": 0.2}]
    top, new_ranking = promote_named_request(intent, ranking, "I am in your recruitment base and want to be deleted from it")
    assert top == {"name": "withdraw_application", "confidence": 0.6}
    assert [r["name"] for r in new_ranking] == ["withdraw_application", "request_rectification"]


@pytest.mark.parametrize("text", [
    "Klage: dere viser meg annonser selv om jeg avslo alle cookies",
    "Klagomål! ni skickade min adress till alla deltagare",
    "I'd like to lodge a complaint. The organiser emailed everyone's addresses openly.",
    "jag vill klaga på hur ni hanterade mina uppgifter",
])
def test_a_complaint_said_in_words_is_a_complaint(text: str) -> None:
    from bot.request_rules import promote_named_request

    intent = {"name": "report_incident", "confidence": 0.6}
    ranking = [intent, {"name": "file_complaint", "confidence": 0.3}, {"name": "report_misconduct", "confidence": 0.05}]
    top, new_ranking = promote_named_request(intent, ranking, text)
    assert top == {"name": "file_complaint", "confidence": 0.6} and [r["name"] for r in new_ranking] == ["file_complaint"]


@pytest.mark.parametrize("intent_name,text", [
    ("faq", "how long am I kept in the recruitment database?"),
    ("faq", "what is in the recruitment database about me?"),
    ("faq", "where can I complain if I'm not happy?"),
    ("faq", "var kan jag lämna ett klagomål?"),
    ("faq", "I want to complain to Datatilsynet about you"),
    ("report_incident", "a complaint about a data leak, where do I go"),
    ("check_case_status", "any news on my complaint about the recruitment database? I asked you to delete me"),
    ("report_incident", "I sent the customer list to the wrong person, klage from the customer expected"),
])
def test_named_requests_leave_questions_routes_and_other_goals_alone(intent_name: str, text: str) -> None:
    from bot.request_rules import promote_named_request

    intent = {"name": intent_name, "confidence": 0.9}
    assert promote_named_request(intent, [intent], text) is None


def test_a_policy_question_about_leaving_the_database_is_answered_with_the_request_offered() -> None:
    from bot.request_rules import promote_named_request

    intent = {"name": "faq", "confidence": 0.95}
    ranking = [intent, {"name": "withdraw_consent", "confidence": 0.03}, {"name": "greet", "confidence": 0.01}]
    top, new_ranking = promote_named_request(intent, ranking, "how do I get out of the recruitment database?")
    assert top == intent
    assert [r["name"] for r in new_ranking] == ["faq", "withdraw_application", "greet"]
    assert 0.1 <= new_ranking[1]["confidence"] <= top["confidence"] - 0.1  # offered, and no ambiguity


@pytest.mark.parametrize("text, intent, topic", [
    ("Har jag rätt till dataportabilitet?", "request_portability", "rights_overview"),
    ("har man ratt att slippa reklam", "request_objection", "rights_overview"),
    ("har æ rett til å sjå ka dokker har om mæ", "request_access", "rights_overview"),
    ("Am I entitled to a copy of my data?", "request_access", "rights_overview"),
    ("vart vänder jag mig om ni inte svarar", "file_complaint", "complaint_authority"),
    ("hvem kan jeg klage til?", "file_complaint", "complaint_authority"),
    ("Who do I complain to?", "file_complaint", "complaint_authority"),
])
def test_a_question_about_a_right_becomes_the_answer_with_the_request_below(text: str, intent: str, topic: str) -> None:
    from bot.request_rules import NAMED_REQUEST_MIN_CONFIDENCE, question_about_a_right

    ranking = [{"name": intent, "confidence": 0.83}, {"name": "faq", "confidence": 0.1},
               {"name": "greet", "confidence": 0.07}]
    asked = question_about_a_right(ranking[0], ranking, text)
    assert asked is not None, text
    new_intent, new_ranking, found = asked
    assert found == topic and new_intent == {"name": "faq", "confidence": 0.83}
    assert [r["name"] for r in new_ranking] == ["faq", intent, "greet"]
    # The FallbackClassifier (0.4, ambiguity 0.1) takes the answer as it is.
    assert new_ranking[0]["confidence"] - new_ranking[1]["confidence"] >= 0.15
    low = question_about_a_right({"name": intent, "confidence": 0.2}, ranking, text)
    assert low is not None and low[0]["confidence"] == NAMED_REQUEST_MIN_CONFIDENCE


@pytest.mark.parametrize("text, intent", [
    ("jag vill ha ut mina uppgifter", "request_access"),  # a request, not a question about the right
    ("radera allt om mig", "request_erasure"),
    ("jeg vil klage på hvordan dere behandlet søknaden min", "file_complaint"),
    ("har jag rätt till semester?", "report_incident"),  # not a rights request: left alone
    ("where can I complain?", "request_erasure"),  # a complaint question only turns a complaint around
])
def test_requests_and_other_intents_are_left_alone(text: str, intent: str) -> None:
    from bot.request_rules import question_about_a_right

    assert question_about_a_right({"name": intent, "confidence": 0.9}, [{"name": intent, "confidence": 0.9}],
                                  text) is None
