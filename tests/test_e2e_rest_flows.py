"""End to end over the REST channel for the flows that only had action tests: real backend + real action
server + real Rasa with the trained model, one stack for the whole module (starting Rasa is slow).

One conversation per flow, in all three languages:
- Swedish anonymous incident report -> INC reference, 16-digit receipt shown once, 72-hour deadline; then a
  new conversation looks the case up with reference + receipt.
- Norwegian named misconduct report with the e-mail code -> reference with acknowledgement/feedback dates.
- English complaint -> reference; then (new conversation) its status with an e-mail code.
- Norwegian "forget this conversation" in the middle of a form -> the stored conversation is gone and the
  next message starts afresh.
- English "forget it" (stop) in the middle of a form, asked about, confirmed with the Cancel button, then a policy
  question answered with its section.
- Swedish request while the backend is down -> apology with a retry button; backend back, "försök igen" ->
  exactly one case for that e-mail address (idempotent filing).
- Last, what the bot said right after each filing that needs the e-mail code: no error before a code is typed.

The user's side is typed the way people write (buttons only where a person would click one; a click sends
the button's payload, as the widget does). Each turn is printed with the intent Rasa predicted, so a
failure shows the transcript. The stack is tests/e2e_flows_helpers.py (the tracker store is the
redacting SQLite store of endpoints.yml, so "forget" has something to erase and the test can read it).

Model: env E2E_MODEL (default models/assistant.tar.gz); skipped, saying so, when there is none.
Run:  .venv/bin/pytest -q tests/test_e2e_rest_flows.py
"""

from __future__ import annotations

import re
import time
import uuid
from datetime import datetime, timedelta, timezone

import pytest

from tests.e2e_stack import RunningStack
from tests.e2e_flows_helpers import (
    DATE,
    REFERENCE,
    ZONE,
    Chat,
    FlowStack,
    flow_stack,
    parse_local_date,
    parse_local_datetime,
)

# Rasa's start-up is part of the first test's time; with 2 shared cores it can take minutes.
pytestmark = [pytest.mark.e2e, pytest.mark.timeout(1800)]

RECEIPT = re.compile(r"(?<!\d)\d{16}(?!\d)")


@pytest.fixture(scope="module")
def stack(e2e_stack: RunningStack) -> FlowStack:
    # The run's shared stack (tests/conftest.py); skipped, saying why, when there is no model.
    return flow_stack(e2e_stack)


def _only_reference(text: str, prefix: str) -> str:
    references = set(REFERENCE.findall(text))
    assert len(references) == 1, f"expected one reference, got {references}:\n{text}"
    reference = references.pop()
    assert reference.startswith(prefix + "-"), reference
    return reference


def _record_code_prompt(stack: FlowStack, chat: Chat, said: str) -> None:
    """What the bot said right after filing a case that needs the e-mail code (checked by the last test)."""
    stack.shared.setdefault("code_prompts", []).append((chat.label, chat.lang, said))


def _local_day(iso: str, lang: str) -> datetime:
    moment = datetime.fromisoformat(iso.replace("Z", "+00:00")).astimezone(ZONE[lang])
    return datetime(moment.year, moment.month, moment.day)


# ------------------------------------------------------------------------------------ incident (sv)


