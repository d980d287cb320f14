from __future__ import annotations

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncConnection

from servicekit.testing import asgi_client
from tests.scheduler.conftest import FakePeer, ns, scheduler_app


class TestSettings:
    async def test_default_policy_comes_from_the_environment(
        self, db_conn: AsyncConnection, peers: dict[str, FakePeer], monkeypatch: pytest.MonkeyPatch
    ) -> None:
        monkeypatch.setenv("MPSANDBOX_REVIEW_POLICY", "manual")
        app, clients = scheduler_app(peers, connection=db_conn)
        async with asgi_client(app) as client:
            r = await client.get("/_sandbox/settings", headers=ns("s"))
        for c in clients:
            await c.aclose()
        assert r.json() == {"namespace": "s", "review_policy": "manual"}

    async def test_policy_round_trips_per_namespace(self, client: httpx.AsyncClient) -> None:
        r = await client.put("/_sandbox/settings", headers=ns("s"), json={"review_policy": "instant"})
        assert r.status_code == 200
        assert r.json() == {"namespace": "s", "review_policy": "instant"}
        assert (await client.get("/_sandbox/settings", headers=ns("s"))).json()["review_policy"] == "instant"
        other = (await client.get("/_sandbox/settings", headers=ns("other"))).json()
        assert other["review_policy"] == "at_deadline"

    @pytest.mark.parametrize(
        "body", [{"review_policy": "sometimes"}, {}, {"review_policy": "manual", "extra": 1}], ids=str
    )
    async def test_invalid_policy_is_refused_and_changes_nothing(
        self, client: httpx.AsyncClient, body: dict[str, object]
    ) -> None:
        await client.put("/_sandbox/settings", headers=ns("s"), json={"review_policy": "instant"})
        r = await client.put("/_sandbox/settings", headers=ns("s"), json=body)
        assert r.status_code == 422
        assert r.json()["error"]["code"] == "validation_error"
        assert (await client.get("/_sandbox/settings", headers=ns("s"))).json()["review_policy"] == "instant"


class TestReset:
    @pytest.fixture
    async def changed(self, client: httpx.AsyncClient) -> httpx.AsyncClient:
        await client.post("/_sandbox/clock/advance", headers=ns("r"), json={"days": 10})
        await client.post("/_sandbox/clock/freeze", headers=ns("r"))
        await client.put("/_sandbox/settings", headers=ns("r"), json={"review_policy": "manual"})
        return client

    async def test_reset_empties_every_service_and_clears_clocks(
        self, changed: httpx.AsyncClient, peers: dict[str, FakePeer]
    ) -> None:
        r = await changed.post("/_sandbox/reset")
        assert r.status_code == 200
        assert r.json() == {
            "reset": ["registration", "certification", "messaging", "scheduler"],
            "clocks": "real_time",
        }
        assert all(p.reset_calls() == 1 for p in peers.values())
        state = (await changed.get("/_sandbox/clock", headers=ns("r"))).json()
        assert (state["frozen"], state["offset_seconds"]) == (False, 0)
        policy = (await changed.get("/_sandbox/settings", headers=ns("r"))).json()["review_policy"]
        assert policy == "at_deadline"

    async def test_peer_down_is_503_naming_it_and_clocks_stay(
        self, changed: httpx.AsyncClient, peers: dict[str, FakePeer]
    ) -> None:
        peers["certification"].down = True
        r = await changed.post("/_sandbox/reset")
        assert r.status_code == 503
        error = r.json()["error"]
        assert error["code"] == "certification_unavailable"
        assert error["services"] == ["certification"]
        state = (await changed.get("/_sandbox/clock", headers=ns("r"))).json()
        assert state["frozen"] is True
        assert state["offset_seconds"] > 9 * 86400
