"""The question specs and the goal table are complete and agree with the forms, the catalogue and the domain."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from actions.flow_config import ALL_FORMS, FORM_SLOTS
from actions.goals import CASE_FORMS, GOALS, RIGHT_INTENTS, START_INTENT_GOALS, case_type_for, goal_for
from actions.questions import ASKED_SLOTS, QUESTIONS, looks_like_answer
from actions.texts import FIELD_LABELS, LANGUAGES, T

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


def test_every_field_in_a_summary_has_a_label() -> None:
    for form in CASE_FORMS:
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
