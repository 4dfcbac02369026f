"""RedactingSQLTrackerStore against real SQLite files and a real PostgreSQL scratch database.

Every test reads the raw rows with plain SQL to prove what is (not) stored, and reads the conversation
back through the store to prove the form still has what it needs.
"""

from __future__ import annotations

import json
import logging
import subprocess
import sys
import time
import uuid
from datetime import timedelta
from pathlib import Path
from typing import Any, Iterator, List

import pytest
import sqlalchemy as sa
from cryptography.fernet import Fernet
from rasa.core.tracker_store import _create_from_endpoint_config
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import (
    ActionExecuted,
    ActiveLoop,
    AllSlotsReset,
    BotUttered,
    Event,
    SessionStarted,
    SlotSet,
    UserUttered,
)
from rasa.utils.endpoints import EndpointConfig
from stdnum import luhn
from stdnum.se import personnummer

from bot.tracker_store import RedactingLogFilter, RedactingSQLTrackerStore, install_log_redaction
from tests.support import scratch_postgres_database

ROOT = Path(__file__).resolve().parents[2]

EMAIL = "anna.svensson@example.se"
NAME = "Anna Svensson"
CODE = "482913"
PNR_BODY = "811218987"
PNR = f"19811218-987{luhn.calc_check_digit(PNR_BODY)}"  # generated valid, checked below

DOMAIN_YAML = """
version: "3.1"
intents: [greet, request_erasure, inform, stop]
entities: [email]
slots:
  requester_email: {type: text, influence_conversation: false, mappings: [{type: custom}]}
  requester_name: {type: text, influence_conversation: false, mappings: [{type: custom}]}
  verification_code: {type: text, influence_conversation: false, mappings: [{type: custom}]}
  case_description: {type: text, influence_conversation: false, mappings: [{type: custom}]}
  status_reference: {type: text, influence_conversation: false, mappings: [{type: custom}]}
  language: {type: categorical, values: [sv, nb, en], influence_conversation: false, mappings: [{type: custom}]}
forms:
  rights_request_form: {required_slots: [case_description, requester_name, requester_email]}
  verification_form: {required_slots: [verification_code]}
responses:
  utter_ask_verification_code: [{text: "Skriv koden"}]
  utter_greet: [{text: "Hej"}]
"""


def _domain() -> Domain:
    return Domain.from_yaml(DOMAIN_YAML)


# -------------------------------------------------------------------------------------------- fixtures

@pytest.fixture(scope="module")
def pg_url() -> Iterator[str]:
    with scratch_postgres_database("tracker_test") as name:
        yield f"postgresql://postgres@127.0.0.1:5432/{name}"


@pytest.fixture()
def key() -> str:
    return Fernet.generate_key().decode()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'trackers.db'}"
        return
    url = request.getfixturevalue("pg_url")
    yield url
    engine = sa.create_engine(url)
    with engine.begin() as conn:  # each test starts from empty tables in the shared scratch database
        conn.execute(sa.text("DELETE FROM events"))
        conn.execute(sa.text("DELETE FROM tracker_erasures"))
    engine.dispose()


def make_store(db_url: str, key: str, **kwargs: Any) -> RedactingSQLTrackerStore:
    store = RedactingSQLTrackerStore(domain=_domain(), host=db_url, encryption_keys=key, **kwargs)
    return store


def raw_rows(db_url: str) -> List[str]:
    engine = sa.create_engine(db_url)
    with engine.connect() as conn:
        rows = conn.execute(sa.text(
            "SELECT sender_id, type_name, intent_name, action_name, data FROM events ORDER BY id"
        )).fetchall()
    engine.dispose()
    return [" | ".join(str(c) for c in row) for row in rows]


def decoded_rows(db_url: str) -> List[str]:
    """The rows with JSON's \\u escapes undone, so non-ASCII text (å, ä, ö, ø) can be searched for too."""
    out = []
    for row in raw_rows(db_url):
        head, data = row.rsplit(" | ", 1)
        out.append(f"{head} | {json.dumps(json.loads(data), ensure_ascii=False)}")
    return out


