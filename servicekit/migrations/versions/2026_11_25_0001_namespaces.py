"""namespaces: clock offset, freeze, review policy; sandbox.clock_now()

Revision ID: sandbox_0001
Revises:
Create Date: 2026-11-25
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from servicekit.clock import CLOCK_NOW_FUNCTION

revision: str = "sandbox_0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


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
