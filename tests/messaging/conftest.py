"""Messaging service tests: the real app in-process, its sessions joined to the test's rolled-back
connection (files that need registration as a peer build their own client from the factories)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncConnection

from tests.messaging.factories import messaging_client


@pytest.fixture
async def client(db_conn: AsyncConnection) -> AsyncIterator[httpx.AsyncClient]:
    async with messaging_client(db_conn) as http:
        yield http
