"""One-line structured logs; access lines are built and written off the event loop (`AccessLog`)."""

from __future__ import annotations

import atexit
import logging
import logging.handlers
import queue
import sys
import threading
import time
import uuid
from functools import cache
from typing import TextIO

from sqlalchemy.exc import DBAPIError
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from servicekit.access_log import AccessLog
from servicekit.context import REQUEST_ID_HEADER, request_id_var
from servicekit.errors import DependencyDown

ACCESS_FORMAT = "rid=%s %s %s status=%s ms=%.1f"
LINE_FORMAT = "%(asctime)s %(levelname)s %(name)s %(message)s"
MAX_BATCH = 1000

_configured = False


def write_batches(
    records: queue.SimpleQueue[logging.LogRecord | None], formatter: logging.Formatter, stream: TextIO
) -> None:
    """The log writer thread: everything queued since the last write goes out in one write.

    One write (and flush) per line was a system call per request — under load the most frequent
    reason for this thread to take the GIL from the event loop — and a wake-up per line for the
    supervisor relaying the pipe. Returns after writing what was queued before a None.
    """
    running = True
    while running:
        batch: list[logging.LogRecord] = []
        record = records.get()
        while record is not None:
            batch.append(record)
            if len(batch) >= MAX_BATCH:
                break
            try:
                record = records.get_nowait()
            except queue.Empty:
                break
        running = record is not None
        if not batch:
            continue
        lines: list[str] = []
        for record in batch:
            try:
                lines.append(formatter.format(record))
            except Exception as exc:  # a bad format string must not lose the rest of the batch
                lines.append(f"unformattable log record from {record.name}: {record.msg!r} ({exc})")
        try:
            stream.write("\n".join(lines) + "\n")
            stream.flush()
        except (OSError, ValueError):  # the stream is gone (closed pipe): nobody left to tell
            pass


def configure_logging(level: str = "info") -> None:
    global _configured
    if _configured:
        return
    _configured = True
    q: queue.SimpleQueue[logging.LogRecord | None] = queue.SimpleQueue()
    formatter = logging.Formatter(LINE_FORMAT)
    writer = threading.Thread(
        target=write_batches, args=(q, formatter, sys.stderr), name="log-writer", daemon=True
    )
    writer.start()

    def finish_writing() -> None:  # the last lines (shutdown, final access lines) before exit
        q.put(None)
        writer.join(timeout=5)

    atexit.register(finish_writing)
    root = logging.getLogger()
    root.handlers = [logging.handlers.QueueHandler(q)]
    root.setLevel(level.upper())
    for noisy in ("uvicorn.access", "httpx", "httpcore", "apscheduler.executors.default"):
        logging.getLogger(noisy).setLevel(logging.WARNING)


def new_request_id() -> str:
    return uuid.uuid4().hex[:16]


@cache
def access_log(service: str) -> AccessLog:
    """The process's access log for `service` (`<service>.access`), shared by every app built for it."""
    return AccessLog(logging.getLogger(f"{service}.access"), ACCESS_FORMAT)


class RequestContextMiddleware:
    """Keeps or creates X-Request-Id, echoes it, and writes one access line per request.

    Only the path is logged — never the query string, which carries secrets and tokens.
    """

    def __init__(self, app: ASGIApp, *, service: str) -> None:
        self.app = app
        self.access = access_log(service)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        rid = ""
        for key, value in scope["headers"]:
            if key == b"x-request-id":
                rid = value.decode("latin-1")[:64]
                break
        rid = rid or new_request_id()
        token = request_id_var.set(rid)
        started = time.perf_counter()
        status = 500
        header = (REQUEST_ID_HEADER.lower().encode(), rid.encode("latin-1"))

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message["headers"] = [*message.get("headers", []), header]
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            access = self.access
            if access.enabled():
                elapsed = (time.perf_counter() - started) * 1000
                access.add(rid, scope["method"], scope["path"], status, elapsed)
            request_id_var.reset(token)


def log_background_failure(log: logging.Logger, what: str) -> None:
    """Call in `except Exception:` of work no request waits for (relays, sweeps, recovery): an outage
    — the database or a peer down, which the next round retries — is one warning line; anything else
    is a bug and keeps its traceback."""
    exc = sys.exc_info()[1]
    lost = isinstance(exc, DBAPIError) and exc.connection_invalidated
    if isinstance(exc, DependencyDown | OSError) or lost:
        log.warning("%s: %s; retrying later", what, exc)
    else:
        log.exception(what)
