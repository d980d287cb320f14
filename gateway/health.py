"""`GET /_sandbox/health`: every service's /readyz, asked concurrently, in one answer."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Mapping
from typing import Any

from gateway.upstream import Pool, UpstreamError, fetch
from servicekit.app import VERSION
from servicekit.lifecycle import READY_PATH

_READY = READY_PATH.encode()


async def service_readiness(pool: Pool, within: float) -> dict[str, Any]:
    try:
        async with asyncio.timeout(within):
            _, body = await fetch(pool, _READY, within=within)
        data = json.loads(body)
        if not isinstance(data, dict):
            raise ValueError("readyz answered an unexpected shape")
    except (UpstreamError, TimeoutError, ValueError) as exc:
        return {
            "status": "unavailable",
            "version": None,
            "migrations": {},
            "database": None,
            "detail": f"{exc}",
        }
    return {
        "status": "ok" if data.get("status") == "ok" else "unavailable",
        "version": data.get("version"),
        "migrations": data.get("migrations") or {},
        "database": data.get("database"),
    }


async def sandbox_health(pools: Mapping[str, Pool], within: float) -> tuple[int, dict[str, Any]]:
    names = list(pools)
    answers = await asyncio.gather(*(service_readiness(pools[n], within) for n in names))
    services = dict(zip(names, answers, strict=True))
    healthy = all(s["status"] == "ok" for s in services.values())
    # The gateway has no connection of its own: the database is what the services that answered saw.
    seen = [s["database"] for s in services.values() if s["database"] is not None]
    database = "ok" if "ok" in seen else ("unavailable" if seen else "unknown")
    body = {
        "status": "ok" if healthy and database == "ok" else "degraded",
        "version": VERSION,
        "services": services,
        "database": {"status": database},
    }
    return (200 if body["status"] == "ok" else 503), body
