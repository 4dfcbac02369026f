"""Staff workspace and deadline alerts: staff sessions, sign-in attempts, sent alerts.

New tables only; nothing of 0001 is altered (see backend/workspace_models.py).

Revision ID: 0002_staff_workspace
Revises: 0001_initial
Create Date: 2026-11-24
"""

import sqlalchemy as sa
from alembic import op

revision = "0002_staff_workspace"
down_revision = "0001_initial"
branch_labels = None
depends_on = None


def _ts(name: str, nullable: bool = True) -> sa.Column:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "staff_sessions",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("session_hash", sa.String(64), nullable=False),
        sa.Column("staff_id", sa.Integer, sa.ForeignKey("staff_users.id", ondelete="CASCADE"), nullable=False),
        sa.Column("provider", sa.String(20), nullable=False),
        _ts("created_at", nullable=False),
        _ts("last_seen_at", nullable=False),
        _ts("expires_at", nullable=False),
        sa.UniqueConstraint("session_hash", name="uq_staff_sessions_session_hash"),
    )
    op.create_index("ix_staff_sessions_staff_id", "staff_sessions", ["staff_id"])
    op.create_index("ix_staff_sessions_expires_at", "staff_sessions", ["expires_at"])

    op.create_table(
        "staff_signin_attempts",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("client_key", sa.String(64), nullable=False),
        _ts("created_at", nullable=False),
    )
    op.create_index(
        "ix_staff_signin_attempts_client_created", "staff_signin_attempts", ["client_key", "created_at"]
    )

    op.create_table(
        "sent_alerts",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("dedupe_key", sa.String(160), nullable=False),
        sa.Column("case_id", sa.Integer, sa.ForeignKey("cases.id", ondelete="CASCADE"), nullable=True),
        sa.Column("kind", sa.String(40), nullable=False),
        sa.Column("recipient_role", sa.String(64), nullable=False),
        sa.Column("status", sa.String(10), nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False),
        _ts("claimed_at", nullable=False),
        _ts("sent_at"),
        sa.UniqueConstraint("dedupe_key", name="uq_sent_alerts_dedupe_key"),
    )
    op.create_index("ix_sent_alerts_case_id", "sent_alerts", ["case_id"])


def downgrade() -> None:
    for table in ("sent_alerts", "staff_signin_attempts", "staff_sessions"):
        op.drop_table(table)
