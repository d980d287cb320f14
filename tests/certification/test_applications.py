"""Applying for certification and deciding it, in-process (SPEC §4, §3.4, §7): R-CER-01..05, 07, 08.

Console calls carry the account as the gateway presents it (`X-Sandbox-Account`); every namespace's
clock is frozen at a chosen Shanghai wall time and moved by hand, then the clock hook is delivered
for the interval, as the scheduler would. Notices are read where the service writes them
(`certification.pending_messages`): no messaging peer is wired, so they stay undelivered.
"""

from __future__ import annotations

import random
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from PIL import ImageFile
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from contracts.capabilities import capabilities
from contracts.registration.schemas import AccountView, encode_account_header
from servicekit import clock
from servicekit.clock import SHANGHAI
from servicekit.context import ACCOUNT_HEADER
from servicekit.testing import asgi_client, wire_app
from servicekit.uploads import MB
from servicekit.workdays import end_of_nth_working_day
from services.certification.app import build_app
from services.certification.applications.models import Application
from services.certification.notices.models import PendingMessage
from tests.certification.factories import (
    FIRST17,
    OPERATOR_ID,
    PNG_SIGNATURE,
    bmp_of_exactly,
    files,
    form,
    half,
    image_bytes,
    pdf_bytes,
    png_declaring,
)

# Monday 2 March 2026, 10:00 in Beijing: no holiday within the next weeks.
T0 = datetime(2026, 3, 2, 10, 0, tzinfo=SHANGHAI)
WRONG_CHECK_ID = FIRST17 + ("1" if OPERATOR_ID[-1] == "0" else "0")
FILE_FIELDS = ("application_letter", "information_form", "organization_code_certificate")
GARBAGE = random.Random(3).randbytes(400)
SPEC_CREATED_FIELDS = {"certification_id", "status", "kind", "fee", "review", "submitted_at"}


# --- accounts as the gateway presents them (as tests/messaging/factories.py builds them) ----------


def account_view(*, status: str, namespace: str | None) -> AccountView:
    """A distinct service account, as registration would describe it, with its login e-mail."""
    suffix = uuid.uuid4().hex[:16]
    return AccountView(
        account_id=f"acc_{suffix}",
        namespace=namespace or f"ns_{suffix}",
        status=status,
        type="service",
        appid=f"wx{suffix}",
        original_id=f"gh_{suffix[:12]}",
        name=f"测试账号{suffix[:4]}",
        certified=False,
        capabilities=capabilities("service", False, status),
        login_email=f"operator_{suffix}@bjdch.gov.cn",
    )


def account_headers(account: AccountView) -> dict[str, str]:
    """The header the gateway adds once it has resolved the console session."""
    return {ACCOUNT_HEADER: encode_account_header(account.model_dump_json().encode())}


def when(value: str) -> datetime:
    return datetime.fromisoformat(value)


# --- the sandbox around the service ----------------------------------------------------------------


class Sandbox:
    """The certification app in-process, and what the scheduler and gateway would do around it."""

    def __init__(self, client: httpx.AsyncClient, connection: AsyncConnection) -> None:
        self.client = client
        self.connection = connection

    def session(self) -> AsyncSession:
        return AsyncSession(bind=self.connection, join_transaction_mode="create_savepoint")

    async def account(
        self,
        *,
        status: str = "approved",
        namespace: str | None = None,
        policy: str = "manual",
        at: datetime = T0,
    ) -> AccountView:
        """A fresh account (its own namespace unless given), the namespace clock frozen at `at`."""
        view = account_view(status=status, namespace=namespace)
        async with self.session() as session:
            await clock.set_review_policy(session, view.namespace, policy)
            await clock.freeze(session, view.namespace)
            await clock.set_time(session, view.namespace, at)
            await session.commit()
        return view

    async def now(self, namespace: str) -> datetime:
        async with self.session() as session:
            return await clock.now(session, namespace)

    async def move(self, namespace: str, to: datetime) -> list[dict[str, Any]]:
        """Move the namespace's clock to `to`, then deliver the interval to the clock hook."""
        start = await self.now(namespace)
        async with self.session() as session:
            await clock.set_time(session, namespace, to)
            await session.commit()
        return await self.hook(namespace, start, to)

    async def hook(self, namespace: str, start: datetime, to: datetime) -> list[dict[str, Any]]:
        body = {"namespace": namespace, "from": start.isoformat(), "to": to.isoformat()}
        response = await self.client.post("/internal/clock-hook", json=body)
        assert response.status_code == 200, response.text
        events: list[dict[str, Any]] = response.json()["events"]
        return events

    async def set_clock(self, namespace: str, to: datetime) -> None:
        """Move the clock without delivering the hook (the sweep has not run yet)."""
        async with self.session() as session:
            await clock.set_time(session, namespace, to)
            await session.commit()

    async def apply(
        self,
        account: AccountView,
        fields: dict[str, str] | None = None,
        scans: dict[str, tuple[str, bytes, str]] | None = None,
    ) -> httpx.Response:
        return await self.client.post(
            "/api/v1/certifications",
            data=form() if fields is None else fields,
            files=files() if scans is None else scans,
            headers=account_headers(account),
        )

    async def applied(self, account: AccountView, **overrides: str | None) -> dict[str, Any]:
        response = await self.apply(account, form(**overrides))
        assert response.status_code == 201, response.text
        body: dict[str, Any] = response.json()
        return body

    async def get(self, account: AccountView, path: str = "") -> httpx.Response:
        return await self.client.get(f"/api/v1/certifications{path}", headers=account_headers(account))

    async def history(self, account: AccountView) -> list[dict[str, Any]]:
        response = await self.get(account)
        assert response.status_code == 200, response.text
        items: list[dict[str, Any]] = response.json()["items"]
        return items

    async def approve(self, review_id: str) -> httpx.Response:
        return await self.client.post(f"/_sandbox/reviews/{review_id}/approve")

    async def reject(self, review_id: str, reason: str | None) -> httpx.Response:
        body = {} if reason is None else {"reason": reason}
        return await self.client.post(f"/_sandbox/reviews/{review_id}/reject", json=body)

    async def certified(self, account: AccountView, **overrides: str | None) -> dict[str, Any]:
        """Apply and have the review approved now; the summary."""
        created = await self.applied(account, **overrides)
        approved = await self.approve(created["review"]["review_id"])
        assert approved.status_code == 200, approved.text
        return await self.summary(account.account_id)

    async def summary(self, account_id: str) -> dict[str, Any]:
        response = await self.client.get(f"/internal/certifications/{account_id}")
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        return body

    async def end(self, account: AccountView) -> dict[str, Any]:
        response = await self.client.post(
            f"/internal/certifications/{account.account_id}/end", json={"namespace": account.namespace}
        )
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        return body

    async def messages(self, account_id: str) -> list[PendingMessage]:
        async with self.session() as session:
            rows = await session.scalars(
                select(PendingMessage)
                .where(PendingMessage.account_id == account_id)
                .order_by(PendingMessage.created_at, PendingMessage.kind, PendingMessage.channel)
            )
            return list(rows.all())

    async def application_count(self, account_id: str) -> int:
        async with self.session() as session:
            count = await session.scalar(
                select(func.count()).select_from(Application).where(Application.account_id == account_id)
            )
            return int(count or 0)


