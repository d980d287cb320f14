from __future__ import annotations

import base64
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from tests.registration.factories import (
    PROFILE,
    FakeMessaging,
    activated_operator,
    advance,
    captcha,
    clock_hook,
    image_bytes,
    login,
    operator_in_review,
    register,
    set_clock,
    submit_subject,
    unique_email,
)

T0 = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)  # Monday 10:00 in Shanghai


def oversized_photo() -> tuple[str, bytes, str]:
    return "photo.gif", image_bytes("GIF") + b"\0" * (3 * 1024 * 1024), "image/gif"


@pytest.mark.rule("R-REG-03")
class TestCaptcha:
    async def test_captcha_is_a_real_png_with_a_four_character_answer(
        self, client: httpx.AsyncClient
    ) -> None:
        created = (await client.post("/api/v1/captchas")).json()
        assert created["image"].startswith("data:image/png;base64,")
        png = base64.b64decode(created["image"].split(",", 1)[1])
        assert png[:8] == b"\x89PNG\r\n\x1a\n"
        answer = (await client.get(f"/_sandbox/captchas/{created['captcha_id']}")).json()["answer"]
        assert len(answer) == 4

    async def test_captcha_works_once(self, client: httpx.AsyncClient) -> None:
        captcha_id, answer = await captcha(client)
        assert (await register(client, captcha_id=captcha_id, captcha_answer=answer)).status_code == 201
        again = await register(client, captcha_id=captcha_id, captcha_answer=answer)
        assert again.status_code == 400
        assert again.json()["error"]["code"] == "captcha_expired"

    async def test_wrong_answer_is_refused_and_uses_the_captcha_up(self, client: httpx.AsyncClient) -> None:
        captcha_id, answer = await captcha(client)
        wrong = await register(client, captcha_id=captcha_id, captcha_answer="????")
        assert wrong.json()["error"]["code"] == "captcha_incorrect"
        right = await register(client, captcha_id=captcha_id, captcha_answer=answer)
        assert right.json()["error"]["code"] == "captcha_expired"

    async def test_captcha_expires_after_five_minutes(
        self, client: httpx.AsyncClient, db_conn: AsyncConnection
    ) -> None:
        await set_clock(db_conn, T0)
        captcha_id, answer = await captcha(client)
        await advance(db_conn, timedelta(minutes=5))
        r = await register(client, captcha_id=captcha_id, captcha_answer=answer)
        assert r.json()["error"]["code"] == "captcha_expired"


class TestRegister:
    @pytest.mark.rule("R-REG-05")
    async def test_registration_sends_the_activation_email(
        self, client: httpx.AsyncClient, messaging: FakeMessaging, db_conn: AsyncConnection
    ) -> None:
        await set_clock(db_conn, T0)
        email = unique_email()
        r = await register(client, email)
        assert r.status_code == 201
        assert r.json()["status"] == "email_unverified"
        assert r.json()["activation_expires_at"].startswith("2026-03-04T02:00")
        [mail] = messaging.of("activation", email)
        assert mail["channel"] == "email"
        assert mail["data"]["token"] in mail["data"]["link"]
        assert mail["data"]["link"].startswith("http://127.0.0.1:8000/api/v1/registrations/activation?token=")

    @pytest.mark.rule("R-REG-01")
    async def test_taken_email_is_409(self, client: httpx.AsyncClient) -> None:
        email = unique_email()
        await register(client, email)
        r = await register(client, email.upper())
        assert r.status_code == 409
        assert r.json()["error"]["code"] == "email_taken"

    @pytest.mark.rule("R-REG-01", "R-REG-02", "R-REG-04")
    async def test_invalid_inputs_are_refused_and_create_nothing(
        self, client: httpx.AsyncClient, db_conn: AsyncConnection
    ) -> None:
        cases = [
            ({"email": "not-an-email"}, 400, "invalid_email"),
            ({"password": "12345"}, 400, "invalid_password"),
            ({"password": "x" * 33}, 400, "invalid_password"),
            ({"password": "密码密码密码"}, 400, "invalid_password"),
            ({"agreement_accepted": False}, 400, "agreement_required"),
            ({"agreement_accepted": "yes"}, 422, "validation_error"),
        ]
        before = (await db_conn.execute(text("SELECT count(*) FROM registration.accounts"))).scalar()
        for overrides, status, code in cases:
            r = await register(client, **overrides)
            assert (r.status_code, r.json()["error"]["code"]) == (status, code), overrides
        after = (await db_conn.execute(text("SELECT count(*) FROM registration.accounts"))).scalar()
        assert after == before

    async def test_malformed_json_is_400(self, client: httpx.AsyncClient) -> None:
        r = await client.post(
            "/api/v1/registrations", content=b"{", headers={"Content-Type": "application/json"}
        )
        assert r.status_code == 400
        assert r.json()["error"]["code"] == "malformed_json"


