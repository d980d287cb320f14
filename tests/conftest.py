"""Shared fixtures: one throwaway, migrated PostgreSQL database per test run."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import pytest
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from servicekit.testing import TestDatabase, rolled_back, test_engine


@pytest.fixture(scope="session")
def database_url() -> Iterator[str]:
    """TEST_DATABASE_URL's server, or an embedded pgserver; a fresh database either way."""
    db = TestDatabase()
    url = db.start()
    try:
        yield url
    finally:
        db.stop()


@pytest.fixture(scope="session")
async def engine(database_url: str) -> AsyncIterator[AsyncEngine]:
    eng = test_engine(database_url)
    try:
        yield eng
    finally:
        await eng.dispose()


@pytest.fixture
async def db_conn(engine: AsyncEngine) -> AsyncIterator[AsyncConnection]:
    """A connection inside a transaction rolled back after the test."""
    async with rolled_back(engine) as conn:
        yield conn
