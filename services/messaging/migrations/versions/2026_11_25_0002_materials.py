"""messaging: materials

Revision ID: messaging_0002
Revises: messaging_0001
Create Date: 2026-11-25
"""
from collections.abc import Sequence

import sqlalchemy as sa  # noqa: F401
from alembic import op  # noqa: F401

revision: str = "messaging_0002"
down_revision: str | None = "messaging_0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
