"""Pure helpers of the flows: texts in three languages, dates, national IDs, e-mail, flow decisions."""

from __future__ import annotations

import string
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Optional, Tuple

import pytest
import yaml
from rasa_sdk import Tracker

from actions.common import (
    email_mistake,
    looks_like_email_attempt,
    normalise_email,
    suggest_email,
    valid_name,
    yes_no_unknown,
)
from actions.flow_config import ALL_FORMS, FORM_SLOTS, slots_for_form
from actions.incident_facts import parse_aware_at, people_count
from actions.start import decide_flow
from actions.texts import CASE_TYPE_NAMES, FIELD_LABELS, STATUS_NAMES, T, format_date, format_datetime
from basics.national_ids import strip_national_ids
from basics.references import find_reference

ROOT = Path(__file__).resolve().parents[2]
NOW = datetime(2026, 11, 24, 13, 0, tzinfo=timezone.utc)  # 14:00 in Stockholm and Oslo


def placeholders(text: str) -> set:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


def test_every_text_exists_in_three_languages_with_the_same_placeholders() -> None:
    for key, entry in T.items():
        assert set(entry) == {"sv", "nb", "en"}, key
        assert all(entry[lang].strip() for lang in entry), key
        assert placeholders(entry["sv"]) == placeholders(entry["nb"]) == placeholders(entry["en"]), key
    for table in (CASE_TYPE_NAMES, STATUS_NAMES, FIELD_LABELS):
        for key, entry in table.items():
            assert set(entry) == {"sv", "nb", "en"}, key


def test_domain_responses_have_sv_nb_and_a_final_english_variation() -> None:
    domain = yaml.safe_load((ROOT / "domain.yml").read_text(encoding="utf-8"))
    for name, variations in domain["responses"].items():
        conditions = [v.get("condition") for v in variations]
        assert [c[0]["value"] if c else None for c in conditions] == ["sv", "nb", None], name
        assert variations[0]["text"] != variations[2]["text"], name


@pytest.mark.parametrize("lang,expected", [("sv", "24 november 2026"), ("nb", "24. november 2026"),
                                           ("en", "24 November 2026")])
def test_dates_in_the_users_language(lang: str, expected: str) -> None:
    assert format_date("2026-11-24T10:00:00+00:00", lang) == expected
    # 23:30 UTC is already the next day in Oslo/Stockholm.
    assert format_date("2026-11-23T23:30:00+00:00", lang, "SE") == expected
    assert format_datetime("2026-11-24T08:30:00Z", lang).endswith("09:30")


@pytest.mark.parametrize("lang,text,local", [
    ("sv", "i går", "2026-11-23 00:00"),
    ("sv", "i går kl 14", "2026-11-23 14:00"),
    ("sv", "i morse", "2026-11-24 08:00"),
    ("sv", "förra veckan", "2026-11-17 00:00"),
    ("sv", "för 2 timmar sedan", "2026-11-24 12:00"),
    ("sv", "i dag 09:30", "2026-11-24 09:30"),
    ("sv", "i måndags", "2026-11-23 00:00"),
    ("nb", "i går kl. 14", "2026-11-23 14:00"),
    ("nb", "i morges", "2026-11-24 08:00"),
    ("nb", "forrige uke", "2026-11-17 00:00"),
    ("nb", "for 2 timer siden", "2026-11-24 12:00"),
    ("en", "yesterday", "2026-11-23 00:00"),
    ("en", "2 hours ago", "2026-11-24 12:00"),
    ("en", "this morning", "2026-11-24 08:00"),
    ("en", "yesterday at 2 pm", "2026-11-23 14:00"),
    ("en", "last week", "2026-11-17 00:00"),
    ("sv", "alldeles nyss, för en kvart sen", "2026-11-24 13:45"),
    ("nb", "for et kvarter siden", "2026-11-24 13:45"),
    ("en", "a quarter of an hour ago", "2026-11-24 13:45"),
    ("nb", "nettopp", "2026-11-24 14:00"),
    ("sv", "i går vid fyratiden", "2026-11-23 16:00"),  # an hour in words is a working-day hour
    ("nb", "rundt tretida i går", "2026-11-23 15:00"),
    ("en", "last night at three", "2026-11-24 03:00"),  # the small hours of today, not the evening before
    ("sv", "i går kväll kl 21", "2026-11-23 21:00"),
    ("sv", "har sett det flera gånger men tänkte på det först i går", "2026-11-23 00:00"),
])
def test_aware_at_phrases(lang: str, text: str, local: str) -> None:
    """A day without a time of day starts the 72-hour clock at the start of that day (never too late)."""
    moment, future = parse_aware_at(text, lang, now=NOW)
    assert moment is not None and not future
    zone = "Europe/Stockholm" if lang == "sv" else "Europe/Oslo"
    from zoneinfo import ZoneInfo

    assert moment.astimezone(ZoneInfo(zone)).strftime("%Y-%m-%d %H:%M") == local
    assert moment.tzinfo is not None and moment <= NOW


@pytest.mark.parametrize("lang,text", [("sv", "i morgon"), ("nb", "i morgen kl 10"), ("en", "tomorrow"),
                                       ("en", "in 3 hours")])
