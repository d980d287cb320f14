"""Every SQL statement of deregistration: facts in, due steps out, exactly once.

A *step* is one notice day of one cycle of one account (`STEPS`, derived from the account's row and
the notices already performed). Performing steps inserts their `deregistration_notices` rows with
`ON CONFLICT DO NOTHING … RETURNING`: whoever inserts a row performs that notice — writes its
messages, decides its termination, reports its event — and nobody else ever can, however many
sweeps, advances, retries or scheduler processes race for it (R-DER-03).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Row, and_, case, func, or_, select, text, tuple_
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.elements import ColumnElement

from contracts.scheduler.schemas import NOTICE_DAYS, LifecycleFact
from services.scheduler.deregistration.models import (
    DeregistrationAccount,
    DeregistrationNotice,
    PendingMessage,
    ReceivedFact,
    Termination,
)
from services.scheduler.deregistration.rules import CONTACTS, INACTIVITY_RULE, REGISTRATION_RULE

# Every step of the accounts in :ids not yet performed, with its instant. R-DER-01 counts activated
# accounts from their sign-up until approval: a step before the approval still counts (it was due
# then) unless the approval came after the cycle's end (a history no schedule ran: nothing of it is
# replayed). R-DER-02 runs from the later of approval and last login. Nothing after termination.
STEPS = """
SELECT a.account_id, a.namespace, s.rule, s.anchor_at, s.day,
       s.anchor_at + s.day * interval '24 hours' AS at,
       s.anchor_at + s.last_day * interval '24 hours' AS terminates_at,
       s.day = s.last_day AS final
FROM scheduler.deregistration_accounts a
CROSS JOIN LATERAL (
    SELECT CAST(:r1 AS text) AS rule, a.signed_up_at AS anchor_at, d.day, CAST(:r1_last AS int) AS last_day
    FROM unnest(CAST(:r1_days AS int[])) AS d(day)
    WHERE a.activated_at IS NOT NULL AND a.signed_up_at IS NOT NULL
      AND (a.approved_at IS NULL
           OR (a.approved_at < a.signed_up_at + CAST(:r1_last AS int) * interval '24 hours'
               AND a.signed_up_at + d.day * interval '24 hours' < a.approved_at))
    UNION ALL
    SELECT CAST(:r2 AS text), greatest(a.approved_at, a.last_login_at), d.day, CAST(:r2_last AS int)
    FROM unnest(CAST(:r2_days AS int[])) AS d(day)
    WHERE a.approved_at IS NOT NULL
) AS s
WHERE a.account_id = ANY(CAST(:ids AS text[]))
  AND a.terminated_at IS NULL
  AND NOT EXISTS (
      SELECT 1 FROM scheduler.deregistration_notices n
      WHERE n.account_id = a.account_id AND n.rule = s.rule AND n.anchor_at = s.anchor_at AND n.day = s.day)
"""
RULE_PARAMS = {
    "r1": REGISTRATION_RULE,
    "r1_days": list(NOTICE_DAYS[REGISTRATION_RULE]),
    "r1_last": NOTICE_DAYS[REGISTRATION_RULE][-1],
    "r2": INACTIVITY_RULE,
    "r2_days": list(NOTICE_DAYS[INACTIVITY_RULE]),
    "r2_last": NOTICE_DAYS[INACTIVITY_RULE][-1],
}

REFRESH_DUE = f"""
WITH due AS (
    SELECT st.account_id, min(st.at) AS at, min(st.at) FILTER (WHERE st.final) AS ends_at
    FROM ({STEPS}) AS st GROUP BY st.account_id)
UPDATE scheduler.deregistration_accounts t SET next_due_at = due.at, terminates_at = due.ends_at
FROM unnest(CAST(:ids AS text[])) AS i(account_id) LEFT JOIN due ON due.account_id = i.account_id
WHERE t.account_id = i.account_id
"""

_HORIZON_AT = "CAST(:to AS timestamptz)"
_HORIZON_OWN_CLOCK = "sandbox.clock_now({namespace})"

PERFORM = """
INSERT INTO scheduler.deregistration_notices
    (account_id, namespace, rule, anchor_at, day, at, terminates_at, final)
