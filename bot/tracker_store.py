"""`RedactingSQLTrackerStore`: Rasa's SQL tracker store, minus the personal data at rest.

Use it from endpoints.yml (Rasa 3.6 imports a custom store by module path and calls
`cls(host=<url>, domain=..., event_broker=..., **other_keys)`):

    tracker_store:
      type: bot.tracker_store.RedactingSQLTrackerStore
      dialect: sqlite            # or postgresql (then url/port/username/password, or url: ${TRACKER_DB_URL})
      db: var/trackers.db

Design (docs/TRANSCRIPTS.md explains it for readers):

* Rasa re-reads the tracker from this store at the start of EVERY user turn (not only after a restart), and
  `SQLTrackerStore.save` only appends the events that are not stored yet (it counts the stored events of the
  current session and appends the rest). So whatever the form needs on the next turn must be recoverable
  from the rows, and the rows must hold no personal data in clear. Hence:
* Text (user text, parse_data text and entity values, bot text, buttons, metadata) is redacted for good
  before it is written: it is never needed again after the turn in which it arrived.
* Values the user gave (the listed slots' values the tracker knows, current or earlier) are replaced by their
  slot's placeholder wherever they occur in a new event, bot messages included (`_known_values`,
  bot.redaction.known_values): a name or a description repeated in the bot's summary has no pattern.
* Slot values that are sensitive (a listed slot name, or any value in which redaction finds something) are
  stored as a typed placeholder (`"value": "[email]"`) plus a Fernet token of the real value
  (`"x_private_token"`), encrypted with TRACKER_ENCRYPTION_KEYS (MultiFernet: first key encrypts, all keys
  decrypt, so keys rotate). `retrieve` decrypts them, so the form and the action server keep working across
  turns and across restarts of any process.
* The token is destroyed ("scrubbed": the row is rewritten without it) as soon as the value is not needed:
  when the same slot is set again (including reset to None when the form finishes or is cancelled), on
  AllSlotsReset / Restarted, when a new session starts (carried-over slots are re-written as new rows), and
  after TRACKER_SECRET_TTL_HOURS (Fernet's own timestamp makes expired tokens undecryptable even before the
  purge job rewrites the rows). A scrubbed listed slot reads back as None (so a form asks again rather than
  using a placeholder); a scrubbed unlisted slot reads back as its redacted text.
* Retention: `delete_conversations_older_than` drops conversations idle for TRACKER_RETENTION_DAYS (30) and
  earlier sessions of still-active conversations. `erase_conversation` drops one conversation and leaves a
  short-lived tombstone (a hash of the sender id) so a turn that is in flight while it is erased cannot
  write the erased events back.
* The embedded SQLite file runs in WAL mode with synchronous=NORMAL and pooled connections (a commit no longer
  waits for the disk); whatever deletes or rewrites rows ends with a truncating checkpoint, so the -wal file
  keeps no earlier image of them (`_use_sqlite_settings`). PostgreSQL is configured as Rasa configures it.
* Logs: nothing here logs text or values. `install_log_redaction()` (run when the store is created)
  redacts e-mail addresses, phones, ID numbers, codes, receipts and tokens from every log record in the
  process, including Rasa's own DEBUG records that print user text; production still runs at INFO.

CLI (reads the same endpoints file, or TRACKER_DB_URL / --db-url):
    python -m bot.tracker_store purge [--days N]     # retention + expired secrets + old tombstones
    python -m bot.tracker_store erase <sender_id>
    python -m bot.tracker_store rotate                # re-encrypt live tokens with the first key
"""

from __future__ import annotations

import argparse
import hashlib
import itertools
import json
import logging
import os
import sys
import time
from datetime import timedelta
from pathlib import Path
from typing import Any, Dict, Iterable, Iterator, List, Optional, Sequence, Text, Tuple

import orjson
import sqlalchemy as sa
from sqlalchemy.orm import aliased
from sqlalchemy import event as sa_event
from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from rasa.core.brokers.broker import EventBroker
from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import (
    ActionExecuted,
    AllSlotsReset,
    BotUttered,
    Event,
    Restarted,
    SessionStarted,
    SlotSet,
    UserUttered,
)
from rasa.shared.core.trackers import DialogueStateTracker
from sqlalchemy.ext.declarative import declarative_base

from bot.redaction import (
    DEFAULT_CODE_SLOTS,
    KnownValues,
    known_values,
    METADATA_SENSITIVE_KEYS,
    PLACEHOLDERS,
    parse_slot_list,
    redact_slot_names_from_env,
    redact_text,
    redact_value,
    slot_placeholder,
)

logger = logging.getLogger(__name__)

__all__ = [
    "RedactingSQLTrackerStore",
    "redact_event_dict",
    "install_log_redaction",
    "RedactingLogFilter",
    "DEFAULT_RETENTION_DAYS",
    "DEFAULT_SECRET_TTL_HOURS",
    "store_from_endpoints",
    "main",
]

