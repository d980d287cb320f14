from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection, async_sessionmaker

from servicekit import clock
from servicekit.clock import SHANGHAI
from tests.scheduler.conftest import FakePeer, ns, set_clock

T0 = datetime(2026, 11, 25, 9, 30, tzinfo=SHANGHAI)


def at(body: dict[str, Any], key: str = "now") -> datetime:
    return datetime.fromisoformat(body[key])


@pytest.mark.rule("R-CLK-01")
class TestReadClock:
    async def test_fresh_namespace_runs_at_real_time(self, client: httpx.AsyncClient) -> None:
        r = await client.get("/_sandbox/clock", headers=ns("fresh"))
        assert r.status_code == 200
        body = r.json()
        assert body["namespace"] == "fresh"
        assert body["frozen"] is False
        assert body["offset_seconds"] == 0
        assert body["now"].endswith("+08:00")
        assert abs(at(body) - datetime.now(UTC)) < timedelta(seconds=5)

    async def test_missing_header_means_default_namespace(self, client: httpx.AsyncClient) -> None:
        assert (await client.get("/_sandbox/clock")).json()["namespace"] == "default"

    @pytest.mark.parametrize("name", ["has space", "x" * 65, "", "中文"])
    async def test_invalid_namespace_is_refused(self, client: httpx.AsyncClient, name: str) -> None:
        r = await client.get("/_sandbox/clock", headers={"X-Sandbox-Namespace": name.encode()})
        assert r.status_code == 400
        assert r.json()["error"]["code"] == "invalid_namespace"


