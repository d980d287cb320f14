"""Calling every service: clock hooks (advance and sweep) and resets.

Hooks run one service at a time in `PEER_SERVICES` order, then the scheduler's own, so a later
service sees what an earlier one decided (an approval before a deregistration notice) — registration
relays its lifecycle facts before its hook answers, so the scheduler's schedule has them all. After
the own hook has committed, the terminations it decided go to registration and its messages to
messaging (`deregistration.jobs.deliver`). A failing service does not stop the others: hooks are
idempotent and state-driven, so the failed one catches up on the next advance or sweep.

Every piece of work — a peer's hook, a batch of the scheduler's own transitions (each batch its own
transaction), a batch of deliveries — runs inside a `turn`: nothing for an advance, which owns its
namespace throughout; one ownership of the clock at a time for the sweep (`clock.ownership.sweep_turn`),
so an advance waits for at most one of them (R-DER-06).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import UTC, datetime

from pydantic import ValidationError
from sqlalchemy.exc import SQLAlchemyError

from servicekit.errors import SandboxError
from servicekit.http import call_peer
from servicekit.lifecycle import (
    CLOCK_HOOK_PATH,
    RESET_PATH,
    ClockEvent,
    ClockHookRequest,
    ClockHookResponse,
    ResetResponse,
)
from services.scheduler.deregistration import jobs as deregistration_jobs
from services.scheduler.deregistration import service as deregistration
from services.scheduler.runtime import PEER_SERVICES, SELF, Runtime, Turn, already_owned, unit_of_work

log = logging.getLogger("scheduler.fanout")


# The most rounds one advance is split into (see `run_clock_hooks`).
MAX_ROUNDS = 16


@dataclass
class Outcome:
    reached: list[str] = field(default_factory=list)
    failures: dict[str, str] = field(default_factory=dict)
    events: list[ClockEvent] = field(default_factory=list)

    def absorb(self, other: Outcome) -> None:
        """Another round's outcome: a service failing in any round has failed."""
        self.reached += [name for name in other.reached if name not in self.reached]
        self.failures.update(other.failures)
        self.reached = [name for name in self.reached if name not in self.failures]
        self.events += other.events


def _moment(event: ClockEvent) -> datetime:
    return event.at if event.at.tzinfo is not None else event.at.replace(tzinfo=UTC)


async def _post(runtime: Runtime, name: str, path: str, body: dict[str, object] | None) -> dict[str, object]:
    client = runtime.peers.get(name)
    if client is None:
        raise SandboxError(f"{name} 服务未配置", code=f"{name}_unavailable", status=503)
    response = await call_peer(client, "POST", path, service=name, json=body, timeout=runtime.hook_timeout)
    payload = response.json()
    if not isinstance(payload, dict):
        raise ValueError(f"{name} answered {path} with {type(payload).__name__}")
    return payload


async def run_clock_hooks(
    runtime: Runtime, request: ClockHookRequest, turn: Turn = already_owned
) -> Outcome:
    """Every service's clock hook for one interval; events merged in time order (R-CLK-02).

    An advance of one namespace stops at each instant inside it where a deregistration cycle ends,
    and runs every service's hooks up to there first: a termination is then in place before anything
    later in the interval happens (a review decided after the day-80 termination finds it cancelled;
    a terminated account's certification ends with it instead of lapsing later). At most
    `MAX_ROUNDS` stops; the rest of a very busy interval runs as one round.
    """
    if request.namespace is None or request.from_ is None or request.to is None:
        outcome = await _run_round(runtime, request, turn)
    else:
        outcome, start = Outcome(), request.from_
        for round_number in range(1, MAX_ROUNDS + 1):
            end = request.to
            if round_number < MAX_ROUNDS:
                end = await _next_stop(runtime, request.namespace, start, request.to) or request.to
            part = await _run_round(
                runtime, ClockHookRequest(namespace=request.namespace, from_=start, to=end), turn
            )
            outcome.absorb(part)
            if end >= request.to:
                break
            start = end
    outcome.events.sort(key=_moment)
    return outcome


async def _next_stop(runtime: Runtime, namespace: str, start: datetime, to: datetime) -> datetime | None:
    try:
        async with unit_of_work(runtime.sessionmaker) as session:
            return await deregistration.next_termination(session, namespace, after=start, before=to)
    except (SandboxError, SQLAlchemyError) as exc:  # no stop: the round covers the whole interval
        log.warning("next termination unknown: %s", exc)
        return None


async def _run_round(runtime: Runtime, request: ClockHookRequest, turn: Turn) -> Outcome:
    """Every peer's hook, then the scheduler's own batch by batch and its deliveries (after each
    batch's commit); each piece in a turn of its own."""
    outcome = Outcome()
    body = request.model_dump(mode="json", by_alias=True)
    for name in PEER_SERVICES:
        try:
            async with turn():
                payload = await _post(runtime, name, CLOCK_HOOK_PATH, body)
            answer = ClockHookResponse.model_validate(payload)
        except (SandboxError, ValidationError, ValueError) as exc:
            log.warning("clock hook of %s failed: %s", name, exc)
            outcome.failures[name] = str(exc)
            continue
        outcome.reached.append(name)
        outcome.events.extend(answer.events)
    try:
        async for performed in deregistration_jobs.perform_due_in_batches(runtime, request, turn):
            outcome.events.extend(performed)
        outcome.events.extend(await deregistration_jobs.deliver(runtime, turn))
    except (SandboxError, SQLAlchemyError) as exc:
        log.warning("own clock hook failed: %s", exc)
        outcome.failures[SELF] = str(exc)
    else:
        outcome.reached.append(SELF)
    return outcome


async def run_resets(runtime: Runtime) -> Outcome:
    """Every peer's `/internal/reset`; the scheduler's own tables are emptied by the caller."""
    outcome = Outcome()
    for name in PEER_SERVICES:
        try:
            ResetResponse.model_validate(await _post(runtime, name, RESET_PATH, None))
        except (SandboxError, ValidationError, ValueError) as exc:
            log.warning("reset of %s failed: %s", name, exc)
            outcome.failures[name] = str(exc)
            continue
        outcome.reached.append(name)
    return outcome
