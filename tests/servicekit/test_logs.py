"""A service's access line: one per request, the path without the query, written off the event loop;
the log writer thread."""

from __future__ import annotations

import asyncio
import io
import logging
import queue
import threading
import time

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from servicekit.logs import LINE_FORMAT, RequestContextMiddleware, access_log, write_batches


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


class TestLogWriter:
    def test_queued_lines_are_written_in_order_in_one_write_per_batch(self) -> None:
        records: queue.SimpleQueue[logging.LogRecord | None] = queue.SimpleQueue()
        for n in range(3):
            records.put(logging.LogRecord("svc.access", logging.INFO, __file__, 0, "line %d", (n,), None))
        records.put(logging.LogRecord("svc", logging.ERROR, __file__, 0, "bad %d", ("x",), None))
        records.put(None)  # what the exit hook sends: write what came before, then return
        stream = CountingStream()

        writer = threading.Thread(
            target=write_batches, args=(records, logging.Formatter(LINE_FORMAT), stream), daemon=True
        )
        writer.start()
        writer.join(timeout=5)

        lines = stream.getvalue().splitlines()
        assert not writer.is_alive()
        assert stream.writes == 1
        assert [line.split(" ", 2)[2] for line in lines[:3]] == [
            f"INFO svc.access line {n}" for n in range(3)
        ]
        assert lines[3].startswith("unformattable log record from svc: 'bad %d'")


class CountingStream(io.StringIO):
    writes = 0

    def write(self, text: str) -> int:
        self.writes += 1
        return super().write(text)