@pytest.mark.rule("R-CLK-01")
class TestAdvanceClock:
    async def test_amounts_add_up(self, client: httpx.AsyncClient, db_conn: AsyncConnection) -> None:
        await set_clock(db_conn, "t", T0)
        r = await client.post(
            "/_sandbox/clock/advance", headers=ns("t"), json={"days": 1, "hours": 2, "minutes": 30.5}
        )
        assert r.status_code == 200
        body = r.json()
        assert body["namespace"] == "t"
        assert at(body, "from") == T0
        expected = T0 + timedelta(days=1, hours=2, minutes=30, seconds=30)
        assert at(body) == expected
        assert at((await client.get("/_sandbox/clock", headers=ns("t"))).json()) == expected

    @pytest.mark.rule("R-CLK-02")
    async def test_every_hook_gets_the_skipped_interval(
        self, client: httpx.AsyncClient, db_conn: AsyncConnection, peers: dict[str, FakePeer]
    ) -> None:
        await set_clock(db_conn, "t", T0)
        await client.post("/_sandbox/clock/advance", headers=ns("t"), json={"days": 80})
        for peer in peers.values():
            [call] = peer.hook_calls()
            assert call["namespace"] == "t"
            assert datetime.fromisoformat(call["from"]) == T0
            assert datetime.fromisoformat(call["to"]) == T0 + timedelta(days=80)

    @pytest.mark.rule("R-CLK-02")
    async def test_events_of_every_service_come_back_in_time_order(
        self, client: httpx.AsyncClient, db_conn: AsyncConnection, peers: dict[str, FakePeer]
    ) -> None:
        await set_clock(db_conn, "t", T0)
        peers["registration"].events = [
            {
                "at": "2026-12-05T16:00:00Z",
                "service": "registration",
                "kind": "review_approved",
                "account_id": "acc_1",
            },
            {
                "at": "2026-11-26T00:00:00Z",
                "service": "registration",
                "kind": "activation_link_expired",
                "account_id": "acc_2",
            },
        ]
        peers["messaging"].events = [
            {
                "at": "2026-11-30T00:00:00+08:00",
                "service": "messaging",
                "kind": "quota_reset",
                "account_id": None,
                "count": 3,
            },
        ]
        r = await client.post("/_sandbox/clock/advance", headers=ns("t"), json={"days": 30})
        events = r.json()["events"]
        assert [e["kind"] for e in events] == ["activation_link_expired", "quota_reset", "review_approved"]
        assert events[0]["at"] == "2026-11-26T08:00:00+08:00"
        assert events[1]["count"] == 3
        assert events[2]["account_id"] == "acc_1"

    async def test_to_moves_the_clock_to_that_moment(
        self, client: httpx.AsyncClient, db_conn: AsyncConnection
    ) -> None:
        await set_clock(db_conn, "t", T0)
        r = await client.post("/_sandbox/clock/advance", headers=ns("t"), json={"to": "2026-12-24T18:00:00"})
        assert r.status_code == 200
        assert at(r.json()) == datetime(2026, 12, 24, 18, 0, tzinfo=SHANGHAI)

    async def test_backwards_target_is_refused_and_changes_nothing(
        self, client: httpx.AsyncClient, db_conn: AsyncConnection, peers: dict[str, FakePeer]
    ) -> None:
        await set_clock(db_conn, "t", T0)
        earlier = (T0 - timedelta(minutes=1)).isoformat()
        r = await client.post("/_sandbox/clock/advance", headers=ns("t"), json={"to": earlier})
        assert r.status_code == 409
        assert r.json()["error"]["code"] == "clock_backwards"
        assert at((await client.get("/_sandbox/clock", headers=ns("t"))).json()) == T0
        assert all(not p.calls for p in peers.values())

    @pytest.mark.parametrize(
        "to", ["0001-01-01T00:00:00+14:00", "0001-01-01T00:00:00-14:00", "0001-01-01T00:00:00"]
    )
    async def test_to_at_the_start_of_time_is_backwards(self, client: httpx.AsyncClient, to: str) -> None:
        r = await client.post("/_sandbox/clock/advance", headers=ns("t"), json={"to": to})
        assert r.status_code == 409, r.text
        assert r.json()["error"]["code"] == "clock_backwards"

    @pytest.mark.parametrize(
        "body",
        [
            {"days": 36500},
            {"days": 400000},
            {"hours": 1e300},
            {"minutes": 1e18},
            {"working_days": 2500},
            {"to": "2999-12-31T23:59:59-23:59"},
            {"to": "3000-01-01T00:00:00+08:00"},
            {"to": "9999-12-31T23:59:59"},
        ],
        ids=[
            "days",
            "days_far_beyond",
            "hours_overflowing",
            "minutes_overflowing",
            "working_days",
            "to_past_3000_in_shanghai",
            "to_3000",
            "to_9999",
        ],
    )
    async def test_advance_past_the_year_3000_is_refused_and_changes_nothing(
        self, client: httpx.AsyncClient, db_conn: AsyncConnection, body: dict[str, Any]
    ) -> None:
        near_the_end = datetime(2995, 1, 1, tzinfo=SHANGHAI)
        await set_clock(db_conn, "t", near_the_end)
        r = await client.post("/_sandbox/clock/advance", headers=ns("t"), json=body)
        assert r.status_code == 422, r.text
        assert r.json()["error"]["code"] == "clock_out_of_range"
        assert at((await client.get("/_sandbox/clock", headers=ns("t"))).json()) == near_the_end

    async def test_advance_to_the_last_second_then_zero_advances_still_answer(
        self, client: httpx.AsyncClient, db_conn: AsyncConnection
    ) -> None:
        """The issue's case: the clock runs on past 23:59:59, stops below 3000; `minutes: 0` is 200."""
        last_second = {"to": "2999-12-31T23:59:59+08:00"}
        r = await client.post("/_sandbox/clock/advance", headers=ns("t"), json=last_second)
        assert r.status_code == 200, r.text
        await self._let_a_second_pass(db_conn)
        state = (await client.get("/_sandbox/clock", headers=ns("t"))).json()
        assert (at(state), state["frozen"]) == (clock.LAST_INSTANT, True)
        zero = await client.post("/_sandbox/clock/advance", headers=ns("t"), json={"minutes": 0})
        assert zero.status_code == 200, zero.text
        assert at(zero.json(), "from") == at(zero.json()) == clock.LAST_INSTANT
        one = await client.post("/_sandbox/clock/advance", headers=ns("t"), json={"minutes": 1})
        assert one.status_code == 422, one.text
        assert one.json()["error"]["code"] == "clock_out_of_range"

    async def test_advance_to_one_microsecond_below_the_ceiling_freezes_there(
        self, client: httpx.AsyncClient, db_conn: AsyncConnection
    ) -> None:
        to = clock.LAST_INSTANT.isoformat()
        r = await client.post("/_sandbox/clock/advance", headers=ns("t"), json={"to": to})
        assert r.status_code == 200, r.text
        assert at(r.json()) == clock.LAST_INSTANT
        state = (await client.get("/_sandbox/clock", headers=ns("t"))).json()
        assert (at(state), state["frozen"]) == (clock.LAST_INSTANT, True)
        async with async_sessionmaker(bind=db_conn, join_transaction_mode="create_savepoint")() as session:
            assert await clock.now(session, "t") == clock.LAST_INSTANT
            assert await session.scalar(select(clock.sql_now("t"))) == clock.LAST_INSTANT
        for body in ({"minutes": 0}, {"to": to}, {"days": 0, "working_days": 0}):
            again = await client.post("/_sandbox/clock/advance", headers=ns("t"), json=body)
            assert again.status_code == 200, (body, again.text)
            assert at(again.json()) == clock.LAST_INSTANT
        for body in ({"minutes": 1}, {"working_days": 1}, {"to": clock.CEILING.isoformat()}):
            past = await client.post("/_sandbox/clock/advance", headers=ns("t"), json=body)
            assert past.status_code == 422, (body, past.text)
            assert past.json()["error"]["code"] == "clock_out_of_range"

    async def _let_a_second_pass(self, db_conn: AsyncConnection) -> None:
        """Real time passing, without the wait: push the stored offset on by a second."""
        maker = async_sessionmaker(bind=db_conn, join_transaction_mode="create_savepoint")
        async with maker() as session, session.begin():
            await session.execute(
                clock.namespaces.update()
                .where(clock.namespaces.c.namespace == "t")
                .values(offset_seconds=clock.namespaces.c.offset_seconds + 1.0)
            )

    async def test_largest_advances_add_up_until_the_limit(self, client: httpx.AsyncClient) -> None:
        answers = [
            (await client.post("/_sandbox/clock/advance", headers=ns("t"), json={"days": 36500})).status_code
            for _ in range(11)
        ]
        assert answers == [200] * 9 + [422] * 2

    @pytest.mark.parametrize(
        "body",
        [
            {},
            {"days": -1},
            {"hours": -0.5},
            {"weeks": 1},
            {"days": "1"},
            {"days": True},
            {"working_days": 1.5},
            {"to": "not a time"},
            {"days": 1, "to": "2027-01-01T00:00:00+08:00"},
        ],
        ids=[
            "empty",
            "negative",
            "negative_fraction",
            "unknown",
            "string",
            "bool",
            "fractional_wd",
            "bad_to",
            "to_with_amount",
        ],
    )
    async def test_malformed_body_is_refused_and_changes_nothing(
        self,
        client: httpx.AsyncClient,
        db_conn: AsyncConnection,
        peers: dict[str, FakePeer],
        body: dict[str, Any],
    ) -> None:
        await set_clock(db_conn, "t", T0)
        r = await client.post("/_sandbox/clock/advance", headers=ns("t"), json=body)
        assert r.status_code == 422
        assert r.json()["error"]["code"] == "validation_error"
        assert at((await client.get("/_sandbox/clock", headers=ns("t"))).json()) == T0
        assert all(not p.calls for p in peers.values())

    async def test_missing_body_is_refused(self, client: httpx.AsyncClient) -> None:
        r = await client.post("/_sandbox/clock/advance")
        assert r.status_code == 422
        assert r.json()["error"]["code"] == "validation_error"

    async def test_namespaces_have_independent_clocks(
        self, client: httpx.AsyncClient, db_conn: AsyncConnection
    ) -> None:
        await set_clock(db_conn, "a", T0)
        await set_clock(db_conn, "b", T0)
        await client.post("/_sandbox/clock/advance", headers=ns("a"), json={"days": 3})
        assert at((await client.get("/_sandbox/clock", headers=ns("a"))).json()) == T0 + timedelta(days=3)
        assert at((await client.get("/_sandbox/clock", headers=ns("b"))).json()) == T0
        assert (await client.get("/_sandbox/clock", headers=ns("c"))).json()["offset_seconds"] == 0

    async def test_working_days_skip_weekend_and_holidays(
        self, client: httpx.AsyncClient, db_conn: AsyncConnection
    ) -> None:
        # Thu 24 Sep 2026; Fri 25 is Mid-Autumn, then a weekend, Mon–Wed, then National Day 1–7 Oct.
        await set_clock(db_conn, "t", datetime(2026, 9, 24, 10, 15, tzinfo=SHANGHAI))
        r = await client.post("/_sandbox/clock/advance", headers=ns("t"), json={"working_days": 4})
        assert at(r.json()) == datetime(2026, 10, 8, 10, 15, tzinfo=SHANGHAI)

    async def test_working_days_then_duration(
        self, client: httpx.AsyncClient, db_conn: AsyncConnection
    ) -> None:
        # Fri 16 Oct 2026 22:00 + 1 working day = Mon 19 Oct 22:00, + 3 hours = Tue 01:00.
        await set_clock(db_conn, "t", datetime(2026, 10, 16, 22, 0, tzinfo=SHANGHAI))
        r = await client.post(
            "/_sandbox/clock/advance", headers=ns("t"), json={"working_days": 1, "hours": 3}
        )
        assert at(r.json()) == datetime(2026, 10, 20, 1, 0, tzinfo=SHANGHAI)

    async def test_running_clock_moves_by_the_amount(self, client: httpx.AsyncClient) -> None:
        before = at((await client.get("/_sandbox/clock", headers=ns("run"))).json())
        r = await client.post("/_sandbox/clock/advance", headers=ns("run"), json={"hours": 5})
        state = (await client.get("/_sandbox/clock", headers=ns("run"))).json()
        assert state["frozen"] is False
        assert timedelta(hours=5) <= at(r.json()) - before < timedelta(hours=5, seconds=5)
        assert 5 * 3600 - 5 < state["offset_seconds"] <= 5 * 3600 + 1


