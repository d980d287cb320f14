"""R-MSG-27: the send is a job — console acceptance, counts, and recovery after a restart."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import httpx
import pytest
from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncSession, async_sessionmaker

from contracts.registration.schemas import AccountView
from services.messaging.mass import jobs
from services.messaging.mass.models import MassDelivery, MassJob
from tests.messaging.factories import account_headers, account_view, image_bytes, insert_followers


@pytest.fixture
def maker(db_conn: AsyncConnection) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(bind=db_conn, expire_on_commit=False, join_transaction_mode="create_savepoint")


async def deliveries(db_conn: AsyncConnection, msg_id: int) -> int:
    count = await db_conn.scalar(
        select(func.count()).select_from(MassDelivery).where(MassDelivery.msg_id == msg_id)
    )
    return int(count or 0)


async def sending_job(db_conn: AsyncConnection, account: AccountView, **audience: object) -> int:
    """A job as a process that died right after accepting it leaves it: SENDING, no deliveries."""
    result = await db_conn.execute(
        MassJob.__table__.insert()
        .values(
            account_id=account.account_id,
            namespace=account.namespace,
            appid=account.appid,
            account_type=account.type,
            folder="chat",
            source="api",
            audience_kind="all",
            audience=audience,
            msgtype="text",
            content="恢复",
            created_at=datetime.now(UTC),
        )
        .returning(MassJob.id)
    )
    return int(result.scalar_one())


class TestConsoleMassSend:
    @pytest.mark.rule("R-MSG-20", "R-MSG-27")
    async def test_accepted_with_202_and_counts_after_the_fan_out(
        self, client: httpx.AsyncClient, db_conn: AsyncConnection
    ) -> None:
        account = account_view()
        await insert_followers(db_conn, account, 2, gender=1)
        await insert_followers(db_conn, account, 3, gender=2)
        headers = account_headers(account)
        body = {"msgtype": "text", "text": "女性健康讲座", "audience": {"type": "all", "gender": 2}}

        response = await client.post("/api/v1/mass-sends", json=body, headers=headers)

        assert response.status_code == 202
        accepted = response.json()
        assert accepted["status"] == "SENDING"
        job = (await client.get(f"/api/v1/mass-sends/{accepted['msg_id']}", headers=headers)).json()
        assert (job["status"], job["total_count"], job["filter_count"], job["sent_count"]) == (
            "SEND_SUCCESS",
            5,
            3,
            3,
        )

    @pytest.mark.rule("R-MSG-22")
    async def test_wechat_style_text_payload_is_accepted(self, client: httpx.AsyncClient) -> None:
        headers = account_headers(account_view())
        body = {"msgtype": "text", "text": {"content": "공지"}}
        response = await client.post("/api/v1/mass-sends", json=body, headers=headers)
        # The nested content is read (and judged): Korean is refused, naming the characters.
        assert response.status_code == 400
        assert response.json()["error"]["characters"] == ["공", "지"]

    @pytest.mark.rule("R-MSG-25")
    async def test_account_not_approved_is_403(self, client: httpx.AsyncClient) -> None:
        headers = account_headers(account_view(status="in_review"))
        response = await client.post(
            "/api/v1/mass-sends", json={"msgtype": "text", "text": "hi"}, headers=headers
        )
        assert response.status_code == 403
        assert response.json()["error"]["code"] == "account_not_approved"

    @pytest.mark.rule("R-MSG-25")
    async def test_uncertified_account_may_send_from_the_console(self, client: httpx.AsyncClient) -> None:
        headers = account_headers(account_view(certified=False))
        response = await client.post(
            "/api/v1/mass-sends", json={"msgtype": "text", "text": "hi"}, headers=headers
        )
        assert response.status_code == 202

    @pytest.mark.rule("R-MSG-22")
    async def test_korean_text_is_400_naming_the_characters(self, client: httpx.AsyncClient) -> None:
        headers = account_headers(account_view())
        body = {"msgtype": "text", "text": "공지 notice"}
        response = await client.post("/api/v1/mass-sends", json=body, headers=headers)
        assert response.status_code == 400
        error = response.json()["error"]
        assert (error["code"], error["characters"]) == ("unsupported_language", ["공", "지"])
        assert "공" in error["message"]

    @pytest.mark.rule("R-MSG-21")
    async def test_too_long_text_is_400_content_too_long(self, client: httpx.AsyncClient) -> None:
        headers = account_headers(account_view())
        response = await client.post(
            "/api/v1/mass-sends", json={"msgtype": "text", "text": "a" * 1201}, headers=headers
        )
        assert response.status_code == 400
        assert response.json()["error"]["code"] == "content_too_long"

    async def test_another_accounts_material_is_404_as_if_it_did_not_exist(
        self, client: httpx.AsyncClient
    ) -> None:
        other = account_headers(account_view())
        uploaded = await client.post(
            "/api/v1/materials",
            data={"type": "image"},
            files={"file": ("a.png", image_bytes("PNG"), "image/png")},
            headers=other,
        )
        headers = account_headers(account_view())

        responses = [
            await client.post(
                "/api/v1/mass-sends", json={"msgtype": "image", "media_id": media_id}, headers=headers
            )
            for media_id in (uploaded.json()["media_id"], "no-such-media")
        ]

        for response in responses:
            assert response.status_code == 404
            error = response.json()["error"]
            assert (error["code"], error["field"]) == ("material_not_found", "media_id")
            assert error["message"] == "素材不存在或已过期"

    async def test_another_accounts_job_is_404(self, client: httpx.AsyncClient) -> None:
        owner = account_headers(account_view())
        msg_id = (
            await client.post("/api/v1/mass-sends", json={"msgtype": "text", "text": "hi"}, headers=owner)
        ).json()["msg_id"]
        response = await client.get(f"/api/v1/mass-sends/{msg_id}", headers=account_headers(account_view()))
        assert response.status_code == 404

    async def test_no_session_is_401(self, client: httpx.AsyncClient) -> None:
        assert (await client.get("/api/v1/mass-sends/quota")).status_code == 401


@pytest.mark.rule("R-MSG-27")
class TestRecovery:
    async def test_restart_finishes_a_sending_job_with_its_deliveries(
        self, db_conn: AsyncConnection, maker: async_sessionmaker[AsyncSession]
    ) -> None:
        account = account_view()
        await insert_followers(db_conn, account, 4)
        msg_id = await sending_job(db_conn, account)

        finished = await jobs.recover_sending_jobs(maker)

        assert msg_id in finished
        assert await deliveries(db_conn, msg_id) == 4
        row = (
            await db_conn.execute(select(MassJob.status, MassJob.sent_count).where(MassJob.id == msg_id))
        ).one()
        assert tuple(row) == ("SEND_SUCCESS", 4)

    async def test_a_second_run_of_a_finished_job_delivers_nothing(
        self, db_conn: AsyncConnection, maker: async_sessionmaker[AsyncSession]
    ) -> None:
        account = account_view()
        await insert_followers(db_conn, account, 3)
        msg_id = await sending_job(db_conn, account)
        assert await jobs.fan_out(maker, msg_id) is True

        assert await jobs.fan_out(maker, msg_id) is False
        assert await jobs.recover_sending_jobs(maker) == []
        assert await deliveries(db_conn, msg_id) == 3

    async def test_runner_of_a_new_process_resumes_at_start(
        self, db_conn: AsyncConnection, maker: async_sessionmaker[AsyncSession]
    ) -> None:
        account = account_view()
        await insert_followers(db_conn, account, 2)
        msg_id = await sending_job(db_conn, account)
        runner = jobs.MassJobRunner(maker)

        runner.recover()
        await runner.drain()

        assert await deliveries(db_conn, msg_id) == 2

    async def test_a_job_still_locked_by_a_killed_process_is_finished_once_its_lock_goes(
        self, engine: AsyncEngine
    ) -> None:
        # A process killed mid fan-out leaves its database backend running the INSERT, holding the
        # job's lock, until it notices the client is gone and rolls back — after the restart began.
        account = account_view()
        async with engine.begin() as conn:
            await insert_followers(conn, account, 3)
            msg_id = await sending_job(conn, account)
        maker = async_sessionmaker(bind=engine, expire_on_commit=False)
        async with engine.connect() as dead_backend:
            await dead_backend.begin()
            await dead_backend.execute(select(MassJob.id).where(MassJob.id == msg_id).with_for_update())
            recovery = asyncio.create_task(jobs.recover_sending_jobs(maker))
            await until_a_backend_waits_for_a_lock(engine)
            assert not recovery.done()
            await dead_backend.rollback()

        finished = await asyncio.wait_for(recovery, timeout=30)

        assert msg_id in finished
        async with engine.connect() as conn:
            assert await deliveries(conn, msg_id) == 3
            status = await conn.scalar(select(MassJob.status).where(MassJob.id == msg_id))
        assert status == "SEND_SUCCESS"


async def until_a_backend_waits_for_a_lock(engine: AsyncEngine, seconds: float = 30.0) -> None:
    """The event itself: PostgreSQL shows a backend of this database queued behind a lock."""
    waiting = text(
        "SELECT count(*) FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid "
        "WHERE NOT l.granted AND a.datname = current_database()"
    )
    deadline = asyncio.get_running_loop().time() + seconds
    async with engine.connect() as conn:
        while not await conn.scalar(waiting):
            assert asyncio.get_running_loop().time() < deadline, "nothing ever waited for the lock"
            await asyncio.sleep(0.01)
