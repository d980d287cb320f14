"""Token and session introspection through registration, with a small in-memory cache.

An answer is reused until `min(ttl, 60 s)` after it was given. Anything that can change validity at
once (a control-plane write such as a clock advance or a review, a logout, a newly issued token)
clears the whole cache; a lookup that was in flight during a clear is not stored.
"""

from __future__ import annotations

import asyncio
import json
import time
from dataclasses import dataclass
from urllib.parse import quote

from pydantic import ValidationError

from contracts.registration.client import SESSION_INTROSPECT_PATH, TOKEN_INTROSPECT_PATH
from contracts.registration.schemas import AccountView, encode_account_header
from gateway.upstream import Pool, UpstreamError, fetch

_TOKEN_PATH = TOKEN_INTROSPECT_PATH.encode() + b"?access_token="
_SESSION_PATH = SESSION_INTROSPECT_PATH.encode()


@dataclass(frozen=True, slots=True)
class Verdict:
    """`account` is the X-Sandbox-Account value; `relay` an error body to return verbatim, with
    `status` (a WeChat body with 200; a terminated account's session with 410, R-DER-04)."""

    account: bytes | None = None
    relay: bytes | None = None
    status: int = 200


ANONYMOUS = Verdict()


class IntrospectionCache:
    def __init__(self, *, max_seconds: float, size: int) -> None:
        self.max_seconds = max_seconds
        self.size = size
        self.clock = time.monotonic  # tests move it instead of sleeping through a TTL
        self.generation = 0
        self._entries: dict[str, tuple[float, Verdict]] = {}

    def get(self, key: str) -> Verdict | None:
        entry = self._entries.get(key)
        if entry is None:
            return None
        if entry[0] <= self.clock():
            del self._entries[key]
            return None
        return entry[1]

    def put(self, key: str, verdict: Verdict, ttl: float, generation: int) -> None:
        if generation != self.generation or ttl <= 0:
            return
        if len(self._entries) >= self.size:
            del self._entries[next(iter(self._entries))]  # oldest insertion first
        self._entries[key] = (self.clock() + min(ttl, self.max_seconds), verdict)

    def clear(self) -> None:
        self._entries.clear()
        self.generation += 1

    def __len__(self) -> int:
        return len(self._entries)


class Authenticator:
    def __init__(self, registration: Pool, *, timeout: float, max_seconds: float, size: int) -> None:
        self.registration = registration
        self.timeout = timeout
        self.cache = IntrospectionCache(max_seconds=max_seconds, size=size)
        self._inflight: dict[str, asyncio.Future[Verdict]] = {}

    def invalidate(self) -> None:
        self.cache.clear()
        self._inflight = {}

    async def check_token(self, token: str, request_id: bytes) -> Verdict:
        """R-TOK-04. Raises UpstreamError when registration cannot answer."""
        key = "t" + token
        path = _TOKEN_PATH + quote(token, safe="").encode()
        return self.cache.get(key) or await self._lookup(key, path, [(b"x-request-id", request_id)])

    async def check_session(self, authorization: bytes, request_id: bytes) -> Verdict:
        """A console session; ANONYMOUS when registration refuses it (the service answers 401), or
        the 410 to relay when its account is terminated."""
        key = "s" + authorization.decode("latin-1")
        headers = [(b"authorization", authorization), (b"x-request-id", request_id)]
        return self.cache.get(key) or await self._lookup(key, _SESSION_PATH, headers)

    async def _lookup(self, key: str, path: bytes, headers: list[tuple[bytes, bytes]]) -> Verdict:
        # Concurrent requests with the same credential share one call to registration.
        pending = self._inflight.get(key)
        if pending is not None:
            return await asyncio.shield(pending)
        future: asyncio.Future[Verdict] = asyncio.get_running_loop().create_future()
        self._inflight[key] = future
        generation = self.cache.generation
        try:
            status, body = await fetch(self.registration, path, headers=headers, within=self.timeout)
            verdict, ttl = _verdict(status, body)
        except asyncio.CancelledError:
            future.cancel()
            raise
        except Exception as exc:
            future.set_exception(exc)
            future.exception()  # retrieved here, so an unawaited failure is not reported twice
            raise
        finally:
            if self._inflight.get(key) is future:
                del self._inflight[key]
        future.set_result(verdict)
        self.cache.put(key, verdict, ttl, generation)
        return verdict


def _verdict(status: int, body: bytes) -> tuple[Verdict, float]:
    if status == 410 and body.startswith(b'{"error"'):
        return Verdict(relay=body, status=410), 0.0  # R-DER-04: the account is terminated, for every call
    if 400 <= status < 500:
        return ANONYMOUS, 0.0
    if status != 200:
        relay = body if status == 503 and body.startswith(b'{"error"') else None
        raise UpstreamError(f"registration introspection answered HTTP {status}", body=relay)
    try:
        data = json.loads(body)
    except ValueError as exc:
        raise UpstreamError("registration introspection answered invalid JSON") from exc
    if not isinstance(data, dict):
        raise UpstreamError("registration introspection answered an unexpected shape")
    account = data.get("account")
    if account is None:
        if "errcode" in data:
            return Verdict(relay=body), 0.0
        raise UpstreamError("registration introspection answered neither account nor errcode")
    try:
        AccountView.model_validate(account)
        ttl = float(data.get("ttl", 0))
    except (ValidationError, TypeError, ValueError) as exc:
        raise UpstreamError("registration introspection answered an invalid account") from exc
    raw = json.dumps(account, ensure_ascii=False, separators=(",", ":")).encode()
    return Verdict(account=encode_account_header(raw).encode("ascii")), ttl
