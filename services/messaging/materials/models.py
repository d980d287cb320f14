"""Materials and media (素材): every uploaded file, news item and mass-send video of an account.

One table for temporary media (3-day life, `expires_at` set) and permanent materials, so a mass send
resolves any media id with one lookup. Other parts read it through `materials.service`.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, DateTime, Float, Index, Integer, LargeBinary, String, Text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from services.messaging.base import Base

TS = DateTime(timezone=True)


class Material(Base):
    __tablename__ = "materials"
    __table_args__ = (Index("ix_materials_account_id_type_permanent", "account_id", "type", "permanent"),)

    media_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    account_id: Mapped[str] = mapped_column(String(40))
    namespace: Mapped[str] = mapped_column(String(64))
    # image | voice | video | thumb | news | mpvideo | uploadimg
    type: Mapped[str] = mapped_column(String(16))
    permanent: Mapped[bool] = mapped_column(Boolean)
    filename: Mapped[str | None] = mapped_column(Text)
    content_type: Mapped[str | None] = mapped_column(String(100))
    size: Mapped[int] = mapped_column(Integer)
    # Up to 20 MB: loaded only when the bytes are served (`undefer`), never by listings.
    data: Mapped[bytes | None] = mapped_column(LargeBinary, deferred=True, deferred_raiseload=True)
    title: Mapped[str | None] = mapped_column(Text)
    description: Mapped[str | None] = mapped_column(Text)
    articles: Mapped[list[dict[str, Any]] | None] = mapped_column(JSONB)
    source_media_id: Mapped[str | None] = mapped_column(String(64))
    url: Mapped[str | None] = mapped_column(Text)
    duration_seconds: Mapped[float | None] = mapped_column(Float)
    created_at: Mapped[datetime] = mapped_column(TS)
    expires_at: Mapped[datetime | None] = mapped_column(TS)
