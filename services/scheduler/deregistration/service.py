"""The scheduler's own time-based transitions, run by its clock hook (advance and sweep alike).

Deregistration (SPEC §6.2, the deregistration rules) plugs in here: notices on day 60/70/80 and 180–210 and
the terminations, each a `Transition` — one set-based, idempotent step that performs what is due at
or before `payload.to` (or each namespace's own clock when `payload.namespace` is None) and returns
the events it produced. Until that issue lands the list is empty and the hook reports nothing.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from sqlalchemy.ext.asyncio import AsyncSession

from servicekit.lifecycle import ClockEvent, ClockHookRequest

Transition = Callable[[AsyncSession, ClockHookRequest], Awaitable[list[ClockEvent]]]

TRANSITIONS: tuple[Transition, ...] = ()


async def clock_hook(session: AsyncSession, payload: ClockHookRequest) -> list[ClockEvent]:
    events: list[ClockEvent] = []
    for transition in TRANSITIONS:
        events.extend(await transition(session, payload))
    return events
