"""The sandbox clock: one per namespace, real time plus an offset, optionally frozen.

The table lives in the `sandbox` schema owned by servicekit (migrated by the `sandbox` alembic
section). Every service reads it; only the scheduler's clock API writes it (through the functions
below). Set-based queries use the SQL twin `sandbox.clock_now(namespace)` (migration sandbox_0002).

A clock runs up to `CEILING` (3000-01-01, exclusive) and freezes there (SPEC R-CLK-01): once real
time plus the offset reaches it, every reader — `state`, `now` and the SQL twin alike — sees
`LAST_INSTANT`, frozen, so no service ever reads a moment the clock API would refuse to advance to.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import Column, DateTime, Float, MetaData, String, Table, func, select, text
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.elements import ColumnElement

from servicekit.db import NAMING_CONVENTION

SHANGHAI = ZoneInfo("Asia/Shanghai")
DEFAULT_NAMESPACE = "default"
SCHEMA = "sandbox"
# A clock never reaches this (datetime ends at year 9999, and a sandbox has no use for the years
# before it); a running clock stops at the last representable instant below it.
CEILING = datetime(3000, 1, 1, tzinfo=SHANGHAI)
LAST_INSTANT = CEILING - timedelta(microseconds=1)

metadata = MetaData(schema=SCHEMA, naming_convention=NAMING_CONVENTION)

namespaces = Table(
    "namespaces",
    metadata,
    Column("namespace", String(64), primary_key=True),
    Column("offset_seconds", Float, nullable=False, server_default=text("0")),
    Column("frozen_at", DateTime(timezone=True), nullable=True),
    Column("review_policy", String(32), nullable=True),
    Column("last_swept_at", DateTime(timezone=True), nullable=True),
)


def real_now() -> datetime:
    """Wall-clock time. The only place allowed to read it; business code uses `now()`."""
    return datetime.now(UTC)


def sql_now(namespace: ColumnElement[str] | str) -> ColumnElement[datetime]:
    """`sandbox.clock_now(namespace)` for set-based queries (namespace may be a column)."""
    return func.sandbox.clock_now(namespace, type_=DateTime(timezone=True))


class ClockState:
    __slots__ = ("frozen", "namespace", "now", "offset_seconds")

    def __init__(self, namespace: str, now: datetime, frozen: bool, offset_seconds: float) -> None:
        self.namespace = namespace
        self.now = now
        self.frozen = frozen
        self.offset_seconds = offset_seconds

    def as_dict(self) -> dict[str, object]:
        return {
            "namespace": self.namespace,
            "now": self.now.astimezone(SHANGHAI).isoformat(),
            "frozen": self.frozen,
            "offset_seconds": self.offset_seconds,
        }


async def state(session: AsyncSession, namespace: str) -> ClockState:
    row = (
        await session.execute(
            select(namespaces.c.offset_seconds, namespaces.c.frozen_at).where(
                namespaces.c.namespace == namespace
            )
        )
    ).first()
    wall = real_now()
    if row is None:
        return ClockState(namespace, wall, False, 0.0)
    offset, frozen_at = row
    if frozen_at is None:
        running = _running(wall, offset)
        if running is not None:
            return ClockState(namespace, running, False, offset)
        frozen_at = LAST_INSTANT  # the clock ran into its ceiling and froze there
    frozen_at = min(frozen_at, LAST_INSTANT)
    return ClockState(namespace, frozen_at, True, (frozen_at - wall).total_seconds())


def _running(wall: datetime, offset: float) -> datetime | None:
    """Real time plus the offset, or None once that is at or past the ceiling."""
    try:
        moment = wall + timedelta(seconds=offset)
    except OverflowError:  # an offset past datetime's range is past the ceiling too
        return None
    return moment if moment < CEILING else None


async def now(session: AsyncSession, namespace: str = DEFAULT_NAMESPACE) -> datetime:
    """Business time of a namespace (UTC-aware)."""
    return (await state(session, namespace)).now


async def _lock(session: AsyncSession, namespace: str) -> None:
    await session.execute(
        insert(namespaces).values(namespace=namespace).on_conflict_do_nothing(index_elements=["namespace"])
    )
    await session.execute(
        select(namespaces.c.namespace).where(namespaces.c.namespace == namespace).with_for_update()
    )


async def lock(session: AsyncSession, namespace: str) -> ClockState:
    """Lock the namespace's clock row until the transaction ends and return its state.

    A read-modify-write of the clock (an advance computed from `now`) starts here so that concurrent
    writers on one namespace serialise instead of losing an update.
    """
    await _lock(session, namespace)
    return await state(session, namespace)


async def set_time(session: AsyncSession, namespace: str, target: datetime) -> ClockState:
    """Move a namespace's clock to `target` (caller checks it is forward). Keeps frozen state."""
    await _lock(session, namespace)
    current = await state(session, namespace)
    if current.frozen:
        await session.execute(
            namespaces.update().where(namespaces.c.namespace == namespace).values(frozen_at=target)
        )
    else:
        offset = (target - real_now()).total_seconds()
        await session.execute(
            namespaces.update().where(namespaces.c.namespace == namespace).values(offset_seconds=offset)
        )
    return await state(session, namespace)


async def freeze(session: AsyncSession, namespace: str) -> ClockState:
    await _lock(session, namespace)
    current = await state(session, namespace)
    if not current.frozen:
        await session.execute(
            namespaces.update().where(namespaces.c.namespace == namespace).values(frozen_at=current.now)
        )
    return await state(session, namespace)


async def unfreeze(session: AsyncSession, namespace: str) -> ClockState:
    await _lock(session, namespace)
    current = await state(session, namespace)
    if current.frozen:
        offset = (current.now - real_now()).total_seconds()
        await session.execute(
            namespaces.update()
            .where(namespaces.c.namespace == namespace)
            .values(frozen_at=None, offset_seconds=offset)
        )
    return await state(session, namespace)


async def review_policy(session: AsyncSession, namespace: str, default: str) -> str:
    """The namespace's review policy (SPEC §3.4), falling back to MPSANDBOX_REVIEW_POLICY."""
    value = await session.scalar(
        select(namespaces.c.review_policy).where(namespaces.c.namespace == namespace)
    )
    return value or default


async def set_review_policy(session: AsyncSession, namespace: str, policy: str) -> None:
    await session.execute(
        insert(namespaces)
        .values(namespace=namespace, review_policy=policy)
        .on_conflict_do_update(index_elements=["namespace"], set_={"review_policy": policy})
    )


async def forget_all(session: AsyncSession) -> None:
    """Delete every namespace row: clocks back to real time, settings back to their defaults."""
    await session.execute(namespaces.delete())


def shanghai_date(moment: datetime) -> datetime:
    """Midnight (00:00 Asia/Shanghai) of the calendar day holding `moment`, as an aware datetime."""
    local = moment.astimezone(SHANGHAI)
    return local.replace(hour=0, minute=0, second=0, microsecond=0)
