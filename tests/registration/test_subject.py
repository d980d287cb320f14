from __future__ import annotations

import asyncio
import secrets
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from servicekit.testing import asgi_client, wire_app
from services.registration.app import build_app
from tests.registration.factories import (
    FakeMessaging,
    Operator,
    activated_operator,
    advance,
    id_number,
    image_bytes,
    registration_settings,
    set_clock,
    sms_code,
    subject_files,
    subject_form,
    submit_subject,
)

T0 = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)
MB = 1024 * 1024


async def typed_operator(
    client: httpx.AsyncClient, messaging: FakeMessaging, *, namespace: str | None = None
) -> Operator:
    op = await activated_operator(client, messaging, namespace=namespace)
    await client.put("/api/v1/account/type", json={"type": "subscription"}, headers=op.headers)
    return op


def random_phone() -> str:
    return f"139{secrets.randbelow(10**8):08d}"


@pytest.mark.rule("R-REG-13")
class TestSmsCodes:
    async def test_code_is_six_digits_in_the_sms_outbox(
        self, client: httpx.AsyncClient, messaging: FakeMessaging
    ) -> None:
        op = await typed_operator(client, messaging)
        code = await sms_code(client, op, messaging, "+8613800138000")
        assert len(code) == 6
        assert code.isdigit()
        assert messaging.of("sms_code", "13800138000")[0]["channel"] == "sms"

    async def test_one_send_per_phone_per_minute(
        self, client: httpx.AsyncClient, messaging: FakeMessaging, db_conn: AsyncConnection
    ) -> None:
        await set_clock(db_conn, T0)
        op = await typed_operator(client, messaging)
        await sms_code(client, op, messaging, "13800138001")
        again = await client.post("/api/v1/sms-codes", json={"phone": "13800138001"}, headers=op.headers)
        assert again.status_code == 429
        await advance(db_conn, timedelta(seconds=60))
        assert (
            await client.post("/api/v1/sms-codes", json={"phone": "13800138001"}, headers=op.headers)
        ).status_code == 201

    async def test_eleventh_send_of_the_day_is_429(
        self, client: httpx.AsyncClient, messaging: FakeMessaging, db_conn: AsyncConnection
    ) -> None:
        await set_clock(db_conn, T0)
        op = await typed_operator(client, messaging)
        for _ in range(10):
            await sms_code(client, op, messaging, "13800138002")
            await advance(db_conn, timedelta(seconds=61))
        r = await client.post("/api/v1/sms-codes", json={"phone": "13800138002"}, headers=op.headers)
        assert r.status_code == 429
        assert r.json()["error"]["code"] == "sms_daily_limit"

    @pytest.mark.rule("R-CLK-01")
    async def test_another_namespace_ahead_in_time_does_not_block_the_phone(
        self, client: httpx.AsyncClient, messaging: FakeMessaging, db_conn: AsyncConnection
    ) -> None:
        # Namespace "ahead" is 30 days in the future and sends first; "behind" sends next, at its own time.
        await set_clock(db_conn, T0 + timedelta(days=30), namespace="ahead")
        await set_clock(db_conn, T0, namespace="behind")
        ahead = await typed_operator(client, messaging, namespace="ahead")
        behind = await typed_operator(client, messaging, namespace="behind")
        await sms_code(client, ahead, messaging, "13800138003")
        r = await client.post("/api/v1/sms-codes", json={"phone": "13800138003"}, headers=behind.headers)
        assert r.status_code == 201, r.text

    async def test_non_mainland_phone_is_refused(
        self, client: httpx.AsyncClient, messaging: FakeMessaging
    ) -> None:
        op = await typed_operator(client, messaging)
        for phone in ("85291234567", "12800138000", "+1 4155550100"):
            r = await client.post("/api/v1/sms-codes", json={"phone": phone}, headers=op.headers)
            assert r.status_code == 400, phone
            assert r.json()["error"]["code"] == "invalid_phone", phone
            assert r.json()["error"]["field"] == "phone", phone  # the request's field, not step 4's


