"""messaging: followers and tags

Revision ID: messaging_0003
Revises: messaging_0002
Create Date: 2026-11-25
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "messaging_0003"
down_revision: str | None = "messaging_0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SCHEMA = "messaging"


def upgrade() -> None:
    op.create_table(
        "followers",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("account_id", sa.String(40), nullable=False),
        sa.Column("namespace", sa.String(64), nullable=False),
        sa.Column("openid", sa.String(28, collation="C"), nullable=False),
        sa.Column("subscribed", sa.Boolean(), server_default=sa.text("true"), nullable=False),
        sa.Column("subscribe_time", sa.DateTime(timezone=True), nullable=False),
        sa.Column("unsubscribe_time", sa.DateTime(timezone=True), nullable=True),
        sa.Column("gender", sa.SmallInteger(), server_default=sa.text("0"), nullable=False),
        sa.Column("country", sa.String(32), server_default=sa.text("''"), nullable=False),
        sa.Column("province", sa.String(32), server_default=sa.text("''"), nullable=False),
        sa.Column("city", sa.String(32), server_default=sa.text("''"), nullable=False),
        sa.Column("language", sa.String(8), server_default=sa.text("'zh_CN'"), nullable=False),
        sa.Column("remark", sa.String(30), server_default=sa.text("''"), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_followers"),
        sa.UniqueConstraint("openid", name="uq_followers_openid"),
        schema=SCHEMA,
    )
    op.create_index(
        "ix_followers_account_id_id_subscribed",
        "followers",
        ["account_id", "id"],
        schema=SCHEMA,
        postgresql_where=sa.text("subscribed"),
    )
    op.create_index(
        "ix_followers_account_id_id_unsubscribed",
        "followers",
        ["account_id", "id"],
        schema=SCHEMA,
        postgresql_where=sa.text("NOT subscribed"),
    )
    op.create_table(
        "tags",
        sa.Column("account_id", sa.String(40), nullable=False),
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("name", sa.String(30), nullable=False),
        sa.PrimaryKeyConstraint("account_id", "id", name="pk_tags"),
        sa.UniqueConstraint("account_id", "name", name="uq_tags_account_id_name"),
        schema=SCHEMA,
    )
    op.create_table(
        "follower_tags",
        sa.Column("account_id", sa.String(40), nullable=False),
        sa.Column("follower_id", sa.BigInteger(), nullable=False),
        sa.Column("tag_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["follower_id"],
            [f"{SCHEMA}.followers.id"],
            name="fk_follower_tags_follower_id_followers",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("follower_id", "tag_id", name="pk_follower_tags"),
        schema=SCHEMA,
    )
    op.create_index(
        "ix_follower_tags_account_id_tag_id_follower_id",
        "follower_tags",
        ["account_id", "tag_id", "follower_id"],
        schema=SCHEMA,
    )


def downgrade() -> None:
    op.drop_index("ix_follower_tags_account_id_tag_id_follower_id", table_name="follower_tags", schema=SCHEMA)
    op.drop_table("follower_tags", schema=SCHEMA)
    op.drop_table("tags", schema=SCHEMA)
    op.drop_index("ix_followers_account_id_id_unsubscribed", table_name="followers", schema=SCHEMA)
    op.drop_index("ix_followers_account_id_id_subscribed", table_name="followers", schema=SCHEMA)
    op.drop_table("followers", schema=SCHEMA)
