"""One OpenAPI document for the whole sandbox, merged from the four services' own documents.

Each service's document is fetched on first request and kept; a service that was down is asked
again on the next request. Only paths the route table sends to that service are kept, so
`/internal/*`, `/healthz` and `/readyz` never appear.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Mapping
from typing import Any

from gateway.routes import ROUTES, Check, resolve
from gateway.upstream import Pool, UpstreamError, fetch
from servicekit.app import VERSION

log = logging.getLogger("gateway.openapi")
REF_PREFIX = "#/components/schemas/"
SECURITY_SCHEMES: dict[str, Any] = {
    "SandboxKey": {"type": "apiKey", "in": "header", "name": "X-Sandbox-Key"},
    "BearerAuth": {"type": "http", "scheme": "bearer"},
    "AccessToken": {"type": "apiKey", "in": "query", "name": "access_token"},
}
HEALTH_OPERATION: dict[str, Any] = {
    "get": {
        "tags": ["sandbox"],
        "summary": "Health of every service and of the database",
        "operationId": "sandbox_health",
        "security": [{"SandboxKey": []}],
        "responses": {
            "200": {
                "description": "all services ready",
                "content": {"application/json": {"schema": {"$ref": REF_PREFIX + "SandboxHealth"}}},
            },
            "503": {"description": "at least one service or the database is not ready"},
        },
    }
}
HEALTH_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["status", "version", "services", "database"],
    "properties": {
        "status": {"type": "string", "enum": ["ok", "degraded"]},
        "version": {"type": "string"},
        "services": {
            "type": "object",
            "additionalProperties": {
                "type": "object",
                "properties": {
                    "status": {"type": "string"},
                    "version": {"type": ["string", "null"]},
                    "migrations": {"type": "object"},
                },
            },
        },
        "database": {"type": "object", "properties": {"status": {"type": "string"}}},
    },
}
_HTTP_METHODS = frozenset({"get", "put", "post", "delete", "options", "head", "patch", "trace"})


def _rewrite_refs(node: Any, renames: Mapping[str, str]) -> Any:
    if isinstance(node, dict):
        out = {}
        for key, value in node.items():
            if key == "$ref" and isinstance(value, str) and value.startswith(REF_PREFIX):
                name = value[len(REF_PREFIX) :]
                out[key] = REF_PREFIX + renames.get(name, name)
            else:
                out[key] = _rewrite_refs(value, renames)
        return out
    if isinstance(node, list):
        return [_rewrite_refs(item, renames) for item in node]
    return node


def _clashing_names(docs: Mapping[str, Mapping[str, Any]]) -> set[str]:
    seen: dict[str, set[str]] = {}
    for doc in docs.values():
        for name, schema in doc.get("components", {}).get("schemas", {}).items():
            seen.setdefault(name, set()).add(json.dumps(schema, sort_keys=True))
    return {name for name, versions in seen.items() if len(versions) > 1}


def _secure(path: str, operation: dict[str, Any]) -> None:
    route = resolve(path)
    if route is None or "security" in operation:
        return
    if route.check is Check.ADMIN_KEY:
        operation["security"] = [{"SandboxKey": []}]
    elif route.check is Check.TOKEN:
        operation["security"] = [{"AccessToken": []}]
    elif route.check is Check.SESSION:
        operation["security"] = [{"BearerAuth": []}, {}]  # some console calls need no session


def merge_documents(docs: Mapping[str, Mapping[str, Any]], missing: list[str]) -> dict[str, Any]:
    """Pure merge: paths, schemas (clashing names prefixed by service), tags, security schemes."""
    clashes = _clashing_names(docs)
    paths: dict[str, Any] = {}
    schemas: dict[str, Any] = {"SandboxHealth": HEALTH_SCHEMA}
    tags: dict[str, Any] = {}
    for service, doc in docs.items():
        renames = {name: f"{service.capitalize()}{name}" for name in clashes}
        doc = _rewrite_refs(doc, renames)
        for name, schema in doc.get("components", {}).get("schemas", {}).items():
            schemas[renames.get(name, name)] = schema
        for tag in doc.get("tags", []):
            tags.setdefault(tag.get("name"), tag)
        for path, item in doc.get("paths", {}).items():
            route = resolve(path)
            if route is None or route.service != service:
                continue  # internal, health, or owned by another process: not reachable here
            for method, operation in item.items():
                if method in _HTTP_METHODS and isinstance(operation, dict):
                    _secure(path, operation)
            paths[path] = item
    paths["/_sandbox/health"] = HEALTH_OPERATION
    description = "WeChat Official Accounts Platform sandbox: " + ", ".join(
        sorted({r.service for r in ROUTES} - {"gateway"})
    )
    document: dict[str, Any] = {
        "openapi": "3.1.0",
        "info": {"title": "mpsandbox", "version": VERSION, "description": description},
        "paths": dict(sorted(paths.items())),
        "components": {"schemas": dict(sorted(schemas.items())), "securitySchemes": SECURITY_SCHEMES},
        "tags": list(tags.values()),
    }
    if missing:
        document["x-unavailable-services"] = sorted(missing)
    return document


class OpenApiDocument:
    def __init__(self, pools: Mapping[str, Pool], *, timeout: float) -> None:
        self.pools = pools
        self.timeout = timeout
        self._docs: dict[str, dict[str, Any]] = {}
        self._merged: dict[str, Any] | None = None
        self._lock = asyncio.Lock()

    async def get(self) -> dict[str, Any]:
        if self._merged is not None and len(self._docs) == len(self.pools):
            return self._merged
        async with self._lock:
            missing = [name for name in self.pools if name not in self._docs]
            if missing or self._merged is None:
                fetched = await asyncio.gather(*(self._fetch(name) for name in missing))
                self._docs.update({n: d for n, d in zip(missing, fetched, strict=True) if d is not None})
                order = [n for n in self.pools if n in self._docs]
                still_missing = [n for n in self.pools if n not in self._docs]
                self._merged = merge_documents({n: self._docs[n] for n in order}, still_missing)
            return self._merged

    async def _fetch(self, name: str) -> dict[str, Any] | None:
        try:
            async with asyncio.timeout(self.timeout):
                status, body = await fetch(self.pools[name], b"/openapi.json", within=self.timeout)
            doc = json.loads(body) if status == 200 else None
        except (UpstreamError, TimeoutError, ValueError) as exc:
            log.warning("openapi of %s unavailable: %s", name, exc)
            return None
        return doc if isinstance(doc, dict) else None
