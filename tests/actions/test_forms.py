"""The flow actions against the real backend: every form, in sv / nb / en, end to end.

The backend runs as a child process (flow_harness.BackendProcess); codes are read from its outbox.
"""

from __future__ import annotations

import re
import uuid
from typing import Iterator

import pytest

from actions.backend_client import set_backend_client
from actions.filing import filing_key
from actions.texts import GOAL_NAMES
from tests.actions.flow_harness import BackendProcess, Conversation, use_backend
from tests.support import DATE, REFERENCE

MONTH_DATE = DATE

# Per language: what the user types.
USER = {
    "sv": {"access": "jag vill ha ett registerutdrag", "name": "Anna Svensson", "email": "anna.svensson@example.se",
           "yes": "ja", "no": "nej", "change": "ändra", "email_field": "e-post", "dont_know": "vet inte",
           "when": "i går kl 14", "future": "i morgon kl 10", "resend": "skicka ny kod"},
    "nb": {"access": "jeg vil ha innsyn", "name": "Kari Nordmann", "email": "kari.nordmann@example.no",
           "yes": "ja", "no": "nei", "change": "endre", "email_field": "e-post", "dont_know": "vet ikke",
           "when": "i går kl 14", "future": "i morgen kl 10", "resend": "send ny kode"},
    "en": {"access": "I want a copy of my data", "name": "Jane Smith", "email": "jane.smith@example.com",
           "yes": "yes", "no": "no", "change": "change", "email_field": "e-mail", "dont_know": "don't know",
           "when": "yesterday at 2 pm", "future": "tomorrow at 10", "resend": "send a new code"},
}
# A word that only the right language's text contains (the reply really is in the user's language).
MARKER = {"sv": "Tack", "nb": "Takk", "en": "Thank you"}


@pytest.fixture(scope="module")
def backend(tmp_path_factory: pytest.TempPathFactory) -> Iterator[BackendProcess]:
    process = BackendProcess(tmp_path_factory.mktemp("flows-backend"))
    process.migrate()
    process.start()
    yield process
    process.stop()


@pytest.fixture(autouse=True)
async def client(backend: BackendProcess):
    client = use_backend(backend)
    yield client
    await client.close()
    set_backend_client(None)


def unique_email(lang: str) -> str:
    """The backend caps codes per address per hour, so every conversation gets its own address."""
    local, domain = USER[lang]["email"].split("@")
    return f"{local}.{uuid.uuid4().hex[:8]}@{domain}"


async def fill_identity(conv: Conversation, lang: str) -> str:
    email = unique_email(lang)
    assert await conv.say(USER[lang]["name"]) == "ok"
    assert await conv.say(email) == "ok"
    return email


async def verify_with_outbox(conv: Conversation, backend: BackendProcess) -> str:
    reference = conv.slots["filed_reference"]
    assert conv.active_loop == "verification_form"
    code = backend.latest_code(reference)
    assert await conv.say(code) == "ok"
    return reference


@pytest.mark.parametrize("lang", ["sv", "nb", "en"])
async def test_access_request_end_to_end(backend: BackendProcess, lang: str) -> None:
    conv = Conversation(lang)
    await conv.start(USER[lang]["access"], "request_access")
    assert conv.slots["flow"] == "rights" and conv.slots["right"] == "access"
    assert conv.active_loop == "rights_request_form"
    assert conv.slots["requested_slot"] == "requester_name"  # access needs no follow-up question
    email = await fill_identity(conv, lang)
    assert conv.slots["requested_slot"] == "confirm_summary"
    summary = conv.sent[-1]
    assert email in summary["text"] and USER[lang]["name"] in summary["text"]
    assert [b["payload"] for b in summary["buttons"]] == ["/affirm", "/correct_value", "/stop"]

    mark = len(conv.sent)
    assert await conv.say(USER[lang]["yes"], "affirm", 0.99) == "ok"
    reference = conv.slots["filed_reference"]
    assert REFERENCE.fullmatch(reference)
    assert reference in conv.said(mark) and email in conv.said(mark)

    mark = len(conv.sent)
    await verify_with_outbox(conv, backend)
    final = conv.said(mark)
    assert reference in final
    assert MARKER[lang] in final
    assert MONTH_DATE[lang].search(final), final
    # The answers are gone from the slots once the case is filed.
    assert conv.slots["requester_email"] is None and conv.slots["requester_name"] is None
    assert conv.slots["filing_status"] == "filed" and conv.active_loop is None


@pytest.mark.parametrize("lang", ["sv", "nb", "en"])
async def test_rectification_asks_follow_up_and_code_errors(backend: BackendProcess, lang: str) -> None:
    conv = Conversation(lang)
    await conv.start("fix my address", "request_rectification")
    assert conv.slots["requested_slot"] == "case_description"
    assert await conv.say("Storgatan 1, inte 11") == "ok"
    await fill_identity(conv, lang)
    await conv.say(USER[lang]["yes"], "affirm", 0.99)
    reference = conv.slots["filed_reference"]
    real = backend.latest_code(reference)
    wrong = "000000" if real != "000000" else "111111"

    mark = len(conv.sent)
    await conv.say(wrong)
    assert conv.slots["verification_code"] is None and conv.active_loop == "verification_form"
    assert re.search(r"\b4\b", conv.said(mark)), conv.said(mark)  # attempts left

    # "Resend the code" right away: the backend allows one new code per minute; the user is told so.
    mark = len(conv.sent)
    assert await conv.say(USER[lang]["resend"], "resend_code", 0.99) == "rejected"
    await conv.interrupt("action_resend_code")
    assert {"sv": "en gång per minut", "nb": "én gang i minuttet", "en": "once a minute"}[lang] in conv.said(mark)
    assert conv.slots["requested_slot"] == "verification_code"
    mark = len(conv.sent)
    await conv.say(real)
    assert reference in conv.said(mark) and MONTH_DATE[lang].search(conv.said(mark))


@pytest.mark.parametrize("lang", ["sv", "nb", "en"])
async def test_national_id_is_dropped_and_never_echoed(backend: BackendProcess, lang: str) -> None:
    conv = Conversation(lang)
    await conv.start("delete my data", "request_erasure")
    assert conv.slots["right"] == "erasure"
    # A valid Swedish personnummer and a valid Norwegian fødselsnummer inside the answers.
    assert await conv.say("allt, mitt personnummer är 811218-9876") == "ok"
    assert "811218" not in (conv.slots["case_description"] or "")
    assert conv.slots["case_description"]
    mark = len(conv.sent)
    assert await conv.say(f"{USER[lang]['name']} 01010750160") == "ok"
    assert conv.slots["requester_name"] == USER[lang]["name"]
    assert "01010750160" not in conv.said() and "811218-9876" not in conv.said()
    assert {"sv": "personnummer", "nb": "fødselsnummer", "en": "national ID"}[lang] in conv.said(mark)


@pytest.mark.parametrize("lang", ["sv", "nb", "en"])
async def test_repeated_invalid_answers_explain_and_offer_a_way_out(lang: str) -> None:
    conv = Conversation(lang)
    await conv.start("my data", "request_access")
    await conv.say(USER[lang]["name"])
    messages = []
    for _ in range(3):
        mark = len(conv.sent)
        await conv.say("not an address")
        messages.append(conv.sent[mark:])
        assert conv.slots["requested_slot"] == "requester_email"
    assert len(messages[0]) == 2  # error + question again
    assert len(messages[1]) == 3  # error + what is expected + question
    offer = [m for m in messages[2] if m.get("buttons")]
    assert offer and [b["payload"] for b in offer[0]["buttons"]] == ["/stop", "/human_handoff"]
    await conv.say(unique_email(lang))
    assert conv.slots["failed_attempts"] is None  # a good answer resets the count


