"""The service engine's pool (no ping per checkout, a ping after idling, no churn); read connections."""

from __future__ import annotations

import asyncio
import socket
import uuid
from collections.abc import AsyncIterator

import asyncpg
import pytest
from sqlalchemy import make_url, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine

from servicekit import db
from servicekit.app import bad_value_errcode
from servicekit.db import make_engine, make_sessionmaker
from servicekit.errors import DatabaseUnavailable
from servicekit.reads import PoolReader
from servicekit.settings import to_asyncpg_url
from servicekit.testing import engine_reader, joined_reader, rolled_back


async def backend_pid(engine: AsyncEngine) -> int:
    async with engine.connect() as conn:
        pid: int = (await conn.execute(text("SELECT pg_backend_pid()"))).scalar_one()
    return pid


async def terminate(database_url: str, pid: int) -> None:
    admin = await asyncpg.connect(database_url.replace("postgresql+asyncpg://", "postgresql://"))
    try:
        assert await admin.fetchval("SELECT pg_terminate_backend($1)", pid)
        for _ in range(100):  # the backend is gone once PostgreSQL no longer lists it
            if not await admin.fetchval("SELECT count(*) FROM pg_stat_activity WHERE pid = $1", pid):
                return
            await asyncio.sleep(0.01)
    finally:
        await admin.close()


@pytest.fixture
async def engines(database_url: str) -> AsyncIterator[list[AsyncEngine]]:
    made: list[AsyncEngine] = []
    yield made
    for engine in made:
        await engine.dispose()


class TestIdlePing:
    async def test_a_connection_killed_while_idle_is_replaced_before_use(
        self, database_url: str, engines: list[AsyncEngine]
    ) -> None:
        engine = make_engine(to_asyncpg_url(database_url), pool_size=1, idle_ping_seconds=0.05)
        engines.append(engine)
        first = await backend_pid(engine)
        await terminate(database_url, first)
        await asyncio.sleep(0.1)

        second = await backend_pid(engine)

        assert second != first

    async def test_a_connection_the_server_closed_is_replaced_without_a_ping_or_a_failed_request(
        self, database_url: str, engines: list[AsyncEngine]
    ) -> None:
        """A restart closes every pooled connection; asyncpg sees each socket close, so the next
        checkout replaces it (and the pool) although it was in use moments ago — no request fails."""
        engine = make_engine(to_asyncpg_url(database_url), pool_size=1, idle_ping_seconds=60)
        engines.append(engine)
        first = await backend_pid(engine)
        await terminate(database_url, first)
        await asyncio.sleep(0.05)  # the server's goodbye reaches the client's event loop

        assert await backend_pid(engine) != first

    async def test_the_pool_reuses_its_connections_instead_of_opening_new_ones(
        self, database_url: str, engines: list[AsyncEngine]
    ) -> None:
        engine = make_engine(to_asyncpg_url(database_url), pool_size=4)
        engines.append(engine)

        async def hold() -> int:
            async with engine.connect() as conn:
                await asyncio.sleep(0.02)
                pid: int = (await conn.execute(text("SELECT pg_backend_pid()"))).scalar_one()
            return pid

        pids = set()
        for _ in range(5):  # more concurrent users than the pool holds, five times over
            pids.update(await asyncio.gather(*(hold() for _ in range(6))))

        assert len(pids) == 4


@pytest.fixture
async def readers(database_url: str) -> AsyncIterator[list[PoolReader]]:
    made: list[PoolReader] = []
    yield made
    for reader in made:
        await reader.close()


class TestPoolReader:
    async def test_a_read_runs_outside_any_transaction_on_a_pooled_connection(
        self, database_url: str, readers: list[PoolReader]
    ) -> None:
        read = PoolReader(database_url, max_size=1)
        readers.append(read)
        async with read() as conn:
            first = await conn.fetchval("SELECT pg_backend_pid()")
            assert not conn.is_in_transaction()  # one round trip: no BEGIN, no COMMIT
            timezone = await conn.fetchval("SHOW timezone")

        async with read() as conn:
            assert await conn.fetchval("SELECT pg_backend_pid()") == first
        assert timezone == "UTC"

    async def test_a_value_the_database_refuses_is_the_dbapi_error_the_handler_renders(
        self, database_url: str, readers: list[PoolReader]
    ) -> None:
        read = PoolReader(database_url, max_size=1)
        readers.append(read)

        with pytest.raises(DBAPIError) as failed:
            async with read() as conn:
                await conn.fetchval("SELECT $1::bigint + 9223372036854775807", 1)

        assert bad_value_errcode(failed.value) == 40035
        assert not failed.value.connection_invalidated

    async def test_a_connection_the_server_closed_fails_no_later_read(
        self, database_url: str, readers: list[PoolReader]
    ) -> None:
        read = PoolReader(database_url, max_size=1)
        readers.append(read)
        async with read() as conn:
            first = await conn.fetchval("SELECT pg_backend_pid()")
        await terminate(database_url, first)
        await asyncio.sleep(0.05)  # the driver reads the server's goodbye while the connection idles

        async with read() as conn:
            assert await conn.fetchval("SELECT pg_backend_pid()") != first

    async def test_a_database_that_does_not_answer_fails_a_read_as_it_fails_a_session(
        self, engines: list[AsyncEngine], readers: list[PoolReader]
    ) -> None:
        with socket.socket() as probe:  # a port nothing listens on
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        url = f"postgresql+asyncpg://nobody@127.0.0.1:{port}/none"
        engine = make_engine(url, pool_size=1)
        engines.append(engine)
        read = PoolReader(url)
        readers.append(read)

        with pytest.raises(Exception) as by_session:  # noqa: PT011 - whatever it is, the same
            async with make_sessionmaker(engine)() as session:
                await session.execute(text("SELECT 1"))
        with pytest.raises(Exception) as by_reader:  # noqa: PT011
            async with read() as conn:
                await conn.fetchval("SELECT 1")

        assert type(by_reader.value) is type(by_session.value)  # the same handler renders both