@pytest.fixture
async def client(db_conn: AsyncConnection) -> AsyncIterator[httpx.AsyncClient]:
    async with asgi_client(wire_app(build_app(), connection=db_conn)) as c:
        yield c


@pytest.fixture
def sb(client: httpx.AsyncClient, db_conn: AsyncConnection) -> Sandbox:
    return Sandbox(client, db_conn)


def error_of(response: httpx.Response) -> dict[str, Any]:
    error: dict[str, Any] = response.json()["error"]
    return error


# --- applying ---------------------------------------------------------------------------------------


class TestApply:
    @pytest.mark.rule("R-CER-03", "R-CER-05")
    async def test_application_is_pending_with_the_fee_waived_and_its_review_deadline(
        self, sb: Sandbox
    ) -> None:
        account = await sb.account()

        response = await sb.apply(account)

        assert response.status_code == 201, response.text
        body = response.json()
        assert SPEC_CREATED_FIELDS <= set(body)
        assert body["certification_id"].startswith("cert_")
        assert (body["status"], body["kind"]) == ("pending", "initial")
        assert body["fee"] == {
            "amount": 0,
            "currency": "CNY",
            "waived_reason": "政府机构、事业单位申请认证免收审核服务费",
        }
        assert set(body["review"]) == {"review_id", "deadline"}
        assert body["review"]["review_id"].startswith("crev_")
        assert when(body["submitted_at"]) == T0
        # Mon 2 Mar: Tue 3, Wed 4, Thu 5, Fri 6, Mon 9 → the end of Monday 9 March.
        assert when(body["review"]["deadline"]) == end_of_nth_working_day(T0, 5)
        assert when(body["review"]["deadline"]) == datetime(2026, 3, 10, 0, 0, tzinfo=SHANGHAI)

    @pytest.mark.rule("R-CER-05")
    async def test_deadline_skips_national_day_and_counts_the_make_up_saturday(self, sb: Sandbox) -> None:
        submitted = datetime(2026, 9, 29, 15, 30, tzinfo=SHANGHAI)
        account = await sb.account(at=submitted)

        body = await sb.applied(account)

        # Tue 29 Sep not counted: Wed 30 Sep, (1–7 Oct off) Thu 8, Fri 9, Sat 10 (调休上班), Mon 12.
        deadline = when(body["review"]["deadline"])
        assert deadline == datetime(2026, 10, 13, 0, 0, tzinfo=SHANGHAI)
        assert deadline == end_of_nth_working_day(submitted, 5)

    @pytest.mark.rule("R-CER-05")
    async def test_submission_date_is_the_beijing_date_not_the_utc_one(self, sb: Sandbox) -> None:
        # Thu 5 Mar 16:30 UTC is Fri 6 Mar 00:30 in Beijing: Mon 9 … Fri 13, over the weekend.
        submitted = datetime(2026, 3, 5, 16, 30, tzinfo=UTC)
        account = await sb.account(at=submitted)

        body = await sb.applied(account)

        assert when(body["review"]["deadline"]) == datetime(2026, 3, 14, 0, 0, tzinfo=SHANGHAI)

    @pytest.mark.rule("R-CER-06")
    async def test_current_shows_the_pending_application_and_no_certification(self, sb: Sandbox) -> None:
        account = await sb.account()
        assert (await sb.get(account, "/current")).status_code == 404
        assert error_of(await sb.get(account, "/current"))["code"] == "not_certified"
        created = await sb.applied(account)

        current = (await sb.get(account, "/current")).json()

        assert current["certified"] is False
        assert current["certification"] is None
        assert current["pending"]["certification_id"] == created["certification_id"]
        assert current["pending"]["status"] == "pending"
        assert current["pending"]["review_id"] == created["review"]["review_id"]
        assert (await sb.summary(account.account_id))["pending"] is True

    async def test_history_lists_every_application_newest_first(self, sb: Sandbox) -> None:
        account = await sb.account()
        first = await sb.applied(account)
        assert (await sb.reject(first["review"]["review_id"], "公函未盖章")).status_code == 200
        await sb.set_clock(account.namespace, T0 + timedelta(hours=2))
        second = await sb.applied(account)

        items = await sb.history(account)

        assert [i["certification_id"] for i in items] == [
            second["certification_id"],
            first["certification_id"],
        ]
        assert [i["status"] for i in items] == ["pending", "rejected"]
        assert items[1]["reason"] == "公函未盖章"
        assert when(items[1]["decided_at"]) == T0
        assert items[0]["decided_at"] is None
        assert {i["kind"] for i in items} == {"initial"}
        assert {i["certified_name"] for i in items} == {"东城政务发布"}

    @pytest.mark.rule("R-CER-02")
    async def test_detail_shows_the_normalised_form_and_each_file_by_its_content(self, sb: Sandbox) -> None:
        account = await sb.account()
        created = await sb.applied(account)

        detail = (await sb.get(account, f"/{created['certification_id']}")).json()

        assert detail["status"] == "pending"
        assert detail["form"]["organization_code"] == "123456788"
        assert detail["form"]["bank_account"] == "0200001234567890"
        assert detail["form"]["office_phone"] == "010-64012345-123"
        assert detail["form"]["headcount"] == 120
        assert [(f["field"], f["format"], f["content_type"]) for f in detail["files"]] == [
            ("application_letter", "pdf", "application/pdf"),
            ("information_form", "png", "image/png"),
            ("organization_code_certificate", "jpg", "image/jpeg"),
        ]

    @pytest.mark.rule("R-CER-02")
    async def test_file_comes_back_as_sent_with_the_type_its_content_has(self, sb: Sandbox) -> None:
        account = await sb.account()
        png = image_bytes("PNG", (64, 48))
        response = await sb.apply(
            account, scans=files(application_letter=("公函.pdf", png, "application/pdf"))
        )
        assert response.status_code == 201, response.text
        certification_id = response.json()["certification_id"]

        scan = await sb.get(account, f"/{certification_id}/files/application_letter")
        jpeg = await sb.get(account, f"/{certification_id}/files/organization_code_certificate")

        assert scan.status_code == 200
        assert scan.content == png
        assert scan.headers["content-type"] == "image/png"
        assert jpeg.headers["content-type"] == "image/jpeg"
        unknown = await sb.get(account, f"/{certification_id}/files/bank_statement")
        assert unknown.status_code == 404

    @pytest.mark.rule("R-CER-02")
    async def test_pdf_comes_back_as_pdf(self, sb: Sandbox) -> None:
        account = await sb.account()
        letter = pdf_bytes()
        created = await sb.apply(account, scans=files(application_letter=("a.bin", letter, "text/plain")))
        assert created.status_code == 201, created.text

        scan = await sb.get(account, f"/{created.json()['certification_id']}/files/application_letter")

        assert scan.content == letter
        assert scan.headers["content-type"] == "application/pdf"

    @pytest.mark.rule("R-CER-02")
    @pytest.mark.parametrize("fmt", ["GIF", "BMP"])
    async def test_gif_and_bmp_scans_are_accepted(self, sb: Sandbox, fmt: str) -> None:
        account = await sb.account()
        data = image_bytes(fmt)

        response = await sb.apply(account, scans=files(information_form=("scan", data, "image/x")))

        assert response.status_code == 201, response.text


