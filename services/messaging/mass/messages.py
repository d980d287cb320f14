"""What is sent (message) and to whom (target): parsed from the WeChat body or the console request."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from servicekit.text import text_units
from services.messaging.followers.rules import TAG_ID_MAX
from services.messaging.mass import errors, rules

MEDIA_MSGTYPES = ("image", "voice", "mpvideo", "mpnews")
# `video` is what one WeChat doc table says; every SDK sends `mpvideo` (reference §2.3).
MSGTYPE_ALIASES = {"video": "mpvideo"}


@dataclass(frozen=True)
class MassMessage:
    msgtype: str  # text | image | voice | mpvideo | mpnews
    content: str | None = None
    media_ids: tuple[str, ...] = ()
    extra: dict[str, Any] = field(default_factory=dict)  # video title/description

    @property
    def media_id(self) -> str | None:
        return self.media_ids[0] if self.media_ids else None


@dataclass(frozen=True)
class Target:
    """The audience of a send; stored with the job so a restarted fan-out selects the same people."""

    kind: str  # all | tag | openids | preview
    tag_id: int | None = None
    gender: int | None = None
    country: str | None = None
    province: str | None = None
    city: str | None = None
    openids: tuple[str, ...] = ()

    def as_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "tag_id": self.tag_id,
            "gender": self.gender,
            "country": self.country,
            "province": self.province,
            "city": self.city,
        }
        data = {k: v for k, v in data.items() if v is not None}
        if self.openids:
            data["openids"] = list(self.openids)
        return data

    @classmethod
    def from_json(cls, kind: str, data: dict[str, Any]) -> Target:
        return cls(
            kind=kind,
            tag_id=data.get("tag_id"),
            gender=data.get("gender"),
            country=data.get("country"),
            province=data.get("province"),
            city=data.get("city"),
            openids=tuple(data.get("openids", ())),
        )

    @property
    def narrowed(self) -> bool:
        """Gender or region filters drop people from the base audience (Total ≠ Filter)."""
        return any(v is not None for v in (self.gender, self.country, self.province, self.city))


def check_text(content: object) -> str:
    """R-MSG-21 and R-MSG-22 on a text send."""
    if not isinstance(content, str) or not content.strip():
        raise errors.empty_content()
    units = text_units(content)
    if units > rules.MAX_TEXT_UNITS:
        raise errors.content_too_long(units)
    refused = rules.unsupported_characters(content)
    if refused:
        raise errors.unsupported_language(refused)
    return content


def check_clientmsgid(value: object) -> str | None:
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise errors.bad_format("clientmsgid 必须是字符串", "clientmsgid")
    if rules.clientmsgid_too_long(value):
        raise errors.clientmsgid_too_long()
    return value


def normalize_msgtype(msgtype: object) -> str:
    if not isinstance(msgtype, str):
        raise errors.invalid_msgtype(msgtype)
    msgtype = MSGTYPE_ALIASES.get(msgtype, msgtype)
    if msgtype != "text" and msgtype not in MEDIA_MSGTYPES:
        raise errors.invalid_msgtype(msgtype)
    return msgtype


def _media_id(value: object) -> str:
    if not isinstance(value, str) or not value:
        raise errors.media_id_missing()
    return value


def _payload(body: dict[str, Any], key: str) -> dict[str, Any] | None:
    value = body.get(key)
    if value is None:
        return None
    if not isinstance(value, dict):
        raise errors.bad_format(f"{key} 必须是对象", key)
    return value


def parse_cgi_message(body: dict[str, Any]) -> MassMessage:
    """The message of a sendall/send/preview body (WeChat wire format, reference §2.2)."""
    msgtype = normalize_msgtype(body.get("msgtype"))
    if msgtype == "text":
        text = _payload(body, "text")
        return MassMessage("text", content=check_text((text or {}).get("content")))
    if msgtype == "image":
        images = _payload(body, "images")
        if images is not None and images.get("media_ids") is not None:
            ids = images["media_ids"]
            if not isinstance(ids, list) or not ids:
                raise errors.media_id_missing()
            return MassMessage("image", media_ids=tuple(_media_id(i) for i in ids))
        image = _payload(body, "image") or {}
        return MassMessage("image", media_ids=(_media_id(image.get("media_id")),))
    if msgtype == "mpvideo":
        video = _payload(body, "mpvideo") or _payload(body, "video") or {}
        extra = {k: video[k] for k in ("title", "description") if isinstance(video.get(k), str)}
        return MassMessage("mpvideo", media_ids=(_media_id(video.get("media_id")),), extra=extra)
    payload = _payload(body, msgtype) or {}
    return MassMessage(msgtype, media_ids=(_media_id(payload.get("media_id")),))


def console_message(
    msgtype: str, *, text: str | None, media_id: str | None, media_ids: list[str] | None
) -> MassMessage:
    """The message of `POST /api/v1/mass-sends`."""
    kind = normalize_msgtype(msgtype)
    if kind == "text":
        return MassMessage("text", content=check_text(text))
    ids = tuple(media_ids) if media_ids else ((media_id,) if media_id else ())
    if not ids:
        raise errors.media_id_missing()
    return MassMessage(kind, media_ids=tuple(_media_id(i) for i in ids))


def parse_sendall_target(body: dict[str, Any]) -> Target:
    """`filter.is_to_all`, else `filter.tag_id` or wechatpy's legacy `filter.group_id` (reference §9.4)."""
    flt = body.get("filter")
    if not isinstance(flt, dict):
        raise errors.bad_format("缺少 filter", "filter")
    if flt.get("is_to_all") is True:
        return Target("all")
    tag_id = flt.get("tag_id", flt.get("group_id"))
    if isinstance(tag_id, str) and tag_id.isdigit():
        tag_id = int(tag_id)
    if not isinstance(tag_id, int) or isinstance(tag_id, bool) or not 0 <= tag_id <= TAG_ID_MAX:
        raise errors.invalid_tag(tag_id)
    return Target("tag", tag_id=tag_id)


def parse_send_target(body: dict[str, Any]) -> Target:
    touser = body.get("touser")
    if not isinstance(touser, list) or not all(isinstance(o, str) for o in touser):
        raise errors.invalid_openid_list()
    openids = tuple(dict.fromkeys(touser))
    if not rules.openid_list_size_ok(len(openids)):
        raise errors.invalid_openid_list()
    return Target("openids", openids=openids)
