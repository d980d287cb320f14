"""accounts

Revision ID: registration_0001
Revises: registration_0000
Create Date: 2026-11-25
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "registration_0001"
down_revision: str | None = "registration_0000"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "accounts",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("namespace", sa.String(length=64), nullable=False),
        sa.Column("email", sa.String(length=254), nullable=False),
        sa.Column("password_hash", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("type", sa.String(length=20), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("activation_expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("activated_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("subject_type", sa.String(length=20), nullable=True),
        sa.Column("government_name", sa.String(length=64), nullable=True),
        sa.Column("operator_name", sa.String(length=30), nullable=True),
        sa.Column("operator_id_number", sa.String(length=18), nullable=True),
        sa.Column("operator_phone", sa.String(length=11), nullable=True),
        sa.Column("subject_submitted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("name", sa.String(length=32), nullable=True),
        sa.Column("intro", sa.String(length=120), nullable=True),
        sa.Column("region_country", sa.String(length=32), nullable=True),
        sa.Column("region_province", sa.String(length=32), nullable=True),
        sa.Column("region_city", sa.String(length=32), nullable=True),
        sa.Column("language", sa.String(length=8), nullable=True),
        sa.Column("category", sa.String(length=64), nullable=True),
        sa.Column("profile_submitted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("appid", sa.String(length=18), nullable=True),
        sa.Column("secret_hash", sa.String(length=64), nullable=True),
        sa.Column("original_id", sa.String(length=15), nullable=True),
        sa.Column("approved_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("wechat_id", sa.String(length=20), nullable=True),
        sa.Column("login_email_changed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("avatar_changed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_login_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("failed_logins", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("failed_login_window_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("login_locked_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("terminated_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("termination_reason", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_accounts")),
        sa.UniqueConstraint("appid", name=op.f("uq_accounts_appid")),
        sa.UniqueConstraint("original_id", name=op.f("uq_accounts_original_id")),
        sa.UniqueConstraint("wechat_id", name=op.f("uq_accounts_wechat_id")),
        schema="registration",
    )
    op.create_index(
        "ix_accounts_operator_id_number",
        "accounts",
        ["operator_id_number"],
        unique=False,
        schema="registration",
    )
    op.create_index(
        "ix_accounts_operator_phone", "accounts", ["operator_phone"], unique=False, schema="registration"
    )
    op.create_index(
        "ix_accounts_status_namespace",
        "accounts",
        ["status", "namespace"],
        unique=False,
        schema="registration",
    )
    op.create_index(
        "uq_accounts_live_email",
        "accounts",
        [sa.literal_column("lower(email)")],
        unique=True,
        schema="registration",
        postgresql_where=sa.text("status <> 'terminated'"),
    )
    op.create_table(
        "captchas",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("namespace", sa.String(length=64), nullable=False),
        sa.Column("answer", sa.String(length=8), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_captchas")),
        schema="registration",
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
        schema="registration",
    )
    op.create_index(
        "ix_pending_messages_undelivered",
        "pending_messages",
        ["created_at"],
        unique=False,
        schema="registration",
        postgresql_where=sa.text("delivered_at IS NULL"),
    )
    op.create_table(
        "access_tokens",
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("account_id", sa.String(length=40), nullable=False),
        sa.Column("pool", sa.String(length=10), nullable=False),
        sa.Column("token", sa.Text(), nullable=True),
        sa.Column("issued_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("valid_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("forced", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["registration.accounts.id"],
            name=op.f("fk_access_tokens_account_id_accounts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("token_hash", name=op.f("pk_access_tokens")),
        schema="registration",
    )
    op.create_index(
        "ix_access_tokens_account_pool",
        "access_tokens",
        ["account_id", "pool", "issued_at"],
        unique=False,
        schema="registration",
    )
    op.create_table(
        "activation_tokens",
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("account_id", sa.String(length=40), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("is_resend", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("voided_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["registration.accounts.id"],
            name=op.f("fk_activation_tokens_account_id_accounts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("token_hash", name=op.f("pk_activation_tokens")),
        schema="registration",
    )
    op.create_index(
        op.f("ix_activation_tokens_account_id"),
        "activation_tokens",
        ["account_id"],
        unique=False,
        schema="registration",
    )
    op.create_table(
        "documents",
        sa.Column("account_id", sa.String(length=40), nullable=False),
        sa.Column("kind", sa.String(length=30), nullable=False),
        sa.Column("format", sa.String(length=10), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.Column("uploaded_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["registration.accounts.id"],
            name=op.f("fk_documents_account_id_accounts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("account_id", "kind", name=op.f("pk_documents")),
        schema="registration",
    )
    op.create_table(
        "reviews",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("account_id", sa.String(length=40), nullable=False),
        sa.Column("namespace", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=20), server_default=sa.text("'registration'"), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("submitted_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("deadline", sa.DateTime(timezone=True), nullable=False),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("decided_by", sa.String(length=20), nullable=True),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["registration.accounts.id"],
            name=op.f("fk_reviews_account_id_accounts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reviews")),
        schema="registration",
    )
    op.create_index(
        "ix_reviews_status_deadline", "reviews", ["status", "deadline"], unique=False, schema="registration"
    )
    op.create_index(
        "uq_reviews_one_pending",
        "reviews",
        ["account_id"],
        unique=True,
        schema="registration",
        postgresql_where=sa.text("status = 'pending'"),
    )
    op.create_table(
        "sessions",
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("account_id", sa.String(length=40), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["registration.accounts.id"],
            name=op.f("fk_sessions_account_id_accounts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("token_hash", name=op.f("pk_sessions")),
        schema="registration",
    )
    op.create_index(
        op.f("ix_sessions_account_id"), "sessions", ["account_id"], unique=False, schema="registration"
    )
    op.create_table(
        "sms_codes",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("account_id", sa.String(length=40), nullable=False),
        sa.Column("phone", sa.String(length=11), nullable=False),
        sa.Column("code_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("wrong_tries", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["registration.accounts.id"],
            name=op.f("fk_sms_codes_account_id_accounts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sms_codes")),
        schema="registration",
    )
    op.create_index(
        op.f("ix_sms_codes_account_id"), "sms_codes", ["account_id"], unique=False, schema="registration"
    )
    op.create_index(
        "ix_sms_codes_phone_created_at",
        "sms_codes",
        ["phone", "created_at"],
        unique=False,
        schema="registration",
    )


def downgrade() -> None:
    op.drop_index("ix_sms_codes_phone_created_at", table_name="sms_codes", schema="registration")
    op.drop_index(op.f("ix_sms_codes_account_id"), table_name="sms_codes", schema="registration")
    op.drop_table("sms_codes", schema="registration")
    op.drop_index(op.f("ix_sessions_account_id"), table_name="sessions", schema="registration")
    op.drop_table("sessions", schema="registration")
    op.drop_index(
        "uq_reviews_one_pending",
        table_name="reviews",
        schema="registration",
        postgresql_where=sa.text("status = 'pending'"),
    )
    op.drop_index("ix_reviews_status_deadline", table_name="reviews", schema="registration")
    op.drop_table("reviews", schema="registration")
    op.drop_table("documents", schema="registration")
    op.drop_index(
        op.f("ix_activation_tokens_account_id"), table_name="activation_tokens", schema="registration"
    )
    op.drop_table("activation_tokens", schema="registration")
    op.drop_index("ix_access_tokens_account_pool", table_name="access_tokens", schema="registration")
    op.drop_table("access_tokens", schema="registration")
    op.drop_index(
        "ix_pending_messages_undelivered",
        table_name="pending_messages",
        schema="registration",
        postgresql_where=sa.text("delivered_at IS NULL"),
    )
    op.drop_table("pending_messages", schema="registration")
    op.drop_table("captchas", schema="registration")
    op.drop_index(
        "uq_accounts_live_email",
        table_name="accounts",
        schema="registration",
        postgresql_where=sa.text("status <> 'terminated'"),
    )
    op.drop_index("ix_accounts_status_namespace", table_name="accounts", schema="registration")
    op.drop_index("ix_accounts_operator_phone", table_name="accounts", schema="registration")
    op.drop_index("ix_accounts_operator_id_number", table_name="accounts", schema="registration")
    op.drop_table("accounts", schema="registration")
