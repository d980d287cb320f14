"""The scheduler's own time-based transitions, run by its clock hook (advance and sweep alike).

Deregistration (SPEC §6.2): the notices of day 60/70/80 (R-DER-01) and 180/190/200/210 (R-DER-02)
and the terminations they end in. Each transition is one set-based, idempotent step that performs
what is due at or before `payload.to` (or at each namespace's own clock when `payload.namespace` is
None) and returns the events it produced. Terminations are decided here and carried out by
registration after commit (`jobs.deliver`), which reports their events.

The schedule runs on lifecycle facts registration relays (`record_facts`): the scheduler never reads
registration's schema.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Row
from sqlalchemy.ext.asyncio import AsyncSession

from contracts.scheduler.client import SCHEDULE_UNKNOWN
from contracts.scheduler.schemas import (
    TERMINATION_REASONS,
    DeregistrationSchedule,
    FactsRecorded,
    LifecycleFact,
    ScheduledNotice,
)
from servicekit import clock
from servicekit.clock import SHANGHAI
from servicekit.errors import NotFound
from servicekit.lifecycle import ClockEvent, ClockHookRequest, clock_event
from services.scheduler.deregistration import repository, rules

Transition = Callable[[AsyncSession, ClockHookRequest], Awaitable[list[ClockEvent]]]

# Accounts per batch: each batch is three statements (lock the due accounts, insert their due
# notices, recompute their next due instant) however many steps each has.
BATCH = 500


async def perform_due_notices(session: AsyncSession, payload: ClockHookRequest) -> list[ClockEvent]:
    """R-DER-01/02/03: every notice due by the horizon, in batches, all in the caller's transaction
    (the `/internal/clock-hook` route). The clock API and the sweep commit batch by batch instead
    (`jobs.perform_due_in_batches`)."""
    to = await horizon(session, payload)
    events: list[ClockEvent] = []
    while True:
        performed, more = await perform_due_batch(session, namespace=payload.namespace, to=to, limit=BATCH)
        events += performed
        if not more:
            return events


async def horizon(session: AsyncSession, payload: ClockHookRequest) -> datetime:
    """How far a hook performs: `payload.to` (else the namespace's clock) for one namespace; for every
    namespace (None) the furthest clock, each account then bounded by its own namespace's clock."""
    if payload.namespace is not None:
        return payload.to or await clock.now(session, payload.namespace)
    return await repository.latest_clock(session)


async def perform_due_batch(
    session: AsyncSession, *, namespace: str | None, to: datetime, limit: int
) -> tuple[list[ClockEvent], bool]:
    """One batch (R-DER-01/02/03): up to `limit` due accounts no other runner holds, locked; every
    notice day of each due by the horizon (earlier days first, each at its own instant), its messages,
    and the termination decided on the last day of a cycle — all in the caller's transaction, which
    the caller may commit at once: a batch is whole or absent. Returns the events and whether a full
    batch was found (more may be due)."""
    due = await repository.lock_due(session, namespace=namespace, to=to, limit=limit)
    if not due:
        return [], False
    ids = [row.account_id for row in due]
    performed = await repository.perform_steps(session, ids, to=to if namespace is not None else None)
    await _write_consequences(session, performed, {row.account_id: row for row in due})
    await repository.refresh_due(session, ids)
    events = [_notice_event(row) for row in sorted(performed, key=lambda r: (r.at, r.account_id))]
    return events, len(due) >= limit


def _notice_data(row: Row[Any]) -> dict[str, Any]:
    return {
        "rule": row.rule,
        "day": row.day,
        "terminates_at": row.terminates_at.astimezone(SHANGHAI).isoformat(),
    }


def _notice_event(row: Row[Any]) -> ClockEvent:
    """Each notice instant is a clock event with the outbox entry's data (R-DER-03)."""
    return clock_event(row.at, "scheduler", rules.NOTICE_KIND, row.account_id, data=_notice_data(row))


async def _write_consequences(
    session: AsyncSession, performed: Sequence[Row[Any]], contacts: dict[str, Row[Any]]
) -> None:
    """The messages of each notice this call performed, one per channel, and the terminations."""
    messages: list[dict[str, Any]] = []
    terminations: list[dict[str, Any]] = []
    for row in performed:
        to = contacts[row.account_id]
        subject, body = rules.notice_text(row.rule, row.day, row.anchor_at, row.terminates_at)
        for channel, address in rules.channels(row.account_id, to.email, to.phone, to.wechat):
            messages.append(
                {
                    "id": rules.message_id("dn", row.account_id, row.rule, row.anchor_at, row.day, channel),
                    "account_id": row.account_id,
                    "namespace": row.namespace,
                    "channel": channel,
                    "to": address,
                    "kind": rules.NOTICE_KIND,
                    "subject": subject,
                    "body": body,
                    "data": _notice_data(row),
                    "created_at": row.at,
                    "attempts": 0,
                }
            )
        if row.final:
            terminations.append(
                {
                    "account_id": row.account_id,
                    "rule": row.rule,
                    "anchor_at": row.anchor_at,
                    "namespace": row.namespace,
                    "reason": TERMINATION_REASONS[row.rule],
                    "at": row.at,
                    "attempts": 0,
                }
            )
    await repository.add_messages(session, messages)
    await repository.add_terminations(session, terminations)


TRANSITIONS: tuple[Transition, ...] = (perform_due_notices,)


async def clock_hook(session: AsyncSession, payload: ClockHookRequest) -> list[ClockEvent]:
    events: list[ClockEvent] = []
    for transition in TRANSITIONS:
        events.extend(await transition(session, payload))
    return events


async def next_termination(
    session: AsyncSession, namespace: str, *, after: datetime, before: datetime
) -> datetime | None:
    """Where an advance of `namespace` over (after, before) must stop for a termination (R-CLK-02)."""
    return await repository.next_termination(session, namespace=namespace, after=after, before=before)


async def record_facts(session: AsyncSession, facts: Sequence[LifecycleFact]) -> FactsRecorded:
    """Apply lifecycle facts once each (R-DER-01/02): a fact id seen before is skipped, so a retried
    delivery changes nothing; facts arriving late or out of order fold into the same state."""
    unique = list({fact.fact_id: fact for fact in facts}.values())
    fresh_ids = await repository.record_received(session, unique)
    fresh = [fact for fact in unique if fact.fact_id in fresh_ids]
    folded = rules.fold_facts(fresh)
    await repository.merge_accounts(session, [account.row() for account in folded])
    await repository.refresh_due(session, [account.account_id for account in folded])
    return FactsRecorded(accepted=len(fresh), duplicates=len(facts) - len(fresh))


async def schedule_of(session: AsyncSession, account_id: str) -> DeregistrationSchedule:
    """R-DER-07: the notices sent to an account and its next due instant; 404 before any fact."""
    found = await repository.account(session, account_id)
    if found is None:
        raise NotFound("调度器尚未收到该帐号的生命周期事实", code=SCHEDULE_UNKNOWN)
    notices = await repository.notices_of(session, account_id)
    return DeregistrationSchedule(
        account_id=account_id,
        notices=[ScheduledNotice(rule=n.rule, anchor_at=n.anchor_at, day=n.day, at=n.at) for n in notices],
        next_due_at=found.next_due_at,
        terminated_at=found.terminated_at,
        reason=found.termination_reason,
    )
