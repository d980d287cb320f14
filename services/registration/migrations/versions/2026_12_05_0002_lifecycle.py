"""lifecycle facts for the scheduler, the administrator WeChat, a WeChat ID freed by termination

Revision ID: registration_0002
Revises: registration_0001
Create Date: 2026-12-05
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "registration_0002"
down_revision: str | None = "registration_0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

S = "registration"
TS = sa.DateTime(timezone=True)
TO_END = "status = 'terminated' AND appid IS NOT NULL AND certification_ended_at IS NULL"


def upgrade() -> None:
    op.create_table(
        "lifecycle_facts",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("seq", sa.BigInteger(), sa.Identity(), nullable=False),
        sa.Column("account_id", sa.String(length=40), nullable=False),
        sa.Column("namespace", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("at", TS, nullable=False),
        sa.Column(
            "data",
            postgresql.JSONB(astext_type=sa.Text()),
            server_default=sa.text("'{}'::jsonb"),
            nullable=False,
        ),
        sa.Column("attempts", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("delivered_at", TS, nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_lifecycle_facts")),
        sa.UniqueConstraint("seq", name=op.f("uq_lifecycle_facts_seq")),
        schema=S,
    )
    op.create_index(
        "ix_lifecycle_facts_undelivered",
        "lifecycle_facts",
        ["seq"],
        unique=False,
        schema=S,
        postgresql_where=sa.text("delivered_at IS NULL"),
    )
    op.add_column("accounts", sa.Column("admin_wechat", sa.String(length=20), nullable=True), schema=S)
    op.add_column("accounts", sa.Column("certification_ended_at", TS, nullable=True), schema=S)
    # Accounts terminated before this revision never had a certification end to retry.
    op.execute(f"UPDATE {S}.accounts SET certification_ended_at = terminated_at WHERE status = 'terminated'")
    op.create_index(
        "ix_accounts_certification_to_end", "accounts", ["id"], schema=S, postgresql_where=sa.text(TO_END)
    )
    # R-DER-04: a terminated account's WeChat ID is free again (R-REG-32 counts live accounts only).
    op.drop_constraint("uq_accounts_wechat_id", "accounts", schema=S, type_="unique")
    op.create_index(
        "uq_accounts_live_wechat_id",
        "accounts",
        [sa.literal_column("lower(wechat_id)")],
        unique=True,
        schema=S,
        postgresql_where=sa.text("status <> 'terminated'"),
    )


def downgrade() -> None:
    op.drop_index("uq_accounts_live_wechat_id", "accounts", schema=S)
    # Only one holder of a WeChat ID may stay: the live one, else the terminated one with the last id.
    op.execute(
        f"""UPDATE {S}.accounts a SET wechat_id = NULL
            WHERE a.status = 'terminated' AND a.wechat_id IS NOT NULL AND EXISTS (
                SELECT 1 FROM {S}.accounts b
                WHERE lower(b.wechat_id) = lower(a.wechat_id) AND b.id <> a.id
                  AND (b.status <> 'terminated' OR b.id > a.id))"""
    )
    op.create_unique_constraint("uq_accounts_wechat_id", "accounts", ["wechat_id"], schema=S)
    op.drop_index("ix_accounts_certification_to_end", "accounts", schema=S)
    op.drop_column("accounts", "certification_ended_at", schema=S)
    op.drop_column("accounts", "admin_wechat", schema=S)
    op.drop_index("ix_lifecycle_facts_undelivered", "lifecycle_facts", schema=S)
    op.drop_table("lifecycle_facts", schema=S)
