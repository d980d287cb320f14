"""Forwarding one request to its service: headers rewritten once, bodies streamed both ways."""

from __future__ import annotations

import logging
import random
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import quote

from starlette.types import Receive, Scope, Send

from gateway.replies import send_json
from gateway.upstream import Connection, Pool, UpstreamError, UpstreamTimeout

log = logging.getLogger("gateway.proxy")

# Hop-by-hop headers (RFC 9110 §7.6.1) and the ones the gateway sets itself. A client can never
# pass its own X-Sandbox-Account: that header is the gateway's word on who is calling.
_DROP_REQUEST = frozenset(
    {
        b"connection",
        b"keep-alive",
        b"proxy-connection",
        b"proxy-authorization",
        b"transfer-encoding",
        b"te",
        b"trailer",
        b"upgrade",
        b"expect",
        b"content-length",
        b"x-request-id",
        b"x-sandbox-account",
    }
)
# uvicorn adds its own date and server headers; the request id is the gateway's.
_DROP_RESPONSE = frozenset(
    {
        b"connection",
        b"keep-alive",
        b"proxy-connection",
        b"transfer-encoding",
        b"te",
        b"trailer",
        b"upgrade",
        b"date",
        b"server",
        b"x-request-id",
    }
)
CLIENT_GONE = 499  # logged only: nobody is left to answer
# Bodies up to this size (with a Content-Length) are read whole before the request is written.
SMALL_BODY = 64 * 1024


@dataclass(slots=True)
class Incoming:
    """What the gateway reads from the client's headers, in one pass."""

    lines: list[bytes]
    request_id: bytes
    sandbox_key: bytes | None
    authorization: bytes | None
    content_length: int | None
    chunked: bool
    has_host: bool


def new_request_id() -> bytes:
    """16 hex digits, like servicekit's, without uuid4's urandom call and UUID object per request.

    The module-level generator is seeded from the OS and reseeded in a forked child.
    """
    return b"%016x" % random.getrandbits(64)


def _valid_request_id(value: bytes) -> bool:
    return 0 < len(value) <= 64 and all(0x21 <= b <= 0x7E for b in value)


def read_request(scope: Scope) -> Incoming:
    lines: list[bytes] = []
    request_id = sandbox_key = authorization = connection = None
    content_length: int | None = None
    chunked = has_host = False
    for name, value in scope["headers"]:
        if name in _DROP_REQUEST:
            if name == b"x-request-id":
                request_id = value
            elif name == b"content-length":
                try:
                    content_length = int(value)
                except ValueError:
                    content_length = None
            elif name == b"transfer-encoding":
                chunked = b"chunked" in value.lower()
            elif name == b"connection":
                connection = value
            continue
        if name == b"x-sandbox-key":
            sandbox_key = value
        elif name == b"authorization":
            authorization = value
        elif name == b"host":
            has_host = True
        lines += (name, b": ", value, b"\r\n")
    if connection is not None:
        lines = _drop_connection_tokens(lines, connection)
    if request_id is None or not _valid_request_id(request_id):
        request_id = new_request_id()
    return Incoming(lines, request_id, sandbox_key, authorization, content_length, chunked, has_host)


def _drop_connection_tokens(lines: list[bytes], connection: bytes) -> list[bytes]:
    """Headers named in `Connection` are hop-by-hop too."""
    named = {t.strip().lower() for t in connection.split(b",")} - {b"keep-alive", b"close", b""}
    if not named:
        return lines
    kept: list[bytes] = []
    for i in range(0, len(lines), 4):
        if lines[i] not in named:
            kept += lines[i : i + 4]
    return kept


def _chunk(data: bytes) -> bytes:
    return b"%x\r\n%b\r\n" % (len(data), data)


