"""Manual review decisions racing the `at_deadline` clock hook, with real commits on the shared engine.

Each round opens one pending review, then fires several manual approvals and rejections and a clock
hook past the deadline at once. Whatever the interleaving, the review is decided exactly once, no
request fails (a deadlock would surface as 503 `database_unavailable`), and every loser of a manual
decision gets 409 `review_decided`.
"""

from __future__ import annotations

import asyncio
import random
import uuid
from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from servicekit import clock
from servicekit.clock import SHANGHAI
from servicekit.testing import asgi_client, wire_app
from services.certification.app import build_app as build_certification
from services.registration.accounts.models import Account
from services.registration.app import build_app
from services.registration.outbox_relay.models import PendingMessage
from services.registration.review.models import Review
from tests.registration.factories import FakeMessaging, fixture_account, registration_settings

ROUNDS = 12
T0 = datetime(2026, 3, 2, 10, 0, tzinfo=SHANGHAI)
DECISION_MESSAGES = ("registration_approved", "registration_rejected")


@pytest.fixture
async def namespace(engine: AsyncEngine) -> AsyncIterator[str]:
    """A namespace of its own, at_deadline, frozen at T0; its rows are deleted afterwards."""
    name = f"review-race-{uuid.uuid4().hex[:8]}"
    async with AsyncSession(engine) as session, session.begin():
        await clock.set_review_policy(session, name, "at_deadline")
        await clock.freeze(session, name)
        await clock.set_time(session, name, T0)
    yield name
    async with AsyncSession(engine) as session, session.begin():
        await session.execute(delete(PendingMessage).where(PendingMessage.namespace == name))
        await session.execute(delete(Account).where(Account.namespace == name))
        await session.execute(delete(clock.namespaces).where(clock.namespaces.c.namespace == name))


@pytest.fixture
async def client(engine: AsyncEngine) -> AsyncIterator[httpx.AsyncClient]:
    certification = wire_app(build_certification(), engine=engine)
    messaging = FakeMessaging()
    async with (
        httpx.AsyncClient(transport=httpx.ASGITransport(app=certification), base_url="http://cert") as cert,
        httpx.AsyncClient(transport=httpx.MockTransport(messaging.handler), base_url="http://msg") as msg,
    ):
        app = wire_app(
            build_app(registration_settings()),
            engine=engine,
            peers={"certification": cert, "messaging": msg},
        )
        async with asgi_client(app) as c:
            yield c


async def pending_review(client: httpx.AsyncClient, namespace: str, account_id: str) -> dict[str, Any]:
    r = await client.get("/_sandbox/reviews", params={"status": "pending"}, headers=ns(namespace))
    [review] = [item for item in r.json()["items"] if item["account_id"] == account_id]
    return review


def ns(name: str) -> dict[str, str]:
    return {"X-Sandbox-Namespace": name}


class TestDecisionRace:
    async def test_manual_decisions_racing_the_deadline_hook_decide_once(
        self, client: httpx.AsyncClient, engine: AsyncEngine, namespace: str
    ) -> None:
        rng = random.Random(8)
        for n in range(ROUNDS):
            account = await fixture_account(client, namespace, status="in_review", name=f"竞态测试{n}号")
            review = await pending_review(client, namespace, account["account_id"])
            past_deadline = datetime.fromisoformat(review["deadline"]) + timedelta(days=1)
            decisions = [
                ("approve", f"/_sandbox/reviews/{review['review_id']}/approve", None),
                ("reject", f"/_sandbox/reviews/{review['review_id']}/reject", {"reason": "材料不全"}),
                ("approve", f"/_sandbox/reviews/{review['review_id']}/approve", None),
                ("hook", "/internal/clock-hook", {"namespace": namespace, "to": past_deadline.isoformat()}),
                ("reject", f"/_sandbox/reviews/{review['review_id']}/reject", {"reason": "名称不符"}),
            ]
            rng.shuffle(decisions)
            answers = await asyncio.gather(
                *(client.post(path, json=body) for _, path, body in decisions), return_exceptions=True
            )

            assert not [a for a in answers if isinstance(a, BaseException)], answers
            by_kind = [(kind, a) for (kind, _, _), a in zip(decisions, answers, strict=True)]
            assert all(isinstance(a, httpx.Response) for _, a in by_kind)
            responses = [(kind, a) for kind, a in by_kind if isinstance(a, httpx.Response)]
            assert [a.status_code for _, a in responses if a.status_code >= 500] == [], [
                a.text for _, a in responses
            ]
            manual_wins = [kind for kind, a in responses if kind != "hook" and a.status_code == 200]
            losers = [a for kind, a in responses if kind != "hook" and a.status_code != 200]
            assert all(a.status_code == 409 for a in losers), [a.text for a in losers]
            assert all(a.json()["error"]["code"] == "review_decided" for a in losers)
            [hook] = [a for kind, a in responses if kind == "hook"]
            assert hook.status_code == 200, hook.text
            deadline_wins = [e for e in hook.json()["events"] if e["account_id"] == account["account_id"]]
            assert len(manual_wins) + len(deadline_wins) == 1, (n, manual_wins, deadline_wins)

            async with AsyncSession(engine) as session:
                stored = await session.get_one(Review, review["review_id"])
                owner = await session.get_one(Account, account["account_id"])
                messages = await session.scalar(
                    select(func.count())
                    .select_from(PendingMessage)
                    .where(PendingMessage.account_id == owner.id, PendingMessage.kind.in_(DECISION_MESSAGES))
                )
            outcome = {"approve": "approved", "reject": "rejected"}
            expected = outcome[manual_wins[0]] if manual_wins else "approved"
            assert (stored.status, owner.status, messages) == (expected, expected, 1)
            assert stored.decided_by == ("deadline" if deadline_wins else "operator")
