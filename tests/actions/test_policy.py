"""Tests for the policy knowledge base (actions/knowledge.py) and its actions (actions/policy.py).

Real files and real rasa_sdk objects throughout: the knowledge YAML as shipped, the policy text, and the
actions run through rasa_sdk's ActionExecutor with a Tracker built from a tracker dump.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any, Dict, List, Optional, Set, Tuple

import pytest
import yaml
from rasa_sdk.executor import ActionExecutor

from actions import knowledge
from actions.knowledge import KnowledgeBase, get_knowledge_base
from basics.languages import normalise_language
from tests.support import action_request, modules_loaded_by_importing
from scripts import gen_faq_responses

ROOT = Path(__file__).resolve().parents[2]
KNOWLEDGE = ROOT / "knowledge"
SEED_POLICY = Path("/work/shared/seed/integritetspolicy-sv.txt")
LANGS = ("sv", "nb", "en")

# docs/CONVERSATION.md, "FAQ topics": the public contract for faq/<topic>.
EXPECTED_TOPICS = {
    "retention_recruitment", "retention_recruitment_database", "retention_customers", "retention_suppliers",
    "retention_course_participants", "retention_leads", "retention_accounting", "retention_visitors",
    "retention_general", "legal_basis", "what_data", "cookies", "social_media", "transfers_outside_eea",
    "recruitment_processing", "credit_check", "rights_overview", "response_time", "identity_verification",
    "contact_cpo", "complaint_authority", "controller", "security_measures", "marketing", "email_security",
    "data_sharing", "processor_role", "policy_changes", "trust_center", "where_data_kept", "assistant_data",
}


def _fact_text_and_source(fact: Any) -> Tuple[str, Optional[str]]:
    """A fact is a policy fragment (a string) or {text, source} for a topic grounded in another repo file."""
    if isinstance(fact, dict):
        return fact["text"], fact["source"]
    return fact, None


def _source_texts(topic: Dict[str, Any]) -> List[str]:
    """The repo files (other than the policy) that a topic's facts cite, read as text."""
    sources = {_fact_text_and_source(f)[1] for f in topic.get("facts") or []} - {None}
    return [(ROOT / source).read_text(encoding="utf-8") for source in sorted(sources)]


@pytest.fixture(scope="module")
def kb() -> KnowledgeBase:
    return get_knowledge_base()