# --- R-CER-01: who may apply ---------------------------------------------------------------------


@pytest.mark.rule("R-CER-01")
class TestWhoMayApply:
    @pytest.mark.parametrize("status", ["in_review", "rejected", "activated", "terminated"])
    async def test_account_not_approved_is_refused(self, sb: Sandbox, status: str) -> None:
        account = await sb.account(status=status)

        response = await sb.apply(account)

        assert response.status_code == 403
        assert error_of(response)["code"] == "account_not_approved"
        assert await sb.application_count(account.account_id) == 0

    async def test_without_the_gateway_account_header_is_401(self, sb: Sandbox) -> None:
        response = await sb.client.post("/api/v1/certifications", data=form(), files=files())
        assert response.status_code == 401

    async def test_second_application_while_one_is_pending_is_409(self, sb: Sandbox) -> None:
        account = await sb.account()
        await sb.applied(account)

        response = await sb.apply(account)

        assert response.status_code == 409
        assert error_of(response)["code"] == "certification_pending"
        assert await sb.application_count(account.account_id) == 1

    async def test_certified_account_outside_the_renewal_window_is_409(self, sb: Sandbox) -> None:
        account = await sb.account()
        summary = await sb.certified(account)
        expires = when(summary["expires_at"])
        await sb.set_clock(account.namespace, expires - timedelta(days=90, seconds=1))

        response = await sb.apply(account)

        assert response.status_code == 409
        error = error_of(response)
        assert error["code"] == "already_certified"
        assert when(error["renewal_opens_at"]) == expires - timedelta(days=90)
        assert await sb.application_count(account.account_id) == 1

    @pytest.mark.rule("R-CER-07")
    async def test_in_the_last_90_days_the_application_is_a_renewal(self, sb: Sandbox) -> None:
        account = await sb.account()
        expires = when((await sb.certified(account))["expires_at"])
        await sb.set_clock(account.namespace, expires - timedelta(days=90))

        body = await sb.applied(account)

        assert (body["status"], body["kind"]) == ("pending", "renewal")
        current = (await sb.get(account, "/current")).json()
        assert current["certified"] is True
        assert current["pending"]["kind"] == "renewal"

    async def test_after_a_rejection_a_new_application_is_accepted_at_once(self, sb: Sandbox) -> None:
        account = await sb.account()
        first = await sb.applied(account)
        assert (await sb.reject(first["review"]["review_id"], "信息表未签字")).status_code == 200

        again = await sb.apply(account)

        assert again.status_code == 201, again.text
        assert again.json()["kind"] == "initial"


# --- R-CER-02: every field and file is checked ----------------------------------------------------


@pytest.mark.rule("R-CER-02")
class TestFormIsChecked:
    @pytest.mark.parametrize(
        ("overrides", "field", "code"),
        [
            ({"institution_name": None}, "institution_name", "missing_field"),
            ({"bank_account": "   "}, "bank_account", "missing_field"),
            ({"organization_code": "12345678-9"}, "organization_code", "invalid_organization_code"),
            ({"organization_code": "91310110666007217A"}, "organization_code", "invalid_organization_code"),
            ({"intro": "政" * 301}, "intro", "invalid_intro"),
            ({"institution_name": "东"}, "institution_name", "invalid_institution_name"),
            ({"institution_nature": "enterprise"}, "institution_nature", "invalid_institution_nature"),
            ({"headcount": "0"}, "headcount", "invalid_headcount"),
            ({"headcount": "12.5"}, "headcount", "invalid_headcount"),
            ({"headcount": "1000001"}, "headcount", "invalid_headcount"),
            ({"office_phone": "64012345"}, "office_phone", "invalid_office_phone"),
            ({"bank_account": "1234567"}, "bank_account", "invalid_bank_account"),
            ({"bank_account": "6222-0212-3456"}, "bank_account", "invalid_bank_account"),
            ({"operator_id_number": WRONG_CHECK_ID}, "operator_id_number", "invalid_id_number"),
            ({"operator_phone": "010-64012345"}, "operator_phone", "invalid_phone"),
            ({"contact_email": "office.bjdch.gov.cn"}, "contact_email", "invalid_email"),
            ({"website": "ftp://bjdch.gov.cn"}, "website", "invalid_website"),
            ({"certified_name": "东城 政务"}, "certified_name", "invalid_name"),
            ({"certified_name": "东城微信发布"}, "certified_name", "protected_name"),
        ],
    )  # fmt: skip
    async def test_refusal_names_the_field_and_changes_nothing(
        self, sb: Sandbox, overrides: dict[str, str | None], field: str, code: str
    ) -> None:
        account = await sb.account()

        response = await sb.apply(account, form(**overrides))

        assert response.status_code == 400, response.text
        assert (error_of(response)["field"], error_of(response)["code"]) == (field, code)
        assert await sb.application_count(account.account_id) == 0
        assert await sb.messages(account.account_id) == []
        assert (await sb.get(account, "/current")).status_code == 404

    async def test_a_text_part_far_past_every_bound_is_400_naming_it(self, sb: Sandbox) -> None:
        account = await sb.account()

        response = await sb.apply(account, form(services="政" * 30_000))

        assert response.status_code == 400
        assert error_of(response)["field"] == "services"
        assert await sb.application_count(account.account_id) == 0


