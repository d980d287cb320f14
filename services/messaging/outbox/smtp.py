"""The optional SMTP relay (MPSANDBOX_SMTP_URL): e-mails also leave over SMTP, once per key.

A row is claimed (`pending` → `sending`) in its own committed transaction before anything is sent,
so two relays — the request's background task and the retry loop — never send the same row. A
failed attempt goes back to `pending` with a backoff; after MAX_ATTEMPTS it stays `failed`. A claim
whose lease expired means its process died mid-send and is taken again: the one window in which a
message could go out twice is a crash between the server's acceptance and the status update.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import timedelta
from email.message import EmailMessage
from email.utils import make_msgid
from urllib.parse import unquote, urlsplit

import aiosmtplib
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from servicekit.logs import log_background_failure
from services.messaging.outbox import repository
from services.messaging.outbox.models import OutboxMessage

log = logging.getLogger("messaging.outbox.smtp")

SENDER = "mpsandbox <no-reply@mpsandbox.local>"
MAX_ATTEMPTS = 5
SEND_TIMEOUT_SECONDS = 15.0
LEASE = timedelta(minutes=5)
RETRY_LOOP_SECONDS = 10.0


@dataclass(frozen=True)
class SmtpTarget:
    hostname: str
    port: int
    use_tls: bool
    username: str | None
    password: str | None

    @classmethod
    def parse(cls, url: str) -> SmtpTarget:
        """`smtp://[user:pass@]host[:port]` (default 25) or `smtps://…` (implicit TLS, default 465)."""
        parts = urlsplit(url)
        if parts.scheme not in ("smtp", "smtps") or not parts.hostname:
            raise ValueError(f"MPSANDBOX_SMTP_URL must look like smtp://host:port, not {url!r}")
        tls = parts.scheme == "smtps"
        return cls(
            hostname=parts.hostname,
            port=parts.port or (465 if tls else 25),
            use_tls=tls,
            username=unquote(parts.username) if parts.username else None,
            password=unquote(parts.password) if parts.password else None,
        )


@dataclass(frozen=True)
class Claimed:
    id: str
    attempts: int
    email: EmailMessage


def email_of(row: OutboxMessage) -> EmailMessage:
    message = EmailMessage()
    message["From"] = SENDER
    message["To"] = row.recipient
    message["Subject"] = row.subject
    # Derived from the row: a receiving system can deduplicate even the crash-window resend.
    message["Message-ID"] = make_msgid(idstring=row.id, domain="mpsandbox.local")
    message["X-Mpsandbox-Outbox-Id"] = row.id
    message["X-Mpsandbox-Kind"] = row.kind
    message.set_content(row.body)
    return message


async def _settle(session: AsyncSession, row: Claimed, error: str | None) -> None:
    if error is None:
        await repository.mark_email_sent(session, row.id)
    elif row.attempts >= MAX_ATTEMPTS:
        await repository.mark_email_failed(session, row.id, error=error)
    else:
        backoff = timedelta(seconds=15 * 2 ** (row.attempts - 1))
        await repository.retry_email_later(session, row.id, error=error, backoff=backoff)


async def relay(
    sessionmaker: async_sessionmaker[AsyncSession],
    smtp_url: str,
    *,
    message_id: str | None = None,
    limit: int = 20,
) -> int:
    """Send due e-mails (or just `message_id`); returns how many were accepted by the server.

    Never raises for an SMTP problem: the failure is recorded on the row and retried later.
    """
    try:
        target = SmtpTarget.parse(smtp_url)
    except ValueError as exc:  # a configuration mistake: keep the rows pending, say so loudly
        log.error("%s", exc)
        return 0
    async with sessionmaker() as session, session.begin():
        # Plain values, built before the commit: rows may be expired once the session ends.
        claimed = [
            Claimed(row.id, row.smtp_attempts, email_of(row))
            for row in await repository.claim_due_emails(
                session, message_id=message_id, limit=limit, lease=LEASE
            )
        ]
    sent = 0
    for row in claimed:
        error: str | None = None
        try:
            await aiosmtplib.send(
                row.email,
                hostname=target.hostname,
                port=target.port,
                use_tls=target.use_tls,
                username=target.username,
                password=target.password,
                timeout=SEND_TIMEOUT_SECONDS,
            )
            sent += 1
        except (aiosmtplib.SMTPException, OSError, TimeoutError) as exc:
            error = f"{type(exc).__name__}: {exc}"[:500]
            log.warning("smtp relay of %s failed (attempt %d): %s", row.id, row.attempts, error)
        async with sessionmaker() as session, session.begin():
            await _settle(session, row, error)
    return sent


async def relay_after_commit(
    sessionmaker: async_sessionmaker[AsyncSession], smtp_url: str, message_id: str
) -> None:
    """The request's background task: a failure here is only logged, the retry loop takes over."""
    try:
        await relay(sessionmaker, smtp_url, message_id=message_id)
    except Exception:
        log.exception("smtp relay of %s failed; the retry loop will try again", message_id)


@contextlib.asynccontextmanager
async def retry_loop(
    sessionmaker: async_sessionmaker[AsyncSession], smtp_url: str, *, every: float = RETRY_LOOP_SECONDS
) -> AsyncIterator[None]:
    """Background task: relays e-mails left `pending` (failed attempts, or recorded while down).

    Stopped by an event rather than by cancellation alone: a send under way finishes and records its
    outcome (no row left `sending`), and a cancellation swallowed by a timeout deep in a driver
    cannot keep the loop alive.
    """
    stopping = asyncio.Event()

    async def loop() -> None:
        while not stopping.is_set():
            try:
                await relay(sessionmaker, smtp_url)
            except Exception:  # a database hiccup must not end the loop; the next round retries
                log_background_failure(log, "smtp retry round failed")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stopping.wait(), timeout=every)

    task = asyncio.create_task(loop(), name="outbox-smtp-retry")
    try:
        yield
    finally:
        stopping.set()
        await asyncio.wait({task}, timeout=SEND_TIMEOUT_SECONDS + 5)
        if not task.done():
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
