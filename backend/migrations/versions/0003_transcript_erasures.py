"""Chat-transcript erasure: the conversation a case was filed from, and the outbox of erasures for Rasa.

Adds `cases.conversation_id_enc` (nullable, encrypted) and the `transcript_erasures` table
(see backend/models.py `TranscriptErasure` and backend/services/transcripts.py).

Revision ID: 0003_transcript_erasures
Revises: 0002_staff_workspace
Create Date: 2026-12-02
"""

import sqlalchemy as sa
from alembic import op

revision = "0003_transcript_erasures"
down_revision = "0002_staff_workspace"
branch_labels = None
depends_on = None


def _ts(name: str, nullable: bool = True) -> sa.Column:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    op.add_column("cases", sa.Column("conversation_id_enc", sa.Text, nullable=True))
    op.create_table(
        "transcript_erasures",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("case_id", sa.Integer, sa.ForeignKey("cases.id", ondelete="CASCADE"), nullable=False),
        sa.Column("conversation_id_enc", sa.Text, nullable=True),
        sa.Column("conversation_index", sa.String(64), nullable=False),
        _ts("created_at", nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False),
        _ts("next_attempt_at", nullable=False),
        _ts("done_at"),
        sa.Column("last_error_code", sa.String(40), nullable=True),
        sa.UniqueConstraint("case_id", "conversation_index", name="uq_transcript_erasures_case_conversation"),
    )
    op.create_index("ix_transcript_erasures_due", "transcript_erasures", ["done_at", "next_attempt_at"])


def downgrade() -> None:
    op.drop_table("transcript_erasures")
    # SQLite cannot always drop a column in place; batch mode copies the table where needed.
    with op.batch_alter_table("cases") as batch:
        batch.drop_column("conversation_id_enc")