@pytest.mark.rule("R-CER-02")
class TestFilesAreCheckedByContent:
    @pytest.mark.parametrize("field", FILE_FIELDS)
    async def test_missing_file_is_400_naming_it(self, sb: Sandbox, field: str) -> None:
        account = await sb.account()

        response = await sb.apply(account, scans=files(**{field: None}))

        assert response.status_code == 400
        assert (error_of(response)["field"], error_of(response)["code"]) == (field, "missing_file")
        assert await sb.application_count(account.account_id) == 0

    async def test_empty_file_counts_as_missing(self, sb: Sandbox) -> None:
        account = await sb.account()

        response = await sb.apply(account, scans=files(information_form=("空.png", b"", "image/png")))

        assert response.status_code == 400
        assert (error_of(response)["field"], error_of(response)["code"]) == (
            "information_form",
            "missing_file",
        )

    @pytest.mark.parametrize(
        ("name", "data"),
        [
            ("text-named-pdf", ("公函.pdf", "这是一封公函，不是 PDF".encode(), "application/pdf")),
            ("truncated-pdf", ("公函.pdf", half(pdf_bytes()), "application/pdf")),
            ("pdf-signature-only", ("公函.pdf", b"%PDF-1.7\n" + bytes(300), "application/pdf")),
            ("png-header-then-garbage", ("公函.png", PNG_SIGNATURE + GARBAGE, "image/png")),
            ("truncated-png", ("公函.png", half(image_bytes("PNG", (300, 300))), "image/png")),
            ("truncated-jpeg", ("公函.jpg", half(image_bytes("JPEG", (300, 300))), "image/jpeg")),
            ("webp", ("公函.webp", image_bytes("WEBP"), "image/webp")),
        ],
        ids=lambda v: v if isinstance(v, str) else "",
    )  # fmt: skip
    async def test_unreadable_or_unlisted_file_is_415(
        self, sb: Sandbox, name: str, data: tuple[str, bytes, str]
    ) -> None:
        account = await sb.account()

        response = await sb.apply(account, scans=files(application_letter=data))

        assert response.status_code == 415, f"{name}: {response.text}"
        assert error_of(response)["field"] == "application_letter"
        assert await sb.application_count(account.account_id) == 0

    @pytest.mark.parametrize("size", [(20_000, 20_000), (8_000, 8_000)])
    async def test_decompression_bomb_is_415_without_being_decoded(
        self, sb: Sandbox, size: tuple[int, int], monkeypatch: pytest.MonkeyPatch
    ) -> None:
        # 400 million pixels (past Pillow's own bomb limit) and 64 million (past the service's 40).
        account = await sb.account()
        bomb = png_declaring(*size)
        assert len(bomb) < 100_000
        decoded: list[tuple[int, int]] = []
        load = ImageFile.ImageFile.load

        def recording_load(image: ImageFile.ImageFile) -> Any:
            decoded.append(image.size)
            return load(image)

        monkeypatch.setattr(ImageFile.ImageFile, "load", recording_load)

        response = await sb.apply(account, scans=files(information_form=("scan.png", bomb, "image/png")))

        assert response.status_code == 415, response.text
        assert error_of(response)["field"] == "information_form"
        assert size not in decoded
        assert await sb.application_count(account.account_id) == 0

    async def test_file_of_exactly_5_mib_is_accepted(self, sb: Sandbox) -> None:
        account = await sb.account()
        scan = bmp_of_exactly(5 * MB)

        response = await sb.apply(
            account, scans=files(organization_code_certificate=("代码证.bmp", scan, "image/bmp"))
        )

        assert response.status_code == 201, response.text

    async def test_file_one_byte_over_5_mib_is_413_naming_its_part(self, sb: Sandbox) -> None:
        account = await sb.account()
        scan = bmp_of_exactly(5 * MB + 1)

        response = await sb.apply(
            account, scans=files(organization_code_certificate=("代码证.bmp", scan, "image/bmp"))
        )

        assert response.status_code == 413
        assert error_of(response)["field"] == "organization_code_certificate"
        assert await sb.application_count(account.account_id) == 0


# --- R-CER-04: a certified name is unique among certified accounts --------------------------------


