"""Hot reads: the few /cgi-bin reads every client polls, on a plain asyncpg connection.

A one-row read through an async ORM session cost ~850 µs of CPU (greenlet hand-offs, session and
result machinery, BEGIN and COMMIT round trips), and even a bare checkout from SQLAlchemy's pool
~140 µs under load; on a connection from an asyncpg pool the whole read costs a fraction of that
(docs/performance.md: one-row reads). Such a read runs in autocommit — one
statement, one round trip; READ COMMITTED gives every statement its own snapshot inside a
transaction too — and never writes: writes keep the session's unit of work.

    async with read_connection(request) as conn:
        row = await conn.fetchrow(SQL, ...)

Driver errors leave as SQLAlchemy's DBAPIError, so the one handler renders them as it renders the
session's: a value the database refuses → 400 / 40035 or 47001, anything else → 503 / -1; a database
that cannot be reached is `DatabaseUnavailable` (503 / -1), as for the engine.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import TypeAlias

import asyncpg
from asyncpg.pool import PoolConnectionProxy
from sqlalchemy import exc
from starlette.requests import Request

from servicekit.db import UNREACHABLE, connect_args
from servicekit.errors import DatabaseUnavailable

# What a read gets: a connection from the read pool (a proxy), or in tests the test's own connection.
ReadConnection: TypeAlias = asyncpg.Connection | PoolConnectionProxy
Reader = Callable[[], AbstractAsyncContextManager[ReadConnection]]
READ_POOL_SIZE = 10  # a read holds its connection for one round trip
_DRIVER_ERRORS = (asyncpg.PostgresError, asyncpg.InterfaceError, OSError)


@asynccontextmanager
async def driver_errors_as_dbapi(conn: ReadConnection) -> AsyncIterator[None]:
    """Re-raise the driver's errors in the body as `DBAPIError` (connection_invalidated if it died)."""
    try:
        yield
    except _DRIVER_ERRORS as error:
        raise exc.DBAPIError(None, None, error, connection_invalidated=conn.is_closed()) from error


async def _nothing_to_reset(conn: ReadConnection) -> None:
    """Reads change no session state, so a returned connection needs no `RESET ALL` round trip (asyncpg
    still rolls back an open transaction and drops listeners before calling this)."""


class PoolReader:
    """Read connections from an asyncpg pool of the service's own, opened on first use — only a
    service that serves hot reads holds its connections. A connection the server closed (a restart)
    is noticed by the driver and replaced on the next acquire."""

    def __init__(self, url: str, *, max_size: int = READ_POOL_SIZE) -> None:
        self.connect_args = connect_args(url)[1]
        self.max_size = max_size
        self._pool: asyncpg.Pool | None = None
        self._opening = asyncio.Lock()

    @asynccontextmanager
    async def __call__(self) -> AsyncIterator[ReadConnection]:
        try:
            pool = self._pool or await self._open()
            conn = await pool.acquire()
        except UNREACHABLE as error:
            raise DatabaseUnavailable() from error
        try:
            async with driver_errors_as_dbapi(conn):
                yield conn
        finally:
            await pool.release(conn)

    async def _open(self) -> asyncpg.Pool:
        async with self._opening:
            if self._pool is None:
                self._pool = await asyncpg.create_pool(
                    min_size=1, max_size=self.max_size, reset=_nothing_to_reset, **self.connect_args
                )
            return self._pool

    async def close(self) -> None:
        pool, self._pool = self._pool, None
        if pool is not None:
            await pool.close()


def read_connection(request: Request) -> AbstractAsyncContextManager[ReadConnection]:
    """`async with read_connection(request) as conn:` — a read connection from the app's `Reader`.

    Not a dependency: FastAPI's machinery for a yield-dependency (exit stack, shielded exit) cost ~10 %
    of a hot read's CPU, and even a plain one ~3 %; opened in the endpoint, the connection also goes
    back to the pool before the answer is serialised and sent.
    """
    reader: Reader = request.app.state.reader
    return reader()