def assert_nothing_in_clear(db_url: str, *secrets: str) -> None:
    for dump in ("\n".join(raw_rows(db_url)), "\n".join(decoded_rows(db_url))):
        assert dump, "no rows: the test would prove nothing"
        for secret in secrets:
            assert secret not in dump, f"{secret!r} stored in clear"
            assert secret.replace(" ", "") not in dump.replace(" ", "")


async def turn(store: RedactingSQLTrackerStore, sender: str, events: List[Event]) -> Any:
    """What Rasa does per user turn: read the tracker from the store, apply the turn's events, save."""
    tracker = await store.get_or_create_tracker(sender)
    for event in events:
        tracker.update(event)
    await store.save(tracker)
    return tracker


def user(text: str, intent: str = "inform", entities: List[dict] | None = None) -> UserUttered:
    parse = {"text": text, "intent": {"name": intent, "confidence": 0.93}, "entities": entities or [],
             "intent_ranking": [{"name": intent, "confidence": 0.93}]}
    return UserUttered(text, intent=parse["intent"], entities=entities or [], parse_data=parse,
                       metadata={"language": "sv", "displayName": NAME})


def ask(slot: str, text: str) -> List[Event]:
    return [SlotSet("requested_slot", slot), BotUttered(text, metadata={"utter_action": f"utter_ask_{slot}"}),
            ActionExecuted("action_listen")]


async def file_request_conversation(store: RedactingSQLTrackerStore, sender: str) -> None:
    """A rights request up to the code step, turn by turn as Rasa would store it."""
    await turn(store, sender, [ActionExecuted("action_session_start"), SessionStarted(),
                               ActionExecuted("action_listen")])
    await turn(store, sender, [
        user(f"Jag vill att ni raderar allt om mig, mitt personnummer är {PNR}", "request_erasure"),
        ActionExecuted("rights_request_form"), ActiveLoop("rights_request_form"),
        *ask("case_description", "Beskriv vad det gäller"),
    ])
    await turn(store, sender, [
        user(f"Radera mitt kundkonto, ring mig på 070-123 45 67 om något är oklart"),
        SlotSet("case_description", "Radera mitt kundkonto, ring mig på 070-123 45 67 om något är oklart"),
        ActionExecuted("rights_request_form"), *ask("requester_name", "Vad heter du?"),
    ])
    await turn(store, sender, [
        user(NAME), SlotSet("requester_name", NAME),
        ActionExecuted("rights_request_form"), *ask("requester_email", "Vilken e-postadress?"),
    ])
    entity = {"entity": "email", "start": 17, "end": 17 + len(EMAIL), "value": EMAIL,
              "extractor": "RegexEntityExtractor"}
    await turn(store, sender, [
        user(f"min adress är {EMAIL}", entities=[entity]), SlotSet("requester_email", EMAIL),
        SlotSet("status_reference", f"säljare, kontakt {EMAIL}"),
        ActionExecuted("rights_request_form"), ActiveLoop(None), SlotSet("requested_slot", None),
        BotUttered(f"Tack! Vi skickar en kod till {EMAIL}.", metadata={"utter_action": "utter_code_sent"}),
        ActionExecuted("verification_form"), ActiveLoop("verification_form"),
        SlotSet("requested_slot", "verification_code"),
        BotUttered("Skriv koden", metadata={"utter_action": "utter_ask_verification_code"}),
        ActionExecuted("action_listen"),
    ])


# ----------------------------------------------------------------------------------------------- tests

def test_generated_personnummer_is_valid() -> None:
    assert personnummer.is_valid(PNR)


