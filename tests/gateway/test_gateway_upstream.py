"""The hot path's details: keep-alive reuse, the retry on a stale connection, HEAD, cache expiry,
the batched access log, request ids and the indexed route table."""

from __future__ import annotations

import asyncio
import logging
import re
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
import pytest

from gateway.app import Gateway
from gateway.proxy import new_request_id
from gateway.routes import ROUTES, resolve
from gateway.upstream import Pool, fetch
from tests.gateway.conftest import settings_for
from tests.gateway.gateway_fakes import ACCOUNT, FakeService

ANSWER = b'HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 11\r\n\r\n{"ok":true}'


class StaleServer:
    """Answers the first request on each connection, then closes the connection when the next
    request arrives without answering it: a kept-alive connection that timed out on the server."""

    def __init__(self, *, answer_first: bool = True) -> None:
        self.answer_first = answer_first
        self.connections = 0
        self.answered = 0
        self.dropped = 0

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        first = self.answer_first
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                length = re.search(rb"content-length: *(\d+)", head, re.IGNORECASE)
                if length:
                    await reader.readexactly(int(length.group(1)))
                if not first:
                    self.dropped += 1
                    return
                first = False
                writer.write(ANSWER)
                self.answered += 1
        except (asyncio.IncompleteReadError, ConnectionError):
            return
        finally:
            writer.close()


@asynccontextmanager
async def stale_server(*, answer_first: bool = True) -> AsyncIterator[tuple[StaleServer, str]]:
    stale = StaleServer(answer_first=answer_first)
    server = await asyncio.start_server(stale.handle, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        yield stale, f"http://127.0.0.1:{port}"
    finally:
        server.close()
        await server.wait_closed()


def through(gateway: Gateway) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=gateway), base_url="http://t")


class TestKeepAlive:
    async def test_upstream_connection_is_reused(self, gateway: Gateway, client: httpx.AsyncClient) -> None:
        pool = gateway.pools["certification"]
        await client.get("/api/v1/certifications")
        idle = list(pool._idle)
        assert len(idle) == 1
        await client.get("/api/v1/certifications")
        await client.post("/api/v1/certifications", content=b"x" * 100)
        assert list(pool._idle) == idle  # the same connection, not a new one per request

    async def test_fetch_reuses_the_connection(self, services: dict[str, FakeService]) -> None:
        pool = Pool(services["registration"].url, connect_timeout=1.0)
        try:
            assert (await fetch(pool, b"/readyz", within=1.0))[0] == 200
            first = list(pool._idle)
            assert (await fetch(pool, b"/readyz", within=1.0))[0] == 200
            assert len(first) == 1
            assert list(pool._idle) == first
        finally:
            pool.close()


class TestStaleConnection:
    async def test_request_on_a_connection_the_service_closed_is_sent_again(
        self, services: dict[str, FakeService]
    ) -> None:
        async with stale_server() as (stale, url):
            urls = {name: s.url for name, s in services.items()} | {"certification": url}
            gateway = Gateway(settings_for(urls))
            async with through(gateway) as http:
                first = await http.get("/api/v1/certifications")
                second = await http.get("/api/v1/certifications/c-1", params={"q": "1"})
            gateway.close()
        assert (first.status_code, second.status_code) == (200, 200)
        assert second.json() == {"ok": True}
        assert (stale.connections, stale.answered, stale.dropped) == (2, 2, 1)

    async def test_a_body_is_sent_again_too_when_it_was_sent_whole(
        self, services: dict[str, FakeService]
    ) -> None:
        async with stale_server() as (stale, url):
            urls = {name: s.url for name, s in services.items()} | {"certification": url}
            gateway = Gateway(settings_for(urls))
            async with through(gateway) as http:
                await http.get("/api/v1/certifications")
                response = await http.post("/api/v1/certifications", content=b'{"a":1}')
            gateway.close()
        assert response.status_code == 200
        assert (stale.answered, stale.dropped) == (2, 1)

    async def test_a_fresh_connection_closed_without_answer_is_a_503(
        self, services: dict[str, FakeService]
    ) -> None:
        async with stale_server(answer_first=False) as (stale, url):
            urls = {name: s.url for name, s in services.items()} | {"certification": url}
            gateway = Gateway(settings_for(urls))
            async with through(gateway) as http:
                response = await http.get("/api/v1/certifications")
            gateway.close()
        assert response.status_code == 503
        assert response.json()["error"]["code"] == "service_unavailable"
        assert (stale.connections, stale.dropped) == (1, 1)  # not sent twice: nothing was stale

    async def test_fetch_retries_on_a_stale_connection(self) -> None:
        async with stale_server() as (stale, url):
            pool = Pool(url, connect_timeout=1.0)
            try:
                assert await fetch(pool, b"/a", within=1.0) == (200, b'{"ok":true}')
                assert await fetch(pool, b"/b", within=1.0) == (200, b'{"ok":true}')
            finally:
                pool.close()
        assert (stale.connections, stale.dropped) == (2, 1)


class TestHead:
    async def test_head_answers_the_headers_without_a_body(
        self, client: httpx.AsyncClient, services: dict[str, FakeService]
    ) -> None:
        get = await client.get("/api/v1/certifications/c-1")
        head = await client.head("/api/v1/certifications/c-1")
        assert head.status_code == 200
        assert head.content == b""
        assert head.headers["content-type"] == get.headers["content-type"] == "application/json"
        assert head.headers["x-request-id"] != "upstream-own"
        assert services["certification"].last.method == "HEAD"
        again = await client.get("/api/v1/certifications/c-1")  # the pool is still sound
        assert again.json()["path"] == "/api/v1/certifications/c-1"


