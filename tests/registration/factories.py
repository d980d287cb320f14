"""Factories and fakes for registration service tests (fixtures live in conftest.py)."""

from __future__ import annotations

import io
import json
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import httpx
from PIL import Image
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from servicekit import clock
from servicekit.context import NAMESPACE_HEADER
from servicekit.identity import id_check_char
from services.registration.config import RegistrationSettings

FAST_ARGON2 = {"argon2_time_cost": 1, "argon2_memory_cost": 8, "argon2_parallelism": 1}


@dataclass
class FakeMessaging:
    """Records outbox calls like messaging would (idempotent by key); `down` makes it fail."""

    sent: list[dict[str, Any]] = field(default_factory=list)
    calls: int = 0
    down: bool = False

    def handler(self, request: httpx.Request) -> httpx.Response:
        if self.down:
            return httpx.Response(503, json={"error": {"code": "down", "message": "down"}})
        if request.url.path == "/internal/outbox":
            self.calls += 1
            body = json.loads(request.content)
            if all(m["key"] != body["key"] for m in self.sent):
                self.sent.append(body)
            entry = {
                **body,
                "id": body["key"],
                "created_at": body.get("created_at") or "2026-01-01T00:00:00Z",
            }
            return httpx.Response(200, json=entry)
        if request.url.path.endswith("/stats"):
            return httpx.Response(200, json={"followers": 3, "quota": None})
        return httpx.Response(404, json={"error": {"code": "not_found", "message": "no"}})

    def of(self, kind: str, to: str | None = None) -> list[dict[str, Any]]:
        return [m for m in self.sent if m["kind"] == kind and (to is None or m["to"] == to)]


@dataclass
class FakeScheduler:
    """Records the lifecycle facts relayed to it (idempotent by fact id) and answers schedules from
    `schedules`; `down` makes it refuse connections."""

    facts: dict[str, dict[str, Any]] = field(default_factory=dict)
    schedules: dict[str, dict[str, Any]] = field(default_factory=dict)
    down: bool = False

    def handler(self, request: httpx.Request) -> httpx.Response:
        if self.down:
            raise httpx.ConnectError("connection refused", request=request)
        if request.url.path == "/internal/lifecycle-facts":
            incoming = json.loads(request.content)["facts"]
            fresh = [f for f in incoming if f["fact_id"] not in self.facts]
            self.facts.update({f["fact_id"]: f for f in fresh})
            return httpx.Response(
                200, json={"accepted": len(fresh), "duplicates": len(incoming) - len(fresh)}
            )
        if request.url.path.startswith("/internal/deregistration/accounts/"):
            account_id = request.url.path.rsplit("/", 1)[-1]
            if account_id in self.schedules:
                return httpx.Response(200, json=self.schedules[account_id])
            return httpx.Response(404, json={"error": {"code": "schedule_not_found", "message": "none"}})
        return httpx.Response(404, json={"error": {"code": "not_found", "message": "no"}})

    def of(self, account_id: str) -> list[tuple[str, dict[str, Any]]]:
        """(kind, data) of the account's facts, in the order they were recorded (seq)."""
        mine = sorted(
            (f for f in self.facts.values() if f["account_id"] == account_id), key=lambda f: f["seq"]
        )
        return [(f["kind"], f["data"]) for f in mine]

    def kinds(self, account_id: str) -> list[str]:
        return [kind for kind, _ in self.of(account_id)]


def registration_settings(**overrides: Any) -> RegistrationSettings:
    return RegistrationSettings(**{**FAST_ARGON2, "review_policy": "manual", **overrides})


# --- the sandbox clock ---


async def set_clock(db_conn: AsyncConnection, at: datetime, namespace: str = "default") -> None:
    """Freeze a namespace's clock at `at` (inside the test's rolled-back transaction)."""
    async with AsyncSession(bind=db_conn, join_transaction_mode="create_savepoint") as session:
        await clock.freeze(session, namespace)
        await clock.set_time(session, namespace, at)
        await session.commit()


async def advance(db_conn: AsyncConnection, delta: timedelta, namespace: str = "default") -> datetime:
    async with AsyncSession(bind=db_conn, join_transaction_mode="create_savepoint") as session:
        target = (await clock.now(session, namespace)) + delta
    await set_clock(db_conn, target, namespace)
    return target


async def clock_hook(
    client: httpx.AsyncClient, namespace: str | None, to: datetime | None
) -> list[dict[str, Any]]:
    body = {"namespace": namespace, "from": None, "to": to.isoformat() if to else None}
    response = await client.post("/internal/clock-hook", json=body)
    assert response.status_code == 200, response.text
    events: list[dict[str, Any]] = response.json()["events"]
    return events


# --- factories ---


async def fixture_account(
    client: httpx.AsyncClient, namespace: str = "default", **body: Any
) -> dict[str, Any]:
    response = await client.post(
        "/_sandbox/accounts",
        json={"type": "subscription", **body},
        headers={"X-Sandbox-Namespace": namespace},
    )
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