class TestActivation:
    @pytest.mark.rule("R-REG-06")
    async def test_activation_link_expires_after_48_hours_and_frees_the_email(
        self, client: httpx.AsyncClient, messaging: FakeMessaging, db_conn: AsyncConnection
    ) -> None:
        await set_clock(db_conn, T0)
        email = unique_email()
        await register(client, email)
        token = messaging.of("activation", email)[-1]["data"]["token"]
        await advance(db_conn, timedelta(hours=48))
        r = await client.post("/api/v1/registrations/activation", json={"token": token})
        assert r.status_code == 410
        assert r.json()["error"]["code"] == "activation_expired"
        assert (await register(client, email)).status_code == 201

    @pytest.mark.rule("R-REG-06")
    async def test_resend_voids_the_old_link(
        self, client: httpx.AsyncClient, messaging: FakeMessaging
    ) -> None:
        email = unique_email()
        await register(client, email)
        old = messaging.of("activation", email)[-1]["data"]["token"]
        assert (
            await client.post("/api/v1/registrations/activation-email", json={"email": email})
        ).status_code == 200
        new = messaging.of("activation", email)[-1]["data"]["token"]
        assert old != new
        assert (await client.post("/api/v1/registrations/activation", json={"token": old})).status_code == 410
        assert (await client.post("/api/v1/registrations/activation", json={"token": new})).status_code == 200

    @pytest.mark.rule("R-REG-05")
    async def test_link_from_the_email_activates_when_followed(
        self, client: httpx.AsyncClient, messaging: FakeMessaging
    ) -> None:
        email = unique_email()
        await register(client, email)
        link = messaging.of("activation", email)[-1]["data"]["link"]
        r = await client.get(link.replace("http://127.0.0.1:8000", ""))
        assert r.status_code == 200
        assert r.json()["status"] == "activated"

    @pytest.mark.rule("R-REG-06")
    async def test_sixth_resend_of_the_day_is_429(self, client: httpx.AsyncClient) -> None:
        email = unique_email()
        await register(client, email)
        codes = [
            (await client.post("/api/v1/registrations/activation-email", json={"email": email})).status_code
            for _ in range(6)
        ]
        assert codes == [200] * 5 + [429]


class TestLogin:
    @pytest.mark.rule("R-REG-20")
    async def test_login_before_activation_is_403(self, client: httpx.AsyncClient) -> None:
        email = unique_email()
        await register(client, email, "Secret#123")
        r = await client.post("/api/v1/sessions", json={"email": email, "password": "Secret#123"})
        assert r.status_code == 403
        assert r.json()["error"]["code"] == "email_not_activated"

    @pytest.mark.rule("R-REG-20")
    async def test_five_wrong_passwords_lock_the_email_for_15_minutes(
        self, client: httpx.AsyncClient, messaging: FakeMessaging, db_conn: AsyncConnection
    ) -> None:
        await set_clock(db_conn, T0)
        op = await activated_operator(client, messaging)
        wrong = {"email": op.email, "password": "wrong-password"}
        codes = [(await client.post("/api/v1/sessions", json=wrong)).status_code for _ in range(5)]
        assert codes == [401, 401, 401, 401, 429]
        right = {"email": op.email, "password": op.password}
        assert (await client.post("/api/v1/sessions", json=right)).status_code == 429
        await advance(db_conn, timedelta(minutes=15))
        assert (await client.post("/api/v1/sessions", json=right)).status_code == 201

    @pytest.mark.rule("R-REG-21")
    async def test_session_expires_after_12_hours(
        self, client: httpx.AsyncClient, messaging: FakeMessaging, db_conn: AsyncConnection
    ) -> None:
        await set_clock(db_conn, T0)
        op = await activated_operator(client, messaging)
        assert (await client.get("/api/v1/account", headers=op.headers)).status_code == 200
        await advance(db_conn, timedelta(hours=12))
        assert (await client.get("/api/v1/account", headers=op.headers)).status_code == 401

    @pytest.mark.rule("R-REG-22", "R-DER-04")
    async def test_terminated_account_login_is_410_with_date_and_reason(
        self, client: httpx.AsyncClient, messaging: FakeMessaging, db_conn: AsyncConnection
    ) -> None:
        op = await activated_operator(client, messaging)
        await db_conn.execute(
            text(
                "UPDATE registration.accounts SET status='terminated', terminated_at=now(), "
                "termination_reason='连续210天未登录' WHERE id=:id"
            ),
            {"id": op.account_id},
        )
        r = await client.post("/api/v1/sessions", json={"email": op.email, "password": op.password})
        assert r.status_code == 410
        assert r.json()["error"]["code"] == "account_terminated"
        assert r.json()["error"]["reason"] == "连续210天未登录"
        assert r.json()["error"]["terminated_at"]


