"""SQLAlchemy models of the case backend.

Columns ending in `_enc` hold FieldCipher tokens (names, e-mail addresses, free text, replayable
responses); `*_index` columns hold keyed blind indexes so an address can be looked up and rate-limited
without storing it in clear. The schema itself is created by Alembic (`backend/migrations`), never by
`create_all`, so the migrations are what the tests exercise.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any, Optional

from sqlalchemy import (
    Boolean,
    Column,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import declarative_base, relationship
from sqlalchemy.types import TypeDecorator

Base = declarative_base()


class UTCDateTime(TypeDecorator):
    """Timezone-aware UTC datetimes on every backend.

    Why: SQLite has no time zone type and hands back naive values; a naive value reaching
    backend/deadlines.py is rejected there, and a silently shifted one would move legal deadlines.
    Values are stored as UTC (naive on SQLite, timestamptz on PostgreSQL) and always come back aware.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: Optional[datetime], dialect: Dialect) -> Optional[datetime]:
        if value is None:
            return None
        if value.tzinfo is None or value.tzinfo.utcoffset(value) is None:
            raise ValueError("naive datetime given to a UTC column")
        value = value.astimezone(timezone.utc)
        if dialect.name == "sqlite":
            return value.replace(tzinfo=None)
        return value

    def process_result_value(self, value: Optional[datetime], dialect: Dialect) -> Optional[datetime]:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=timezone.utc)
        return value.astimezone(timezone.utc)


class Case(Base):
    __tablename__ = "cases"

    id = Column(Integer, primary_key=True)
    reference = Column(String(32), nullable=False, unique=True)
    type = Column(String(40), nullable=False, index=True)
    status = Column(String(32), nullable=False, index=True)
    language = Column(String(2), nullable=False)
    channel = Column(String(10), nullable=False)
    country = Column(String(2), nullable=False)
    company = Column(String(200), nullable=True)
    anonymous = Column(Boolean, nullable=False, default=False)
    verified_by_channel = Column(Boolean, nullable=False, default=False)
    requester_name_enc = Column(Text, nullable=True)
    requester_email_enc = Column(Text, nullable=True)
    requester_email_index = Column(String(128), nullable=True, index=True)
    details_enc = Column(Text, nullable=True)
    receipt_hash = Column(String(255), nullable=True)
    aware_at = Column(UTCDateTime, nullable=True)
    created_at = Column(UTCDateTime, nullable=False)
    updated_at = Column(UTCDateTime, nullable=False)
    verification_expires_at = Column(UTCDateTime, nullable=True)
    verified_at = Column(UTCDateTime, nullable=True)
    due_at = Column(UTCDateTime, nullable=True, index=True)
    original_due_at = Column(UTCDateTime, nullable=True)
    clocks_json = Column(Text, nullable=True)
    extension_months = Column(Integer, nullable=True)
    extension_reason_enc = Column(Text, nullable=True)
    extended_at = Column(UTCDateTime, nullable=True)
    status_reason_enc = Column(Text, nullable=True)
    closed_at = Column(UTCDateTime, nullable=True, index=True)
    anonymised_at = Column(UTCDateTime, nullable=True)
    # Rasa sender id of the chat the case was filed from (encrypted; never for anonymous reports), so an
    # erasure case can erase the requester's transcripts (backend/services/transcripts.py).
    conversation_id_enc = Column(Text, nullable=True)

    codes = relationship("VerificationCode", back_populates="case", cascade="all, delete-orphan", passive_deletes=True)
    messages = relationship(
        "Message", back_populates="case", cascade="all, delete-orphan", passive_deletes=True,
        order_by="Message.id",
    )


class VerificationCode(Base):
    """A one-time e-mail code. Only a keyed hash of the code is stored."""

    __tablename__ = "verification_codes"
    __table_args__ = (Index("ix_verification_codes_email_created", "email_index", "created_at"),)

    id = Column(Integer, primary_key=True)
    case_id = Column(Integer, ForeignKey("cases.id", ondelete="CASCADE"), nullable=False, index=True)
    purpose = Column(String(20), nullable=False)  # "case" (verify a new case) | "status" (status look-up)
    email_index = Column(String(128), nullable=False)
    code_hash = Column(String(128), nullable=False)
    created_at = Column(UTCDateTime, nullable=False)
    expires_at = Column(UTCDateTime, nullable=False)
    attempts = Column(Integer, nullable=False, default=0)
    used_at = Column(UTCDateTime, nullable=True)
    superseded = Column(Boolean, nullable=False, default=False)
    delivery_failed = Column(Boolean, nullable=False, default=False)

    case = relationship("Case", back_populates="codes")


class VerificationFailure(Base):
    """One wrong code attempt, kept for the per-address cap (10 per hour across all codes)."""

    __tablename__ = "verification_failures"
    __table_args__ = (Index("ix_verification_failures_email_created", "email_index", "created_at"),)

    id = Column(Integer, primary_key=True)
    email_index = Column(String(128), nullable=False)
    case_id = Column(Integer, ForeignKey("cases.id", ondelete="SET NULL"), nullable=True)
    code_id = Column(Integer, ForeignKey("verification_codes.id", ondelete="SET NULL"), nullable=True)
    created_at = Column(UTCDateTime, nullable=False)


class AddressLock(Base):
    """One row per e-mail blind index, locked (FOR UPDATE) to serialise rate-limit decisions per address."""

    __tablename__ = "address_locks"

    email_index = Column(String(128), primary_key=True)
    created_at = Column(UTCDateTime, nullable=False)


