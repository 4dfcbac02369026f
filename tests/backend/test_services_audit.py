"""The hash-chained audit trail: tamper detection, append-only guard, no forks under concurrency."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from backend.services import Services, audit

from .conftest import START


def _append(svc: Services, n: int, actor: str = "test") -> None:
    for i in range(n):
        svc.db.call(
            lambda s, i=i: audit.append(s, action="test_event", actor=actor, now=START + timedelta(seconds=i),
                                        case_reference=f"PRV-2026-TEST-{i:04d}", data={"n": i})
        )


def _verify(svc: Services) -> audit.ChainReport:
    return svc.db.call(audit.verify_chain, write=False)


def _raw(svc: Services, statement: str) -> None:
    with svc.db.engine.begin() as conn:
        if svc.db.dialect == "postgresql":
            conn.execute(text("ALTER TABLE audit_entries DISABLE TRIGGER USER"))
        else:
            conn.execute(text("DROP TRIGGER IF EXISTS audit_entries_no_update"))
            conn.execute(text("DROP TRIGGER IF EXISTS audit_entries_no_delete"))
        for part in statement.split(";"):
            if part.strip():
                conn.execute(text(part))


def test_intact_chain_verifies(services: Services) -> None:
    assert _verify(services) == audit.ChainReport(True, 0)
    _append(services, 5)
    assert _verify(services) == audit.ChainReport(True, 5)


def test_modified_entry_is_detected(services: Services) -> None:
    _append(services, 5)
    _raw(services, "UPDATE audit_entries SET data = '{}' WHERE seq = 3")
    report = _verify(services)
    assert report.ok is False and report.first_bad_entry == 3


def test_modified_entry_with_recomputed_hash_breaks_the_next_link(services: Services) -> None:
    _append(services, 5)
    with services.db.engine.connect() as conn:
        row = conn.execute(text("SELECT seq, occurred_at, action, actor, case_reference, prev_hash "
                                "FROM audit_entries WHERE seq = 2")).one()
    forged = audit.entry_hash(seq=row.seq, occurred_at=row.occurred_at, action="forged", actor=row.actor,
                              case_reference=row.case_reference, data="{}", prev_hash=row.prev_hash)
    _raw(services, f"UPDATE audit_entries SET action = 'forged', data = '{{}}', hash = '{forged}' WHERE seq = 2")
    report = _verify(services)
    assert report.ok is False and report.first_bad_entry == 3


def test_deleted_entry_is_detected(services: Services) -> None:
    _append(services, 5)
    _raw(services, "DELETE FROM audit_entries WHERE seq = 3")
    report = _verify(services)
    assert report.ok is False and report.first_bad_entry == 4


def test_reordered_entries_are_detected(services: Services) -> None:
    _append(services, 5)
    # Swap the contents of entries 2 and 4 (keeping their positions), as a reordering would.
    _raw(
        services,
        "UPDATE audit_entries SET seq = -2 WHERE seq = 2;"
        "UPDATE audit_entries SET seq = 2 WHERE seq = 4;"
        "UPDATE audit_entries SET seq = 4 WHERE seq = -2",
    )
    report = _verify(services)
    assert report.ok is False and report.first_bad_entry == 2


def test_cut_off_tail_is_detected(services: Services) -> None:
    _append(services, 5)
    _raw(services, "DELETE FROM audit_entries WHERE seq >= 4")
    report = _verify(services)
    assert report.ok is False and report.first_bad_entry == 4


def test_database_refuses_update_and_delete(services: Services) -> None:
    _append(services, 2)
    for statement in ("UPDATE audit_entries SET action = 'x' WHERE seq = 1", "DELETE FROM audit_entries"):
        with pytest.raises(DBAPIError):
            with services.db.engine.begin() as conn:
                conn.execute(text(statement))
    assert _verify(services) == audit.ChainReport(True, 2)


def test_personal_data_is_refused(services: Services) -> None:
    with pytest.raises(ValueError):
        services.db.call(lambda s: audit.append(s, action="x", actor="t", now=START,
                                                data={"description": "a long free text " * 10}))
    with pytest.raises(ValueError):
        services.db.call(lambda s: audit.append(s, action="x", actor="t", now=START, data={"payload": {"a": 1}}))
    assert _verify(services) == audit.ChainReport(True, 0)


def test_concurrent_writers_do_not_fork_the_chain(services: Services) -> None:
    threads = [threading.Thread(target=_append, args=(services, 15, f"writer{i}")) for i in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    report = _verify(services)
    assert report == audit.ChainReport(True, 120)
    with services.db.engine.connect() as conn:
        seqs = [row[0] for row in conn.execute(text("SELECT seq FROM audit_entries ORDER BY seq"))]
        prevs = [row[0] for row in conn.execute(text("SELECT prev_hash FROM audit_entries"))]
    assert seqs == list(range(1, 121))
    assert len(set(prevs)) == 120  # no two entries share a predecessor
