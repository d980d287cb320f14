"""Async engine, sessions and the unit of work committed at the edge."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from typing import Annotated, Any

from fastapi import Depends, Request
from sqlalchemy import MetaData, event, exc
from sqlalchemy.engine import Dialect
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine
from sqlalchemy.pool import ConnectionPoolEntry

NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def make_metadata(schema: str) -> MetaData:
    """One MetaData per service schema, with stable constraint names for alembic."""
    return MetaData(schema=schema, naming_convention=NAMING_CONVENTION)


# A pooled connection unused for longer than this is pinged before it is handed out (see below).
IDLE_PING_SECONDS = 5.0
_RETURNED_AT = "mpsandbox_returned_at"


def make_engine(
    url: str, *, pool_size: int = 20, idle_ping_seconds: float = IDLE_PING_SECONDS
) -> AsyncEngine:
    """An engine whose pool keeps up to `pool_size` connections and opens no others.

    No overflow: overflow connections are closed as soon as they are returned, so a steady load just
    above the pool size opened and closed a PostgreSQL backend per request (pool churn); a full pool
    makes a request wait for the next free connection instead, with the same ceiling as before.

    No `pool_pre_ping`: with asyncpg it is BEGIN, `;`, ROLLBACK — three round trips on every checkout,
    more than the one-row read it guards. Only a connection idle for `idle_ping_seconds` (the one a
    database restart may have killed while the service stood still) is pinged; a dead one is replaced
    and the pool invalidated, as pre-ping does. One that dies under load fails its request with the
    database error (503 / errcode -1) and invalidates the pool, so the next request reconnects.
    """
    engine = create_async_engine(
        url,
        pool_size=pool_size,
        max_overflow=0,
        connect_args={"server_settings": {"timezone": "UTC"}},
    )
    _ping_when_idle(engine, idle_ping_seconds)
    return engine


def _ping_when_idle(engine: AsyncEngine, idle_seconds: float) -> None:
    dialect: Dialect = engine.sync_engine.dialect

    @event.listens_for(engine.sync_engine, "checkin")
    def returned(dbapi_connection: Any, record: ConnectionPoolEntry) -> None:
        record.info[_RETURNED_AT] = time.monotonic()

    @event.listens_for(engine.sync_engine, "checkout")
    def handed_out(dbapi_connection: Any, record: ConnectionPoolEntry, proxy: Any) -> None:
        returned_at = record.info.get(_RETURNED_AT)
        if returned_at is None or time.monotonic() - returned_at < idle_seconds:
            return  # fresh, or in use moments ago
        try:
            dialect.do_ping(dbapi_connection)
        except dialect.loaded_dbapi.Error as error:
            if dialect.is_disconnect(error, dbapi_connection, None):
                raise exc.InvalidatePoolError() from error  # the pool reconnects, as pre-ping does
            raise


def make_sessionmaker(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False)


async def get_session(request: Request) -> AsyncIterator[AsyncSession]:
    """The request's unit of work: committed after the endpoint returns, rolled back on error.

    Services only flush(); this dependency is the single commit point for HTTP requests.
    """
    maker: async_sessionmaker[AsyncSession] = request.app.state.sessionmaker
    async with maker() as session:
        try:
            yield session
        except BaseException:
            await session.rollback()
            raise
        else:
            await session.commit()


SessionDep = Annotated[AsyncSession, Depends(get_session, scope="function")]