def test_future_times_are_refused(lang: str, text: str) -> None:
    moment, future = parse_aware_at(text, lang, now=NOW)
    assert moment is not None and future


def test_nonsense_time_is_not_understood() -> None:
    assert parse_aware_at("blå banan", "sv", now=NOW) == (None, False)


@pytest.mark.parametrize("text,found", [
    ("mitt personnummer är 811218-9876, tack", True),  # Swedish personnummer (valid checksum)
    ("19811218-9876", True),
    ("fødselsnummer 01010750160", True),  # Norwegian
    ("CPR 010190-1234", True),  # Danish (date-based)
    ("ring mig på 0701234567", False),  # a phone number whose checksum does not match
    ("koden är 123456", False),
    ("order 811218-9875", False),  # wrong check digit
])
def test_national_ids_are_removed(text: str, found: bool) -> None:
    cleaned, removed = strip_national_ids(text)
    assert removed is found
    if found:
        digits = "".join(ch for ch in text if ch.isdigit())
        assert digits[-4:] not in cleaned


@pytest.mark.parametrize("text, attempt, suggestion, mistake", [
    ("anna.lindqvist@exmaple", True, None, "invalid_email_no_ending"),
    ("anna@example,se", True, "anna@example.se", "invalid_email_suggest"),
    ("anna.lindqvist.example.se", True, None, "invalid_email_no_at"),
    ("my address is jo@outlok.com thanks", True, "jo@outlook.com", "invalid_email_suggest"),
    ("jane@example.com", True, None, "invalid_email"),
    ("ja", False, None, "invalid_email_no_at"),
    ("nei forresten, glem det", False, None, "invalid_email_no_at"),
    ("Rådgiver, Amesto Accounthouse AS", False, None, "invalid_email_no_at"),
])
def test_email_typos_are_attempts_with_a_specific_correction(text: str, attempt: bool, suggestion: Optional[str],
                                                             mistake: str) -> None:
    assert looks_like_email_attempt(text) is attempt
    assert suggest_email(text) == suggestion
    assert email_mistake(text) == mistake


@pytest.mark.parametrize("text, lang, local", [
    ("Yesterday afternoon around 3", "en", "2026-12-06 15:00"),
    ("i går eftermiddag runt 3", "sv", "2026-12-06 15:00"),
    ("i går ved 15-tiden", "nb", "2026-12-06 15:00"),
    ("igår vid 9", "sv", "2026-12-06 09:00"),
    ("today around 10 am", "en", "2026-12-07 10:00"),
])
def test_a_day_and_a_loose_clock_time_are_kept(text: str, lang: str, local: str) -> None:
    """Seen: "Yesterday afternoon around 3" left no time anywhere."""
    from zoneinfo import ZoneInfo

    now = datetime(2026, 12, 7, 12, 0, tzinfo=timezone.utc)
    when, future = parse_aware_at(text, lang, now)
    assert when is not None and not future
    assert when.astimezone(ZoneInfo("Europe/Oslo")).strftime("%Y-%m-%d %H:%M") == local


def test_email_names_references_and_answers() -> None:
    assert normalise_email("my e-mail is Anna.S@Example.COM.") == "Anna.S@example.com"
    assert normalise_email("anna@") is None and normalise_email("no address") is None
    assert valid_name("Anna Svensson") == "Anna Svensson"
    assert valid_name("anna@example.com") is None and valid_name("1234") is None
    assert valid_name("x" * 101) is None
    # The chat reads references with the backend's parser (basics.references), check character included.
    assert find_reference("prv 2026 7k3q 9cx9") == "PRV-2026-7K3Q-9CX9"
    assert find_reference("PRV-2026-lK3Q-9COG") == "PRV-2026-1K3Q-9C0G"
    assert find_reference("prv 2026 7k3q 9cxm") is None  # wrong check character: no such case can exist
    assert find_reference("hello") is None
    assert yes_no_unknown("vet inte") == "unknown" and yes_no_unknown("ja") == "yes"
    assert yes_no_unknown("nei") == "no" and yes_no_unknown("don't know") == "unknown"
    assert people_count("cirka 40") == "cirka 40" and people_count("vet ikke") == "unknown"
    assert people_count("not sure, maybe 200? could be more") == "not sure, maybe 200? could be more"
    assert people_count("blue") is None


@pytest.mark.parametrize("intent,text,expected", [
    ("request_erasure", "radera min ansökan", "choose_delete"),
    ("withdraw_application", "delete my application", "choose_delete"),
    ("withdraw_application", "slett søknaden min", "choose_delete"),
    ("request_erasure", "radera allt om mig", "rights"),
    ("withdraw_application", "I want to withdraw my application", "application_withdrawal"),
    ("withdraw_application", "ta bort mig ur rekryteringsdatabasen", "application_withdrawal"),
    ("withdraw_consent", "jeg trekker samtykket til rekrutteringsdatabasen", "application_withdrawal"),
    ("withdraw_consent", "I withdraw my newsletter consent", "rights"),
    ("report_incident", "data breach", "incident"),
    ("out_of_scope", "what's the weather", None),
    ("report_incident", "hej, jag rapporterade en incident i teams utan namn, vad är läget med den?", "case_status"),
    ("file_complaint", "Jeg sendte en klage for en stund siden og har ikke hørt noe", "case_status"),
    ("file_complaint", "jeg har ikke hørt noe fra dere og vil klage på hvordan dere behandler dataene mine",
     "complaint"),  # no earlier case: a new complaint
    ("report_misconduct", "I reported misconduct last week, any news?", "case_status"),
    ("report_incident", "I want to report an incident: status page shows customer data", "incident"),
])
def test_decide_flow(intent: str, text: str, expected: str) -> None:
    assert decide_flow(intent, text, {}).get("flow") == expected


