"""Console `/api/v1/materials` (素材管理): the operator's library with SPEC §2 errors."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from contracts.registration.schemas import AccountView
from tests.messaging.factories import (
    account_headers,
    account_view,
    image_bytes,
    mp4_bytes,
    pdf_bytes,
    wav_bytes,
)


@pytest.fixture
def account() -> AccountView:
    return account_view(account_type="subscription", certified=False)


async def upload(
    client: httpx.AsyncClient, account: AccountView, kind: str, data: bytes, **fields: str
) -> httpx.Response:
    # `type` is sent before the file, as the console's form does, so it sets the streaming limit.
    return await client.post(
        "/api/v1/materials",
        data={"type": kind, **fields},
        files={"file": ("upload.bin", data, "application/octet-stream")},
        headers=account_headers(account),
    )


class TestConsoleMaterials:
    @pytest.mark.rule("R-MSG-10")
    async def test_uploaded_image_is_listed_and_served(
        self, client: httpx.AsyncClient, account: AccountView
    ) -> None:
        png = image_bytes("PNG")
        created = await upload(client, account, "image", png)
        assert created.status_code == 201
        media_id = created.json()["media_id"]
        listed = await client.get(
            "/api/v1/materials", params={"type": "image"}, headers=account_headers(account)
        )
        assert [item["media_id"] for item in listed.json()["items"]] == [media_id]
        content = await client.get(f"/api/v1/materials/{media_id}/content", headers=account_headers(account))
        assert (content.content, content.headers["content-type"]) == (png, "image/png")

    @pytest.mark.rule("R-MSG-10")
    async def test_video_keeps_title_and_introduction(
        self, client: httpx.AsyncClient, account: AccountView
    ) -> None:
        created = await upload(client, account, "video", mp4_bytes(), title="宣传片", introduction="三分钟")
        assert (created.json()["title"], created.json()["introduction"]) == ("宣传片", "三分钟")

    @pytest.mark.rule("R-MSG-11")
    async def test_voice_records_its_duration(self, client: httpx.AsyncClient, account: AccountView) -> None:
        created = await upload(client, account, "voice", wav_bytes(12))
        assert created.json()["duration_seconds"] == pytest.approx(12.0)

    @pytest.mark.rule("R-MSG-10")
    async def test_deleted_material_is_404(self, client: httpx.AsyncClient, account: AccountView) -> None:
        media_id = (await upload(client, account, "image", image_bytes("PNG"))).json()["media_id"]
        deleted = await client.delete(f"/api/v1/materials/{media_id}", headers=account_headers(account))
        assert deleted.status_code == 204
        got = await client.get(f"/api/v1/materials/{media_id}", headers=account_headers(account))
        assert (got.status_code, got.json()["error"]["code"]) == (404, "material_not_found")

    @pytest.mark.rule("R-MSG-10")
    async def test_another_accounts_material_is_404(
        self, client: httpx.AsyncClient, account: AccountView
    ) -> None:
        media_id = (await upload(client, account, "image", image_bytes("PNG"))).json()["media_id"]
        other = account_headers(account_view())
        assert (await client.get(f"/api/v1/materials/{media_id}", headers=other)).status_code == 404
        assert (await client.delete(f"/api/v1/materials/{media_id}", headers=other)).status_code == 404

    @pytest.mark.rule("R-MSG-11")
    async def test_thumb_over_64kb_is_413(self, client: httpx.AsyncClient, account: AccountView) -> None:
        big = image_bytes("JPEG", (400, 400), noise=True)
        refused = await upload(client, account, "thumb", big)
        assert refused.status_code == 413
        assert refused.json()["error"]["code"] == "file_too_large"

    @pytest.mark.rule("R-MSG-11")
    async def test_type_field_sets_the_limit_while_the_file_streams(
        self, client: httpx.AsyncClient, account: AccountView
    ) -> None:
        boundary, sent = "consoleBoundary7", []

        async def body() -> AsyncIterator[bytes]:
            yield (
                f'--{boundary}\r\nContent-Disposition: form-data; name="type"\r\n\r\nthumb\r\n'
                f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="t.jpg"\r\n'
                "Content-Type: image/jpeg\r\n\r\n"
            ).encode() + image_bytes("JPEG")
            for _ in range(80):
                sent.append(1)
                yield bytes(64 * 1024)
            yield f"\r\n--{boundary}--\r\n".encode()

        headers = {**account_headers(account), "Content-Type": f"multipart/form-data; boundary={boundary}"}
        refused = await client.post("/api/v1/materials", content=body(), headers=headers)
        assert refused.status_code == 413
        assert len(sent) < 5  # the thumb's 64 KB, not the 20 MB ceiling of any material

    @pytest.mark.rule("R-MSG-11")
    async def test_pdf_as_image_is_415(self, client: httpx.AsyncClient, account: AccountView) -> None:
        refused = await upload(client, account, "image", pdf_bytes())
        assert (refused.status_code, refused.json()["error"]["code"]) == (415, "unsupported_file_type")

    @pytest.mark.rule("R-MSG-11")
    async def test_voice_over_60_seconds_is_400(
        self, client: httpx.AsyncClient, account: AccountView
    ) -> None:
        refused = await upload(client, account, "voice", wav_bytes(61))
        assert (refused.status_code, refused.json()["error"]["code"]) == (400, "voice_too_long")

    async def test_unknown_type_is_400(self, client: httpx.AsyncClient, account: AccountView) -> None:
        refused = await upload(client, account, "news", image_bytes("PNG"))
        assert (refused.status_code, refused.json()["error"]["field"]) == (400, "type")

    async def test_missing_file_is_400(self, client: httpx.AsyncClient, account: AccountView) -> None:
        refused = await client.post(
            "/api/v1/materials",
            data={"type": "image"},
            files={"other": ("x", b"x")},
            headers=account_headers(account),
        )
        assert (refused.status_code, refused.json()["error"]["code"]) == (400, "media_missing")

    async def test_without_session_is_401(self, client: httpx.AsyncClient) -> None:
        assert (await client.get("/api/v1/materials")).status_code == 401

    async def test_account_in_review_is_403(self, client: httpx.AsyncClient) -> None:
        in_review = account_view(status="in_review")
        refused = await upload(client, in_review, "image", image_bytes("PNG"))
        assert (refused.status_code, refused.json()["error"]["code"]) == (403, "account_not_approved")