def _normalise_ws(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


@pytest.fixture(scope="module")
def policy_text(kb: KnowledgeBase) -> str:
    return _normalise_ws(kb.policy_text)


# ---------------------------------------------------------------------------------------------------------
# Durations: every "N days/months/years" the assistant says must be one the policy itself states.
# ---------------------------------------------------------------------------------------------------------
_NUMBER_WORDS = {
    "one": 1, "a single": 1, "two": 2, "three": 3, "five": 5, "thirty": 30,
    "en": 1, "ett": 1, "ei": 1, "et": 1, "ein": 1, "eitt": 1, "två": 2, "to": 2, "tre": 3, "fem": 5,
    "trettio": 30, "tretti": 30, "trettio": 30,
}
_UNITS = {
    "day": "day", "days": "day", "dag": "day", "dagar": "day", "dager": "day", "døgn": "day", "dagars": "day",
    "week": "week", "weeks": "week", "vecka": "week", "veckor": "week", "uke": "week", "uker": "week",
    "month": "month", "months": "month", "månad": "month", "månader": "month", "måned": "month",
    "måneder": "month", "hour": "hour", "hours": "hour", "timme": "hour", "timmar": "hour", "timer": "hour",
    "year": "year", "years": "year", "år": "year",
}
_DURATION_RE = re.compile(
    r"(?<![\w+])(\d+|" + "|".join(sorted(_NUMBER_WORDS, key=len, reverse=True)) + r")"
    r"\s+(?:(?:more|further|extra|additional|fler|flere)\s+)?(" + "|".join(sorted(_UNITS, key=len, reverse=True))
    + r")(?!\w)",
    re.IGNORECASE,
)


def durations(text: str) -> Set[Tuple[int, str]]:
    found = set()
    for number, unit in _DURATION_RE.findall(text):
        value = int(number) if number.isdigit() else _NUMBER_WORDS[number.lower()]
        found.add((value, _UNITS[unit.lower()]))
    return found


@pytest.fixture(scope="module")
def policy_durations(kb: KnowledgeBase) -> Set[Tuple[int, str]]:
    return durations(kb.policy_text)


def _all_user_facing_texts(kb: KnowledgeBase) -> List[Tuple[str, str]]:
    texts: List[Tuple[str, str]] = []
    for name, topic in kb.topics.items():
        for lang in LANGS:
            texts.append((f"faq {name} {lang}", topic["answer"][lang]))
            texts.append((f"staff {name} {lang}", kb.answer_for_topic(name, lang, True).text))
    for section in kb.sections:
        for lang in LANGS:
            texts.append((f"section {section['id']} {lang}", section["summary"][lang]))
            for field, value in (section.get("processing") or {}).items():
                texts.append((f"section {section['id']} {field} {lang}", value[lang]))
    for lang in LANGS:
        texts.append((f"fallback {lang}", kb.fallback(lang).text))
    return texts


def test_policy_durations_are_the_expected_ones(policy_durations: Set[Tuple[int, str]]) -> None:
    # The periods the product brief lists; if the parser or the policy copy broke, this would change.
    assert policy_durations == {(3, "month"), (360, "day"), (3, "year"), (1, "year"), (5, "year"), (30, "day")}


def test_duration_checker_catches_invented_periods(policy_durations: Set[Tuple[int, str]]) -> None:
    for invented in ("kept for 14 days", "sparas i två år", "lagres i 6 måneder", "within 72 hours",
                     "for 3 more weeks", "i en månad"):
        assert durations(invented) - policy_durations, invented


def test_no_answer_states_a_period_the_policy_does_not(kb, policy_durations) -> None:
    # A topic grounded in another file (facts with `source:`) may also state that file's periods.
    allowed = {name: policy_durations.union(*(durations(t) for t in _source_texts(topic)))
               for name, topic in kb.topics.items()}
    bad = [(where, d) for where, text in _all_user_facing_texts(kb)
           for d in durations(text) - allowed.get(where.split()[1], policy_durations)]
    assert not bad, bad


def test_ropa_retention_periods_come_from_the_policy(kb, policy_durations) -> None:
    for act in kb.ropa["activities"]:
        for lang in LANGS:
            assert durations(act["retention"][lang]) <= policy_durations, (act["id"], lang)


def test_key_retention_facts_are_stated(kb) -> None:
    # The brief's retention facts, each in the answer of the topic that carries it, in every language.
    expected = {
        "retention_recruitment": (3, "month"),
        "retention_recruitment_database": (360, "day"),
        "retention_customers": (3, "year"),
        "retention_suppliers": (3, "year"),
        "retention_course_participants": (1, "year"),
        "retention_leads": (1, "year"),
        "retention_accounting": (5, "year"),
        "response_time": (30, "day"),
    }
    for topic, period in expected.items():
        for lang in LANGS:
            assert period in durations(kb.answer_for_topic(topic, lang, False).text), (topic, lang)


# ---------------------------------------------------------------------------------------------------------
# Topics, sections and grounding
# ---------------------------------------------------------------------------------------------------------
def test_topics_are_exactly_the_contract(kb) -> None:
    assert set(kb.topics) == EXPECTED_TOPICS
    conversation = (ROOT / "docs" / "CONVERSATION.md").read_text(encoding="utf-8")
    for topic in EXPECTED_TOPICS:
        assert topic in conversation, topic


@pytest.mark.parametrize("topic", sorted(EXPECTED_TOPICS))
@pytest.mark.parametrize("language", LANGS)
@pytest.mark.parametrize("is_staff", [False, True])
def test_every_topic_answers_in_each_language_and_names_its_section(kb, topic, language, is_staff) -> None:
    answer = kb.answer_for_topic(topic, language, is_staff)
    assert answer.language == language
    assert answer.text.strip()
    assert knowledge.cite(answer.section, language) in answer.text
    if answer.source == "faq":
        # Chat-sized: 2-4 sentences. Count sentence ends followed by a capital or the end.
        sentences = re.findall(r"[.!?)](?=\s+[A-ZÅÄÖÆØ]|\s*$)", answer.text)
        assert 1 <= len(sentences) <= 4, (topic, language, answer.text)


def test_languages_really_differ(kb) -> None:
    # Guards against a copy-paste of the English text into sv/nb.
    for name, topic in kb.topics.items():
        sv, nb, en = (topic["answer"][lang] for lang in LANGS)
        assert len({sv, nb, en}) == 3, name


def test_every_fact_fragment_occurs_in_the_policy(kb, policy_text) -> None:
    missing = []
    for name, topic in kb.topics.items():
        assert topic.get("facts"), f"topic {name} has no facts"
        for fact in topic["facts"]:
            text, source = _fact_text_and_source(fact)
            haystack = _normalise_ws((ROOT / source).read_text(encoding="utf-8")) if source else policy_text
            if _normalise_ws(text) not in haystack:
                missing.append((name, source or "policy", text))
    for section in kb.sections:
        assert section.get("facts"), f"section {section['id']} has no facts"
        missing += [(section["id"], f) for f in section["facts"] if _normalise_ws(f) not in policy_text]
    assert not missing, missing


def test_fact_check_would_notice_an_invented_fact(policy_text) -> None:
    assert _normalise_ws("lagras dessa i 180 dagar") not in policy_text


def test_knowledge_copy_of_policy_is_the_seed(kb) -> None:
    if not SEED_POLICY.exists():
        pytest.skip("seed policy not present outside the development machine")
    assert kb.policy_text == SEED_POLICY.read_text(encoding="utf-8")


def test_sections_cover_the_policy_structure(kb) -> None:
    numbers = {str(s["number"]) for s in kb.sections}
    assert {"1", "2.1", "2.2", "2.3", "2.4", "2.5", "2.6", "3", "4", "5", "6", "7"} <= numbers
    ids = [s["id"] for s in kb.sections]
    assert len(ids) == len(set(ids))
    for needed in ("visitors", "recruitment_application", "recruitment_database", "cookies", "social_media",
                   "customers", "marketing", "accounting"):
        assert needed in ids


def test_silent_policy_points_say_so_and_give_the_contact_route(kb) -> None:
    silent = {
        "retention_visitors": {"en": "no exact number of days", "sv": "inget exakt antal dagar",
                               "nb": "ikke et eksakt antall dager"},
        "transfers_outside_eea": {"en": "doesn't say which countries", "sv": "säger inte vilka länder",
                                  "nb": "sier ikke hvilke land"},
        "cookies": {"en": "doesn't list individual cookies", "sv": "listar inte enskilda cookies",
                    "nb": "lister ikke opp de enkelte"},
    }
    for topic, phrases in silent.items():
        for lang, phrase in phrases.items():
            text = kb.answer_for_topic(topic, lang, False).text
            assert phrase in text, (topic, lang)
    for lang in ("en", "sv", "nb"):
        for topic in ("retention_visitors", "transfers_outside_eea"):
            assert "Amesto Trust" in kb.answer_for_topic(topic, lang, False).text


def test_contact_answer_has_the_policy_contact_details(kb) -> None:
    for lang in LANGS:
        text = kb.answer_for_topic("contact_cpo", lang, False).text
        for detail in ("Postboks 6395", "0604 Etterstad", "+47 922 03 214", "amestotrust@amesto.no", "Amesto Trust"):
            assert detail in text, (lang, detail)


def test_complaint_answer_names_the_three_authorities(kb) -> None:
    for lang in LANGS:
        text = kb.answer_for_topic("complaint_authority", lang, False).text
        assert text.count("Datatilsynet") == 2 and "IMY" in text, lang


def test_unknown_topic_raises(kb) -> None:
    with pytest.raises(KeyError):
        kb.answer_for_topic("no_such_topic", "en", False)


def test_language_normalisation() -> None:
    assert normalise_language("sv-SE") == "sv"
    assert normalise_language("nn") == "nb"
    assert normalise_language("no") == "nb"
    assert normalise_language(None) == "en"
    assert normalise_language("de") == "en"


# ---------------------------------------------------------------------------------------------------------
# where_data_kept: staff only, answered from the record of processing activities
# ---------------------------------------------------------------------------------------------------------
def test_ropa_is_marked_as_example_and_complete(kb) -> None:
    raw = (KNOWLEDGE / "ropa.yml").read_text(encoding="utf-8")
    assert "EXAMPLE DATA — replace with the company's real record" in raw
    assert kb.ropa["example_data"] is True
    ids = {a["id"] for a in kb.ropa["activities"]}
    assert ids == {"recruitment_applications", "recruitment_database", "customers", "suppliers",
                   "course_participants", "leads", "visitors", "trust_center_cases", "assistant_conversations",
                   "accounting_assignments"}
    for act in kb.ropa["activities"]:
        for field in ("system", "location", "owner", "policy_section"):
            assert str(act[field]).strip(), (act["id"], field)
        assert set(act["retention"]) == set(LANGS) and set(act["name"]) == set(LANGS)


@pytest.mark.parametrize("language", LANGS)
def test_where_data_kept_refuses_non_staff(kb, language) -> None:
    answer = kb.answer_for_topic("where_data_kept", language, False, "where is candidate data kept?")
    assert answer.source == "staff_only"
    assert "ExampleATS" not in answer.text and "Ireland" not in answer.text
    assert "Amesto Trust" in answer.text


def test_where_data_kept_needs_a_real_true(kb) -> None:
    # A truthy string from untrusted metadata must not unlock internal details.
    answer = kb.answer_for_topic("where_data_kept", "en", "true", "where is candidate data kept?")  # type: ignore[arg-type]
    assert answer.source == "staff_only"


@pytest.mark.parametrize(
    "language,question,system,retention",
    [
        ("en", "where is candidate data kept?", "ExampleATS", "3 months"),
        ("sv", "var lagras uppgifter om kursdeltagare?", "ExampleEvents", "1 år"),
        ("nb", "hvor ligger besøksloggen", "ExampleVisit", "Begrenset tid"),
        ("en", "which system holds the recruitment database", "talent pool module", "360 days"),
        ("sv", "var lagras kandidatdata?", "ExampleATS", "3 månader"),
        ("sv", "i vilket system ligger kunduppgifterna", "ExampleCRM", "3 år"),
    ],
)
def test_where_data_kept_answers_staff_from_ropa(kb, language, question, system, retention) -> None:
    answer = kb.answer_for_topic("where_data_kept", language, True, question)
    assert answer.source == "ropa"
    assert system in answer.text and retention in answer.text
    # Only the matching activity, and the example-data warning while the record is illustrative.
    assert answer.text.count("• ") <= 2
    assert kb.topics["where_data_kept"]["staff"]["example_note"][language] in answer.text


def test_where_data_kept_lists_everything_when_unsure(kb) -> None:
    answer = kb.answer_for_topic("where_data_kept", "en", True, "where is stuff kept")
    assert answer.text.count("• ") == len(kb.ropa["activities"])


# ---------------------------------------------------------------------------------------------------------
# Search fallback
# ---------------------------------------------------------------------------------------------------------
SEARCH_CASES = [
    ("en", "how long do you keep my job application", "recruitment_application"),
    ("en", "what cookies does your website set", "cookies"),
    ("en", "do you send my data to the USA", "transfers"),
    ("en", "I attended one of your webinars, what happens with my details", "courses"),
    ("en", "do you run background checks on candidates", "recruitment_checks"),
    ("en", "is personal data in the accounting assignment kept for long", "accounting"),
    ("sv", "hur länge sparar ni min ansokan", "recruitment_application"),
    ("sv", "vilka kakor använder ni på hemsidan", "cookies"),
    ("sv", "skickar ni mina uppgifter till usa", "transfers"),
    ("sv", "gör ni kreditupplysning på sökande", "recruitment_checks"),
    ("sv", "hur skyddar ni mina uppgifter", "security_measures"),
    ("sv", "vad händer om jag gillar era inlagg pa facebook", "social_media"),
    ("nb", "hvor lenge lagrer dere soknaden min", "recruitment_application"),
    ("nb", "bruker dere informasjonskapsler", "cookies"),
    ("nb", "sender dere data til land utenfor eøs", "transfers"),
    ("nb", "hvordan klager jeg til datatilsynet", "complaints"),
    ("nb", "tar dere kredittsjekk av kandidater", "recruitment_checks"),
    ("nb", "kor lenge lagrar de søknaden min", "recruitment_application"),
    ("en", "can I opt out of newsletters", "marketing"),
    ("en", "do you sell my data", "sharing"),
    ("en", "what happens to the notes of my job interview in the recruitment database", "recruitment_database"),
    ("nb", "hvordan melder jeg meg av nyhetsbrevet", "marketing"),
    ("sv", "hur länge sparas uppgifter om leverantörer", "suppliers"),
]


@pytest.mark.parametrize("language,question,section_id", SEARCH_CASES)
def test_search_finds_the_right_section(kb, language, question, section_id) -> None:
    hits = kb.search(question, language)
    assert hits, question
    assert hits[0].section_id == section_id, [(h.section_id, h.score) for h in hits]


@pytest.mark.parametrize(
    "language,question",
    [
        ("en", "what's the weather in Oslo"),
        ("en", "who won the football match yesterday"),
        ("en", "recipe for pancakes"),
        ("en", "what is the capital of Sweden"),
        ("sv", "hur blir vädret i oslo imorgon"),
        ("sv", "vem vann matchen igår"),
        ("nb", "hvordan blir været i oslo i morgen"),
        ("nb", "hvem vant fotballkampen"),
        ("en", "do you use my data to train AI models"),
        ("en", "what is your parental leave policy"),
        ("en", "what time does the office open"),
        ("en", "how do I reset my password"),
        ("nb", "hvor mange ansatte har dere"),
        ("sv", "vad kostar era tjänster"),
        ("en", ""),
    ],
)
def test_search_finds_nothing_for_unrelated_questions(kb, language, question) -> None:
    assert kb.search(question, language) == []


@pytest.mark.parametrize("language", LANGS)
def test_unanswerable_question_gets_the_honest_fallback(kb, language) -> None:
    answer = kb.answer_question("what's the weather in Oslo", language)
    assert answer.source == "fallback"
    assert "amestotrust@amesto.no" in answer.text and knowledge.cite("7", language) in answer.text


def test_search_answer_cites_the_section(kb) -> None:
    answer = kb.answer_question("vilka kakor använder ni på hemsidan", "sv")
    assert answer.source == "search" and answer.section == "2.5"
    assert "(avsnitt 2.5)" in answer.text


# ---------------------------------------------------------------------------------------------------------
# The rasa-sdk actions, run through the real ActionExecutor
# ---------------------------------------------------------------------------------------------------------
def _action_call(action: str, text: str, slots: Dict[str, Any], faq_key: Optional[str] = None,
                 confidence: float = 0.0) -> Dict[str, Any]:
    """Runs `action` on a message the response selector gave `faq_key` (or nothing: an nlu_fallback)."""
    latest: Dict[str, Any] = {"text": text, "intent": {"name": "faq" if faq_key else "nlu_fallback"},
                              "entities": []}
    if faq_key:
        latest["response_selector"] = {
            "all_retrieval_intents": ["faq"],
            "faq": {
                "response": {"intent_response_key": faq_key, "confidence": confidence,
                             "utter_action": f"utter_{faq_key}", "responses": [{"text": "training-only"}]},
                "ranking": [{"intent_response_key": faq_key, "confidence": confidence}],
            },
        }
    return action_request(action, latest, slots)


async def _run(policy_executor: ActionExecutor, call: Dict[str, Any]) -> List[str]:
    result = await policy_executor.run(call)
    assert result is not None and result["events"] == []
    return [r["text"] for r in result["responses"]]


@pytest.mark.parametrize("language", LANGS)
async def test_action_answer_faq_replies_in_the_slot_language(policy_executor, kb, language) -> None:
    call = _action_call("action_answer_faq", "hur länge sparar ni min ansökan",
                        {"language": language}, "faq/retention_recruitment", 0.93)
    texts = await _run(policy_executor, call)
    assert texts == [kb.topics["retention_recruitment"]["answer"][language]]


async def test_action_answer_faq_defaults_to_english(policy_executor, kb) -> None:
    call = _action_call("action_answer_faq", "cookies?", {}, "faq/cookies", 0.9)
    assert await _run(policy_executor, call) == [kb.topics["cookies"]["answer"]["en"]]


async def test_action_answer_faq_low_confidence_uses_search(policy_executor, kb) -> None:
    # Below routing.TOPIC_CLARIFY_MIN_TOP the selector is guessing: no "did you mean", the search answers.
    call = _action_call("action_answer_faq", "bruker dere informasjonskapsler", {"language": "nb"},
                        "faq/retention_leads", 0.15)
    (text,) = await _run(policy_executor, call)
    assert text.startswith(kb.search_prefix["nb"]) and "(punkt 2.5)" in text
    assert text != kb.topics["retention_leads"]["answer"]["nb"]


async def test_action_answer_faq_low_confidence_and_no_match_is_honest(policy_executor, kb) -> None:
    call = _action_call("action_answer_faq", "vem vann matchen igår", {"language": "sv"}, "faq/cookies", 0.1)
    assert await _run(policy_executor, call) == [kb.fallback("sv").text]


async def test_action_answer_faq_where_data_kept_staff_and_non_staff(policy_executor, kb) -> None:
    question = "where is candidate data kept?"
    staff = await _run(policy_executor, _action_call("action_answer_faq", question, {"language": "en", "is_staff": True},
                                              "faq/where_data_kept", 0.88))
    assert "ExampleATS" in staff[0]
    for slots in ({"language": "en"}, {"language": "en", "is_staff": False}, {"language": "en", "is_staff": None}):
        public = await _run(policy_executor, _action_call("action_answer_faq", question, slots, "faq/where_data_kept", 0.88))
        assert public == [kb.topics["where_data_kept"]["answer"]["en"]], slots


async def test_clarify_without_candidates_searches_the_policy(policy_executor, kb) -> None:
    (hit,) = await _run(policy_executor, _action_call("action_clarify_request", "do you send my data to the USA",
                                               {"language": "en"}))
    assert "(policy section 2.3)" in hit


# ---------------------------------------------------------------------------------------------------------
# Training data and the generated responses file
# ---------------------------------------------------------------------------------------------------------
def test_generated_faq_responses_are_in_sync() -> None:
    current = (ROOT / "data" / "nlu" / "faq_responses.yml").read_text(encoding="utf-8")
    assert current == gen_faq_responses.render(), "run: .venv/bin/python -m scripts.gen_faq_responses"
    responses = yaml.safe_load(current)["responses"]
    assert set(responses) == {f"utter_faq/{t}" for t in EXPECTED_TOPICS}


def _examples(path: Path) -> List[Tuple[str, str, str]]:
    doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    out = []
    for block in doc.get("nlu", []):
        if "intent" not in block:
            continue
        lang = (block.get("metadata") or {}).get("lang")
        for line in block["examples"].splitlines():
            line = line.strip()
            if line.startswith("- "):
                out.append((block["intent"], lang, line[2:].strip().lower()))
    return out


def test_faq_training_and_holdout_examples() -> None:
    train = _examples(ROOT / "data" / "nlu" / "faq.yml")
    for topic in EXPECTED_TOPICS:
        for lang in LANGS:
            n = sum(1 for intent, lg, _ in train if intent == f"faq/{topic}" and lg == lang)
            assert n >= 9, (topic, lang, n)
    all_training = {text for p in (ROOT / "data" / "nlu").glob("*.yml") for _, _, text in _examples(p)}
    for lang in LANGS:
        holdout = _examples(ROOT / "tests" / "nlu_holdout" / f"faq_{lang}.yml")
        for topic in EXPECTED_TOPICS:
            assert sum(1 for i, _, _ in holdout if i == f"faq/{topic}") >= 3, (lang, topic)
        leaked = [t for _, _, t in holdout if t in all_training]
        assert not leaked, leaked


def test_the_action_server_loads_neither_rasa_nor_the_backend() -> None:
    # A fresh interpreter imports every actions/ module: Rasa (TensorFlow) and the backend must stay out;
    # from bot/ only the Rasa-free modules shared with the NLU components may come in, and the shared
    # basics/ package (which imports no framework, tests/test_basics.py) may.
    modules = modules_loaded_by_importing("actions")
    loaded = [m for m in modules if m.split(".")[0] in ("rasa", "backend", "bot")]
    assert set(loaded) <= {"bot", "bot.language", "bot.request_rules", "bot.text"}, loaded
    assert "basics.references" in modules  # the chat reads references with it