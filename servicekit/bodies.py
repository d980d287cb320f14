"""Request helpers shared by services: the WeChat-style JSON body, parsed whatever its Content-Type."""

from __future__ import annotations

import json
from typing import Any

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from servicekit import jsonbody
from servicekit.errors import BadRequest, CgiError, SandboxError
from servicekit.jsonbody import MAX_JSON_BODY


class BodyRefused(HTTPException):
    """A body refused while the endpoint reads it. An HTTPException, because FastAPI lets only those
    through its body parsing unchanged; the one error handler renders `error` (SPEC §2 / errcode)."""

    def __init__(self, error: SandboxError) -> None:
        super().__init__(error.instance_status, error.instance_message)
        self.error = error


def refusal(exc: jsonbody.JsonRefused) -> SandboxError:
    """The answer to a refused JSON text: too deep is malformed JSON, a lone surrogate a bad value."""
    if exc.reason == "invalid_unicode":
        return BadRequest(exc.message, code="invalid_value", errcode=47001)
    return BadRequest(exc.message, code="malformed_json", errcode=47001)


async def cgi_json(request: Request) -> dict[str, Any]:
    """The body of a `/cgi-bin` POST as a JSON object (wechatpy sends no Content-Type).

    `JsonBodyByDefault` (every app has it) has already bounded the body's size and checked it with
    `servicekit.jsonbody.check` while it was read. Empty → 44002 (empty post data); not JSON or not an
    object → 47001 (data format error).
    """
    raw = await request.body()
    if not raw.strip():
        raise CgiError(44002)
    try:
        body = json.loads(raw)
    except ValueError:
        raise CgiError(47001) from None
    if not isinstance(body, dict):
        raise CgiError(47001)
    return body


class JsonBodyByDefault:
    """Treat every body that is not multipart as JSON (SPEC §2: "parsed whatever the Content-Type"),
    and refuse one over `MAX_JSON_BODY` with 413 before it is read whole, or one that
    `servicekit.jsonbody.check` refuses (nested too deep, lone surrogates) before it is decoded.

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
        chunks: list[bytes] = []

        async def limited_receive() -> Message:
            # Raised while the endpoint reads its body, where FastAPI lets an HTTPException through
            # to the one handler (413 payload_too_large; errcode 47001 on /cgi-bin).
            nonlocal received
            if declared.isdigit() and int(declared) > limit:
                raise HTTPException(413, "请求体过大")
            message = await receive()
            if message["type"] == "http.request":
                chunk = message.get("body", b"")
                received += len(chunk)
                if received > limit:
                    raise HTTPException(413, "请求体过大")
                chunks.append(chunk)
                if not message.get("more_body", False):
                    try:
                        jsonbody.check(b"".join(chunks))
                    except jsonbody.JsonRefused as exc:
                        raise BodyRefused(refusal(exc)) from None
            return message

        await self.app(scope, limited_receive, send)
