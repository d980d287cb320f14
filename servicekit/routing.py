"""Request helpers shared by services: the WeChat-style JSON body, parsed whatever its Content-Type."""

from __future__ import annotations

import json
from typing import Any

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

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


class JsonBodyByDefault:
    """Treat every body that is not multipart as JSON (SPEC §2: "parsed whatever the Content-Type"),
    and refuse one over `MAX_JSON_BODY` with 413 before it is read whole.

    Clients like wechatpy send no Content-Type, a bare `curl -d '{…}'` sends form-urlencoded, a
    browser's `fetch` with a string body text/plain. No endpoint here takes forms, text or XML;
    multipart (the uploads, limited by `servicekit.uploads`) passes through untouched."""

    def __init__(self, app: ASGIApp, *, limit: int = MAX_JSON_BODY) -> None:
        self.app = app
        self.limit = limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] not in ("POST", "PUT", "PATCH", "DELETE"):
            await self.app(scope, receive, send)
            return
        headers = scope["headers"]
        content_type = next((v for k, v in headers if k == b"content-type"), b"")
        if content_type.lower().startswith(b"multipart/"):
            await self.app(scope, receive, send)
            return
        if not content_type.lower().startswith(b"application/json"):
            rest = [(k, v) for k, v in headers if k != b"content-type"]
            scope = {**scope, "headers": [*rest, (b"content-type", b"application/json")]}
        declared = next((v for k, v in headers if k == b"content-length"), b"")
        limit = self.limit
        received = 0

        async def limited_receive() -> Message:
            # Raised while the endpoint reads its body, where FastAPI lets an HTTPException through
            # to the one handler (413 payload_too_large; errcode 47001 on /cgi-bin).
            nonlocal received
            if declared.isdigit() and int(declared) > limit:
                raise HTTPException(413, "请求体过大")
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise HTTPException(413, "请求体过大")
            return message

        await self.app(scope, limited_receive, send)