@pytest.mark.parametrize("lang", ["sv", "nb", "en"])
async def test_correct_a_value_from_the_summary(backend: BackendProcess, lang: str) -> None:
    conv = Conversation(lang)
    await conv.start("my data", "request_portability")
    await fill_identity(conv, lang)
    await conv.say("/correct_value", "correct_value", 1.0)  # the "change something" button
    assert conv.slots["requested_slot"] == "field_to_correct"
    assert "requester_email" in [b["payload"] for b in conv.buttons()]
    await conv.say(USER[lang]["email_field"])
    assert conv.slots["requested_slot"] == "requester_email" and conv.slots["requester_email"] is None
    await conv.say("second@example.org")
    assert conv.slots["requested_slot"] == "confirm_summary"
    assert "second@example.org" in conv.sent[-1]["text"]

    # "The name was wrong" in the middle of a form: the correct_value rule clears the named field.
    conv.set_message("the name was wrong", "correct_value")
    await conv.interrupt("action_correct_value")
    assert conv.slots["requested_slot"] == "requester_name" and conv.slots["requester_name"] is None


@pytest.mark.parametrize("lang", ["sv", "nb", "en"])
async def test_stop_clears_everything(lang: str) -> None:
    conv = Conversation(lang)
    await conv.start("complaint", "file_complaint")
    await conv.say("You never answered my request about my data")
    # A typed stop with answers given asks first, and loses nothing yet; the Cancel button stops.
    assert await conv.say("stop", "stop", 0.99) == "ok"
    assert conv.slots["case_description"] and [b["payload"] for b in conv.buttons()] == ["/stop"]
    assert await conv.say("/stop", "stop", 1.0) == "rejected"
    await conv.interrupt("action_stop_flow")
    assert conv.active_loop is None
    assert all(conv.slots[s] is None for s in ("flow", "case_description", "requested_slot"))
    assert {"sv": "Inget har skickats", "nb": "Ingenting er sendt", "en": "Nothing was sent"}[lang] in conv.said()


@pytest.mark.parametrize("lang,target", [("sv", "database"), ("nb", "application"), ("en", "application"),
                                         ("en", "database")])
async def test_application_withdrawal(backend: BackendProcess, lang: str, target: str) -> None:
    conv = Conversation(lang)
    await conv.start("withdraw", "withdraw_application")
    assert conv.slots["requested_slot"] == "withdrawal_target"
    assert [b["payload"] for b in conv.buttons()] == ["application", "database"]
    mark = len(conv.sent)
    await conv.say(target)
    explained = conv.said(mark)
    assert ("360" in explained) if target == "database" else ("3" in explained)
    if target == "application":
        assert conv.slots["requested_slot"] == "application_position"
        await conv.say("Konsult, Amesto Solutions AB")
    await fill_identity(conv, lang)
    await conv.say(USER[lang]["yes"], "affirm", 0.99)
    reference = await verify_with_outbox(conv, backend)
    assert REFERENCE.fullmatch(reference)
    assert conv.slots["filing_status"] == "filed"


@pytest.mark.parametrize("lang,text,intent", [
    ("sv", "radera min ansökan", "request_erasure"),
    ("nb", "slett søknaden min", "withdraw_application"),
    ("en", "delete my application", "withdraw_application"),
])
async def test_delete_my_application_asks_which(lang: str, text: str, intent: str) -> None:
    conv = Conversation(lang)
    await conv.start(text, intent)
    assert conv.slots["flow"] == "choose_delete" and conv.active_loop is None
    payloads = [b["payload"] for b in conv.buttons()]
    assert payloads == ['/withdraw_application{"withdrawal_target":"application"}',
                        '/withdraw_application{"withdrawal_target":"database"}', "/request_erasure"]
    # Clicking "the recruitment database" starts the withdrawal with the target known.
    await conv.start(payloads[1], "withdraw_application",
                     entities=[{"entity": "withdrawal_target", "value": "database"}])
    assert conv.slots["withdrawal_target"] == "database"
    assert conv.slots["requested_slot"] == "requester_name"


@pytest.mark.parametrize("lang", ["sv", "nb", "en"])
async def test_anonymous_incident_with_receipt(backend: BackendProcess, lang: str) -> None:
    conv = Conversation(lang)
    await conv.start("data breach", "report_incident")
    await conv.say("A laptop with a customer list was stolen from a car")
    assert conv.slots["requested_slot"] == "incident_aware_at"
    mark = len(conv.sent)
    await conv.say(USER[lang]["future"])
    assert conv.slots["incident_aware_at"] is None  # never a future time
    assert conv.slots["requested_slot"] == "incident_aware_at"
    await conv.say(USER[lang]["when"])
    assert conv.slots["incident_aware_at"] and conv.slots["incident_aware_at"].endswith("+00:00")
    await conv.say("names and phone numbers")
    await conv.say("about 200")
    await conv.say("/deny", "deny", 1.0)  # encrypted? no
    await conv.say(USER[lang]["dont_know"])  # contained? don't know
    assert conv.slots["incident_encrypted"] == "no" and conv.slots["incident_contained"] == "unknown"
    await conv.say("/affirm", "affirm", 1.0)  # anonymous
    assert conv.slots["requested_slot"] == "confirm_summary"
    mark = len(conv.sent)
    await conv.say(USER[lang]["yes"], "affirm", 0.99)
    said = conv.said(mark)
    receipt = re.search(r"\b(\d{16})\b", said)
    assert receipt, said
    reference = REFERENCE.search(said).group(0)
    assert conv.active_loop is None and conv.slots["filing_status"] == "filed"
    assert all(conv.slots[s] is None for s in ("case_description", "incident_aware_at", "idempotency_key"))

    # The receipt works for the status look-up, through the status form.
    status_conv = Conversation(lang)
    await status_conv.start(f"status {reference}", "check_case_status",
                            entities=[{"entity": "case_reference", "value": reference}])
    assert status_conv.slots["status_reference"] == reference
    assert status_conv.slots["requested_slot"] == "status_method"
    await status_conv.say("receipt")
    mark = len(status_conv.sent)
    await status_conv.say(receipt.group(1))
    assert reference in status_conv.said(mark)
    assert status_conv.active_loop is None and status_conv.slots["status_reference"] is None


@pytest.mark.parametrize("lang", ["sv", "en"])
async def test_teams_staff_incident_is_prefilled(backend: BackendProcess, lang: str) -> None:
    metadata = {"language": lang, "is_staff": True, "user": {"name": "Per Persson", "email": "per@amesto.example"}}
    conv = Conversation(lang, metadata=metadata, is_staff=True)
    await conv.start("incident", "report_incident")
    for answer in ("Wrong recipient for a payroll file", USER[lang]["when"], "salary data", "3"):
        await conv.say(answer)
    await conv.say("/affirm", "affirm", 1.0)
    await conv.say("/affirm", "affirm", 1.0)
    assert "Per Persson" in conv.sent[-1]["text"]  # "signed in as ..."
    await conv.say("/deny", "deny", 1.0)  # not anonymous: identity from Teams, no name/e-mail questions
    assert conv.slots["requested_slot"] == "confirm_summary"
    assert conv.slots["requester_email"] == "per@amesto.example"
    mark = len(conv.sent)
    await conv.say(USER[lang]["yes"], "affirm", 0.99)
    said = conv.said(mark)
    assert REFERENCE.search(said) and conv.active_loop is None  # filed open, no code needed
    assert conv.slots["filing_status"] == "filed"


@pytest.mark.parametrize("lang", ["nb", "en"])
async def test_misconduct_anonymous_and_complaint_named(backend: BackendProcess, lang: str) -> None:
    conv = Conversation(lang)
    await conv.start("misconduct", "report_misconduct")
    await conv.say("A manager shares customer data without a contract")
    await conv.say("anonym")
    await conv.say(USER[lang]["yes"], "affirm", 0.99)
    assert re.search(r"\b\d{16}\b", conv.said()) and conv.slots["filing_status"] == "filed"
    assert MONTH_DATE[lang].search(conv.said())  # acknowledgement date

    conv = Conversation(lang)
    await conv.start("complaint", "file_complaint")
    await conv.say("You never answered my access request")
    await fill_identity(conv, lang)
    await conv.say(USER[lang]["yes"], "affirm", 0.99)
    mark = len(conv.sent)
    await verify_with_outbox(conv, backend)
    assert {"sv": "IMY", "nb": "Datatilsynet", "en": "Datatilsynet"}[lang] in conv.said(mark)


