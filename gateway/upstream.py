"""A lean pooled HTTP/1.1 client for the four services: asyncio protocol + httptools parsing.

Measured against aiohttp and httpx (bench/gateway.py, docs/performance.md), a general-purpose client
costs more per request than the rest of the gateway together; this one does only what the
gateway needs: keep-alive reuse, streamed bodies both ways with flow control, and timeouts.
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
from collections.abc import Awaitable
from typing import cast
from urllib.parse import urlsplit

import httptools

# Upstream (uvicorn) closes idle keep-alive connections after 5 s; retire ours before that race.
MAX_IDLE_SECONDS = 4.0
MAX_IDLE_CONNECTIONS = 64
READ_HIGH_WATER = 256 * 1024


class UpstreamError(Exception):
    """The service could not be reached or broke the exchange (refused, reset, timeout, bad HTTP).

    `body` is the service's own 503 answer when it gave one (its database is down), to relay as is."""

    def __init__(self, message: str, *, body: bytes | None = None) -> None:
        super().__init__(message)
        self.body = body


class UpstreamTimeout(UpstreamError):
    pass


class Connection(asyncio.Protocol):
    """One keep-alive connection; carries one exchange at a time."""

    def __init__(self) -> None:
        self.transport: asyncio.Transport | None = None
        self.parser = httptools.HttpResponseParser(self)
        self.closed = False
        self.idle_since = 0.0
        self._loop = asyncio.get_running_loop()
        self._write_paused = False
        self._drain_waiter: asyncio.Future[None] | None = None
        self._reset_exchange()

    def _reset_exchange(self) -> None:
        self.status = 0
        self.headers: list[tuple[bytes, bytes]] = []
        self.chunks: list[bytes] = []
        self.buffered = 0
        self.headers_done = False
        self.complete = False
        self.received_any = False
        self.error: UpstreamError | None = None
        self.head_only = False
        self._framed = False  # content-length or chunked: otherwise the body ends at EOF
        self._keep_alive = False  # read at the head: llhttp forgets it once the message is complete
        self._informational = False
        self._waiter: asyncio.Future[None] | None = None
        self._timer: asyncio.TimerHandle | None = None

    # asyncio.Protocol
    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # uvloop's transports implement asyncio.Transport without subclassing it.
        self.transport = cast(asyncio.Transport, transport)

    def data_received(self, data: bytes) -> None:
        self.received_any = True
        try:
            self.parser.feed_data(data)
        except httptools.HttpParserError as exc:
            self._fail(UpstreamError(f"invalid HTTP from upstream: {exc}"))

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True
        if self.headers_done and not self.complete and not self._framed:
            self.complete = True  # a body delimited by the end of the connection
            self._wake()
        elif not self.complete:
            self._fail(UpstreamError(f"connection lost: {exc or 'closed by upstream'}"))
        if self._drain_waiter is not None and not self._drain_waiter.done():
            self._drain_waiter.set_result(None)

    def pause_writing(self) -> None:
        self._write_paused = True

    def resume_writing(self) -> None:
        self._write_paused = False
        if self._drain_waiter is not None and not self._drain_waiter.done():
            self._drain_waiter.set_result(None)

    # httptools callbacks
    def on_header(self, name: bytes, value: bytes) -> None:
        name = name.lower()
        if name == b"content-length" or name == b"transfer-encoding":
            self._framed = True
        self.headers.append((name, value))

    def on_headers_complete(self) -> None:
        status = self.parser.get_status_code()
        if status < 200 and status != 101:
            self._informational = True  # e.g. 100 Continue: the real answer follows
            self.headers = []
            self._framed = False
            return
        self.status = status
        self.headers_done = True
        self._keep_alive = self.parser.should_keep_alive()
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        if self.head_only:
            # httptools cannot be told a response has no body; the connection is not reused.
            self.complete = True
            self.closed = True
            if self.transport is not None:
                self.transport.close()
        self._wake()

    def on_body(self, body: bytes) -> None:
        self.chunks.append(body)
        self.buffered += len(body)
        if self.buffered > READ_HIGH_WATER and self.transport is not None:
            self.transport.pause_reading()
        self._wake()

    def on_message_complete(self) -> None:
        if self._informational:
            self._informational = False
            return
        self.complete = True
        self._wake()

    # the exchange, as the proxy sees it
    def start(self, head: bytes, *, head_only: bool, timeout: float) -> None:
        self._reset_exchange()
        self.head_only = head_only
        self._timer = self._loop.call_later(timeout, self._on_timeout)
        assert self.transport is not None
        self.transport.write(head)

    def write(self, data: bytes) -> Awaitable[None] | None:
        """Send more request body; returns an awaitable only when the upstream is slow to read."""
        if self.closed or self.transport is None:
            raise UpstreamError("connection closed while sending the request body")
        self.transport.write(data)
        if self._write_paused:
            self._drain_waiter = self._loop.create_future()
            return self._drain_waiter
        return None

    async def response_head(self) -> None:
        while not self.headers_done:
            if self.error is not None:
                raise self.error
            self._waiter = self._loop.create_future()
            await self._waiter
        if self.error is not None and not self.complete:
            raise self.error

    def take_body(self) -> tuple[bytes, bool] | None:
        """Whatever body is buffered and whether more follows, or None when the caller must wait."""
        if self.chunks:
            data = self.chunks[0] if len(self.chunks) == 1 else b"".join(self.chunks)
            self.chunks = []
            if self.buffered > READ_HIGH_WATER and self.transport is not None and not self.closed:
                self.transport.resume_reading()
            self.buffered = 0
            return data, not self.complete
        if self.complete:
            return b"", False
        if self.error is not None:
            raise self.error
        return None

    async def read_body(self) -> tuple[bytes, bool]:
        while True:
            taken = self.take_body()
            if taken is not None:
                return taken
            self._waiter = self._loop.create_future()
            await self._waiter

    async def read_all(self) -> bytes:
        parts = []
        more = True
        while more:
            data, more = await self.read_body()
            parts.append(data)
        return b"".join(parts)

    @property
    def reusable(self) -> bool:
        return self.complete and not self.closed and self.error is None and self._framed and self._keep_alive

    def close(self) -> None:
        self.closed = True
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        if self.transport is not None:
            self.transport.close()

    def _wake(self) -> None:
        waiter = self._waiter
        if waiter is not None and not waiter.done():
            waiter.set_result(None)

    def _fail(self, error: UpstreamError) -> None:
        if self.error is None:
            self.error = error
        self.close()
        self._wake()

    def _on_timeout(self) -> None:
        self._timer = None
        self._fail(UpstreamTimeout("upstream did not answer in time"))