def test_swedish_anonymous_incident_report(stack: FlowStack) -> None:
    chat = Chat(stack, "sv", "incident-sv")
    said = chat.say("hej, jag behöver rapportera en personuppgiftsincident")
    assert "72 timmar" in said and "anonymt" in said, said
    assert "Vad har hänt?" in said, said

    said = chat.say("en kollega skickade en excelfil med löner till en extern mottagare av misstag")
    assert "När upptäckte du det?" in said, said

    said = chat.say("i går")
    assert "Noterat: upptäckt" in said, said
    aware = parse_local_datetime(said, "sv")
    assert len(aware) == 1, said
    local_now = datetime.now(ZONE["sv"])
    assert aware[0].date() == (local_now - timedelta(days=1)).date(), f"'i går' read as {aware[0]}"
    assert "Vilka typer av personuppgifter" in said, said

    said = chat.say("namn och löneuppgifter för anställda")
    assert "hur många personer" in said, said
    said = chat.say("ungefär 40 personer")
    assert "Var uppgifterna krypterade?" in said, said
    said = chat.say("nej, den var inte krypterad")
    assert "Är det stoppat nu" in said, said
    said = chat.say("ja, mottagaren har raderat mejlet")
    assert "Vill du vara anonym?" in said, said

    summary = chat.say("anonymt tack")
    assert "Stämmer det här?" in summary, summary
    for line in ("Anonym rapport: Ja", "Krypterat: Nej", "Stoppat/under kontroll: Ja",
                 "Typer av personuppgifter: namn och löneuppgifter för anställda"):
        assert line in summary, f"{line!r} missing from the summary:\n{summary}"
    assert "40" in summary, summary
    assert "Namn:" not in summary and "E-post:" not in summary, summary  # anonymous: nobody's identity

    filed = chat.say("ja, skicka")
    reference = _only_reference(filed, "INC")
    assert f"registrerat med nummer {reference}" in filed, filed
    receipts = RECEIPT.findall(filed)
    assert len(receipts) == 1, f"expected one 16-digit receipt:\n{filed}"
    receipt = receipts[0]
    assert "visas bara den här gången" in filed, filed
    # The 72-hour clock runs from when the reporter became aware ("i går"), shown in Swedish local time.
    assert "tillsynsmyndigheten före" in filed, filed
    deadline = parse_local_datetime(filed, "sv")
    assert len(deadline) == 1, filed
    assert deadline[0].astimezone(timezone.utc) - aware[0].astimezone(timezone.utc) == timedelta(hours=72), (
        f"deadline {deadline[0]} is not 72 h after {aware[0]}")
    assert "6-siffrig kod" not in filed  # anonymous: no e-mail verification

    case = stack.case(reference)
    assert case["type"] == "incident" and case["status"] == "open" and case["language"] == "sv"
    assert case["anonymous"] is True and case["requester"] is None
    assert case["details"]["encrypted"] == "no" and case["details"]["contained"] == "yes", case["details"]
    assert case["details"]["data_types"] == "namn och löneuppgifter för anställda", case["details"]
    assert "40" in case["details"]["people_affected"], case["details"]
    due = datetime.fromisoformat(case["clocks"]["authority_notification_due_at"].replace("Z", "+00:00"))
    assert abs(due - deadline[0]) < timedelta(minutes=1), (due, deadline[0])

    # Shown once: not repeated later in the chat, and the tracker store does not keep it in clear.
    chat.say("tack så mycket")
    assert chat.everything_said().count(receipt) == 1
    assert receipt not in stack.stored_text(), "the receipt is stored in clear in the tracker store"
    stack.shared["incident"] = {"reference": reference, "receipt": receipt}


def test_swedish_case_status_by_receipt(stack: FlowStack) -> None:
    """A new conversation (another day, another browser) looks the anonymous report up with the reference
    and the receipt it was given."""
    filed = stack.shared.get("incident")
    if filed is None:  # the incident conversation did not get that far: file one straight through the API
        reference, receipt = stack.file_anonymous_incident("sv", "en lönefil skickades till fel mottagare")
    else:
        reference, receipt = filed["reference"], filed["receipt"]
    case = stack.case(reference)
    chat = Chat(stack, "sv", "status-receipt-sv")
    said = chat.say("hej! hur går det med mitt ärende?")
    assert "Vilket ärendenummer" in said, said
    said = chat.say(reference)
    assert "Hur vill du visa att ärendet är ditt" in said, said
    said = chat.click("Kvittokod")  # the user picks the button the bot offers
    assert "16 siffror" in said, said
    answer = chat.say(receipt)
    assert f"Ärende {reference} (incidentrapport): mottaget, inte påbörjat ännu." in answer, answer
    assert "Vi återkommer senast" in answer and DATE["sv"].search(answer), answer
    assert parse_local_date(answer, "sv") == [_local_day(case["due_at"], "sv")], (answer, case["due_at"])
    assert receipt not in answer


@pytest.mark.parametrize("lang, opening, asked", [
    ("sv", "hej, jag rapporterade en incident utan namn förra veckan, vad är läget med den?", "Vilket ärendenummer"),
    ("nb", "Jeg sendte en klage for en stund siden og har ikke hørt noe", "Hvilket saksnummer"),
    ("en", "I reported a data leak anonymously last month, any news on it?", "What is the case reference"),
])
def test_a_report_that_asks_about_an_earlier_one_starts_the_status_check(stack: FlowStack, lang: str, opening: str,
                                                                         asked: str) -> None:
    """The NLU may call such a message a new report or complaint; the start action makes it a status check, and
    the dialogue must then run the status form (it used to answer "I don't know how to answer that")."""
    chat = Chat(stack, lang, f"status-follow-up-{lang}")
    said = chat.say(opening)
    assert asked in said, said
    assert stack.tracker(chat.sender)["slots"].get("flow") == "case_status"


