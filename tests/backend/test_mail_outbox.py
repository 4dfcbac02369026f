"""The e-mail outbox (backend/services/notify.py): e-mail is queued in the transaction that decides it, sent after
the commit, and an e-mail whose sender died before sending it is sent by the sweep, once."""

from __future__ import annotations

from sqlalchemy import select

from backend.models import QueuedEmail, VerificationCode
from backend.services import notify
from backend.services.notify import deliver_queued, queue_email

from .conftest import Api


def _queued(api: Api) -> list[QueuedEmail]:
    return api.svc.db.call(lambda session: list(session.execute(select(QueuedEmail)).scalars()), write=False)


async def test_an_email_is_sent_after_the_commit_and_leaves_no_row(api: Api) -> None:
    status, created = await api.create()
    assert status == 201
    code = await api.last_code(created["reference"])
    assert len(code) == 6
    assert _queued(api) == []


async def test_an_email_its_sender_never_sent_is_sent_by_the_sweep_once_its_claim_ran_out(api: Api) -> None:
    """`db.call` commits without running the after-commit send: as if the process died right after the commit."""
    now = api.clock()
    api.svc.db.call(lambda session: queue_email(session, api.svc, to="eva.lind@example.se", template="staff_message",
                                                language="sv", reference="PRV-2026-ABCD-EFGH", now=now))
    [row] = _queued(api)
    # What is stored is encrypted: neither the address nor anything of it in clear.
    assert "eva.lind" not in row.recipient_enc and "example.se" not in row.recipient_enc

    assert await deliver_queued(api.svc) == 0  # the sender's claim still runs: not overtaken
    assert not await api.mails_for("PRV-2026-ABCD-EFGH")

    api.clock.advance(seconds=notify.QUEUED_CLAIM.total_seconds() + 1)
    assert await deliver_queued(api.svc) == 1
    [mail] = await api.mails_for("PRV-2026-ABCD-EFGH")
    assert mail["To"] == "eva.lind@example.se"
    assert _queued(api) == []
    assert await deliver_queued(api.svc) == 0  # sent once


async def test_a_code_email_left_by_a_dead_sender_still_confirms_the_case(api: Api) -> None:
    status, created = await api.create()
    reference = created["reference"]
    first = await api.last_code(reference)
    # The resend's transaction commits, but its sender "dies" before sending: only the sweep can send the code.
    original = api.svc.spawn
    api.svc.spawn = lambda coro, what: coro.close()  # type: ignore[method-assign]
    try:
        api.clock.advance(minutes=2)
        status, _ = await api.post(f"/api/v1/cases/{reference}/verification/resend")
        assert status == 200
    finally:
        api.svc.spawn = original  # type: ignore[method-assign]
    assert len(_queued(api)) == 1 and await api.last_code(reference) == first

    api.clock.advance(seconds=notify.QUEUED_CLAIM.total_seconds() + 1)
    assert await deliver_queued(api.svc) == 1
    second = await api.last_code(reference)
    assert second != first or len(await api.mails_for(reference)) == 2
    status, verified = await api.post(f"/api/v1/cases/{reference}/verification", {"code": second})
    assert status == 200 and verified["status"] == "open"


async def test_a_queued_email_older_than_an_hour_is_dropped_not_sent(api: Api) -> None:
    now = api.clock()
    api.svc.db.call(lambda session: queue_email(session, api.svc, to="old@example.se", template="staff_message",
                                                language="sv", reference="PRV-2026-OLD1-OLD1", now=now))
    api.clock.advance(seconds=notify.MAX_QUEUED_AGE.total_seconds() + 1)
    assert await deliver_queued(api.svc) == 0
    assert _queued(api) == [] and not await api.mails_for("PRV-2026-OLD1-OLD1")


async def test_a_refused_code_email_is_given_up_and_its_code_may_be_resent(api: Api) -> None:
    class Refusing:
        async def send(self, message: object) -> None:
            raise RuntimeError("554 refused")

    real = api.svc.mailer
    api.svc.mailer = Refusing()  # type: ignore[assignment]
    try:
        status, created = await api.create()
        await api.svc.drain()
    finally:
        api.svc.mailer = real
    assert status == 201 and _queued(api) == []
    codes = api.svc.db.call(lambda session: list(session.execute(select(VerificationCode)).scalars()), write=False)
    assert [c.delivery_failed for c in codes] == [True]
    status, _ = await api.post(f"/api/v1/cases/{created['reference']}/verification/resend")
    assert status == 200  # at once: a code that never arrived does not hold the next one back
    assert len(await api.last_code(created["reference"])) == 6
