"""The Alembic migrations themselves: up, down and up again on empty SQLite and PostgreSQL
databases, and no drift between the models and the migrated schema."""

from __future__ import annotations

from pathlib import Path
from typing import Iterator

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import create_engine, inspect, text

from backend.migrations import current_heads, downgrade, upgrade
import backend.workspace_models  # noqa: F401  (its tables share Base.metadata)
from backend.models import Base


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def empty_db(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'empty.db'}"
    else:
        yield request.getfixturevalue("scratch_postgres")


def test_upgrade_downgrade_upgrade(empty_db: str) -> None:
    assert current_heads(empty_db) == []
    upgrade(empty_db)
    assert current_heads(empty_db) == ["0005_chat_transcript_erasures"]
    engine = create_engine(empty_db, future=True)
    try:
        tables = set(inspect(engine).get_table_names())
        assert {"cases", "audit_entries", "audit_head", "idempotency_records", "staff_users",
                "verification_codes", "verification_failures", "address_locks", "messages",
                "staff_sessions", "staff_signin_attempts", "sent_alerts", "transcript_erasures", "queued_emails"} <= tables
        assert "conversation_id_enc" in {c["name"] for c in inspect(engine).get_columns("cases")}
        with engine.connect() as conn:
            assert conn.execute(text("SELECT id, last_seq, last_hash FROM audit_head")).all() == [(1, 0, "0" * 64)]
            # No drift: the models describe exactly what the migrations built.
            diff = compare_metadata(MigrationContext.configure(conn, opts={"compare_type": False}), Base.metadata)
        assert diff == []
        downgrade(empty_db, "base")
        assert set(inspect(engine).get_table_names()) <= {"alembic_version"}
        upgrade(empty_db)
        assert current_heads(empty_db) == ["0005_chat_transcript_erasures"]
    finally:
        engine.dispose()
