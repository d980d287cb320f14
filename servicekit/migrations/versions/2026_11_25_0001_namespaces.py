"""namespaces: clock offset, freeze, review policy; sandbox.clock_now()

Revision ID: sandbox_0001
Revises:
Create Date: 2026-11-25
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "sandbox_0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Static on purpose: sandbox_0002 replaces the function, and this revision must keep creating the
# version it shipped with.
CLOCK_NOW_FUNCTION = """
CREATE OR REPLACE FUNCTION sandbox.clock_now(ns text) RETURNS timestamptz
LANGUAGE sql STABLE AS $$
    SELECT coalesce(
        (SELECT coalesce(n.frozen_at, clock_timestamp() + make_interval(secs => n.offset_seconds))
           FROM sandbox.namespaces n WHERE n.namespace = ns),
        clock_timestamp())
$$
"""


def upgrade() -> None:
    op.create_table(
        "namespaces",
        sa.Column("namespace", sa.String(64), nullable=False),
        sa.Column("offset_seconds", sa.Float(), server_default=sa.text("0"), nullable=False),
        sa.Column("frozen_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("review_policy", sa.String(32), nullable=True),
        sa.Column("last_swept_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("namespace", name="pk_namespaces"),
        schema="sandbox",
    )
    op.execute(CLOCK_NOW_FUNCTION)


def downgrade() -> None:
    op.execute("DROP FUNCTION IF EXISTS sandbox.clock_now(text)")
    op.drop_table("namespaces", schema="sandbox")
