"""The question specs and the goal table are complete and agree with the forms, the catalogue and the domain."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import pytest
import yaml

from actions.flow_config import ALL_FORMS, FORM_SLOTS
from actions.goals import GOALS, RIGHT_INTENTS, START_INTENT_GOALS, case_type_for, goal_for
from actions.questions import ASKED_SLOTS, QUESTIONS, looks_like_answer
from actions.texts import FIELD_LABELS, T
from basics.languages import LANGUAGES

ROOT = Path(__file__).resolve().parents[2]
DOMAIN = yaml.safe_load((ROOT / "domain.yml").read_text(encoding="utf-8"))


def test_every_slot_a_form_asks_has_one_question_spec() -> None:
    asked = {slot for form in ALL_FORMS for slot in FORM_SLOTS[form]} | {"field_to_correct"}
    assert asked == set(QUESTIONS) == set(ASKED_SLOTS)
    for slot in QUESTIONS:
        assert f"action_ask_{slot}" in DOMAIN["actions"]


@pytest.mark.parametrize("slot", sorted(QUESTIONS))
def test_each_question_is_asked_and_explained_in_three_languages(slot: str) -> None:
    question = QUESTIONS[slot]
    assert question.expected in T
    for lang in LANGUAGES:
        assert set(T[question.expected]) >= set(LANGUAGES)
        if question.ask is None:
            assert lang in T[f"ask_{slot}"]


def test_every_field_a_form_asks_has_a_label() -> None:
    """Summaries show the labels, and "that looks like an e-mail address, but I asked for: ..." names them."""
    for form in ALL_FORMS:
        for slot in FORM_SLOTS[form]:
            if slot != "confirm_summary":
                assert set(FIELD_LABELS[slot]) >= set(LANGUAGES), slot


def test_the_goal_table_names_each_intent_and_case_type_once() -> None:
    intents = [intent for goal in GOALS for intent in goal.intents]
    assert len(intents) == len(set(intents)) == len(START_INTENT_GOALS)
    assert set(RIGHT_INTENTS.values()) == {g.right for g in GOALS if g.right}
    for goal in GOALS:
        assert goal_for(goal.flow, goal.right) is goal
        assert goal.form in ALL_FORMS and goal.intro in T
        assert set(intents) <= set(DOMAIN["intents"])


@pytest.mark.parametrize("slots, case_type", [
    ({"flow": "rights", "right": "erasure"}, "erasure"),
    ({"flow": "rights", "right": None}, None),
    ({"flow": "application_withdrawal", "withdrawal_target": "application"}, "application_withdrawal"),
    ({"flow": "application_withdrawal", "withdrawal_target": "database"}, "recruitment_consent_withdrawal"),
    ({"flow": "incident"}, "incident"),
    ({"flow": "case_status"}, None),
    ({"flow": None}, None),
])
def test_case_type_from_the_goal_table(slots: dict, case_type: str) -> None:
    assert case_type_for(slots) == case_type


@pytest.mark.parametrize("slot, text, plausible", [
    ("requester_name", "Jane Smith", True),
    ("requester_name", "stop", False),
    ("requester_email", "anna@exmaple", True),
    ("verification_code", "123 456", True),
    ("status_receipt", "1234 5678 1234 5678", True),
    ("incident_people_count", "cirka 40", True),
    ("incident_encrypted", "vet inte", True),
    ("case_description", "alt sammen", False),  # only the erasure question takes "everything"
    ("requester_name", "/stop", False),  # a button payload names its intent on purpose
    ("status_reference", "prv 2026 7k3q 9cx9", True),
    ("status_reference", "PRV-2026-7K3Q-9CXM", True),  # a wrong check character: an answer, told it is wrong
    ("status_reference", "hur går det med mitt ärende", False),
])
def test_plausible_answers_come_from_the_questions_spec(slot: str, text: str, plausible: bool) -> None:
    assert looks_like_answer(slot, text, {}) is plausible
    assert looks_like_answer("case_description", "alt sammen", {"right": "erasure"})


@pytest.mark.parametrize("text, answer", [
    ("namn och e-post, måste jag meddela kunderna?", "namn och e-post"),
    ("navn, e-post og telefonnummer. må vi varsle kundene?", "navn, e-post og telefonnummer."),
    ("radera mitt cv, hur länge sparar ni det förresten?", "radera mitt cv"),
    ("about 200, do we need to tell them?", "about 200"),
    ("vilka uppgifter har ni om mig?", None),  # only a question
    ("Konsult, Amesto AB", None),  # no question at all
    ("cirka 40 personer?", None),  # one clause: an unsure answer, not a question beside it
])
def test_the_answer_part_of_an_answer_with_a_question(text: str, answer: str) -> None:
    from actions.reading import answer_before_question

    assert answer_before_question(text) == answer


@pytest.mark.parametrize("typed, name", [
    ("jag heter Anna Lindqvist", "Anna Lindqvist"), ("eg heiter Sigrid Bakken", "Sigrid Bakken"),
    ("Marte Hanssen her", "Marte Hanssen"), ("Niklas Persson här", "Niklas Persson"), ("my name is Jane Smith", "Jane Smith"), ("Jane Smith", "Jane Smith"),
    ("Lindqvist, Anna", "Lindqvist, Anna"), ("Hermansson", "Hermansson"),
])
def test_a_name_without_the_words_around_it(typed: str, name: str) -> None:
    from actions.questions.requester import name_in

    assert name_in(typed) == name


@pytest.mark.parametrize("text, answer", [
    ("ja, tilgangen er fjerna no", "yes"),  # Nynorsk "no" = now: the leading yes decides
    ("yes, but not the backup", "no"), ("veit ikkje", "unknown"), ("dunno", "unknown"), ("ikkje kryptert", "no"),
    ("nei", "no"), ("jo det var det", "yes"), ("?", "unknown"),
    ("måste vi anmäla det här till IMY?", None),  # a question asked at a yes/no question is no "don't know"
    ("btw how long do we keep course participants normally?", None),
])
def test_yes_no_and_dont_know(text: str, answer: Optional[str]) -> None:
    from actions.common import yes_no_unknown

    assert yes_no_unknown(text) == answer


@pytest.mark.parametrize("text, plain_yes", [
    ("yes, it is correct", True), ("ja, skicka", True), ("ja det stemmer", True),
    ("ja men ändra e-posten", False), ("ja, ändra namnet", False), ("nej", False),
])
def test_a_plain_yes_at_the_summary(text: str, plain_yes: bool) -> None:
    from actions.questions.summary import _plain_yes

    assert _plain_yes(text) is plain_yes


@pytest.mark.parametrize("text, lang, local", [
    ("for en halvtime siden", "nb", "11:30"), ("för ett par timmar sedan", "sv", "10:00"),
    ("a couple of hours ago", "en", "10:00"), ("for 20 minutter siden", "nb", "11:40"),
    ("i går føremiddag", "nb", "12-06 10:00"), ("yesterday morning", "en", "12-06 08:00"),
    ("i går ettermiddag rundt tre", "nb", "12-06 15:00"), ("i går kväll", "sv", "12-06 20:00"),
    ("igår eftermiddag", "sv", "12-06 15:00"),
])
def test_loose_discovery_times(text: str, lang: str, local: str) -> None:
    from datetime import datetime, timezone
    from zoneinfo import ZoneInfo

    from actions.incident_facts import parse_aware_at

    now = datetime(2026, 12, 7, 11, 0, tzinfo=timezone.utc)  # 12:00 in Oslo and Stockholm
    moment, in_future = parse_aware_at(text, lang, now)
    assert moment is not None and not in_future
    assert moment.astimezone(ZoneInfo("Europe/Oslo")).strftime("%m-%d %H:%M").endswith(local)


@pytest.mark.parametrize("text, lang", [("earlier today", "en"), ("tidligere i dag", "nb"), ("tidigare idag", "sv")])
def test_earlier_today_is_the_start_of_today(text: str, lang: str) -> None:
    from datetime import datetime, timezone
    from zoneinfo import ZoneInfo

    from actions.incident_facts import parse_aware_at

    moment, _ = parse_aware_at(text, lang, datetime(2026, 12, 7, 11, 0, tzinfo=timezone.utc))
    assert moment is not None and moment.astimezone(ZoneInfo("Europe/Oslo")).strftime("%d %H:%M") == "07 00:00"