class Forwarder:
    def __init__(self, *, timeout: float) -> None:
        self.timeout = timeout

    async def forward(
        self,
        scope: Scope,
        receive: Receive,
        send: Send,
        *,
        pool: Pool,
        incoming: Incoming,
        account: bytes | None,
        on_answer: Callable[[], None] | None,
        unavailable: bytes,
    ) -> int:
        """Relays the exchange and returns the status; `unavailable` is the 503 (or errcode) body."""
        method: str = scope["method"]
        target: bytes = scope.get("raw_path") or quote(scope["path"]).encode()
        if scope["query_string"]:
            target += b"?" + scope["query_string"]
        parts = [method.encode(), b" ", target, b" HTTP/1.1\r\n", *incoming.lines]
        parts += (b"x-request-id: ", incoming.request_id, b"\r\n")
        if account is not None:
            parts += (b"x-sandbox-account: ", account, b"\r\n")
        if not incoming.has_host:
            parts += (b"host: ", pool.authority, b"\r\n")

        body, more = b"", False
        if incoming.chunked or incoming.content_length:
            message = await receive()
            if message["type"] == "http.disconnect":
                return CLIENT_GONE
            body, more = message.get("body", b""), message.get("more_body", False)
            if more and incoming.content_length is not None and incoming.content_length <= SMALL_BODY:
                # A small body that came in pieces is gathered: one write, and safe to send again.
                pieces = [body]
                while more:
                    message = await receive()
                    if message["type"] == "http.disconnect":
                        return CLIENT_GONE
                    pieces.append(message.get("body", b""))
                    more = message.get("more_body", False)
                body = b"".join(pieces)
        chunked_upstream = more and incoming.content_length is None
        if chunked_upstream:
            parts.append(b"transfer-encoding: chunked\r\n\r\n")
            if body:
                parts.append(_chunk(body))
        else:
            length = incoming.content_length if more else len(body)
            if length or method not in ("GET", "HEAD", "DELETE", "OPTIONS"):
                parts += (b"content-length: ", str(length).encode(), b"\r\n")
            parts += (b"\r\n", body)
        head = b"".join(parts)

        conn: Connection | None = None
        try:
            # A kept-alive connection may have just been closed by the service: when nothing was
            # streamed yet and nothing came back, the same bytes go once more on a fresh one.
            for attempt in (0, 1):
                conn = pool.idle_connection() if attempt == 0 else None
                reused = conn is not None
                try:
                    if conn is None:
                        conn = await pool.connect()
                    conn.start(head, head_only=method == "HEAD", timeout=self.timeout)
                    abandoned = False
                    if more:
                        status = await self._stream_body(conn, receive, chunked_upstream)
                        if status == CLIENT_GONE:
                            return status
                        abandoned = status != 0
                    await conn.response_head()
                    break
                except UpstreamError as exc:
                    retry = reused and not more and conn is not None and not conn.received_any
                    if conn is not None:
                        conn.close()
                    if retry and not isinstance(exc, UpstreamTimeout):
                        continue
                    log.warning("upstream %s:%s: %s", pool.host, pool.port, exc)
                    return await _answer_unavailable(send, unavailable, incoming.request_id)
            assert conn is not None
            status = await self._relay(conn, send, pool, incoming.request_id, abandoned, on_answer)
            conn = None  # handed back to the pool (or closed) by _relay
            return status
        finally:
            if conn is not None:
                conn.close()

    async def _stream_body(self, conn: Connection, receive: Receive, chunked: bool) -> int:
        """Sends the rest of the body; 1 if the service answered early (e.g. 413), 0 when all sent."""
        more = True
        while more:
            if conn.headers_done or conn.error is not None:
                return 1
            message = await receive()
            if message["type"] == "http.disconnect":
                conn.close()
                return CLIENT_GONE
            data, more = message.get("body", b""), message.get("more_body", False)
            if chunked:
                data = (_chunk(data) if data else b"") + (b"" if more else b"0\r\n\r\n")
            if not data:
                continue
            try:
                drained = conn.write(data)
                if drained is not None:
                    await drained
            except UpstreamError:
                return 1
        return 0

    async def _relay(
        self,
        conn: Connection,
        send: Send,
        pool: Pool,
        request_id: bytes,
        abandoned: bool,
        on_answer: Callable[[], None] | None,
    ) -> int:
        status = conn.status
        headers = [(n, v) for n, v in conn.headers if n not in _DROP_RESPONSE]
        headers.append((b"x-request-id", request_id))
        if on_answer is not None:
            on_answer()
        taken = conn.take_body()
        await send({"type": "http.response.start", "status": status, "headers": headers})
        while True:
            if taken is None:
                try:
                    taken = await conn.read_body()
                except UpstreamError as exc:
                    # Too late for a 503: the client sees the connection end mid-body.
                    log.warning("upstream %s:%s broke mid-response: %s", pool.host, pool.port, exc)
                    conn.close()
                    raise
            data, more = taken
            await send({"type": "http.response.body", "body": data, "more_body": more})
            if not more:
                # Released only now: once in the pool, another request may take it at any await.
                if abandoned:
                    conn.close()
                else:
                    pool.release(conn)
                if on_answer is not None:
                    on_answer()
                return status
            taken = None


async def _answer_unavailable(send: Send, body: bytes, request_id: bytes) -> int:
    status = 200 if body.startswith(b'{"errcode"') else 503
    return await send_json(send, status, body, request_id)