# ---------------------------------------------------------------------------------- misconduct (nb)


def test_norwegian_named_misconduct_with_code(stack: FlowStack) -> None:
    chat = Chat(stack, "nb", "misconduct-nb")
    email = f"kari.{uuid.uuid4().hex[:6]}@example.no"
    said = chat.say("Hei! Jeg vil varsle om kritikkverdige forhold hos oss")
    assert "7 dager" in said and "3 måneder" in said, said
    assert "Hva vil du varsle om?" in said, said
    said = chat.say("en leder deler kundedata med en ekstern part uten avtale, det har skjedd flere ganger i høst")
    assert "Vil du være anonym?" in said, said
    said = chat.say("nei, jeg står fram med navnet mitt")
    assert "Hva heter du" in said, said
    said = chat.say("Kari Nordmann")
    assert "Hvilken e-postadresse" in said, said
    summary = chat.say(email)
    assert "Stemmer dette?" in summary, summary
    assert "Anonym melding: Nei" in summary and "Navn: Kari Nordmann" in summary and email in summary, summary

    said = chat.say("ja, det stemmer")
    _record_code_prompt(stack, chat, said)
    reference = _only_reference(said, "WBL")
    assert "6-sifret kode" in said, said
    code = stack.backend.latest_code(reference)
    final = chat.say(code)
    assert "koden stemmer" in final and reference in final, final
    case = stack.case(reference)
    assert case["type"] == "misconduct" and case["status"] == "open" and case["language"] == "nb"
    assert case["anonymous"] is False and case["requester"]["email"] == email
    # The reporter is told by when receipt is acknowledged (7 days) and feedback given (3 months),
    # Norwegian style ("9. desember 2026"), the same days the backend's clocks hold.
    assert "Vi bekrefter mottak senest" in final, final
    assert "Du får tilbakemelding senest" in final, final
    shown = parse_local_date(final, "nb")
    expected = [_local_day(case["clocks"]["acknowledge_due_at"], "nb"),
                _local_day(case["clocks"]["feedback_due_at"], "nb")]
    assert shown == expected, (final, case["clocks"])


# ----------------------------------------------------------------------------------- complaint (en)


def test_english_complaint(stack: FlowStack) -> None:
    chat = Chat(stack, "en", "complaint-en")
    email = f"jane.{uuid.uuid4().hex[:6]}@example.com"
    said = chat.say("I'd like to complain about the way you handled my personal data")
    assert "What is your complaint" in said, said
    description = "you never replied to my access request from September, and I have written to you twice"
    said = chat.say(description)
    assert "What is your name" in said, said
    said = chat.say("Jane Smith")
    assert "Which e-mail address" in said, said
    summary = chat.say(email)
    assert "Is this correct?" in summary and "Name: Jane Smith" in summary, summary
    said = chat.say("yes that's right")
    _record_code_prompt(stack, chat, said)
    reference = _only_reference(said, "PRV")
    assert "6-digit code" in said, said
    final = chat.say(stack.backend.latest_code(reference))
    assert "the code is correct" in final and reference in final, final
    assert "We will get back to you by" in final and DATE["en"].search(final), final
    assert "supervisory authority" in final, final  # the right to complain to Datatilsynet / IMY
    case = stack.case(reference)
    assert case["type"] == "complaint" and case["status"] == "open" and case["language"] == "en"
    assert case["requester"]["email"] == email and case["details"]["description"] == description
    assert parse_local_date(final, "en") == [_local_day(case["due_at"], "en")], (final, case["due_at"])
    stack.shared["complaint"] = {"reference": reference, "email": email}


def test_english_case_status_by_email_code(stack: FlowStack) -> None:
    filed = stack.shared.get("complaint")
    if filed is None:  # the complaint conversation did not get that far: file one straight through the API
        email = f"john.{uuid.uuid4().hex[:6]}@example.com"
        filed = {"email": email, "reference": stack.file_verified_case(
            "complaint", "en", "John Smith", email, "you never answered my access request")}
    reference, email = filed["reference"], filed["email"]
    chat = Chat(stack, "en", "status-email-en")
    said = chat.say("Hi, I'd like to check the status of my case")
    assert "What is the case reference" in said, said
    said = chat.say(f"it's {reference}")
    assert "How do you want to prove the case is yours" in said, said
    said = chat.say("by e-mail please")
    assert "Which e-mail address did you give" in said, said
    codes_before = stack.backend.code_count(reference)
    said = chat.say(email)
    assert "6-digit code" in said, said
    code = stack.backend.latest_code(reference, after=codes_before)
    answer = chat.say(code)
    assert f"Case {reference} (complaint): received, not started yet." in answer, answer
    assert "We will get back to you by" in answer and DATE["en"].search(answer), answer
    assert code not in answer


