"""Outgoing e-mail: SMTP in production, `.eml` files in an outbox directory in development and tests.

The only module that talks to a mail server. Its timeout and retry policy is stated once, here:
- every attempt is bounded by SMTP_TIMEOUT_SECONDS (10 s) as a whole (connect, greeting, AUTH, DATA);
- up to SMTP_ATTEMPTS (3) attempts, waiting SMTP_BACKOFF_SECONDS x 1, x 2 (1 s, 2 s) in between;
- retried: connection failures, timeouts, disconnects and 4xx (temporary) replies;
- not retried: 5xx (permanent) replies, failed authentication, a server without required STARTTLS;
- after the last attempt MailDeliveryError is raised. Worst case about 3 x 10 s + 3 s.

Logs and exception messages never contain recipients, subjects or bodies, only counts, Message-IDs,
error class names and SMTP reply codes. Exceptions from aiosmtplib are not chained into
MailDeliveryError because their text can contain the recipient address.
"""

from __future__ import annotations

import asyncio
import email.policy
import logging
import os
import secrets
import tempfile
from dataclasses import dataclass
from datetime import datetime, timezone
from email.message import EmailMessage
from email.parser import BytesParser
from email.utils import format_datetime, make_msgid, parseaddr
from pathlib import Path
from typing import Protocol, runtime_checkable

import aiosmtplib

__all__ = [
    "DEFAULT_OUTBOX_DIR",
    "SMTP_ATTEMPTS",
    "SMTP_BACKOFF_SECONDS",
    "SMTP_TIMEOUT_SECONDS",
    "MailDeliveryError",
    "Mailer",
    "OutboxMailer",
    "OutgoingEmail",
    "SmtpMailer",
    "build_message",
    "mailer_from_settings",
    "read_outbox",
]

logger = logging.getLogger(__name__)

SMTP_TIMEOUT_SECONDS = 10.0
SMTP_ATTEMPTS = 3
SMTP_BACKOFF_SECONDS = 1.0
DEFAULT_OUTBOX_DIR = "var/outbox"


@dataclass(frozen=True)
class OutgoingEmail:
    to: str
    subject: str
    body: str
    language: str


@runtime_checkable
class Mailer(Protocol):
    async def send(self, message: OutgoingEmail) -> None: ...


class MailDeliveryError(Exception):
    """An e-mail could not be delivered. Carries no personal data, only what went wrong."""

    def __init__(self, reason: str, *, attempts: int, error_type: str | None = None,
                 smtp_code: int | None = None) -> None:
        super().__init__(reason)
        self.attempts = attempts
        self.error_type = error_type
        self.smtp_code = smtp_code


def build_message(message: OutgoingEmail, from_address: str, *, cte: str = "quoted-printable") -> EmailMessage:
    """An RFC 5322 message in UTF-8.

    `cte` "quoted-printable" keeps the message 7-bit clean for any SMTP server; "8bit" keeps outbox
    files readable with `cat`. Header values with CR or LF are refused by the email package, so a
    recipient or subject cannot inject headers.
    """
    msg = EmailMessage(policy=email.policy.default)
    msg["From"] = from_address
    msg["To"] = message.to
    msg["Subject"] = message.subject
    msg["Date"] = format_datetime(datetime.now(timezone.utc))
    domain = from_address.rpartition("@")[2].strip("> ") or "localhost"
    msg["Message-ID"] = make_msgid(domain=domain)
    # RFC 3834: tells auto-responders (holiday replies) not to answer.
    msg["Auto-Submitted"] = "auto-generated"
    msg.set_content(message.body, subtype="plain", charset="utf-8", cte=cte)
    if message.language:  # after set_content, which replaces all Content-* headers
        msg["Content-Language"] = message.language
    return msg


def _describe(exc: BaseException) -> tuple[str, int | None]:
    code = getattr(exc, "code", None)
    if isinstance(exc, aiosmtplib.SMTPRecipientsRefused) and exc.recipients:
        code = exc.recipients[0].code
    return type(exc).__name__, code if isinstance(code, int) else None


def _is_permanent(exc: BaseException) -> bool:
    if isinstance(exc, (aiosmtplib.SMTPAuthenticationError, aiosmtplib.SMTPNotSupported)):
        return True
    if isinstance(exc, aiosmtplib.SMTPRecipientsRefused):
        return all(500 <= r.code < 600 for r in exc.recipients) if exc.recipients else False
    code = getattr(exc, "code", None)
    # aiosmtplib uses code -1 for client-side failures (timeouts, disconnects): those are temporary.
    return isinstance(code, int) and 500 <= code < 600