class TestSubmitSubject:
    async def test_valid_subject_is_recorded(
        self, client: httpx.AsyncClient, messaging: FakeMessaging, db_conn: AsyncConnection
    ) -> None:
        op = await typed_operator(client, messaging)
        r = await submit_subject(client, op, messaging)
        assert r.status_code == 200
        row = (
            await db_conn.execute(
                text("SELECT operator_id_number, operator_phone FROM registration.accounts WHERE id = :id"),
                {"id": op.account_id},
            )
        ).one()
        assert row == (id_number(), "13800138000")

    @pytest.mark.rule("R-REG-13")
    async def test_wrong_sms_code_counts_and_five_wrong_tries_kill_it(
        self, client: httpx.AsyncClient, messaging: FakeMessaging
    ) -> None:
        op = await typed_operator(client, messaging)
        code = await sms_code(client, op, messaging, "13800138000")
        wrong = "000000" if code != "000000" else "111111"
        for _ in range(5):
            r = await client.put(
                "/api/v1/account/subject",
                data=subject_form(sms_code=wrong),
                files=subject_files(),
                headers=op.headers,
            )
            assert r.json()["error"]["code"] == "sms_code_incorrect"
        r = await client.put(
            "/api/v1/account/subject",
            data=subject_form(sms_code=code),
            files=subject_files(),
            headers=op.headers,
        )
        assert r.json()["error"]["code"] == "sms_code_exhausted"

    @pytest.mark.rule("R-REG-09")
    async def test_refused_submission_does_not_consume_the_sms_code(
        self, client: httpx.AsyncClient, messaging: FakeMessaging
    ) -> None:
        op = await typed_operator(client, messaging)
        code = await sms_code(client, op, messaging, "13800138000")
        bad = await client.put(
            "/api/v1/account/subject",
            data=subject_form(sms_code=code),
            files=subject_files(letter=b"%PDF-1.4 not an image"),
            headers=op.headers,
        )
        assert bad.status_code == 415
        ok = await client.put(
            "/api/v1/account/subject",
            data=subject_form(sms_code=code),
            files=subject_files(),
            headers=op.headers,
        )
        assert ok.status_code == 200

    @pytest.mark.parametrize(
        ("field", "value", "code"),
        [
            ("operator_id_number", "810000199001011234", "id_number_not_mainland"),
            ("operator_id_number", id_number(birth="19900230"), "invalid_id_number"),
            (
                "operator_id_number",
                id_number()[:17] + ("0" if id_number()[17] != "0" else "1"),
                "invalid_id_number",
            ),
            ("operator_id_number", id_number(birth="20150101"), "operator_under_18"),
            ("operator_name", "李", "invalid_operator_name"),
            ("government_name", "政", "invalid_government_name"),
            ("subject_type", "person", "invalid_subject_type"),
        ],
    )
    @pytest.mark.rule("R-REG-08", "R-REG-10", "R-REG-11")
    async def test_invalid_fields_are_refused(
        self, client: httpx.AsyncClient, messaging: FakeMessaging, field: str, value: str, code: str
    ) -> None:
        op = await typed_operator(client, messaging)
        r = await submit_subject(client, op, messaging, **{field: value})
        assert r.status_code == 400
        assert r.json()["error"]["code"] == code

    @pytest.mark.rule("R-REG-09")
    async def test_oversized_letter_is_413_naming_the_field(
        self, client: httpx.AsyncClient, messaging: FakeMessaging
    ) -> None:
        op = await typed_operator(client, messaging)
        big = image_bytes() + b"\0" * (5 * MB)
        r = await client.put(
            "/api/v1/account/subject",
            data=subject_form(),
            files=subject_files(letter=big),
            headers=op.headers,
        )
        assert r.status_code == 413
        assert r.json()["error"]["field"] == "authorization_letter"

    @pytest.mark.rule("R-REG-12")
    async def test_photo_over_2mb_is_413(self, client: httpx.AsyncClient, messaging: FakeMessaging) -> None:
        op = await typed_operator(client, messaging)
        big = image_bytes("GIF") + b"\0" * (2 * MB)
        r = await client.put(
            "/api/v1/account/subject", data=subject_form(), files=subject_files(photo=big), headers=op.headers
        )
        assert r.status_code == 413
        assert r.json()["error"]["field"] == "operator_photo"

    @pytest.mark.rule("R-REG-09")
    async def test_png_renamed_to_jpg_is_415(
        self, client: httpx.AsyncClient, messaging: FakeMessaging
    ) -> None:
        op = await typed_operator(client, messaging)
        r = await client.put(
            "/api/v1/account/subject",
            data=subject_form(),
            files=subject_files(letter=image_bytes("PNG")),
            headers=op.headers,
        )
        assert r.status_code == 415

    async def test_missing_parts_are_400(self, client: httpx.AsyncClient, messaging: FakeMessaging) -> None:
        op = await typed_operator(client, messaging)
        form = subject_form()
        del form["operator_phone"]
        r = await client.put("/api/v1/account/subject", data=form, files=subject_files(), headers=op.headers)
        assert r.status_code == 400
        assert r.json()["error"]["field"] == "operator_phone"
        json_body = await client.put("/api/v1/account/subject", json={"a": 1}, headers=op.headers)
        assert json_body.status_code == 415

    @pytest.mark.rule("R-REG-14")
    async def test_sixth_registration_with_same_id_is_refused(
        self, client: httpx.AsyncClient, messaging: FakeMessaging
    ) -> None:
        shared = id_number(seq="777")
        for i in range(6):
            op = await typed_operator(client, messaging)
            r = await submit_subject(
                client, op, messaging, operator_id_number=shared, operator_phone=random_phone()
            )
            assert r.status_code == (200 if i < 5 else 409), r.text
        assert r.json()["error"]["code"] == "id_number_limit_reached"

    @pytest.mark.rule("R-REG-14")
    async def test_the_five_are_counted_per_namespace(
        self, client: httpx.AsyncClient, messaging: FakeMessaging
    ) -> None:
        shared = id_number(seq="778")
        for _ in range(5):
            op = await typed_operator(client, messaging, namespace="first-world")
            r = await submit_subject(
                client, op, messaging, operator_id_number=shared, operator_phone=random_phone()
            )
            assert r.status_code == 200, r.text
        other = await typed_operator(client, messaging, namespace="second-world")
        r = await submit_subject(
            client, other, messaging, operator_id_number=shared, operator_phone=random_phone()
        )
        assert r.status_code == 200, r.text

    @pytest.mark.rule("R-REG-14")
    async def test_sixth_registration_with_same_phone_is_refused(
        self, client: httpx.AsyncClient, messaging: FakeMessaging, db_conn: AsyncConnection
    ) -> None:
        await set_clock(db_conn, T0)
        for i in range(6):
            op = await typed_operator(client, messaging)
            r = await submit_subject(client, op, messaging, operator_id_number=id_number(seq=f"{i:03d}"))
            assert r.status_code == (200 if i < 5 else 409), r.text
            await advance(db_conn, timedelta(seconds=61))
        assert r.json()["error"]["code"] == "phone_limit_reached"

    @pytest.mark.rule("R-REG-14", "R-DER-04")
    async def test_terminated_accounts_do_not_count_against_the_five(
        self, client: httpx.AsyncClient, messaging: FakeMessaging, db_conn: AsyncConnection
    ) -> None:
        shared = id_number(seq="778")
        firsts = [await typed_operator(client, messaging) for _ in range(5)]
        for op in firsts:
            ok = await submit_subject(
                client, op, messaging, operator_id_number=shared, operator_phone=random_phone()
            )
            assert ok.status_code == 200, ok.text
        await db_conn.execute(
            text("UPDATE registration.accounts SET status = 'terminated' WHERE id = :id"),
            {"id": firsts[0].account_id},
        )
        sixth = await typed_operator(client, messaging)

        r = await submit_subject(
            client, sixth, messaging, operator_id_number=shared, operator_phone=random_phone()
        )

        assert r.status_code == 200, r.text  # R-REG-14 / R-DER-04: only non-terminated accounts count