class TestHookFailure:
    async def test_peer_down_is_503_naming_it_and_the_clock_has_moved(
        self, client: httpx.AsyncClient, db_conn: AsyncConnection, peers: dict[str, FakePeer]
    ) -> None:
        await set_clock(db_conn, "t", T0)
        peers["messaging"].down = True
        peers["registration"].events = [
            {"at": "2026-11-26T00:00:00Z", "service": "registration", "kind": "review_approved"}
        ]
        r = await client.post("/_sandbox/clock/advance", headers=ns("t"), json={"days": 1})
        assert r.status_code == 503
        error = r.json()["error"]
        assert error["code"] == "messaging_unavailable"
        assert error["services"] == ["messaging"]
        assert "messaging" in error["message"]
        assert "幂等" in error["message"]
        assert [e["kind"] for e in error["events"]] == ["review_approved"]
        assert len(peers["certification"].hook_calls()) == 1
        assert at((await client.get("/_sandbox/clock", headers=ns("t"))).json()) == T0 + timedelta(days=1)


@pytest.mark.rule("R-CLK-01")
class TestFreeze:
    async def test_frozen_clock_holds_time(self, client: httpx.AsyncClient) -> None:
        frozen = (await client.post("/_sandbox/clock/freeze", headers=ns("f"))).json()
        assert frozen["frozen"] is True
        first = (await client.get("/_sandbox/clock", headers=ns("f"))).json()
        second = (await client.get("/_sandbox/clock", headers=ns("f"))).json()
        assert first["now"] == second["now"] == frozen["now"]

    async def test_advance_keeps_a_frozen_clock_frozen(self, client: httpx.AsyncClient) -> None:
        frozen = (await client.post("/_sandbox/clock/freeze", headers=ns("f"))).json()
        await client.post("/_sandbox/clock/advance", headers=ns("f"), json={"minutes": 10})
        state = (await client.get("/_sandbox/clock", headers=ns("f"))).json()
        assert state["frozen"] is True
        assert at(state) == at(frozen) + timedelta(minutes=10)

    async def test_unfreeze_continues_from_the_frozen_time(
        self, client: httpx.AsyncClient, db_conn: AsyncConnection
    ) -> None:
        await set_clock(db_conn, "f", T0 + timedelta(days=400))
        r = await client.post("/_sandbox/clock/unfreeze", headers=ns("f"))
        assert r.status_code == 200
        state = r.json()
        assert state["frozen"] is False
        later = (await client.get("/_sandbox/clock", headers=ns("f"))).json()
        assert T0 + timedelta(days=400) <= at(later) < T0 + timedelta(days=400, seconds=5)
        assert at(later) >= at(state)
