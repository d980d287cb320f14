"""certifications: granted certifications

Revision ID: certification_0001
Revises:
Create Date: 2026-11-25
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "certification_0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "certifications",
        sa.Column("account_id", sa.String(40), nullable=False),
        sa.Column("certified_name", sa.String(64), nullable=False),
        sa.Column("certification_text", sa.Text(), nullable=False),
        sa.Column("certified_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.PrimaryKeyConstraint("account_id", name="pk_certifications"),
        schema="certification",
    )


def downgrade() -> None:
    op.drop_table("certifications", schema="certification")