@pytest.mark.parametrize("lang", ["sv", "nb", "en"])
async def test_case_status_with_email_code(backend: BackendProcess, lang: str) -> None:
    conv = Conversation(lang)
    await conv.start("access", "request_access")
    email = await fill_identity(conv, lang)
    await conv.say(USER[lang]["yes"], "affirm", 0.99)
    reference = await verify_with_outbox(conv, backend)

    status = Conversation(lang)
    await status.start("what is the status of my case", "check_case_status")
    assert status.slots["requested_slot"] == "status_reference"
    await status.say(reference.lower().replace("-", " "))  # typed loosely
    assert status.slots["status_reference"] == reference
    await status.say("email")
    before = backend.code_count(reference)
    await status.say(email)
    assert status.slots["requested_slot"] == "status_code"
    code = backend.latest_code(reference, after=before)
    mark = len(status.sent)
    await status.say(code)
    assert reference in status.said(mark)
    assert {"sv": "mottaget", "nb": "mottatt", "en": "received"}[lang] in status.said(mark)
    assert status.active_loop is None and status.slots["status_email"] is None


APOLOGY = {"sv": ("svarar inte just nu", "sparade"), "nb": ("svarer ikke akkurat nå", "lagret"),
           "en": ("not answering right now", "saved")}


@pytest.mark.parametrize("lang, change", [("sv", "ändra"), ("nb", "fra start"), ("en", "start again")])
async def test_status_check_recovers_from_a_mistyped_address(backend: BackendProcess, lang: str, change: str) -> None:
    """Seen: after a typo in the address no code arrives, and "change" or the corrected address got
    "The code has 6 digits" for ever."""
    conv = Conversation(lang)
    await conv.start("access", "request_access")
    email = await fill_identity(conv, lang)
    await conv.say(USER[lang]["yes"], "affirm", 0.99)
    reference = await verify_with_outbox(conv, backend)

    status = Conversation(lang)
    await status.start("status of my case", "check_case_status")
    await status.say(reference)
    await status.say("email")
    local, domain = email.split("@")
    await status.say(f"{local}@{domain.replace('example', 'exmaple')}")  # valid, but not the case's address
    assert status.slots["requested_slot"] == "status_code"
    assert await status.say(change, "restart_form", 0.9) == "ok"
    assert status.slots["requested_slot"] == "status_email"
    before = backend.code_count(reference)
    await status.say(email)
    assert status.slots["requested_slot"] == "status_code"
    await status.say(f"{local}@{domain.replace('example', 'exmaple')}")
    assert status.slots["requested_slot"] == "status_code"
    # The corrected address in a sentence, while the code is asked for, sends a new code to it.
    assert await status.say(f"sorry, it should be {email}", "correct_value", 0.9) == "ok"
    mark = len(status.sent)
    await status.say(backend.latest_code(reference, after=before))
    assert reference in status.said(mark)


@pytest.mark.parametrize("lang", ["sv", "en"])
async def test_a_second_request_reuses_the_verified_name_and_address(backend: BackendProcess, lang: str) -> None:
    conv = Conversation(lang)
    await conv.start(USER[lang]["access"], "request_access")
    email = await fill_identity(conv, lang)
    await conv.say(USER[lang]["yes"], "affirm", 0.99)
    await verify_with_outbox(conv, backend)
    assert conv.slots["requester_email"] is None  # the case's own slots are cleared ...

    mark = len(conv.sent)
    await conv.start("complaint", "file_complaint")  # ... and the next request shows, not asks, who it is
    assert email in conv.said(mark) and USER[lang]["name"] in conv.said(mark)
    assert conv.slots["requester_email"] == email and conv.slots["requester_name"] == USER[lang]["name"]
    assert conv.slots["requested_slot"] == "case_description"
    await conv.say("You never answered my access request from last spring")
    assert conv.slots["requested_slot"] == "confirm_summary"


@pytest.mark.parametrize("lang, same", [("sv", "samma som förut"), ("nb", "samme som før"), ("en", "same as before")])
async def test_same_as_before_takes_the_verified_name_and_address(backend: BackendProcess, lang: str,
                                                                   same: str) -> None:
    conv = Conversation(lang)
    await conv.start(USER[lang]["access"], "request_access")
    email = await fill_identity(conv, lang)
    await conv.say(USER[lang]["yes"], "affirm", 0.99)
    await verify_with_outbox(conv, backend)
    # A named misconduct report asks who reports (no identity shown up front there): "same as before".
    await conv.start("misconduct", "report_misconduct")
    await conv.say("My manager shares the salary list of the whole team with outside consultants")
    await conv.say("/deny", "deny", 1.0)  # not anonymous
    assert conv.slots["requested_slot"] == "requester_name"
    assert await conv.say(same, "stop", 0.7) == "ok"  # heard as a stop by a weak NLU: still the answer
    assert conv.slots["requester_name"] == USER[lang]["name"]
    await conv.say(same)
    assert conv.slots["requester_email"] == email and conv.slots["requested_slot"] == "confirm_summary"


async def test_same_as_before_without_an_earlier_request_asks_again() -> None:
    conv = Conversation("en")
    await conv.start(USER["en"]["access"], "request_access")
    mark = len(conv.sent)
    await conv.say("same as before")
    assert conv.slots["requester_name"] is None and "earlier in this conversation" in conv.said(mark)
    assert conv.slots["requested_slot"] == "requester_name"


@pytest.mark.parametrize("lang, answer, question, kept, told", [
    ("sv", "namn och e-post, måste vi meddela kunderna?", "faq/security_measures", "namn och e-post", "72 timmar"),
    ("nb", "ca 200, må vi si fra til dem?", "faq/security_measures", "ca 200", "72 timer"),
    ("en", "names and salaries, do we have to tell the authority?", "faq/complaint_authority", "names and salaries",
     "72 hours"),
    ("sv", "namn och adresser, hur skyddar ni sådant?", "faq/security_measures", "namn och adresser", "("),
])
async def test_an_answer_with_a_policy_question_keeps_the_answer_and_answers(backend: BackendProcess, lang: str,
                                                                             answer: str, question: str,
                                                                             kept: str, told: str) -> None:
    """In an incident report, "do we have to tell them / the authority?" is answered with the team's 72-hour
    assessment (seen: the complaint route); any other question with its policy topic."""
    conv = Conversation(lang)
    await conv.start("incident", "report_incident")
    await conv.say("A laptop with a customer list was stolen from a car")
    await conv.say(USER[lang]["when"])
    if "200" in answer:
        await conv.say("names and phone numbers")
    slot = conv.slots["requested_slot"]
    selector = {"response_selector": {"faq": {
        "response": {"intent_response_key": question, "confidence": 0.97},
        "ranking": [{"intent_response_key": question, "confidence": 0.97}]}}}
    mark = len(conv.sent)
    assert await conv.say(answer, "faq", 0.99, parse=selector) == "ok"
    assert conv.slots[slot] == kept
    said = conv.said(mark)
    assert told in said and conv.slots["requested_slot"] != slot  # (a policy answer cites its section); next question


