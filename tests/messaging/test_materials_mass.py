"""resolve_for_mass: which media ids a mass send of each msgtype may use (R-MSG-10)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta

import pytest
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from contracts.registration.schemas import AccountView
from servicekit import clock
from servicekit.errors import SandboxError
from servicekit.uploads import UploadedFile
from services.messaging.materials import service
from services.messaging.materials.models import Material
from services.messaging.materials.rules import KINDS
from tests.messaging.factories import account_view, image_bytes, mp4_bytes, wav_bytes


@pytest.fixture
async def session(db_conn: AsyncConnection) -> AsyncIterator[AsyncSession]:
    async with AsyncSession(
        bind=db_conn, join_transaction_mode="create_savepoint", expire_on_commit=False
    ) as session:
        yield session


async def stored(
    session: AsyncSession, account: AccountView, kind: str, data: bytes, *, permanent: bool
) -> str:
    upload = UploadedFile("media", f"sample.{kind}", "application/octet-stream", data)
    material = await service.store_file(
        session, account=account, kind=KINDS[kind], upload=upload, permanent=permanent
    )
    return material.media_id


async def resolve(session: AsyncSession, account: AccountView, media_id: str, msgtype: str) -> Material:
    return await service.resolve_for_mass(
        session,
        account_id=account.account_id,
        namespace=account.namespace,
        media_id=media_id,
        msgtype=msgtype,
    )


@pytest.mark.rule("R-MSG-10")
class TestResolveForMass:
    async def test_temporary_image_is_usable_for_an_image_send(self, session: AsyncSession) -> None:
        account = account_view()
        media_id = await stored(session, account, "image", image_bytes("PNG"), permanent=False)
        assert (await resolve(session, account, media_id, "image")).type == "image"

    async def test_permanent_voice_is_reusable_in_many_sends(self, session: AsyncSession) -> None:
        account = account_view()
        media_id = await stored(session, account, "voice", wav_bytes(3), permanent=True)
        first = await resolve(session, account, media_id, "voice")
        second = await resolve(session, account, media_id, "voice")
        assert first.media_id == second.media_id == media_id

    async def test_news_from_uploadnews_is_usable_for_mpnews(self, session: AsyncSession) -> None:
        account = account_view()
        thumb = await stored(session, account, "image", image_bytes("JPEG"), permanent=False)
        news = await service.upload_news(
            session, account=account, articles=[{"title": "通知", "thumb_media_id": thumb, "content": "正文"}]
        )
        material = await resolve(session, account, news.media_id, "mpnews")
        assert material.articles is not None
        assert material.articles[0]["title"] == "通知"

    @pytest.mark.parametrize("msgtype", ["mpvideo", "video"])
    async def test_mpvideo_from_uploadvideo_is_usable(self, session: AsyncSession, msgtype: str) -> None:
        account = account_view()
        video = await stored(session, account, "video", mp4_bytes(), permanent=False)
        mpvideo = await service.upload_mass_video(
            session, account=account, media_id=video, title="发布会", description="全程"
        )
        material = await resolve(session, account, mpvideo.media_id, msgtype)
        assert (material.type, material.source_media_id) == ("mpvideo", video)

    async def test_permanent_video_is_accepted_for_mpvideo(self, session: AsyncSession) -> None:
        account = account_view()
        video = await stored(session, account, "video", mp4_bytes(), permanent=True)
        assert (await resolve(session, account, video, "mpvideo")).type == "video"

    async def test_temporary_raw_video_is_refused_for_mpvideo(self, session: AsyncSession) -> None:
        account = account_view()
        video = await stored(session, account, "video", mp4_bytes(), permanent=False)
        with pytest.raises(SandboxError) as caught:
            await resolve(session, account, video, "mpvideo")
        assert caught.value.instance_errcode == 40007

    async def test_image_used_as_voice_is_40007(self, session: AsyncSession) -> None:
        account = account_view()
        media_id = await stored(session, account, "image", image_bytes("PNG"), permanent=True)
        with pytest.raises(SandboxError) as caught:
            await resolve(session, account, media_id, "voice")
        assert caught.value.instance_errcode == 40007

    async def test_another_accounts_media_is_40007(self, session: AsyncSession) -> None:
        owner, other = account_view(), account_view()
        media_id = await stored(session, owner, "image", image_bytes("PNG"), permanent=True)
        with pytest.raises(SandboxError) as caught:
            await resolve(session, other, media_id, "image")
        assert caught.value.instance_errcode == 40007

    async def test_unknown_media_id_is_40007(self, session: AsyncSession) -> None:
        with pytest.raises(SandboxError) as caught:
            await resolve(session, account_view(), "no-such-media", "image")
        assert caught.value.instance_errcode == 40007

    async def test_temporary_image_expires_after_3_days_of_sandbox_time(self, session: AsyncSession) -> None:
        account = account_view()
        media_id = await stored(session, account, "image", image_bytes("PNG"), permanent=False)
        start = await clock.now(session, account.namespace)
        await clock.set_time(session, account.namespace, start + timedelta(days=3, seconds=-60))
        assert (await resolve(session, account, media_id, "image")).media_id == media_id
        await clock.set_time(session, account.namespace, start + timedelta(days=3, seconds=1))
        with pytest.raises(SandboxError) as caught:
            await resolve(session, account, media_id, "image")
        assert caught.value.instance_errcode == 40007

    async def test_text_msgtype_carries_no_media_and_is_40008(self, session: AsyncSession) -> None:
        with pytest.raises(SandboxError) as caught:
            await resolve(session, account_view(), "whatever", "text")
        assert caught.value.instance_errcode == 40008
