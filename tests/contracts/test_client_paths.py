"""Every path a contract client calls exists, with that method, in the provider's OpenAPI document.

A renamed route in a provider, or a typo in a client constant, fails here instead of at run time."""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from typing import Any

import pytest
from fastapi import FastAPI

from contracts.certification import client as certification
from contracts.messaging import client as messaging
from contracts.registration import client as registration
from contracts.scheduler import client as scheduler
from servicekit import lifecycle
from services.certification.app import build_app as build_certification
from services.messaging.app import build_app as build_messaging
from services.registration.app import build_app as build_registration
from services.scheduler.app import build_app as build_scheduler

PROVIDERS: dict[str, Callable[[], FastAPI]] = {
    "registration": build_registration,
    "certification": build_certification,
    "messaging": build_messaging,
    "scheduler": build_scheduler,
}

CALLS: list[tuple[str, str, str]] = [
    ("certification", "PUT", certification.RECORD_PATH),
    ("certification", "GET", certification.SUMMARY_PATH),
    ("certification", "POST", certification.SUMMARIES_PATH),
    ("certification", "GET", certification.BY_NAME_PATH),
    ("messaging", "POST", messaging.OUTBOX_PATH),
    ("messaging", "GET", messaging.ACCOUNT_STATS_PATH),
    ("registration", "GET", registration.ACCOUNT_PATH),
    ("registration", "GET", registration.ACCOUNT_BY_APPID_PATH),
    ("registration", "GET", registration.TOKEN_INTROSPECT_PATH),
    ("registration", "GET", registration.SESSION_INTROSPECT_PATH),
    ("registration", "POST", registration.TERMINATIONS_PATH),
    ("certification", "POST", certification.END_PATH),
    ("scheduler", "POST", scheduler.FACTS_PATH),
    ("scheduler", "GET", scheduler.SCHEDULE_PATH),
    *[(name, "POST", lifecycle.CLOCK_HOOK_PATH) for name in PROVIDERS],
    *[(name, "POST", lifecycle.RESET_PATH) for name in PROVIDERS],
    *[(name, "GET", lifecycle.READY_PATH) for name in PROVIDERS],
]


@cache
def paths_of(provider: str) -> dict[str, Any]:
    document: dict[str, Any] = PROVIDERS[provider]().openapi()
    return document["paths"]


@pytest.fixture(autouse=True)
def _database_url(monkeypatch: pytest.MonkeyPatch) -> None:
    # Building an app reads its settings; no connection is made.
    monkeypatch.setenv("DATABASE_URL", "postgresql://contract-test@127.0.0.1:1/none")


class TestContractClientPaths:
    @pytest.mark.parametrize(("provider", "method", "path"), CALLS)
    def test_provider_serves_the_path_with_the_method(self, provider: str, method: str, path: str) -> None:
        operations = paths_of(provider).get(path)
        assert operations is not None, f"{provider} has no route {path}"
        assert method.lower() in operations, f"{provider} {path} does not accept {method}"
