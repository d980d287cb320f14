"""The scheduler's own clock-hook work, a transaction per batch, and what follows its commits:
terminations carried out by registration, messages relayed.

`perform_due_in_batches` commits each batch of due accounts on its own (R-DER-06): a process killed
mid-way keeps every batch it finished, and the next advance or sweep resumes with the accounts still
due — a batch is whole or absent, and a notice row once inserted is never inserted again (R-DER-03).
Each batch, and each batch of deliveries, runs inside a `turn` (`runtime.Turn`): a sweep lets an
advance in between two turns.

Terminations and messages are retried after every later hook (advance or sweep) until they went: a
termination until registration answers it (R-DER-04), a message until messaging recorded it (keyed,
so never twice).
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from contracts.messaging.relay import BATCH as RELAY_BATCH
from contracts.messaging.relay import deliver_pending
from contracts.registration.client import RegistrationClient
from contracts.registration.schemas import Termination as TerminationRequest
from contracts.registration.schemas import TerminationBatch, TerminationResult
from servicekit import clock
from servicekit.clock import SHANGHAI
from servicekit.errors import SandboxError
from servicekit.lifecycle import ClockEvent, ClockHookRequest, clock_event
from services.scheduler.deregistration import repository, rules, service
from services.scheduler.deregistration.models import PendingMessage, Termination
from services.scheduler.peers import messaging_of, registration_of
from services.scheduler.runtime import Runtime, Turn, already_owned, unit_of_work

log = logging.getLogger("scheduler.deregistration")
BATCH = 500


async def perform_due_in_batches(
    runtime: Runtime, payload: ClockHookRequest, turn: Turn = already_owned
) -> AsyncIterator[list[ClockEvent]]:
    """The own clock hook (`service.perform_due_batch`), each batch its own turn and transaction,
    until no due account is left that another runner does not hold; yields each committed batch's
    events (so a failure later loses none of them)."""
    limit = runtime.batch or service.BATCH
    async with unit_of_work(runtime.sessionmaker) as session:
        to = await service.horizon(session, payload)
    more = True
    while more:
        async with turn(), unit_of_work(runtime.sessionmaker) as session:
            performed, more = await service.perform_due_batch(
                session, namespace=payload.namespace, to=to, limit=limit
            )
        yield performed


async def deliver(runtime: Runtime, turn: Turn = already_owned) -> list[ClockEvent]:
    """Terminations first (their messages are written when registration confirms them), then every
    pending message, a batch per turn; returns the events of the terminations confirmed now."""
    events = await deliver_terminations(runtime.sessionmaker, registration_of(runtime.peers), turn)
    messaging = messaging_of(runtime.peers)
    while True:
        async with turn():
            delivered = await deliver_pending(runtime.sessionmaker, PendingMessage, messaging)
        if delivered < RELAY_BATCH:
            return events


async def deliver_terminations(
    maker: async_sessionmaker[AsyncSession],
    registration: RegistrationClient | None,
    turn: Turn = already_owned,
) -> list[ClockEvent]:
    """Ask registration to terminate pending terminations, a batch per call, until none is left or it
    fails. A confirmed termination gets its event and its messages (R-DER-04) exactly once: its row
    is locked while asked, and the messages' ids are derived from it."""
    events: list[ClockEvent] = []
    if registration is None:
        return events
    while True:
        async with turn(), maker() as session, session.begin():
            rows = await repository.pending_terminations(session, limit=BATCH)
            if not rows:
                return events
            batch = TerminationBatch(
                items=[
                    TerminationRequest(
                        account_id=r.account_id,
                        rule=r.rule,
                        reason=r.reason,
                        anchor_at=r.anchor_at,
                        at=r.at,
                    )
                    for r in rows
                ]
            )
            try:
                answers = {a.account_id: a for a in (await registration.terminate(batch)).items}
            except SandboxError as exc:
                log.warning("terminations not delivered: %s; retrying after the next hook", exc.instance_code)
                await repository.count_attempt(session, rows)
                return events
            events += await _acknowledge(session, rows, answers)
        if len(rows) < BATCH:
            return events


async def _acknowledge(
    session: AsyncSession, rows: Sequence[Termination], answers: dict[str, TerminationResult]
) -> list[ClockEvent]:
    now = clock.real_now()  # bookkeeping (when registration answered), not business time
    effective: list[Termination] = []
    ended: list[tuple[str, datetime, str | None]] = []
    for row in rows:
        answer = answers.get(row.account_id)
        row.attempts += 1
        if answer is None:
            continue  # not answered: stays pending
        outcome = _outcome(row, answer)
        row.outcome, row.acknowledged_at = outcome, now
        if outcome == "terminated":
            effective.append(row)
        if answer.terminated_at is not None:
            ended.append((row.account_id, answer.terminated_at, answer.reason))
    await session.flush()
    await repository.mark_terminated(session, ended)
    contacts = await repository.contacts_of(session, [row.account_id for row in effective])
    messages: list[dict[str, Any]] = []
    for row in effective:
        to = contacts.get(row.account_id)
        subject, body = rules.termination_text(row.reason, row.at)
        data = {
            "reason": row.reason,
            "rule": row.rule,
            "terminated_at": row.at.astimezone(SHANGHAI).isoformat(),
        }
        for channel, address in rules.channels(
            row.account_id, to.email if to else None, to.phone if to else None, to.wechat if to else None
        ):
            messages.append(
                {
                    "id": rules.message_id("dt", row.account_id, row.rule, row.anchor_at, channel),
                    "account_id": row.account_id,
                    "namespace": row.namespace,
                    "channel": channel,
                    "to": address,
                    "kind": rules.TERMINATED_KIND,
                    "subject": subject,
                    "body": body,
                    "data": data,
                    "created_at": row.at,
                    "attempts": 0,
                }
            )
    await repository.add_messages(session, messages)
    return [
        clock_event(row.at, "scheduler", rules.TERMINATED_KIND, row.account_id, data={"reason": row.reason})
        for row in effective
    ]


def _outcome(row: Termination, answer: TerminationResult) -> str:
    """Registration's answer, judged: a termination already done with this very reason and instant was
    ours (an earlier answer got lost); one done otherwise supersedes it."""
    if answer.outcome == "terminated":
        return "terminated"
    if answer.outcome == "already_terminated":
        ours = answer.reason == row.reason and answer.terminated_at == row.at
        return "terminated" if ours else "superseded"
    return answer.outcome
