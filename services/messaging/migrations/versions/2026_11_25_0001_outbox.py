"""messaging: outbox

Revision ID: messaging_0001
Revises: messaging_0000
Create Date: 2026-11-25
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "messaging_0001"
down_revision: str | None = "messaging_0000"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SCHEMA = "messaging"


def upgrade() -> None:
    op.create_table(
        "outbox",
        sa.Column("id", sa.String(40), nullable=False),
        sa.Column("key", sa.String(200), nullable=False),
        sa.Column("channel", sa.String(16), nullable=False),
        sa.Column("recipient", sa.String(320), nullable=False),
        sa.Column("recipient_key", sa.String(320), nullable=False),
        sa.Column("kind", sa.String(64), nullable=False),
        sa.Column("subject", sa.Text(), server_default=sa.text("''"), nullable=False),
        sa.Column("body", sa.Text(), server_default=sa.text("''"), nullable=False),
        sa.Column("data", postgresql.JSONB(), server_default=sa.text("'{}'::jsonb"), nullable=False),
        sa.Column("account_id", sa.String(64), nullable=True),
        sa.Column("namespace", sa.String(64), server_default=sa.text("'default'"), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.Column("read_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("smtp_status", sa.String(16), nullable=True),
        sa.Column("smtp_attempts", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("smtp_next_attempt_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("smtp_error", sa.Text(), nullable=True),
        sa.Column("smtp_sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "channel IN ('email', 'sms', 'wechat', 'notification')", name=op.f("ck_outbox_channel")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outbox")),
        sa.UniqueConstraint("key", name=op.f("uq_outbox_key")),
        schema=SCHEMA,
    )
    op.create_index(
        op.f("ix_outbox_recipient_key_created_at"),
        "outbox",
        ["recipient_key", "created_at"],
        schema=SCHEMA,
    )
    op.create_index(
        op.f("ix_outbox_account_id_channel_created_at"),
        "outbox",
        ["account_id", "channel", "created_at"],
        schema=SCHEMA,
    )
    op.create_index(
        op.f("ix_outbox_smtp_status_smtp_next_attempt_at"),
        "outbox",
        ["smtp_status", "smtp_next_attempt_at"],
        schema=SCHEMA,
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_outbox_smtp_status_smtp_next_attempt_at"), table_name="outbox", schema=SCHEMA)
    op.drop_index(op.f("ix_outbox_account_id_channel_created_at"), table_name="outbox", schema=SCHEMA)
    op.drop_index(op.f("ix_outbox_recipient_key_created_at"), table_name="outbox", schema=SCHEMA)
    op.drop_table("outbox", schema=SCHEMA)