class TestTestReaders:
    async def test_a_dead_connection_fails_its_read_and_is_not_handed_out_again(
        self, database_url: str, engines: list[AsyncEngine]
    ) -> None:
        engine = make_engine(to_asyncpg_url(database_url), pool_size=1, idle_ping_seconds=60)
        engines.append(engine)
        read = engine_reader(engine)
        pids: list[int] = []

        async def read_while_the_backend_dies() -> None:
            async with read() as conn:
                pids.append(await conn.fetchval("SELECT pg_backend_pid()"))
                await terminate(database_url, pids[0])
                await conn.fetchval("SELECT 1")

        with pytest.raises(DBAPIError) as failed:
            await read_while_the_backend_dies()
        first = pids[0]
        assert failed.value.connection_invalidated
        assert bad_value_errcode(failed.value) is None  # an outage (503 / -1), not bad input

        async with read() as conn:
            assert await conn.fetchval("SELECT pg_backend_pid()") != first

    async def test_a_failed_read_in_a_test_transaction_leaves_it_usable(self, engine: AsyncEngine) -> None:
        async with rolled_back(engine) as connection:
            await connection.execute(text("CREATE TEMP TABLE t_read (n int)"))
            await connection.execute(text("INSERT INTO t_read VALUES (1)"))
            read = joined_reader(connection)

            with pytest.raises(DBAPIError):
                async with read() as conn:
                    await conn.fetchval("SELECT 1 / 0")
            async with read() as conn:
                seen = await conn.fetchval("SELECT count(*) FROM t_read")

        assert seen == 1  # the test's uncommitted row, read on the same connection


@pytest.fixture
async def crowded_role(database_url: str) -> AsyncIterator[str]:
    """A database URL for a role allowed one connection at a time (53300 "too many connections")."""
    admin = await asyncpg.connect(database_url.replace("postgresql+asyncpg://", "postgresql://"))
    role = f"crowded_{uuid.uuid4().hex[:8]}"
    try:
        await admin.execute(f"CREATE ROLE {role} LOGIN CONNECTION LIMIT 1")
        url = make_url(to_asyncpg_url(database_url)).set(username=role, password=None)
        yield url.render_as_string(hide_password=False)
    finally:
        await admin.execute(f"DROP ROLE IF EXISTS {role}")
        await admin.close()


class TestFullServer:
    """PostgreSQL refusing a connection because it is full is a wait, then 503 — never a 500."""

    async def test_a_full_server_is_waited_for(self, crowded_role: str, engines: list[AsyncEngine]) -> None:
        holder = await asyncpg.connect(crowded_role.replace("postgresql+asyncpg://", "postgresql://"))
        engine = make_engine(crowded_role, pool_size=1)
        engines.append(engine)

        async def release_soon() -> None:
            await asyncio.sleep(0.3)
            await holder.close()

        release = asyncio.create_task(release_soon())
        assert await backend_pid(engine) > 0  # connected once the slot was free
        await release

    async def test_a_server_that_stays_full_is_503(
        self, crowded_role: str, engines: list[AsyncEngine], monkeypatch: pytest.MonkeyPatch
    ) -> None:
        monkeypatch.setattr(db, "CROWDED_RETRY_WAITS", (0.01, 0.02))
        holder = await asyncpg.connect(crowded_role.replace("postgresql+asyncpg://", "postgresql://"))
        try:
            engine = make_engine(crowded_role, pool_size=1)
            engines.append(engine)
            with pytest.raises(DatabaseUnavailable):
                await backend_pid(engine)
        finally:
            await holder.close()


class TestPeerKeepAlive:
    def test_peer_clients_retire_idle_connections_before_uvicorn_closes_them(self) -> None:
        from servicekit.http import KEEPALIVE_EXPIRY, make_client

        client = make_client("http://127.0.0.1:1")
        pool = client._transport._pool  # type: ignore[attr-defined]
        assert pool._keepalive_expiry == KEEPALIVE_EXPIRY < 5.0  # uvicorn's default keep-alive timeout
