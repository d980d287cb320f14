"""Custom-menu rules (reference §4) as pure functions: 1–3 buttons, 1–5 sub-buttons, byte limits.

Top-level and sub-button errors have their own codes (40016–40027): the first broken rule found,
walking the menu in order, is the one reported.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from servicekit.errors import CgiError

MAX_BUTTONS, MAX_SUB_BUTTONS = 3, 5
NAME_BYTES, SUB_NAME_BYTES = 16, 60
KEY_BYTES, URL_BYTES = 128, 1024

KEY_TYPES = frozenset(
    {
        "click",
        "scancode_push",
        "scancode_waitmsg",
        "pic_sysphoto",
        "pic_photo_or_album",
        "pic_weixin",
        "location_select",
    }
)
MEDIA_TYPES = frozenset({"media_id", "view_limited"})
ARTICLE_TYPES = frozenset({"article_id", "article_view_limited"})
TYPES = KEY_TYPES | MEDIA_TYPES | ARTICLE_TYPES | {"view", "miniprogram"}


@dataclass(frozen=True)
class Codes:
    """The errcodes of one menu level."""

    count: int
    type: int
    name: int
    key: int
    url: int
    url_scheme: int


TOP = Codes(count=40016, type=40017, name=40018, key=40019, url=40020, url_scheme=40055)
SUB = Codes(count=40023, type=40024, name=40025, key=40026, url=40027, url_scheme=40054)
SUB_LEVEL, SUB_MISSING = 40022, 41007


def _bytes(value: object) -> int | None:
    return len(value.encode("utf-8")) if isinstance(value, str) else None


def _text(button: dict[str, Any], field: str, limit: int, errcode: int) -> str:
    size = _bytes(button.get(field))
    if size is None or not 0 < size <= limit:
        raise CgiError(errcode)
    return str(button[field])


def _url(button: dict[str, Any], codes: Codes) -> str:
    """A page the button opens: http or https with a host, ≤ 1024 bytes (never `javascript:`)."""
    url = _text(button, "url", URL_BYTES, codes.url)
    try:
        parsed = urlsplit(url)
    except ValueError:  # e.g. an unclosed IPv6 bracket
        raise CgiError(codes.url_scheme) from None
    if (
        parsed.scheme.lower() not in ("http", "https")
        or not parsed.hostname
        or any(ch <= " " or ch == "\x7f" for ch in url)
    ):
        raise CgiError(codes.url_scheme)
    return url


def _action(button: dict[str, Any], codes: Codes) -> dict[str, Any]:
    """A button that does something: its type and the fields that type needs."""
    kind = button.get("type")
    if kind not in TYPES:
        raise CgiError(codes.type)
    action: dict[str, Any] = {"type": kind}
    if kind in KEY_TYPES:
        action["key"] = _text(button, "key", KEY_BYTES, codes.key)
    elif kind == "view":
        action["url"] = _url(button, codes)
    elif kind == "miniprogram":  # `url`: the page shown by clients that cannot open mini programs
        action["url"] = _url(button, codes)
        for field in ("appid", "pagepath"):
            if not isinstance(button.get(field), str) or not button[field]:
                raise CgiError(40035, f"invalid args: miniprogram button needs {field}")
            action[field] = button[field]
    elif kind in MEDIA_TYPES:
        if not isinstance(button.get("media_id"), str) or not button["media_id"]:
            raise CgiError(40007)
        action["media_id"] = button["media_id"]
    else:
        if not isinstance(button.get("article_id"), str) or not button["article_id"]:
            raise CgiError(40035, "invalid args: article_id is required")
        action["article_id"] = button["article_id"]
    return action


def _sub_button(button: object) -> dict[str, Any]:
    if not isinstance(button, dict):
        raise CgiError(47001)
    if button.get("sub_button"):
        raise CgiError(SUB_LEVEL)
    name = _text(button, "name", SUB_NAME_BYTES, SUB.name)
    return {"name": name, **_action(button, SUB)}


def _top_button(button: object) -> dict[str, Any]:
    if not isinstance(button, dict):
        raise CgiError(47001)
    name = _text(button, "name", NAME_BYTES, TOP.name)
    subs = button.get("sub_button")
    if subs is None or subs == []:
        if "type" not in button:
            raise CgiError(SUB_MISSING)
        return {"name": name, **_action(button, TOP)}
    if not isinstance(subs, list) or len(subs) > MAX_SUB_BUTTONS:
        raise CgiError(SUB.count)
    return {"name": name, "sub_button": [_sub_button(sub) for sub in subs]}


def check_menu(body: dict[str, Any]) -> list[dict[str, Any]]:
    """The `button` list of a menu/create body, checked and reduced to the fields WeChat keeps."""
    buttons = body.get("button")
    if not isinstance(buttons, list) or not 1 <= len(buttons) <= MAX_BUTTONS:
        raise CgiError(TOP.count)
    return [_top_button(button) for button in buttons]


def media_ids(buttons: list[dict[str, Any]]) -> list[str]:
    """The media ids a menu's media_id/view_limited buttons point at (they must be the account's)."""
    found = []
    for button in buttons:
        for item in button.get("sub_button", [button]):
            if "media_id" in item:
                found.append(str(item["media_id"]))
    return found


def as_menu_get(buttons: list[dict[str, Any]], menuid: int) -> dict[str, Any]:
    """`menu/get`: every button carries `sub_button` (empty for a leaf), as WeChat answers."""
    shaped = [
        {**button, "sub_button": [{**sub, "sub_button": []} for sub in button.get("sub_button", [])]}
        for button in buttons
    ]
    return {"menu": {"button": shaped, "menuid": menuid}}


def as_selfmenu_info(buttons: list[dict[str, Any]] | None) -> dict[str, Any]:
    """`get_current_selfmenu_info`: sub-buttons as an object `{"list": […]}`."""
    if not buttons:
        return {"is_menu_open": 0, "selfmenu_info": {"button": []}}
    shaped = [
        {"name": b["name"], "sub_button": {"list": b["sub_button"]}} if "sub_button" in b else b
        for b in buttons
    ]
    return {"is_menu_open": 1, "selfmenu_info": {"button": shaped}}
