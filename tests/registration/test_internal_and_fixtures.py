from __future__ import annotations

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from tests.registration.factories import FakeMessaging, fixture_account, login


class TestInternalAccounts:
    async def test_account_by_id_and_by_appid_agree(self, client: httpx.AsyncClient) -> None:
        account = await fixture_account(client, type="service")
        by_id = (await client.get(f"/internal/accounts/{account['account_id']}")).json()
        by_appid = (await client.get(f"/internal/accounts/by-appid/{account['appid']}")).json()
        assert by_id == by_appid
        assert by_id["status"] == "approved"
        assert by_id["type"] == "service"
        assert by_id["certified"] is False
        assert "advanced_interfaces" not in by_id["capabilities"]

    async def test_certified_fixture_is_certified_with_advanced_interfaces(
        self, client: httpx.AsyncClient
    ) -> None:
        account = await fixture_account(client, type="service", certified=True, name="东城区公安分局")
        view = (await client.get(f"/internal/accounts/by-appid/{account['appid']}")).json()
        assert view["certified"] is True
        assert "advanced_interfaces" in view["capabilities"]

    async def test_unknown_account_is_404_account_not_found(self, client: httpx.AsyncClient) -> None:
        for path in ("/internal/accounts/acc_missing", "/internal/accounts/by-appid/wx0000000000000000"):
            r = await client.get(path)
            assert r.status_code == 404
            assert r.json()["error"]["code"] == "account_not_found"


@pytest.mark.rule("R-REG-21")
class TestSessionIntrospection:
    async def test_live_session_resolves_to_the_account(self, client: httpx.AsyncClient) -> None:
        account = await fixture_account(client)
        headers = await login(client, account["email"], account["password"])
        r = await client.get("/internal/auth/session", headers=headers)
        assert r.status_code == 200
        assert r.json()["account"]["account_id"] == account["account_id"]
        assert r.json()["ttl"] > 12 * 3600 - 60

    async def test_missing_or_revoked_session_is_401(self, client: httpx.AsyncClient) -> None:
        account = await fixture_account(client)
        headers = await login(client, account["email"], account["password"])
        assert (await client.get("/internal/auth/session")).status_code == 401
        assert (await client.delete("/api/v1/sessions", headers=headers)).status_code == 204
        assert (await client.get("/internal/auth/session", headers=headers)).status_code == 401


class TestCreateFixture:
    @pytest.mark.rule("R-REG-30")
    async def test_fixture_has_every_documented_field(self, client: httpx.AsyncClient) -> None:
        account = await fixture_account(client, namespace="ns-fixtures")
        assert account["namespace"] == "ns-fixtures"
        assert account["appid"].startswith("wx")
        assert len(account["appid"]) == 18
        assert len(account["secret"]) == 32
        assert account["original_id"].startswith("gh_")
        assert len(account["original_id"]) == 15
        assert account["status"] == "approved"
        assert account["certified"] is False
        assert account["type"] == "subscription"

    async def test_each_fixture_has_its_own_identity(
        self, client: httpx.AsyncClient, db_conn: AsyncConnection
    ) -> None:
        first, second = await fixture_account(client), await fixture_account(client)
        assert first["email"] != second["email"]
        rows = (
            await db_conn.execute(
                text(
                    "SELECT operator_id_number, operator_phone FROM registration.accounts"
                    " WHERE id IN (:a, :b)"
                ),
                {"a": first["account_id"], "b": second["account_id"]},
            )
        ).all()
        assert len({r[0] for r in rows}) == 2
        assert len({r[1] for r in rows}) == 2

    @pytest.mark.rule("R-REG-02", "R-REG-30")
    async def test_secret_is_stored_hashed(self, client: httpx.AsyncClient, db_conn: AsyncConnection) -> None:
        account = await fixture_account(client)
        stored = (
            await db_conn.execute(
                text("SELECT secret_hash, password_hash FROM registration.accounts WHERE id = :id"),
                {"id": account["account_id"]},
            )
        ).one()
        assert account["secret"] not in stored[0]
        assert stored[1].startswith("$argon2id$")

    async def test_in_review_fixture_has_a_pending_review_and_no_appid(
        self, client: httpx.AsyncClient
    ) -> None:
        account = await fixture_account(client, status="in_review")
        assert account["status"] == "in_review"
        assert account["appid"] is None
        assert account["secret"] is None
        reviews = (await client.get("/_sandbox/reviews", params={"status": "pending"})).json()["items"]
        assert account["account_id"] in [r["account_id"] for r in reviews]

    async def test_certified_but_not_approved_is_refused(self, client: httpx.AsyncClient) -> None:
        r = await client.post(
            "/_sandbox/accounts", json={"type": "service", "certified": True, "status": "in_review"}
        )
        assert r.status_code == 422

    async def test_unknown_type_is_422(self, client: httpx.AsyncClient) -> None:
        r = await client.post("/_sandbox/accounts", json={"type": "enterprise"})
        assert r.status_code == 422

    async def test_type_is_required(self, client: httpx.AsyncClient) -> None:
        r = await client.post("/_sandbox/accounts", json={"certified": True})
        assert r.status_code == 422
        assert r.json()["error"]["field"] == "type"

    @pytest.mark.rule("R-REG-16")
    async def test_fixture_name_follows_the_name_rules_protected_names_included(
        self, client: httpx.AsyncClient
    ) -> None:
        for name in ("微信政务", "腾讯东城", "东 城", "东"):
            r = await client.post("/_sandbox/accounts", json={"type": "service", "name": name})
            assert r.status_code == 400, name
            assert r.json()["error"]["field"] == "name", name

    @pytest.mark.rule("R-REG-16", "R-CER-04")
    async def test_name_of_a_certified_account_is_refused_for_another_fixture(
        self, client: httpx.AsyncClient, db_conn: AsyncConnection
    ) -> None:
        holder = await fixture_account(client, type="service", certified=True, name="东城区公安分局")

        for body in ({"certified": True}, {}):
            r = await client.post(
                "/_sandbox/accounts", json={"type": "service", "name": "东城区公安分局", **body}
            )
            assert r.status_code == 409, body
            assert r.json()["error"]["code"] == "certified_name_taken", body
        names = (
            await db_conn.execute(text("SELECT id FROM registration.accounts WHERE name = '东城区公安分局'"))
        ).scalars()
        assert list(names) == [holder["account_id"]]


