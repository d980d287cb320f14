"""Response shapes of mass send's console and control plane (times are ISO 8601 strings, Asia/Shanghai).

Optional fields without a default value in the answer (`text` / `media_id`, `content` / `media_ids`)
appear only for the message types that have them: the endpoints answer with `exclude_unset`.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel


class MassSendView(BaseModel):
    """A send as the console sees it (`/api/v1/mass-sends`)."""

    msg_id: int
    msg_data_id: int | None
    status: str
    msgtype: str
    audience: dict[str, Any]
    folder: str
    source: str
    clientmsgid: str | None
    total_count: int
    filter_count: int
    sent_count: int
    error_count: int
    created_at: str
    finished_at: str | None
    text: str | None = None  # text sends only
    media_id: str | None = None  # every other type


class InboxItem(BaseModel):
    """One mass message a follower received (R-MSG-24)."""

    msg_id: int
    folder: str
    msgtype: str
    from_appid: str | None
    delivered_at: str
    deleted: bool
    content: str | None = None  # text messages only
    media_id: str | None = None  # every other type
    media_ids: list[str] | None = None  # a send of several images


class FollowerInbox(BaseModel):
    openid: str
    items: list[InboxItem]
