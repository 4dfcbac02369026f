"""Tables of the staff workspace and the deadline alerts (migration 0002_staff_workspace).

Kept apart from backend/models.py (owned by the API) but on the same declarative `Base`, so foreign
keys to `staff_users` and `cases` resolve and Alembic's drift check sees them once this module is imported.

- `staff_sessions`: server-side sessions of the staff pages. Only a SHA-256 of the random session id is
  stored, so a database dump cannot be replayed as a cookie.
- `staff_signin_attempts`: failed sign-ins per client, keyed by an HMAC of the client address (never the
  address itself), for the sign-in rate limit.
- `sent_alerts`: one row per alert e-mail, claimed *before* sending. `dedupe_key` is unique, so two
  schedulers (the in-process one and a cron run) can never both send the same alert.
"""

from __future__ import annotations

from sqlalchemy import Column, ForeignKey, Index, Integer, String

from backend.models import Base, UTCDateTime


class StaffSession(Base):
    __tablename__ = "staff_sessions"

    id = Column(Integer, primary_key=True)
    session_hash = Column(String(64), nullable=False, unique=True)
    staff_id = Column(Integer, ForeignKey("staff_users.id", ondelete="CASCADE"), nullable=False, index=True)
    provider = Column(String(20), nullable=False)  # "token" | later "oidc"
    created_at = Column(UTCDateTime, nullable=False)
    last_seen_at = Column(UTCDateTime, nullable=False)
    expires_at = Column(UTCDateTime, nullable=False, index=True)  # absolute limit (created + 12 h)


class StaffSigninAttempt(Base):
    __tablename__ = "staff_signin_attempts"
    __table_args__ = (Index("ix_staff_signin_attempts_client_created", "client_key", "created_at"),)

    id = Column(Integer, primary_key=True)
    client_key = Column(String(64), nullable=False)
    created_at = Column(UTCDateTime, nullable=False)


class SentAlert(Base):
    __tablename__ = "sent_alerts"

    id = Column(Integer, primary_key=True)
    # "case:<id>:<kind>" or "digest:<local date>:<roles>": unique, the claim that prevents a second send.
    dedupe_key = Column(String(160), nullable=False, unique=True)
    case_id = Column(Integer, ForeignKey("cases.id", ondelete="CASCADE"), nullable=True, index=True)
    kind = Column(String(40), nullable=False)
    recipient_role = Column(String(64), nullable=False)
    status = Column(String(10), nullable=False)  # claimed | sent | failed
    attempts = Column(Integer, nullable=False)
    claimed_at = Column(UTCDateTime, nullable=False)
    sent_at = Column(UTCDateTime, nullable=True)