class TestWizardToReview:
    @pytest.mark.rule("R-REG-18", "R-DER-07")
    async def test_full_wizard_puts_the_account_in_review_with_a_working_day_deadline(
        self, client: httpx.AsyncClient, messaging: FakeMessaging, db_conn: AsyncConnection
    ) -> None:
        await set_clock(db_conn, T0)
        op = await operator_in_review(client, messaging)
        account = (await client.get("/api/v1/account", headers=op.headers)).json()
        assert account["status"] == "in_review"
        assert account["type"] == "service"
        assert account["subject"]["operator_name"] == "李·明"
        assert account["subject"]["authorization_letter"]["format"] == "jpg"
        assert account["profile"]["name"] == PROFILE["name"]
        assert account["review"]["status"] == "pending"
        # Submitted Monday 2 March 2026: the 7th working day after is Wednesday 11 March.
        assert account["review"]["deadline"] == "2026-03-11T16:00:00Z"
        assert account["registration_expires_at"].startswith("2026-05-21")
        assert account["appid"] is None
        assert account["capabilities"] == []

    @pytest.mark.rule("R-REG-15", "R-REG-19")
    async def test_nothing_is_editable_during_review(
        self, client: httpx.AsyncClient, messaging: FakeMessaging
    ) -> None:
        op = await operator_in_review(client, messaging)
        for method, path, kwargs in [
            ("PUT", "/api/v1/account/type", {"json": {"type": "subscription"}}),
            ("PUT", "/api/v1/account/profile", {"json": PROFILE}),
            ("POST", "/api/v1/sms-codes", {"json": {"phone": "13800138000"}}),
            # Step 4 says 409 before judging the upload: a partial form, a photo over its 2 MB.
            (
                "PUT",
                "/api/v1/account/subject",
                {"data": {"subject_type": "government"}, "files": {"operator_photo": oversized_photo()}},
            ),
        ]:
            r = await client.request(method, path, headers=op.headers, **kwargs)
            assert r.status_code == 409
            assert r.json()["error"]["code"] == "under_review"

    @pytest.mark.rule("R-REG-07")
    async def test_type_is_fixed_once_step_four_is_submitted(
        self, client: httpx.AsyncClient, messaging: FakeMessaging
    ) -> None:
        op = await activated_operator(client, messaging)
        await client.put("/api/v1/account/type", json={"type": "service"}, headers=op.headers)
        assert (await submit_subject(client, op, messaging)).status_code == 200
        r = await client.put("/api/v1/account/type", json={"type": "subscription"}, headers=op.headers)
        assert r.json()["error"]["code"] == "type_fixed"


