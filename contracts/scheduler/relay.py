"""The producer's side of the lifecycle facts the scheduler's deregistration schedule runs on.

Registration owns sign-ups, activations, approvals, logins, terminations and the contact details of
an account; the scheduler owns the deregistration schedule; neither reads the other's schema. A fact
is a row of the producer's `lifecycle_facts` table (a model built on `LifecycleFactColumns`),
inserted in the same transaction as the change it records, so it exists exactly when the change
does. After the request has committed (`DeliverFactsAfterResponse`, which holds the response until
then) undelivered facts go to the scheduler in batches, oldest first; facts left undelivered (the
scheduler down) go after any later mutating request — among them every clock hook, which the
scheduler calls before running its own transitions, so a login made while it was down is in before
its schedule moves (R-DER-02). The scheduler consumes each fact id once.

The relay's SQL lives here, beside the model it reads, as in `contracts.messaging.relay`.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime
from typing import Any
from uuid import uuid4

from sqlalchemy import BigInteger, DateTime, Identity, Index, Integer, String, func, select, text, update
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm import Mapped, declared_attr, mapped_column
from starlette.types import ASGIApp, Scope

from contracts.scheduler.client import SchedulerClient
from contracts.scheduler.schemas import LifecycleFact
from servicekit.after_commit import AfterCommit
from servicekit.errors import SandboxError
from servicekit.lifecycle import CLOCK_HOOK_PATH

log = logging.getLogger("lifecycle.relay")
BATCH = 500
_TS = DateTime(timezone=True)


class LifecycleFactColumns:
    """The columns of a producer's `lifecycle_facts` table; mix into the service's declarative base."""

    __tablename__ = "lifecycle_facts"

    @declared_attr.directive
    @classmethod
    def __table_args__(cls) -> tuple[Any, ...]:
        return (
            Index("ix_lifecycle_facts_undelivered", "seq", postgresql_where=text("delivered_at IS NULL")),
        )

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    seq: Mapped[int] = mapped_column(BigInteger, Identity(), unique=True)
    account_id: Mapped[str] = mapped_column(String(40))
    namespace: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(20))
    at: Mapped[datetime] = mapped_column(_TS)
    data: Mapped[dict[str, Any]] = mapped_column(JSONB, server_default=text("'{}'::jsonb"))
    attempts: Mapped[int] = mapped_column(Integer, server_default=text("0"))
    delivered_at: Mapped[datetime | None] = mapped_column(_TS)


def new_fact_id() -> str:
    return f"fct_{uuid4().hex[:24]}"


def _wire(row: LifecycleFactColumns) -> LifecycleFact:
    return LifecycleFact(
        fact_id=row.id,
        seq=row.seq,
        account_id=row.account_id,
        namespace=row.namespace,
        kind=row.kind,
        at=row.at,
        data=row.data,
    )


async def deliver_facts(
    maker: async_sessionmaker[AsyncSession],
    model: type[LifecycleFactColumns],
    scheduler: SchedulerClient | None,
    *,
    wait: bool = False,
) -> int:
    """Deliver undelivered facts in batches, oldest first, until none is left; returns how many went.

    Rows are locked while being sent, so two deliverers never send one batch at the same time.
    `wait=False` skips rows another deliverer holds (a request need not wait for another's relay);
    `wait=True` queues behind it, so when this returns every fact committed before the call has
    reached the scheduler or is still pending because the scheduler failed — the clock hook's case.
    """
    if scheduler is None:
        return 0
    delivered = 0
    while True:
        async with maker() as session:
            rows = (
                await session.scalars(
                    select(model)
                    .where(model.delivered_at.is_(None))
                    .order_by(model.seq)
                    .limit(BATCH)
                    .with_for_update(skip_locked=not wait)
                )
            ).all()
            if not rows:
                return delivered
            ids = [row.id for row in rows]
            try:
                await scheduler.record_facts([_wire(row) for row in rows])
            except SandboxError as exc:
                log.warning("lifecycle facts not delivered: code=%s", exc.instance_code)
                await session.execute(
                    update(model).where(model.id.in_(ids)).values(attempts=model.attempts + 1)
                )
                await session.commit()
                return delivered
            await session.execute(
                update(model)
                .where(model.id.in_(ids))
                .values(attempts=model.attempts + 1, delivered_at=func.now())
            )
            await session.commit()
        delivered += len(ids)
        if len(ids) < BATCH:
            return delivered


class DeliverFactsAfterResponse(AfterCommit):
    """Relay lifecycle facts once a mutating request has committed, before its answer goes out.

    On the clock hook the relay waits for facts another request is relaying: the scheduler runs its
    own transitions right after this answer, and must find every committed fact in by then.
    """

    def __init__(
        self,
        app: ASGIApp,
        *,
        owner: Any,
        model: type[LifecycleFactColumns],
        scheduler: Callable[[Any], SchedulerClient | None],
    ) -> None:
        super().__init__(app)
        self.owner = owner
        self.model = model
        self.scheduler = scheduler

    async def after_commit(self, scope: Scope) -> None:
        maker = getattr(self.owner.state, "sessionmaker", None)
        if maker is None:
            return
        wait = scope.get("path") == CLOCK_HOOK_PATH
        await deliver_facts(maker, self.model, self.scheduler(self.owner.state), wait=wait)
