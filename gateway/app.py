"""The gateway: `uvicorn gateway.app:app`. Routes and forwards at the ASGI level (docs/performance.md).

No framework runs per forwarded request: one pass over the headers, one route lookup, a cached
credential check, and the lean upstream client. Starlette serves only the gateway's own pages.
"""

from __future__ import annotations

import hmac
import logging
import time
from typing import Any
from urllib.parse import parse_qsl

from starlette.types import Message, Receive, Scope, Send

from gateway.auth import Authenticator
from gateway.config import GatewaySettings
from gateway.openapi import OpenApiDocument
from gateway.pages import build_pages
from gateway.proxy import Forwarder, Incoming, read_request
from gateway.replies import (
    CGI_NOT_FOUND,
    CGI_SYSTEM_ERROR,
    CGI_TOKEN_MISSING,
    INTERNAL_ERROR,
    INVALID_SANDBOX_KEY,
    NOT_FOUND,
    send_json,
    unavailable_body,
)
from gateway.routes import GATEWAY, REGISTRATION, Check, Route, resolve
from gateway.upstream import Pool, UpstreamError
from servicekit.access_log import AccessLog
from servicekit.heap import freeze_startup_heap
from servicekit.logs import configure_logging
from servicekit.supervised import exit_with_supervisor

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
# Answers that change which credentials are valid: the cache is cleared after them.
TOKEN_ISSUERS = frozenset({"/cgi-bin/token", "/cgi-bin/stable_token"})
LOGOUT_PREFIX = "/api/v1/sessions"
# An application may be approved on submission (the `instant` review policy): capabilities change at once.
CERTIFICATION_PREFIX = "/api/v1/certifications"
ACCESS_FORMAT = "rid=%s %s %s status=%s ms=%.1f to=%s"

log = logging.getLogger("gateway")


def access_token(query: bytes) -> str | None:
    if b"access_token=" not in query:
        return None
    for key, value in parse_qsl(query.decode("latin-1"), keep_blank_values=True):
        if key == "access_token":
            return value or None
    return None


class Gateway:
    def __init__(self, settings: GatewaySettings) -> None:
        self.settings = settings
        self.pools = {
            name: Pool(url, connect_timeout=settings.connect_timeout_seconds)
            for name, url in settings.peer_urls().items()
        }
        self.auth = Authenticator(
            self.pools[REGISTRATION],
            timeout=settings.peer_timeout_seconds,
            max_seconds=settings.auth_cache_max_seconds,
            size=settings.auth_cache_size,
        )
        self.admin_key = settings.admin_key.encode() if settings.admin_key else None
        self.forwarder = Forwarder(timeout=settings.upstream_timeout_seconds)
        self.openapi = OpenApiDocument(self.pools, timeout=settings.health_timeout_seconds * 2)
        self.pages = build_pages(
            self.pools, health_timeout=settings.health_timeout_seconds, openapi=self.openapi
        )
        self.access = AccessLog(logging.getLogger("gateway.access"), ACCESS_FORMAT)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            await self.handle(scope, receive, send)
        elif scope["type"] == "lifespan":
            await self.lifespan(receive, send)
        else:  # websockets: nothing behind the gateway speaks them
            await receive()
            await send({"type": "websocket.close", "code": 1008})

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        started = time.perf_counter()
        incoming = read_request(scope)
        route = resolve(scope["path"])
        status = 500
        try:
            status = await self.dispatch(scope, receive, send, route, incoming)
        except Exception:
            log.exception("gateway error on %s %s", scope["method"], scope["path"])
            status = 500
            await send_json(send, 500, INTERNAL_ERROR, incoming.request_id)
        finally:
            # The path only: query strings carry access tokens and secrets.
            access = self.access
            if access.enabled():
                access.add(
                    incoming.request_id,
                    scope["method"],
                    scope["path"],
                    status,
                    (time.perf_counter() - started) * 1000,
                    route.service if route else "-",
                )

    async def dispatch(
        self, scope: Scope, receive: Receive, send: Send, route: Route | None, incoming: Incoming
    ) -> int:
        path: str = scope["path"]
        rid = incoming.request_id
        cgi = path.startswith("/cgi-bin")
        if route is None:
            return await send_json(send, 200 if cgi else 404, CGI_NOT_FOUND if cgi else NOT_FOUND, rid)
        account: bytes | None = None
        on_answer = None
        method: str = scope["method"]
        check = route.check
        if check is Check.TOKEN:
            token = access_token(scope["query_string"])
            if token is None:
                return await send_json(send, 200, CGI_TOKEN_MISSING, rid)
            try:
                verdict = await self.auth.check_token(token, rid)
            except UpstreamError as exc:
                log.warning("token check failed: %s", exc)
                return await send_json(send, 503, CGI_SYSTEM_ERROR, rid)
            if verdict.relay is not None:
                return await send_json(send, 200, verdict.relay, rid)
            if verdict.account is None:
                return await send_json(send, 200, CGI_SYSTEM_ERROR, rid)
            account = verdict.account
        elif check is Check.SESSION:
            authorization = incoming.authorization
            if authorization is not None and authorization[:7].lower() == b"bearer ":
                try:
                    session = await self.auth.check_session(authorization, rid)
                except UpstreamError as exc:
                    log.warning("session check failed: %s", exc)
                    return await send_json(send, 503, exc.body or unavailable_body(REGISTRATION), rid)
                if session.relay is not None:
                    return await send_json(send, session.status, session.relay, rid)
                account = session.account
            if method == "DELETE" and path.startswith(LOGOUT_PREFIX):
                on_answer = self.auth.invalidate
            elif method not in SAFE_METHODS and path.startswith(CERTIFICATION_PREFIX):
                on_answer = self.auth.invalidate
        elif check is Check.ADMIN_KEY:
            key = incoming.sandbox_key
            if self.admin_key is None or key is None or not hmac.compare_digest(key, self.admin_key):
                return await send_json(send, 401, INVALID_SANDBOX_KEY, rid)
            if method not in SAFE_METHODS:
                on_answer = self.auth.invalidate
        elif path in TOKEN_ISSUERS:
            on_answer = self.auth.invalidate
        if route.service == GATEWAY:
            return await self.serve_page(scope, receive, send, rid)
        return await self.forwarder.forward(
            scope,
            receive,
            send,
            pool=self.pools[route.service],
            incoming=incoming,
            account=account,
            on_answer=on_answer,
            unavailable=CGI_SYSTEM_ERROR if cgi else unavailable_body(route.service),
        )

    async def serve_page(self, scope: Scope, receive: Receive, send: Send, request_id: bytes) -> int:
        status = 500

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message["headers"] = [*message.get("headers", []), (b"x-request-id", request_id)]
            await send(message)

        await self.pages(scope, receive, send_with_id)
        return status

    async def lifespan(self, receive: Receive, send: Send) -> None:
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                exit_with_supervisor()
                freeze_startup_heap()
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                self.close()
                await send({"type": "lifespan.shutdown.complete"})
                return

    def close(self) -> None:
        for pool in self.pools.values():
            pool.close()
        self.access.close()


def build_app(settings: GatewaySettings | None = None) -> Gateway:
    settings = settings or GatewaySettings()
    configure_logging(settings.log_level)
    return Gateway(settings)


def __getattr__(name: str) -> Any:
    # `gateway.app:app` is built on first access, so importing this module reads no environment.
    if name == "app":
        globals()["app"] = application = build_app()
        return application
    raise AttributeError(name)
