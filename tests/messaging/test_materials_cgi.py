"""`/cgi-bin/media/*` and `/cgi-bin/material/*` (R-MSG-10/11) through the real app and PostgreSQL."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from contracts.registration.schemas import AccountView
from servicekit import clock
from services.messaging.materials.models import Material
from tests.messaging.factories import (
    CgiApi,
    account_view,
    image_bytes,
    mp4_bytes,
    pdf_bytes,
    wav_bytes,
)

BOUNDARY = "materialsBoundary42"


@pytest.fixture
def account() -> AccountView:
    return account_view()


def video_description(title: str = "发布会", introduction: str = "全程回放") -> str:
    return json.dumps({"title": title, "introduction": introduction}, ensure_ascii=False)


async def material_rows(db_conn: AsyncConnection, account: AccountView) -> int:
    return int(
        await db_conn.scalar(
            select(func.count()).select_from(Material).where(Material.account_id == account.account_id)
        )
        or 0
    )


class TestTemporaryMedia:
    @pytest.mark.rule("R-MSG-10")
    async def test_uploaded_image_is_downloaded_with_its_type(
        self, client: httpx.AsyncClient, account: AccountView
    ) -> None:
        api, png = CgiApi(client, account), image_bytes("PNG")
        body = (await api.upload("media/upload", "image", png)).json()
        assert body["type"] == "image"
        assert isinstance(body["created_at"], int)
        got = await client.get(
            "/cgi-bin/media/get", params={"media_id": body["media_id"]}, headers=api.headers
        )
        assert (got.content, got.headers["content-type"]) == (png, "image/png")
        assert got.headers["content-disposition"].endswith(f"{body['media_id']}.png")

    @pytest.mark.rule("R-MSG-10")
    async def test_thumb_answer_names_thumb_media_id(
        self, client: httpx.AsyncClient, account: AccountView
    ) -> None:
        body = (await CgiApi(client, account).upload("media/upload", "thumb", image_bytes("JPEG"))).json()
        assert body["type"] == "thumb"
        assert "media_id" not in body
        assert len(body["thumb_media_id"]) == 64

    @pytest.mark.rule("R-MSG-10")
    async def test_video_download_is_a_video_url(
        self, client: httpx.AsyncClient, account: AccountView
    ) -> None:
        api = CgiApi(client, account)
        media_id = await api.temporary("video", mp4_bytes())
        got = await client.get("/cgi-bin/media/get", params={"media_id": media_id}, headers=api.headers)
        assert got.json()["video_url"].startswith("http")

    @pytest.mark.rule("R-MSG-10")
    async def test_media_expires_after_3_days_of_sandbox_time(
        self, client: httpx.AsyncClient, account: AccountView, db_conn: AsyncConnection
    ) -> None:
        api = CgiApi(client, account)
        media_id = await api.temporary("image", image_bytes("PNG"))
        async with AsyncSession(bind=db_conn, join_transaction_mode="create_savepoint") as session:
            start = await clock.now(session, account.namespace)
            await clock.set_time(session, account.namespace, start + timedelta(days=3, minutes=1))
            await session.commit()
        got = await client.get("/cgi-bin/media/get", params={"media_id": media_id}, headers=api.headers)
        assert got.json()["errcode"] == 40007

    @pytest.mark.rule("R-MSG-10")
    async def test_another_accounts_media_id_is_40007(
        self, client: httpx.AsyncClient, account: AccountView
    ) -> None:
        media_id = await CgiApi(client, account).temporary("image", image_bytes("PNG"))
        intruder = CgiApi(client, account_view())
        got = await client.get("/cgi-bin/media/get", params={"media_id": media_id}, headers=intruder.headers)
        assert got.json() == {"errcode": 40007, "errmsg": "invalid media_id"}

    @pytest.mark.rule("R-MSG-11")
    async def test_unknown_type_is_40004(self, client: httpx.AsyncClient, account: AccountView) -> None:
        body = (await CgiApi(client, account).upload("media/upload", "file", image_bytes("PNG"))).json()
        assert body["errcode"] == 40004

    async def test_missing_media_part_is_41005(self, client: httpx.AsyncClient, account: AccountView) -> None:
        api = CgiApi(client, account)
        response = await client.post(
            "/cgi-bin/media/upload",
            params={"type": "image"},
            files={"file": ("a.png", image_bytes("PNG"), "image/png")},
            headers=api.headers,
        )
        assert response.json()["errcode"] == 41005

    @pytest.mark.rule("R-MSG-11")
    async def test_pdf_named_png_is_40004_and_not_stored(
        self, client: httpx.AsyncClient, account: AccountView, db_conn: AsyncConnection
    ) -> None:
        api = CgiApi(client, account)
        response = await client.post(
            "/cgi-bin/media/upload",
            params={"type": "image"},
            files={"media": ("photo.png", pdf_bytes(), "image/png")},
            headers=api.headers,
        )
        assert response.json()["errcode"] == 40004
        assert await material_rows(db_conn, account) == 0

    @pytest.mark.rule("R-MSG-11")
    async def test_voice_over_60_seconds_is_45007_and_not_stored(
        self, client: httpx.AsyncClient, account: AccountView, db_conn: AsyncConnection
    ) -> None:
        body = (await CgiApi(client, account).upload("media/upload", "voice", wav_bytes(61))).json()
        assert body["errcode"] == 45007
        assert await material_rows(db_conn, account) == 0

    @pytest.mark.rule("R-MSG-11")
    async def test_too_big_file_is_refused_before_the_body_is_read_whole(
        self, client: httpx.AsyncClient, account: AccountView
    ) -> None:
        chunk, chunks_total, sent = bytes(64 * 1024), 80, []

        async def body() -> AsyncIterator[bytes]:
            head = (
                f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="media"; filename="t.jpg"\r\n'
                "Content-Type: image/jpeg\r\n\r\n"
            )
            yield head.encode() + image_bytes("JPEG")
            for _ in range(chunks_total):
                sent.append(1)
                yield chunk
            yield f"\r\n--{BOUNDARY}--\r\n".encode()

        headers = {
            **CgiApi(client, account).headers,
            "Content-Type": f"multipart/form-data; boundary={BOUNDARY}",
        }
        response = await client.post("/cgi-bin/media/upload?type=thumb", content=body(), headers=headers)
        assert response.json()["errcode"] == 45001
        assert len(sent) < 5  # thumb limit 64 KB: refused within the second chunk, not after 5 MB

    async def test_account_without_advanced_interfaces_is_48001(self, client: httpx.AsyncClient) -> None:
        api = CgiApi(client, account_view(account_type="subscription", certified=True))
        body = (await api.upload("media/upload", "image", image_bytes("PNG"))).json()
        assert body["errcode"] == 48001


@pytest.mark.rule("R-MSG-10")
class TestPermanentMaterials:
    async def test_image_material_has_url_and_serves_its_bytes(
        self, client: httpx.AsyncClient, account: AccountView
    ) -> None:
        api, gif = CgiApi(client, account), image_bytes("GIF")
        body = (await api.upload("material/add_material", "image", gif)).json()
        assert body["url"].startswith("http")
        got = await client.post(
            "/cgi-bin/material/get_material",
            content=json.dumps({"media_id": body["media_id"]}).encode(),
            headers=api.headers,
        )
        assert (got.content, got.headers["content-type"]) == (gif, "image/gif")

    async def test_video_description_in_query_string_is_kept(
        self, client: httpx.AsyncClient, account: AccountView
    ) -> None:
        api = CgiApi(client, account)
        media_id = await api.permanent("video", mp4_bytes(), description=video_description())
        got = await api.post_json("material/get_material", {"media_id": media_id})
        assert (got["title"], got["description"]) == ("发布会", "全程回放")
        assert got["down_url"].startswith("http")

    async def test_video_description_as_form_field_is_kept(
        self, client: httpx.AsyncClient, account: AccountView
    ) -> None:
        api = CgiApi(client, account)
        fields = {"description": video_description(title="讲座")}
        body = (await api.upload("material/add_material", "video", mp4_bytes(), fields=fields)).json()
        got = await api.post_json("material/get_material", {"media_id": body["media_id"]})
        assert got["title"] == "讲座"

    async def test_video_without_description_is_refused(
        self, client: httpx.AsyncClient, account: AccountView
    ) -> None:
        body = (await CgiApi(client, account).upload("material/add_material", "video", mp4_bytes())).json()
        assert body["errcode"] == 40035

    async def test_deleted_material_is_gone(self, client: httpx.AsyncClient, account: AccountView) -> None:
        api = CgiApi(client, account)
        media_id = await api.permanent("voice", wav_bytes(2))
        assert await api.post_json("material/del_material", {"media_id": media_id}) == {
            "errcode": 0,
            "errmsg": "ok",
        }
        assert (await api.post_json("material/get_material", {"media_id": media_id}))["errcode"] == 40007

    async def test_temporary_media_cannot_be_deleted(
        self, client: httpx.AsyncClient, account: AccountView
    ) -> None:
        api = CgiApi(client, account)
        media_id = await api.temporary("image", image_bytes("PNG"))
        assert (await api.post_json("material/del_material", {"media_id": media_id}))["errcode"] == 40007

    async def test_another_account_cannot_delete_a_material(
        self, client: httpx.AsyncClient, account: AccountView
    ) -> None:
        owner = CgiApi(client, account)
        media_id = await owner.permanent("image", image_bytes("PNG"))
        intruder = CgiApi(client, account_view())
        assert (await intruder.post_json("material/del_material", {"media_id": media_id}))["errcode"] == 40007
        assert (await owner.post_json("material/batchget_material", {"type": "image", "count": 5}))[
            "total_count"
        ] == 1

    async def test_count_covers_the_permanent_library_only(
        self, client: httpx.AsyncClient, account: AccountView
    ) -> None:
        api = CgiApi(client, account)
        await api.permanent("image", image_bytes("PNG"))
        await api.permanent("image", image_bytes("JPEG"))
        await api.permanent("voice", wav_bytes(1))
        await api.temporary("image", image_bytes("PNG"))
        await api.upload("media/uploadimg", None, image_bytes("PNG"))
        got = await client.get("/cgi-bin/material/get_materialcount", headers=api.headers)
        assert got.json() == {"voice_count": 1, "video_count": 0, "image_count": 2, "news_count": 0}

    async def test_batchget_pages_newest_first(self, client: httpx.AsyncClient, account: AccountView) -> None:
        api = CgiApi(client, account)
        ids = [await api.permanent("image", image_bytes("PNG")) for _ in range(3)]
        page = await api.post_json("material/batchget_material", {"type": "image", "offset": 1, "count": 1})
        assert (page["total_count"], page["item_count"]) == (3, 1)
        assert page["item"][0]["media_id"] in ids[:2]
        assert set(page["item"][0]) == {"media_id", "name", "update_time", "url"}

    @pytest.mark.parametrize(
        ("body", "errcode"),
        [({"type": "image", "count": 21}, 40035), ({"type": "thumb", "count": 5}, 40004)],
        ids=["count_over_20", "thumb_type"],
    )
    async def test_batchget_bad_arguments_are_refused(
        self, client: httpx.AsyncClient, account: AccountView, body: dict[str, Any], errcode: int
    ) -> None:
        assert (await CgiApi(client, account).post_json("material/batchget_material", body))[
            "errcode"
        ] == errcode

    @pytest.mark.parametrize("path", ["material/add_news", "material/update_news"])
    async def test_withdrawn_news_apis_answer_45103(
        self, client: httpx.AsyncClient, account: AccountView, path: str
    ) -> None:
        assert (await CgiApi(client, account).post_json(path, {"articles": []}))["errcode"] == 45103