@pytest.mark.rule("R-CER-04")
class TestCertifiedNameIsUnique:
    async def test_name_held_by_another_certified_account_is_refused_at_application(
        self, sb: Sandbox
    ) -> None:
        holder = await sb.account()
        other = await sb.account(namespace=holder.namespace)
        await sb.certified(holder)

        response = await sb.apply(other)

        assert response.status_code == 409
        assert (error_of(response)["code"], error_of(response)["field"]) == (
            "certified_name_taken",
            "certified_name",
        )
        assert await sb.application_count(other.account_id) == 0

    async def test_the_same_name_in_another_namespace_is_free(self, sb: Sandbox) -> None:
        await sb.certified(await sb.account())

        assert (await sb.apply(await sb.account())).status_code == 201

    async def test_fixture_certification_holds_its_name_too(self, sb: Sandbox) -> None:
        account = await sb.account()
        recorded = await sb.client.put(
            "/internal/certifications/acc_fixture_holder",
            json={"certified_name": "东城政务发布", "namespace": account.namespace},
        )
        assert recorded.status_code == 200, recorded.text

        response = await sb.apply(account)

        assert error_of(response)["code"] == "certified_name_taken"

    async def test_second_approval_for_one_name_is_409_and_stays_pending_until_rejected(
        self, sb: Sandbox
    ) -> None:
        first = await sb.account()
        second = await sb.account(namespace=first.namespace)
        a = await sb.applied(first)
        b = await sb.applied(second)

        won = await sb.approve(a["review"]["review_id"])
        lost = await sb.approve(b["review"]["review_id"])

        assert won.status_code == 200, won.text
        assert won.json()["status"] == "approved"
        assert lost.status_code == 409
        assert (error_of(lost)["code"], error_of(lost)["field"]) == ("certified_name_taken", "certified_name")
        assert [i["status"] for i in await sb.history(second)] == ["pending"]
        assert (await sb.summary(second.account_id))["certified"] is False
        assert (await sb.summary(first.account_id))["certified"] is True
        assert [m.kind for m in await sb.messages(second.account_id)] == []

        no_reason = await sb.reject(b["review"]["review_id"], None)
        blank = await sb.reject(b["review"]["review_id"], "   ")
        assert (no_reason.status_code, error_of(no_reason)["code"]) == (400, "reason_required")
        assert (blank.status_code, error_of(blank)["code"]) == (400, "reason_required")
        assert [i["status"] for i in await sb.history(second)] == ["pending"]

        rejected = await sb.reject(b["review"]["review_id"], "认证名称已被其他帐号认证")
        assert rejected.status_code == 200, rejected.text
        assert [i["status"] for i in await sb.history(second)] == ["rejected"]

    @pytest.mark.rule("R-CER-05")
    async def test_at_deadline_approves_only_the_first_of_two_applications_for_one_name(
        self, sb: Sandbox
    ) -> None:
        first = await sb.account(policy="at_deadline")
        second = await sb.account(namespace=first.namespace, policy="at_deadline")
        a = await sb.applied(first)
        await sb.set_clock(first.namespace, T0 + timedelta(days=1))
        b = await sb.applied(second)

        events = await sb.move(first.namespace, T0 + timedelta(days=30))

        assert [(e["kind"], e["account_id"]) for e in events] == [
            ("certification_approved", first.account_id)
        ]
        assert when(events[0]["at"]) == when(a["review"]["deadline"])
        assert [i["status"] for i in await sb.history(second)] == ["pending"]
        assert await sb.move(first.namespace, T0 + timedelta(days=31)) == []
        assert (await sb.reject(b["review"]["review_id"], "名称已被认证")).status_code == 200


# --- R-CER-05: the review and what an approval does -------------------------------------------------


@pytest.mark.rule("R-CER-05")
class TestReview:
    async def test_approval_certifies_at_once_for_one_year(self, sb: Sandbox) -> None:
        account = await sb.account()
        created = await sb.applied(account)
        decided_at = T0 + timedelta(days=2, hours=3)
        await sb.set_clock(account.namespace, decided_at)

        approved = await sb.approve(created["review"]["review_id"])

        assert approved.status_code == 200, approved.text
        assert approved.json()["status"] == "approved"
        summary = await sb.summary(account.account_id)
        assert summary["certified"] is True
        assert summary["pending"] is False
        assert summary["certified_name"] == "东城政务发布"
        assert summary["certification_text"] == "东城政务发布（北京市东城区人民政府办公室）"
        assert when(summary["certified_at"]) == decided_at
        # 4 March 2026 13:00 in Beijing → 4 March 2027 13:00.
        assert when(summary["expires_at"]) == datetime(2027, 3, 4, 13, 0, tzinfo=SHANGHAI)
        current = (await sb.get(account, "/current")).json()
        assert current["certified"] is True
        assert current["pending"] is None
        assert current["certification"]["certification_id"] == created["certification_id"]
        assert current["certification"]["certification_text"] == summary["certification_text"]
        assert when(current["certification"]["renewal_opens_at"]) == when(summary["expires_at"]) - timedelta(
            days=90
        )
        item = (await sb.history(account))[0]
        assert (item["status"], when(item["decided_at"])) == ("approved", decided_at)

    async def test_approval_notifies_the_operator_in_the_notification_centre_and_by_email(
        self, sb: Sandbox
    ) -> None:
        account = await sb.account()
        created = await sb.applied(account)
        assert await sb.messages(account.account_id) == []

        await sb.approve(created["review"]["review_id"])

        messages = await sb.messages(account.account_id)
        assert sorted((m.kind, m.channel, m.to) for m in messages) == [
            ("certification_approved", "email", account.login_email),
            ("certification_approved", "notification", account.account_id),
        ]
        for message in messages:
            assert message.created_at == T0
            assert message.namespace == account.namespace
            assert message.data["certified_name"] == "东城政务发布"
            assert when(message.data["expires_at"]) == datetime(2027, 3, 2, 10, 0, tzinfo=SHANGHAI)
            assert "东城政务发布" in message.body

    async def test_rejection_keeps_its_reason_and_notifies_it(self, sb: Sandbox) -> None:
        account = await sb.account()
        created = await sb.applied(account)

        rejected = await sb.reject(created["review"]["review_id"], "  组织机构代码证不清晰  ")

        assert rejected.status_code == 200, rejected.text
        assert (rejected.json()["status"], rejected.json()["reason"]) == ("rejected", "组织机构代码证不清晰")
        messages = await sb.messages(account.account_id)
        assert sorted((m.kind, m.channel) for m in messages) == [
            ("certification_rejected", "email"),
            ("certification_rejected", "notification"),
        ]
        assert all(m.data == {"reason": "组织机构代码证不清晰"} for m in messages)
        assert all("组织机构代码证不清晰" in m.body for m in messages)
        assert (await sb.summary(account.account_id))["certified"] is False

    async def test_reject_without_a_reason_is_400_and_changes_nothing(self, sb: Sandbox) -> None:
        account = await sb.account()
        created = await sb.applied(account)

        for body in ({}, {"reason": ""}, {"reason": " \t"}, {"reason": None}):
            response = await sb.client.post(
                f"/_sandbox/reviews/{created['review']['review_id']}/reject", json=body
            )
            assert response.status_code == 400
            assert (error_of(response)["code"], error_of(response)["field"]) == ("reason_required", "reason")

        assert [i["status"] for i in await sb.history(account)] == ["pending"]
        assert await sb.messages(account.account_id) == []

    async def test_a_decided_review_cannot_be_decided_again(self, sb: Sandbox) -> None:
        account = await sb.account()
        created = await sb.applied(account)
        review_id = created["review"]["review_id"]
        await sb.reject(review_id, "材料不全")

        again = await sb.approve(review_id)

        assert (again.status_code, error_of(again)["code"]) == (409, "review_decided")
        assert (await sb.summary(account.account_id))["certified"] is False
        assert (await sb.approve("crev_nothing")).status_code == 404

    async def test_certification_reviews_are_listed_for_the_control_plane(self, sb: Sandbox) -> None:
        account = await sb.account()
        created = await sb.applied(account)

        listed = await sb.client.get(
            "/internal/certification-reviews", params={"status": "pending", "namespace": account.namespace}
        )

        assert listed.status_code == 200
        [review] = listed.json()["items"]
        assert review["review_id"] == created["review"]["review_id"]
        assert (review["kind"], review["status"], review["account_id"]) == (
            "certification",
            "pending",
            account.account_id,
        )
        assert when(review["deadline"]) == when(created["review"]["deadline"])

    async def test_at_deadline_approves_at_the_deadline_not_before(self, sb: Sandbox) -> None:
        account = await sb.account(policy="at_deadline")
        created = await sb.applied(account)
        deadline = when(created["review"]["deadline"])

        before = await sb.move(account.namespace, deadline - timedelta(seconds=1))
        assert before == []
        assert (await sb.summary(account.account_id))["certified"] is False
        assert (await sb.summary(account.account_id))["changes_at"] is not None

        events = await sb.move(account.namespace, deadline + timedelta(days=3))

        assert [(e["kind"], e["service"], e["account_id"]) for e in events] == [
            ("certification_approved", "certification", account.account_id)
        ]
        assert when(events[0]["at"]) == deadline
        summary = await sb.summary(account.account_id)
        assert summary["certified"] is True
        assert when(summary["certified_at"]) == deadline
        assert when(summary["expires_at"]) == datetime(2027, 3, 10, 0, 0, tzinfo=SHANGHAI)
        assert {m.created_at for m in await sb.messages(account.account_id)} == {deadline}
        item = (await sb.history(account))[0]
        assert (item["status"], when(item["decided_at"])) == ("approved", deadline)
        assert await sb.hook(account.namespace, deadline, deadline + timedelta(days=3)) == []

    async def test_at_deadline_leaves_a_review_decided_earlier_alone(self, sb: Sandbox) -> None:
        account = await sb.account(policy="at_deadline")
        created = await sb.applied(account)
        await sb.reject(created["review"]["review_id"], "材料不全")

        assert await sb.move(account.namespace, T0 + timedelta(days=20)) == []
        assert [i["status"] for i in await sb.history(account)] == ["rejected"]

    async def test_instant_policy_approves_on_submission(self, sb: Sandbox) -> None:
        account = await sb.account(policy="instant")

        response = await sb.apply(account)

        assert response.status_code == 201, response.text
        assert response.json()["status"] == "approved"
        summary = await sb.summary(account.account_id)
        assert summary["certified"] is True
        assert when(summary["certified_at"]) == T0
        item = (await sb.history(account))[0]
        assert (item["status"], when(item["decided_at"])) == ("approved", T0)
        assert {m.kind for m in await sb.messages(account.account_id)} == {"certification_approved"}

    async def test_manual_policy_leaves_the_review_to_the_reviewer(self, sb: Sandbox) -> None:
        account = await sb.account(policy="manual")
        created = await sb.applied(account)

        events = await sb.move(account.namespace, when(created["review"]["deadline"]) + timedelta(days=60))

        assert events == []
        assert [i["status"] for i in await sb.history(account)] == ["pending"]
        assert (await sb.summary(account.account_id))["certified"] is False


