"""The one route table: which service owns a path, and which check runs before forwarding.

Ordered, first match wins. A prefix matches itself and everything below it (`/a/b` matches `/a/b` and
`/a/b/c`, not `/a/bc`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import Enum

GATEWAY = "gateway"
REGISTRATION = "registration"
CERTIFICATION = "certification"
MESSAGING = "messaging"
SCHEDULER = "scheduler"


class Check(Enum):
    NONE = "none"  # forwarded as is
    TOKEN = "token"  # /cgi-bin: access_token introspected by registration (R-TOK-04)
    SESSION = "session"  # /api/v1: a Bearer session, when present, becomes X-Sandbox-Account
    ADMIN_KEY = "admin_key"  # /_sandbox: X-Sandbox-Key must equal the admin key


@dataclass(frozen=True, slots=True)
class Route:
    pattern: str
    service: str
    check: Check
    regex: re.Pattern[str] | None = None

    def matches(self, path: str) -> bool:
        if self.regex is not None:
            return self.regex.match(path) is not None
        p = self.pattern
        return path.startswith(p) and (len(path) == len(p) or path[len(p)] == "/" or p[-1] == "/")


def prefix(pattern: str, service: str, check: Check = Check.NONE) -> Route:
    return Route(pattern, service, check)


def regex(pattern: str, service: str, check: Check = Check.NONE) -> Route:
    return Route(pattern, service, check, re.compile(pattern))


N, T, S, K = Check.NONE, Check.TOKEN, Check.SESSION, Check.ADMIN_KEY

ROUTES: tuple[Route, ...] = (
    # WeChat-compatible developer API
    prefix("/cgi-bin/token", REGISTRATION, N),
    prefix("/cgi-bin/stable_token", REGISTRATION, N),
    prefix("/cgi-bin/getcallbackip", REGISTRATION, T),
    prefix("/cgi-bin/", MESSAGING, T),
    # operator console API
    prefix("/api/v1/certifications", CERTIFICATION, S),
    prefix("/api/v1/mass-sends", MESSAGING, S),
    prefix("/api/v1/materials", MESSAGING, S),
    prefix("/api/v1/followers", MESSAGING, S),
    prefix("/api/v1/notifications", MESSAGING, S),
    prefix("/api/v1/developer", MESSAGING, S),
    prefix("/api/v1", REGISTRATION, S),
    # sandbox control plane
    prefix("/_sandbox/health", GATEWAY, K),
    prefix("/_sandbox/clock", SCHEDULER, K),
    prefix("/_sandbox/reset", SCHEDULER, K),
    prefix("/_sandbox/settings", SCHEDULER, K),
    prefix("/_sandbox/outbox", MESSAGING, K),
    prefix("/_sandbox/followers/", MESSAGING, K),
    prefix("/_sandbox/push-log", MESSAGING, K),
    regex(r"^/_sandbox/accounts/[^/]+/followers(?:/|$)", MESSAGING, K),
    # certification reviews are decided by their owner; the list (both kinds) is registration's
    regex(r"^/_sandbox/reviews/crev_[^/]+/", CERTIFICATION, K),
    prefix("/_sandbox/reviews", REGISTRATION, K),
    prefix("/_sandbox/accounts", REGISTRATION, K),
    prefix("/_sandbox/captchas/", REGISTRATION, K),
    # the gateway's own pages
    prefix("/openapi.json", GATEWAY, N),
    prefix("/docs", GATEWAY, N),
    prefix("/healthz", GATEWAY, N),
)

_DOT_SEGMENT = re.compile(r"(?:^|/)\.{1,2}(?:/|$)")


def _first_segment(path: str) -> str:
    end = path.find("/", 1)
    return path[1:] if end < 0 else path[1:end]


def _index(routes: tuple[Route, ...]) -> dict[str, tuple[Route, ...]]:
    """Routes grouped by their first path segment, table order kept: a path is only ever tried
    against the few routes that can own it (every pattern above starts with a literal segment)."""
    index: dict[str, list[Route]] = {}
    for route in routes:
        literal = route.pattern.removeprefix("^")
        segment = _first_segment(literal)
        wild = route.regex is not None and any(c in segment for c in "[(.*+?\\|{$")
        if not literal.startswith("/") or not segment or wild:
            raise ValueError(f"route {route.pattern!r} does not start with a literal segment")
        index.setdefault(segment, []).append(route)
    return {segment: tuple(group) for segment, group in index.items()}


_BY_SEGMENT = _index(ROUTES)


def resolve(path: str) -> Route | None:
    """The route owning `path`, or None (404). `/internal/...` is never matched, so never exposed.

    Paths with `.`/`..` segments are refused: no upstream normalises them, and a proxy that forwards
    `/api/v1/../internal/x` must not be the one that lets it resolve somewhere else.
    """
    if "." in path and _DOT_SEGMENT.search(path):
        return None
    for route in _BY_SEGMENT.get(_first_segment(path), ()):
        if route.matches(path):
            return route
    return None