async def test_rows_hold_no_personal_data_but_the_form_keeps_its_values(db_url: str, key: str) -> None:
    store = make_store(db_url, key)
    sender = f"web-{uuid.uuid4().hex}"
    await file_request_conversation(store, sender)
    await turn(store, sender, [user(f"koden är {CODE[:3]} {CODE[3:]}"), SlotSet("verification_code", CODE)])

    assert_nothing_in_clear(db_url, EMAIL, NAME, CODE, PNR, "070-123 45 67", "8112189")
    dump = "\n".join(decoded_rows(db_url))
    assert "[email]" in dump and "[national-id]" in dump and "[name]" in dump and "[free-text]" in dump
    # The answer to "which e-mail?" is replaced whole (text, parse_data text, entity value) ...
    answer = next(json.loads(r.rsplit(" | ", 1)[1]) for r in decoded_rows(db_url) if "RegexEntityExtractor" in r)
    assert answer["text"] == answer["parse_data"]["text"] == "[email]"
    assert answer["parse_data"]["entities"][0]["value"] == "[email]"
    assert answer["parse_data"]["metadata"] == answer["metadata"] == {"language": "sv", "displayName": "[name]"}
    # ... other messages keep their words and lose only the personal data.
    assert "Jag vill att ni raderar allt om mig, mitt personnummer är [national-id]" in dump
    assert "Tack! Vi skickar en kod till [email]." in dump  # the bot's echo, redacted
    assert "Jag vill att ni raderar allt om mig" in dump  # ordinary words stay: the transcript stays useful

    # A different process (new store object, same database and key) continues the conversation.
    again = make_store(db_url, key)
    tracker = await again.retrieve(sender)
    assert tracker is not None
    assert tracker.get_slot("requester_email") == EMAIL
    assert tracker.get_slot("requester_name") == NAME
    assert tracker.get_slot("verification_code") == CODE
    assert tracker.get_slot("status_reference") == f"säljare, kontakt {EMAIL}"
    assert tracker.get_slot("case_description").startswith("Radera mitt kundkonto, ring mig på 070")
    assert tracker.active_loop_name == "verification_form"
    assert EMAIL not in json.dumps([e.as_dict() for e in tracker.events if not isinstance(e, SlotSet)])


async def test_sqlite_file_bytes_hold_no_clear_values(tmp_path: Path, key: str) -> None:
    path = tmp_path / "trackers.db"
    store = make_store(f"sqlite:///{path}", key)
    sender = f"web-{uuid.uuid4().hex}"
    await file_request_conversation(store, sender)
    await turn(store, sender, [user(CODE), SlotSet("verification_code", CODE)])
    store.engine.dispose()
    raw = path.read_bytes()
    assert b"requested_slot" in raw  # the rows are in this file
    for secret in (EMAIL, NAME, CODE, PNR):
        assert secret.encode() not in raw


async def test_code_context_flag_when_the_code_slot_is_not_in_the_redact_list(db_url: str, key: str) -> None:
    # With verification_code removed from the list the whole-answer rule does not apply, so this proves the
    # "previous bot turn asked for the code" context: a code inside a sentence is found only then.
    store = make_store(db_url, key, redact_slots="-verification_code")
    sender = f"web-{uuid.uuid4().hex}"
    await file_request_conversation(store, sender)
    await turn(store, sender, [user("det är 48 29 13 tror jag")])
    dump = "\n".join(decoded_rows(db_url))
    assert "det är [code] tror jag" in dump
    assert "48 29 13" not in dump
    # After the form is done, the same sentence is left alone.
    await turn(store, sender, [ActiveLoop(None), SlotSet("requested_slot", None), ActionExecuted("action_listen"),
                               user("vi var 48 29 13 personer på mötet")])
    assert "vi var 48 29 13 personer på mötet" in "\n".join(decoded_rows(db_url))


async def test_finished_form_scrubs_the_ciphertext_for_good(db_url: str, key: str) -> None:
    store = make_store(db_url, key)
    sender = f"web-{uuid.uuid4().hex}"
    await file_request_conversation(store, sender)
    assert sum('"x_private_token": "' in r for r in raw_rows(db_url)) >= 4
    # The filing action resets the case slots.
    await turn(store, sender, [user(CODE), SlotSet("verification_code", CODE), ActiveLoop(None),
                               SlotSet("requested_slot", None), ActionExecuted("action_file_case"),
                               *[SlotSet(s, None) for s in ("requester_email", "requester_name", "verification_code",
                                                              "case_description", "status_reference")]])
    rows = raw_rows(db_url)
    assert not any('"x_private_token": "' in r for r in rows), "a token survived the end of the form"
    full = await store.retrieve_full_tracker(sender)
    assert full.get_slot("requester_email") is None
    # Earlier SlotSet events now read back as None (listed slots) or redacted text (others), never as values.
    values = [e.value for e in full.events if isinstance(e, SlotSet) and e.key == "requester_email"]
    assert values == [None, None]
    positions = [e.value for e in full.events if isinstance(e, SlotSet) and e.key == "status_reference"]
    assert positions == ["säljare, kontakt [email]", None]


