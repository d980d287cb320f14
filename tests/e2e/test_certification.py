"""Certification (SPEC §4) end to end through the gateway: apply, review, certified names under
concurrency, capabilities for old tokens (wechatpy), the yearly lifecycle on the sandbox clock."""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta
from typing import Any

import httpx
import pytest
from wechatpy.exceptions import WeChatClientException

from tests.certification.factories import files, form
from tests.e2e.conftest import Sandbox
from tests.e2e.wechat import SandboxWeChatClient, create_account

pytestmark = pytest.mark.e2e


def unique_name() -> str:
    return f"东城发布{uuid.uuid4().hex[:6]}"


class Operator:
    """A fixture account of the namespace, logged in on the console."""

    def __init__(self, sandbox: Sandbox, namespace: str, **fixture: Any) -> None:
        self.sandbox = sandbox
        self.namespace = namespace
        self.account = create_account(sandbox, namespace, **{"type": "service", **fixture})
        self.login()

    def login(self) -> None:
        """A new console session (one ends after its lifetime on the sandbox clock)."""
        with self.sandbox.client() as c:
            login = c.post(
                "/api/v1/sessions",
                json={"email": self.account["email"], "password": self.account["password"]},
            )
        assert login.status_code in (200, 201), login.text
        self.headers = {"Authorization": f"Bearer {login.json()['token']}"}

    def apply(self, name: str, **changes: str) -> httpx.Response:
        with self.sandbox.client(headers=self.headers) as c:
            return c.post("/api/v1/certifications", data=form(certified_name=name, **changes), files=files())

    def get(self, path: str) -> httpx.Response:
        with self.sandbox.client(headers=self.headers) as c:
            return c.get(path)

    def certification(self) -> dict[str, Any]:
        with self.sandbox.admin(self.namespace) as admin:
            detail = admin.get(f"/_sandbox/accounts/{self.account['appid']}")
        assert detail.status_code == 200, detail.text
        return dict(detail.json()["certification"])


def decide(sandbox: Sandbox, review_id: str, verdict: str = "approve", **body: str) -> httpx.Response:
    with sandbox.admin() as admin:
        return admin.post(f"/_sandbox/reviews/{review_id}/{verdict}", json=body or None)


def advance(sandbox: Sandbox, namespace: str, **body: Any) -> list[dict[str, Any]]:
    with sandbox.admin(namespace, timeout=120) as admin:
        moved = admin.post("/_sandbox/clock/advance", json=body)
    assert moved.status_code == 200, moved.text
    return list(moved.json()["events"])


def outbox(sandbox: Sandbox, namespace: str, **filters: str) -> list[dict[str, Any]]:
    with sandbox.admin(namespace) as admin:
        found = admin.get("/_sandbox/outbox", params=filters)
    assert found.status_code == 200, found.text
    return list(found.json()["items"])


def at(value: str) -> datetime:
    return datetime.fromisoformat(value)


def stay_active(sandbox: Sandbox, namespace: str, op: Operator, days: int = 200) -> None:
    """`days` pass and the operator logs in: without a login in 210 days the account, and its
    certification with it, would end (R-DER-02, R-CER-08) before the year these tests wait for."""
    advance(sandbox, namespace, days=days)
    op.login()