def later(gateway: Gateway, seconds: float) -> None:
    """Move the introspection cache's clock on, as if `seconds` had passed."""
    clock = gateway.auth.cache.clock
    gateway.auth.cache.clock = lambda: clock() + seconds


class TestCacheExpiry:
    async def test_answer_is_asked_again_after_its_ttl(
        self, gateway: Gateway, client: httpx.AsyncClient, services: dict[str, FakeService]
    ) -> None:
        services["registration"].tokens["short"] = {"account": ACCOUNT, "ttl": 0.2}
        await client.get("/cgi-bin/user/get?access_token=short")
        later(gateway, 0.19)
        await client.get("/cgi-bin/user/get?access_token=short")
        assert services["registration"].introspections == 1
        later(gateway, 0.02)
        response = await client.get("/cgi-bin/user/get?access_token=short")
        assert response.json()["service"] == "messaging"
        assert services["registration"].introspections == 2

    async def test_ttl_is_capped_by_the_configured_maximum(self, services: dict[str, FakeService]) -> None:
        settings = settings_for({name: s.url for name, s in services.items()})
        settings.auth_cache_max_seconds = 0.2
        gateway = Gateway(settings)
        services["registration"].tokens["long"] = {"account": ACCOUNT, "ttl": 7200}
        async with through(gateway) as http:
            await http.get("/cgi-bin/user/get?access_token=long")
            later(gateway, 0.19)
            await http.get("/cgi-bin/user/get?access_token=long")
            assert services["registration"].introspections == 1
            later(gateway, 0.02)
            await http.get("/cgi-bin/user/get?access_token=long")
        gateway.close()
        assert services["registration"].introspections == 2

    async def test_zero_ttl_is_not_cached(
        self, client: httpx.AsyncClient, services: dict[str, FakeService]
    ) -> None:
        services["registration"].tokens["once"] = {"account": ACCOUNT, "ttl": 0}
        await client.get("/cgi-bin/user/get?access_token=once")
        await client.get("/cgi-bin/user/get?access_token=once")
        assert services["registration"].introspections == 2


class TestAccessLog:
    async def test_one_line_per_request_without_the_query(
        self, gateway: Gateway, client: httpx.AsyncClient, caplog: pytest.LogCaptureFixture
    ) -> None:
        caplog.set_level(logging.INFO, logger="gateway.access")
        before = time.time()
        await client.get("/api/v1/certifications/c-9?secret=s3cr3t", headers={"X-Request-Id": "log-1"})
        await client.get("/nowhere", headers={"X-Request-Id": "log-2"})
        gateway.access.flush()
        lines = [r for r in caplog.records if r.name == "gateway.access"]
        assert len(lines) == 2
        first, second = (r.getMessage() for r in lines)
        assert first.startswith("rid=log-1 GET /api/v1/certifications/c-9 status=200 ms=")
        assert first.endswith(" to=certification")
        assert second.startswith("rid=log-2 GET /nowhere status=404 ")
        assert second.endswith(" to=-")
        assert "s3cr3t" not in first
        assert before <= lines[0].created <= time.time()  # the request's time, not the flush's

    async def test_lines_are_written_by_the_background_thread(
        self, gateway: Gateway, client: httpx.AsyncClient, caplog: pytest.LogCaptureFixture
    ) -> None:
        caplog.set_level(logging.INFO, logger="gateway.access")
        gateway.access.flush_seconds = 0.01
        await client.get("/healthz", headers={"X-Request-Id": "log-3"})
        for _ in range(200):
            if any("rid=log-3" in r.getMessage() for r in caplog.records):
                break
            await asyncio.sleep(0.01)
        assert any("rid=log-3 GET /healthz status=200" in r.getMessage() for r in caplog.records)

    async def test_nothing_is_queued_when_the_level_is_off(
        self, gateway: Gateway, client: httpx.AsyncClient, caplog: pytest.LogCaptureFixture
    ) -> None:
        caplog.set_level(logging.WARNING, logger="gateway.access")
        await client.get("/healthz")
        assert len(gateway.access._pending) == 0

    async def test_close_flushes(
        self, gateway: Gateway, client: httpx.AsyncClient, caplog: pytest.LogCaptureFixture
    ) -> None:
        caplog.set_level(logging.INFO, logger="gateway.access")
        gateway.access.flush_seconds = 60
        await client.get("/healthz", headers={"X-Request-Id": "log-4"})
        gateway.close()
        assert any("rid=log-4" in r.getMessage() for r in caplog.records)


def test_request_ids_are_sixteen_hex_digits_and_distinct() -> None:
    ids = {new_request_id() for _ in range(10_000)}
    assert len(ids) == 10_000
    assert all(re.fullmatch(rb"[0-9a-f]{16}", i) for i in ids)


@pytest.mark.parametrize(
    "path",
    [
        "",
        "/",
        "/api",
        "/api/",
        "/api/v1",
        "/api/v1/",
        "/api/v1x",
        "/api/v1/certificationsx",
        "/api/v1/certifications/x/y",
        "/cgi-bin",
        "/cgi-bin/",
        "/cgi-bin/tokenx",
        "/cgi-bin/token/x",
        "/_sandbox",
        "/_sandbox/",
        "/_sandbox/followers",
        "/_sandbox/followers/",
        "/_sandbox/accounts/a/followers",
        "/_sandbox/accounts/a/followersx",
        "/_sandbox/accounts//followers",
        "/_sandbox/accounts/a/b/followers",
        "/_sandboxx/clock",
        "/docs/oauth2-redirect",
        "/docsx",
        "/healthz/",
        "/internal/auth/token",
        "/openapi.json/x",
        "//api/v1",
    ],
)
def test_indexed_lookup_agrees_with_the_ordered_table(path: str) -> None:
    linear = next((route for route in ROUTES if route.matches(path)), None)
    assert resolve(path) is linear
