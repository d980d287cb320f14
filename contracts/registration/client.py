"""Typed client for registration's internal endpoints (paths appear only here and in its router)."""

from __future__ import annotations

from typing import Any

import httpx

from contracts.registration.schemas import AccountView, TerminationBatch, TerminationResults
from servicekit.http import call_peer, peer_path

ACCOUNT_PATH = "/internal/accounts/{account_id}"
ACCOUNT_BY_APPID_PATH = "/internal/accounts/by-appid/{appid}"
# Gateway: token check for /cgi-bin. 200 with Introspection JSON, or 200 with {"errcode","errmsg"}.
TOKEN_INTROSPECT_PATH = "/internal/auth/token"
# Gateway: console session check (Authorization: Bearer …). 200 with Introspection JSON, or 401.
SESSION_INTROSPECT_PATH = "/internal/auth/session"
# Scheduler: terminate a batch of accounts (R-DER-04); idempotent.
TERMINATIONS_PATH = "/internal/accounts/terminations"


class RegistrationClient:
    def __init__(self, client: httpx.AsyncClient) -> None:
        self._client = client

    async def account(self, account_id: str) -> AccountView:
        response = await call_peer(
            self._client, "GET", peer_path(ACCOUNT_PATH, account_id=account_id), service="registration"
        )
        return AccountView.model_validate(response.json())

    async def account_by_appid(self, appid: str) -> AccountView:
        """Raises a 404 SandboxError (code account_not_found) for an unknown AppID."""
        response = await call_peer(
            self._client, "GET", peer_path(ACCOUNT_BY_APPID_PATH, appid=appid), service="registration"
        )
        return AccountView.model_validate(response.json())

    async def introspect_token(self, access_token: str) -> dict[str, Any]:
        response = await call_peer(
            self._client,
            "GET",
            TOKEN_INTROSPECT_PATH,
            service="registration",
            params={"access_token": access_token},
        )
        result: dict[str, Any] = response.json()
        return result

    async def terminate(self, batch: TerminationBatch) -> TerminationResults:
        """R-DER-04: terminate accounts, one answer per item; repeating a batch changes nothing more."""
        response = await call_peer(
            self._client,
            "POST",
            TERMINATIONS_PATH,
            service="registration",
            json=batch.model_dump(mode="json"),
        )
        return TerminationResults.model_validate(response.json())