def certification_events(events: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [e for e in events if e["kind"].startswith("certification_")]


def certified_operator(sandbox: Sandbox, namespace: str, name: str) -> Operator:
    op = Operator(sandbox, namespace)
    applied = op.apply(name)
    assert applied.status_code == 201, applied.text
    assert decide(sandbox, applied.json()["review"]["review_id"]).status_code == 200
    return op


@pytest.mark.rule("R-CER-05")
@pytest.mark.rule("R-CER-06")
class TestApplyReviewCertify:
    def test_apply_see_it_pending_approve_and_see_the_badge(
        self, sandbox: Sandbox, unique_namespace: str
    ) -> None:
        op = Operator(sandbox, unique_namespace)
        name = unique_name()
        applied = op.apply(name)
        assert applied.status_code == 201, applied.text
        created = applied.json()
        assert (created["status"], created["kind"], created["fee"]["amount"]) == ("pending", "initial", 0)
        assert op.certification()["pending"] is True
        current = op.get("/api/v1/certifications/current").json()
        assert current["pending"]["certification_id"] == created["certification_id"]

        with sandbox.admin(unique_namespace) as admin:
            pending = admin.get(
                "/_sandbox/reviews", params={"kind": "certification", "status": "pending"}
            ).json()
        assert [r["review_id"] for r in pending["items"]] == [created["review"]["review_id"]]
        assert pending["items"][0]["kind"] == "certification"

        approved = decide(sandbox, created["review"]["review_id"])
        assert approved.status_code == 200, approved.text
        with sandbox.client(headers=op.headers) as c:
            account = c.get("/api/v1/account").json()
            found = c.get(
                "/api/v1/accounts/search",
                params={"q": op.account["name"]},
                headers={"X-Sandbox-Namespace": unique_namespace},
            ).json()["items"]
        block = account["certification"]
        assert block["certified"] is True
        assert block["certified_name"] == name
        assert block["certification_text"] == f"{name}（北京市东城区人民政府办公室）"
        assert block["pending"] is False
        assert at(block["expires_at"]) - at(block["certified_at"]) in (
            timedelta(days=365),
            timedelta(days=366),
        )
        assert "advanced_interfaces" in account["capabilities"]
        assert op.certification()["certified"] is True
        hit = next(h for h in found if h["appid"] == op.account["appid"])
        assert (hit["certified"], hit["certified_name"]) == (True, name)

        notices = outbox(sandbox, unique_namespace, kind="certification_approved")
        assert sorted(n["channel"] for n in notices) == ["email", "notification"]
        assert next(n for n in notices if n["channel"] == "email")["to"] == op.account["email"]
        history = op.get("/api/v1/certifications").json()["items"]
        assert [(h["status"], h["certified_name"]) for h in history] == [("approved", name)]

    def test_rejection_keeps_its_reason_and_a_new_application_follows(
        self, sandbox: Sandbox, unique_namespace: str
    ) -> None:
        op = Operator(sandbox, unique_namespace)
        first = op.apply(unique_name()).json()
        assert decide(sandbox, first["review"]["review_id"], "reject").status_code == 400
        rejected = decide(sandbox, first["review"]["review_id"], "reject", reason="公函未盖章")
        assert rejected.status_code == 200, rejected.text
        [notice] = outbox(sandbox, unique_namespace, kind="certification_rejected", channel="notification")
        assert notice["data"]["reason"] == "公函未盖章"
        again = op.apply(unique_name())
        assert again.status_code == 201, again.text
        statuses = [i["status"] for i in op.get("/api/v1/certifications").json()["items"]]
        assert statuses == ["pending", "rejected"]

    def test_another_accounts_application_and_files_are_not_found(
        self, sandbox: Sandbox, unique_namespace: str
    ) -> None:
        owner, other = Operator(sandbox, unique_namespace), Operator(sandbox, unique_namespace)
        created = owner.apply(unique_name()).json()
        path = f"/api/v1/certifications/{created['certification_id']}"
        scan = owner.get(f"{path}/files/information_form")
        assert (scan.status_code, scan.headers["content-type"]) == (200, "image/png")
        assert scan.content.startswith(b"\x89PNG")
        for probe in (path, f"{path}/files/information_form"):
            refused = other.get(probe)
            assert refused.status_code == 404
            assert created["certification_id"] not in refused.text

    def test_an_upload_of_50_mb_is_refused_before_it_is_read(
        self, sandbox: Sandbox, unique_namespace: str
    ) -> None:
        op = Operator(sandbox, unique_namespace)
        big = {
            **files(),
            "application_letter": ("big.pdf", b"%PDF-1.4\n" + b"0" * (50 * 1024 * 1024), "application/pdf"),
        }
        with sandbox.client(headers=op.headers) as c:
            refused = c.post("/api/v1/certifications", data=form(certified_name=unique_name()), files=big)
        assert refused.status_code == 413, refused.text
        assert op.get("/api/v1/certifications").json()["items"] == []


@pytest.mark.rule("R-CER-04")
class TestCertifiedNames:
    ROUNDS = 8

    def test_concurrent_approvals_of_one_name_one_wins(self, sandbox: Sandbox, unique_namespace: str) -> None:
        for _ in range(self.ROUNDS):
            name = unique_name()
            a, b = Operator(sandbox, unique_namespace), Operator(sandbox, unique_namespace)
            reviews = [op.apply(name).json()["review"]["review_id"] for op in (a, b)]
            barrier = threading.Barrier(2)

            def approve(review_id: str, barrier: threading.Barrier = barrier) -> httpx.Response:
                barrier.wait()
                return decide(sandbox, review_id)

            with ThreadPoolExecutor(2) as pool:
                answers = list(pool.map(approve, reviews))
            assert sorted(r.status_code for r in answers) == [200, 409], [r.text for r in answers]
            loser = next(r for r in answers if r.status_code == 409)
            assert loser.json()["error"]["code"] == "certified_name_taken"
            with sandbox.admin(unique_namespace) as admin:
                pending = admin.get(
                    "/_sandbox/reviews", params={"kind": "certification", "status": "pending"}
                )
            still = [r["review_id"] for r in pending.json()["items"]]
            assert len(set(still) & set(reviews)) == 1  # the loser stays pending for the reviewer
            certified = [op.certification()["certified"] for op in (a, b)]
            assert sorted(certified) == [False, True]

    def test_a_certified_name_is_refused_to_new_applications_and_registrations(
        self, sandbox: Sandbox, unique_namespace: str
    ) -> None:
        name = unique_name()
        certified_operator(sandbox, unique_namespace, name)
        taken = Operator(sandbox, unique_namespace).apply(name)
        assert (taken.status_code, taken.json()["error"]["code"]) == (409, "certified_name_taken")
        # R-REG-16 sees the certified name at once.
        refused = create_account(sandbox, unique_namespace, expected=(409,), type="service", name=name)
        assert refused["error"]["code"] == "certified_name_taken"


@pytest.mark.rule("R-CER-05")
@pytest.mark.rule("R-CER-07")
class TestCapabilitiesFollowTheCertification:
    def test_old_token_gets_advanced_interfaces_on_approval_and_loses_them_on_lapse(
        self, sandbox: Sandbox, unique_namespace: str
    ) -> None:
        op = Operator(sandbox, unique_namespace)
        client = SandboxWeChatClient(sandbox.url, op.account["appid"], op.account["secret"])
        with pytest.raises(WeChatClientException) as refused:
            client.user.get_followers()
        assert refused.value.errcode == 48001
        token = client.access_token

        applied = op.apply(unique_name()).json()
        with pytest.raises(WeChatClientException):  # pending changes nothing
            client.user.get_followers()
        assert decide(sandbox, applied["review"]["review_id"]).status_code == 200
        assert client.user.get_followers()["total"] == 0
        assert client.access_token == token  # the same token, right after the approval

        expires_at = at(op.certification()["expires_at"])
        stay_active(sandbox, unique_namespace, op)
        advance(sandbox, unique_namespace, to=(expires_at - timedelta(hours=1)).isoformat())
        assert client.user.get_followers()["total"] == 0  # wechatpy fetched a fresh token (42001)
        fresh = client.access_token
        events = advance(sandbox, unique_namespace, hours=1, minutes=30)
        assert [e["kind"] for e in events] == ["certification_expired"]
        with pytest.raises(WeChatClientException) as lapsed:
            client.user.get_followers()
        assert lapsed.value.errcode == 48001
        assert client.access_token == fresh

    def test_on_the_running_clock_the_lapse_reaches_a_cached_token_at_expiry_not_at_the_next_sweep(
        self, sandbox: Sandbox, unique_namespace: str
    ) -> None:
        op = certified_operator(sandbox, unique_namespace, unique_name())
        client = SandboxWeChatClient(sandbox.url, op.account["appid"], op.account["secret"])
        expires_at = at(op.certification()["expires_at"])
        stay_active(sandbox, unique_namespace, op)
        advance(sandbox, unique_namespace, to=(expires_at - timedelta(seconds=3)).isoformat())
        assert client.user.get_followers()["total"] == 0  # the gateway now holds this token's answer

        time.sleep(3.5)  # the sandbox clock runs on past expires_at; the sweep comes only every 30 s

        with pytest.raises(WeChatClientException) as lapsed:
            client.user.get_followers()
        assert lapsed.value.errcode == 48001


@pytest.mark.rule("R-CER-05")
class TestAtDeadlinePolicy:
    def test_approved_at_the_end_of_the_fifth_working_day(
        self, sandbox: Sandbox, unique_namespace: str
    ) -> None:
        with sandbox.admin(unique_namespace) as admin:
            assert admin.put("/_sandbox/settings", json={"review_policy": "at_deadline"}).status_code == 200
        op = Operator(sandbox, unique_namespace)
        created = op.apply(unique_name()).json()
        deadline = at(created["review"]["deadline"])
        assert advance(sandbox, unique_namespace, to=(deadline - timedelta(minutes=1)).isoformat()) == []
        assert op.certification()["certified"] is False
        events = advance(sandbox, unique_namespace, minutes=2)
        approved = [e for e in events if e["kind"] == "certification_approved"]
        assert [(at(e["at"]), e["account_id"]) for e in approved] == [(deadline, op.account["account_id"])]
        assert op.certification()["certified"] is True

    def test_instant_policy_certifies_on_submission(self, sandbox: Sandbox, unique_namespace: str) -> None:
        with sandbox.admin(unique_namespace) as admin:
            assert admin.put("/_sandbox/settings", json={"review_policy": "instant"}).status_code == 200
        op = Operator(sandbox, unique_namespace)
        client = SandboxWeChatClient(sandbox.url, op.account["appid"], op.account["secret"])
        with pytest.raises(WeChatClientException):
            client.user.get_followers()
        assert op.apply(unique_name()).status_code == 201
        assert op.certification()["certified"] is True
        assert client.user.get_followers()["total"] == 0  # the gateway dropped its cached answer


@pytest.mark.rule("R-CER-07")
class TestYearlyValidity:
    def test_notices_and_lapse_in_one_advance_each_at_its_moment(
        self, sandbox: Sandbox, unique_namespace: str
    ) -> None:
        name = unique_name()
        op = certified_operator(sandbox, unique_namespace, name)
        expires_at = at(op.certification()["expires_at"])
        stay_active(sandbox, unique_namespace, op)
        events = certification_events(advance(sandbox, unique_namespace, days=200))
        mine = [e for e in events if e["account_id"] == op.account["account_id"]]
        assert [(e["kind"], at(e["at"])) for e in mine] == [
            ("certification_expiring", expires_at - timedelta(days=90)),
            ("certification_expiring", expires_at - timedelta(days=30)),
            ("certification_expired", expires_at),
        ]
        expiring = outbox(sandbox, unique_namespace, kind="certification_expiring", channel="notification")
        assert [n["data"]["days_left"] for n in expiring] == [90, 30]
        assert (
            len(outbox(sandbox, unique_namespace, kind="certification_expired")) == 2
        )  # notification + e-mail
        assert op.certification()["certified"] is False
        assert certification_events(advance(sandbox, unique_namespace, days=1)) == []  # nothing twice
        # The name is free: another account may apply for it and be certified.
        assert certified_operator(sandbox, unique_namespace, name).certification()["certified_name"] == name

    def test_renewal_only_in_the_last_90_days_extends_by_a_year(
        self, sandbox: Sandbox, unique_namespace: str
    ) -> None:
        name = unique_name()
        op = certified_operator(sandbox, unique_namespace, name)
        expires_at = at(op.certification()["expires_at"])
        early = op.apply(name)
        assert (early.status_code, early.json()["error"]["code"]) == (409, "already_certified")
        stay_active(sandbox, unique_namespace, op)
        advance(sandbox, unique_namespace, to=(expires_at - timedelta(days=89)).isoformat())
        op.login()
        renewal = op.apply(name)
        assert renewal.status_code == 201, renewal.text
        assert renewal.json()["kind"] == "renewal"
        assert decide(sandbox, renewal.json()["review"]["review_id"]).status_code == 200
        renewed = op.certification()
        assert renewed["certified"] is True
        assert at(renewed["expires_at"]).astimezone(expires_at.tzinfo) == expires_at.replace(
            year=expires_at.year + 1
        )
        events = advance(sandbox, unique_namespace, days=120)
        assert "certification_expired" not in [e["kind"] for e in events]
        assert op.certification()["certified"] is True

    def test_a_fixture_certification_expires_like_any_other(
        self, sandbox: Sandbox, unique_namespace: str
    ) -> None:
        account = create_account(sandbox, unique_namespace, type="service", certified=True)
        with sandbox.admin(unique_namespace) as admin:
            block = admin.get(f"/_sandbox/accounts/{account['appid']}").json()["certification"]
        assert block["certified"] is True
        assert block["expires_at"] is not None
        advance(sandbox, unique_namespace, days=200)
        with sandbox.client() as http:  # an operator login within 210 days keeps the account (R-DER-02)
            login = http.post(
                "/api/v1/sessions", json={"email": account["email"], "password": account["password"]}
            )
        assert login.status_code == 201, login.text
        events = advance(sandbox, unique_namespace, days=167)
        expired = [e for e in events if e["kind"] == "certification_expired"]
        assert [e["account_id"] for e in expired] == [account["account_id"]]


@pytest.mark.rule("R-CER-08")
class TestEndedWithTheAccount:
    def test_the_end_call_frees_the_name_and_drops_the_capabilities(
        self, sandbox: Sandbox, unique_namespace: str
    ) -> None:
        name = unique_name()
        op = certified_operator(sandbox, unique_namespace, name)
        internal = f"http://127.0.0.1:{sandbox.ports['certification']}"
        end: Callable[[], httpx.Response] = lambda: httpx.post(  # noqa: E731
            f"{internal}/internal/certifications/{op.account['account_id']}/end",
            json={"namespace": unique_namespace, "reason": "account_terminated"},
            trust_env=False,
        )
        first = end()
        assert first.status_code == 200, first.text
        assert first.json()["ended"] is True
        assert end().json()["ended"] is False  # idempotent
        assert op.certification()["certified"] is False
        assert certified_operator(sandbox, unique_namespace, name).certification()["certified"] is True
