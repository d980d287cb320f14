"""Typed client for the scheduler: its control plane (`/_sandbox/clock`, `/_sandbox/settings`, reset)
and the internal calls of deregistration (lifecycle facts in, an account's schedule out)."""

from __future__ import annotations

from typing import Any

import httpx

from contracts.scheduler.schemas import (
    ClockAdvance,
    ClockAdvanced,
    ClockState,
    DeregistrationSchedule,
    FactsRecorded,
    LifecycleFact,
    LifecycleFacts,
    ResetDone,
    SandboxSettings,
    SettingsUpdate,
)
from servicekit.context import NAMESPACE_HEADER
from servicekit.errors import SandboxError
from servicekit.http import call_peer, peer_path

CLOCK_PATH = "/_sandbox/clock"
ADVANCE_PATH = "/_sandbox/clock/advance"
FREEZE_PATH = "/_sandbox/clock/freeze"
UNFREEZE_PATH = "/_sandbox/clock/unfreeze"
SETTINGS_PATH = "/_sandbox/settings"
SANDBOX_RESET_PATH = "/_sandbox/reset"
FACTS_PATH = "/internal/lifecycle-facts"
SCHEDULE_PATH = "/internal/deregistration/accounts/{account_id}"
SCHEDULE_UNKNOWN = "schedule_not_found"  # the 404 code of SCHEDULE_PATH: no fact about the account yet

# An advance or a reset waits for every service's hook, which may do bulk work.
SLOW_CALL_TIMEOUT = 120.0


class SchedulerClient:
    def __init__(self, client: httpx.AsyncClient) -> None:
        self._client = client

    async def _call(self, method: str, path: str, namespace: str | None, **kwargs: Any) -> httpx.Response:
        headers = {NAMESPACE_HEADER: namespace} if namespace else {}
        return await call_peer(self._client, method, path, service="scheduler", headers=headers, **kwargs)

    async def clock(self, namespace: str | None = None) -> ClockState:
        response = await self._call("GET", CLOCK_PATH, namespace)
        return ClockState.model_validate(response.json())

    async def advance(self, body: ClockAdvance, namespace: str | None = None) -> ClockAdvanced:
        response = await self._call(
            "POST",
            ADVANCE_PATH,
            namespace,
            json=body.model_dump(mode="json", exclude_none=True),
            timeout=SLOW_CALL_TIMEOUT,
        )
        return ClockAdvanced.model_validate(response.json())

    async def freeze(self, namespace: str | None = None) -> ClockState:
        return ClockState.model_validate((await self._call("POST", FREEZE_PATH, namespace)).json())

    async def unfreeze(self, namespace: str | None = None) -> ClockState:
        return ClockState.model_validate((await self._call("POST", UNFREEZE_PATH, namespace)).json())

    async def settings(self, namespace: str | None = None) -> SandboxSettings:
        return SandboxSettings.model_validate((await self._call("GET", SETTINGS_PATH, namespace)).json())

    async def update_settings(self, body: SettingsUpdate, namespace: str | None = None) -> SandboxSettings:
        response = await self._call("PUT", SETTINGS_PATH, namespace, json=body.model_dump(mode="json"))
        return SandboxSettings.model_validate(response.json())

    async def reset(self) -> ResetDone:
        response = await self._call("POST", SANDBOX_RESET_PATH, None, timeout=SLOW_CALL_TIMEOUT)
        return ResetDone.model_validate(response.json())

    async def record_facts(self, facts: list[LifecycleFact]) -> FactsRecorded:
        """Hand lifecycle facts to the scheduler (R-DER-01/02); a retry of the same facts is harmless."""
        response = await self._call(
            "POST", FACTS_PATH, None, json=LifecycleFacts(facts=facts).model_dump(mode="json")
        )
        return FactsRecorded.model_validate(response.json())

    async def schedule(self, account_id: str) -> DeregistrationSchedule | None:
        """The account's deregistration schedule (R-DER-07), or None when no fact about it arrived yet."""
        try:
            response = await self._call("GET", peer_path(SCHEDULE_PATH, account_id=account_id), None)
        except SandboxError as exc:
            if exc.instance_status == 404 and exc.instance_code == SCHEDULE_UNKNOWN:
                return None
            raise
        return DeregistrationSchedule.model_validate(response.json())
