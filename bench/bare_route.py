"""The baseline of bench/cgi.py: a bare FastAPI route that reads one row by primary key with asyncpg.

    BENCH_DATABASE_URL=postgresql://… python -m uvicorn bench.bare_route:app  (cwd = the repository)

No middleware, no ORM, no peer call: an asyncpg pool of 10 (PERFORMANCE.md's "raw asyncpg pool"
row) on the sandbox's own PostgreSQL, one prepared `SELECT … WHERE id = $1`, a dict returned as JSON.
`setup()` creates its one-row table; run it once before starting the app.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import asyncpg
from fastapi import FastAPI

TABLE = "bench_bare.rows"
POOL_SIZE = 10


def dsn() -> str:
    return os.environ["BENCH_DATABASE_URL"].replace("postgresql+asyncpg://", "postgresql://")


async def setup(url: str) -> None:
    conn = await asyncpg.connect(url.replace("postgresql+asyncpg://", "postgresql://"))
    try:
        await conn.execute("CREATE SCHEMA IF NOT EXISTS bench_bare")
        await conn.execute(f"CREATE TABLE IF NOT EXISTS {TABLE} (id bigint PRIMARY KEY, openid text, n int)")
        await conn.execute(
            f"INSERT INTO {TABLE} SELECT g, 'o' || lpad(g::text, 27, '0'), g FROM generate_series(1, 1000) g "
            "ON CONFLICT DO NOTHING"
        )
    finally:
        await conn.close()


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    pool = await asyncpg.create_pool(dsn(), min_size=POOL_SIZE, max_size=POOL_SIZE)
    app.state.pool = pool
    try:
        yield
    finally:
        await pool.close()


app = FastAPI(lifespan=lifespan)


@app.get("/row")
async def row() -> dict[str, Any]:
    record = await app.state.pool.fetchrow(f"SELECT id, openid, n FROM {TABLE} WHERE id = $1", 42)
    return dict(record)
