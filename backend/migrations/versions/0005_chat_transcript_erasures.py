"""Chat-transcript erasure asked for in the chat ("forget this conversation"): an outbox row without a case.

`transcript_erasures.case_id` becomes nullable (NULL: the user asked in the chat, no case owes it), and a
partial unique index keeps at most one pending chat request per conversation, so a retried request reuses the
row instead of queueing another (see backend/models.py `TranscriptErasure`, backend/services/transcripts.py).

Revision ID: 0005_chat_transcript_erasures
Revises: 0004_queued_emails
Create Date: 2026-12-08
"""

import sqlalchemy as sa
from alembic import op

revision = "0005_chat_transcript_erasures"
down_revision = "0004_queued_emails"
branch_labels = None
depends_on = None

_PENDING_CHAT = "case_id IS NULL AND done_at IS NULL"


def upgrade() -> None:
    # SQLite cannot change a column's nullability in place; batch mode copies the table there.
    with op.batch_alter_table("transcript_erasures") as batch:
        batch.alter_column("case_id", existing_type=sa.Integer, nullable=True)
    op.create_index("uq_transcript_erasures_chat_pending", "transcript_erasures", ["conversation_index"],
                    unique=True, sqlite_where=sa.text(_PENDING_CHAT), postgresql_where=sa.text(_PENDING_CHAT))


def downgrade() -> None:
    op.drop_index("uq_transcript_erasures_chat_pending", table_name="transcript_erasures")
    # Chat requests have no case to belong to: they cannot be kept under the old schema.
    op.execute("DELETE FROM transcript_erasures WHERE case_id IS NULL")
    with op.batch_alter_table("transcript_erasures") as batch:
        batch.alter_column("case_id", existing_type=sa.Integer, nullable=False)
