"""A service's access line: one per request, the path without the query, written off the event loop."""

from __future__ import annotations

import asyncio
import logging
import time

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from servicekit.logs import RequestContextMiddleware, access_log


async def teapot(request: Request) -> JSONResponse:
    return JSONResponse({"ok": True}, status_code=418)


def client(service: str) -> httpx.AsyncClient:
    app = RequestContextMiddleware(Starlette(routes=[Route("/pot", teapot)]), service=service)
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver")


def lines(caplog: pytest.LogCaptureFixture, service: str) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.name == f"{service}.access"]


class TestServiceAccessLog:
    async def test_one_line_per_request_with_the_request_id_and_without_the_query(
        self, caplog: pytest.LogCaptureFixture
    ) -> None:
        caplog.set_level(logging.INFO, logger="svc-a.access")
        before = time.time()
        async with client("svc-a") as http:
            response = await http.get("/pot?access_token=s3cr3t", headers={"X-Request-Id": "rid-a1"})
        access_log("svc-a").flush()

        assert response.headers["x-request-id"] == "rid-a1"
        (line,) = lines(caplog, "svc-a")
        assert line.getMessage().startswith("rid=rid-a1 GET /pot status=418 ms=")
        assert "s3cr3t" not in line.getMessage()
        assert before <= line.created <= time.time()  # the request's time, not the flush's

    async def test_the_background_thread_writes_the_lines(self, caplog: pytest.LogCaptureFixture) -> None:
        caplog.set_level(logging.INFO, logger="svc-b.access")
        access_log("svc-b").flush_seconds = 0.01
        async with client("svc-b") as http:
            await http.get("/pot", headers={"X-Request-Id": "rid-b1"})
        for _ in range(200):
            if lines(caplog, "svc-b"):
                break
            await asyncio.sleep(0.01)

        assert [r.getMessage()[:30] for r in lines(caplog, "svc-b")] == ["rid=rid-b1 GET /pot status=418"]

    async def test_nothing_is_queued_when_the_level_is_off(self, caplog: pytest.LogCaptureFixture) -> None:
        caplog.set_level(logging.WARNING, logger="svc-c.access")
        async with client("svc-c") as http:
            await http.get("/pot")

        assert len(access_log("svc-c")._pending) == 0
