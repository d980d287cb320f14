"""contracts.scheduler.client against the real scheduler app: every path and shape agrees."""

from __future__ import annotations

from datetime import timedelta

import httpx
import pytest
from fastapi import FastAPI

from contracts.scheduler import client as client_module
from contracts.scheduler.client import SchedulerClient
from contracts.scheduler.schemas import ClockAdvance, SettingsUpdate
from servicekit.errors import SandboxError
from tests.scheduler.conftest import FakePeer


@pytest.fixture
def scheduler(client: httpx.AsyncClient) -> SchedulerClient:
    return SchedulerClient(client)


class TestSchedulerClient:
    async def test_clock_calls_round_trip(
        self, scheduler: SchedulerClient, peers: dict[str, FakePeer]
    ) -> None:
        frozen = await scheduler.freeze("cli")
        assert frozen.frozen is True
        advanced = await scheduler.advance(ClockAdvance(hours=6), "cli")
        assert advanced.now - advanced.from_ == timedelta(hours=6)
        assert (await scheduler.clock("cli")).now == advanced.now
        assert (await scheduler.unfreeze("cli")).frozen is False
        assert len(peers["messaging"].hook_calls()) == 1

    async def test_settings_and_reset_round_trip(self, scheduler: SchedulerClient) -> None:
        updated = await scheduler.update_settings(SettingsUpdate(review_policy="instant"), "cli")
        assert updated.review_policy == "instant"
        assert (await scheduler.settings("cli")).review_policy == "instant"
        done = await scheduler.reset()
        assert done.reset == ["registration", "certification", "messaging", "scheduler"]
        assert (await scheduler.settings("cli")).review_policy == "at_deadline"

    async def test_refusal_surfaces_as_sandbox_error(self, scheduler: SchedulerClient) -> None:
        with pytest.raises(SandboxError) as caught:
            await scheduler.clock("bad namespace")
        assert caught.value.instance_code == "invalid_namespace"

    def test_every_client_path_is_served(self, app: FastAPI) -> None:
        served = app.openapi()["paths"]
        paths = [v for k, v in vars(client_module).items() if k.endswith("_PATH")]
        assert paths
        assert all(p in served for p in paths)