class Pool:
    """Keep-alive connections to one service (LIFO: the warmest connection first)."""

    def __init__(self, base_url: str, *, connect_timeout: float) -> None:
        parts = urlsplit(base_url)
        self.host = parts.hostname or "127.0.0.1"
        self.port = parts.port or 80
        self.authority = f"{self.host}:{self.port}".encode()
        self.connect_timeout = connect_timeout
        self._idle: deque[Connection] = deque()

    def idle_connection(self) -> Connection | None:
        now = time.monotonic()
        while self._idle:
            conn = self._idle.pop()
            if not conn.closed and now - conn.idle_since < MAX_IDLE_SECONDS:
                return conn
            conn.close()
        return None

    async def connect(self) -> Connection:
        loop = asyncio.get_running_loop()
        try:
            async with asyncio.timeout(self.connect_timeout):
                _, conn = await loop.create_connection(Connection, self.host, self.port)
        except TimeoutError as exc:
            raise UpstreamTimeout(f"connect to {self.host}:{self.port} timed out") from exc
        except OSError as exc:
            raise UpstreamError(f"connect to {self.host}:{self.port} failed: {exc}") from exc
        return conn

    def release(self, conn: Connection) -> None:
        if conn.reusable and len(self._idle) < MAX_IDLE_CONNECTIONS:
            conn.idle_since = time.monotonic()
            self._idle.append(conn)
        else:
            conn.close()

    def close(self) -> None:
        while self._idle:
            self._idle.pop().close()


async def fetch(
    pool: Pool, path: bytes, *, headers: list[tuple[bytes, bytes]] | None = None, within: float
) -> tuple[int, bytes]:
    """A small GET whose whole answer is wanted (introspection, health, OpenAPI)."""
    lines = [b"GET ", path, b" HTTP/1.1\r\nhost: ", pool.authority, b"\r\n"]
    for name, value in headers or ():
        lines += [name, b": ", value, b"\r\n"]
    lines.append(b"\r\n")
    head = b"".join(lines)
    for attempt in (0, 1):
        conn = pool.idle_connection() if attempt == 0 else None
        reused = conn is not None
        if conn is None:
            conn = await pool.connect()
        try:
            conn.start(head, head_only=False, timeout=within)
            await conn.response_head()
            body = await conn.read_all()
        except UpstreamError:
            conn.close()
            # A kept-alive connection the service had just closed: safe to retry a GET once.
            if reused and not conn.received_any and not isinstance(conn.error, UpstreamTimeout):
                continue
            raise
        except BaseException:
            conn.close()
            raise
        status = conn.status
        pool.release(conn)
        return status, body
    raise AssertionError("unreachable")
