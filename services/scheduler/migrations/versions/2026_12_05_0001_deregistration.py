"""deregistration: what the lifecycle facts say of each account, notices sent once, terminations, messages

Revision ID: scheduler_0001
Revises: scheduler_0000
Create Date: 2026-12-05
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "scheduler_0001"
down_revision: str | None = "scheduler_0000"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "deregistration_accounts",
        sa.Column("account_id", sa.String(length=40), nullable=False),
        sa.Column("namespace", sa.String(length=64), nullable=False),
        sa.Column("signed_up_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("activated_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("approved_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_login_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("terminated_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("termination_reason", sa.String(length=64), nullable=True),
        sa.Column("email", sa.String(length=254), nullable=True),
        sa.Column("email_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("email_seq", sa.BigInteger(), nullable=True),
        sa.Column("phone", sa.String(length=20), nullable=True),
        sa.Column("phone_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("phone_seq", sa.BigInteger(), nullable=True),
        sa.Column("wechat", sa.String(length=20), nullable=True),
        sa.Column("wechat_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("wechat_seq", sa.BigInteger(), nullable=True),
        sa.Column("next_due_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("terminates_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("account_id", name=op.f("pk_deregistration_accounts")),
        schema="scheduler",
    )
    op.create_index(
        "ix_deregistration_accounts_due",
        "deregistration_accounts",
        ["next_due_at"],
        unique=False,
        schema="scheduler",
        postgresql_where=sa.text("next_due_at IS NOT NULL"),
    )
    op.create_index(
        "ix_deregistration_accounts_namespace_due",
        "deregistration_accounts",
        ["namespace", "next_due_at"],
        unique=False,
        schema="scheduler",
        postgresql_where=sa.text("next_due_at IS NOT NULL"),
    )
    op.create_index(
        "ix_deregistration_accounts_namespace_terminates",
        "deregistration_accounts",
        ["namespace", "terminates_at"],
        unique=False,
        schema="scheduler",
        postgresql_where=sa.text("terminates_at IS NOT NULL"),
    )
    op.create_table(
        "deregistration_notices",
        sa.Column("account_id", sa.String(length=40), nullable=False),
        sa.Column("rule", sa.String(length=10), nullable=False),
        sa.Column("anchor_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("day", sa.SmallInteger(), nullable=False),
        sa.Column("namespace", sa.String(length=64), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("terminates_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("final", sa.Boolean(), nullable=False),
        sa.Column(
            "performed_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False
        ),
        sa.PrimaryKeyConstraint(
            "account_id", "rule", "anchor_at", "day", name=op.f("pk_deregistration_notices")
        ),
        schema="scheduler",
    )
    op.create_table(
        "pending_messages",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("account_id", sa.String(length=40), nullable=True),
        sa.Column("namespace", sa.String(length=64), nullable=False),
        sa.Column("channel", sa.String(length=20), nullable=False),
        sa.Column("to", sa.String(length=254), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("subject", sa.Text(), server_default=sa.text("''"), nullable=False),
        sa.Column("body", sa.Text(), server_default=sa.text("''"), nullable=False),
        sa.Column(
            "data",
            postgresql.JSONB(astext_type=sa.Text()),
            server_default=sa.text("'{}'::jsonb"),
            nullable=False,
        ),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("attempts", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("delivered_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pending_messages")),
        schema="scheduler",
    )
    op.create_index(
        "ix_pending_messages_undelivered",
        "pending_messages",
        ["created_at"],
        unique=False,
        schema="scheduler",
        postgresql_where=sa.text("delivered_at IS NULL"),
    )
    op.create_table(
        "received_facts",
        sa.Column("fact_id", sa.String(length=40), nullable=False),
        sa.Column("account_id", sa.String(length=40), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.PrimaryKeyConstraint("fact_id", name=op.f("pk_received_facts")),
        schema="scheduler",
    )
    op.create_table(
        "terminations",
        sa.Column("account_id", sa.String(length=40), nullable=False),
        sa.Column("rule", sa.String(length=10), nullable=False),
        sa.Column("anchor_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("namespace", sa.String(length=64), nullable=False),
        sa.Column("reason", sa.String(length=40), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("attempts", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("acknowledged_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("outcome", sa.String(length=20), nullable=True),
        sa.PrimaryKeyConstraint("account_id", "rule", "anchor_at", name=op.f("pk_terminations")),
        schema="scheduler",
    )
    op.create_index(
        "ix_terminations_pending",
        "terminations",
        ["at"],
        unique=False,
        schema="scheduler",
        postgresql_where=sa.text("acknowledged_at IS NULL"),
    )


def downgrade() -> None:
    op.drop_index(
        "ix_terminations_pending",
        table_name="terminations",
        schema="scheduler",
        postgresql_where=sa.text("acknowledged_at IS NULL"),
    )
    op.drop_table("terminations", schema="scheduler")
    op.drop_table("received_facts", schema="scheduler")
    op.drop_index(
        "ix_pending_messages_undelivered",
        table_name="pending_messages",
        schema="scheduler",
        postgresql_where=sa.text("delivered_at IS NULL"),
    )
    op.drop_table("pending_messages", schema="scheduler")
    op.drop_table("deregistration_notices", schema="scheduler")
    op.drop_index(
        "ix_deregistration_accounts_namespace_terminates",
        table_name="deregistration_accounts",
        schema="scheduler",
        postgresql_where=sa.text("terminates_at IS NOT NULL"),
    )
    op.drop_index(
        "ix_deregistration_accounts_namespace_due",
        table_name="deregistration_accounts",
        schema="scheduler",
        postgresql_where=sa.text("next_due_at IS NOT NULL"),
    )
    op.drop_index(
        "ix_deregistration_accounts_due",
        table_name="deregistration_accounts",
        schema="scheduler",
        postgresql_where=sa.text("next_due_at IS NOT NULL"),
    )
    op.drop_table("deregistration_accounts", schema="scheduler")