# ----------------------------------------------------------------------------- forget the chat (nb)


def test_norwegian_forget_conversation_in_the_middle_of_a_form(stack: FlowStack) -> None:
    chat = Chat(stack, "nb", "forget-nb")
    cases_before = len(stack.backend.cases())
    said = chat.say("jeg vil klage på hvordan dere har behandlet opplysningene mine")
    assert "Hva gjelder klagen din" in said, said
    said = chat.say("dere sendte meg reklame selv om jeg hadde reservert meg mot det")
    assert "Hva heter du" in said, said
    said = chat.say("Ola Hansen")
    assert "Hvilken e-postadresse" in said, said
    assert any(kind == "user" for kind, _ in stack.stored_rows(chat.sender))  # the chat is stored so far

    asked_at = time.time()
    said = chat.say("slett hele denne samtalen")
    assert "denne samtalen er slettet" in said, said

    # What the store keeps of this conversation now: nothing the user wrote, no answers, no bot question
    # from before (only the few bookkeeping events of the turn that erased it may follow the erasure).
    rows = stack.stored_rows(chat.sender)
    kinds = [kind for kind, _ in rows]
    assert "user" not in kinds, kinds
    assert not any(kind == "slot" and event.get("name") in ("requester_name", "case_description", "flow")
                   and event.get("value") is not None for kind, event in rows), rows
    spoken = [event.get("text") or "" for kind, event in rows if kind == "bot"]
    assert all("Hva heter du" not in text and "Hva gjelder klagen" not in text for text in spoken), spoken
    older = [kind for kind, event in rows if (event.get("timestamp") or 0) < asked_at]
    assert older == [], f"events from before the erasure are still stored: {older}"

    said = chat.say("hei")
    assert "Hei! Jeg er personvernassistenten" in said, said
    tracker = stack.tracker(chat.sender)
    users = [e.get("text") for e in tracker["events"] if e.get("event") == "user"]
    assert users == ["hei"], users
    assert not (tracker.get("active_loop") or {}).get("name"), tracker.get("active_loop")
    slots = tracker["slots"]
    assert slots.get("flow") is None and slots.get("requester_name") is None, slots
    assert slots.get("case_description") is None, slots
    assert len(stack.backend.cases()) == cases_before  # nothing was filed


# ------------------------------------------------------------------------- stop, then a question (en)


def test_english_stop_in_a_form_then_policy_question(stack: FlowStack) -> None:
    chat = Chat(stack, "en", "stop-faq-en")
    cases_before = len(stack.backend.cases())
    said = chat.say("I want to withdraw my consent")
    assert "Which consent do you want to withdraw" in said, said
    said = chat.say("the newsletter you keep sending me")
    assert "What is your name" in said, said
    said = chat.say("forget it")  # "forget it" is stop, not "forget this conversation"
    # An answer was given, so a typed stop asks first; the Cancel button stops.
    assert "Do you want to stop?" in said and "erased" not in said, said
    said = chat.click("Cancel")
    assert "I stopped and removed your answers. Nothing was sent." in said, said
    assert "erased" not in said, said
    tracker = stack.tracker(chat.sender)
    assert not (tracker.get("active_loop") or {}).get("name"), tracker.get("active_loop")

    answer = chat.say("how long do you keep job applications?")
    assert "(policy section 2.4)" in answer, answer
    assert "3 more months" in answer, answer
    assert "What is your name" not in answer, answer  # the stopped form does not come back
    assert len(stack.backend.cases()) == cases_before


# -------------------------------------------------------------------------- backend outage (sv)


