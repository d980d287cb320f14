"""Test helpers: a throwaway PostgreSQL, migrated; apps wired to a rolled-back connection."""

from __future__ import annotations

import asyncio
import atexit
import os
import tempfile
import uuid
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from typing import Any

import asyncpg
import httpx
from fastapi import FastAPI
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, async_sessionmaker

from servicekit.db import make_engine
from servicekit.migrate import upgrade_all
from servicekit.reads import ReadConnection, Reader, driver_errors_as_dbapi
from servicekit.settings import to_asyncpg_url


class TestDatabase:
    """A fresh database on `server_url`'s server (else TEST_DATABASE_URL's, else an embedded pgserver)."""

    __test__ = False

    def __init__(self, server_url: str | None = None) -> None:
        self._server_url = server_url
        self._server: Any = None
        self._tmp: tempfile.TemporaryDirectory[str] | None = None
        self.admin_url = ""
        self.url = ""
        self.name = f"mpsandbox_test_{uuid.uuid4().hex[:10]}"

    def start(self) -> str:
        base = self._server_url or os.environ.get("TEST_DATABASE_URL")
        if not base:
            from pgserver.postgres_server import get_server

            self._tmp = tempfile.TemporaryDirectory(prefix="mpsandbox-testdb-")
            self._server = get_server(self._tmp.name, cleanup_mode="stop")
            base = self._server.get_uri()
        self.admin_url = base
        asyncio.run(self._create())
        self.url = _with_database(base, self.name)
        upgrade_all(self.url)
        return self.url

    async def _create(self) -> None:
        conn = await asyncpg.connect(_plain(self.admin_url))
        try:
            await conn.execute(f'CREATE DATABASE "{self.name}"')
        finally:
            await conn.close()

    async def _drop(self) -> None:
        conn = await asyncpg.connect(_plain(self.admin_url))
        try:
            await conn.execute(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')
        finally:
            await conn.close()

    def __enter__(self) -> str:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def stop(self) -> None:
        try:
            asyncio.run(self._drop())
        finally:
            if self._server is not None:
                self._server.cleanup()
                # pgserver's own atexit hook would run the cleanup again after pytest has closed the
                # streams its log handlers write to ("--- Logging error ---" at exit).
                atexit.unregister(self._server._cleanup)
            if self._tmp is not None:
                self._tmp.cleanup()


def _plain(url: str) -> str:
    return url.replace("postgresql+asyncpg://", "postgresql://")


def _with_database(url: str, name: str) -> str:
    """Swap the database name in a libpq URL, keeping query parameters (pgserver's socket host)."""
    head, _, query = url.partition("?")
    scheme, _, rest = head.partition("://")
    authority, _, _ = rest.partition("/")
    return f"{scheme}://{authority}/{name}" + (f"?{query}" if query else "")


def test_engine(url: str) -> AsyncEngine:
    return make_engine(to_asyncpg_url(url), pool_size=10)


@asynccontextmanager
async def rolled_back(engine: AsyncEngine) -> AsyncIterator[AsyncConnection]:
    """A connection whose outer transaction is rolled back: every test leaves the database as found."""
    async with engine.connect() as conn:
        trans = await conn.begin()
        try:
            yield conn
        finally:
            if trans.is_active:
                await trans.rollback()


async def _driver(conn: AsyncConnection) -> ReadConnection:
    driver = (await conn.get_raw_connection()).driver_connection
    assert driver is not None
    return driver  # type: ignore[no-any-return]


def engine_reader(engine: AsyncEngine) -> Reader:
    """Read connections checked out of `engine`'s pool (tests wired to an engine, not a pool of reads)."""

    @asynccontextmanager
    async def read() -> AsyncIterator[ReadConnection]:
        async with engine.connect() as conn:
            driver = await _driver(conn)
            try:
                async with driver_errors_as_dbapi(driver):
                    yield driver
            except DBAPIError as error:
                if error.connection_invalidated:
                    await conn.invalidate(error)
                raise

    return read


def joined_reader(connection: AsyncConnection) -> Reader:
    """Reads inside `connection`'s transaction, each in a savepoint so a failing read leaves the
    transaction usable, as a session joined with `create_savepoint` does."""

    @asynccontextmanager
    async def read() -> AsyncIterator[ReadConnection]:
        driver = await _driver(connection)
        async with connection.begin_nested(), driver_errors_as_dbapi(driver):
            yield driver

    return read


def wire_app(
    app: FastAPI,
    *,
    connection: AsyncConnection | None = None,
    engine: AsyncEngine | None = None,
    peers: Mapping[str, httpx.AsyncClient] | None = None,
) -> FastAPI:
    """Give an app the state its lifespan would build, bound to a test connection or engine.

    With `connection`, sessions and read connections join its transaction through savepoints (rolled
    back per test).
    """
    if connection is not None:
        app.state.engine = connection.engine
        app.state.sessionmaker = async_sessionmaker(
            bind=connection, expire_on_commit=False, join_transaction_mode="create_savepoint"
        )
        app.state.reader = joined_reader(connection)
    elif engine is not None:
        app.state.engine = engine
        app.state.sessionmaker = async_sessionmaker(engine, expire_on_commit=False)
        app.state.reader = engine_reader(engine)
    app.state.peers = dict(peers or {})
    return app


def asgi_client(app: FastAPI, base_url: str = "http://testserver", **kwargs: Any) -> httpx.AsyncClient:
    """An httpx client calling the app in-process (no lifespan: use `wire_app` first)."""
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=base_url, **kwargs)
