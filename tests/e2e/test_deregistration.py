"""Deregistration (SPEC §6.2) end to end through the gateway: the day-80 and day-210 terminations with
their notices in the outbox, a login made while the scheduler is stopped, and notices sent once while
hooks and advances race."""

from __future__ import annotations

from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta
from typing import Any

import httpx
import pytest

from servicekit.lifecycle import CLOCK_HOOK_PATH
from tests.e2e.conftest import Sandbox
from tests.e2e.test_registration_wizard import (
    PASSWORD,
    Operator,
    mobile_phone,
    resident_id_number,
    unique_email,
)
from tests.e2e.wechat import create_account

pytestmark = pytest.mark.e2e
DAY = timedelta(hours=24)


def advance(sandbox: Sandbox, namespace: str, **body: Any) -> list[dict[str, Any]]:
    with sandbox.admin(namespace, timeout=120) as admin:
        moved = admin.post("/_sandbox/clock/advance", json=body)
    assert moved.status_code == 200, moved.text
    return list(moved.json()["events"])


def clock_now(sandbox: Sandbox, namespace: str) -> datetime:
    with sandbox.admin(namespace) as admin:
        return datetime.fromisoformat(admin.get("/_sandbox/clock").json()["now"])


def outbox(sandbox: Sandbox, namespace: str, account_id: str, kind: str) -> list[dict[str, Any]]:
    with sandbox.admin(namespace) as admin:
        found = admin.get("/_sandbox/outbox", params={"kind": kind, "limit": 1000})
    assert found.status_code == 200, found.text
    return [m for m in found.json()["items"] if m["account_id"] == account_id]


def state(sandbox: Sandbox, namespace: str, appid: str) -> dict[str, Any]:
    with sandbox.admin(namespace) as admin:
        found = admin.get(f"/_sandbox/accounts/{appid}")
    assert found.status_code == 200, found.text
    body: dict[str, Any] = found.json()
    return body


def log_in(sandbox: Sandbox, email: str, password: str) -> httpx.Response:
    with sandbox.client() as http:
        return http.post("/api/v1/sessions", json={"email": email, "password": password})


def scheduler_events(events: list[dict[str, Any]], account_id: str) -> list[tuple[str, Any, datetime]]:
    return [
        (e["kind"], e["data"].get("day", e["data"].get("reason")), datetime.fromisoformat(e["at"]))
        for e in events
        if e["account_id"] == account_id and e["service"] == "scheduler"
    ]


@pytest.mark.rule("R-DER-01", "R-DER-03", "R-DER-04", "R-CLK-02")
class TestDay80:
    def test_an_application_never_finished_is_terminated_on_day_80_and_told_on_every_channel(
        self, sandbox: Sandbox, unique_namespace: str
    ) -> None:
        op = Operator(sandbox, unique_namespace, unique_email(), mobile_phone(), resident_id_number())
        assert op.sign_up().status_code == 201
        assert op.activate(op.activation_token()).status_code == 200
        op.log_in()
        op.choose_type("service")
        assert op.submit_subject().status_code == 200  # the operator phone: SMS notices too
        with op.console() as http:
            bound = http.put("/api/v1/account/admin-wechat", json={"wechat_id": "gov_admin_1"})
        assert bound.status_code == 200, bound.text
        signed_up = datetime.fromisoformat(op.account()["created_at"])
        assert op.account()["lifecycle"]["rule"] == "R-DER-01"

        events = advance(sandbox, unique_namespace, days=80)

        assert scheduler_events(events, op.account_id) == [
            ("deregistration_notice", 60, signed_up + 60 * DAY),
            ("deregistration_notice", 70, signed_up + 70 * DAY),
            ("deregistration_notice", 80, signed_up + 80 * DAY),
            ("account_terminated", "registration_incomplete", signed_up + 80 * DAY),
        ]
        notices = outbox(sandbox, unique_namespace, op.account_id, "deregistration_notice")
        assert Counter((m["data"]["day"], m["channel"]) for m in notices) == {
            (day, channel): 1
            for day in (60, 70, 80)
            for channel in ("notification", "email", "sms", "wechat")
        }
        recipients = {m["channel"]: m["to"] for m in notices}
        assert recipients == {
            "notification": op.account_id,
            "email": op.email,
            "sms": op.phone,
            "wechat": "gov_admin_1",
        }
        assert {datetime.fromisoformat(m["data"]["terminates_at"]) for m in notices} == {signed_up + 80 * DAY}
        assert all("R-DER-01" in m["body"] and f"第{m['data']['day']}天" in m["body"] for m in notices)
        ended = outbox(sandbox, unique_namespace, op.account_id, "account_terminated")
        assert sorted(m["channel"] for m in ended) == ["email", "notification", "sms", "wechat"]
        assert all(m["data"]["reason"] == "registration_incomplete" for m in ended)

        refused = log_in(sandbox, op.email, PASSWORD)
        assert refused.status_code == 410
        error = refused.json()["error"]
        assert (error["code"], error["reason"]) == ("account_terminated", "registration_incomplete")
        assert datetime.fromisoformat(error["terminated_at"]) == signed_up + 80 * DAY
        with op.admin() as admin:
            listed = admin.get("/_sandbox/accounts", params={"status": "terminated"}).json()["items"]
        assert [a["account_id"] for a in listed] == [op.account_id]  # the control plane still shows it
        again = Operator(sandbox, unique_namespace, op.email, op.phone, op.id_number)
        assert again.sign_up().status_code == 201  # the e-mail is free again (R-REG-01)