@pytest.mark.parametrize("lang, report, count, kinds", [
    ("en", "I think I messed up. yesterday afternoon I emailed a spreadsheet with customer data to the wrong "
           "person, it had names and phone numbers of maybe 200 customers. what do i do", "maybe 200 customers",
     "names, phone numbers"),
    ("nb", "Jeg sendte lønnslista til feil mottaker for 2 timer siden, en ekstern kunde. Den inneholder navn og "
           "kontonummer for 12 ansatte i avdelingen.", "12 ansatte", "navn, kontonummer"),
    # A list of 300 names is about 300 people (seen: asked "how many?" again).
    ("sv", "Jag vill anmäla en incident: för en timme sedan skickade en kollega vår kundlista med 300 namn och "
           "e-postadresser till fel leverantör", "300 namn", "namn, e-postadresser"),
])
async def test_an_incident_report_in_the_opening_answers_when_how_many_and_which_data(lang: str, report: str,
                                                                                     count: str, kinds: str) -> None:
    conv = Conversation(lang)
    await conv.start(report, "report_incident")
    assert conv.slots["case_description"] and conv.slots["incident_people_count"] == count
    assert conv.slots["incident_aware_at"] and conv.slots["incident_aware_at"].endswith("+00:00")
    assert conv.slots["incident_data_types"] == kinds
    assert conv.slots["requested_slot"] == "incident_encrypted"


async def test_an_unverified_address_is_not_reused() -> None:
    conv = Conversation("en")
    await conv.start(USER["en"]["access"], "request_access")
    assert await conv.say(USER["en"]["name"]) == "ok"
    await conv.say(unique_email("en"))
    assert await conv.say("stop", "stop", 0.99) == "ok"
    await conv.say("/stop", "stop", 1.0)
    await conv.interrupt("action_stop_flow")
    await conv.start("complaint", "file_complaint")
    assert conv.slots["requester_email"] is None


@pytest.mark.parametrize("lang", ["sv", "nb", "en"])
async def test_backend_outage_keeps_answers_and_files_once(backend: BackendProcess, lang: str) -> None:
    before = len(backend.cases())
    conv = Conversation(lang)
    await conv.start(USER[lang]["access"], "request_access")
    email = await fill_identity(conv, lang)

    backend.stop()
    try:
        mark = len(conv.sent)
        await conv.say(USER[lang]["yes"], "affirm", 0.99)
        said = conv.said(mark)
        assert all(part in said for part in APOLOGY[lang]), said  # the apology, in the user's language
        assert [b["payload"] for b in conv.buttons()] == ["/retry", "/stop"]
        assert conv.slots["filing_status"] == "backend_down"
        key = conv.slots["idempotency_key"]
        assert key and conv.slots["requester_email"] == email
        assert conv.slots["confirm_summary"] == "yes"
    finally:
        backend.start()

    # "Try again": the retry rule runs action_file_case again, with the same key.
    conv.set_message("/retry", "retry", 1.0)
    await conv.file_case()
    assert conv.slots["filing_status"] == "awaiting_verification"
    assert conv.slots["idempotency_key"] == key
    reference = conv.slots["filed_reference"]
    # A second "try again" (e.g. the answer got lost) replays instead of filing a second case.
    await conv.run("action_file_case")
    assert conv.slots["filed_reference"] == reference
    after = backend.cases()
    assert len(after) == before + 1
    assert [c["reference"] for c in after].count(reference) == 1
    await verify_with_outbox(conv, backend)
    assert conv.slots["filing_status"] == "filed"


@pytest.mark.parametrize("lang", ["sv", "nb", "en"])
async def test_a_filing_whose_turn_was_lost_is_not_filed_twice(backend: BackendProcess, lang: str) -> None:
    """Rasa died while the filing call was in flight: the backend filed the case, but none of the turn's
    events (the confirmation, the reference) were stored. The user confirms again from the stored state and
    gets the same case, because the key was stored with the summary, a turn earlier."""
    before = len(backend.cases())
    conv = Conversation(lang)
    await conv.start(USER[lang]["access"], "request_access")
    await fill_identity(conv, lang)
    assert conv.slots["requested_slot"] == "confirm_summary"
    assert conv.slots["idempotency_key"], "the summary did not store the filing key"
    stored = dict(conv.slots), conv.active_loop

    await conv.say(USER[lang]["yes"], "affirm", 0.99)
    reference = conv.slots["filed_reference"]
    assert reference

    conv.slots, conv.active_loop = dict(stored[0]), stored[1]  # the tracker as the store had it
    await conv.say(USER[lang]["yes"], "affirm", 0.99)
    assert conv.slots["filed_reference"] == reference
    after = backend.cases()
    assert len(after) == before + 1 and [c["reference"] for c in after].count(reference) == 1


def test_the_filing_key_follows_the_answers() -> None:
    request = {"case_type": "access", "requester": {"name": "Eva Lind", "email": "eva@example.se"}}
    corrected = {"case_type": "access", "requester": {"name": "Eva Lind", "email": "eva.lind@example.se"}}
    key = filing_key("nonce-1", request)
    assert key == filing_key("nonce-1", dict(request)) and 8 <= len(key) <= 128
    assert key != filing_key("nonce-1", corrected) and key != filing_key("nonce-2", request)
    assert "eva" not in key


async def test_names_that_look_like_a_language_switch_are_still_names() -> None:
    """"Anna Svensson" can be classified as switch_language; it must be accepted as the name, while a real
    switch request at a question is answered and the question asked again, without counting a failure."""
    conv = Conversation("sv")
    await conv.start("registerutdrag", "request_access")
    assert await conv.say("Anna Svensson", "switch_language", 0.9) == "ok"
    assert conv.slots["requester_name"] == "Anna Svensson"
    conv.slots["language"] = "en"  # what actions/language.py does for an explicit request
    mark = len(conv.sent)
    assert await conv.say("can we speak English?", "switch_language", 0.95) == "ok"
    assert conv.slots["requested_slot"] == "requester_email" and not conv.slots.get("failed_attempts")
    assert conv.sent[mark] == {**conv.sent[mark], "response": "utter_language_switched"}
    assert "Which e-mail address" in conv.said(mark)


async def test_a_code_is_a_code_whatever_the_nlu_thinks(backend: BackendProcess) -> None:
    """Digits classified as another intent (seen: a code as human_handoff) still fill the code slot;
    "send a new code" is an interruption."""
    conv = Conversation("en")
    await conv.start("access", "request_access")
    await fill_identity(conv, "en")
    await conv.say("yes", "affirm", 0.99)
    reference = conv.slots["filed_reference"]
    assert await conv.say("send a new code", "resend_code", 0.97) == "rejected"
    mark = len(conv.sent)
    assert await conv.say(backend.latest_code(reference), "human_handoff", 0.97) == "ok"
    assert reference in conv.said(mark) and conv.slots["filing_status"] == "filed"


@pytest.mark.parametrize("lang", ["sv", "en"])
async def test_teams_incident_card_prefills_the_form(backend: BackendProcess, lang: str) -> None:
    metadata = {"language": lang, "is_staff": True, "card_id": "incident_report", "card_errors": {},
                "user": {"name": "Per Persson", "email": None, "upn": "per@amesto.example"},
                "card_values": {"what_happened": "A payroll file went to the wrong recipient",
                                "discovered_date": "2026-01-05", "discovered_time": "09:30",
                                "discovered_local": "2026-01-05T09:30", "data_kinds": ["financial", "contact_details"],
                                "people_count": 12, "encrypted": "no", "contained": "yes", "anonymous": False,
                                "language": lang}}
    conv = Conversation(lang, metadata=metadata, is_staff=True)
    await conv.start("/card_submitted", "card_submitted")
    assert conv.slots["requested_slot"] == "confirm_summary"  # everything else came from the card
    assert conv.slots["incident_aware_at"] == "2026-01-05T08:30:00+00:00"  # 09:30 local, winter time
    assert conv.slots["requester_email"] == "per@amesto.example" and conv.slots["identity_from_channel"]
    mark = len(conv.sent)
    await conv.say("/affirm", "affirm", 1.0)
    assert REFERENCE.search(conv.said(mark)) and conv.slots["filing_status"] == "filed"

    broken = Conversation(lang, metadata={**metadata, "card_errors": {"what_happened": "too_short"}}, is_staff=True)
    await broken.start("/card_submitted", "card_submitted")
    assert broken.slots["requested_slot"] == "case_description"  # asked in the chat instead


