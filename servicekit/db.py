"""Async engine, sessions and the unit of work committed at the edge."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Annotated, Any

import asyncpg
from fastapi import Depends, Request
from sqlalchemy import MetaData, event, exc
from sqlalchemy.engine import Dialect
from sqlalchemy.ext.asyncio import (
    AsyncConnection,
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
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


# -- hot reads --------------------------------------------------------------------------------------
#
# A one-row read through an async ORM session costs ~850 µs of CPU (greenlet hand-offs, session and
# result machinery, BEGIN and COMMIT round trips); the same read on the asyncpg connection underneath
# costs ~180 µs (PERFORMANCE.md: "keep the per-request hot paths lean"). The few /cgi-bin reads every
# client polls take a `ReadConnection`: the driver connection of a pooled connection, checked out for
# the read, in autocommit (one statement, one round trip; READ COMMITTED gives every statement its
# own snapshot inside a transaction too). Writes never use it: they keep the session's unit of work.
# Endpoints open one with `read_connection(request)`.

ReadConnection = asyncpg.Connection
Reader = Callable[[], AbstractAsyncContextManager[ReadConnection]]
_DRIVER_ERRORS = (asyncpg.PostgresError, asyncpg.InterfaceError, OSError)


async def _driver(conn: AsyncConnection) -> ReadConnection:
    driver = (await conn.get_raw_connection()).driver_connection
    if driver is None:  # only after invalidate(), which these readers do last
        raise exc.InvalidRequestError("the pooled connection was invalidated")
    return driver  # type: ignore[no-any-return]


@asynccontextmanager
async def _driver_errors_as_dbapi(conn: AsyncConnection, driver: ReadConnection) -> AsyncIterator[None]:
    """Driver errors leave as SQLAlchemy's DBAPIError, so the one handler renders them as it does the
    session's (a value the database refuses → 400 / 40035 or 47001, anything else → 503 / -1)."""
    try:
        yield
    except _DRIVER_ERRORS as error:
        dead = driver.is_closed()
        if dead:  # never hand a dead connection out again
            await conn.invalidate(error)
        raise exc.DBAPIError(None, None, error, connection_invalidated=dead) from error


def pool_reader(engine: AsyncEngine) -> Reader:
    """Read connections checked out of `engine`'s pool (idle ping included) and returned after use."""

    @asynccontextmanager
    async def read() -> AsyncIterator[ReadConnection]:
        async with engine.connect() as conn:
            driver = await _driver(conn)
            async with _driver_errors_as_dbapi(conn, driver):
                yield driver

    return read


def joined_reader(connection: AsyncConnection) -> Reader:
    """Reads inside `connection`'s transaction (tests), each in a savepoint so a failing read leaves
    the transaction usable, as a session joined with `create_savepoint` does."""

    @asynccontextmanager
    async def read() -> AsyncIterator[ReadConnection]:
        driver = await _driver(connection)
        async with connection.begin_nested(), _driver_errors_as_dbapi(connection, driver):
            yield driver

    return read


def read_connection(request: Request) -> AbstractAsyncContextManager[ReadConnection]:
    """`async with read_connection(request) as conn:` — a read connection from the app's `Reader`.

    Not a dependency: FastAPI's machinery for a yield-dependency (exit stack, shielded exit) cost ~10 %
    of a hot read's CPU, and even a plain one ~3 %; opened in the endpoint, the connection also goes
    back to the pool before the answer is serialised and sent.
    """
    reader: Reader = request.app.state.reader
    return reader()
