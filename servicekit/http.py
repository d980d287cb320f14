"""httpx clients for peer services: explicit timeouts, request-id propagation, error mapping."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any
from urllib.parse import quote

import httpx

from servicekit.context import REQUEST_ID_HEADER, request_id_var
from servicekit.errors import DatabaseUnavailable, DependencyDown, SandboxError
from servicekit.settings import CommonSettings


async def _add_request_id(request: httpx.Request) -> None:
    rid = request_id_var.get()
    if rid and rid != "-" and REQUEST_ID_HEADER not in request.headers:
        request.headers[REQUEST_ID_HEADER] = rid


def peer_path(template: str, **params: str) -> str:
    """`template` with each parameter percent-encoded as one path segment.

    A value from a client (an AppID in a control-plane path) can hold `/`, `?`, `#` or control
    characters; put raw into the URL they would address another endpoint or break the request.
    """
    return template.format(**{name: quote(value, safe="") for name, value in params.items()})


KEEPALIVE_EXPIRY = 2.0  # seconds; uvicorn's default keep-alive timeout is 5


def make_client(base_url: str, *, timeout: float = 10.0, **kwargs: Any) -> httpx.AsyncClient:
    return httpx.AsyncClient(
        base_url=base_url,
        timeout=httpx.Timeout(timeout, connect=min(timeout, 3.0)),
        # Retire idle connections well before uvicorn closes them (5 s keep-alive): at equal timeouts
        # a request could go out on a connection the peer was closing — a spurious 503 `<peer>_unavailable`.
        limits=httpx.Limits(
            max_connections=100, max_keepalive_connections=20, keepalive_expiry=KEEPALIVE_EXPIRY
        ),
        event_hooks={"request": [_add_request_id]},
        **kwargs,
    )


def make_peer_clients(settings: CommonSettings, names: Iterable[str]) -> dict[str, httpx.AsyncClient]:
    urls = settings.peer_urls()
    return {name: make_client(urls[name], timeout=settings.peer_timeout_seconds) for name in names}


async def call_peer(
    client: httpx.AsyncClient, method: str, path: str, *, service: str, **kwargs: Any
) -> httpx.Response:
    """One peer call. Transport failures and 5xx become 503; 4xx bodies re-raise as SandboxError."""
    try:
        response = await client.request(method, path, **kwargs)
    except httpx.TransportError as exc:
        raise DependencyDown(f"{service} 服务暂时不可用", code=f"{service}_unavailable") from exc
    if response.status_code >= 500:
        if response.status_code == 503 and _error_code(response) == DatabaseUnavailable.code:
            raise DatabaseUnavailable()  # the peer is up; the database both of us use is not
        raise DependencyDown(f"{service} 服务暂时不可用", code=f"{service}_unavailable")
    if response.status_code >= 400:
        raise peer_error(response)
    return response


def _error_code(response: httpx.Response) -> str | None:
    try:
        code = response.json().get("error", {}).get("code")
    except (ValueError, AttributeError):
        return None
    return code if isinstance(code, str) else None


def peer_error(response: httpx.Response) -> SandboxError:
    try:
        error = response.json().get("error", {})
    except ValueError:
        error = {}
    extra = {k: v for k, v in error.items() if k not in ("code", "message", "field")}
    return SandboxError(
        error.get("message"),
        code=error.get("code", "peer_error"),
        status=response.status_code,
        field=error.get("field"),
        **extra,
    )