SELECT st.account_id, st.namespace, st.rule, st.anchor_at, st.day, st.at, st.terminates_at, st.final
FROM ({steps}) AS st
WHERE st.at <= {horizon}
ON CONFLICT DO NOTHING
RETURNING account_id, namespace, rule, anchor_at, day, at, terminates_at, final
"""

LOCK_DUE = """
SELECT account_id, namespace, email, phone, wechat FROM scheduler.deregistration_accounts
WHERE next_due_at <= {bound} AND {condition}
ORDER BY next_due_at, account_id
LIMIT :limit
FOR UPDATE SKIP LOCKED
"""


# --- facts ---


async def record_received(session: AsyncSession, facts: Sequence[LifecycleFact]) -> set[str]:
    """Remember each fact id; returns the ids not seen before (only those are applied)."""
    if not facts:
        return set()
    stmt = (
        insert(ReceivedFact)
        .values(
            [{"fact_id": f.fact_id, "account_id": f.account_id, "kind": f.kind, "at": f.at} for f in facts]
        )
        .on_conflict_do_nothing(index_elements=[ReceivedFact.fact_id])
        .returning(ReceivedFact.fact_id)
    )
    return set((await session.scalars(stmt)).all())


def _newer(name: str, table: Any, excluded: Any) -> ColumnElement[bool]:
    """The incoming contact `name` is at least as recent as the stored one (by fact time, then seq)."""
    at, seq = getattr(excluded, f"{name}_at"), getattr(excluded, f"{name}_seq")
    stored_at, stored_seq = getattr(table, f"{name}_at"), getattr(table, f"{name}_seq")
    return and_(at.is_not(None), or_(stored_at.is_(None), tuple_(at, seq) >= tuple_(stored_at, stored_seq)))


async def merge_accounts(session: AsyncSession, rows: Sequence[dict[str, Any]]) -> None:
    """Upsert folded facts: first sign-up, activation, approval and termination, latest login and
    contacts. Rows come in account order, so concurrent merges lock in one order."""
    if not rows:
        return
    t = DeregistrationAccount
    stmt = insert(t).values(list(rows))
    ex = stmt.excluded
    changes: dict[str, Any] = {
        "signed_up_at": func.least(t.signed_up_at, ex.signed_up_at),
        "activated_at": func.least(t.activated_at, ex.activated_at),
        "approved_at": func.least(t.approved_at, ex.approved_at),
        "last_login_at": func.greatest(t.last_login_at, ex.last_login_at),
        "terminated_at": func.least(t.terminated_at, ex.terminated_at),
        "termination_reason": case(
            (
                and_(
                    ex.terminated_at.is_not(None),
                    or_(t.terminated_at.is_(None), ex.terminated_at < t.terminated_at),
                ),
                ex.termination_reason,
            ),
            else_=t.termination_reason,
        ),
    }
    for name in CONTACTS:
        newer = _newer(name, t, ex)
        for column in (name, f"{name}_at", f"{name}_seq"):
            changes[column] = case((newer, getattr(ex, column)), else_=getattr(t, column))
    await session.execute(stmt.on_conflict_do_update(index_elements=[t.account_id], set_=changes))


async def refresh_due(session: AsyncSession, account_ids: Sequence[str]) -> None:
    """Recompute `next_due_at` of these accounts from their steps not yet performed."""
    if account_ids:
        await session.execute(text(REFRESH_DUE), {**RULE_PARAMS, "ids": list(account_ids)})


# --- performing due steps ---


async def latest_clock(session: AsyncSession) -> datetime:
    """The furthest any namespace's clock reads (real time for namespaces never moved): no step past
    it can be due anywhere, so the sweep's index scan stops there."""
    moment: datetime = await session.scalar(
        text(
            "SELECT greatest(clock_timestamp(), "
            "(SELECT max(sandbox.clock_now(namespace)) FROM sandbox.namespaces))"
        )
    )
    return moment


async def next_termination(
    session: AsyncSession, *, namespace: str, after: datetime, before: datetime
) -> datetime | None:
    """The earliest instant strictly inside (after, before) at which a cycle of `namespace` ends."""
    t = DeregistrationAccount
    found: datetime | None = await session.scalar(
        select(func.min(t.terminates_at)).where(
            t.namespace == namespace, t.terminates_at > after, t.terminates_at < before
        )
    )
    return found