class InProcessBackend:
    """The backend in-process on a real socket (aiohttp TestServer) with a clock the test moves."""

    def __init__(self, services, settings, clock) -> None:
        self.services, self.settings, self.clock = services, settings, clock

    async def latest_code(self) -> str:
        import email as _email
        import email.policy as _policy

        from tests.actions.flow_harness import CODE_RE, body_of

        await self.services.drain()
        mails = [_email.message_from_bytes(p.read_bytes(), policy=_policy.default)
                 for p in sorted(self.settings.outbox_dir.glob("*.eml"))]
        codes = [CODE_RE.search(body_of(m)) for m in mails]
        return [c.group(1) for c in codes if c][-1]


@pytest.fixture
async def clocked_backend(tmp_path):
    import secrets as _secrets
    from datetime import datetime as _dt, timezone as _tz

    from aiohttp.test_utils import TestServer
    from cryptography.fernet import Fernet

    from actions.backend_client import BackendClient, BackendConfig
    from backend.app import create_app
    from backend.config import Settings
    from backend.mailer import OutboxMailer
    from backend.migrations import upgrade
    from backend.services import build_services

    class Clock:
        now = _dt.now(_tz.utc)

        def __call__(self) -> _dt:
            return self.now

    clock = Clock()
    url = f"sqlite:///{tmp_path / 'backend.db'}"
    upgrade(url)
    settings = Settings(app_env="test", database_url=url, service_token="svc-" + _secrets.token_urlsafe(24),
                        field_encryption_keys=(Fernet.generate_key().decode("ascii"),),
                        blind_index_key=_secrets.token_urlsafe(32), outbox_dir=tmp_path / "outbox")
    services = build_services(settings, mailer=OutboxMailer(settings.outbox_dir), clock=clock)
    server = TestServer(create_app(settings, services), host="127.0.0.1")
    await server.start_server()
    client = BackendClient(BackendConfig(base_url=str(server.make_url("")).rstrip("/"),
                                         service_token=settings.service_token))
    set_backend_client(client)
    try:
        yield InProcessBackend(services, settings, clock)
    finally:
        await client.close()
        set_backend_client(None)
        await server.close()
        services.close()


async def test_expired_code_asks_for_a_new_one(clocked_backend: InProcessBackend) -> None:
    from datetime import timedelta as _td

    conv = Conversation("sv")
    await conv.start("registerutdrag", "request_access")
    await fill_identity(conv, "sv")
    await conv.say("ja", "affirm", 0.99)
    code = await clocked_backend.latest_code()
    clocked_backend.clock.now += _td(minutes=11)
    mark = len(conv.sent)
    await conv.say(code)
    assert "Koden har gått ut" in conv.said(mark) and "skicka ny kod" in conv.said(mark)
    assert conv.active_loop == "verification_form" and conv.slots["verification_code"] is None


async def test_resend_code_after_a_minute(clocked_backend: InProcessBackend) -> None:
    """A new code once the backend's 60 s resend interval has passed: the old code stops working, the new
    one files the case."""
    from datetime import timedelta as _td

    conv = Conversation("nb")
    await conv.start("innsyn", "request_access")
    await fill_identity(conv, "nb")
    await conv.say("ja", "affirm", 0.99)
    reference = conv.slots["filed_reference"]
    first_code = await clocked_backend.latest_code()
    clocked_backend.clock.now += _td(seconds=61)
    mark = len(conv.sent)
    assert await conv.say("send ny kode", "resend_code", 0.99) == "rejected"
    await conv.interrupt("action_resend_code")
    assert "ny kode" in conv.said(mark)
    new_code = await clocked_backend.latest_code()
    if new_code != first_code:
        mark = len(conv.sent)
        await conv.say(first_code)
        assert "stemmer ikke" in conv.said(mark)
    mark = len(conv.sent)
    await conv.say(new_code)
    assert reference in conv.said(mark) and conv.slots["filing_status"] == "filed"


async def test_answers_that_look_like_interruptions() -> None:
    """Seen with the real NLU: "Consultant, Amesto Solutions AS" classified as faq and "alt sammen" (to
    "should we erase everything?") as stop. Both are answers; a real question or "avbryt" still interrupts."""
    conv = Conversation("en")
    await conv.start("I want to withdraw my application", "withdraw_application")
    assert conv.slots["requested_slot"] == "application_position"
    assert await conv.say("How long do you keep my CV?", "faq", 0.9) == "rejected"
    assert await conv.say("Consultant, Amesto Solutions AS", "faq", 0.7) == "ok"
    assert conv.slots["application_position"] == "Consultant, Amesto Solutions AS"

    conv = Conversation("nb")
    await conv.start("slett opplysningene mine", "request_erasure")
    assert conv.slots["requested_slot"] == "case_description"
    assert await conv.say("alt sammen", "stop", 0.8) == "ok"
    assert conv.slots["case_description"] == "alt sammen"
    assert await conv.say("avbryt", "stop", 0.99) == "ok"  # answers given: "do you want to stop?" first
    assert conv.slots["case_description"] == "alt sammen" and conv.buttons()[0]["payload"] == "/stop"


@pytest.mark.parametrize("lang, typo, told", [
    ("sv", "anna.lindqvist@exmaple", "Efter @ saknas"),
    ("nb", "kari.nordmann.example.no", "trenger en @"),
    ("en", "jane.smith@example", "needs an ending"),
])
async def test_an_email_typo_gets_a_correction_never_a_stop(lang: str, typo: str, told: str) -> None:
    """Seen with the real NLU: "anna.lindqvist@exmaple" classified as stop threw the request away."""
    conv = Conversation(lang)
    await conv.start(USER[lang]["access"], "request_access")
    assert await conv.say(USER[lang]["name"]) == "ok"
    mark = len(conv.sent)
    assert await conv.say(typo, "stop", 0.9) == "ok"
    assert told in conv.said(mark)
    assert conv.slots["requested_slot"] == "requester_email" and conv.slots["requester_email"] is None
    fixed = {"sv": "oj förlåt, det ska vara anna.lindqvist@example.se", "nb": "beklager, kari.nordmann@example.no",
             "en": "sorry, it should be jane.smith@example.com"}[lang]
    assert await conv.say(fixed, "correct_value", 0.7) == "ok"
    assert conv.slots["requester_email"] == fixed.split()[-1]


@pytest.mark.parametrize("typo, meant", [("anna@example,se", "anna@example.se"), ("per.olsen@gmial.com", "per.olsen@gmail.com")])
async def test_a_mendable_email_typo_is_offered_as_a_button(typo: str, meant: str) -> None:
    conv = Conversation("sv")
    await conv.start(USER["sv"]["access"], "request_access")
    assert await conv.say(USER["sv"]["name"]) == "ok"
    mark = len(conv.sent)
    assert await conv.say(typo, "stop", 0.9) == "ok"
    assert f"Menade du {meant}?" in conv.said(mark)
    assert [b["payload"] for b in conv.buttons()][0] == meant
    assert await conv.say(meant) == "ok"
    assert conv.slots["requester_email"] == meant


async def test_a_valid_address_that_looks_misspelt_is_taken_when_sent_again() -> None:
    conv = Conversation("en")
    await conv.start(USER["en"]["access"], "request_access")
    assert await conv.say(USER["en"]["name"]) == "ok"
    assert await conv.say("ola@hotmial.no") == "ok"
    assert [b["payload"] for b in conv.buttons()] == ["ola@hotmail.no", "ola@hotmial.no"]
    assert conv.slots["requester_email"] is None
    assert await conv.say("ola@hotmial.no") == "ok"
    assert conv.slots["requester_email"] == "ola@hotmial.no"


@pytest.mark.parametrize("lang, text", [("nb", "nei forresten, glem det"), ("nb", "æ vil ikkje likevel, glem det"),
                                        ("sv", "äh, strunt i det"), ("en", "never mind, forget it")])
