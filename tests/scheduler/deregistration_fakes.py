"""Fakes and factories for the scheduler's deregistration tests: registration and messaging as
recording MockTransports, lifecycle facts as the relay sends them."""

from __future__ import annotations

import itertools
import json
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import httpx
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from contracts.messaging.client import OUTBOX_PATH
from contracts.registration.client import TERMINATIONS_PATH
from contracts.scheduler.client import FACTS_PATH
from servicekit.lifecycle import CLOCK_HOOK_PATH, RESET_PATH
from servicekit.testing import asgi_client, wire_app
from services.scheduler.app import build_app
from services.scheduler.config import SchedulerSettings

_SEQ = itertools.count(1)


@dataclass
class FakeRegistration:
    """Answers clock hooks with no events and terminations as registration would (`verdict`), or is
    down; records every termination batch."""

    down: bool = False
    verdict: str = "terminated"
    batches: list[list[dict[str, Any]]] = field(default_factory=list)
    terminated: dict[str, dict[str, Any]] = field(default_factory=dict)
    hooks: list[dict[str, Any]] = field(default_factory=list)

    def handle(self, request: httpx.Request) -> httpx.Response:
        if self.down:
            raise httpx.ConnectError("connection refused", request=request)
        if request.url.path == CLOCK_HOOK_PATH:
            self.hooks.append(json.loads(request.content))
            return httpx.Response(200, json={"events": []})
        if request.url.path == RESET_PATH:
            return httpx.Response(200, json={"service": "registration", "tables": 1})
        if request.url.path == TERMINATIONS_PATH:
            items = json.loads(request.content)["items"]
            self.batches.append(items)
            return httpx.Response(200, json={"items": [self._answer(item) for item in items]})
        return httpx.Response(404, json={"error": {"code": "not_found", "message": "no route"}})

    def _answer(self, item: dict[str, Any]) -> dict[str, Any]:
        done = self.terminated.get(item["account_id"])
        if done is not None:
            return {"account_id": item["account_id"], "outcome": "already_terminated", **done}
        if self.verdict != "terminated":
            return {"account_id": item["account_id"], "outcome": self.verdict}
        self.terminated[item["account_id"]] = {"terminated_at": item["at"], "reason": item["reason"]}
        return {
            "account_id": item["account_id"],
            "outcome": "terminated",
            **self.terminated[item["account_id"]],
        }

    def requested(self) -> list[dict[str, Any]]:
        return [item for batch in self.batches for item in batch]


@dataclass
class FakeMessaging:
    """Records outbox calls like messaging (idempotent by key)."""

    down: bool = False
    entries: dict[str, dict[str, Any]] = field(default_factory=dict)
    calls: int = 0

    def handle(self, request: httpx.Request) -> httpx.Response:
        if self.down:
            raise httpx.ConnectError("connection refused", request=request)
        if request.url.path == OUTBOX_PATH:
            self.calls += 1
            body = json.loads(request.content)
            entry = self.entries.setdefault(body["key"], {**body, "id": body["key"]})
            return httpx.Response(200, json=entry)
        if request.url.path == CLOCK_HOOK_PATH:
            return httpx.Response(200, json={"events": []})
        return httpx.Response(200, json={"service": "messaging", "tables": 1})

    def of(self, kind: str, account_id: str | None = None) -> list[dict[str, Any]]:
        found = [e for e in self.entries.values() if e["kind"] == kind]
        found = [e for e in found if account_id is None or e["account_id"] == account_id]
        return sorted(found, key=lambda e: (e["created_at"], e["key"]))


def quiet(request: httpx.Request) -> httpx.Response:
    """A peer with nothing to say (certification)."""
    if request.url.path == CLOCK_HOOK_PATH:
        return httpx.Response(200, json={"events": []})
    return httpx.Response(200, json={"service": "certification", "tables": 1})


@dataclass
class Wired:
    app: FastAPI
    registration: FakeRegistration
    messaging: FakeMessaging


@asynccontextmanager
async def scheduler_with_fakes(
    *, connection: AsyncConnection | None = None, engine: AsyncEngine | None = None
) -> AsyncIterator[Wired]:
    registration, messaging = FakeRegistration(), FakeMessaging()
    transports = {"registration": registration.handle, "certification": quiet, "messaging": messaging.handle}
    clients = {
        name: httpx.AsyncClient(transport=httpx.MockTransport(handler), base_url=f"http://{name}")
        for name, handler in transports.items()
    }
    app = wire_app(
        build_app(SchedulerSettings(sweep_enabled=False)), connection=connection, engine=engine, peers=clients
    )
    try:
        yield Wired(app, registration, messaging)
    finally:
        for client in clients.values():
            await client.aclose()


def fact(kind: str, account_id: str, at: datetime, namespace: str, **data: str | None) -> dict[str, Any]:
    return {
        "fact_id": f"fct_{uuid.uuid4().hex[:24]}",
        "seq": next(_SEQ),
        "account_id": account_id,
        "namespace": namespace,
        "kind": kind,
        "at": at.isoformat(),
        "data": data,
    }


def new_account_id() -> str:
    return f"acc_{uuid.uuid4().hex[:20]}"


async def send_facts(app: FastAPI, *facts: dict[str, Any]) -> dict[str, Any]:
    async with asgi_client(app) as client:
        response = await client.post(FACTS_PATH, json={"facts": list(facts)})
    assert response.status_code == 200, response.text
    answer: dict[str, Any] = response.json()
    return answer


def signed_up(
    account_id: str, at: datetime, namespace: str, *, activated: bool = True
) -> list[dict[str, Any]]:
    facts = [fact("signed_up", account_id, at, namespace, email=f"{account_id}@example.com")]
    if activated:
        facts.append(fact("activated", account_id, at, namespace))
    return facts
