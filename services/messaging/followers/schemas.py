"""Response shapes of the followers' console and control plane (times: ISO 8601 strings, Asia/Shanghai)."""

from __future__ import annotations

from pydantic import BaseModel


class FollowerView(BaseModel):
    openid: str
    subscribed: bool
    subscribe_time: str
    unsubscribe_time: str | None
    gender: int
    country: str
    province: str
    city: str
    language: str
    remark: str
    tag_ids: list[int]


class FollowerPage(BaseModel):
    """One page of the console's follower list; `next_cursor` is opaque, None on the last page."""

    total: int
    items: list[FollowerView]
    next_cursor: str | None
