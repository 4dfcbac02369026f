"""Nothing the user gave is stored in clear, bot events included (issue 13): every filing flow in every
language, through the real stack, on SQLite and on PostgreSQL, then a plain-SQL search of the raw rows.

Stack: the real backend, the real action server and `rasa run` with the trained model (tests/e2e_stack.py),
its tracker store `bot.tracker_store.RedactingSQLTrackerStore` on a SQLite file, then on a scratch
PostgreSQL database. One stack per store and all conversations through it (a stack start costs about a
minute; one per conversation would not fit the CI budget).

Conversations (each in sv, nb and en, a new sender id each): the seven rights requests, application
withdrawal (an application, and the recruitment database), an anonymous incident report, a named incident
report, a named misconduct report, a complaint, and two status checks (by e-mail code, by receipt). Each
starts with the typed opening of the generated test stories (scripts/gen_training_data.PHRASES); the driver
then answers whatever the form asks (`requested_slot`, read from Rasa's tracker API after every turn) with
this conversation's own values, confirms the summary with its button and types the e-mailed code.

Checked values: every answer typed for a personal question (name, e-mail, descriptions, position, data
types, times, counts...), the codes and receipts, plus every value a redacted slot held at any turn (as
Rasa served the tracker) that is long enough to be searched for (see `_searchable`). The raw rows are read
with plain SQL (every column of `events`) and searched case-insensitively, as stored and with JSON's \\u
escapes undone, also with whitespace removed.

Model: env E2E_MODEL (default models/assistant.tar.gz); skipped, saying so, when there is none.
Run:  .venv/bin/pytest -q -s tests/test_transcript_no_personal_values.py   (-s shows the row counts)
"""

from __future__ import annotations

import json
import re
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Dict, Iterator, List, Optional, Set, Tuple

import pytest
import sqlalchemy as sa

from bot.redaction import DEFAULT_REDACT_SLOTS
from scripts.gen_training_data import PHRASES
from tests.e2e_flows_helpers import FlowStack, flow_stack
from actions.texts import T
from tests.e2e_stack import running_stack
from tests.actions.flow_harness import ROOT
from tests.support import REFERENCE, scratch_postgres_database

# The SQLite run asks for the shared stack with getfixturevalue, which the grouping hook cannot see: say it.
pytestmark = [pytest.mark.e2e, pytest.mark.timeout(3600), pytest.mark.xdist_group("stack")]

LANGS = ("sv", "nb", "en")
RECEIPT = re.compile(r"(?<!\d)\d{16}(?!\d)")
MAX_TURNS = 30

# Each language's person: a name and an e-mail address nobody else in the run uses.
PEOPLE = {"sv": ("Ingrid", "Vikström-Hallberg"), "nb": ("Solveig", "Bråthen-Aasheim"), "en": ("Penelope", "Ashworth-Kline")}
# Extra words of a personal description, appended to the story's answer: what a real person adds.
PERSONAL_CLAUSE = {
    "sv": "det gäller mitt konto med kundnummer hos er sedan 2019 och min mamma Birgitta Ljungqvist",
    "nb": "det gjelder kontoen min hos dere siden 2019 og moren min Torhild Skjærvø",
    "en": "it is about my account with you since 2019 and my mother Winifred Pemberton",
}

# When the reporter noticed: not the examples the bot's own question gives ("yesterday at 2 pm"), which are
# the bot's words, stored before anyone answered.
AWARE_AT = {"sv": "i går kl 15", "nb": "i går kl 15", "en": "yesterday at 3 pm"}


@dataclass
class Conversation:
    label: str
    lang: str
    opener: str
    answers: Dict[str, str]  # requested_slot -> what the user types (or a button payload)
    needs: Optional[str] = None  # "receipt" / "email_case": a status check of an earlier conversation's case
    given: Set[str] = field(default_factory=set)  # every value to search the rows for
    reference: Optional[str] = None
    receipt: Optional[str] = None
    email: Optional[str] = None


