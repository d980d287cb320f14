"""servicekit.clock against PostgreSQL: the table the scheduler writes and every service reads."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime, timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession, async_sessionmaker

from servicekit import clock
from servicekit.clock import SHANGHAI

T0 = datetime(2026, 11, 25, 9, 0, tzinfo=SHANGHAI)


@pytest.fixture
async def session(db_conn: AsyncConnection) -> AsyncIterator[AsyncSession]:
    maker = async_sessionmaker(bind=db_conn, expire_on_commit=False, join_transaction_mode="create_savepoint")
    async with maker() as s:
        yield s


@pytest.mark.rule("R-CLK-01")
class TestClockTable:
    async def test_unknown_namespace_runs_at_real_time(self, session: AsyncSession) -> None:
        state = await clock.state(session, "nowhere")
        assert (state.frozen, state.offset_seconds) == (False, 0.0)
        assert abs(state.now - clock.real_now()) < timedelta(seconds=1)

    async def test_set_time_on_a_running_clock_stores_an_offset(self, session: AsyncSession) -> None:
        target = clock.real_now() + timedelta(days=2)
        state = await clock.set_time(session, "ns", target)
        assert state.frozen is False
        assert abs(state.offset_seconds - 2 * 86400) < 5
        assert timedelta(0) <= (await clock.now(session, "ns")) - target < timedelta(seconds=5)

    async def test_set_time_on_a_frozen_clock_stays_frozen_at_the_target(self, session: AsyncSession) -> None:
        await clock.freeze(session, "ns")
        state = await clock.set_time(session, "ns", T0 + timedelta(days=30))
        assert state.frozen is True
        assert await clock.now(session, "ns") == T0 + timedelta(days=30)

    async def test_sql_twin_agrees_with_python(self, session: AsyncSession) -> None:
        await clock.freeze(session, "ns")
        await clock.set_time(session, "ns", T0)
        assert await session.scalar(select(clock.sql_now("ns"))) == T0
        real = await session.scalar(select(clock.sql_now("nowhere")))
        assert real is not None
        assert abs(real - clock.real_now()) < timedelta(seconds=5)

    async def test_lock_returns_the_current_state(self, session: AsyncSession) -> None:
        await clock.freeze(session, "ns")
        await clock.set_time(session, "ns", T0)
        state = await clock.lock(session, "ns")
        assert (state.now, state.frozen) == (T0, True)

    async def test_forget_all_restores_real_time_and_default_policy(self, session: AsyncSession) -> None:
        await clock.set_time(session, "ns", clock.real_now() + timedelta(days=5))
        await clock.set_review_policy(session, "ns", "manual")
        await clock.forget_all(session)
        assert (await clock.state(session, "ns")).offset_seconds == 0.0
        assert await clock.review_policy(session, "ns", "at_deadline") == "at_deadline"
        assert await session.scalar(select(func.count()).select_from(clock.namespaces)) == 0


@pytest.mark.rule("R-CLK-01")
class TestClockCeiling:
    """R-CLK-01: a running clock stops just below 3000-01-01 and reads as frozen there."""

    async def _run_past_the_ceiling(self, session: AsyncSession, seconds: float) -> None:
        # As if the clock had been set to the last second and `seconds` of real time had passed.
        offset = (clock.LAST_INSTANT - clock.real_now()).total_seconds() + seconds
        await clock.set_time(session, "ns", clock.real_now())
        await session.execute(
            clock.namespaces.update()
            .where(clock.namespaces.c.namespace == "ns")
            .values(offset_seconds=offset, frozen_at=None)
        )

    @pytest.mark.parametrize("seconds", [0.0, 2.0, 86400.0 * 365 * 5000])
    async def test_a_running_clock_at_or_past_the_ceiling_reads_frozen_below_it(
        self, session: AsyncSession, seconds: float
    ) -> None:
        await self._run_past_the_ceiling(session, seconds)
        state = await clock.state(session, "ns")
        assert (state.now, state.frozen) == (clock.LAST_INSTANT, True)
        assert await clock.now(session, "ns") < clock.CEILING

    async def test_sql_twin_stops_at_the_same_instant(self, session: AsyncSession) -> None:
        await self._run_past_the_ceiling(session, 2.0)
        assert await session.scalar(select(clock.sql_now("ns"))) == clock.LAST_INSTANT

    async def test_a_clock_set_to_the_last_instant_never_reads_the_ceiling(
        self, session: AsyncSession
    ) -> None:
        await clock.set_time(session, "ns", clock.LAST_INSTANT)
        for _ in range(3):
            assert await clock.now(session, "ns") <= clock.LAST_INSTANT
            assert await session.scalar(select(clock.sql_now("ns"))) <= clock.LAST_INSTANT

    async def test_unfreezing_at_the_ceiling_stays_there(self, session: AsyncSession) -> None:
        await self._run_past_the_ceiling(session, 2.0)
        state = await clock.unfreeze(session, "ns")
        assert (state.now, state.frozen) == (clock.LAST_INSTANT, True)
        assert (await clock.freeze(session, "ns")).now == clock.LAST_INSTANT