async def lock_due(
    session: AsyncSession, *, namespace: str | None, to: datetime, limit: int
) -> Sequence[Row[Any]]:
    """Up to `limit` accounts with a step due (at `to` in `namespace`, or by each account's own
    namespace clock when `namespace` is None and `to` is the latest clock), with their contacts;
    locked, skipping those another runner holds (it performs them)."""
    if namespace is not None:
        sql = LOCK_DUE.format(bound=_HORIZON_AT, condition="namespace = :namespace")
    else:
        sql = LOCK_DUE.format(
            bound=_HORIZON_AT, condition=f"next_due_at <= {_HORIZON_OWN_CLOCK.format(namespace='namespace')}"
        )
    result = await session.execute(text(sql), {"to": to, "namespace": namespace, "limit": limit})
    return result.all()


async def perform_steps(
    session: AsyncSession, account_ids: Sequence[str], *, to: datetime | None
) -> Sequence[Row[Any]]:
    """Insert the notice rows of every step of these accounts due at `to` (None: at each account's
    own namespace clock); returns only the rows this call inserted — the steps it performs."""
    horizon = _HORIZON_AT if to is not None else _HORIZON_OWN_CLOCK.format(namespace="st.namespace")
    sql = PERFORM.format(steps=STEPS, horizon=horizon)
    result = await session.execute(text(sql), {**RULE_PARAMS, "ids": list(account_ids), "to": to})
    return result.all()


async def add_messages(session: AsyncSession, messages: Sequence[dict[str, Any]]) -> None:
    """Write messages for the relay; an id already there (the same message) is left alone."""
    if messages:
        await session.execute(
            insert(PendingMessage).on_conflict_do_nothing(index_elements=[PendingMessage.id]), list(messages)
        )


async def add_terminations(session: AsyncSession, terminations: Sequence[dict[str, Any]]) -> None:
    if terminations:
        await session.execute(insert(Termination).on_conflict_do_nothing(), list(terminations))


# --- terminations on their way to registration ---


async def pending_terminations(session: AsyncSession, *, limit: int) -> Sequence[Termination]:
    """Terminations registration has not answered, oldest first, locked (skipping another deliverer's)."""
    rows = await session.scalars(
        select(Termination)
        .where(Termination.acknowledged_at.is_(None))
        .order_by(Termination.at, Termination.account_id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    return list(rows)


async def count_attempt(session: AsyncSession, terminations: Sequence[Termination]) -> None:
    for row in terminations:
        row.attempts += 1
    await session.flush()


async def contacts_of(session: AsyncSession, account_ids: Sequence[str]) -> dict[str, DeregistrationAccount]:
    rows = await session.scalars(
        select(DeregistrationAccount).where(DeregistrationAccount.account_id.in_(account_ids))
    )
    return {row.account_id: row for row in rows}


async def mark_terminated(session: AsyncSession, ended: Sequence[tuple[str, datetime, str | None]]) -> None:
    """Accounts registration confirmed terminated: no step is due for them any more."""
    if not ended:
        return
    ids, moments, reasons = (list(column) for column in zip(*ended, strict=True))
    await session.execute(
        text(
            """UPDATE scheduler.deregistration_accounts t
               SET terminated_at = least(t.terminated_at, e.at),
                   termination_reason = coalesce(t.termination_reason, e.reason),
                   next_due_at = NULL, terminates_at = NULL
               FROM unnest(CAST(:ids AS text[]), CAST(:ats AS timestamptz[]), CAST(:reasons AS text[]))
                    AS e(account_id, at, reason)
               WHERE t.account_id = e.account_id"""
        ),
        {"ids": ids, "ats": moments, "reasons": reasons},
    )


# --- the schedule of one account (R-DER-07) ---


async def account(session: AsyncSession, account_id: str) -> DeregistrationAccount | None:
    return await session.get(DeregistrationAccount, account_id)


async def notices_of(session: AsyncSession, account_id: str) -> Sequence[DeregistrationNotice]:
    rows = await session.scalars(
        select(DeregistrationNotice)
        .where(DeregistrationNotice.account_id == account_id)
        .order_by(DeregistrationNotice.at, DeregistrationNotice.day)
    )
    return list(rows)