class TestReviewDecisions:
    @pytest.mark.rule("R-REG-30")
    async def test_manual_approval_issues_appid_and_notifies(
        self, client: httpx.AsyncClient, messaging: FakeMessaging
    ) -> None:
        op = await operator_in_review(client, messaging)
        [review] = [
            r
            for r in (await client.get("/_sandbox/reviews", params={"status": "pending"})).json()["items"]
            if r["account_id"] == op.account_id
        ]
        assert (await client.post(f"/_sandbox/reviews/{review['review_id']}/approve")).status_code == 200
        account = (await client.get("/api/v1/account", headers=op.headers)).json()
        assert account["status"] == "approved"
        assert account["appid"].startswith("wx")
        assert account["deregistration_due_at"] is not None
        assert messaging.of("registration_approved", op.account_id)
        twice = await client.post(f"/_sandbox/reviews/{review['review_id']}/approve")
        assert twice.status_code == 409

    @pytest.mark.rule("R-REG-31")
    async def test_rejection_needs_a_reason_and_shows_it(
        self, client: httpx.AsyncClient, messaging: FakeMessaging
    ) -> None:
        op = await operator_in_review(client, messaging)
        review_id = (await client.get("/api/v1/account", headers=op.headers)).json()["review"]["review_id"]
        for empty in (None, {}, {"reason": ""}, {"reason": "   "}):
            refused = await client.post(f"/_sandbox/reviews/{review_id}/reject", json=empty)
            assert refused.status_code == 400, refused.text  # SPEC §3.4: 400 without a reason
            assert refused.json()["error"]["code"] == "reason_required"
        r = await client.post(f"/_sandbox/reviews/{review_id}/reject", json={"reason": "授权运营书未盖章"})
        assert r.status_code == 200
        account = (await client.get("/api/v1/account", headers=op.headers)).json()
        assert account["status"] == "rejected"
        assert account["review"]["reason"] == "授权运营书未盖章"
        assert messaging.of("registration_rejected", op.account_id)[0]["data"]["reason"] == "授权运营书未盖章"
        resubmitted = await client.put("/api/v1/account/profile", json=PROFILE, headers=op.headers)
        assert resubmitted.json()["status"] == "in_review"
        assert resubmitted.json()["review"]["review_id"] != review_id

    @pytest.mark.rule("R-CLK-02")
    async def test_at_deadline_policy_approves_through_the_clock_hook_once(
        self, client: httpx.AsyncClient, messaging: FakeMessaging, db_conn: AsyncConnection
    ) -> None:
        await set_clock(db_conn, T0)
        await db_conn.execute(
            text(
                "INSERT INTO sandbox.namespaces(namespace, review_policy) VALUES ('default', 'at_deadline') "
                "ON CONFLICT (namespace) DO UPDATE SET review_policy = 'at_deadline'"
            )
        )
        op = await operator_in_review(client, messaging)
        deadline = datetime(2026, 3, 11, 16, 0, tzinfo=UTC)
        assert await clock_hook(client, "default", deadline - timedelta(seconds=1)) == []
        events = await clock_hook(client, "default", deadline + timedelta(days=1))
        assert [(e["kind"], e["account_id"]) for e in events] == [("registration_approved", op.account_id)]
        assert events[0]["at"].startswith("2026-03-11T16:00:00")
        assert await clock_hook(client, "default", deadline + timedelta(days=2)) == []
        assert len(messaging.of("registration_approved", op.account_id)) == 1
        account = (await client.get("/api/v1/account", headers=op.headers)).json()
        assert account["status"] == "approved"
        assert account["appid"].startswith("wx")
        assert account["review"]["decided_at"].startswith("2026-03-11T16:00:00")

    async def test_instant_policy_approves_on_submission(
        self, client: httpx.AsyncClient, messaging: FakeMessaging, db_conn: AsyncConnection
    ) -> None:
        await db_conn.execute(
            text(
                "INSERT INTO sandbox.namespaces(namespace, review_policy) VALUES ('default', 'instant') "
                "ON CONFLICT (namespace) DO UPDATE SET review_policy = 'instant'"
            )
        )
        op = await operator_in_review(client, messaging)
        assert (await client.get("/api/v1/account", headers=op.headers)).json()["status"] == "approved"


@pytest.mark.rule("R-REG-06", "R-CLK-02")
class TestActivationExpiryHook:
    async def test_hook_terminates_unactivated_accounts_at_48_hours(
        self, client: httpx.AsyncClient, db_conn: AsyncConnection
    ) -> None:
        await set_clock(db_conn, T0)
        created = (await register(client)).json()
        events = await clock_hook(client, "default", T0 + timedelta(days=3))
        assert [(e["kind"], e["account_id"]) for e in events] == [
            ("activation_expired", created["account_id"])
        ]
        assert events[0]["at"].startswith("2026-03-04T02:00:00")
        assert await clock_hook(client, "default", T0 + timedelta(days=3)) == []


@pytest.mark.rule("R-OUT-01")
class TestPendingDelivery:
    async def test_message_survives_a_messaging_outage_and_is_sent_once(
        self, client: httpx.AsyncClient, messaging: FakeMessaging, db_conn: AsyncConnection
    ) -> None:
        email = unique_email()
        messaging.down = True
        assert (await register(client, email)).status_code == 201
        assert messaging.of("activation", email) == []
        pending = (
            await db_conn.execute(
                text(
                    'SELECT count(*) FROM registration.pending_messages WHERE "to" = :e'
                    " AND delivered_at IS NULL"
                ),
                {"e": email},
            )
        ).scalar()
        assert pending == 1
        messaging.down = False
        await clock_hook(client, None, None)
        await clock_hook(client, None, None)
        assert len(messaging.of("activation", email)) == 1


class TestDeregistration:
    @pytest.mark.rule("R-REG-33", "R-DER-05")
    async def test_voluntary_deregistration_is_403(
        self, client: httpx.AsyncClient, messaging: FakeMessaging
    ) -> None:
        op = await activated_operator(client, messaging)
        r = await client.delete("/api/v1/account", headers=op.headers)
        assert r.status_code == 403
        assert r.json()["error"]["code"] == "voluntary_deregistration_unsupported"

    @pytest.mark.rule("R-REG-20")
    async def test_login_records_last_login(
        self, client: httpx.AsyncClient, messaging: FakeMessaging
    ) -> None:
        op = await activated_operator(client, messaging)
        await login(client, op.email, op.password)
        account = (await client.get("/api/v1/account", headers=op.headers)).json()
        assert account["last_login_at"] is not None
