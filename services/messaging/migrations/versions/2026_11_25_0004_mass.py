"""messaging: mass sends, deliveries, quotas

Revision ID: messaging_0004
Revises: messaging_0003
Create Date: 2026-11-25
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "messaging_0004"
down_revision: str | None = "messaging_0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SCHEMA = "messaging"


def upgrade() -> None:
    op.create_table(
        "mass_jobs",
        sa.Column("id", sa.BigInteger(), sa.Identity(start=1_000_000_001), nullable=False),
        sa.Column("account_id", sa.String(64), nullable=False),
        sa.Column("namespace", sa.String(64), nullable=False),
        sa.Column("appid", sa.String(64), nullable=True),
        sa.Column("account_type", sa.String(16), nullable=False),
        sa.Column("folder", sa.String(16), nullable=False),
        sa.Column("source", sa.String(16), nullable=False),
        sa.Column("audience_kind", sa.String(16), nullable=False),
        sa.Column("audience", postgresql.JSONB(), server_default=sa.text("'{}'::jsonb"), nullable=False),
        sa.Column("msgtype", sa.String(16), nullable=False),
        sa.Column("content", sa.Text(), nullable=True),
        sa.Column("media_id", sa.String(128), nullable=True),
        sa.Column("payload", postgresql.JSONB(), server_default=sa.text("'{}'::jsonb"), nullable=False),
        sa.Column("clientmsgid", sa.String(64), nullable=True),
        sa.Column("status", sa.String(16), server_default=sa.text("'SENDING'"), nullable=False),
        sa.Column("total_count", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("filter_count", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("sent_count", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("error_count", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("deleted_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_mass_jobs"),
        schema=SCHEMA,
    )
    op.create_index(
        "ix_mass_jobs_sending",
        "mass_jobs",
        ["id"],
        schema=SCHEMA,
        postgresql_where=sa.text("status = 'SENDING'"),
    )
    op.create_index(
        "ix_mass_jobs_account_id_created_at", "mass_jobs", ["account_id", "created_at"], schema=SCHEMA
    )
    op.create_table(
        "mass_deliveries",
        sa.Column("follower_id", sa.BigInteger(), nullable=False),
        sa.Column("msg_id", sa.BigInteger(), nullable=False),
        sa.Column("delivered_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("follower_id", "msg_id", name="pk_mass_deliveries"),
        schema=SCHEMA,
    )
    op.create_table(
        "mass_counters",
        sa.Column("account_id", sa.String(64), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("period_start", sa.DateTime(timezone=True), nullable=False),
        sa.Column("period", sa.String(8), nullable=False),
        sa.Column("account_type", sa.String(16), nullable=True),
        sa.Column("quota_limit", sa.Integer(), nullable=False),
        sa.Column("used", sa.Integer(), nullable=False),
        sa.Column("resets_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("used <= quota_limit", name="ck_mass_counters_used_within_limit"),
        sa.PrimaryKeyConstraint("account_id", "kind", "period_start", name="pk_mass_counters"),
        schema=SCHEMA,
    )
    op.create_table(
        "mass_clientmsgids",
        sa.Column("account_id", sa.String(64), nullable=False),
        sa.Column("clientmsgid", sa.String(64), nullable=False),
        sa.Column("msg_id", sa.BigInteger(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("account_id", "clientmsgid", name="pk_mass_clientmsgids"),
        schema=SCHEMA,
    )


def downgrade() -> None:
    op.drop_table("mass_clientmsgids", schema=SCHEMA)
    op.drop_table("mass_counters", schema=SCHEMA)
    op.drop_table("mass_deliveries", schema=SCHEMA)
    op.drop_index("ix_mass_jobs_account_id_created_at", table_name="mass_jobs", schema=SCHEMA)
    op.drop_index("ix_mass_jobs_sending", table_name="mass_jobs", schema=SCHEMA)
    op.drop_table("mass_jobs", schema=SCHEMA)
