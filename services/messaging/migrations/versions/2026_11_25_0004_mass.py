"""messaging: mass sends, deliveries, quotas

Revision ID: messaging_0004
Revises: messaging_0003
Create Date: 2026-11-25
"""
from collections.abc import Sequence

import sqlalchemy as sa  # noqa: F401
from alembic import op  # noqa: F401

revision: str = "messaging_0004"
down_revision: str | None = "messaging_0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