async def test_changed_value_and_reset_events_supersede_old_tokens(db_url: str, key: str) -> None:
    store = make_store(db_url, key)
    sender = f"web-{uuid.uuid4().hex}"
    await turn(store, sender, [user("x"), SlotSet("requester_email", "old@example.se")])
    await turn(store, sender, [user("fel adress"), SlotSet("requester_email", EMAIL)])
    live = [r for r in raw_rows(db_url) if '"x_private_token": "' in r]
    assert len(live) == 1
    assert (await store.retrieve(sender)).get_slot("requester_email") == EMAIL
    await turn(store, sender, [AllSlotsReset()])
    assert not any('"x_private_token": "' in r for r in raw_rows(db_url))


async def test_new_session_carries_the_value_over_without_renewing_its_ttl(db_url: str, key: str) -> None:
    store = make_store(db_url, key)
    sender = f"web-{uuid.uuid4().hex}"
    await turn(store, sender, [user("x"), SlotSet("requester_email", EMAIL)])
    first = [json.loads(r.rsplit(" | ", 1)[1]) for r in raw_rows(db_url) if '"x_private_token": "' in r]
    time.sleep(1.1)  # Fernet timestamps have one-second resolution
    # What action_session_start does with carry_over_slots_to_new_session: true.
    await turn(store, sender, [ActionExecuted("action_session_start"), SessionStarted(),
                               SlotSet("requester_email", EMAIL), ActionExecuted("action_listen")])
    live = [json.loads(r.rsplit(" | ", 1)[1]) for r in raw_rows(db_url) if '"x_private_token": "' in r]
    assert len(first) == len(live) == 1 and live[0]["timestamp"] > first[0]["timestamp"]  # the new row only
    assert store._token_time(live[0]["x_private_token"]) == store._token_time(first[0]["x_private_token"])
    assert (await store.retrieve(sender)).get_slot("requester_email") == EMAIL


async def test_wrong_key_or_expired_token_makes_the_form_ask_again(db_url: str, key: str) -> None:
    store = make_store(db_url, key)
    sender = f"web-{uuid.uuid4().hex}"
    await turn(store, sender, [user("x"), SlotSet("requester_email", EMAIL)])
    other = make_store(db_url, Fernet.generate_key().decode())
    assert (await other.retrieve(sender)).get_slot("requester_email") is None
    # Rotation: new key first, old key still accepted; after `rotate`, the old key can go.
    new_key = Fernet.generate_key().decode()
    both = make_store(db_url, f"{new_key},{key}")
    assert (await both.retrieve(sender)).get_slot("requester_email") == EMAIL
    assert both.rotate_keys() == 1
    only_new = make_store(db_url, new_key)
    assert (await only_new.retrieve(sender)).get_slot("requester_email") == EMAIL
    # TTL: the purge job scrubs tokens older than the TTL.
    assert only_new.scrub_expired_secrets(now=time.time() + only_new.secret_ttl.total_seconds() + 60) == 1
    assert (await only_new.retrieve(sender)).get_slot("requester_email") is None


async def test_expired_token_does_not_decrypt_even_before_the_purge(db_url: str, key: str) -> None:
    store = make_store(db_url, key, secret_ttl_hours=1 / 3600)  # one second
    sender = f"web-{uuid.uuid4().hex}"
    await turn(store, sender, [user("x"), SlotSet("requester_email", EMAIL)])
    time.sleep(2.2)
    assert (await store.retrieve(sender)).get_slot("requester_email") is None