class SmtpMailer:
    """Delivers through an SMTP server with aiosmtplib (timeouts and retries: see the module doc)."""

    def __init__(
        self,
        host: str,
        port: int = 25,
        username: str | None = None,
        password: str | None = None,
        starttls: bool = False,
        use_tls: bool = False,
        from_address: str = "privacy@localhost",
        *,
        timeout: float = SMTP_TIMEOUT_SECONDS,
        attempts: int = SMTP_ATTEMPTS,
        backoff_seconds: float = SMTP_BACKOFF_SECONDS,
        validate_certs: bool = True,
    ) -> None:
        if starttls and use_tls:
            raise ValueError("choose STARTTLS or implicit TLS, not both")
        if attempts < 1:
            raise ValueError("attempts must be at least 1")
        self.host = host
        self.port = port
        self.username = username or None
        self._password = password or None
        self.starttls = starttls
        self.use_tls = use_tls
        self.from_address = from_address
        # The envelope sender is the bare address: a display name ("Privacy Team <...>") with non-ASCII
        # letters would otherwise make aiosmtplib demand SMTPUTF8 and send raw 8-bit headers.
        self.envelope_sender = parseaddr(from_address)[1] or from_address
        self.timeout = timeout
        self.attempts = attempts
        self.backoff_seconds = backoff_seconds
        self.validate_certs = validate_certs

    def __repr__(self) -> str:  # never show the password
        return f"SmtpMailer(host={self.host!r}, port={self.port}, starttls={self.starttls}, use_tls={self.use_tls})"

    async def _attempt(self, msg: EmailMessage, recipient: str) -> None:
        await asyncio.wait_for(
            aiosmtplib.send(
                msg,
                sender=self.envelope_sender,
                recipients=[recipient],
                hostname=self.host,
                port=self.port,
                username=self.username,
                password=self._password,
                use_tls=self.use_tls,
                start_tls=self.starttls,
                validate_certs=self.validate_certs,
                timeout=self.timeout,
            ),
            timeout=self.timeout,
        )

    async def send(self, message: OutgoingEmail) -> None:
        msg = build_message(message, self.from_address, cte="quoted-printable")
        message_id = msg["Message-ID"]
        error_type: str | None = None
        smtp_code: int | None = None
        for attempt in range(1, self.attempts + 1):
            try:
                await self._attempt(msg, message.to)
            except (aiosmtplib.SMTPException, OSError, asyncio.TimeoutError) as exc:
                error_type, smtp_code = _describe(exc)
                permanent = _is_permanent(exc)
                logger.warning(
                    "smtp attempt %d/%d failed for %s: %s%s%s",
                    attempt, self.attempts, message_id, error_type,
                    f" {smtp_code}" if smtp_code is not None else "",
                    " (permanent, not retrying)" if permanent else "",
                )
                if permanent:
                    raise MailDeliveryError(
                        f"e-mail rejected permanently ({error_type} {smtp_code})",
                        attempts=attempt, error_type=error_type, smtp_code=smtp_code,
                    ) from None
                if attempt < self.attempts:
                    await asyncio.sleep(self.backoff_seconds * 2 ** (attempt - 1))
                continue
            logger.info("smtp delivered %s after %d attempt(s)", message_id, attempt)
            return
        raise MailDeliveryError(
            f"e-mail not delivered after {self.attempts} attempts ({error_type}"
            f"{f' {smtp_code}' if smtp_code is not None else ''})",
            attempts=self.attempts, error_type=error_type, smtp_code=smtp_code,
        ) from None


class OutboxMailer:
    """Writes each e-mail as an `.eml` file: development, tests and the README walkthrough.

    Files are written to a temporary name and renamed, so a reader never sees half a message; they
    are created 0600 because they contain codes and addresses.
    """

    def __init__(self, directory: str | os.PathLike[str] = DEFAULT_OUTBOX_DIR,
                 from_address: str = "privacy@localhost") -> None:
        self.directory = Path(directory)
        self.from_address = from_address

    def __repr__(self) -> str:
        return f"OutboxMailer(directory={str(self.directory)!r})"

    def write(self, message: OutgoingEmail) -> Path:
        """Write one message synchronously and return its path."""
        msg = build_message(message, self.from_address, cte="8bit")
        data = msg.as_bytes(policy=email.policy.SMTP)
        self.directory.mkdir(parents=True, exist_ok=True)
        stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%S%fZ")
        final = self.directory / f"{stamp}-{secrets.token_hex(4)}.eml"
        fd, tmp_name = tempfile.mkstemp(dir=self.directory, prefix=".", suffix=".tmp")
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(tmp_name, final)
        except BaseException:
            try:
                os.unlink(tmp_name)
            except FileNotFoundError:
                pass
            raise
        logger.info("outbox wrote %s as %s", msg["Message-ID"], final.name)
        return final

    async def send(self, message: OutgoingEmail) -> None:
        await asyncio.to_thread(self.write, message)


def mailer_from_settings(
    smtp_host: str | None,
    smtp_port: int,
    smtp_username: str | None,
    smtp_password: str | None,
    smtp_starttls: bool,
    from_address: str,
    outbox_dir: str,
) -> Mailer:
    """SMTP when a host is configured, otherwise the outbox directory.

    Port 465 without STARTTLS means implicit TLS (SMTPS), the only way that port is used.
    """
    if smtp_host and smtp_host.strip():
        use_tls = smtp_port == 465 and not smtp_starttls
        logger.info("mail goes out by SMTP (port %d, starttls=%s, tls=%s)", smtp_port, smtp_starttls, use_tls)
        return SmtpMailer(
            smtp_host.strip(), smtp_port, smtp_username, smtp_password,
            starttls=smtp_starttls, use_tls=use_tls, from_address=from_address,
        )
    logger.info("mail goes to the outbox directory (no SMTP host configured)")
    return OutboxMailer(outbox_dir, from_address=from_address)


def read_outbox(outbox_dir: str) -> list[EmailMessage]:
    """All messages in the outbox, oldest first (newest last). A missing directory is an empty outbox."""
    directory = Path(outbox_dir)
    if not directory.is_dir():
        return []
    parser = BytesParser(policy=email.policy.default)
    messages: list[EmailMessage] = []
    for path in sorted(directory.glob("*.eml")):
        with path.open("rb") as handle:
            messages.append(parser.parse(handle))  # type: ignore[arg-type]
    return messages
