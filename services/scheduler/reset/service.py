"""Resetting the sandbox (SPEC §7): every peer's `/internal/reset`, then the own tables and clocks."""

from __future__ import annotations

from typing import Any

from contracts.scheduler.schemas import ResetDone
from servicekit import clock
from servicekit.errors import DependencyDown
from servicekit.repository import truncate_tables
from services.scheduler.fanout import run_resets
from services.scheduler.models import metadata
from services.scheduler.runtime import PEER_SERVICES, SELF, Runtime, unit_of_work


async def reset_sandbox(runtime: Runtime) -> ResetDone:
    """Empty every service, then forget every namespace (clocks real time, settings default).

    Clocks are only forgotten once every service is empty, so a failed reset can simply be repeated.
    """
    outcome = await run_resets(runtime)
    if outcome.failures:
        names = list(outcome.failures)
        details: dict[str, Any] = {"services": names, "reset": outcome.reached}
        raise DependencyDown(
            f"{'、'.join(names)} 服务暂时不可用，重置未完成（时钟未改动）；服务恢复后再次重置即可。",
            code=f"{names[0]}_unavailable" if len(names) == 1 else "services_unavailable",
            **details,
        )
    async with unit_of_work(runtime.sessionmaker) as session:
        await truncate_tables(session, metadata.sorted_tables)
        await clock.forget_all(session)
    return ResetDone(reset=[*PEER_SERVICES, SELF], clocks="real_time")