async def test_retention_deletes_old_conversations_and_old_sessions_only(db_url: str, key: str) -> None:
    store = make_store(db_url, key)
    now = time.time()
    old = now - 40 * 86400
    store_sender_old, store_sender_new, store_sender_mixed = (f"s-{uuid.uuid4().hex}" for _ in range(3))
    old_events = [ActionExecuted("action_session_start", timestamp=old), SessionStarted(timestamp=old),
                  ActionExecuted("action_listen", timestamp=old), UserUttered("hej", timestamp=old + 1)]

    async def save_events(sender: str, events: List[Event]) -> None:
        tracker = store.init_tracker(sender)  # not get_or_create: that would add an event stamped "now"
        for event in events:
            tracker.update(event)
        await store.save(tracker)

    await save_events(store_sender_old, old_events)
    await save_events(store_sender_new, [ActionExecuted("action_session_start"), SessionStarted(), user("hej")])
    await save_events(store_sender_mixed, old_events + [ActionExecuted("action_session_start", timestamp=now),
                                                        SessionStarted(timestamp=now), user("hej igen")])

    def count(sender: str) -> int:
        return sum(r.startswith(sender + " |") for r in raw_rows(db_url))

    before_mixed = count(store_sender_mixed)
    assert store.delete_conversations_older_than(timedelta(days=30)) == 1
    assert count(store_sender_old) == 0
    assert count(store_sender_new) > 0
    assert 0 < count(store_sender_mixed) < before_mixed
    mixed = await store.retrieve(store_sender_mixed)
    assert mixed.latest_message.text == "hej igen"
    full = await store.retrieve_full_tracker(store_sender_mixed)
    assert not any(isinstance(e, UserUttered) and e.text == "hej" for e in full.events)
    # Saving after pruning still appends exactly the new events (Rasa's count of the current session).
    await turn(store, store_sender_mixed, [user("tredje")])
    assert [e.text for e in (await store.retrieve(store_sender_mixed)).events if isinstance(e, UserUttered)] \
        == ["hej igen", "tredje"]
    # Nothing is older than a year: nothing more to delete.
    assert store.delete_conversations_older_than(timedelta(days=365)) == 0


async def test_erase_removes_exactly_one_conversation(db_url: str, key: str) -> None:
    store = make_store(db_url, key)
    a, b = f"a-{uuid.uuid4().hex}", f"b-{uuid.uuid4().hex}"
    await file_request_conversation(store, a)
    await file_request_conversation(store, b)
    rows_b = [r for r in raw_rows(db_url) if r.startswith(b)]
    assert store.erase_conversation(a) is True
    assert not any(r.startswith(a) for r in raw_rows(db_url))
    assert [r for r in raw_rows(db_url) if r.startswith(b)] == rows_b
    assert await store.retrieve(a) is None
    assert (await store.retrieve(b)).get_slot("requester_email") == EMAIL
    assert store.erase_conversation(a) is False


async def test_erasure_during_a_turn_is_not_undone_by_the_turns_save(db_url: str, key: str) -> None:
    store = make_store(db_url, key)
    sender = f"web-{uuid.uuid4().hex}"
    await file_request_conversation(store, sender)
    tracker = await store.retrieve(sender)  # Rasa holds this while the turn runs ...
    tracker.update(user("glöm mig"))
    store.erase_conversation(sender)  # ... while the widget's "forget" (or an erasure case) runs
    time.sleep(0.01)
    tracker.update(BotUttered("Klart, jag har glömt samtalet."))
    tracker.update(ActionExecuted("action_listen"))
    await store.save(tracker)
    rows = [r for r in decoded_rows(db_url) if r.startswith(sender)]
    assert len(rows) == 2 and "glömt samtalet" in rows[0]
    after = await store.retrieve(sender)
    assert after.get_slot("requester_email") is None
    after.update(user("hej"))
    await store.save(after)
    assert len([r for r in raw_rows(db_url) if r.startswith(sender)]) == 3