def test_forms_ask_only_what_the_case_needs() -> None:
    assert slots_for_form("rights_request_form", {"right": "access"}) == [
        "right", "requester_name", "requester_email", "confirm_summary"]
    assert "case_description" in slots_for_form("rights_request_form", {"right": "rectification"})
    assert "requester_email" not in slots_for_form("incident_form", {"reporter_anonymous": "yes"})
    assert "application_position" not in slots_for_form("application_withdrawal_form",
                                                        {"withdrawal_target": "database"})
    for form in ALL_FORMS:  # the domain lists every slot a validator may ask
        for slots in ({}, {"right": "objection", "withdrawal_target": "application", "reporter_anonymous": "no",
                           "status_method": "email"}):
            assert set(slots_for_form(form, slots)) <= set(FORM_SLOTS[form])


def _tracker_with(*users: Tuple[Any, ...]) -> Tracker:
    """A tracker whose events are the given user messages (text, intent), each followed by a bot reply."""
    events = []
    for text, intent, *ranking in users:
        parse = {"intent": {"name": intent}, "intent_ranking": ranking[0] if ranking else []}
        events.append({"event": "user", "text": text, "parse_data": parse})
        events.append({"event": "bot", "text": "…"})
    latest = {"text": users[-1][0], "intent": {"name": users[-1][1]}}
    return Tracker("t", {}, latest, events, False, None, {}, None)


@pytest.mark.parametrize("before_intent, starts_from_it", [
    ("nlu_fallback", True), ("out_of_scope", True), ("faq", True), ("greet", False), ("request_access", False),
])
def test_a_flow_started_with_a_button_starts_from_the_message_the_button_answered(before_intent: str,
                                                                                  starts_from_it: bool) -> None:
    from actions.start import opening_description, opening_text

    told = "a consultant on one of our client projects has been billing hours for work that was never done"
    ranking = [{"name": before_intent, "confidence": 0.47}, {"name": "report_misconduct", "confidence": 0.3}]
    tracker = _tracker_with((told, before_intent, ranking), ("/report_misconduct", "report_misconduct"))
    assert opening_text(tracker) == (told if starts_from_it else "/report_misconduct")
    if starts_from_it:
        assert opening_description("misconduct", None, opening_text(tracker)) == told
    typed = _tracker_with(("hello", "greet"), ("I want to report misconduct", "report_misconduct"))
    assert opening_text(typed) == "I want to report misconduct"  # a typed start is its own opening
    vague = "not sure if this is the right place but something is going on in our team that I'm not comfortable with"
    unseen = _tracker_with((vague, "nlu_fallback", [{"name": "out_of_scope", "confidence": 0.36}]),
                           ("/report_misconduct", "report_misconduct"))
    assert opening_text(unseen) == "/report_misconduct"  # the NLU saw no report in it: the form asks


@pytest.mark.parametrize("text, description", [
    ("my colleague is secretly recording our team meetings and customer calls on his phone", True),
    ("hei, æ vil varsle om nåkka uten at nån får vite at det e mæ", False),  # only the wish to stay unknown
    ("Jag vill rapportera en allvarlig oegentlighet.", False),
])
def test_a_report_opening_is_its_description_when_it_tells_something(text: str, description: bool) -> None:
    from actions.start import opening_description

    assert (opening_description("misconduct", None, text) == text) is description


@pytest.mark.parametrize("text, question", [
    ("hur länge sparar ni mitt cv", True), ("när raderar ni min ansökan", True), ("kan jag vara anonym", True),
    ("när jag skrev in mig som besökare låg besökslistan öppen med alla andras namn, telefonnummer och företag, "
     "vem som helst kunde läsa den", False),  # a "when I ..." story
    ("when we moved offices the old HR archive was left in the basement", False),
    ("how do I know that the list is gone now that the customer has had it for three days and has not "
     "answered any of my e-mails about it", False),  # long and unmarked: an account
    ("when I applied, did you check my social media?", True),
    ("vår chef läser allas mejl", False), ("var sparar ni mina uppgifter", True),  # "our" is not "where"
    ("nar raderar ni min ansokan", True),  # typed without diacritics
    ("er kundtjänst bad mig mejla en kopia på mitt pass", False),  # Swedish "er" is "your"
])
def test_a_question_is_told_from_a_story(text: str, question: bool) -> None:
    from actions.reading import looks_like_question

    assert looks_like_question(text) is question