async def test_a_stop_in_words_is_asked_about_and_never_stored(lang: str, text: str) -> None:
    """Seen: "æ vil ikkje likevel, glem det" stored as the name. The NLU may not be sure it is a stop; the
    form then asks with a Cancel button and keeps the answers given so far."""
    conv = Conversation(lang)
    await conv.start(USER[lang]["access"], "request_access")
    mark = len(conv.sent)
    assert await conv.say(text, "deny", 0.5) == "ok"
    assert conv.slots["requester_name"] is None and conv.slots["requested_slot"] == "requester_name"
    assert [b["payload"] for b in conv.buttons()] == ["/stop"]
    assert conv.slots["right"] == "access"  # nothing is lost until the user taps Cancel
    assert {"sv": "Vill du avbryta?", "nb": "Vil du avbryte?", "en": "Do you want to stop?"}[lang] in conv.said(mark)


@pytest.mark.parametrize("answer", ["ja", "nej", "stopp"])
async def test_yes_no_and_commands_are_no_names(answer: str) -> None:
    conv = Conversation("sv")
    await conv.start(USER["sv"]["access"], "request_access")
    await conv.say(answer, "affirm", 0.5)
    assert conv.slots["requester_name"] is None and conv.slots["requested_slot"] == "requester_name"


async def test_name_and_email_in_one_answer_fill_both() -> None:
    conv = Conversation("sv")
    await conv.start(USER["sv"]["access"], "request_access")
    assert await conv.say("Anna Lindqvist, anna.lindqvist@example.se") == "ok"
    assert conv.slots["requester_name"] == "Anna Lindqvist"
    assert conv.slots["requester_email"] == "anna.lindqvist@example.se"
    assert conv.slots["requested_slot"] == "confirm_summary"


async def test_name_and_email_given_for_the_scope_are_kept_for_their_questions() -> None:
    """Seen: "Anna Lindqvist, anna.lindqvist@example.se" stored as the erasure scope."""
    conv = Conversation("sv")
    await conv.start("radera mina uppgifter", "request_erasure")
    assert conv.slots["requested_slot"] == "case_description"
    mark = len(conv.sent)
    assert await conv.say("Anna Lindqvist, anna.lindqvist@example.se") == "ok"
    assert conv.slots["case_description"] is None and conv.slots["requested_slot"] == "case_description"
    assert (conv.slots["requester_name"], conv.slots["requester_email"]) == ("Anna Lindqvist", "anna.lindqvist@example.se")
    assert "noterat ditt namn och din e-postadress" in conv.said(mark)
    assert await conv.say("allt") == "ok"
    assert conv.slots["requested_slot"] == "confirm_summary"


async def test_a_caveat_instead_of_yes_or_no_is_kept_in_the_description(backend: BackendProcess) -> None:
    """Seen: "I asked him to delete it but he hasn't confirmed yet" got "Please answer yes, no or don't know"."""
    conv = Conversation("en")
    await conv.start("I sent a file with customer data to the wrong person", "report_incident")
    await conv.say("A spreadsheet with customer names went to the wrong address")
    await conv.say("yesterday at 3 pm")
    await conv.say("names and phone numbers")
    await conv.say("about 40")
    await conv.say("no", "deny", 0.95)
    assert conv.slots["requested_slot"] == "incident_contained"
    assert await conv.say("I asked him to delete it but he hasn't confirmed yet") == "ok"
    assert conv.slots["incident_contained"] == "unknown"
    assert "he hasn't confirmed yet" in conv.slots["case_description"]
    assert conv.slots["requested_slot"] == "reporter_anonymous"


async def test_an_email_given_for_another_question_is_kept_for_its_own() -> None:
    """Seen in a consent withdrawal: the e-mail address stored as the description."""
    conv = Conversation("en")
    await conv.start("I want to withdraw my consent", "withdraw_consent")
    assert conv.slots["requested_slot"] == "case_description"
    mark = len(conv.sent)
    assert await conv.say("jane.smith@example.com") == "ok"
    assert conv.slots["case_description"] is None and conv.slots["requested_slot"] == "case_description"
    assert conv.slots["requester_email"] == "jane.smith@example.com"
    assert "noted the e-mail address" in conv.said(mark)


@pytest.mark.parametrize("lang, text, intent, description", [
    ("sv", "radera mina uppgifter, allt", "request_erasure", "radera mina uppgifter, allt"),
    ("nb", "trekk samtykket mitt til nyhetsbrevet", "withdraw_consent", "trekk samtykket mitt til nyhetsbrevet"),
    ("en", "I object to you using my data for marketing", "request_objection",
     "I object to you using my data for marketing"),
])
async def test_what_the_opening_message_says_is_not_asked_again(lang: str, text: str, intent: str,
                                                                 description: str) -> None:
    conv = Conversation(lang)
    await conv.start(text, intent)
    assert conv.slots["case_description"] == description
    assert conv.slots["requested_slot"] == "requester_name"


@pytest.mark.parametrize("lang, text, intent", [("sv", "radera mina uppgifter", "request_erasure"),
                                                ("en", "I want to withdraw my consent", "withdraw_consent")])
async def test_an_opening_without_the_answer_gets_the_question(lang: str, text: str, intent: str) -> None:
    conv = Conversation(lang)
    await conv.start(text, intent)
    assert conv.slots["case_description"] is None and conv.slots["requested_slot"] == "case_description"


async def test_an_incident_told_in_full_at_the_start_is_not_asked_what_happened() -> None:
    report = ("I think I messed up. yesterday afternoon I emailed a spreadsheet with customer data to the wrong "
              "person, it had names and phone numbers, what do i do")
    conv = Conversation("en")
    await conv.start(report, "report_incident")
    assert conv.slots["case_description"] == report
    # "yesterday afternoon" answers "when?" too (shown as understood), "names and phone numbers" which data;
    # the next question is how many.
    assert conv.slots["incident_aware_at"] and conv.slots["incident_data_types"] == "names, phone numbers"
    assert conv.slots["requested_slot"] == "incident_people_count"


async def test_a_name_classified_as_stop_is_still_a_name() -> None:
    conv = Conversation("en")
    await conv.start("my data", "request_access")
    assert await conv.say("Jane Smith", "stop", 0.8) == "ok"
    assert conv.slots["requester_name"] == "Jane Smith"
    conv2 = Conversation("sv")
    await conv2.start("mina uppgifter", "request_access")
    assert await conv2.say("Avbryt", "stop", 0.99) == "rejected"
    assert await conv2.say("jag vill avbryta", "stop", 0.99) == "rejected"


DETOURS = {
    "sv": {"erase": "radera mina uppgifter hos er", "faq": "hur länge sparar ni min ansökan?",
           "weather": "vad blir det för väder i morgon?", "incident": "jag vill också anmäla en dataläcka",
           "offer": "Vill du börja med det nu?", "off_topic": "handla om något annat"},
    "nb": {"erase": "slett opplysningene mine hos dere", "faq": "hvor lenge lagrer dere søknaden min?",
           "weather": "hvordan blir været i morgen?", "incident": "jeg vil også melde et sikkerhetsbrudd",
           "offer": "Vil du begynne på den nå?", "off_topic": "handle om noe annet"},
    "en": {"erase": "delete my data from your systems", "faq": "how long do you keep my application?",
           "weather": "what's the weather like tomorrow?", "incident": "I also need to report a data breach",
           "offer": "Would you like to start on it now?", "off_topic": "about something else"},
}