def test_rasa_loads_the_store_from_an_endpoint_config(tmp_path: Path, key: str) -> None:
    config = EndpointConfig(type="bot.tracker_store.RedactingSQLTrackerStore", dialect="sqlite",
                            db=str(tmp_path / "t.db"), encryption_keys=key, retention_days=7,
                            redact_slots=["requester_email", "x"])
    store = _create_from_endpoint_config(config, _domain())
    assert isinstance(store, RedactingSQLTrackerStore)  # not Rasa's silent InMemory fallback
    assert store.retention == timedelta(days=7)
    assert store.redact_slots == {"requester_email", "x"}


def test_production_refuses_to_start_without_a_key(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("APP_ENV", "production")
    monkeypatch.delenv("TRACKER_ENCRYPTION_KEYS", raising=False)
    with pytest.raises(RuntimeError, match="TRACKER_ENCRYPTION_KEYS"):
        RedactingSQLTrackerStore(domain=_domain(), dialect="sqlite", db=str(tmp_path / "t.db"))


async def test_cli_purge_and_erase(db_url: str, key: str, tmp_path: Path) -> None:
    store = make_store(db_url, key)
    sender = f"web-{uuid.uuid4().hex}"
    await turn(store, sender, [user("hej")])
    endpoints = tmp_path / "endpoints.yml"
    endpoints.write_text(
        "tracker_store:\n  type: bot.tracker_store.RedactingSQLTrackerStore\n  url: ${TEST_TRACKER_URL}\n"
    )
    env = {"TEST_TRACKER_URL": db_url, "TRACKER_ENCRYPTION_KEYS": key, "PATH": "/usr/bin:/bin",
           "SQLALCHEMY_SILENCE_UBER_WARNING": "1"}
    run = lambda *args: subprocess.run(  # noqa: E731
        [sys.executable, "-m", "bot.tracker_store", "--endpoints", str(endpoints), *args],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    purge = run("purge")
    assert purge.returncode == 0, purge.stderr
    assert json.loads(purge.stdout.strip().splitlines()[-1]) == {"conversations_deleted": 0, "secrets_scrubbed": 0}
    erase = run("erase", sender)
    assert erase.returncode == 0, erase.stderr
    assert json.loads(erase.stdout.strip().splitlines()[-1]) == {"erased": True}
    assert sender not in erase.stdout + erase.stderr  # ids are not echoed
    assert run("erase", sender).returncode == 1
    assert not any(r.startswith(sender) for r in raw_rows(db_url))


# ------------------------------------------------------------------------------------------------- logs

async def test_our_module_logs_no_text_even_without_the_filter(
    db_url: str, key: str, caplog: pytest.LogCaptureFixture
) -> None:
    store = make_store(db_url, key)
    previous = logging.getLogRecordFactory()
    logging.setLogRecordFactory(logging.LogRecord)  # prove it without the redacting factory
    try:
        with caplog.at_level(logging.DEBUG):
            sender = f"web-{uuid.uuid4().hex}"
            await file_request_conversation(store, sender)
            store.erase_conversation(sender)
            store.delete_conversations_older_than(timedelta(days=30))
    finally:
        logging.setLogRecordFactory(previous)
    ours = [r.getMessage() for r in caplog.records if r.name.startswith("bot.")]
    assert ours, "nothing logged: the check would prove nothing"
    for message in [r.getMessage() for r in caplog.records]:
        assert EMAIL not in message and NAME not in message and PNR not in message


def test_rasa_debug_records_are_redacted(caplog: pytest.LogCaptureFixture) -> None:
    install_log_redaction()
    install_log_redaction()  # idempotent
    with caplog.at_level(logging.DEBUG):
        logging.getLogger("rasa.core.processor").debug(
            "Received user message '%s' with code %s", f"mail {EMAIL}, pnr {PNR}", "koden 482913")
    message = caplog.records[-1].getMessage()
    assert EMAIL not in message and PNR not in message and CODE not in message
    assert "[email]" in message and "[national-id]" in message and "[code]" in message


def test_log_filter_on_a_handler() -> None:
    record = logging.LogRecord("rasa", logging.DEBUG, __file__, 1, "text %s", (EMAIL,), None)
    assert RedactingLogFilter().filter(record) is True
    assert record.getMessage() == "text [email]"


async def test_bot_events_lose_every_value_the_user_gave(db_url: str, key: str) -> None:
    """The bot's own confirmation, its "we sent a code to ..." line, its buttons and custom payload, and
    metadata: each value of a redacted slot is replaced by the slot's placeholder, also when the slot was
    reset in the same turn (the filing resets them before the confirmation is stored)."""
    store = make_store(db_url, key)
    sender = f"web-{uuid.uuid4().hex}"
    await file_request_conversation(store, sender)
    description = "Radera mitt kundkonto, ring mig på 070-123 45 67 om något är oklart"
    summary = f"Stämmer det här?\n• Beskrivning: {description}\n• Namn: {NAME}\n• E-post: {EMAIL}"
    await turn(store, sender, [
        user(CODE), SlotSet("verification_code", CODE),
        BotUttered(summary, data={"buttons": [{"title": f"Ja, skicka för {NAME}", "payload": "/affirm"}],
                                  "custom": {"recipient": NAME.upper()}},
                   metadata={"utter_action": "action_ask_confirm_summary", "card": {"name": NAME}}),
        ActionExecuted("action_file_case"),
        *[SlotSet(s, None) for s in ("requester_email", "requester_name", "verification_code", "case_description")],
        BotUttered(f"Tack {NAME}! Vi har skickat en kod till {EMAIL.upper()}. Din kod {CODE} stämmer."),
    ])
    assert_nothing_in_clear(db_url, NAME, EMAIL, CODE, description, NAME.upper(), EMAIL.upper(), "Svensson")
    bots = [json.loads(r.rsplit(" | ", 1)[1]) for r in decoded_rows(db_url) if " | bot | " in r]
    assert bots[-2]["text"] == "Stämmer det här?\n• Beskrivning: [free-text]\n• Namn: [name]\n• E-post: [email]"
    assert bots[-2]["data"]["buttons"][0] == {"title": "Ja, skicka för [name]", "payload": "/affirm"}
    assert bots[-2]["data"]["custom"] == {"recipient": "[name]"}
    assert bots[-2]["metadata"]["card"] == {"name": "[name]"}
    assert bots[-1]["text"] == "Tack [name]! Vi har skickat en kod till [email]. Din kod [code] stämmer."
    # Ordinary words and our own action names stay.
    assert bots[-2]["metadata"]["utter_action"] == "action_ask_confirm_summary"


def test_teams_metadata_user_name_is_redacted() -> None:
    """Teams puts the user's name under metadata.user.name: "name" is structural in an event, not there."""
    from bot.tracker_store import redact_event_dict

    data = UserUttered("hej", metadata={"user": {"id": "29:1", "name": "Anna Svensson", "email": EMAIL},
                                        "user_name": "Anna Svensson"}).as_dict()
    out = redact_event_dict(data)
    assert out["metadata"]["user"] == {"id": "29:1", "name": "[name]", "email": "[email]"}
    assert out["metadata"]["user_name"] == "[name]" and out["event"] == "user"


def test_stored_rows_are_read_as_json_loads_reads_them() -> None:
    """`_parse_row` (orjson, for speed) gives json.loads' values for whatever json.dumps wrote, its refusals too."""
    import json
    import math

    from bot.tracker_store import _parse_row

    rows = [{"event": "user", "text": "Hej Åsa, \"citat\" \\ / \u2028 ø", "timestamp": 1765160000.123456,
             "parse_data": {"intent": {"confidence": 0.9312345678901234}, "n": [1, -0.0, 1e-7, None, True]}},
            {"event": "slot", "name": "n", "value": 2 ** 70},  # beyond 64 bits: orjson refuses, json reads it
            {"event": "slot", "name": "lone", "value": "\ud800"},  # a lone surrogate, escaped by json.dumps
            {"x": float("inf")}]
    for row in rows:
        text = json.dumps(row)
        assert _parse_row(text) == json.loads(text)
    nan = _parse_row(json.dumps({"v": float("nan")}))["v"]
    assert math.isnan(nan)