def credentials(account: dict[str, Any]) -> dict[str, str]:
    """What a developer sends for a token: `account`'s AppID and AppSecret."""
    return {"grant_type": "client_credential", "appid": account["appid"], "secret": account["secret"]}


async def request_token(client: httpx.AsyncClient, account: dict[str, Any]) -> httpx.Response:
    return await client.get("/cgi-bin/token", params=credentials(account))


async def token_for(client: httpx.AsyncClient, account: dict[str, Any]) -> str:
    token: str = (await request_token(client, account)).json()["access_token"]
    return token


async def login(client: httpx.AsyncClient, email: str, password: str) -> dict[str, str]:
    response = await client.post("/api/v1/sessions", json={"email": email, "password": password})
    assert response.status_code == 201, response.text
    return {"Authorization": f"Bearer {response.json()['token']}"}


def unique_email() -> str:
    return f"op-{uuid.uuid4().hex[:10]}@example.com"


async def captcha(client: httpx.AsyncClient) -> tuple[str, str]:
    created = (await client.post("/api/v1/captchas")).json()
    answer = (await client.get(f"/_sandbox/captchas/{created['captcha_id']}")).json()["answer"]
    return created["captcha_id"], answer


async def register(
    client: httpx.AsyncClient,
    email: str | None = None,
    password: str = "Secret#123",
    *,
    namespace: str | None = None,
    **overrides: Any,
) -> httpx.Response:
    captcha_id, answer = await captcha(client)
    body = {
        "email": email or unique_email(),
        "password": password,
        "captcha_id": captcha_id,
        "captcha_answer": answer,
        "agreement_accepted": True,
        **overrides,
    }
    headers = {NAMESPACE_HEADER: namespace} if namespace else None
    return await client.post("/api/v1/registrations", json=body, headers=headers)


@dataclass
class Operator:
    account_id: str
    email: str
    password: str
    headers: dict[str, str]


async def activated_operator(
    client: httpx.AsyncClient, messaging: FakeMessaging, *, namespace: str | None = None
) -> Operator:
    email, password = unique_email(), "Secret#123"
    created = await register(client, email, password, namespace=namespace)
    assert created.status_code == 201, created.text
    token = messaging.of("activation", email)[-1]["data"]["token"]
    assert (await client.post("/api/v1/registrations/activation", json={"token": token})).status_code == 200
    return Operator(created.json()["account_id"], email, password, await login(client, email, password))


def image_bytes(fmt: str = "JPEG", size: tuple[int, int] = (40, 30)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, (200, 30, 30)).save(buffer, format=fmt)
    return buffer.getvalue()


def id_number(birth: str = "19900307", region: str = "110105", seq: str = "123") -> str:
    first17 = f"{region}{birth}{seq}"
    return first17 + id_check_char(first17)


async def sms_code(client: httpx.AsyncClient, op: Operator, messaging: FakeMessaging, phone: str) -> str:
    response = await client.post("/api/v1/sms-codes", json={"phone": phone}, headers=op.headers)
    assert response.status_code == 201, response.text
    code: str = messaging.of("sms_code", response.json()["phone"])[-1]["data"]["code"]
    return code


def subject_form(**fields: str) -> dict[str, str]:
    return {
        "subject_type": "government",
        "government_name": "北京市东城区人民政府办公室",
        "operator_name": "李·明",
        "operator_id_number": id_number(),
        "operator_phone": "13800138000",
        "sms_code": "000000",
        **fields,
    }


def subject_files(
    letter: bytes | None = None, photo: bytes | None = None
) -> dict[str, tuple[str, bytes, str]]:
    return {
        "authorization_letter": ("letter.jpg", letter if letter is not None else image_bytes(), "image/jpeg"),
        "operator_photo": ("photo.gif", photo if photo is not None else image_bytes("GIF"), "image/gif"),
    }


async def submit_subject(
    client: httpx.AsyncClient, op: Operator, messaging: FakeMessaging, **fields: str
) -> httpx.Response:
    form = subject_form(**fields)
    if "sms_code" not in fields:
        form["sms_code"] = await sms_code(client, op, messaging, form["operator_phone"])
    return await client.put("/api/v1/account/subject", data=form, files=subject_files(), headers=op.headers)


PROFILE = {
    "name": "东城发布",
    "intro": "北京市东城区政务信息发布",
    "region": {"country": "CN", "province": "北京", "city": "东城区"},
    "language": "zh_CN",
}


async def operator_in_review(client: httpx.AsyncClient, messaging: FakeMessaging, **fields: str) -> Operator:
    op = await activated_operator(client, messaging)
    assert (
        await client.put("/api/v1/account/type", json={"type": "service"}, headers=op.headers)
    ).status_code == 200
    subject = await submit_subject(client, op, messaging, **fields)
    assert subject.status_code == 200, subject.text
    profile = await client.put("/api/v1/account/profile", json=PROFILE, headers=op.headers)
    assert profile.status_code == 200, profile.text
    return op
