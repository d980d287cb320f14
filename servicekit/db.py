"""Async engine, sessions and the unit of work committed at the edge."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from typing import Annotated, Any, TypeVar

import asyncpg
from fastapi import Depends, Request
from sqlalchemy import MetaData, event, exc
from sqlalchemy.dialects.postgresql.asyncpg import PGDialect_asyncpg
from sqlalchemy.engine import Dialect, make_url
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine
from sqlalchemy.pool import ConnectionPoolEntry

from servicekit.errors import DatabaseUnavailable

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


# What asyncpg raises when there is no server to talk to: the socket file or port is gone
# (FileNotFoundError, ConnectionRefusedError — OSErrors), the server is starting or stopping
# (CannotConnectNowError), or it dropped the connection while we connected.
UNREACHABLE: tuple[type[BaseException], ...] = (
    OSError,
    asyncio.TimeoutError,
    asyncpg.exceptions.CannotConnectNowError,
    asyncpg.exceptions.PostgresConnectionError,
    asyncpg.exceptions.ConnectionDoesNotExistError,
)
# Waits before retrying a connect the server refused as full (53300 "too many connections"): about
# 5 s in all, then 503 `database_unavailable` — never a 500.
CROWDED_RETRY_WAITS = (0.05, 0.1, 0.2, 0.4, 0.8, 1.5, 2.0)
# A pooled connection unused for longer than this is pinged before it is handed out (see below).
IDLE_PING_SECONDS = 5.0
_RETURNED_AT = "mpsandbox_returned_at"


def connect_args(url: str) -> tuple[list[Any], dict[str, Any]]:
    """asyncpg's connect arguments for a SQLAlchemy URL (unix-socket `?host=` included), in UTC."""
    cargs, cparams = PGDialect_asyncpg().create_connect_args(make_url(url))  # type: ignore[no-untyped-call]
    cparams["server_settings"] = {"timezone": "UTC"}
    return list(cargs), dict(cparams)


def make_engine(
    url: str, *, pool_size: int = 20, idle_ping_seconds: float = IDLE_PING_SECONDS
) -> AsyncEngine:
    """An engine whose pool keeps up to `pool_size` connections and opens no others, and whose
    failure to connect is `DatabaseUnavailable` (503), never a bare OSError.

    SQLAlchemy wraps errors of an open connection (DBAPIError, answered 503 by the error handler) but
    lets a failed connect through as whatever asyncpg raised, so connecting goes through our creator.

    No overflow: overflow connections are closed as soon as they are returned, so a steady load just
    above the pool size opened and closed a PostgreSQL backend per request (pool churn); a full pool
    makes a request wait for the next free connection instead, with the same ceiling as before.

    No `pool_pre_ping`: with asyncpg it is BEGIN, `;`, ROLLBACK — three round trips on every checkout,
    more than the one-row read it guards. Only a connection idle for `idle_ping_seconds` (the one a
    database restart may have killed while the service stood still) is pinged; a dead one is replaced
    and the pool invalidated, as pre-ping does; so is one the server closed while it sat in the pool,
    which asyncpg notices without a round trip. One that dies under load fails its request with the
    database error (503 / errcode -1) and invalidates the pool, so the next request reconnects.
    """
    cargs, cparams = connect_args(url)

    async def connect() -> asyncpg.Connection:
        for wait in (*CROWDED_RETRY_WAITS, None):
            try:
                return await asyncpg.connect(*cargs, **cparams)
            except UNREACHABLE as error:
                raise DatabaseUnavailable() from error
            except asyncpg.exceptions.TooManyConnectionsError as error:
                # The server (or the database's CONNECTION LIMIT) is full for a moment — another
                # process's burst, a psql session: wait for a slot rather than fail the request.
                if wait is None:
                    raise DatabaseUnavailable() from error
                await asyncio.sleep(wait)
        raise AssertionError("unreachable")

    engine = create_async_engine(url, pool_size=pool_size, max_overflow=0, async_creator=connect)
    _ping_when_idle(engine, idle_ping_seconds)
    return engine


def _ping_when_idle(engine: AsyncEngine, idle_seconds: float) -> None:
    dialect: Dialect = engine.sync_engine.dialect

    @event.listens_for(engine.sync_engine, "checkin")
    def returned(dbapi_connection: Any, record: ConnectionPoolEntry) -> None:
        record.info[_RETURNED_AT] = time.monotonic()

    @event.listens_for(engine.sync_engine, "checkout")
    def handed_out(dbapi_connection: Any, record: ConnectionPoolEntry, proxy: Any) -> None:
        if dbapi_connection.driver_connection.is_closed():
            # The server closed it while it sat in the pool (a restart): asyncpg saw the socket close,
            # so this costs no round trip. The whole pool is as old: replace it, as pre-ping does.
            raise exc.InvalidatePoolError()
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


_KEEP_WRITES = "keep_writes"
RefusalT = TypeVar("RefusalT", bound=Exception)


def keep_writes(refusal: RefusalT) -> RefusalT:
    """Mark a refusal whose writes must survive it: `raise keep_writes(BadRequest(...))`.

    The unit of work then commits what was flushed before the refusal is answered — a wrong captcha
    used up, a wrong SMS code or password counted, a login lock, an expired record terminated.
    Every other error rolls back.
    """
    setattr(refusal, _KEEP_WRITES, True)
    return refusal


def keeps_writes(error: BaseException) -> bool:
    return getattr(error, _KEEP_WRITES, False) is True


async def get_session(request: Request) -> AsyncIterator[AsyncSession]:
    """The request's unit of work: committed after the endpoint returns, rolled back on error.

    Services only flush(); this dependency is the single commit point for HTTP requests. A refusal
    marked with `keep_writes` is the one exception to the rollback: its writes are committed, then
    it is answered like any other error.
    """
    maker: async_sessionmaker[AsyncSession] = request.app.state.sessionmaker
    async with maker() as session:
        try:
            yield session
        except BaseException as exc:
            if keeps_writes(exc):
                await session.commit()
            else:
                await session.rollback()
            raise
        else:
            await session.commit()


SessionDep = Annotated[AsyncSession, Depends(get_session, scope="function")]
