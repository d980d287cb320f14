"""Rules of the code base CI enforces: import boundaries, models matching migrations, reversible migrations.

alembic's env runs its own event loop (asyncio.run), so these tests are synchronous.
"""

from __future__ import annotations

import ast
import asyncio
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import asyncpg
import pytest
from alembic import command
from alembic.script import ScriptDirectory

from servicekit.migrate import SECTIONS, alembic_config, upgrade_all
from servicekit.testing import TestDatabase

ROOT = Path(__file__).resolve().parent.parent
# SQLAlchemy's statement constructors: a module importing one writes SQL.
SQL_CONSTRUCTS = frozenset({"select", "text", "insert", "update", "delete"})
# Modules allowed to write SQL outside a repository, each with the constructs it imports: none.
SQL_OUTSIDE_REPOSITORIES_ALLOWED: dict[str, set[str]] = {}


def lint_imports_executable() -> str:
    beside_python = Path(sys.executable).with_name("lint-imports")
    found = str(beside_python) if beside_python.exists() else shutil.which("lint-imports")
    assert found, "lint-imports is not installed (pip install -e '.[test]')"
    return found


def sql_constructs_imported(path: Path) -> set[str]:
    """The SQLAlchemy statement constructors `path` imports (models may use `text` for DDL defaults)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] == "sqlalchemy":
            found |= {alias.name for alias in node.names} & SQL_CONSTRUCTS
        elif isinstance(node, ast.Import):
            # `import sqlalchemy as sa` would hide `sa.select(` from the check above: refuse it outright.
            found |= (
                {"import sqlalchemy"}
                if any(a.name.split(".")[0] == "sqlalchemy" for a in node.names)
                else set()
            )
    if path.name == "models.py":
        found.discard("text")
    return found


def sql_outside_repositories() -> dict[str, set[str]]:
    """Every module of services/ but repositories and migrations that imports a SQL constructor."""
    offenders: dict[str, set[str]] = {}
    for path in sorted((ROOT / "services").rglob("*.py")):
        if path.name == "repository.py" or "migrations" in path.parts:
            continue
        found = sql_constructs_imported(path)
        if found:
            offenders[path.relative_to(ROOT).as_posix()] = found
    return offenders


async def tables_in(url: str, schema: str) -> set[str]:
    conn = await asyncpg.connect(url)
    try:
        rows = await conn.fetch("SELECT tablename FROM pg_tables WHERE schemaname = $1", schema)
    finally:
        await conn.close()
    return {row["tablename"] for row in rows}


async def current_revisions(url: str, schema: str) -> set[str]:
    conn = await asyncpg.connect(url)
    try:
        rows = await conn.fetch(f'SELECT version_num FROM "{schema}".alembic_version')
    finally:
        await conn.close()
    return {row["version_num"] for row in rows}


def heads(section: str) -> set[str]:
    return set(ScriptDirectory.from_config(alembic_config(section)).get_heads())


@pytest.fixture
def throwaway_url(database_url: str) -> Iterator[str]:
    """A migrated database of its own on the test server: downgrading it disturbs no other test."""
    with TestDatabase(database_url) as url:
        yield url


class TestImportContracts:
    def test_lint_imports_passes(self) -> None:
        result = subprocess.run(
            [lint_imports_executable(), "--no-cache"], cwd=ROOT, capture_output=True, text=True, check=False
        )

        assert result.returncode == 0, result.stdout + result.stderr


class TestSqlOnlyInRepositories:
    def test_no_sql_outside_repositories_and_migrations(self) -> None:
        assert sql_outside_repositories() == SQL_OUTSIDE_REPOSITORIES_ALLOWED

    def test_an_update_on_a_dict_is_not_sql(self, tmp_path: Path) -> None:
        module = tmp_path / "service.py"
        module.write_text("from sqlalchemy import func\nvalues = {}\nvalues.update(a=func.now())\n")

        assert sql_constructs_imported(module) == set()

    def test_constructors_from_sqlalchemy_and_its_dialects_are_found(self, tmp_path: Path) -> None:
        module = tmp_path / "service.py"
        module.write_text(
            "from sqlalchemy.dialects.postgresql import insert\nfrom sqlalchemy import select\n"
        )

        assert sql_constructs_imported(module) == {"insert", "select"}


PEER_CLIENTS = re.compile(r"\b(?:Registration|Certification|Messaging|Scheduler)Client\(")
# Where a service builds its typed peer clients: one place each (issue 9), injected from there.
PEER_CLIENT_FACTORIES = {
    "services/registration/peers.py",
    "services/messaging/dependencies.py",
    "services/certification/peers.py",
    "services/scheduler/peers.py",
}


class TestPeerClientsBuiltOnce:
    def test_contract_clients_are_constructed_only_in_each_services_factory(self) -> None:
        root = Path(__file__).resolve().parent.parent
        builders = {
            path.relative_to(root).as_posix()
            for path in (root / "services").rglob("*.py")
            if PEER_CLIENTS.search(path.read_text(encoding="utf-8"))
        }
        assert builders <= PEER_CLIENT_FACTORIES


class TestMigrations:
    @pytest.mark.parametrize("section", SECTIONS)
    def test_models_match_migrations(self, database_url: str, section: str) -> None:
        # Raises AutogenerateDiffsDetected, listing the differences, when models and migrations drift.
        command.check(alembic_config(section, database_url))

    @pytest.mark.parametrize("section", SECTIONS)
    def test_one_head_per_section(self, section: str) -> None:
        assert len(heads(section)) == 1

    def test_downgrade_to_base_and_upgrade_again(self, throwaway_url: str) -> None:
        for section in reversed(SECTIONS):
            command.downgrade(alembic_config(section, throwaway_url), "base")

        left_over = {section: asyncio.run(tables_in(throwaway_url, section)) for section in SECTIONS}
        left_over = {section: tables - {"alembic_version"} for section, tables in left_over.items()}
        assert left_over == {section: set() for section in SECTIONS}

        upgrade_all(throwaway_url)

        for section in SECTIONS:
            assert asyncio.run(current_revisions(throwaway_url, section)) == heads(section)
            command.check(alembic_config(section, throwaway_url))