def _conversations(lang: str) -> List[Conversation]:
    p = PHRASES[lang]
    tag = uuid.uuid4().hex[:6]
    first, last = PEOPLE[lang]
    name = f"{first} {last}"
    domain = {"sv": "se", "nb": "no", "en": "com"}[lang]
    personal = PERSONAL_CLAUSE[lang]

    def conv(label: str, opener: str, **answers: str) -> Conversation:
        # An address of its own per conversation: the backend limits code e-mails per address.
        email = f"{first.lower()}.{label}.{uuid.uuid4().hex[:6]}@example.{domain}"
        return Conversation(f"{label}-{lang}", lang, opener,
                            {"requester_name": name, "requester_email": email, **answers})

    incident = {"case_description": f"{p['incident_what']}, {personal}", "incident_aware_at": AWARE_AT[lang],
                "incident_data_types": f"{p['incident_data']} för {first} {last}" if lang == "sv"
                else f"{p['incident_data']} for {first} {last}",
                "incident_people_count": p["incident_count"], "incident_encrypted": p["no"],
                "incident_contained": p["yes"]}
    return [
        conv("access", p["access"]),
        conv("rectification", p["rectification"], case_description=f"{p['rectify_details']}, {personal}"),
        conv("erasure", p["erasure"], case_description=f"{p['everything']}, {personal}"),
        conv("objection", p["objection"], case_description=f"{p['objection_details']}, {personal}"),
        conv("consent", p["consent"], case_description=f"{p['consent_details']}, {personal}"),
        conv("restriction", p["restriction"], case_description=f"{p['restriction_details']}, {personal}"),
        conv("portability", p["portability"]),
        conv("application", p["withdraw_application"], withdrawal_target="application",
             application_position=f"{p['position']} ({tag})"),
        conv("database", p["withdraw_database"]),
        conv("incident-anonymous", p["incident"], reporter_anonymous=p["yes"], **incident),
        conv("incident-named", p["incident"], reporter_anonymous=p["no"], **incident),
        conv("misconduct", p["misconduct"], case_description=f"{p['misconduct_what']}, {personal}",
             reporter_anonymous=p["no"]),
        conv("complaint", p["complaint"], case_description=f"{p['complaint_what']}, {personal}"),
        Conversation(f"status-receipt-{lang}", lang, p["status"], {"status_method": "receipt"}, needs="receipt"),
        Conversation(f"status-email-{lang}", lang, p["status"], {"status_method": "email"}, needs="email_case"),
    ]


# Answers of these slots are the user's personal values (the rest are choices: yes/no, buttons).
PERSONAL_ANSWER_SLOTS = DEFAULT_REDACT_SLOTS - {"incident_encrypted", "incident_contained"}


def _searchable(value: Any) -> bool:
    """Long enough to mean something when found: 6+ characters with a space, a digit or an @ in them (a
    one-word or yes/no answer is a word of the language, found in any transcript)."""
    text = str(value).strip()
    return len(text) >= 6 and bool(re.search(r"[\s\d@]", text)) and not text.startswith("[")


