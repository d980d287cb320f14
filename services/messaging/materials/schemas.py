"""Response shapes of the console's material library (`created_at`: ISO 8601 string, Asia/Shanghai)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel


class MaterialView(BaseModel):
    media_id: str
    type: str
    permanent: bool
    filename: str | None
    content_type: str | None
    size: int
    title: str | None
    introduction: str | None
    url: str | None
    duration_seconds: float | None
    articles: list[dict[str, Any]] | None
    created_at: str


class MaterialPage(BaseModel):
    total: int
    items: list[MaterialView]