@pytest.fixture
async def committing_client(engine: AsyncEngine) -> AsyncIterator[tuple[httpx.AsyncClient, FakeMessaging]]:
    messaging = FakeMessaging()
    async with httpx.AsyncClient(
        transport=httpx.MockTransport(messaging.handler), base_url="http://msg"
    ) as msg:
        app = wire_app(build_app(registration_settings()), engine=engine, peers={"messaging": msg})
        async with asgi_client(app, headers={"X-Sandbox-Namespace": f"ns-{secrets.token_hex(4)}"}) as c:
            yield c, messaging


@pytest.mark.rule("R-REG-14")
class TestConcurrentSubjects:
    async def test_parallel_submissions_never_exceed_five_per_id_number(
        self, committing_client: tuple[httpx.AsyncClient, FakeMessaging], engine: AsyncEngine
    ) -> None:
        client, messaging = committing_client
        shared = id_number(birth="19850505", seq=f"{secrets.randbelow(1000):03d}")
        operators = [await typed_operator(client, messaging) for _ in range(8)]
        phones = [random_phone() for _ in operators]
        codes = [
            await sms_code(client, op, messaging, phone) for op, phone in zip(operators, phones, strict=True)
        ]

        async def submit(op: Operator, phone: str, code: str) -> int:
            form = subject_form(operator_id_number=shared, operator_phone=phone, sms_code=code)
            r = await client.put(
                "/api/v1/account/subject", data=form, files=subject_files(), headers=op.headers
            )
            return r.status_code

        statuses = await asyncio.gather(
            *(submit(*args) for args in zip(operators, phones, codes, strict=True))
        )
        assert sorted(statuses) == [200] * 5 + [409] * 3
        async with engine.connect() as conn:
            count = (
                await conn.execute(
                    text("SELECT count(*) FROM registration.accounts WHERE operator_id_number = :n"),
                    {"n": shared},
                )
            ).scalar()
        assert count == 5
