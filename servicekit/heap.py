"""Short garbage-collector pauses for the long-running server processes."""

from __future__ import annotations

import gc

_frozen = False


def freeze_startup_heap() -> bool:
    """Put everything allocated while starting up beyond the cyclic collector's reach (once per process).

    A process starts with ~130,000 long-lived objects (modules, routes, models, metadata, validators).
    Every full collection walked all of them — ~20-35 ms with the event loop stopped, every few seconds
    under load — and those pauses were the p99 of a /cgi-bin call. Frozen, a full collection walks
    only what was allocated since. Reference counting still frees frozen objects; only cycles among
    them are never collected, and start-up objects live as long as the process anyway.
    """
    global _frozen
    if _frozen:
        return False
    gc.collect()
    gc.freeze()
    _frozen = True
    return True
