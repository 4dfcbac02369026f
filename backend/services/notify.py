"""E-mail after commit: render in the requester's language, send in the background, never log content.

Why in the background: an SMTP server may take up to ~35 s over its retries (backend/mailer.py); a
handler must not hold the action server that long, and a status look-up must answer in the same time
whether or not a code goes out. A failed code e-mail marks its code `delivery_failed`, so a resend
is allowed at once and the failure does not count against the hourly cap.
"""

from __future__ import annotations

import logging
from typing import Any, Optional

from backend.email_templates import render
from backend.mailer import OutgoingEmail
from backend.services import Services
from backend.services.verification import mark_delivery_failed

log = logging.getLogger("backend.mail")


async def send_now(
    svc: Services,
    *,
    to: str,
    template: str,
    language: str,
    reference: str,
    code_id: Optional[int] = None,
    **context: Any,
) -> bool:
    """Render and send one e-mail; on failure log (reference and template only) and return False."""
    try:
        subject, body = render(template, language, reference=reference, **context)
        await svc.mailer.send(OutgoingEmail(to=to, subject=subject, body=body, language=language))
    except Exception as exc:  # noqa: BLE001 - any failure must leave the case usable
        log.warning("e-mail %s for case %s failed: %s", template, reference, type(exc).__name__)
        if code_id is not None:
            await svc.db.run(mark_delivery_failed, code_id)
        return False
    log.info("e-mail %s for case %s sent", template, reference)
    return True


def send_later(svc: Services, **kwargs: Any) -> None:
    svc.spawn(send_now(svc, **kwargs), f"e-mail {kwargs.get('template')} for {kwargs.get('reference')}")