# --- R-CER-07: one year, renewal, notices, lapse ---------------------------------------------------


@pytest.mark.rule("R-CER-07")
class TestValidity:
    async def test_notices_at_90_and_30_days_then_the_lapse_each_at_its_own_moment(self, sb: Sandbox) -> None:
        account = await sb.account()
        expires = when((await sb.certified(account))["expires_at"])
        assert expires == datetime(2027, 3, 2, 10, 0, tzinfo=SHANGHAI)

        events = await sb.move(account.namespace, expires + timedelta(days=1))

        assert [(e["kind"], e["data"].get("days_left")) for e in events] == [
            ("certification_expiring", 90),
            ("certification_expiring", 30),
            ("certification_expired", None),
        ]
        assert [when(e["at"]) for e in events] == [
            expires - timedelta(days=90),
            expires - timedelta(days=30),
            expires,
        ]
        assert all(e["account_id"] == account.account_id for e in events)
        assert all(when(e["data"]["expires_at"]) == expires for e in events)
        notices = [m for m in await sb.messages(account.account_id) if m.kind != "certification_approved"]
        assert [(m.kind, m.channel, m.data.get("days_left"), m.created_at) for m in notices] == [
            ("certification_expiring", "email", 90, expires - timedelta(days=90)),
            ("certification_expiring", "notification", 90, expires - timedelta(days=90)),
            ("certification_expiring", "email", 30, expires - timedelta(days=30)),
            ("certification_expiring", "notification", 30, expires - timedelta(days=30)),
            ("certification_expired", "email", None, expires),
            ("certification_expired", "notification", None, expires),
        ]

    @pytest.mark.rule("R-CLK-03")
    async def test_the_periodic_sweep_brings_each_namespace_up_to_its_own_clock(self, sb: Sandbox) -> None:
        early, late = await sb.account(), await sb.account()
        early_expiry = when((await sb.certified(early))["expires_at"])
        late_expiry = when((await sb.certified(late))["expires_at"])
        await sb.set_clock(early.namespace, early_expiry + timedelta(days=1))  # past its expiry
        await sb.set_clock(late.namespace, late_expiry - timedelta(days=60))  # only past the 90-day mark

        response = await sb.client.post("/internal/clock-hook", json={})  # the sweep: namespace None
        assert response.status_code == 200, response.text
        events = response.json()["events"]

        mine = {a.account_id: [(e["kind"], when(e["at"])) for e in events if e["account_id"] == a.account_id]
                for a in (early, late)}  # fmt: skip
        assert mine[early.account_id] == [
            ("certification_expiring", early_expiry - timedelta(days=90)),
            ("certification_expiring", early_expiry - timedelta(days=30)),
            ("certification_expired", early_expiry),
        ]
        assert mine[late.account_id] == [("certification_expiring", late_expiry - timedelta(days=90))]
        assert (await sb.summary(late.account_id))["certified"] is True

    async def test_delivering_the_same_interval_twice_adds_nothing(self, sb: Sandbox) -> None:
        account = await sb.account()
        expires = when((await sb.certified(account))["expires_at"])
        end = expires + timedelta(days=1)
        assert len(await sb.move(account.namespace, end)) == 3
        sent = len(await sb.messages(account.account_id))

        assert await sb.hook(account.namespace, T0, end) == []
        assert await sb.hook(account.namespace, expires - timedelta(days=100), end) == []
        assert len(await sb.messages(account.account_id)) == sent

    async def test_each_notice_waits_for_its_moment(self, sb: Sandbox) -> None:
        account = await sb.account()
        expires = when((await sb.certified(account))["expires_at"])
        ninety, thirty = expires - timedelta(days=90), expires - timedelta(days=30)

        assert await sb.move(account.namespace, ninety - timedelta(seconds=1)) == []
        assert [e["data"]["days_left"] for e in await sb.move(account.namespace, ninety)] == [90]
        assert await sb.move(account.namespace, thirty - timedelta(seconds=1)) == []
        assert [e["data"]["days_left"] for e in await sb.move(account.namespace, thirty)] == [30]
        assert await sb.move(account.namespace, expires - timedelta(seconds=1)) == []
        assert (await sb.summary(account.account_id))["certified"] is True
        assert [e["kind"] for e in await sb.move(account.namespace, expires)] == ["certification_expired"]
        assert (await sb.summary(account.account_id))["certified"] is False

    async def test_after_the_lapse_the_account_is_uncertified_and_the_name_is_free(self, sb: Sandbox) -> None:
        holder = await sb.account()
        other = await sb.account(namespace=holder.namespace)
        expires = when((await sb.certified(holder))["expires_at"])
        await sb.move(holder.namespace, expires + timedelta(days=1))

        summary = await sb.summary(holder.account_id)
        assert (summary["certified"], summary["certified_name"], summary["expires_at"]) == (False, None, None)
        assert (await sb.get(holder, "/current")).status_code == 404
        taken = await sb.client.get(
            "/internal/certifications/by-name/东城政务发布", params={"namespace": holder.namespace}
        )
        assert taken.status_code == 404
        created = await sb.applied(other)
        assert (await sb.approve(created["review"]["review_id"])).status_code == 200
        assert (await sb.summary(other.account_id))["certified_name"] == "东城政务发布"
        # The lapsed account applies anew: an initial application, the name now someone else's.
        assert error_of(await sb.apply(holder))["code"] == "certified_name_taken"

    async def test_past_its_expiry_a_certification_counts_as_lapsed_before_the_hook_runs(
        self, sb: Sandbox
    ) -> None:
        holder = await sb.account()
        other = await sb.account(namespace=holder.namespace)
        expires = when((await sb.certified(holder))["expires_at"])
        await sb.set_clock(holder.namespace, expires)

        assert (await sb.summary(holder.account_id))["certified"] is False
        assert (await sb.get(holder, "/current")).status_code == 404
        created = await sb.applied(other)
        approved = await sb.approve(created["review"]["review_id"])
        assert approved.status_code == 200, approved.text
        assert (await sb.summary(other.account_id))["certified"] is True
        # The holder's lapse was recorded (with its notice) when the name was granted again.
        assert "certification_expired" in {m.kind for m in await sb.messages(holder.account_id)}

    async def test_the_lapsed_account_may_apply_again_as_an_initial_application(self, sb: Sandbox) -> None:
        account = await sb.account()
        expires = when((await sb.certified(account))["expires_at"])
        await sb.move(account.namespace, expires + timedelta(days=10))

        body = await sb.applied(account)

        assert body["kind"] == "initial"

    async def test_approved_renewal_extends_the_expiry_by_a_year_from_the_old_expiry(
        self, sb: Sandbox
    ) -> None:
        account = await sb.account()
        expires = when((await sb.certified(account))["expires_at"])
        await sb.move(account.namespace, expires - timedelta(days=60))
        renewal = await sb.applied(account)
        assert renewal["kind"] == "renewal"
        await sb.set_clock(account.namespace, expires - timedelta(days=55))

        assert (await sb.approve(renewal["review"]["review_id"])).status_code == 200

        summary = await sb.summary(account.account_id)
        assert when(summary["expires_at"]) == datetime(2028, 3, 2, 10, 0, tzinfo=SHANGHAI)
        # No lapse at the old expiry; the next year's notices come on the new one.
        events = await sb.move(account.namespace, expires + timedelta(days=1))
        assert "certification_expired" not in [e["kind"] for e in events]
        assert (await sb.summary(account.account_id))["certified"] is True
        later = await sb.move(account.namespace, datetime(2028, 3, 3, tzinfo=SHANGHAI))
        assert [(e["kind"], when(e["at"])) for e in later] == [
            ("certification_expiring", datetime(2027, 12, 3, 10, 0, tzinfo=SHANGHAI)),
            ("certification_expiring", datetime(2028, 2, 1, 10, 0, tzinfo=SHANGHAI)),
            ("certification_expired", datetime(2028, 3, 2, 10, 0, tzinfo=SHANGHAI)),
        ]

    async def test_renewal_approved_at_its_deadline_extends_from_the_old_expiry(self, sb: Sandbox) -> None:
        account = await sb.account(policy="at_deadline")
        created = await sb.applied(account)
        await sb.move(account.namespace, when(created["review"]["deadline"]))
        expires = when((await sb.summary(account.account_id))["expires_at"])
        await sb.move(account.namespace, expires - timedelta(days=60))
        renewal = await sb.applied(account)
        deadline = when(renewal["review"]["deadline"])

        events = await sb.move(account.namespace, deadline)

        assert [(e["kind"], when(e["at"]), e["data"]["kind"]) for e in events] == [
            ("certification_approved", deadline, "renewal")
        ]
        summary = await sb.summary(account.account_id)
        assert when(summary["certified_at"]) == deadline
        assert when(summary["expires_at"]) == datetime(2028, 3, 10, 0, 0, tzinfo=SHANGHAI)

    async def test_renewal_at_deadline_after_the_lapse_still_extends_from_the_old_expiry(
        self, sb: Sandbox
    ) -> None:
        account = await sb.account(policy="at_deadline")
        created = await sb.applied(account)
        deadline = when(created["review"]["deadline"])
        await sb.move(account.namespace, deadline)
        expires = when((await sb.summary(account.account_id))["expires_at"])
        await sb.move(account.namespace, expires - timedelta(days=1))
        renewal = await sb.applied(account)
        assert renewal["kind"] == "renewal"
        renewal_deadline = when(renewal["review"]["deadline"])
        assert renewal_deadline > expires

        events = await sb.move(account.namespace, renewal_deadline + timedelta(days=1))

        assert [(e["kind"], when(e["at"])) for e in events] == [
            ("certification_expired", expires),
            ("certification_approved", renewal_deadline),
        ]
        summary = await sb.summary(account.account_id)
        assert summary["certified"] is True
        assert expires == datetime(2027, 3, 10, 0, 0, tzinfo=SHANGHAI)
        assert when(summary["expires_at"]) == datetime(2028, 3, 10, 0, 0, tzinfo=SHANGHAI)
        assert when(events[1]["data"]["expires_at"]) == when(summary["expires_at"])
        assert events[1]["data"]["kind"] == "renewal"

    async def test_fixture_certification_is_real_and_expires_a_year_on(self, sb: Sandbox) -> None:
        account = await sb.account()

        recorded = await sb.client.put(
            f"/internal/certifications/{account.account_id}",
            json={
                "certified_name": "东城政务发布",
                "institution_name": "北京市东城区人民政府办公室",
                "namespace": account.namespace,
                "email": account.login_email,
            },
        )

        assert recorded.status_code == 200, recorded.text
        body = recorded.json()
        assert body["certified"] is True
        assert body["certification_text"] == "东城政务发布（北京市东城区人民政府办公室）"
        assert when(body["certified_at"]) == T0
        assert when(body["expires_at"]) == datetime(2027, 3, 2, 10, 0, tzinfo=SHANGHAI)
        assert [i["status"] for i in await sb.history(account)] == ["approved"]
        events = await sb.move(account.namespace, datetime(2027, 3, 3, tzinfo=SHANGHAI))
        assert [e["kind"] for e in events][-1] == "certification_expired"
        assert (await sb.summary(account.account_id))["certified"] is False