class Driver:
    def __init__(self, stack: FlowStack) -> None:
        self.stack = stack
        self.filed: Dict[str, Conversation] = {}  # lang + kind -> the conversation that filed it

    def _tracker(self, sender: str) -> Dict[str, Any]:
        return self.stack.tracker(sender)

    def run(self, conv: Conversation) -> None:
        sender = f"redact-{conv.label}-{uuid.uuid4().hex[:8]}"
        earlier = None
        if conv.needs == "receipt":
            earlier = self.filed.get(f"{conv.lang}-receipt")
            assert earlier and earlier.receipt, f"{conv.label}: no anonymous report was filed before it"
            conv.answers.update(status_reference=earlier.reference, status_receipt=earlier.receipt)
            conv.given.add(earlier.receipt)
        elif conv.needs == "email_case":
            earlier = self.filed.get(f"{conv.lang}-email")
            assert earlier and earlier.email, f"{conv.label}: no named case was filed before it"
            conv.answers.update(status_reference=earlier.reference, status_email=earlier.email)
        transcript: List[str] = []
        said = self._say(sender, conv, conv.opener, transcript)
        codes_before = 0
        for _ in range(MAX_TURNS):
            tracker = self._tracker(sender)
            self._note_slots(conv, tracker)
            loop = (tracker.get("active_loop") or {}).get("name")
            slot = tracker["slots"].get("requested_slot")
            if not loop:
                break
            if slot == "confirm_summary":
                answer = "/affirm"  # the summary's "yes, send" button
            elif slot == "verification_code":
                assert conv.reference, f"{conv.label}: a code is asked but no reference was shown\n" + "\n".join(transcript)
                answer = self.stack.backend.latest_code(conv.reference)
                conv.given.add(answer)
            elif slot == "status_code":
                answer = self.stack.backend.latest_code(earlier.reference, after=codes_before)
                conv.given.add(answer)
            elif slot in conv.answers:
                answer = conv.answers[slot]
                if slot == "status_email":
                    codes_before = self.stack.backend.code_count(earlier.reference)
                if slot in PERSONAL_ANSWER_SLOTS and _searchable(answer):
                    conv.given.add(answer)
            else:
                raise AssertionError(f"{conv.label}: no answer for {slot!r}\n" + "\n".join(transcript))
            said = self._say(sender, conv, answer, transcript)
        else:
            raise AssertionError(f"{conv.label}: the form did not finish\n" + "\n".join(transcript))
        everything = "\n".join(transcript)
        if conv.needs:
            assert earlier and earlier.reference in everything, f"{conv.label}: no status answer\n{everything}"
        else:
            assert conv.reference, f"{conv.label}: nothing was filed\n{everything}"
            assert conv.reference in said or conv.receipt, f"{conv.label}: not confirmed\n{everything}"
            if conv.receipt:
                self.filed[f"{conv.lang}-receipt"] = conv
            else:
                conv.email = conv.answers["requester_email"]
                self.filed[f"{conv.lang}-email"] = conv

    def _say(self, sender: str, conv: Conversation, text: str, transcript: List[str]) -> str:
        replies = self.stack.say(sender, text, conv.lang)
        said = "\n".join(r.get("text") or "" for r in replies)
        transcript.append(f"user: {text}\nbot : {said}")
        found = REFERENCE.search(said)
        if found and not conv.needs and conv.reference is None:
            conv.reference = found.group(0)
        receipt = RECEIPT.search(said)
        if receipt and not conv.needs:
            conv.receipt = receipt.group(0)
            conv.given.add(conv.receipt)
        return said

    @staticmethod
    def _note_slots(conv: Conversation, tracker: Dict[str, Any]) -> None:
        """Every value a redacted slot holds now, as Rasa serves it (decrypted by the store)."""
        for name, value in (tracker.get("slots") or {}).items():
            if name in PERSONAL_ANSWER_SLOTS and value is not None and _searchable(value):
                conv.given.add(str(value))


def raw_rows(url: str) -> List[str]:
    """Every column of every row of `events`, read with plain SQL, one text per row."""
    engine = sa.create_engine(url)
    try:
        with engine.connect() as connection:
            rows = connection.execute(sa.text("SELECT * FROM events ORDER BY id")).fetchall()
    finally:
        engine.dispose()
    return [" | ".join("" if c is None else str(c) for c in row) for row in rows]


