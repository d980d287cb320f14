"""Shared body of every service's alembic env.py: one schema, its own version table, async engine."""

from __future__ import annotations

import asyncio
import os
from typing import Any

from alembic import context
from sqlalchemy import MetaData, pool, text
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import create_async_engine

from servicekit.settings import to_asyncpg_url


def run(metadata: MetaData, schema: str) -> None:
    url = context.config.attributes.get("database_url") or os.environ.get("DATABASE_URL")
    if not url:
        raise RuntimeError("DATABASE_URL is not set")

    def include_object(obj: Any, name: str | None, type_: str, reflected: bool, compare_to: Any) -> bool:
        if type_ == "table":
            return getattr(obj, "schema", None) == schema
        return True

    def include_name(name: str | None, type_: str, parent_names: Any) -> bool:
        if type_ == "schema":
            return name == schema
        return True

    def do_run(connection: Connection) -> None:
        connection.execute(text(f'CREATE SCHEMA IF NOT EXISTS "{schema}"'))
        context.configure(
            connection=connection,
            target_metadata=metadata,
            version_table_schema=schema,
            include_schemas=True,
            include_object=include_object,
            include_name=include_name,
            compare_type=True,
        )
        with context.begin_transaction():
            context.run_migrations()

    async def main() -> None:
        engine = create_async_engine(to_asyncpg_url(url), poolclass=pool.NullPool)
        async with engine.begin() as connection:
            # Serialise concurrent migrators (supervisor + tests) on one advisory lock per schema.
            await connection.execute(text("SELECT pg_advisory_xact_lock(hashtext(:s))"), {"s": schema})
            await connection.run_sync(do_run)
        await engine.dispose()

    if context.is_offline_mode():
        raise RuntimeError("offline migrations are not supported")
    asyncio.run(main())