DEFAULT_RETENTION_DAYS = 30
DEFAULT_SECRET_TTL_HOURS = 24
TOMBSTONE_HOURS = 24  # long enough to outlive any turn in flight; short so it is not itself a record
DEV_KEY_FILE = "var/tracker-encryption.key"

TOKEN_KEY = "x_private_token"  # Fernet token of the real slot value (json), or None once scrubbed
DROP_KEY = "x_private_drop"  # True: when the token is gone the slot reads back as None
_TOKEN_LIKE = f'%"{TOKEN_KEY}": "%'  # matches rows that still hold a token (json.dumps default spacing)

# Keys of event dicts that are structure, not content: never run through redaction.
_STRUCTURAL_KEYS = frozenset(
    {"event", "timestamp", "name", "policy", "confidence", "message_id", "input_channel", "intent_name",
     "utter_action", "action_name", "entity", "extractor", "processors", "start", "end", "role", "group",
     "model_id", "assistant_id", "intent_response_key", "template_name", "id", "rasa_internal"}
)
# In channel metadata "name" is the user's name (Teams: metadata.user.name), not a structural name: it is a
# sensitive key there, so it must not be skipped.
_METADATA_SKIP_KEYS = frozenset(_STRUCTURAL_KEYS - {"name"})
_SLOT_RESETTING_TYPES = (AllSlotsReset.type_name, Restarted.type_name, SessionStarted.type_name)
_DEFAULT_CODE_PROMPTS = frozenset(
    {"action_ask_verification_code", "action_ask_status_code", "utter_ask_verification_code",
     "utter_ask_status_code", "action_resend_code"}
)


# ------------------------------------------------------------------------------------------ log filter

def _redact_record(record: logging.LogRecord) -> None:
    try:
        message = record.getMessage()
    except Exception:  # a broken format string is the caller's bug; leave the record as it is
        return
    redacted = redact_text(message)
    if redacted != message:
        record.msg, record.args = redacted, ()


class RedactingLogFilter(logging.Filter):
    """A logging.Filter that rewrites a record's message with bot.redaction.redact_text (never drops it).
    Attach it to a handler when a process configures its own logging."""

    def filter(self, record: logging.LogRecord) -> bool:  # noqa: A003 (logging's name)
        _redact_record(record)
        return True


_FACTORY_MARK = "_privacy_assistant_redacting"


def install_log_redaction() -> None:
    """Redact every log record created in this process, whichever logger or handler it goes to.

    A filter on one logger does not see records of its children, and Rasa (structlog rendered through
    stdlib logging), Sanic and pytest add handlers at different times, so the hook is the record factory:
    it runs once per record that passed the level check, which keeps the cost at INFO negligible.
    Idempotent."""
    current = logging.getLogRecordFactory()
    if getattr(current, _FACTORY_MARK, False):
        return

    def factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
        record = current(*args, **kwargs)
        _redact_record(record)
        return record

    setattr(factory, _FACTORY_MARK, True)
    logging.setLogRecordFactory(factory)


# ------------------------------------------------------------------------------------ event redaction

class _Context:
    """What the conversation was doing when an event happened, for context-aware redaction."""

    __slots__ = ("requested_slot", "last_prompt")

    def __init__(self) -> None:
        self.requested_slot: Optional[str] = None
        self.last_prompt: Optional[str] = None

    def advance(self, event: Event) -> None:
        if isinstance(event, SlotSet) and event.key == "requested_slot":
            self.requested_slot = event.value if isinstance(event.value, str) else None
        elif isinstance(event, (AllSlotsReset, Restarted, SessionStarted)):
            self.requested_slot = None
        elif isinstance(event, ActionExecuted) and event.action_name and event.action_name != "action_listen":
            self.last_prompt = event.action_name
        elif isinstance(event, BotUttered):
            self.last_prompt = (event.metadata or {}).get("utter_action") or self.last_prompt
        elif isinstance(event, UserUttered):
            self.last_prompt = None


def redact_event_dict(
    data: Dict[str, Any],
    *,
    expect_code: bool = False,
    answering_slot: Optional[str] = None,
    redact_slots: Iterable[str] = (),
) -> Dict[str, Any]:
    """A redacted copy of one serialised event (`Event.as_dict()`); slot values are NOT handled here.

    answering_slot: the form slot the user was asked for when they wrote this message; when it is a redacted
    slot, the whole message is replaced by that slot's placeholder (a name or free text cannot be found by
    patterns, and the message is that value)."""
    listed = set(redact_slots)
    whole = slot_placeholder(answering_slot) if answering_slot and answering_slot in listed else None
    out: Dict[str, Any] = {}
    for key, value in data.items():
        if key in _STRUCTURAL_KEYS:
            out[key] = value
        elif key == "metadata":
            out[key] = redact_value(value, expect_code=expect_code, skip_keys=_METADATA_SKIP_KEYS,
                                    sensitive_keys=METADATA_SENSITIVE_KEYS)
        elif key == "text" and whole is not None and isinstance(value, str):
            out[key] = whole
        elif key == "parse_data" and isinstance(value, dict):
            out[key] = _redact_parse_data(value, expect_code=expect_code, whole=whole)
        else:
            out[key] = redact_value(value, expect_code=expect_code, skip_keys=_STRUCTURAL_KEYS)
    return out