# --- R-CER-08: the certification ends with the account -------------------------------------------


@pytest.mark.rule("R-CER-08")
class TestEnd:
    async def test_end_frees_the_name_at_once_and_is_idempotent(self, sb: Sandbox) -> None:
        holder = await sb.account()
        other = await sb.account(namespace=holder.namespace)
        await sb.certified(holder)

        first = await sb.end(holder)
        second = await sb.end(holder)

        assert (first["ended"], first["cancelled"]) == (True, [])
        assert (second["ended"], second["cancelled"]) == (False, [])
        assert (await sb.summary(holder.account_id))["certified"] is False
        assert (await sb.apply(other)).status_code == 201

    async def test_end_cancels_the_pending_application(self, sb: Sandbox) -> None:
        account = await sb.account()
        created = await sb.applied(account)

        ended = await sb.end(account)

        assert (ended["ended"], ended["cancelled"]) == (False, [created["certification_id"]])
        [item] = await sb.history(account)
        assert item["status"] == "cancelled"
        assert when(item["decided_at"]) == T0
        assert (await sb.summary(account.account_id))["pending"] is False
        again = await sb.end(account)
        assert (again["ended"], again["cancelled"]) == (False, [])
        assert (await sb.approve(created["review"]["review_id"])).status_code == 409

    async def test_end_of_a_certified_account_with_a_pending_renewal_ends_both(self, sb: Sandbox) -> None:
        account = await sb.account(policy="at_deadline")
        created = await sb.applied(account)
        await sb.move(account.namespace, when(created["review"]["deadline"]))
        expires = when((await sb.summary(account.account_id))["expires_at"])
        await sb.move(account.namespace, expires - timedelta(days=10))
        renewal = await sb.applied(account)

        ended = await sb.end(account)

        assert (ended["ended"], ended["cancelled"]) == (True, [renewal["certification_id"]])
        # Nothing is left for the clock: no approval of the cancelled renewal, no notice, no lapse.
        assert await sb.move(account.namespace, expires + timedelta(days=30)) == []
        assert (await sb.summary(account.account_id))["certified"] is False


