"""Fake services on real loopback ports: they record what the gateway forwarded and answer as told."""

from __future__ import annotations

import asyncio
import hashlib
import json
import socket
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs

import uvicorn
from starlette.types import Receive, Scope, Send

ACCOUNT = {
    "account_id": "acc-1",
    "namespace": "default",
    "status": "approved",
    "type": "service",
    "appid": "wx0123456789abcdef",
    "name": "交通违法缴款",
}
INVALID_TOKEN = {"errcode": 40001, "errmsg": "invalid credential, access_token is invalid or not latest"}


@dataclass
class Seen:
    method: str
    path: str
    query: str
    headers: dict[str, str]
    body_length: int
    body_sha256: str


@dataclass
class FakeService:
    """One fake service. Registration's fake also answers the two introspection calls."""

    name: str
    seen: list[Seen] = field(default_factory=list)
    # access_token → answer of /internal/auth/token; absent → 40001
    tokens: dict[str, dict[str, Any]] = field(default_factory=dict)
    # Authorization value → answer of /internal/auth/session; absent → 401
    sessions: dict[str, dict[str, Any]] = field(default_factory=dict)
    # Authorization value → the 410 body of a terminated account's session
    terminated: dict[str, dict[str, Any]] = field(default_factory=dict)
    introspections: int = 0
    openapi: dict[str, Any] = field(default_factory=dict)
    url: str = ""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        assert scope["type"] == "http"
        digest, length, more = hashlib.sha256(), 0, True
        while more:
            message = await receive()
            chunk = message.get("body", b"")
            digest.update(chunk)
            length += len(chunk)
            more = message.get("more_body", False)
        headers = {k.decode(): v.decode() for k, v in scope["headers"]}
        query = scope["query_string"].decode()
        path = scope["path"]
        status, body = 200, None
        if path == "/internal/auth/token":
            self.introspections += 1
            token = parse_qs(query).get("access_token", [""])[0]
            body = self.tokens.get(token, INVALID_TOKEN)
        elif path == "/internal/auth/session":
            self.introspections += 1
            authorization = headers.get("authorization", "")
            answer = self.sessions.get(authorization)
            status, body = (200, answer) if answer else (401, {"error": {"code": "unauthorized"}})
            if authorization in self.terminated:
                status, body = 410, self.terminated[authorization]
        elif path == "/readyz":
            body = {
                "service": self.name,
                "status": "ok",
                "version": "0.1.0",
                "database": "ok",
                "migrations": {"current": "a1", "head": "a1", "at_head": True},
            }
        elif path == "/openapi.json":
            body = self.openapi
        else:
            self.seen.append(Seen(scope["method"], path, query, headers, length, digest.hexdigest()))
            body = {"service": self.name, "path": path, "length": length, "sha256": digest.hexdigest()}
        payload = json.dumps(body, ensure_ascii=False).encode()
        await send(
            {
                "type": "http.response.start",
                "status": status,
                "headers": [(b"content-type", b"application/json"), (b"x-request-id", b"upstream-own")],
            }
        )
        await send({"type": "http.response.body", "body": payload})

    @property
    def last(self) -> Seen:
        return self.seen[-1]


def free_port() -> int:
    """A port nobody listens on: connecting to it is refused, like a service that is down."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


@asynccontextmanager
async def serving(app: Any, port: int = 0) -> AsyncIterator[str]:
    """Runs an ASGI app under uvicorn on 127.0.0.1 in this event loop; yields its base URL."""
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", port))
    port = sock.getsockname()[1]
    config = uvicorn.Config(app, log_level="warning", lifespan="off", ws="none", access_log=False)
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve(sockets=[sock]))
    while not server.started:  # noqa: ASYNC110 - uvicorn exposes a flag, not an event
        await asyncio.sleep(0.01)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await task
        sock.close()


def openapi_of(service: str, path: str) -> dict[str, Any]:
    """A service's document: one public path, one internal path, a shared and a clashing schema."""
    ref = {"$ref": "#/components/schemas/Answer"}
    return {
        "openapi": "3.1.0",
        "info": {"title": service, "version": "0.1.0"},
        "paths": {
            path: {"get": {"responses": {"200": {"content": {"application/json": {"schema": ref}}}}}},
            "/internal/secret": {"get": {"responses": {"200": {"description": "internal"}}}},
            "/readyz": {"get": {"responses": {"200": {"description": "ready"}}}},
        },
        "components": {
            "schemas": {
                "Answer": {"type": "object", "properties": {service: {"type": "string"}}},
                "HTTPValidationError": {"type": "object"},
            }
        },
    }