def _redact_parse_data(parse: Dict[str, Any], *, expect_code: bool, whole: Optional[str]) -> Dict[str, Any]:
    out = redact_value(parse, expect_code=expect_code,
                       skip_keys=_STRUCTURAL_KEYS | {"entities", "text", "metadata"})
    if "metadata" in parse:  # Rasa copies the message metadata into parse_data as well
        out["metadata"] = redact_value(parse["metadata"], expect_code=expect_code, skip_keys=_METADATA_SKIP_KEYS,
                                       sensitive_keys=METADATA_SENSITIVE_KEYS)
    text = parse.get("text")
    out["text"] = whole if (whole is not None and isinstance(text, str)) else redact_text(text, expect_code=expect_code)
    entities = []
    for entity in parse.get("entities") or []:
        entity = dict(entity)
        kind = str(entity.get("entity") or "")
        if entity.get("value") not in (None, "") and kind in PLACEHOLDERS:
            # An entity the extractor labelled e-mail/phone/... is one, whatever the patterns think.
            entity["value"] = PLACEHOLDERS[kind]
        elif whole is not None and isinstance(entity.get("value"), str):
            entity["value"] = whole
        else:
            entity["value"] = redact_value(entity.get("value"), expect_code=expect_code)
        if "text" in entity:
            entity["text"] = redact_value(entity["text"], expect_code=expect_code)
        entities.append(entity)
    if "entities" in parse:
        out["entities"] = entities
    return out


def _replace_known(data: Dict[str, Any], known: KnownValues) -> Dict[str, Any]:
    """`data` (one serialised non-slot event) with every known user value replaced by its slot's placeholder,
    in its text, data (custom payload, buttons, attachments), parse_data and metadata. Structural keys (names
    of events, actions, intents, entities) are left alone; in metadata "name" is the user's name."""
    out: Dict[str, Any] = {}
    for key, value in data.items():
        if key == "metadata":
            out[key] = known.replace_in(value, skip_keys=_METADATA_SKIP_KEYS)
        elif key in _STRUCTURAL_KEYS:
            out[key] = value
        elif key == "parse_data" and isinstance(value, dict):
            parse = {k: (v if k in _STRUCTURAL_KEYS else known.replace_in(v, skip_keys=_STRUCTURAL_KEYS))
                     for k, v in value.items() if k != "metadata"}
            if "metadata" in value:
                parse["metadata"] = known.replace_in(value["metadata"], skip_keys=_METADATA_SKIP_KEYS)
            out[key] = parse
        else:
            out[key] = known.replace_in(value, skip_keys=_STRUCTURAL_KEYS)
    return out


# ------------------------------------------------------------------------------------------ key handling

def _load_cipher(encryption_keys: Optional[Any]) -> List[Fernet]:
    raw = encryption_keys if encryption_keys not in (None, "") else os.environ.get("TRACKER_ENCRYPTION_KEYS", "")
    keys = [k.strip() for k in (raw.split(",") if isinstance(raw, str) else raw) if k and str(k).strip()]
    if not keys:
        if os.environ.get("APP_ENV", "development").lower() == "production":
            raise RuntimeError(
                "TRACKER_ENCRYPTION_KEYS is required when APP_ENV=production "
                "(comma-separated Fernet keys, newest first)"
            )
        keys = [_dev_key()]
    try:
        return [Fernet(k.encode() if isinstance(k, str) else k) for k in keys]
    except (ValueError, TypeError) as e:  # never echo the key material
        raise RuntimeError("TRACKER_ENCRYPTION_KEYS holds a value that is not a Fernet key") from e


