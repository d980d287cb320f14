"""Async engine, sessions and the unit of work committed at the edge."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Annotated, TypeVar

import asyncpg
from fastapi import Depends, Request
from sqlalchemy import MetaData
from sqlalchemy.dialects.postgresql.asyncpg import PGDialect_asyncpg
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine

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
_UNREACHABLE: tuple[type[BaseException], ...] = (
    OSError,
    asyncio.TimeoutError,
    asyncpg.exceptions.CannotConnectNowError,
    asyncpg.exceptions.PostgresConnectionError,
    asyncpg.exceptions.ConnectionDoesNotExistError,
)


def make_engine(url: str, *, pool_size: int = 10) -> AsyncEngine:
    """An engine whose failure to connect is `DatabaseUnavailable`, never a bare OSError.

    SQLAlchemy wraps errors of an open connection (DBAPIError, answered 503 by the error handler) but
    lets a failed connect through as whatever asyncpg raised, so connecting goes through our own
    creator. Pooled connections recover by themselves once the server is back (pre-ping).
    """
    cargs, cparams = PGDialect_asyncpg().create_connect_args(make_url(url))  # type: ignore[no-untyped-call]
    cparams["server_settings"] = {"timezone": "UTC"}

    async def connect() -> asyncpg.Connection:
        try:
            return await asyncpg.connect(*cargs, **cparams)
        except _UNREACHABLE as exc:
            raise DatabaseUnavailable() from exc

    return create_async_engine(
        url,
        pool_size=pool_size,
        max_overflow=pool_size,
        pool_pre_ping=True,
        async_creator=connect,
    )


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
