"""Request helpers shared by services: the WeChat-style JSON body, parsed whatever its Content-Type."""

from __future__ import annotations

import json
from typing import Any

from starlette.requests import Request
from starlette.types import ASGIApp, Receive, Scope, Send

from servicekit.errors import CgiError

MAX_JSON_BODY = 2 * 1024 * 1024


async def cgi_json(request: Request, *, limit: int = MAX_JSON_BODY) -> dict[str, Any]:
    """The body of a `/cgi-bin` POST as a JSON object (wechatpy sends no Content-Type).

    Empty → 44002 (empty post data); too large, not JSON or not an object → 47001 (data format error).
    """
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise CgiError(47001, "data format error: body too large")
        chunks.append(chunk)
    raw = b"".join(chunks)
    if not raw.strip():
        raise CgiError(44002)
    try:
        body = json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        raise CgiError(47001) from None
    if not isinstance(body, dict):
        raise CgiError(47001)
    return body


_KEPT_TYPES = (b"multipart/", b"application/json")


class JsonBodyByDefault:
    """Treat every body that is not multipart as JSON (SPEC §2: "parsed whatever the Content-Type").

    Clients like wechatpy send no Content-Type, a bare `curl -d '{…}'` sends form-urlencoded, a
    browser's `fetch` with a string body text/plain. No endpoint here takes forms, text or XML;
    multipart (the uploads) passes through untouched."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] in ("POST", "PUT", "PATCH", "DELETE"):
            headers = scope["headers"]
            content_type = next((v for k, v in headers if k == b"content-type"), None)
            if content_type is None or not content_type.lower().startswith(_KEPT_TYPES):
                rest = [(k, v) for k, v in headers if k != b"content-type"]
                scope = {**scope, "headers": [*rest, (b"content-type", b"application/json")]}
        await self.app(scope, receive, send)