@pytest.mark.parametrize("lang", ["sv", "nb", "en"])
async def test_detours_in_the_middle_of_a_form_lose_nothing(backend: BackendProcess, lang: str) -> None:
    """At a free-text question: a policy question is answered (not saved as the answer), chatter is refused,
    and a different request is noted (not saved as the answer) and offered when this case is filed."""
    d = DETOURS[lang]
    conv = Conversation(lang)
    await conv.start(d["erase"], "request_erasure")
    assert conv.slots["requested_slot"] == "case_description"

    assert await conv.say(d["faq"], "faq", 0.9) == "rejected"
    assert conv.slots["case_description"] is None

    mark = len(conv.sent)
    assert await conv.say(d["weather"], "out_of_scope", 0.95) == "ok"  # taken by the form, refused by validation
    assert conv.slots["case_description"] is None and conv.slots["requested_slot"] == "case_description"
    assert d["off_topic"] in conv.said(mark)

    assert await conv.say({"sv": "allt", "nb": "alt", "en": "everything"}[lang]) == "ok"
    assert conv.slots["requested_slot"] == "requester_name"

    mark = len(conv.sent)
    assert await conv.say(d["incident"], "report_incident", 0.97) == "rejected"
    await conv.interrupt("action_note_other_request")
    assert conv.slots["pending_request"] == "report_incident"
    assert conv.slots["requester_name"] is None and conv.slots["case_description"]  # nothing lost, nothing taken
    assert conv.slots["requested_slot"] == "requester_name"
    assert GOAL_NAMES["incident:"][lang] in conv.said(mark) and GOAL_NAMES["rights:erasure"][lang] in conv.said(mark)

    await fill_identity(conv, lang)
    assert await conv.say(USER[lang]["yes"], "affirm", 0.99) == "ok"
    mark = len(conv.sent)
    reference = await verify_with_outbox(conv, backend)
    assert reference in conv.said(mark) and d["offer"] in conv.said(mark)
    assert conv.buttons() and conv.buttons()[-1]["payload"] == "/report_incident"
    assert conv.slots["pending_request"] is None


async def test_a_long_description_that_reads_like_another_request_is_the_description() -> None:
    conv = Conversation("en")
    await conv.start("I object to how you use my data", "request_objection")
    assert conv.slots["requested_slot"] == "case_description"
    long_text = ("you keep sending me marketing e-mails after I asked you to stop, please delete my e-mail "
                 "address from the marketing list and never contact me again about offers")
    assert await conv.say(long_text, "request_erasure", 0.95) == "ok"
    assert conv.slots["case_description"] == long_text


async def test_a_related_request_is_the_answer_not_a_new_request() -> None:
    conv = Conversation("sv")
    await conv.start("radera mina uppgifter", "request_erasure")
    assert await conv.say("ta bort min ansökan och mitt CV", "withdraw_application", 0.95) == "ok"
    assert conv.slots["case_description"] == "ta bort min ansökan och mitt CV"


async def test_an_answer_that_mentions_our_data_is_never_off_topic() -> None:
    conv = Conversation("nb")
    await conv.start("slett opplysningene mine", "request_erasure")
    assert await conv.say("bildene av meg fra firmafesten", "out_of_scope", 0.9) == "ok"
    assert conv.slots["case_description"] == "bildene av meg fra firmafesten"


@pytest.mark.parametrize("lang", ["sv", "en"])
async def test_stopping_offers_the_noted_request(lang: str) -> None:
    conv = Conversation(lang)
    await conv.start(USER[lang]["access"], "request_access")
    assert conv.slots["requested_slot"] == "requester_name"
    assert await conv.say(DETOURS[lang]["incident"], "report_incident", 0.97) == "rejected"
    await conv.interrupt("action_note_other_request")
    mark = len(conv.sent)
    conv.set_message({"sv": "avbryt", "en": "stop"}[lang], "stop", 0.99)
    await conv.interrupt("action_stop_flow")
    assert DETOURS[lang]["offer"] in conv.said(mark)
    assert conv.buttons()[-1]["payload"] == "/report_incident"
    assert conv.slots["pending_request"] is None and conv.slots["flow"] is None


TEAMS_CARD_VALUES = {"what_happened": "A payroll file went to the wrong recipient", "discovered_date": "2026-01-05",
                     "discovered_time": "09:30", "discovered_local": "2026-01-05T09:30",
                     "data_kinds": ["financial"], "people_count": 12, "encrypted": "no", "contained": "yes",
                     "anonymous": False}


@pytest.mark.parametrize("lang", ["sv", "nb", "en"])
async def test_teams_offers_the_incident_card_and_the_web_does_not(lang: str) -> None:
    metadata = {"language": lang, "is_staff": True, "user": {"name": "Per Persson", "email": "per@amesto.example"}}
    teams = Conversation(lang, metadata=metadata, is_staff=True, input_channel="teams")
    await teams.start("incident", "report_incident")
    cards = [m["custom"] for m in teams.sent if m.get("custom")]
    assert len(cards) == 1
    content = cards[0]["attachments"][0]["content"]
    assert content["type"] == "AdaptiveCard" and float(content["version"]) <= 1.5 and content.get("lang") == lang
    assert teams.slots["requested_slot"] == "case_description"  # the chat questions stay as the fallback

    web = Conversation(lang, input_channel="socketio")
    await web.start("incident", "report_incident")
    assert not [m for m in web.sent if m.get("custom")]


async def test_card_submitted_while_the_form_runs_uses_the_teams_identity(backend: BackendProcess) -> None:
    """In Rasa a running form does not re-validate pre-filled slots, so the start action itself must take the
    reporter's identity from Teams when the card says "not anonymous"."""
    metadata = {"language": "nb", "is_staff": True, "user": {"name": "Kari Nordmann", "email": "kari@amesto.example"}}
    conv = Conversation("nb", metadata=metadata, is_staff=True, input_channel="teams")
    await conv.start("jeg må melde et avvik", "report_incident")
    assert conv.active_loop == "incident_form"
    conv.metadata = {**metadata, "card_id": "incident_report", "card_errors": {},
                     "card_values": {**TEAMS_CARD_VALUES, "language": "nb"}}
    conv.set_message("/card_submitted", "card_submitted", 1.0)
    await conv.run("action_start_flow")
    await conv._form_step([{"event": "action", "name": "action_start_flow"},
                           {"event": "action", "name": "incident_form"}], reject_if_empty=False)
    assert conv.slots["requested_slot"] == "confirm_summary"
    assert conv.slots["requester_name"] == "Kari Nordmann" and conv.slots["identity_from_channel"] is True
    mark = len(conv.sent)
    await conv.say("ja", "affirm", 0.99)
    assert REFERENCE.search(conv.said(mark)) and conv.slots["filing_status"] == "filed"  # no e-mail code


@pytest.mark.parametrize("lang, aside, report", [
    ("sv", "vad händer med min anmälan sen?", "vår it-ansvarige läser hela ledningens mejl utan lov"),
    ("en", "what happens to my report after this?", "a manager reads his team's e-mail without asking"),
])
async def test_a_short_question_where_we_asked_what_happened_is_answered_not_filed(lang: str, aside: str,
                                                                                  report: str) -> None:
    conv = Conversation(lang)
    await conv.start("misconduct", "report_misconduct")
    assert conv.slots["requested_slot"] == "case_description"
    mark = len(conv.sent)
    await conv.say(aside, "check_case_status", 0.81)
    assert conv.slots["case_description"] is None and conv.slots["requested_slot"] == "case_description"
    assert len(conv.sent) - mark >= 2 and not conv.slots.get("failed_attempts")  # answered, asked again
    await conv.say(report)
    assert conv.slots["case_description"] == report


@pytest.mark.parametrize("lang, question", [
    ("sv", "måste vi anmäla det här till IMY?"), ("en", "btw how long do we keep course participants normally?"),
])
async def test_a_policy_question_at_a_yes_no_question_is_no_dont_know(lang: str, question: str) -> None:
    conv = Conversation(lang)
    await conv.start("A laptop with a customer list was stolen from a car", "report_incident")
    await conv.say(USER[lang]["when"])
    await conv.say("names and phone numbers")
    await conv.say("about 40")
    assert conv.slots["requested_slot"] == "incident_encrypted"
    assert await conv.say(question, "faq", 0.86) == "rejected"  # the FAQ rule answers; the form asks again
    assert conv.slots["incident_encrypted"] is None


