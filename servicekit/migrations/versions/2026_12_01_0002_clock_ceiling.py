"""sandbox.clock_now() stops at the clock's ceiling, as servicekit.clock.state does (R-CLK-01)

A running clock reads at most 2999-12-31T23:59:59.999999+08:00 (one microsecond below
3000-01-01 Asia/Shanghai); a frozen one never above it either.

Revision ID: sandbox_0002
Revises: sandbox_0001
Create Date: 2026-12-01
"""

from collections.abc import Sequence

from alembic import op

revision: str = "sandbox_0002"
down_revision: str | None = "sandbox_0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

CAPPED = """
CREATE OR REPLACE FUNCTION sandbox.clock_now(ns text) RETURNS timestamptz
LANGUAGE sql STABLE AS $$
    SELECT least(
        coalesce(
            (SELECT coalesce(n.frozen_at, clock_timestamp() + make_interval(secs => n.offset_seconds))
               FROM sandbox.namespaces n WHERE n.namespace = ns),
            clock_timestamp()),
        timestamptz '2999-12-31 23:59:59.999999+08')
$$
"""

UNCAPPED = """
CREATE OR REPLACE FUNCTION sandbox.clock_now(ns text) RETURNS timestamptz
LANGUAGE sql STABLE AS $$
    SELECT coalesce(
        (SELECT coalesce(n.frozen_at, clock_timestamp() + make_interval(secs => n.offset_seconds))
           FROM sandbox.namespaces n WHERE n.namespace = ns),
        clock_timestamp())
$$
"""


def upgrade() -> None:
    op.execute(CAPPED)


def downgrade() -> None:
    op.execute(UNCAPPED)