@pytest.mark.rule("R-DER-01", "R-CLK-02")
class TestDay80InReview:
    def test_a_review_still_pending_on_day_80_is_cancelled_not_approved_at_its_later_deadline(
        self, sandbox: Sandbox, unique_namespace: str
    ) -> None:
        op = Operator(sandbox, unique_namespace, unique_email(), mobile_phone(), resident_id_number())
        op.set_review_policy("at_deadline")
        assert op.sign_up().status_code == 201
        assert op.activate(op.activation_token()).status_code == 200
        op.log_in()
        signed_up = datetime.fromisoformat(op.account()["created_at"])
        advance(sandbox, unique_namespace, days=75)
        op.log_in()
        op.choose_type("service")
        assert op.submit_subject().status_code == 200
        deadline = datetime.fromisoformat(
            op.submit_profile("东城发布" + op.account_id[-6:])["review"]["deadline"]
        )
        assert deadline > signed_up + 80 * DAY

        events = advance(sandbox, unique_namespace, days=20)  # past day 80 and past the deadline

        mine = [
            (e["kind"], datetime.fromisoformat(e["at"])) for e in events if e["account_id"] == op.account_id
        ]
        assert ("account_terminated", signed_up + 80 * DAY) in mine
        assert "registration_approved" not in [kind for kind, _ in mine]
        with op.admin() as admin:
            reviews = admin.get("/_sandbox/reviews", params={"kind": "registration"}).json()["items"]
        assert [
            (r["status"], datetime.fromisoformat(r["decided_at"]))
            for r in reviews
            if r["account_id"] == op.account_id
        ] == [("cancelled", signed_up + 80 * DAY)]


@pytest.mark.rule("R-DER-02", "R-DER-03", "R-DER-04", "R-DER-07", "R-CLK-02")
class TestDay210:
    def test_a_login_on_day_150_moves_the_end_and_the_next_cycle_ends_inactive(
        self, sandbox: Sandbox, unique_namespace: str
    ) -> None:
        account = create_account(sandbox, unique_namespace, type="service")
        assert advance(sandbox, unique_namespace, days=150) == []
        assert log_in(sandbox, account["email"], account["password"]).status_code == 201
        login = datetime.fromisoformat(state(sandbox, unique_namespace, account["appid"])["last_login_at"])

        quiet = advance(sandbox, unique_namespace, days=60)  # the old cycle's day 210
        events = advance(sandbox, unique_namespace, days=150)

        assert scheduler_events(quiet, account["account_id"]) == []
        assert scheduler_events(events, account["account_id"]) == [
            ("deregistration_notice", 180, login + 180 * DAY),
            ("deregistration_notice", 190, login + 190 * DAY),
            ("deregistration_notice", 200, login + 200 * DAY),
            ("deregistration_notice", 210, login + 210 * DAY),
            ("account_terminated", "inactive", login + 210 * DAY),
        ]
        notices = outbox(sandbox, unique_namespace, account["account_id"], "deregistration_notice")
        assert Counter((m["data"]["day"], m["channel"]) for m in notices) == {
            (day, channel): 1 for day in (180, 190, 200, 210) for channel in ("notification", "email", "sms")
        }
        assert {m["data"]["rule"] for m in notices} == {"R-DER-02"}
        ended = state(sandbox, unique_namespace, account["appid"])
        assert (ended["status"], ended["termination_reason"]) == ("terminated", "inactive")
        lifecycle = ended["lifecycle"]
        assert (lifecycle["rule"], datetime.fromisoformat(lifecycle["anchor_at"])) == ("R-DER-02", login)
        assert [n["day"] for n in lifecycle["notices_sent"]] == [180, 190, 200, 210]
        with sandbox.client() as http:
            token = http.get(
                "/cgi-bin/token",
                params={
                    "grant_type": "client_credential",
                    "appid": account["appid"],
                    "secret": account["secret"],
                },
            ).json()
        assert token["errcode"] == 40013


