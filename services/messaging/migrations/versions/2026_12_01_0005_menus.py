"""messaging: custom menus

Revision ID: messaging_0005
Revises: messaging_0004
Create Date: 2026-12-01
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "messaging_0005"
down_revision: str | None = "messaging_0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SCHEMA = "messaging"


def upgrade() -> None:
    op.create_table(
        "menus",
        sa.Column("account_id", sa.String(length=40), nullable=False),
        sa.Column("menuid", sa.BigInteger(), sa.Identity(start=400_000_001), nullable=False),
        sa.Column("buttons", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("account_id", name=op.f("pk_menus")),
        sa.UniqueConstraint("menuid", name=op.f("uq_menus_menuid")),
        schema=SCHEMA,
    )


def downgrade() -> None:
    op.drop_table("menus", schema=SCHEMA)
