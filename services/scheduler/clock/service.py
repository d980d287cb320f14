"""The clock API (SPEC §6.1): read, freeze, and advance with every hook over the skipped interval."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from contracts.scheduler.schemas import ClockAdvance, ClockAdvanced, ClockState
from servicekit import clock
from servicekit.clock import SHANGHAI
from servicekit.errors import Conflict, DependencyDown, Unprocessable
from servicekit.lifecycle import ClockEvent, ClockHookRequest
from services.scheduler.clock import ownership, rules
from services.scheduler.fanout import Outcome, run_clock_hooks
from services.scheduler.runtime import Runtime, unit_of_work


def _local(moment: datetime) -> datetime:
    return moment.astimezone(SHANGHAI)


def _shown_time(moment: datetime) -> str:
    """Shanghai time for a message; a moment at the edge of datetime's range is shown as given."""
    try:
        return _local(moment).isoformat()
    except OverflowError:
        return moment.isoformat()


def _shown(event: ClockEvent) -> ClockEvent:
    return event.model_copy(update={"at": _local(event.at)}) if event.at.tzinfo else event


async def read_clock(session: AsyncSession, namespace: str) -> ClockState:
    return ClockState.model_validate((await clock.state(session, namespace)).as_dict())


async def freeze_clock(session: AsyncSession, namespace: str) -> ClockState:
    return ClockState.model_validate((await clock.freeze(session, namespace)).as_dict())


async def unfreeze_clock(session: AsyncSession, namespace: str) -> ClockState:
    return ClockState.model_validate((await clock.unfreeze(session, namespace)).as_dict())


async def advance_clock(runtime: Runtime, namespace: str, body: ClockAdvance) -> ClockAdvanced:
    """Own the namespace, then run every hook over the skipped interval before letting go.

    While it owns the namespace (`ownership`), no other advance of it and no sweep runs hooks, so
    concurrent advances add up in turn and each interval has exactly one runner (R-CLK-01).
    """
    async with ownership.own_namespace(runtime.sessionmaker, namespace, wait=runtime.clock_wait):
        advanced = await _advance_owned(runtime, namespace, body)
    # A failed hook is raised once the owner has let go, not through it: leaving the owner's transaction
    # by an exception rolls it back, and where it shares a connection with the clock's unit of work
    # (the service tests' joined transaction) that would take the committed move back with it.
    if isinstance(advanced, DependencyDown):
        raise advanced
    return advanced


async def _advance_owned(
    runtime: Runtime, namespace: str, body: ClockAdvance
) -> ClockAdvanced | DependencyDown:
    """Move the clock (committed first: peers read it), then run every hook over the skipped interval."""
    async with unit_of_work(runtime.sessionmaker) as session:
        current = await clock.lock(session, namespace)
        try:
            target = rules.advance_target(
                current.now,
                days=body.days,
                hours=body.hours,
                minutes=body.minutes,
                working_days=body.working_days,
                to=body.to,
            )
        except rules.OutOfRange:
            raise Unprocessable(
                f"时钟不能拨到 {rules.LATEST.isoformat()} 或之后",
                code="clock_out_of_range",
                field="to" if body.to is not None else None,
                now=_local(current.now).isoformat(),
            ) from None
        if target < current.now:
            raise Conflict(
                f"时钟只能向前拨：目标 {_shown_time(target)} 早于当前 {_local(current.now).isoformat()}",
                code="clock_backwards",
                field="to",
                now=_local(current.now).isoformat(),
            )
        await clock.set_time(session, namespace, target)

    outcome = await run_clock_hooks(
        runtime, ClockHookRequest(namespace=namespace, from_=current.now, to=target)
    )
    events = [_shown(e) for e in outcome.events]
    if outcome.failures:
        return _hooks_failed(outcome, target, events)
    return ClockAdvanced(namespace=namespace, from_=_local(current.now), now=_local(target), events=events)


def _hooks_failed(outcome: Outcome, now: datetime, events: list[ClockEvent]) -> DependencyDown:
    names = list(outcome.failures)
    return DependencyDown(
        f"{'、'.join(names)} 服务暂时不可用：时钟已拨到 {_local(now).isoformat()}，"
        "这些服务在该区间内到期的事件尚未处理。时钟钩子是幂等的：服务恢复后再推进一次"
        '（例如 {"minutes": 0}）或等待定期扫描即可补上，不会重复处理。',
        code=f"{names[0]}_unavailable" if len(names) == 1 else "services_unavailable",
        services=names,
        clock_moved=True,
        now=_local(now).isoformat(),
        events=[e.model_dump(mode="json") for e in events],
    )