class TestAccountState:
    async def test_state_has_timeline_deadlines_capabilities_and_messaging_counters(
        self, client: httpx.AsyncClient
    ) -> None:
        account = await fixture_account(client)
        state = (await client.get(f"/_sandbox/accounts/{account['appid']}")).json()
        assert state["status"] == "approved"
        assert next(e["kind"] for e in state["timeline"]) == "registered"
        assert "approved" in [e["kind"] for e in state["timeline"]]
        assert state["deadlines"]["deregistration_due_at"] is not None
        assert "mass_send" in state["capabilities"]
        assert state["followers"] == 3

    async def test_messaging_outage_omits_its_counters(
        self, client: httpx.AsyncClient, messaging: FakeMessaging
    ) -> None:
        account = await fixture_account(client)
        messaging.down = True
        r = await client.get(f"/_sandbox/accounts/{account['appid']}")
        assert r.status_code == 200
        assert "followers" not in r.json()

    async def test_unknown_appid_is_404(self, client: httpx.AsyncClient) -> None:
        assert (await client.get("/_sandbox/accounts/wx0000000000000000")).status_code == 404


class TestListAccounts:
    """`GET /_sandbox/accounts` (SPEC §7): the namespace's accounts for consoles and scripts."""

    async def test_lists_the_namespaces_accounts_oldest_first_with_the_documented_fields(
        self, client: httpx.AsyncClient
    ) -> None:
        first = await fixture_account(
            client, namespace="ns-list", type="service", certified=True, name="东城区公安分局"
        )
        second = await fixture_account(client, namespace="ns-list", status="in_review")
        await fixture_account(client, namespace="ns-elsewhere")

        listed = (await client.get("/_sandbox/accounts", headers={"X-Sandbox-Namespace": "ns-list"})).json()

        assert listed["next_cursor"] is None
        assert [i["account_id"] for i in listed["items"]] == [first["account_id"], second["account_id"]]
        assert listed["items"][0] == {
            "account_id": first["account_id"],
            "appid": first["appid"],
            "name": "东城区公安分局",
            "type": "service",
            "certified": True,
            "status": "approved",
        }
        assert listed["items"][1]["status"] == "in_review"
        assert listed["items"][1]["certified"] is False

    @pytest.mark.parametrize(
        ("query", "expected"),
        [
            ({"status": "approved"}, ["a", "b"]),
            ({"status": "in_review"}, ["c"]),
            ({"type": "service"}, ["b"]),
            ({"certified": "true"}, ["b"]),
            ({"certified": "false"}, ["a", "c"]),
            ({"q": "朝阳"}, ["b"]),
            ({"q": "%"}, []),
        ],
    )
    async def test_filters(
        self, client: httpx.AsyncClient, query: dict[str, str], expected: list[str]
    ) -> None:
        ns = {"X-Sandbox-Namespace": "ns-filter"}
        made = {
            "a": await fixture_account(client, namespace="ns-filter", name="东城发布"),
            "b": await fixture_account(
                client, namespace="ns-filter", type="service", certified=True, name="朝阳发布"
            ),
            "c": await fixture_account(client, namespace="ns-filter", status="in_review"),
        }
        ids = {created["account_id"]: key for key, created in made.items()}

        listed = (await client.get("/_sandbox/accounts", params=query, headers=ns)).json()

        assert [ids[i["account_id"]] for i in listed["items"]] == expected

    async def test_pages_with_a_cursor_until_it_is_null(self, client: httpx.AsyncClient) -> None:
        ns = {"X-Sandbox-Namespace": "ns-pages"}
        made = [(await fixture_account(client, namespace="ns-pages"))["account_id"] for _ in range(5)]

        seen, cursor, pages = [], None, 0
        while True:
            params = {"limit": "2", **({"cursor": cursor} if cursor else {})}
            page = (await client.get("/_sandbox/accounts", params=params, headers=ns)).json()
            seen += [i["account_id"] for i in page["items"]]
            pages += 1
            cursor = page["next_cursor"]
            if cursor is None:
                break

        assert seen == made
        assert pages == 3

    @pytest.mark.parametrize(
        "params",
        [{"cursor": "acc_missing"}, {"limit": "0"}, {"limit": "201"}, {"status": "sleeping"}, {"type": "x"}],
    )
    async def test_bad_parameters_are_refused(
        self, client: httpx.AsyncClient, params: dict[str, str]
    ) -> None:
        response = await client.get("/_sandbox/accounts", params=params)

        assert response.status_code in (400, 422)
        assert response.json()["error"]["code"] in ("invalid_cursor", "validation_error")

    async def test_a_cursor_from_another_namespace_is_refused(self, client: httpx.AsyncClient) -> None:
        other = await fixture_account(client, namespace="ns-other")

        response = await client.get(
            "/_sandbox/accounts",
            params={"cursor": other["account_id"]},
            headers={"X-Sandbox-Namespace": "ns-mine"},
        )

        assert response.status_code == 400
        assert response.json()["error"]["field"] == "cursor"