def _dev_key() -> str:
    """Development only: a key kept in var/ (mode 0600) so dev restarts keep in-flight forms working."""
    path = Path(os.environ.get("TRACKER_DEV_KEY_FILE", DEV_KEY_FILE))
    if path.exists():
        return path.read_text().strip()
    path.parent.mkdir(parents=True, exist_ok=True)
    key = Fernet.generate_key().decode()
    fd = os.open(str(path), os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write(key + "\n")
    logger.warning("No TRACKER_ENCRYPTION_KEYS set: using the development key file %s", path)
    return key


def _env_number(name: str, default: float) -> float:
    raw = os.environ.get(name)
    return float(raw) if raw not in (None, "") else default


def _sender_hash(sender_id: str) -> str:
    return hashlib.sha256(sender_id.encode("utf-8")).hexdigest()


_ErasureBase = declarative_base()


class _Erasure(_ErasureBase):
    """Tombstone of an erased conversation: only a hash of its id, and when; deleted by purge after a day."""

    __tablename__ = "tracker_erasures"
    sender_hash = sa.Column(sa.String(64), primary_key=True)
    erased_at = sa.Column(sa.Float, nullable=False)


# ------------------------------------------------------------------------------------------- the store

def _parse_row(data: str) -> Dict[str, Any]:
    """A stored row's JSON (written by `json.dumps`) as `json.loads` reads it; orjson is several times faster
    and gives the same values for it, and anything it refuses (NaN, integers beyond 64 bits) goes through json."""
    try:
        return orjson.loads(data)
    except orjson.JSONDecodeError:
        return json.loads(data)


class _Statements:
    """The queries every turn runs, built once with the sender as a bound parameter: building a statement
    (and its cache key) on each call cost more than running it (py-spy, issue 11)."""

    def __init__(self, E: Any) -> None:
        sender = sa.bindparam("sender_id")
        session_start = (
            sa.select(sa.func.max(E.timestamp))
            .where(E.sender_id == sender, E.type_name == SessionStarted.type_name)
            .scalar_subquery()
        )
        # Rasa's `_event_query`: events at or after the latest SessionStarted, or all when there is none.
        in_session = sa.or_(E.timestamp >= session_start, session_start.is_(None))
        self.session_events = sa.select(E.data).where(E.sender_id == sender, in_session).order_by(E.id)
        self.all_events = sa.select(E.data).where(E.sender_id == sender).order_by(E.id)
        self.count_and_erasure = sa.select(
            sa.select(sa.func.count(E.id)).where(E.sender_id == sender, in_session).scalar_subquery(),
            sa.select(_Erasure.erased_at).where(_Erasure.sender_hash == sa.bindparam("sender_hash")).scalar_subquery(),
        )
        self.token_rows = sa.select(E.data).where(E.sender_id == sender, E.data.like(_TOKEN_LIKE))
        self.slot_rows = (
            sa.select(E.id, E.type_name, E.action_name, E.data.like(_TOKEN_LIKE).label("live"))
            .where(E.sender_id == sender, E.type_name.in_((SlotSet.type_name,) + _SLOT_RESETTING_TYPES))
            .order_by(E.id)
        )


class RedactingSQLTrackerStore(SQLTrackerStore):
    """SQLTrackerStore that writes no personal data in clear; see the module docstring for the design.

    Extra endpoint keys (all optional): `redact_slots` (list or "a,b"; "+x,-y" edits the default),
    `encryption_keys`, `secret_ttl_hours`, `retention_days`, `code_slots`, `code_prompt_actions`.
    """

    def __init__(
        self,
        domain: Optional[Domain] = None,
        dialect: Text = "sqlite",
        host: Optional[Text] = None,
        port: Optional[int] = None,
        db: Text = "rasa.db",
        username: Optional[Text] = None,
        password: Optional[Text] = None,
        event_broker: Optional[EventBroker] = None,
        login_db: Optional[Text] = None,
        query: Optional[Dict] = None,
        redact_slots: Optional[Any] = None,
        encryption_keys: Optional[Any] = None,
        secret_ttl_hours: Optional[float] = None,
        retention_days: Optional[float] = None,
        code_slots: Optional[Any] = None,
        code_prompt_actions: Optional[Any] = None,
        **kwargs: Any,
    ) -> None:
        install_log_redaction()
        # Fail before touching the database when the key configuration is wrong.
        self._fernets = _load_cipher(encryption_keys)
        self._cipher = MultiFernet(self._fernets)
        super().__init__(domain, dialect, host, port, db, username, password, event_broker, login_db, query,
                         **kwargs)
        self._sqlite_wal = False
        if self.engine.dialect.name == "sqlite":
            self._use_sqlite_settings()
        _ErasureBase.metadata.create_all(self.engine)
        self._statements = _Statements(self.SQLEvent)
        self.redact_slots = (parse_slot_list(redact_slots) if redact_slots not in (None, "")
                             else redact_slot_names_from_env())
        self.code_slots = parse_slot_list(code_slots, DEFAULT_CODE_SLOTS) if code_slots else DEFAULT_CODE_SLOTS
        self.code_prompt_actions = (parse_slot_list(code_prompt_actions, _DEFAULT_CODE_PROMPTS)
                                    if code_prompt_actions else _DEFAULT_CODE_PROMPTS)
        self.secret_ttl = timedelta(hours=float(secret_ttl_hours) if secret_ttl_hours is not None
                                    else _env_number("TRACKER_SECRET_TTL_HOURS", DEFAULT_SECRET_TTL_HOURS))
        self.retention = timedelta(days=float(retention_days) if retention_days is not None
                                   else _env_number("TRACKER_RETENTION_DAYS", DEFAULT_RETENTION_DAYS))

    def _use_sqlite_settings(self) -> None:
        """The embedded SQLite file: secure_delete, WAL with synchronous=NORMAL, and pooled connections.

        Why: with Rasa's defaults every session opened a new connection (SQLAlchemy 1.4's NullPool for SQLite
        files) and every commit waited for the disk in rollback-journal mode: a tenth of the Rasa process's
        time under load (issue 11), blocking the event loop. In WAL mode a commit appends to the -wal file
        and, with synchronous=NORMAL, is not fsynced (an OS crash can lose the last turns, never corrupt the
        file; production runs PostgreSQL). Readers in other processes (the action server erasing a
        conversation, the purge job) work as before.
        Privacy: secure_delete zeroes deleted and rewritten rows in the pages, but WAL keeps earlier page
        images in the -wal file until a checkpoint. So whatever deletes or rewrites rows (erasure, retention,
        scrubbing a token, rotation) ends with `_truncate_wal`, which copies the pages into the database and
        truncates the -wal file to zero bytes, as the rollback journal used to be deleted after each commit."""
        url = self.engine.url
        if url.database in (None, "", ":memory:"):  # a private in-memory database: nothing on disk to tune
            sa_event.listen(self.engine, "connect", _sqlite_secure_delete)
            self.engine.dispose()
            return
        self.engine.dispose()
        self.engine = sa.create_engine(url, poolclass=sa.pool.QueuePool, pool_size=2, max_overflow=8,
                                       connect_args={"check_same_thread": False})
        sa_event.listen(self.engine, "connect", _sqlite_connection_settings)
        self.sessionmaker = sa.orm.session.sessionmaker(bind=self.engine)
        with self.engine.connect() as connection:
            connection.exec_driver_sql("PRAGMA journal_mode=WAL")  # persistent: stored in the file
        self._sqlite_wal = True

    def _truncate_wal(self) -> None:
        """SQLite in WAL mode: move every committed page into the database file and empty the -wal file, so
        no earlier image of a deleted or rewritten row stays behind in it (see `_use_sqlite_settings`)."""
        if not self._sqlite_wal:
            return
        with self.engine.connect() as connection:
            busy = connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
        if busy and busy[0]:  # another process is reading right now; the next checkpoint finishes the job
            logger.info("SQLite checkpoint postponed: the tracker database is in use")

    # ---------------------------------------------------------------- encryption of slot values

    def _encrypt(self, value: Any, created_at: Optional[int] = None) -> str:
        plain = json.dumps(value).encode("utf-8")
        if created_at is not None:  # a carried-over value keeps its first time, so the TTL is not renewed
            return self._cipher.encrypt_at_time(plain, created_at).decode("ascii")
        return self._cipher.encrypt(plain).decode("ascii")

    def _token_time(self, token: str) -> Optional[int]:
        for fernet in self._fernets:
            try:
                return fernet.extract_timestamp(token.encode("ascii"))
            except InvalidToken:
                continue
        return None

    def _live_value_times(self, session: Any, sender_id: str) -> Dict[tuple, int]:
        """(slot, value) -> creation time of the tokens this conversation still holds."""
        times: Dict[tuple, int] = {}
        for (data,) in session.execute(self._statements.token_rows, {"sender_id": sender_id}):
            row = json.loads(data)
            try:
                value = self._decrypt(row[TOKEN_KEY])
            except InvalidToken:
                continue
            created = self._token_time(row[TOKEN_KEY])
            if created is not None:
                key = (row.get("name"), json.dumps(value, sort_keys=True))
                times[key] = min(created, times.get(key, created))
        return times

    def _decrypt(self, token: str) -> Any:
        """The value, or raises InvalidToken (unknown key, tampered, or older than the TTL)."""
        plain = self._cipher.decrypt(token.encode("ascii"), ttl=int(self.secret_ttl.total_seconds()))
        return json.loads(plain)

    def _slot_row(self, data: Dict[str, Any], value_times: Optional[Dict[tuple, int]] = None,
                  known: Optional[KnownValues] = None) -> Dict[str, Any]:
        name, value = data.get("name"), data.get("value")
        if value is None or name == "requested_slot":
            return data
        if name in self.redact_slots:
            stored, drop = slot_placeholder(str(name)), True
        else:  # an unlisted slot may still repeat a value the user gave, or hold something the patterns find
            stored, drop = redact_value(known.replace_in(value) if known else value), False
            if stored == value:
                return data
        out = dict(data)
        out["value"] = stored
        created = (value_times or {}).get((name, json.dumps(value, sort_keys=True)))
        out[TOKEN_KEY] = self._encrypt(value, created)
        out[DROP_KEY] = drop
        return out

    def _read_row(self, data: Dict[str, Any]) -> Dict[str, Any]:
        if TOKEN_KEY not in data:
            return data
        data = dict(data)
        token, drop = data.pop(TOKEN_KEY), data.pop(DROP_KEY, True)
        if token:
            try:
                data["value"] = self._decrypt(token)
                return data
            except InvalidToken:
                pass  # expired or key retired: the value is gone, as designed
        if drop:
            data["value"] = None
        return data

    # ---------------------------------------------------------------------------- save / retrieve

    def _serialise_new_events(
        self, tracker: DialogueStateTracker, already_stored: int, erased_at: Optional[float]
    ) -> Iterator[Event]:
        events: Sequence[Event] = list(tracker.events)
        if erased_at is not None:
            # The rows now hold only events newer than the erasure; line the tracker up with them.
            events = [e for e in events if (e.timestamp or 0) > erased_at]
        return itertools.islice(events, already_stored, None)

    def _known_values(self, tracker: DialogueStateTracker) -> KnownValues:
        """Every value of a redacted slot this tracker knows: the current ones and every SlotSet among its
        events (also values changed or reset since), so a bot message repeating one ("Namn: ...", "we sent
        a code to ...") is caught without guessing what a name looks like."""
        listed = self.redact_slots
        pairs = [(e.key, e.value) for e in tracker.events
                 if isinstance(e, SlotSet) and e.value is not None and e.key in listed]
        pairs += [(name, slot.value) for name, slot in tracker.slots.items()
                  if name in listed and slot.value is not None]
        return known_values(pairs, listed)

    def _row_for(self, event: Event, ctx: _Context, value_times: Dict[tuple, int],
                 known: Optional[KnownValues] = None) -> Dict[str, Any]:
        data = event.as_dict()
        if isinstance(event, SlotSet):
            return self._slot_row(data, value_times, known)
        if known:  # the user's own values first, while they are still as typed; the patterns after
            data = _replace_known(data, known)
        expect_code = bool(ctx.requested_slot in self.code_slots or ctx.last_prompt in self.code_prompt_actions)
        answering = ctx.requested_slot if isinstance(event, UserUttered) else None
        return redact_event_dict(data, expect_code=expect_code, answering_slot=answering,
                                 redact_slots=self.redact_slots)

    async def save(self, tracker: DialogueStateTracker) -> None:
        """Append the tracker's new events, redacted; then scrub tokens that are no longer needed."""
        await self.stream_events(tracker)
        with self.session_scope() as session:
            stored, erased_at = self._stored_count_and_erasure(session, tracker.sender_id)
            new_events = list(self._serialise_new_events(tracker, stored, erased_at))
            if not new_events:
                return
            ctx = _Context()
            first_new = new_events[0]
            for event in tracker.events:  # context comes from everything before each new event
                if event is first_new:
                    break
                ctx.advance(event)
            touches_slots = False
            value_times = (self._live_value_times(session, tracker.sender_id)
                           if any(isinstance(e, SlotSet) and e.value is not None for e in new_events) else {})
            known = self._known_values(tracker)
            rows = []
            for event in new_events:
                data = self._row_for(event, ctx, value_times, known)
                ctx.advance(event)
                touches_slots |= event.type_name in (SlotSet.type_name,) + _SLOT_RESETTING_TYPES
                rows.append({
                    "sender_id": tracker.sender_id,
                    "type_name": event.type_name,
                    "timestamp": data.get("timestamp"),
                    "intent_name": ((data.get("parse_data") or {}).get("intent") or {}).get("name"),
                    "action_name": data.get("name"),
                    "data": json.dumps(data),
                })
            # One INSERT for the turn's rows, in their order (ids ascend as they did with session.add + flush),
            # instead of the ORM's unit of work per object: the same rows for less CPU.
            session.execute(self.SQLEvent.__table__.insert(), rows)
            scrubbed = self._scrub_superseded(session, tracker.sender_id) if touches_slots else 0
            session.commit()
        if scrubbed:
            self._truncate_wal()
        logger.debug("Tracker stored (%d new events)", len(new_events))

    def _stored_count_and_erasure(self, session: Any, sender_id: str) -> Tuple[int, Optional[float]]:
        """(events stored for the current session, the conversation's erasure time or None) in one query.

        The count is Rasa's own (`_event_query(...).count()`: events at or after the latest SessionStarted, or
        all when there is none); asked together with the tombstone so a turn's save costs one round trip."""
        count, erased_at = session.execute(
            self._statements.count_and_erasure, {"sender_id": sender_id, "sender_hash": _sender_hash(sender_id)}
        ).one()
        return int(count or 0), erased_at

    async def _retrieve(
        self, sender_id: Text, fetch_events_from_all_sessions: bool
    ) -> Optional[DialogueStateTracker]:
        with self.session_scope() as session:
            # Rasa's query (`_event_query`: filters, order by id), reading only the data column: no ORM object
            # per row, and the statement built once.
            query = self._statements.all_events if fetch_events_from_all_sessions else self._statements.session_events
            events = [self._read_row(_parse_row(data)) for (data,) in session.execute(query, {"sender_id": sender_id})]
        if self.domain and events:
            return DialogueStateTracker.from_dict(sender_id, events, self.domain.slots)
        return None

    async def _stream_new_events(self, event_broker: EventBroker, new_events: List[Event], sender_id: Text) -> None:
        """Whatever goes to an event broker is redacted too (no tokens: brokers are not ours to purge)."""
        ctx = _Context()
        # The broker gets this turn's events only: the values set in them are the ones it can be told.
        known = known_values([(e.key, e.value) for e in new_events if isinstance(e, SlotSet)], self.redact_slots)
        for event in new_events:
            data = event.as_dict()
            if isinstance(data, dict) and isinstance(event, SlotSet):
                if data.get("value") is not None and data.get("name") in self.redact_slots:
                    data["value"] = slot_placeholder(data["name"])
                else:
                    data["value"] = redact_value(known.replace_in(data.get("value")) if known else data.get("value"))
            else:
                if known:
                    data = _replace_known(data, known)
                data = redact_event_dict(data, answering_slot=ctx.requested_slot if isinstance(event, UserUttered)
                                         else None, redact_slots=self.redact_slots)
            ctx.advance(event)
            event_broker.publish({"sender_id": sender_id, **data})

    # ----------------------------------------------------------------------------------- scrubbing

    def _scrub_rows(self, session: Any, ids: Iterable[int]) -> int:
        count = 0
        for row in session.query(self.SQLEvent).filter(self.SQLEvent.id.in_(list(ids))):
            data = json.loads(row.data)
            if data.get(TOKEN_KEY):
                data[TOKEN_KEY] = None
                row.data = json.dumps(data)
                count += 1
        return count

    def _scrub_superseded(self, session: Any, sender_id: str) -> int:
        """Only the newest value of each slot in the current session may keep its token."""
        rows = session.execute(self._statements.slot_rows, {"sender_id": sender_id}).all()
        newest: Dict[str, int] = {}
        stale: List[int] = []
        for row_id, type_name, slot, live in rows:
            if type_name != SlotSet.type_name:
                stale.extend(newest.values())
                newest = {}
                continue
            if slot in newest:
                stale.append(newest.pop(slot))
            if live:
                newest[slot] = row_id
        live_ids = {row_id for row_id, _t, _s, live in rows if live}
        return self._scrub_rows(session, [i for i in stale if i in live_ids]) if stale else 0

    def scrub_expired_secrets(self, now: Optional[float] = None) -> int:
        """Rewrite rows whose token is older than the TTL (they no longer decrypt anyway). Returns rows."""
        cutoff = (now if now is not None else time.time()) - self.secret_ttl.total_seconds()
        E = self.SQLEvent
        with self.session_scope() as session:
            ids = [i for (i,) in session.query(E.id).filter(E.data.like(_TOKEN_LIKE), E.timestamp < cutoff)]
            count = self._scrub_rows(session, ids)
            session.commit()
        if count:
            self._truncate_wal()
        return count

    def rotate_keys(self) -> int:
        """Re-encrypt every live token with the first key (keeps each token's timestamp, so TTLs hold)."""
        E = self.SQLEvent
        count = 0
        with self.session_scope() as session:
            for row in session.query(E).filter(E.data.like(_TOKEN_LIKE)):
                data = json.loads(row.data)
                try:
                    data[TOKEN_KEY] = self._cipher.rotate(data[TOKEN_KEY].encode("ascii")).decode("ascii")
                except InvalidToken:
                    data[TOKEN_KEY] = None  # undecryptable with any configured key: nothing to keep
                row.data = json.dumps(data)
                count += 1
            session.commit()
        if count:
            self._truncate_wal()
        return count

    # ------------------------------------------------------------------------- retention / erasure

    def delete_conversations_older_than(self, age: Optional[timedelta] = None, now: Optional[float] = None) -> int:
        """Delete every conversation whose newest event is older than `age` (default: the configured
        retention), and the earlier sessions of live conversations that ended before it. Returns the number
        of conversations deleted entirely."""
        age = age if age is not None else self.retention
        cutoff = (now if now is not None else time.time()) - age.total_seconds()
        E = self.SQLEvent
        with self.session_scope() as session:
            idle = [
                s for (s,) in session.query(E.sender_id).group_by(E.sender_id).having(sa.func.max(E.timestamp) < cutoff)
            ]
            for chunk in _chunks(idle, 500):
                session.query(E).filter(E.sender_id.in_(chunk)).delete(synchronize_session=False)
            # Earlier sessions of conversations that are still in use: everything before their newest
            # SessionStarted that is also older than the cut-off.
            later = aliased(E)
            latest_start = (
                sa.select(sa.func.max(later.timestamp))
                .where(later.sender_id == E.sender_id, later.type_name == SessionStarted.type_name)
                .scalar_subquery()
            )
            pruned = (
                session.query(E)
                .filter(E.timestamp < cutoff, E.timestamp < latest_start)
                .delete(synchronize_session=False)
            )
            session.query(_Erasure).filter(
                _Erasure.erased_at < time.time() - TOMBSTONE_HOURS * 3600
            ).delete(synchronize_session=False)
            session.commit()
        if idle or pruned:
            self._truncate_wal()
        logger.info("Retention: deleted %d conversations and %d events of earlier sessions", len(idle), pruned)
        return len(idle)

    def erase_conversation(self, sender_id: str) -> bool:
        """Delete every stored event of one conversation; True when there was something to delete."""
        E = self.SQLEvent
        with self.session_scope() as session:
            deleted = session.query(E).filter(E.sender_id == sender_id).delete(synchronize_session=False)
            key = _sender_hash(sender_id)
            tomb = session.get(_Erasure, key)
            if tomb is None:
                session.add(_Erasure(sender_hash=key, erased_at=time.time()))
            else:
                tomb.erased_at = time.time()
            session.commit()
        self._truncate_wal()
        logger.info("Erasure: removed a conversation (%d events)", deleted)
        return deleted > 0


def _sqlite_secure_delete(dbapi_connection: Any, _record: Any) -> None:
    # Deleted and rewritten rows are overwritten with zeros instead of lingering in free pages.
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA secure_delete = ON")
    cursor.close()


def _sqlite_connection_settings(dbapi_connection: Any, _record: Any) -> None:
    """Per connection (these pragmas are not stored in the file): see `_use_sqlite_settings`."""
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA secure_delete = ON")
    cursor.execute("PRAGMA synchronous = NORMAL")
    cursor.execute("PRAGMA busy_timeout = 5000")  # as pysqlite's default: a writer waits for the other process
    cursor.close()


def _chunks(items: List[str], size: int) -> Iterator[List[str]]:
    for i in range(0, len(items), size):
        yield items[i:i + size]


# ------------------------------------------------------------------------------------------------ CLI

def store_from_endpoints(endpoints: str = "endpoints.yml", db_url: Optional[str] = None) -> RedactingSQLTrackerStore:
    """The store the running bot uses: --db-url, else TRACKER_DB_URL, else the endpoints file's tracker_store
    (type SQL or this class; its other keys, ${VAR}s substituted by Rasa, are passed on)."""
    url = db_url or os.environ.get("TRACKER_DB_URL")
    if url:
        return RedactingSQLTrackerStore(host=url)
    from rasa.utils.endpoints import read_endpoint_config

    config = read_endpoint_config(endpoints, "tracker_store")
    if config is None:
        raise SystemExit(f"{endpoints} has no tracker_store section; pass --db-url or set TRACKER_DB_URL")
    kind = (config.type or "").lower()
    if kind not in ("sql", "bot.tracker_store.redactingsqltrackerstore"):
        raise SystemExit(f"tracker_store type {config.type!r} is not an SQL store")
    return RedactingSQLTrackerStore(host=config.url, **config.kwargs)


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bot.tracker_store", description=__doc__.split("\n")[0])
    parser.add_argument("--endpoints", default="endpoints.yml")
    parser.add_argument("--db-url", default=None, help="SQLAlchemy URL; overrides TRACKER_DB_URL and --endpoints")
    sub = parser.add_subparsers(dest="command", required=True)
    purge = sub.add_parser("purge", help="retention, expired secrets and old tombstones")
    purge.add_argument("--days", type=float, default=None, help="default TRACKER_RETENTION_DAYS or 30")
    erase = sub.add_parser("erase", help="delete one conversation")
    erase.add_argument("sender_id")
    sub.add_parser("rotate", help="re-encrypt live slot tokens with the first key")
    args = parser.parse_args(argv)

    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    store = store_from_endpoints(args.endpoints, args.db_url)
    if args.command == "purge":
        age = timedelta(days=args.days) if args.days is not None else None
        result = {"conversations_deleted": store.delete_conversations_older_than(age),
                  "secrets_scrubbed": store.scrub_expired_secrets()}
    elif args.command == "erase":
        result = {"erased": store.erase_conversation(args.sender_id)}
    else:
        result = {"tokens_rotated": store.rotate_keys()}
    print(json.dumps(result))  # counts only: the sender id is not echoed
    return 0 if result.get("erased", True) else 1


if __name__ == "__main__":
    sys.exit(main())