@pytest.mark.rule("R-DER-02", "R-DER-07")
class TestLoginWhileTheSchedulerIsStopped:
    def test_the_login_still_starts_a_new_cycle_and_old_notices_are_not_repeated(
        self, private_sandbox: Sandbox, unique_namespace: str
    ) -> None:
        sandbox = private_sandbox
        idle_since = clock_now(sandbox, unique_namespace) - 205 * DAY
        account = create_account(
            sandbox, unique_namespace, type="service", last_login_at=idle_since.isoformat()
        )
        advance(
            sandbox, unique_namespace, minutes=0
        )  # days 180, 190, 200 of the old cycle (or the sweep did)
        old = outbox(sandbox, unique_namespace, account["account_id"], "deregistration_notice")
        assert sorted({m["data"]["day"] for m in old}) == [180, 190, 200]

        sandbox.supervisor.stop_process("scheduler")
        try:
            logged_in = log_in(sandbox, account["email"], account["password"])
        finally:
            sandbox.supervisor.start_process("scheduler")
        assert logged_in.status_code == 201
        login = datetime.fromisoformat(state(sandbox, unique_namespace, account["appid"])["last_login_at"])

        events = advance(sandbox, unique_namespace, days=10)  # past the old cycle's day 210

        assert scheduler_events(events, account["account_id"]) == []
        assert outbox(sandbox, unique_namespace, account["account_id"], "deregistration_notice") == old
        assert outbox(sandbox, unique_namespace, account["account_id"], "account_terminated") == []
        shown = state(sandbox, unique_namespace, account["appid"])
        assert shown["status"] == "approved"
        assert datetime.fromisoformat(shown["deregistration_due_at"]) == login + 210 * DAY
        assert shown["lifecycle"]["notices_sent"] == []
        assert datetime.fromisoformat(shown["lifecycle"]["next_notice_at"]) == login + 180 * DAY


@pytest.mark.rule("R-DER-03", "R-CLK-01")
class TestRacingHooks:
    def test_hooks_sweeps_and_advances_at_once_send_each_notice_once(
        self, sandbox: Sandbox, unique_namespace: str
    ) -> None:
        idle_since = clock_now(sandbox, unique_namespace) - 205 * DAY
        accounts = [
            create_account(
                sandbox, unique_namespace, type="subscription", last_login_at=idle_since.isoformat()
            )
            for _ in range(4)
        ]
        hook = f"http://127.0.0.1:{sandbox.ports['scheduler']}{CLOCK_HOOK_PATH}"
        to = clock_now(sandbox, unique_namespace).isoformat()

        def own_hook(namespace: str | None) -> int:
            body = {"namespace": namespace, "from": None, "to": to if namespace else None}
            return httpx.post(hook, json=body, timeout=60, trust_env=False).status_code

        def advance_now() -> int:
            with sandbox.admin(unique_namespace, timeout=120) as admin:
                return admin.post("/_sandbox/clock/advance", json={"minutes": 0}).status_code

        with ThreadPoolExecutor(max_workers=9) as pool:
            calls = [pool.submit(own_hook, None) for _ in range(3)]
            calls += [pool.submit(own_hook, unique_namespace) for _ in range(3)]
            calls += [pool.submit(advance_now) for _ in range(3)]
            statuses = [call.result() for call in calls]
        advance(sandbox, unique_namespace, minutes=0)  # relays what the bare hooks left pending

        assert set(statuses) <= {200, 409}, statuses  # 409 clock_busy: an advance waited too long
        for account in accounts:
            notices = outbox(sandbox, unique_namespace, account["account_id"], "deregistration_notice")
            assert Counter((m["data"]["day"], m["channel"]) for m in notices) == {
                (day, channel): 1 for day in (180, 190, 200) for channel in ("notification", "email", "sms")
            }