async def test_a_question_about_the_yes_no_question_is_answered_not_taken_as_yes() -> None:
    conv = Conversation("sv")
    await conv.start("En laptop med en kundlista stals ur en bil", "report_incident")
    await conv.say(USER["sv"]["when"])
    await conv.say("namn och telefonnummer")
    await conv.say("cirka 40")
    assert conv.slots["requested_slot"] == "incident_encrypted"
    mark = len(conv.sent)
    await conv.say("vad menar du med krypterad här?", "faq", 0.48)  # below the interruption confidence
    assert conv.slots["incident_encrypted"] is None and conv.slots["requested_slot"] == "incident_encrypted"
    assert len(conv.sent) - mark >= 2  # an answer, then the question again
    await conv.say("nej")
    assert conv.slots["incident_encrypted"] == "no"


@pytest.mark.parametrize("lang, answer, anonymous", [
    ("sv", "jag vill inte att mitt namn kommer fram", "yes"), ("nb", "helst ikke navnet mitt", "yes"),
    ("en", "with my name", "no"), ("sv", "nej", "no"),
])
async def test_who_reports_is_read_from_the_users_words(lang: str, answer: str, anonymous: str) -> None:
    conv = Conversation(lang)
    await conv.start("misconduct", "report_misconduct")
    await conv.say("A manager shares customer data without a contract")
    assert conv.slots["requested_slot"] == "reporter_anonymous"
    await conv.say(answer)
    assert conv.slots["reporter_anonymous"] == anonymous


# ------------------------------------------------------------ wrong-field answers, tried again in sv / nb / en


@pytest.mark.parametrize("lang, text, yes", [
    ("sv", "jag vill återkalla mitt samtycke", "ja"),
    ("nb", "jeg vil trekke tilbake samtykket mitt", "ja"),
    ("en", "I want to withdraw my consent", "yes"),
])
async def test_a_bare_yes_is_not_the_consent_to_withdraw(lang: str, text: str, yes: str) -> None:
    """Seen: "ja" filed as the consent to withdraw ("Description: ja")."""
    conv = Conversation(lang)
    await conv.start(text, "withdraw_consent")
    assert conv.slots["requested_slot"] == "case_description"
    mark = len(conv.sent)
    await conv.say(yes, "affirm", 0.99)
    assert conv.slots["case_description"] is None and conv.slots["requested_slot"] == "case_description"
    assert {"sv": "säger inte vad det gäller", "nb": "sier ikke hva det gjelder",
            "en": "does not tell me what it is about"}[lang] in conv.said(mark)
    await conv.say({"sv": "nyhetsbrevet", "nb": "nyhetsbrevet", "en": "the newsletter"}[lang])
    assert conv.slots["case_description"] and conv.slots["requested_slot"] == "requester_name"


async def _withdrawal_asking_for_the_position(lang: str) -> Conversation:
    conv = Conversation(lang)
    await conv.start("withdraw", "withdraw_application")
    await conv.say("application")
    assert conv.slots["requested_slot"] == "application_position"
    return conv


@pytest.mark.parametrize("lang, name, position", [
    ("sv", "Anna Lindqvist", "Senior konsult, Amesto Solutions AB"),
    ("nb", "Kari Nordmann", "Rådgiver, Amesto Accounthouse AS"),
    ("en", "Jane Smith", "Consultant, Amesto Solutions AS"),
])
async def test_a_name_and_a_position_typed_in_the_wrong_order_are_swapped(lang: str, name: str, position: str) -> None:
    """Seen: the name filed as the position and the position as the name."""
    conv = await _withdrawal_asking_for_the_position(lang)
    await conv.say(name, "nlu_fallback", 0.4)  # typed where the position was asked
    assert conv.slots["requested_slot"] == "requester_name"
    await conv.say(position, "faq", 0.95)
    assert (conv.slots["requester_name"], conv.slots["application_position"]) == (name, position)
    assert conv.slots["requested_slot"] == "requester_email"


@pytest.mark.parametrize("lang", ["sv", "nb", "en"])
async def test_a_position_is_not_a_name(lang: str) -> None:
    conv = await _withdrawal_asking_for_the_position(lang)
    await conv.say("Konsult, Amesto Solutions AB")
    mark = len(conv.sent)
    await conv.say("Senior Consultant, Amesto Solutions AB", "faq", 0.9)
    assert conv.slots["requester_name"] is None and conv.slots["requested_slot"] == "requester_name"
    assert conv.slots["application_position"] == "Konsult, Amesto Solutions AB"
    assert {"sv": "inte ett namn", "nb": "ikke et navn", "en": "not a name"}[lang] in conv.said(mark)


async def test_the_name_typed_for_the_position_and_again_for_the_name_is_the_name() -> None:
    conv = await _withdrawal_asking_for_the_position("en")
    await conv.say("Jane Smith", "nlu_fallback", 0.4)
    await conv.say("Jane Smith", "nlu_fallback", 0.4)
    assert conv.slots["requester_name"] == "Jane Smith" and conv.slots["application_position"] is None
    assert conv.slots["requested_slot"] == "application_position"


async def test_a_name_with_the_employer_is_the_name() -> None:
    conv = Conversation("sv")
    await conv.start(USER["sv"]["access"], "request_access")
    await conv.say("Anna Lindqvist, Amesto Solutions AB", "faq", 0.6)
    assert conv.slots["requester_name"] == "Anna Lindqvist"


@pytest.mark.parametrize("lang, label", [("sv", "ärendenummer"), ("nb", "saksnummer"), ("en", "case reference")])
async def test_an_address_typed_for_the_reference_names_the_reference(lang: str, label: str) -> None:
    """Seen: "That looks like an e-mail address, but I asked for: status_reference"."""
    conv = Conversation(lang)
    await conv.start("status of my case", "check_case_status")
    mark = len(conv.sent)
    await conv.say("someone@example.com", "nlu_fallback", 0.4)
    assert conv.slots["requested_slot"] == "status_reference"
    assert label in conv.said(mark) and "status_reference" not in conv.said(mark)


@pytest.mark.parametrize("lang, report, when", [
    ("sv", "jag mejlade ett kalkylark med kundnamn till fel person", "för en timme sedan"),
    ("nb", "jeg sendte et regneark med kundenavn til feil person", "for en time siden"),
    ("en", "I emailed a spreadsheet with customer names to the wrong person", "an hour ago"),
])
async def test_a_time_is_no_count_and_no_kind_of_data(lang: str, report: str, when: str) -> None:
    """Seen: "för en timme sedan" filed as the number of people ("en" is one) and "an hour ago" as the data."""
    conv = Conversation(lang)
    await conv.start("report a breach", "report_incident")
    await conv.say(report, "report_incident", 0.9)
    await conv.say({"sv": "i går kl 14", "nb": "i går kl 14", "en": "yesterday at 2 pm"}[lang])
    assert conv.slots["requested_slot"] == "incident_data_types"
    for slot, answer in (("incident_data_types", {"sv": "namn och telefonnummer", "nb": "navn og telefonnumre",
                                                  "en": "names and phone numbers"}[lang]),
                         ("incident_people_count", "40"),
                         ("incident_encrypted", {"sv": "nej", "nb": "nei", "en": "no"}[lang])):
        mark = len(conv.sent)
        await conv.say(when, "nlu_fallback", 0.4)
        assert conv.slots[slot] is None and conv.slots["requested_slot"] == slot
        assert {"sv": "ser ut som en tidpunkt", "nb": "ser ut som et tidspunkt",
                "en": "looks like a time"}[lang] in conv.said(mark)
        await conv.say(answer)
        assert conv.slots[slot] == (answer if slot != "incident_encrypted" else "no")


@pytest.mark.parametrize("lang, opening, same", [
    ("sv", "radera mina uppgifter", "samma som förut"),
    ("nb", "slett opplysningene mine", "samme som før"),
    ("en", "please erase my data", "same as before"),
])
async def test_same_as_before_is_no_description(lang: str, opening: str, same: str) -> None:
    """Seen: "same as before" filed as what to erase."""
    conv = Conversation(lang)
    await conv.start(opening, "request_erasure")
    assert conv.slots["requested_slot"] == "case_description"
    await conv.say(same, "faq", 0.9)
    assert conv.slots["case_description"] is None and conv.slots["requested_slot"] == "case_description"