class AuditEntry(Base):
    """Append-only, hash-chained audit entry. Holds ids, references and codes; never personal data."""

    __tablename__ = "audit_entries"

    id = Column(Integer, primary_key=True)
    seq = Column(Integer, nullable=False, unique=True)
    occurred_at = Column(String(40), nullable=False)  # ISO 8601 text exactly as hashed
    action = Column(String(64), nullable=False)
    actor = Column(String(64), nullable=False)
    case_reference = Column(String(32), nullable=True, index=True)
    data = Column(Text, nullable=False)  # canonical JSON exactly as hashed
    prev_hash = Column(String(64), nullable=False)
    hash = Column(String(64), nullable=False, unique=True)


class AuditHead(Base):
    """The single lock row of the audit chain: the last sequence number and hash."""

    __tablename__ = "audit_head"

    id = Column(Integer, primary_key=True)
    last_seq = Column(Integer, nullable=False)
    last_hash = Column(String(64), nullable=False)


class StaffUser(Base):
    __tablename__ = "staff_users"

    id = Column(Integer, primary_key=True)
    name_enc = Column(Text, nullable=False)
    role = Column(String(32), nullable=False)
    token_hash = Column(String(128), nullable=False, unique=True)
    created_at = Column(UTCDateTime, nullable=False)
    disabled_at = Column(UTCDateTime, nullable=True)


class IdempotencyRecord(Base):
    """Replay record of a case creation. `key` is unique: concurrent duplicates lose on the constraint."""

    __tablename__ = "idempotency_records"

    id = Column(Integer, primary_key=True)
    key = Column(String(128), nullable=False, unique=True)
    request_hash = Column(String(64), nullable=False)
    status_code = Column(Integer, nullable=False)
    response_enc = Column(Text, nullable=False)
    created_at = Column(UTCDateTime, nullable=False)
    expires_at = Column(UTCDateTime, nullable=False, index=True)


class Message(Base):
    __tablename__ = "messages"

    id = Column(Integer, primary_key=True)
    case_id = Column(Integer, ForeignKey("cases.id", ondelete="CASCADE"), nullable=False, index=True)
    direction = Column(String(20), nullable=False)  # "to_requester" | "from_requester"
    staff_id = Column(Integer, ForeignKey("staff_users.id", ondelete="SET NULL"), nullable=True)
    body_enc = Column(Text, nullable=False)
    created_at = Column(UTCDateTime, nullable=False)

    case = relationship("Case", back_populates="messages")


class TranscriptErasure(Base):
    """Outbox row: erase one chat conversation in Rasa's tracker store, owed by a completed erasure case or,
    with no case (`case_id` NULL), asked for by the user in the chat ("forget this conversation").

    Delivered by backend/services/transcripts.py. The conversation id is kept only encrypted (and removed
    once delivered); `conversation_index` is a keyed hash of it so each conversation is queued once per
    case (unique constraint), and a chat request at most once while it is pending (partial unique index).
    `last_error_code` is a short machine code, never a response body.
    """

    __tablename__ = "transcript_erasures"
    __table_args__ = (
        UniqueConstraint("case_id", "conversation_index", name="uq_transcript_erasures_case_conversation"),
        Index("ix_transcript_erasures_due", "done_at", "next_attempt_at"),
        Index("uq_transcript_erasures_chat_pending", "conversation_index", unique=True,
              sqlite_where=text("case_id IS NULL AND done_at IS NULL"),
              postgresql_where=text("case_id IS NULL AND done_at IS NULL")),
    )

    id = Column(Integer, primary_key=True)
    case_id = Column(Integer, ForeignKey("cases.id", ondelete="CASCADE"), nullable=True)
    conversation_id_enc = Column(Text, nullable=True)
    conversation_index = Column(String(64), nullable=False)
    created_at = Column(UTCDateTime, nullable=False)
    attempts = Column(Integer, nullable=False, default=0)
    next_attempt_at = Column(UTCDateTime, nullable=False)
    done_at = Column(UTCDateTime, nullable=True)
    last_error_code = Column(String(40), nullable=True)


class QueuedEmail(Base):
    """Outbox row: one e-mail decided in a transaction (a code, a receipt, a notice), written in that same
    transaction and deleted once sent or given up (backend/services/notify.py). So a crash between the commit
    and the send loses no e-mail: whoever finds the row unclaimed sends it. Recipient and template values (a
    code among them) are kept only encrypted, and only until the e-mail is sent."""

    __tablename__ = "queued_emails"
    __table_args__ = (Index("ix_queued_emails_claimed_until", "claimed_until"),)

    id = Column(Integer, primary_key=True)
    template = Column(String(40), nullable=False)
    language = Column(String(5), nullable=False)
    reference = Column(String(40), nullable=False)
    code_id = Column(Integer, ForeignKey("verification_codes.id", ondelete="CASCADE"), nullable=True)
    recipient_enc = Column(Text, nullable=False)
    context_enc = Column(Text, nullable=False)
    created_at = Column(UTCDateTime, nullable=False)
    claimed_until = Column(UTCDateTime, nullable=False)  # a sender holds it until then; afterwards anyone may
    attempts = Column(Integer, nullable=False, default=0)


def as_dict(row: Any) -> dict[str, Any]:
    """Column values of a row (debugging and tests)."""
    return {c.name: getattr(row, c.name) for c in row.__table__.columns}
