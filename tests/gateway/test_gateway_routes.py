from __future__ import annotations

import pytest

from gateway.routes import resolve

OWNERS = [
    ("/cgi-bin/token", "registration"),
    ("/cgi-bin/stable_token", "registration"),
    ("/cgi-bin/getcallbackip", "registration"),
    ("/cgi-bin/message/mass/sendall", "messaging"),
    ("/cgi-bin/material/add_material", "messaging"),
    ("/api/v1/certifications", "certification"),
    ("/api/v1/certifications/c-1/documents", "certification"),
    ("/api/v1/mass-sends", "messaging"),
    ("/api/v1/materials/m-1", "messaging"),
    ("/api/v1/followers", "messaging"),
    ("/api/v1/notifications", "messaging"),
    ("/api/v1/developer/server", "messaging"),
    ("/api/v1/account", "registration"),
    ("/api/v1/sessions", "registration"),
    ("/api/v1/materialsx", "registration"),
    ("/_sandbox/health", "gateway"),
    ("/_sandbox/clock", "scheduler"),
    ("/_sandbox/clock/advance", "scheduler"),
    ("/_sandbox/reset", "scheduler"),
    ("/_sandbox/settings", "scheduler"),
    ("/_sandbox/outbox/latest", "messaging"),
    ("/_sandbox/followers/o-1/inbox", "messaging"),
    ("/_sandbox/push-log", "messaging"),
    ("/_sandbox/accounts/wx123/followers", "messaging"),
    ("/_sandbox/accounts/wx123/followers/o-1/unsubscribe", "messaging"),
    ("/_sandbox/accounts", "registration"),
    ("/_sandbox/accounts/wx123", "registration"),
    ("/_sandbox/reviews/r-1/approve", "registration"),
    ("/_sandbox/captchas/c-1", "registration"),
    ("/openapi.json", "gateway"),
    ("/docs", "gateway"),
    ("/healthz", "gateway"),
]


class TestResolve:
    @pytest.mark.parametrize(("path", "service"), OWNERS)
    def test_path_is_owned_by_its_service(self, path: str, service: str) -> None:
        route = resolve(path)
        assert route is not None
        assert route.service == service

    @pytest.mark.parametrize(
        "path", ["/internal/auth/token", "/internal/reset", "/readyz", "/", "/cgi-bin", "/_sandbox/nothing"]
    )
    def test_unrouted_path_has_no_owner(self, path: str) -> None:
        assert resolve(path) is None

    @pytest.mark.parametrize("path", ["/api/v1/../../internal/auth/token", "/cgi-bin/./token", "/api/v1/.."])
    def test_dot_segments_are_refused(self, path: str) -> None:
        assert resolve(path) is None
