"""The custom menu (自定义菜单, SPEC §5.4): one default menu per account, kept as WeChat returns it."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, DateTime, Identity, String
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from services.messaging.base import Base


class Menu(Base):
    __tablename__ = "menus"

    account_id: Mapped[str] = mapped_column(String(40), primary_key=True)
    # A new id for every menu/create, as WeChat's `menuid`.
    menuid: Mapped[int] = mapped_column(BigInteger, Identity(start=400_000_001), unique=True)
    buttons: Mapped[list[dict[str, Any]]] = mapped_column(JSONB)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