def found_in_rows(rows: List[str], values: Set[str]) -> List[Tuple[str, str]]:
    """(value, row excerpt) for each value found in a row: case-insensitive, as stored and with JSON escapes
    undone, and with all whitespace removed."""
    decoded = []
    for row in rows:
        head, _, data = row.rpartition(" | ")
        try:
            data = json.dumps(json.loads(data), ensure_ascii=False)
        except ValueError:
            pass
        decoded.append(f"{row}\n{head} | {data}".lower())
    squeezed = [re.sub(r"\s+", "", d) for d in decoded]
    hits = []
    for value in sorted(values):
        needle = value.lower()
        # Not inside a longer word or number: a code's six digits occur inside long floats (confidences,
        # timestamps: "1796657416.942064"), which are no code; so a value starting with a digit may not
        # follow a decimal point either.
        before = r"(?<![\w.])" if needle[:1].isdigit() else r"(?<!\w)"
        pattern = re.compile(rf"{before}{re.escape(needle)}(?!\w)")
        tight = re.sub(r"\s+", "", needle) if re.search(r"\s", needle) else None  # "Anna Lindqvist" as "AnnaLindqvist"
        for text, tight_text in zip(decoded, squeezed):
            found = pattern.search(text)
            if found or (tight and tight in tight_text):
                at = found.start() if found else 0
                hits.append((value, text[max(0, at - 80): at + len(needle) + 80]))
                break
    return hits


@pytest.fixture(scope="module", params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def store_stack(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
                ) -> Iterator[Tuple[str, FlowStack, str]]:
    if request.param == "sqlite":
        # The run's shared stack (tests/conftest.py): its SQLite store also holds every other e2e module's
        # conversations, and all its rows are searched for this test's values.
        stack = flow_stack(request.getfixturevalue("e2e_stack"))
        yield request.param, stack, f"sqlite:///{stack.tracker_db}"
        return
    work = Path(tmp_path_factory.mktemp(f"redact-{request.param}"))
    with scratch_postgres_database("redact_e2e") as name:
        config = ("  type: bot.tracker_store.RedactingSQLTrackerStore\n  dialect: postgresql\n"
                  f"  url: 127.0.0.1\n  port: 5432\n  db: {name}\n  username: postgres\n")
        with running_stack(work, ROOT / "credentials.yml", tracker_store=config) as running:
            yield request.param, FlowStack(running.backend, running.rasa_port, running.tracker_db), \
                f"postgresql://postgres@127.0.0.1:5432/{name}"


def test_no_value_the_user_gave_is_in_any_raw_row(store_stack: Tuple[str, FlowStack, str]) -> None:
    store, stack, url = store_stack
    driver = Driver(stack)
    conversations = [c for lang in LANGS for c in _conversations(lang)]
    failures = []
    for conv in conversations:
        try:
            driver.run(conv)
        except AssertionError as e:  # keep driving the others: the raw-row search is the point
            failures.append(str(e)[:3000])
    # A value the assistant's own texts contain ("cirka 40" is the count question's example) says nothing
    # about the user, and the shared store holds that text from other conversations: not searched for.
    own_words = "\n".join(text for by_lang in T.values() for text in by_lang.values()).lower()
    values = {v for v in set().union(*(c.given for c in conversations)) if v.lower() not in own_words}
    rows = raw_rows(url)
    hits = found_in_rows(rows, values)
    summary = (f"[{store}] {len(conversations)} conversations ({len(conversations) - len(failures)} finished), "
               f"{len(values)} values searched in {len(rows)} raw rows: {len(hits)} found")
    print(summary)
    (ROOT / "var").mkdir(exist_ok=True)
    with (ROOT / "var" / "redaction-raw-rows.txt").open("a", encoding="utf-8") as out:
        out.write(summary + "\n")
    assert len(rows) > 40 * len(conversations) // 4, "too few rows: the conversations did not run"
    assert len(values) >= 5 * len(conversations) // 2, "too few values: the search would prove little"
    assert not hits, summary + "\n" + "\n".join(f"{v!r}: ...{excerpt}..." for v, excerpt in hits[:40])
    assert not failures, "\n\n".join(failures)
