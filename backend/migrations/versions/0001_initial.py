"""Initial schema: cases, codes, rate-limit rows, audit chain, staff, idempotency, messages.

Revision ID: 0001_initial
Revises:
Create Date: 2026-11-24
"""

import sqlalchemy as sa
from alembic import op

revision = "0001_initial"
down_revision = None
branch_labels = None
depends_on = None

GENESIS_HASH = "0" * 64


def _ts(name: str, nullable: bool = True) -> sa.Column:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "cases",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("reference", sa.String(32), nullable=False),
        sa.Column("type", sa.String(40), nullable=False),
        sa.Column("status", sa.String(32), nullable=False),
        sa.Column("language", sa.String(2), nullable=False),
        sa.Column("channel", sa.String(10), nullable=False),
        sa.Column("country", sa.String(2), nullable=False),
        sa.Column("company", sa.String(200), nullable=True),
        sa.Column("anonymous", sa.Boolean, nullable=False),
        sa.Column("verified_by_channel", sa.Boolean, nullable=False),
        sa.Column("requester_name_enc", sa.Text, nullable=True),
        sa.Column("requester_email_enc", sa.Text, nullable=True),
        sa.Column("requester_email_index", sa.String(128), nullable=True),
        sa.Column("details_enc", sa.Text, nullable=True),
        sa.Column("receipt_hash", sa.String(255), nullable=True),
        _ts("aware_at"),
        _ts("created_at", nullable=False),
        _ts("updated_at", nullable=False),
        _ts("verification_expires_at"),
        _ts("verified_at"),
        _ts("due_at"),
        _ts("original_due_at"),
        sa.Column("clocks_json", sa.Text, nullable=True),
        sa.Column("extension_months", sa.Integer, nullable=True),
        sa.Column("extension_reason_enc", sa.Text, nullable=True),
        _ts("extended_at"),
        sa.Column("status_reason_enc", sa.Text, nullable=True),
        _ts("closed_at"),
        _ts("anonymised_at"),
        sa.UniqueConstraint("reference", name="uq_cases_reference"),
    )
    op.create_index("ix_cases_type", "cases", ["type"])
    op.create_index("ix_cases_status", "cases", ["status"])
    op.create_index("ix_cases_requester_email_index", "cases", ["requester_email_index"])
    op.create_index("ix_cases_due_at", "cases", ["due_at"])
    op.create_index("ix_cases_closed_at", "cases", ["closed_at"])

    op.create_table(
        "verification_codes",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("case_id", sa.Integer, sa.ForeignKey("cases.id", ondelete="CASCADE"), nullable=False),
        sa.Column("purpose", sa.String(20), nullable=False),
        sa.Column("email_index", sa.String(128), nullable=False),
        sa.Column("code_hash", sa.String(128), nullable=False),
        _ts("created_at", nullable=False),
        _ts("expires_at", nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False),
        _ts("used_at"),
        sa.Column("superseded", sa.Boolean, nullable=False),
        sa.Column("delivery_failed", sa.Boolean, nullable=False),
    )
    op.create_index("ix_verification_codes_case_id", "verification_codes", ["case_id"])
    op.create_index("ix_verification_codes_email_created", "verification_codes", ["email_index", "created_at"])

    op.create_table(
        "verification_failures",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("email_index", sa.String(128), nullable=False),
        sa.Column("case_id", sa.Integer, sa.ForeignKey("cases.id", ondelete="SET NULL"), nullable=True),
        sa.Column(
            "code_id", sa.Integer, sa.ForeignKey("verification_codes.id", ondelete="SET NULL"), nullable=True
        ),
        _ts("created_at", nullable=False),
    )
    op.create_index(
        "ix_verification_failures_email_created", "verification_failures", ["email_index", "created_at"]
    )

    op.create_table(
        "address_locks",
        sa.Column("email_index", sa.String(128), primary_key=True),
        _ts("created_at", nullable=False),
    )

    op.create_table(
        "audit_entries",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("seq", sa.Integer, nullable=False),
        sa.Column("occurred_at", sa.String(40), nullable=False),
        sa.Column("action", sa.String(64), nullable=False),
        sa.Column("actor", sa.String(64), nullable=False),
        sa.Column("case_reference", sa.String(32), nullable=True),
        sa.Column("data", sa.Text, nullable=False),
        sa.Column("prev_hash", sa.String(64), nullable=False),
        sa.Column("hash", sa.String(64), nullable=False),
        sa.UniqueConstraint("seq", name="uq_audit_entries_seq"),
        sa.UniqueConstraint("hash", name="uq_audit_entries_hash"),
    )
    op.create_index("ix_audit_entries_case_reference", "audit_entries", ["case_reference"])

    audit_head = op.create_table(
        "audit_head",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("last_seq", sa.Integer, nullable=False),
        sa.Column("last_hash", sa.String(64), nullable=False),
    )
    op.bulk_insert(audit_head, [{"id": 1, "last_seq": 0, "last_hash": GENESIS_HASH}])

    op.create_table(
        "staff_users",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("name_enc", sa.Text, nullable=False),
        sa.Column("role", sa.String(32), nullable=False),
        sa.Column("token_hash", sa.String(128), nullable=False),
        _ts("created_at", nullable=False),
        _ts("disabled_at"),
        sa.UniqueConstraint("token_hash", name="uq_staff_users_token_hash"),
    )

    op.create_table(
        "idempotency_records",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("key", sa.String(128), nullable=False),
        sa.Column("request_hash", sa.String(64), nullable=False),
        sa.Column("status_code", sa.Integer, nullable=False),
        sa.Column("response_enc", sa.Text, nullable=False),
        _ts("created_at", nullable=False),
        _ts("expires_at", nullable=False),
        sa.UniqueConstraint("key", name="uq_idempotency_records_key"),
    )
    op.create_index("ix_idempotency_records_expires_at", "idempotency_records", ["expires_at"])

    op.create_table(
        "messages",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("case_id", sa.Integer, sa.ForeignKey("cases.id", ondelete="CASCADE"), nullable=False),
        sa.Column("direction", sa.String(20), nullable=False),
        sa.Column("staff_id", sa.Integer, sa.ForeignKey("staff_users.id", ondelete="SET NULL"), nullable=True),
        sa.Column("body_enc", sa.Text, nullable=False),
        _ts("created_at", nullable=False),
    )
    op.create_index("ix_messages_case_id", "messages", ["case_id"])

    # The audit trail is append-only in the database too (defence in depth; the hash chain still
    # detects changes made by someone who can drop these triggers).
    dialect = op.get_bind().dialect.name
    if dialect == "postgresql":
        op.execute(
            """
            CREATE FUNCTION audit_entries_append_only() RETURNS trigger AS $$
            BEGIN
                RAISE EXCEPTION 'audit_entries is append-only';
            END;
            $$ LANGUAGE plpgsql
            """
        )
        op.execute(
            "CREATE TRIGGER audit_entries_no_change BEFORE UPDATE OR DELETE ON audit_entries "
            "FOR EACH ROW EXECUTE FUNCTION audit_entries_append_only()"
        )
        op.execute(
            "CREATE TRIGGER audit_entries_no_truncate BEFORE TRUNCATE ON audit_entries "
            "FOR EACH STATEMENT EXECUTE FUNCTION audit_entries_append_only()"
        )
    elif dialect == "sqlite":
        op.execute(
            "CREATE TRIGGER audit_entries_no_update BEFORE UPDATE ON audit_entries "
            "BEGIN SELECT RAISE(ABORT, 'audit_entries is append-only'); END"
        )
        op.execute(
            "CREATE TRIGGER audit_entries_no_delete BEFORE DELETE ON audit_entries "
            "BEGIN SELECT RAISE(ABORT, 'audit_entries is append-only'); END"
        )


def downgrade() -> None:
    dialect = op.get_bind().dialect.name
    if dialect == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS audit_entries_no_truncate ON audit_entries")
        op.execute("DROP TRIGGER IF EXISTS audit_entries_no_change ON audit_entries")
        op.execute("DROP FUNCTION IF EXISTS audit_entries_append_only()")
    elif dialect == "sqlite":
        op.execute("DROP TRIGGER IF EXISTS audit_entries_no_update")
        op.execute("DROP TRIGGER IF EXISTS audit_entries_no_delete")
    for table in (
        "messages",
        "idempotency_records",
        "staff_users",
        "audit_head",
        "audit_entries",
        "address_locks",
        "verification_failures",
        "verification_codes",
        "cases",
    ):
        op.drop_table(table)
