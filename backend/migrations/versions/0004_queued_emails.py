"""The e-mail outbox: e-mails are queued in the transaction that decides them and sent after the commit.

Adds the `queued_emails` table (see backend/models.py `QueuedEmail` and backend/services/notify.py).

Revision ID: 0004_queued_emails
Revises: 0003_transcript_erasures
Create Date: 2026-12-07
"""

import sqlalchemy as sa
from alembic import op

revision = "0004_queued_emails"
down_revision = "0003_transcript_erasures"
branch_labels = None
depends_on = None


def _ts(name: str, nullable: bool = True) -> sa.Column:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "queued_emails",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("template", sa.String(40), nullable=False),
        sa.Column("language", sa.String(5), nullable=False),
        sa.Column("reference", sa.String(40), nullable=False),
        sa.Column("code_id", sa.Integer, sa.ForeignKey("verification_codes.id", ondelete="CASCADE"), nullable=True),
        sa.Column("recipient_enc", sa.Text, nullable=False),
        sa.Column("context_enc", sa.Text, nullable=False),
        _ts("created_at", nullable=False),
        _ts("claimed_until", nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False),
    )
    op.create_index("ix_queued_emails_claimed_until", "queued_emails", ["claimed_until"])


def downgrade() -> None:
    op.drop_index("ix_queued_emails_claimed_until", table_name="queued_emails")
    op.drop_table("queued_emails")
