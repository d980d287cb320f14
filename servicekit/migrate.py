"""Run every schema's migrations to head (the supervisor, the migrate step and the tests use this)."""

from __future__ import annotations

from alembic import command
from alembic.config import Config

from servicekit.app import ROOT

SECTIONS = ("sandbox", "registration", "certification", "messaging", "scheduler")


def alembic_config(section: str, database_url: str | None = None) -> Config:
    cfg = Config(str(ROOT / "alembic.ini"), ini_section=section)
    cfg.set_main_option("script_location", str(ROOT / cfg.get_main_option("script_location", "")))
    if database_url:
        cfg.attributes["database_url"] = database_url
    return cfg


def upgrade_all(database_url: str, sections: tuple[str, ...] = SECTIONS) -> None:
    """Synchronous (alembic's env runs its own event loop): call via asyncio.to_thread from async code."""
    for section in sections:
        command.upgrade(alembic_config(section, database_url), "head")


def main() -> None:
    import os

    url = os.environ.get("DATABASE_URL")
    if not url:
        raise SystemExit("DATABASE_URL is required")
    upgrade_all(url)
    print("migrations at head:", ", ".join(SECTIONS))


if __name__ == "__main__":
    main()
