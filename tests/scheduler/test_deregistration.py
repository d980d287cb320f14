"""Deregistration in the scheduler (SPEC §6.2): facts in, notices and terminations out, each once.

The scheduler in-process against real PostgreSQL (the test's rolled-back transaction); registration
and messaging are recording fakes. Facts are posted as registration's relay posts them.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from contracts.scheduler.client import SCHEDULE_PATH
from servicekit.clock import SHANGHAI
from servicekit.testing import asgi_client
from tests.scheduler.conftest import ns, set_clock
from tests.scheduler.deregistration_fakes import (
    Wired,
    fact,
    new_account_id,
    scheduler_with_fakes,
    send_facts,
    signed_up,
)

T0 = datetime(2026, 3, 2, 10, 0, tzinfo=SHANGHAI)
NS = "dereg"
DAY = timedelta(hours=24)


@pytest.fixture
async def wired(db_conn: AsyncConnection) -> AsyncIterator[Wired]:
    await set_clock(db_conn, NS, T0)
    async with scheduler_with_fakes(connection=db_conn) as w:
        yield w


async def advance(w: Wired, **amount: float) -> dict[str, Any]:
    async with asgi_client(w.app) as client:
        response = await client.post("/_sandbox/clock/advance", json=amount, headers=ns(NS))
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def mine(events: list[dict[str, Any]], account_id: str) -> list[tuple[str, Any, Any]]:
    """(kind, day or reason, at) of an account's scheduler events, in the answer's order."""
    return [
        (e["kind"], e["data"].get("day", e["data"].get("reason")), datetime.fromisoformat(e["at"]))
        for e in events
        if e["account_id"] == account_id and e["service"] == "scheduler"
    ]


@pytest.mark.rule("R-DER-01", "R-CLK-02")
class TestIncompleteRegistration:
    async def test_an_activated_application_gets_day_60_70_80_and_ends_registration_incomplete(
        self, wired: Wired
    ) -> None:
        account = new_account_id()
        await send_facts(wired.app, *signed_up(account, T0, NS))

        early = await advance(wired, days=59)
        answer = await advance(wired, days=21)

        assert mine(early["events"], account) == []
        assert mine(answer["events"], account) == [
            ("deregistration_notice", 60, T0 + 60 * DAY),
            ("deregistration_notice", 70, T0 + 70 * DAY),
            ("deregistration_notice", 80, T0 + 80 * DAY),
            ("account_terminated", "registration_incomplete", T0 + 80 * DAY),  # after the day-80 notice
        ]
        (asked,) = wired.registration.requested()
        assert (asked["account_id"], asked["rule"], asked["reason"]) == (
            account,
            "R-DER-01",
            "registration_incomplete",
        )
        assert datetime.fromisoformat(asked["at"]) == T0 + 80 * DAY

    async def test_an_application_never_activated_is_left_to_r_reg_06(self, wired: Wired) -> None:
        account = new_account_id()
        await send_facts(wired.app, *signed_up(account, T0, NS, activated=False))

        answer = await advance(wired, days=100)

        assert mine(answer["events"], account) == []
        assert wired.registration.requested() == []

    async def test_an_approval_before_day_80_ends_the_rule(self, wired: Wired) -> None:
        account = new_account_id()
        await send_facts(wired.app, *signed_up(account, T0, NS))
        await advance(wired, days=65)  # the day-60 notice went out
        await send_facts(wired.app, fact("approved", account, T0 + 65 * DAY, NS))

        answer = await advance(wired, days=30)

        assert mine(answer["events"], account) == []
        assert wired.registration.requested() == []
        assert [e["data"]["day"] for e in wired.messaging.of("deregistration_notice", account)] == [60, 60]


@pytest.mark.rule("R-DER-02", "R-CLK-02")
class TestInactivity:
    async def test_an_approved_account_without_login_gets_four_notices_and_ends_inactive(
        self, wired: Wired
    ) -> None:
        account = new_account_id()
        await send_facts(wired.app, *signed_up(account, T0, NS), fact("approved", account, T0, NS))

        answer = await advance(wired, days=210)

        assert mine(answer["events"], account) == [
            ("deregistration_notice", 180, T0 + 180 * DAY),
            ("deregistration_notice", 190, T0 + 190 * DAY),
            ("deregistration_notice", 200, T0 + 200 * DAY),
            ("deregistration_notice", 210, T0 + 210 * DAY),
            ("account_terminated", "inactive", T0 + 210 * DAY),
        ]
        assert [item["reason"] for item in wired.registration.requested()] == ["inactive"]

    async def test_a_login_starts_a_new_cycle_and_the_old_notices_are_not_repeated(
        self, wired: Wired
    ) -> None:
        account = new_account_id()
        await send_facts(wired.app, *signed_up(account, T0, NS), fact("approved", account, T0, NS))
        first = await advance(wired, days=185)
        login = T0 + 185 * DAY
        await send_facts(wired.app, fact("login", account, login, NS))

        quiet = await advance(wired, days=179)  # old cycle's day 364: nothing of it any more
        second = await advance(wired, days=31)

        assert mine(first["events"], account) == [("deregistration_notice", 180, T0 + 180 * DAY)]
        assert mine(quiet["events"], account) == []
        assert [(kind, day) for kind, day, _ in mine(second["events"], account)] == [
            ("deregistration_notice", 180),
            ("deregistration_notice", 190),
            ("deregistration_notice", 200),
            ("deregistration_notice", 210),
            ("account_terminated", "inactive"),
        ]
        assert mine(second["events"], account)[-1][2] == login + 210 * DAY
        days = [
            (e["data"]["day"], e["created_at"]) for e in wired.messaging.of("deregistration_notice", account)
        ]
        assert len(days) == 2 * 5  # notification + e-mail, old day 180 once, then the new cycle's four

    async def test_facts_twice_or_out_of_order_are_applied_once_each(self, wired: Wired) -> None:
        account = new_account_id()
        older_login = fact("login", account, T0 + 10 * DAY, NS)
        newer_login = fact("login", account, T0 + 20 * DAY, NS)
        approved = fact("approved", account, T0, NS)
        await send_facts(wired.app, *signed_up(account, T0, NS), newer_login)
        again = await send_facts(wired.app, newer_login, older_login, approved, approved)

        answer = await advance(wired, days=200)

        assert again == {"accepted": 2, "duplicates": 2}
        # The cycle runs from the later login (day 20): its day 180 is day 200 of the clock.
        assert mine(answer["events"], account) == [("deregistration_notice", 180, T0 + 200 * DAY)]


@pytest.mark.rule("R-DER-03")
class TestNoticeChannels:
    async def test_each_notice_reaches_every_bound_channel_with_rule_day_and_date(self, wired: Wired) -> None:
        account = new_account_id()
        await send_facts(
            wired.app,
            *signed_up(account, T0, NS),
            fact("operator_phone", account, T0, NS, phone="13800138000"),
            fact("admin_wechat", account, T0, NS, wechat_id="wx_admin1"),
            fact("login_email", account, T0 + DAY, NS, email="new@example.com"),
        )

        await advance(wired, days=60)

        sent = wired.messaging.of("deregistration_notice", account)
        assert sorted((m["channel"], m["to"]) for m in sent) == [
            ("email", "new@example.com"),
            ("notification", account),
            ("sms", "13800138000"),
            ("wechat", "wx_admin1"),
        ]
        terminates_at = T0 + 80 * DAY
        for message in sent:
            assert message["account_id"] == account
            assert message["data"] == {
                "rule": "R-DER-01",
                "day": 60,
                "terminates_at": terminates_at.isoformat(),
            }
            assert datetime.fromisoformat(message["created_at"]) == T0 + 60 * DAY
            assert "R-DER-01" in message["body"]
            assert "第60天" in message["body"]
            assert terminates_at.astimezone(SHANGHAI).strftime("%Y年%m月%d日") in message["body"]

    async def test_an_unbound_wechat_gets_no_more_notices(self, wired: Wired) -> None:
        account = new_account_id()
        await send_facts(
            wired.app,
            *signed_up(account, T0, NS),
            fact("admin_wechat", account, T0, NS, wechat_id="wx_admin1"),
            fact("admin_wechat", account, T0, NS, wechat_id=None),  # same instant, later seq: unbound
        )

        await advance(wired, days=60)

        assert sorted(m["channel"] for m in wired.messaging.of("deregistration_notice", account)) == [
            "email",
            "notification",
        ]

    async def test_the_termination_reaches_the_same_channels_after_the_last_notice(
        self, wired: Wired
    ) -> None:
        account = new_account_id()
        await send_facts(
            wired.app,
            *signed_up(account, T0, NS),
            fact("approved", account, T0, NS),
            fact("admin_wechat", account, T0, NS, wechat_id="wx_admin1"),
        )

        await advance(wired, days=210)

        ended = wired.messaging.of("account_terminated", account)
        assert sorted(m["channel"] for m in ended) == ["email", "notification", "wechat"]
        assert all(m["data"]["reason"] == "inactive" for m in ended)
        order = [
            e["kind"]
            for e in sorted(wired.messaging.entries.values(), key=lambda e: (e["created_at"], e["key"]))
        ]
        assert order[-3:] == ["account_terminated"] * 3  # the day-210 notice went first

    async def test_a_retried_advance_sends_nothing_again(self, wired: Wired) -> None:
        account = new_account_id()
        await send_facts(wired.app, *signed_up(account, T0, NS))
        await advance(wired, days=80)
        calls = wired.messaging.calls

        again = await advance(wired, minutes=0)

        assert mine(again["events"], account) == []
        assert wired.messaging.calls == calls
        assert len(wired.registration.requested()) == 1


@pytest.mark.rule("R-DER-04")
class TestTerminationDelivery:
    async def test_a_termination_registration_refuses_has_no_event_and_no_message(self, wired: Wired) -> None:
        account = new_account_id()
        await send_facts(wired.app, *signed_up(account, T0, NS), fact("approved", account, T0, NS))
        wired.registration.verdict = "refused"  # a login the schedule has not heard of yet

        answer = await advance(wired, days=210)

        assert [kind for kind, _, _ in mine(answer["events"], account)] == ["deregistration_notice"] * 4
        assert wired.messaging.of("account_terminated", account) == []

    async def test_registration_down_keeps_the_termination_until_it_answers(
        self, wired: Wired, db_conn: AsyncConnection
    ) -> None:
        account = new_account_id()
        await send_facts(wired.app, *signed_up(account, T0, NS))
        wired.registration.down = True
        async with asgi_client(wired.app) as client:
            down = await client.post("/_sandbox/clock/advance", json={"days": 80}, headers=ns(NS))
        wired.registration.down = False

        later = await advance(wired, minutes=0)

        assert down.status_code == 503
        assert [e["kind"] for e in down.json()["error"]["events"]] == ["deregistration_notice"] * 3
        assert mine(later["events"], account) == [
            ("account_terminated", "registration_incomplete", T0 + 80 * DAY)
        ]
        pending = await db_conn.scalar(
            text(
                "SELECT count(*) FROM scheduler.terminations"
                " WHERE acknowledged_at IS NULL AND account_id = :a"
            ),
            {"a": account},
        )
        assert pending == 0


@pytest.mark.rule("R-CLK-02", "R-DER-04")
class TestAdvanceStopsAtTerminations:
    async def test_every_service_runs_up_to_a_termination_before_what_follows_it(self, wired: Wired) -> None:
        first, second = new_account_id(), new_account_id()
        await send_facts(wired.app, *signed_up(first, T0, NS), *signed_up(second, T0 + 5 * DAY, NS))

        answer = await advance(wired, days=100)

        intervals = [
            (datetime.fromisoformat(h["from"]), datetime.fromisoformat(h["to"]))
            for h in wired.registration.hooks
        ]
        assert intervals == [
            (T0, T0 + 80 * DAY),
            (T0 + 80 * DAY, T0 + 85 * DAY),
            (T0 + 85 * DAY, T0 + 100 * DAY),
        ]
        ends = [e for e in answer["events"] if e["kind"] == "account_terminated"]
        assert [e["account_id"] for e in ends] == [first, second]

    async def test_an_advance_without_terminations_is_one_round(self, wired: Wired) -> None:
        await send_facts(wired.app, *signed_up(new_account_id(), T0, NS))

        await advance(wired, days=79)

        assert len(wired.registration.hooks) == 1


@pytest.mark.rule("R-DER-07")
class TestSchedule:
    async def test_the_schedule_lists_the_notices_sent_and_the_next_due(self, wired: Wired) -> None:
        account = new_account_id()
        await send_facts(wired.app, *signed_up(account, T0, NS))
        await advance(wired, days=65)

        async with asgi_client(wired.app) as client:
            found = (await client.get(SCHEDULE_PATH.format(account_id=account))).json()
            unknown = await client.get(SCHEDULE_PATH.format(account_id="acc_nobody"))

        assert [(n["rule"], n["day"]) for n in found["notices"]] == [("R-DER-01", 60)]
        assert datetime.fromisoformat(found["next_due_at"]) == T0 + 70 * DAY
        assert unknown.status_code == 404
        assert unknown.json()["error"]["code"] == "schedule_not_found"


def _ids_in(events: list[dict[str, Any]]) -> list[tuple[str, int]]:
    return [(e["account_id"], e["data"]["day"]) for e in events if e["kind"] == "deregistration_notice"]


@pytest.mark.rule("R-DER-01", "R-DER-02", "R-CLK-02")
class TestBackDatedFacts:
    async def test_an_account_idle_205_days_gets_days_180_190_200_at_the_next_advance_in_order(
        self, wired: Wired
    ) -> None:
        account = new_account_id()
        idle_since = T0 - 205 * DAY
        await send_facts(
            wired.app, *signed_up(account, idle_since, NS), fact("approved", account, idle_since, NS)
        )

        answer = await advance(wired, minutes=0)

        assert mine(answer["events"], account) == [
            ("deregistration_notice", 180, idle_since + 180 * DAY),
            ("deregistration_notice", 190, idle_since + 190 * DAY),
            ("deregistration_notice", 200, idle_since + 200 * DAY),
        ]

    async def test_an_approval_after_day_80_replays_nothing_of_r_der_01(self, wired: Wired) -> None:
        account = new_account_id()
        await send_facts(
            wired.app, *signed_up(account, T0 - 100 * DAY, NS), fact("approved", account, T0 - 10 * DAY, NS)
        )

        answer = await advance(wired, minutes=0)

        assert mine(answer["events"], account) == []


async def schedule_rows(db_conn: AsyncConnection, account_id: str) -> list[Any]:
    result = await db_conn.execute(
        text("SELECT day FROM scheduler.deregistration_notices WHERE account_id = :a ORDER BY day"),
        {"a": account_id},
    )
    return [row.day for row in result]


@pytest.mark.rule("R-DER-06")
class TestBatches:
    async def test_more_due_accounts_than_a_batch_are_all_performed_in_one_advance(
        self, wired: Wired, db_conn: AsyncConnection, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        from services.scheduler.deregistration import service

        monkeypatch.setattr(service, "BATCH", 3)
        accounts = [new_account_id() for _ in range(7)]
        for account in accounts:
            await send_facts(wired.app, *signed_up(account, T0 - 61 * DAY, NS))

        answer = await advance(wired, minutes=0)

        assert sorted(_ids_in(answer["events"])) == sorted((a, 60) for a in accounts)
        for account in accounts:
            assert await schedule_rows(db_conn, account) == [60]
