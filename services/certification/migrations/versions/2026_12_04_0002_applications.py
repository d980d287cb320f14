"""certification: applications and their review, yearly validity, unique live names, notices

Revision ID: certification_0002
Revises: certification_0001
Create Date: 2026-12-04
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "certification_0002"
down_revision: str | None = "certification_0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

S = "certification"
TS = sa.DateTime(timezone=True)


def _add(column: sa.Column[object]) -> None:
    op.add_column("certifications", column, schema=S)


def upgrade() -> None:
    _add(sa.Column("namespace", sa.String(64), server_default=sa.text("'default'"), nullable=False))
    _add(sa.Column("application_id", sa.String(40), nullable=True))
    _add(sa.Column("institution_name", sa.String(64), server_default=sa.text("''"), nullable=False))
    _add(sa.Column("expires_at", TS, nullable=True))
    _add(sa.Column("status", sa.String(12), server_default=sa.text("'active'"), nullable=False))
    _add(sa.Column("ended_at", TS, nullable=True))
    _add(sa.Column("end_reason", sa.String(40), nullable=True))
    _add(sa.Column("notify_email", sa.String(254), nullable=True))
    _add(sa.Column("notice_90_for", TS, nullable=True))
    _add(sa.Column("notice_30_for", TS, nullable=True))
    # Certifications recorded before validity existed run one year from their grant (R-CER-07).
    op.execute(f"UPDATE {S}.certifications SET expires_at = certified_at + interval '1 year'")
    op.alter_column("certifications", "expires_at", nullable=False, schema=S)
    # Only the latest holder of a name stays active, so the unique index can be built (R-CER-04).
    op.execute(
        f"""UPDATE {S}.certifications c
            SET status = 'lapsed', ended_at = c.certified_at, end_reason = 'superseded'
            WHERE EXISTS (SELECT 1 FROM {S}.certifications n WHERE n.namespace = c.namespace
                          AND n.certified_name = c.certified_name
                          AND (n.certified_at, n.account_id) > (c.certified_at, c.account_id))"""
    )
    op.create_index(
        "uq_certifications_live_name",
        "certifications",
        ["namespace", "certified_name"],
        unique=True,
        schema=S,
        postgresql_where=sa.text("status = 'active'"),
    )
    op.create_index(
        "ix_certifications_active_expiry",
        "certifications",
        ["expires_at"],
        schema=S,
        postgresql_where=sa.text("status = 'active'"),
    )
    op.create_table(
        "applications",
        sa.Column("id", sa.String(40), nullable=False),
        sa.Column("review_id", sa.String(40), nullable=False),
        sa.Column("account_id", sa.String(40), nullable=False),
        sa.Column("namespace", sa.String(64), nullable=False),
        sa.Column("kind", sa.String(10), nullable=False),
        sa.Column("status", sa.String(12), nullable=False),
        sa.Column("certified_name", sa.String(64), nullable=False),
        sa.Column("institution_name", sa.String(64), nullable=False),
        sa.Column("form", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("notify_email", sa.String(254), nullable=True),
        sa.Column("submitted_at", TS, nullable=False),
        sa.Column("deadline", TS, nullable=False),
        sa.Column("decided_at", TS, nullable=True),
        sa.Column("decided_by", sa.String(20), nullable=True),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_applications")),
        sa.UniqueConstraint("review_id", name=op.f("uq_applications_review_id")),
        schema=S,
    )
    op.create_index(
        "uq_applications_one_pending",
        "applications",
        ["account_id"],
        unique=True,
        schema=S,
        postgresql_where=sa.text("status = 'pending'"),
    )
    op.create_index(
        "ix_applications_pending_deadline",
        "applications",
        ["deadline"],
        schema=S,
        postgresql_where=sa.text("status = 'pending'"),
    )
    op.create_index("ix_applications_account", "applications", ["account_id", "submitted_at"], schema=S)
    op.create_table(
        "application_files",
        sa.Column("application_id", sa.String(40), nullable=False),
        sa.Column("field", sa.String(40), nullable=False),
        sa.Column("format", sa.String(10), nullable=False),
        sa.Column("content_type", sa.String(40), nullable=False),
        sa.Column("filename", sa.String(255), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.ForeignKeyConstraint(
            ["application_id"],
            [f"{S}.applications.id"],
            name=op.f("fk_application_files_application_id_applications"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("application_id", "field", name=op.f("pk_application_files")),
        schema=S,
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
        sa.Column("created_at", TS, nullable=False),
        sa.Column("attempts", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("delivered_at", TS, nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pending_messages")),
        schema=S,
    )
    op.create_index(
        "ix_pending_messages_undelivered",
        "pending_messages",
        ["created_at"],
        schema=S,
        postgresql_where=sa.text("delivered_at IS NULL"),
    )


def downgrade() -> None:
    op.drop_table("pending_messages", schema=S)
    op.drop_table("application_files", schema=S)
    op.drop_table("applications", schema=S)
    op.drop_index("ix_certifications_active_expiry", table_name="certifications", schema=S)
    op.drop_index("uq_certifications_live_name", table_name="certifications", schema=S)
    for column in (
        "notice_30_for",
        "notice_90_for",
        "notify_email",
        "end_reason",
        "ended_at",
        "status",
        "expires_at",
        "institution_name",
        "application_id",
        "namespace",
    ):
        op.drop_column("certifications", column, schema=S)
