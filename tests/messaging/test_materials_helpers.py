"""Mass-send upload helpers: `/cgi-bin/media/uploadnews`, `uploadvideo`, `uploadimg` (R-MSG-10/11)."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection

from services.messaging.materials.models import Material
from tests.messaging.factories import (
    CgiApi,
    account_view,
    image_bytes,
    mp4_bytes,
)


@pytest.fixture
async def api(client: httpx.AsyncClient) -> CgiApi:
    return CgiApi(client, account_view())


def article(thumb: str, **overrides: Any) -> dict[str, Any]:
    return {"title": "停水通知", "thumb_media_id": thumb, "content": "<p>明日停水</p>", **overrides}


@pytest.mark.rule("R-MSG-10")
class TestUploadNews:
    async def test_articles_become_a_news_media(self, api: CgiApi, db_conn: AsyncConnection) -> None:
        thumb = await api.temporary("thumb", image_bytes("JPEG"))
        body = await api.post_json("media/uploadnews", {"articles": [article(thumb), article(thumb)]})
        assert body["type"] == "news"
        stored = await db_conn.execute(
            select(Material.type, Material.permanent, Material.articles).where(
                Material.media_id == body["media_id"]
            )
        )
        kind, permanent, articles = stored.one()
        assert (kind, permanent, len(articles)) == ("news", False, 2)

    @pytest.mark.rule("R-MSG-11")
    async def test_nine_articles_are_45008(self, api: CgiApi) -> None:
        thumb = await api.temporary("image", image_bytes("PNG"))
        body = await api.post_json("media/uploadnews", {"articles": [article(thumb)] * 9})
        assert body["errcode"] == 45008

    @pytest.mark.rule("R-MSG-11")
    async def test_no_articles_is_45008(self, api: CgiApi) -> None:
        assert (await api.post_json("media/uploadnews", {"articles": []}))["errcode"] == 45008

    @pytest.mark.rule("R-MSG-11")
    async def test_title_over_64_bytes_is_45003(self, api: CgiApi) -> None:
        thumb = await api.temporary("image", image_bytes("PNG"))
        body = await api.post_json("media/uploadnews", {"articles": [article(thumb, title="通" * 22)]})
        assert body["errcode"] == 45003

    async def test_missing_content_is_44004(self, api: CgiApi) -> None:
        thumb = await api.temporary("image", image_bytes("PNG"))
        body = await api.post_json("media/uploadnews", {"articles": [article(thumb, content="")]})
        assert body["errcode"] == 44004

    async def test_another_accounts_thumb_is_40007(self, api: CgiApi, client: httpx.AsyncClient) -> None:
        foreign = await CgiApi(client, account_view()).temporary("image", image_bytes("PNG"))
        body = await api.post_json("media/uploadnews", {"articles": [article(foreign)]})
        assert body["errcode"] == 40007

    async def test_video_as_thumb_is_40007(self, api: CgiApi) -> None:
        video = await api.temporary("video", mp4_bytes())
        body = await api.post_json("media/uploadnews", {"articles": [article(video)]})
        assert body["errcode"] == 40007

    async def test_empty_body_is_44002(self, api: CgiApi) -> None:
        response = await api.client.post("/cgi-bin/media/uploadnews", content=b"", headers=api.headers)
        assert response.json()["errcode"] == 44002

    async def test_uncertified_account_is_48001(self, client: httpx.AsyncClient) -> None:
        api = CgiApi(client, account_view(certified=False))
        assert (await api.post_json("media/uploadnews", {"articles": []}))["errcode"] == 48001


@pytest.mark.rule("R-MSG-10")
class TestUploadVideo:
    async def test_own_video_becomes_an_mpvideo(self, api: CgiApi, db_conn: AsyncConnection) -> None:
        video = await api.temporary("video", mp4_bytes())
        body = await api.post_json(
            "media/uploadvideo", {"media_id": video, "title": "发布会", "description": "回放"}
        )
        assert body["type"] == "video"
        stored = await db_conn.execute(
            select(Material.type, Material.source_media_id, Material.title).where(
                Material.media_id == body["media_id"]
            )
        )
        assert stored.one() == ("mpvideo", video, "发布会")

    async def test_another_accounts_video_is_40007(self, api: CgiApi, client: httpx.AsyncClient) -> None:
        foreign = await CgiApi(client, account_view()).temporary("video", mp4_bytes())
        body = await api.post_json("media/uploadvideo", {"media_id": foreign, "title": "t"})
        assert body["errcode"] == 40007

    async def test_image_id_is_40007(self, api: CgiApi) -> None:
        image = await api.temporary("image", image_bytes("PNG"))
        assert (await api.post_json("media/uploadvideo", {"media_id": image}))["errcode"] == 40007

    async def test_missing_media_id_is_41006(self, api: CgiApi) -> None:
        assert (await api.post_json("media/uploadvideo", {"title": "t"}))["errcode"] == 41006


@pytest.mark.rule("R-MSG-10")
class TestUploadImg:
    async def test_png_gets_a_url(self, api: CgiApi) -> None:
        body = (await api.upload("media/uploadimg", None, image_bytes("PNG"))).json()
        assert body["url"].startswith("http")

    async def test_gif_is_40004(self, api: CgiApi) -> None:
        body = (await api.upload("media/uploadimg", None, image_bytes("GIF"))).json()
        assert body["errcode"] == 40004

    async def test_image_over_1mb_is_45001(self, api: CgiApi) -> None:
        big = image_bytes("PNG", (700, 700), noise=True)
        assert len(big) > 1024 * 1024
        assert (await api.upload("media/uploadimg", None, big)).json()["errcode"] == 45001
