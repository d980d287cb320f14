"""Registration's side of deregistration (SPEC §6.2): lifecycle facts for the scheduler, terminations it
asks for (R-DER-04), the administrator WeChat (R-DER-03), back-dated fixtures (§7) and the lifecycle
an account shows (R-DER-07). The scheduler is a recording fake; certification is the real app."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from contracts.registration.client import TERMINATIONS_PATH
from servicekit.clock import SHANGHAI
from tests.registration.factories import (
    FakeMessaging,
    FakeScheduler,
    activated_operator,
    clock_hook,
    fixture_account,
    login,
    operator_in_review,
    register,
    request_token,
    set_clock,
    unique_email,
)

T0 = datetime(2026, 3, 2, 10, 0, tzinfo=SHANGHAI)
DAY = timedelta(hours=24)


async def terminate(client: httpx.AsyncClient, *items: dict[str, Any]) -> list[dict[str, Any]]:
    response = await client.post(TERMINATIONS_PATH, json={"items": list(items)})
    assert response.status_code == 200, response.text
    answers: list[dict[str, Any]] = response.json()["items"]
    return answers


def inactive(account_id: str, anchor_at: datetime, at: datetime | None = None) -> dict[str, Any]:
    at = at or anchor_at + 210 * DAY
    return {
        "account_id": account_id,
        "rule": "R-DER-02",
        "reason": "inactive",
        "anchor_at": anchor_at.isoformat(),
        "at": at.isoformat(),
    }


def incomplete(account_id: str, signed_up_at: datetime) -> dict[str, Any]:
    return {
        "account_id": account_id,
        "rule": "R-DER-01",
        "reason": "registration_incomplete",
        "anchor_at": signed_up_at.isoformat(),
        "at": (signed_up_at + 80 * DAY).isoformat(),
    }


async def undelivered_facts(db_conn: AsyncConnection, account_id: str) -> list[str]:
    rows = await db_conn.execute(
        text(
            "SELECT kind FROM registration.lifecycle_facts"
            " WHERE account_id = :a AND delivered_at IS NULL ORDER BY seq"
        ),
        {"a": account_id},
    )
    return [row.kind for row in rows]


@pytest.mark.rule("R-DER-01", "R-DER-02")
class TestLifecycleFacts:
    async def test_every_step_of_an_application_reaches_the_scheduler_before_its_answer(
        self, client: httpx.AsyncClient, messaging: FakeMessaging, scheduler: FakeScheduler
    ) -> None:
        op = await operator_in_review(client, messaging)
        reviews = (await client.get("/_sandbox/reviews", params={"status": "pending"})).json()["items"]
        (review,) = [r for r in reviews if r["account_id"] == op.account_id]
        assert (await client.post(f"/_sandbox/reviews/{review['review_id']}/approve")).status_code == 200

        assert scheduler.kinds(op.account_id) == [
            "signed_up",
            "activated",
            "login",
            "operator_phone",
            "approved",
        ]
        facts = dict(scheduler.of(op.account_id))
        assert facts["signed_up"] == {"email": op.email}
        assert facts["operator_phone"] == {"phone": "13800138000"}

    async def test_a_login_while_the_scheduler_is_down_reaches_it_before_the_next_clock_hook_answers(
        self,
        client: httpx.AsyncClient,
        scheduler: FakeScheduler,
        db_conn: AsyncConnection,
    ) -> None:
        account = await fixture_account(client)
        scheduler.down = True
        await login(client, account["email"], account["password"])
        pending = await undelivered_facts(db_conn, account["account_id"])
        scheduler.down = False

        await clock_hook(client, None, None)

        assert pending == ["login"]
        assert scheduler.kinds(account["account_id"]).count("login") == 2  # the fixture's, then this one
        assert await undelivered_facts(db_conn, account["account_id"]) == []

    async def test_deadline_approvals_record_their_fact(
        self,
        client: httpx.AsyncClient,
        messaging: FakeMessaging,
        scheduler: FakeScheduler,
        db_conn: AsyncConnection,
    ) -> None:
        await set_clock(db_conn, T0)
        await db_conn.execute(
            text(
                "INSERT INTO sandbox.namespaces (namespace, review_policy) VALUES ('default', 'at_deadline') "
                "ON CONFLICT (namespace) DO UPDATE SET review_policy = 'at_deadline'"
            )
        )
        op = await operator_in_review(client, messaging)

        await clock_hook(client, "default", T0 + 30 * DAY)

        kind, _ = scheduler.of(op.account_id)[-1]
        assert kind == "approved"

    async def test_a_new_login_email_is_a_contact_fact(
        self, client: httpx.AsyncClient, scheduler: FakeScheduler
    ) -> None:
        account = await fixture_account(client)
        headers = await login(client, account["email"], account["password"])
        address = unique_email()

        changed = await client.patch(
            "/api/v1/account/settings", json={"login_email": address}, headers=headers
        )

        assert changed.status_code == 200, changed.text
        assert scheduler.of(account["account_id"])[-1] == ("login_email", {"email": address})


@pytest.mark.rule("R-DER-03")
class TestAdminWechat:
    async def test_binding_shows_on_the_account_and_tells_the_scheduler(
        self, client: httpx.AsyncClient, scheduler: FakeScheduler
    ) -> None:
        account = await fixture_account(client)
        headers = await login(client, account["email"], account["password"])

        bound = await client.put(
            "/api/v1/account/admin-wechat", json={"wechat_id": "Admin_01-x"}, headers=headers
        )
        shown = (await client.get("/api/v1/account", headers=headers)).json()

        assert (bound.status_code, bound.json()) == (200, {"admin_wechat": "Admin_01-x"})
        assert shown["admin_wechat"] == "Admin_01-x"
        assert scheduler.of(account["account_id"])[-1] == ("admin_wechat", {"wechat_id": "Admin_01-x"})

    @pytest.mark.parametrize(
        "wechat_id", ["1abcdef", "abcde", "a" * 21, "ab cdef", "微信号码六位", "abc.def", ""]
    )
    async def test_an_id_breaking_the_wechat_id_rules_is_400_naming_the_field_and_changes_nothing(
        self, client: httpx.AsyncClient, scheduler: FakeScheduler, wechat_id: str
    ) -> None:
        account = await fixture_account(client)
        headers = await login(client, account["email"], account["password"])
        facts = len(scheduler.facts)

        refused = await client.put(
            "/api/v1/account/admin-wechat", json={"wechat_id": wechat_id}, headers=headers
        )

        assert refused.status_code == 400, refused.text
        assert (refused.json()["error"]["code"], refused.json()["error"]["field"]) == (
            "invalid_wechat_id",
            "wechat_id",
        )
        assert (await client.get("/api/v1/account", headers=headers)).json()["admin_wechat"] is None
        assert len(scheduler.facts) == facts

    async def test_unbinding_clears_it_during_registration_too(
        self, client: httpx.AsyncClient, messaging: FakeMessaging, scheduler: FakeScheduler
    ) -> None:
        op = await activated_operator(client, messaging)
        await client.put("/api/v1/account/admin-wechat", json={"wechat_id": "gov_admin"}, headers=op.headers)

        unbound = await client.delete("/api/v1/account/admin-wechat", headers=op.headers)

        assert unbound.json() == {"admin_wechat": None}
        assert scheduler.of(op.account_id)[-1] == ("admin_wechat", {"wechat_id": None})


@pytest.mark.rule("R-DER-04")
class TestTermination:
    async def test_an_inactive_account_is_terminated_everywhere(
        self, client: httpx.AsyncClient, scheduler: FakeScheduler, certification_calls: list[str]
    ) -> None:
        account = await fixture_account(client, type="service", certified=True)
        headers = await login(client, account["email"], account["password"])
        token = (await request_token(client, account)).json()["access_token"]
        state = (await client.get(f"/_sandbox/accounts/{account['appid']}")).json()
        anchor = datetime.fromisoformat(state["last_login_at"])

        (answer,) = await terminate(client, inactive(account["account_id"], anchor))

        assert (answer["outcome"], answer["reason"]) == ("terminated", "inactive")
        assert datetime.fromisoformat(answer["terminated_at"]) == anchor + 210 * DAY
        gone = await client.post(
            "/api/v1/sessions", json={"email": account["email"], "password": account["password"]}
        )
        assert gone.status_code == 410
        body = gone.json()["error"]
        assert (body["code"], body["reason"]) == ("account_terminated", "inactive")
        assert datetime.fromisoformat(body["terminated_at"]) == anchor + 210 * DAY
        assert body["message"]
        assert (await client.get("/api/v1/account", headers=headers)).status_code == 410
        assert (await client.get("/internal/auth/token", params={"access_token": token})).json()[
            "errcode"
        ] == 40001
        assert (await request_token(client, account)).json()["errcode"] == 40013
        found = (await client.get("/api/v1/accounts/search", params={"q": account["name"]})).json()["items"]
        assert found == []
        assert f"POST /internal/certifications/{account['account_id']}/end" in certification_calls
        shown = (await client.get(f"/_sandbox/accounts/{account['appid']}")).json()
        assert (shown["status"], shown["certified"], shown["termination_reason"]) == (
            "terminated",
            False,
            "inactive",
        )
        assert scheduler.of(account["account_id"])[-1] == ("terminated", {"reason": "inactive"})

    async def test_the_gateway_may_not_reuse_an_account_past_its_deregistration_instant(
        self, client: httpx.AsyncClient, db_conn: AsyncConnection
    ) -> None:
        await set_clock(db_conn, T0)
        idle = T0 - 210 * DAY + timedelta(seconds=30)
        account = await fixture_account(client, last_login_at=idle.isoformat())
        token = (await request_token(client, account)).json()["access_token"]

        answer = (await client.get("/internal/auth/token", params={"access_token": token})).json()

        assert answer["account"]["status"] == "approved"
        assert answer["ttl"] == pytest.approx(30)

    async def test_a_pending_review_is_cancelled_and_the_email_freed(
        self, client: httpx.AsyncClient, messaging: FakeMessaging, db_conn: AsyncConnection
    ) -> None:
        op = await operator_in_review(client, messaging)
        created = await db_conn.scalar(
            text("SELECT created_at FROM registration.accounts WHERE id = :a"), {"a": op.account_id}
        )

        (answer,) = await terminate(client, incomplete(op.account_id, created))

        assert answer["outcome"] == "terminated"
        reviews = (await client.get("/_sandbox/reviews", params={"kind": "registration"})).json()["items"]
        (review,) = [r for r in reviews if r["account_id"] == op.account_id]
        assert review["status"] == "cancelled"
        assert datetime.fromisoformat(review["decided_at"]) == created + 80 * DAY
        again = await register(client, op.email)
        assert again.status_code == 201, again.text  # R-REG-01 counts live accounts only

    async def test_the_wechat_id_of_a_terminated_account_is_free_again(
        self, client: httpx.AsyncClient
    ) -> None:
        first = await fixture_account(client)
        first_headers = await login(client, first["email"], first["password"])
        await client.patch(
            "/api/v1/account/settings", json={"wechat_id": "freed_again"}, headers=first_headers
        )
        state = (await client.get(f"/_sandbox/accounts/{first['appid']}")).json()
        await terminate(client, inactive(first["account_id"], datetime.fromisoformat(state["last_login_at"])))
        second = await fixture_account(client)
        second_headers = await login(client, second["email"], second["password"])

        taken = await client.patch(
            "/api/v1/account/settings", json={"wechat_id": "freed_again"}, headers=second_headers
        )

        assert taken.status_code == 200, taken.text

    async def test_a_login_the_scheduler_missed_refuses_the_termination(
        self, client: httpx.AsyncClient
    ) -> None:
        account = await fixture_account(client)
        state = (await client.get(f"/_sandbox/accounts/{account['appid']}")).json()
        old_anchor = datetime.fromisoformat(state["last_login_at"]) - DAY

        (answer,) = await terminate(client, inactive(account["account_id"], old_anchor))

        assert answer["outcome"] == "refused"
        assert (await client.get(f"/_sandbox/accounts/{account['appid']}")).json()["status"] == "approved"

    async def test_an_approval_the_scheduler_missed_refuses_registration_incomplete(
        self, client: httpx.AsyncClient
    ) -> None:
        account = await fixture_account(client)

        (answer,) = await terminate(client, incomplete(account["account_id"], T0))

        assert answer["outcome"] == "refused"

    async def test_terminating_twice_changes_nothing_more_and_unknown_accounts_are_named(
        self, client: httpx.AsyncClient, scheduler: FakeScheduler
    ) -> None:
        account = await fixture_account(client)
        state = (await client.get(f"/_sandbox/accounts/{account['appid']}")).json()
        item = inactive(account["account_id"], datetime.fromisoformat(state["last_login_at"]))
        (first,) = await terminate(client, item)
        facts = len(scheduler.facts)

        second, unknown = await terminate(client, item, {**item, "account_id": "acc_nobody"})

        assert (second["outcome"], second["terminated_at"]) == ("already_terminated", first["terminated_at"])
        assert unknown == {
            "account_id": "acc_nobody",
            "outcome": "not_found",
            "terminated_at": None,
            "reason": None,
        }
        assert len(scheduler.facts) == facts

    @pytest.mark.rule("R-CER-08")
    async def test_certification_down_at_termination_is_ended_by_a_later_clock_hook(
        self, client: httpx.AsyncClient, db_conn: AsyncConnection, certification_calls: list[str]
    ) -> None:
        account = await fixture_account(client, type="service", certified=True)
        state = (await client.get(f"/_sandbox/accounts/{account['appid']}")).json()
        # Certification answers nothing: its summaries call fails (a 404 on a renamed path is as good).
        await db_conn.execute(text("ALTER TABLE certification.certifications RENAME TO certifications_away"))
        try:
            await terminate(
                client, inactive(account["account_id"], datetime.fromisoformat(state["last_login_at"]))
            )
        finally:
            await db_conn.execute(
                text("ALTER TABLE certification.certifications_away RENAME TO certifications")
            )
        left = await db_conn.scalar(
            text("SELECT certification_ended_at FROM registration.accounts WHERE id = :a"),
            {"a": account["account_id"]},
        )
        certification_calls.clear()

        await clock_hook(client, None, None)

        assert left is None
        assert f"POST /internal/certifications/{account['account_id']}/end" in certification_calls
        summary = (await client.get(f"/_sandbox/accounts/{account['appid']}")).json()["certification"]
        assert summary["certified"] is False


@pytest.mark.rule("R-DER-01", "R-DER-02")
class TestBackDatedFixtures:
    async def test_an_omitted_moment_takes_the_nearest_given_one(
        self, client: httpx.AsyncClient, db_conn: AsyncConnection, scheduler: FakeScheduler
    ) -> None:
        await set_clock(db_conn, T0)
        idle = T0 - 205 * DAY

        account = await fixture_account(client, last_login_at=idle.isoformat())
        state = (await client.get(f"/_sandbox/accounts/{account['appid']}")).json()

        moments = [datetime.fromisoformat(state[k]) for k in ("created_at", "approved_at", "last_login_at")]
        assert moments == [idle, idle, idle]
        assert datetime.fromisoformat(state["deregistration_due_at"]) == idle + 210 * DAY
        facts = {kind: f for kind, f in scheduler.of(account["account_id"])}
        assert set(facts) >= {"signed_up", "activated", "approved", "login", "operator_phone"}
        at = {
            f["kind"]: datetime.fromisoformat(f["at"])
            for f in scheduler.facts.values()
            if f["account_id"] == account["account_id"]
        }
        assert at["approved"] == at["login"] == at["signed_up"] == idle

    async def test_between_two_given_moments_the_earlier_is_nearest_and_none_given_is_now(
        self, client: httpx.AsyncClient, db_conn: AsyncConnection
    ) -> None:
        await set_clock(db_conn, T0)
        both = await fixture_account(
            client, signed_up_at=(T0 - 90 * DAY).isoformat(), last_login_at=(T0 - 5 * DAY).isoformat()
        )
        neither = await fixture_account(client)

        state = (await client.get(f"/_sandbox/accounts/{both['appid']}")).json()
        plain = (await client.get(f"/_sandbox/accounts/{neither['appid']}")).json()

        assert datetime.fromisoformat(state["approved_at"]) == T0 - 90 * DAY
        assert datetime.fromisoformat(state["last_login_at"]) == T0 - 5 * DAY
        assert {datetime.fromisoformat(plain[k]) for k in ("created_at", "approved_at", "last_login_at")} == {
            T0
        }

    @pytest.mark.parametrize(
        ("body", "field", "code"),
        [
            ({"signed_up_at": 10, "approved_at": 20}, "approved_at", "fixture_times_out_of_order"),
            ({"approved_at": 5, "last_login_at": 10}, "last_login_at", "fixture_times_out_of_order"),
            ({"signed_up_at": -1}, "signed_up_at", "fixture_time_in_future"),
            ({"last_login_at": -1}, "last_login_at", "fixture_time_in_future"),
            ({"approved_at": 5, "status": "in_review"}, "approved_at", "fixture_not_approved"),
            ({"last_login_at": 5, "status": "email_unverified"}, "last_login_at", "fixture_not_activated"),
        ],
    )
    async def test_moments_out_of_order_or_in_the_future_are_400_and_create_nothing(
        self, client: httpx.AsyncClient, db_conn: AsyncConnection, body: dict[str, Any], field: str, code: str
    ) -> None:
        await set_clock(db_conn, T0, namespace="fx-refusals")
        request = {k: (T0 - v * DAY).isoformat() if isinstance(v, int) else v for k, v in body.items()}

        refused = await client.post(
            "/_sandbox/accounts",
            json={"type": "service", **request},
            headers={"X-Sandbox-Namespace": "fx-refusals"},
        )

        assert refused.status_code == 400, refused.text
        assert (refused.json()["error"]["field"], refused.json()["error"]["code"]) == (field, code)
        listed = await client.get("/_sandbox/accounts", headers={"X-Sandbox-Namespace": "fx-refusals"})
        assert listed.json()["items"] == []

    async def test_a_naive_moment_is_shanghai_time(
        self, client: httpx.AsyncClient, db_conn: AsyncConnection
    ) -> None:
        await set_clock(db_conn, T0)

        account = await fixture_account(client, signed_up_at="2026-01-01T08:00:00")

        state = (await client.get(f"/_sandbox/accounts/{account['appid']}")).json()
        assert datetime.fromisoformat(state["created_at"]) == datetime(2026, 1, 1, 8, tzinfo=SHANGHAI)


@pytest.mark.rule("R-DER-07")
class TestLifecycleView:
    async def test_an_application_in_review_shows_r_der_01_from_its_sign_up(
        self, client: httpx.AsyncClient, messaging: FakeMessaging, db_conn: AsyncConnection
    ) -> None:
        await set_clock(db_conn, T0)
        op = await operator_in_review(client, messaging)

        account = (await client.get("/api/v1/account", headers=op.headers)).json()

        assert datetime.fromisoformat(account["registration_expires_at"]) == T0 + 80 * DAY
        assert account["deregistration_due_at"] is None
        lifecycle = account["lifecycle"]
        assert (lifecycle["rule"], datetime.fromisoformat(lifecycle["anchor_at"])) == ("R-DER-01", T0)
        assert datetime.fromisoformat(lifecycle["next_notice_at"]) == T0 + 60 * DAY
        assert (lifecycle["notices_sent"], lifecycle["terminated_at"], lifecycle["reason"]) == (
            [],
            None,
            None,
        )
        assert lifecycle["schedule_known"] is True  # the scheduler answered: no notice yet

    async def test_an_approved_account_shows_this_cycles_notices_and_the_next_one(
        self, client: httpx.AsyncClient, scheduler: FakeScheduler, db_conn: AsyncConnection
    ) -> None:
        await set_clock(db_conn, T0)
        anchor = T0 - 185 * DAY
        account = await fixture_account(client, last_login_at=anchor.isoformat())
        scheduler.schedules[account["account_id"]] = {
            "account_id": account["account_id"],
            "notices": [
                {
                    "rule": "R-DER-02",
                    "anchor_at": (anchor - 30 * DAY).isoformat(),
                    "day": 180,
                    "at": "2025-01-01T00:00:00Z",
                },
                {
                    "rule": "R-DER-02",
                    "anchor_at": anchor.isoformat(),
                    "day": 180,
                    "at": (anchor + 180 * DAY).isoformat(),
                },
            ],
            "next_due_at": (anchor + 190 * DAY).isoformat(),
        }

        shown = (await client.get(f"/_sandbox/accounts/{account['appid']}")).json()

        assert shown["registration_expires_at"] is None
        assert datetime.fromisoformat(shown["deregistration_due_at"]) == anchor + 210 * DAY
        lifecycle = shown["lifecycle"]
        assert lifecycle["rule"] == "R-DER-02"
        assert [(n["day"], datetime.fromisoformat(n["at"])) for n in lifecycle["notices_sent"]] == [
            (180, anchor + 180 * DAY)  # the older cycle's notice is not this cycle's
        ]
        assert datetime.fromisoformat(lifecycle["next_notice_at"]) == anchor + 190 * DAY

    async def test_the_scheduler_down_degrades_to_the_first_notice_of_the_cycle(
        self, client: httpx.AsyncClient, scheduler: FakeScheduler
    ) -> None:
        account = await fixture_account(client)
        headers = await login(client, account["email"], account["password"])
        scheduler.down = True

        shown = await client.get("/api/v1/account", headers=headers)

        assert shown.status_code == 200
        lifecycle = shown.json()["lifecycle"]
        assert (lifecycle["schedule_known"], lifecycle["notices_sent"]) == (False, [])
        anchor = datetime.fromisoformat(lifecycle["anchor_at"])
        assert datetime.fromisoformat(lifecycle["next_notice_at"]) == anchor + 180 * DAY

    async def test_a_terminated_account_shows_how_it_ended(self, client: httpx.AsyncClient) -> None:
        account = await fixture_account(client)
        state = (await client.get(f"/_sandbox/accounts/{account['appid']}")).json()
        anchor = datetime.fromisoformat(state["last_login_at"])
        await terminate(client, inactive(account["account_id"], anchor))

        lifecycle = (await client.get(f"/_sandbox/accounts/{account['appid']}")).json()["lifecycle"]

        assert (lifecycle["rule"], lifecycle["reason"], lifecycle["next_notice_at"]) == (
            "R-DER-02",
            "inactive",
            None,
        )
        assert datetime.fromisoformat(lifecycle["terminated_at"]) == anchor + 210 * DAY
