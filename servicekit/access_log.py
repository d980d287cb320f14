"""Access logs of the gateway and the services: one tuple appended per request, records built off the
event loop.

A `logger.info(...)` per request cost the gateway about a third of its CPU under load, and a service
about a tenth (a LogRecord, `QueueHandler.prepare`'s copy and a queue put that wakes the log thread,
every request). Here the event loop only appends the raw fields to a deque; a daemon thread wakes a few
times a second and turns the batch into ordinary `<name>.access` records (same message, original
timestamps), so the logging configuration — levels, handlers, caplog — still decides where they go.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque

FLUSH_SECONDS = 0.1
# Building a record takes ~10 µs with the GIL held; a batch of hundreds would stall the event loop
# for milliseconds (up to the 5 ms switch interval). The writer lets go of the GIL this often.
YIELD_EVERY = 16
# Bounded so a stalled log stream cannot grow the process without limit; overflow is counted.
MAX_PENDING = 100_000

Entry = tuple[float, tuple[object, ...]]


class AccessLog:
    """`add(*args)` per request; `fmt % args` becomes the message (bytes arguments decoded latin-1)."""

    def __init__(self, logger: logging.Logger, fmt: str, *, flush_seconds: float = FLUSH_SECONDS) -> None:
        self.logger = logger
        self.fmt = fmt
        self.flush_seconds = flush_seconds
        self.dropped = 0
        self._pending: deque[Entry] = deque()
        self._wake = threading.Event()
        self._stopped = False
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    def enabled(self) -> bool:
        return self.logger.isEnabledFor(logging.INFO)

    def add(self, *args: object) -> None:
        """Called on the event loop: no formatting, no lock, no wake-up."""
        pending = self._pending
        if len(pending) >= MAX_PENDING:
            self.dropped += 1
            return
        pending.append((time.time(), args))
        if self._thread is None:
            self._start()

    def _start(self) -> None:
        with self._lock:
            if self._stopped:  # after close(): nobody will flush later
                self.flush()
            elif self._thread is None:
                name = f"{self.logger.name}-writer"
                self._thread = threading.Thread(target=self._run, name=name, daemon=True)
                self._thread.start()

    def _run(self) -> None:
        while not self._stopped:
            self._wake.wait(self.flush_seconds)
            self._wake.clear()
            self.flush()

    def flush(self) -> None:
        """Emits everything pending (from the writer thread, or at shutdown)."""
        logger, pending, fmt = self.logger, self._pending, self.fmt
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
                created, args = pending.popleft()
            except IndexError:
                return
            args = tuple(a.decode("latin-1") if isinstance(a, bytes) else a for a in args)
            record = logging.LogRecord(name, logging.INFO, __file__, 0, fmt, args, None)
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
