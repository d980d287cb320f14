"""R-OUT-01 with MPSANDBOX_SMTP_URL: e-mails also leave over SMTP, after commit, once per key."""

from __future__ import annotations

import asyncio
import secrets
import socket
from collections.abc import AsyncIterator
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any

import pytest
from aiosmtpd.smtp import SMTP, Envelope, Session
from fastapi import FastAPI
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from contracts.messaging.client import OUTBOX_PATH
from servicekit.testing import asgi_client, wire_app
from services.messaging.app import build_app
from services.messaging.config import MessagingSettings
from services.messaging.outbox import smtp
from services.messaging.outbox.models import OutboxMessage


class Collector:
    """aiosmtpd handler keeping every accepted message."""

    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []
        self.received = asyncio.Event()

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        assert isinstance(envelope.content, bytes)
        parsed = message_from_bytes(envelope.content, policy=policy.default)
        assert isinstance(parsed, EmailMessage)
        self.messages.append(parsed)
        self.received.set()
        return "250 OK"

    def to(self, address: str) -> list[EmailMessage]:
        return [m for m in self.messages if m["To"] == address]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def serve_smtp(port: int) -> tuple[Collector, asyncio.Server]:
    collector = Collector()
    loop = asyncio.get_running_loop()
    server = await loop.create_server(
        lambda: SMTP(collector, hostname="smtp.test", loop=loop), "127.0.0.1", port
    )
    return collector, server


@pytest.fixture
async def smtp_server() -> AsyncIterator[tuple[Collector, int]]:
    port = free_port()
    collector, server = await serve_smtp(port)
    try:
        yield collector, port
    finally:
        server.close()
        await server.wait_closed()


def relaying_app(engine: AsyncEngine, port: int) -> FastAPI:
    app = wire_app(build_app(), engine=engine)
    app.state.settings = MessagingSettings(smtp_url=f"smtp://127.0.0.1:{port}")
    return app


def email(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "key": f"activation-{secrets.token_hex(6)}",
        "channel": "email",
        "to": f"op-{secrets.token_hex(5)}@example.gov.cn",
        "kind": "activation",
        "subject": "激活你的公众平台帐号",
        "body": "请点击链接激活：https://mp.example/activate?token=abc",
    }
    body.update(overrides)
    return body


async def row(engine: AsyncEngine, entry_id: str) -> OutboxMessage:
    async with AsyncSession(engine) as session:
        found = await session.scalar(select(OutboxMessage).where(OutboxMessage.id == entry_id))
    assert found is not None
    return found


@pytest.mark.rule("R-OUT-01")
class TestSmtpRelay:
    async def test_email_is_sent_once_even_when_the_request_is_retried(
        self, engine: AsyncEngine, smtp_server: tuple[Collector, int]
    ) -> None:
        collector, port = smtp_server
        payload = email()
        async with asgi_client(relaying_app(engine, port)) as http:
            first = await http.post(OUTBOX_PATH, json=payload)
            retry = await http.post(OUTBOX_PATH, json=payload)

        assert (first.status_code, retry.status_code) == (201, 200)
        [sent] = collector.to(payload["to"])
        assert sent["Subject"] == payload["subject"]
        assert sent["X-Mpsandbox-Outbox-Id"] == first.json()["id"]
        assert "token=abc" in sent.get_content()
        stored = await row(engine, first.json()["id"])
        assert (stored.smtp_status, stored.smtp_attempts) == ("sent", 1)

    async def test_concurrent_relays_of_one_row_send_it_once(
        self, engine: AsyncEngine, smtp_server: tuple[Collector, int]
    ) -> None:
        collector, port = smtp_server
        url = f"smtp://127.0.0.1:{port}"
        payload = email()
        # Recorded without a relay configured, then marked pending: the relays below race for it.
        async with asgi_client(wire_app(build_app(), engine=engine)) as http:
            entry = (await http.post(OUTBOX_PATH, json=payload)).json()
        maker = async_sessionmaker(engine, expire_on_commit=False)
        async with AsyncSession(engine) as session, session.begin():
            await session.execute(
                update(OutboxMessage).where(OutboxMessage.id == entry["id"]).values(smtp_status="pending")
            )

        sent = await asyncio.gather(
            *(smtp.relay(maker, url, message_id=entry["id"]) for _ in range(4)), smtp.relay(maker, url)
        )

        assert len(collector.to(payload["to"])) == 1
        assert sum(sent) >= 1
        assert (await row(engine, entry["id"])).smtp_status == "sent"

    async def test_smtp_down_still_records_and_the_retry_loop_sends_later(self, engine: AsyncEngine) -> None:
        port = free_port()  # nothing listens yet
        payload = email()
        async with asgi_client(relaying_app(engine, port)) as http:
            response = await http.post(OUTBOX_PATH, json=payload)
        entry_id = response.json()["id"]
        failed_once = await row(engine, entry_id)
        collector, server = await serve_smtp(port)
        try:
            async with AsyncSession(engine) as session, session.begin():  # skip the backoff
                await session.execute(
                    update(OutboxMessage)
                    .where(OutboxMessage.id == entry_id)
                    .values(smtp_next_attempt_at=None)
                )
            maker = async_sessionmaker(engine, expire_on_commit=False)
            async with smtp.retry_loop(maker, f"smtp://127.0.0.1:{port}", every=0.05):
                await asyncio.wait_for(collector.received.wait(), timeout=5)
        finally:
            server.close()
            await server.wait_closed()

        assert response.status_code == 201
        assert (failed_once.smtp_status, failed_once.smtp_attempts) == ("pending", 1)
        assert failed_once.smtp_error
        assert len(collector.to(payload["to"])) == 1
        assert (await row(engine, entry_id)).smtp_status == "sent"

    async def test_last_failed_attempt_marks_the_row_failed(self, engine: AsyncEngine) -> None:
        port = free_port()
        async with asgi_client(relaying_app(engine, port)) as http:
            entry_id = (await http.post(OUTBOX_PATH, json=email())).json()["id"]
        async with AsyncSession(engine) as session, session.begin():
            await session.execute(
                update(OutboxMessage)
                .where(OutboxMessage.id == entry_id)
                .values(smtp_attempts=smtp.MAX_ATTEMPTS - 1, smtp_next_attempt_at=None)
            )

        await smtp.relay(async_sessionmaker(engine), f"smtp://127.0.0.1:{port}", message_id=entry_id)

        stored = await row(engine, entry_id)
        assert (stored.smtp_status, stored.smtp_attempts) == ("failed", smtp.MAX_ATTEMPTS)

    async def test_sms_is_never_relayed(
        self, engine: AsyncEngine, smtp_server: tuple[Collector, int]
    ) -> None:
        collector, port = smtp_server
        async with asgi_client(relaying_app(engine, port)) as http:
            response = await http.post(
                OUTBOX_PATH, json=email(channel="sms", to="13800138000", body="验证码 123456")
            )

        assert collector.messages == []
        assert (await row(engine, response.json()["id"])).smtp_status is None


class TestSmtpTarget:
    def test_url_gives_host_port_and_credentials(self) -> None:
        target = smtp.SmtpTarget.parse("smtps://user:p%40ss@mail.example:2465")

        assert (target.hostname, target.port, target.use_tls) == ("mail.example", 2465, True)
        assert (target.username, target.password) == ("user", "p@ss")

    def test_other_scheme_is_refused(self) -> None:
        with pytest.raises(ValueError, match="smtp://host:port"):
            smtp.SmtpTarget.parse("http://mail.example")