# --- one account never sees another's ----------------------------------------------------------------


class TestIsolation:
    async def test_another_accounts_application_and_files_are_404_like_missing_ones(
        self, sb: Sandbox
    ) -> None:
        owner = await sb.account()
        stranger = await sb.account(namespace=owner.namespace)
        created = await sb.applied(owner)
        cid = created["certification_id"]

        detail = await sb.get(stranger, f"/{cid}")
        scan = await sb.get(stranger, f"/{cid}/files/application_letter")
        missing = await sb.get(stranger, "/cert_00000000000000000000")
        missing_scan = await sb.get(stranger, "/cert_00000000000000000000/files/application_letter")

        assert detail.status_code == scan.status_code == 404
        assert detail.json() == missing.json()
        assert scan.json() == missing_scan.json()
        assert cid not in detail.text + scan.text
        assert "东城" not in detail.text + scan.text
        assert await sb.history(stranger) == []
        assert (await sb.get(stranger, "/current")).status_code == 404
        assert (await sb.get(owner, f"/{cid}")).status_code == 200


# --- found while writing these tests, fixed ------------------------------------------------------


class TestFoundWhileWritingTheseTests:
    @pytest.mark.rule("R-CER-04")
    async def test_application_blocked_by_the_name_is_not_approved_back_dated_when_the_name_frees(
        self, sb: Sandbox
    ) -> None:
        first = await sb.account(policy="at_deadline")
        second = await sb.account(namespace=first.namespace, policy="at_deadline")
        await sb.applied(first)
        await sb.set_clock(first.namespace, T0 + timedelta(days=1))
        await sb.applied(second)
        await sb.move(first.namespace, T0 + timedelta(days=30))
        expires = when((await sb.summary(first.account_id))["expires_at"])
        start = expires - timedelta(days=1)
        await sb.move(first.namespace, start)

        events = await sb.move(first.namespace, expires + timedelta(days=1))

        # Whatever becomes of the second application (left for the reviewer, or approved once the name
        # is free), nothing happens before the interval delivered, and the name never has two holders.
        assert all(when(e["at"]) >= start for e in events), events
        [item] = await sb.history(second)
        assert (
            item["status"] == "pending"
        )  # R-CER-04: the name was taken at its deadline; the reviewer decides

    @pytest.mark.rule("R-CER-02")
    async def test_bomb_between_pillows_warning_and_error_limits_is_415_not_500(self, sb: Sandbox) -> None:
        account = await sb.account()
        bomb = png_declaring(10_000, 10_000)  # 100 million pixels: Pillow warns (> 89.5M), does not refuse

        response = await sb.apply(account, scans=files(information_form=("scan.png", bomb, "image/png")))

        assert response.status_code == 415, response.text