def test_swedish_backend_down_then_try_again_files_once(stack: FlowStack) -> None:
    chat = Chat(stack, "sv", "outage-sv")
    email = f"lars.{uuid.uuid4().hex[:6]}@example.se"
    said = chat.say("hej, jag vill ha en kopia av alla personuppgifter ni har om mig")
    assert "Vad heter du" in said, said
    said = chat.say("Lars Öberg")
    assert "Vilken e-postadress" in said, said
    summary = chat.say(email)
    assert "Stämmer det här?" in summary and email in summary, summary

    stack.backend.stop()
    try:
        replies = chat.send("ja")
    finally:
        stack.backend.start()
    said = "\n".join(r.get("text") or "" for r in replies)
    assert "ärendesystemet svarar inte just nu" in said and "Dina svar är sparade" in said, said
    assert not REFERENCE.search(said), said
    retry_buttons = [b for r in replies for b in (r.get("buttons") or []) if b.get("payload") == "/retry"]
    assert [b["title"] for b in retry_buttons] == ["Försök igen"], replies
    assert stack.cases_of(email) == []

    said = chat.say("försök igen")
    _record_code_prompt(stack, chat, said)
    reference = _only_reference(said, "PRV")
    assert "6-siffrig kod" in said, said
    final = chat.say(stack.backend.latest_code(reference))
    assert "koden stämmer" in final and reference in final, final
    assert "Du får svar senast" in final and DATE["sv"].search(final), final

    # The old "Försök igen" button is still on screen; a second click must not file a second case.
    again = chat.say(retry_buttons[0]["payload"])
    assert "inget att försöka igen" in again, again
    filed = stack.cases_of(email)
    assert [(c["reference"], c["type"], c["status"]) for c in filed] == [(reference, "access", "open")], filed


# ------------------------------------------------------------------ the code prompt after filing (all)

CODE_FORMAT_ERRORS = {"sv": "Koden består av 6 siffror.", "nb": "Koden består av 6 sifre.", "en": "The code has 6 digits."}


def test_code_prompt_after_filing_has_no_error(stack: FlowStack) -> None:
    """Right after a case is filed the bot asks for the e-mail code; the person has not typed anything yet,
    so nothing may tell them their code is wrong. Checks what the conversations above were told (or, if
    none got that far, a short complaint of its own)."""
    prompts = list(stack.shared.get("code_prompts") or [])
    if not prompts:
        chat = Chat(stack, "en", "code-prompt-en")
        chat.say("I want to complain about how you handled my data")
        chat.say("you never answered my access request")
        chat.say("Jane Smith")
        chat.say(f"jane.{uuid.uuid4().hex[:6]}@example.com")
        prompts = [(chat.label, chat.lang, chat.say("yes"))]
    for label, lang, said in prompts:
        assert REFERENCE.search(said), (label, said)
        assert CODE_FORMAT_ERRORS[lang] not in said, f"{label}: an error before any code was typed:\n{said}"


# ------------------------------------------------------------ forms that listen (issue 10), real stack


def test_swedish_erasure_with_an_email_typo_files_the_right_case(stack: FlowStack) -> None:
    chat = Chat(stack, "sv", "erasure-typo-sv")
    local = f"anna.lindqvist.{uuid.uuid4().hex[:6]}"
    said = chat.say("radera mina uppgifter, allt")
    assert "Vad heter du" in said, said  # the scope was in the opening message
    chat.say("Anna Lindqvist")
    said = chat.say(f"{local}@exmaple")
    assert "Efter @ saknas en ändelse" in said and "avbrutit" not in said, said
    said = chat.say(f"oj förlåt, det ska vara {local}@example.se")
    assert "Stämmer det här?" in said and "radera mina uppgifter, allt" in said, said
    said = chat.say("ja")
    reference = _only_reference(said, "PRV")
    final = chat.say(stack.backend.latest_code(reference))
    assert reference in final, final
    case = stack.case(reference)
    assert case["requester"]["email"] == f"{local}@example.se" and case["requester"]["name"] == "Anna Lindqvist"
    assert case["details"]["description"] == "radera mina uppgifter, allt"


def test_norwegian_database_withdrawal_explains_once_and_keeps_the_language(stack: FlowStack) -> None:
    chat = Chat(stack, "nb", "withdrawal-nb")
    said = chat.say("jeg vil trekke tilbake samtykket mitt til rekrutteringsdatabasen")
    assert said.count("Hva som skjer") == 1, said  # Chat.send also fails on any message sent twice in a row
    said = chat.say("Kari Nordmann")
    assert "e-postadresse" in said, said


def test_a_did_you_mean_topic_button_answers_its_topic(stack: FlowStack) -> None:
    chat = Chat(stack, "en", "topic-button-en")
    said = chat.say('/faq{"faq_topic": "cookies"}')  # what a "did you mean" topic button sends
    assert "cookies" in said.lower() and "(policy section" in said, said
