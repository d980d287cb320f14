"""The gateway's access log: one tuple appended per request, records built off the event loop.

A `logger.info(...)` per request cost the gateway about a third of its CPU under load (a LogRecord,
`QueueHandler.prepare`'s copy and a queue put that wakes the log thread, every request). Here the
event loop only appends the raw fields to a deque; a daemon thread wakes a few times a second and
turns the batch into ordinary `gateway.access` records (same message, original timestamps), so the
logging configuration — levels, handlers, caplog — still decides where they go.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque

FORMAT = "rid=%s %s %s status=%s ms=%.1f to=%s"
FLUSH_SECONDS = 0.1
# Building a record takes ~10 µs with the GIL held; a batch of hundreds would stall the event loop
# for milliseconds (up to the 5 ms switch interval). The writer lets go of the GIL this often.
YIELD_EVERY = 16
# Bounded so a stalled log stream cannot grow the gateway without limit; overflow is counted.
MAX_PENDING = 100_000

Entry = tuple[float, bytes, str, str, int, float, str]


class AccessLog:
    def __init__(self, logger: logging.Logger, *, flush_seconds: float = FLUSH_SECONDS) -> None:
        self.logger = logger
        self.flush_seconds = flush_seconds
        self.dropped = 0
        self._pending: deque[Entry] = deque()
        self._wake = threading.Event()
        self._stopped = False
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    def enabled(self) -> bool:
        return self.logger.isEnabledFor(logging.INFO)

    def add(self, request_id: bytes, method: str, path: str, status: int, ms: float, service: str) -> None:
        """Called on the event loop: no formatting, no lock, no wake-up."""
        pending = self._pending
        if len(pending) >= MAX_PENDING:
            self.dropped += 1
            return
        pending.append((time.time(), request_id, method, path, status, ms, service))
        if self._thread is None:
            self._start()

    def _start(self) -> None:
        with self._lock:
            if self._stopped:  # after close(): nobody will flush later
                self.flush()
            elif self._thread is None:
                self._thread = threading.Thread(target=self._run, name="gateway-access-log", daemon=True)
                self._thread.start()

    def _run(self) -> None:
        while not self._stopped:
            self._wake.wait(self.flush_seconds)
            self._wake.clear()
            self.flush()

    def flush(self) -> None:
        """Emits everything pending (from the writer thread, or at shutdown)."""
        logger, pending = self.logger, self._pending
        name = logger.name
        if self.dropped:
            dropped, self.dropped = self.dropped, 0
            logger.warning("access log overflow: %d lines dropped", dropped)
        count = 0
        while pending:
            count += 1
            if count % YIELD_EVERY == 0:
                time.sleep(0)  # releases the GIL: a waiting event loop runs first
            try:
                created, rid, method, path, status, ms, service = pending.popleft()
            except IndexError:
                return
            record = logging.LogRecord(
                name,
                logging.INFO,
                __file__,
                0,
                FORMAT,
                (rid.decode("latin-1"), method, path, status, ms, service),
                None,
            )
            record.relativeCreated -= (record.created - created) * 1000
            record.created = created
            record.msecs = int((created - int(created)) * 1000) + 0.0
            logger.handle(record)

    def close(self) -> None:
        self._stopped = True
        self._wake.set()
        thread = self._thread
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout=5)
        self.flush()
