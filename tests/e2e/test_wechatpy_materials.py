"""Unmodified wechatpy 1.8.18 against the running sandbox: materials and media (R-MSG-10/11)."""

from __future__ import annotations

import io
from typing import TYPE_CHECKING

import pytest
from wechatpy.exceptions import WeChatClientException

from tests.messaging.factories import image_bytes, mp3_bytes, mp4_bytes, wav_bytes

if TYPE_CHECKING:
    from wechatpy import WeChatClient

pytestmark = pytest.mark.e2e


class TestWechatpyMaterials:
    @pytest.mark.rule("R-MSG-10")
    def test_permanent_image_voice_and_video_are_counted(self, wechat: WeChatClient) -> None:
        image = wechat.material.add("image", io.BytesIO(image_bytes("PNG")))
        voice = wechat.material.add("voice", io.BytesIO(mp3_bytes(5)))
        video = wechat.material.add("video", io.BytesIO(mp4_bytes()), title="发布会", introduction="全程回放")
        assert image["url"].startswith("http")
        assert len({image["media_id"], voice["media_id"], video["media_id"]}) == 3
        counts = wechat.material.get_count()
        assert (counts["image_count"], counts["voice_count"], counts["video_count"]) == (1, 1, 1)
        assert wechat.material.get(video["media_id"])["title"] == "发布会"

    @pytest.mark.rule("R-MSG-10")
    def test_temporary_media_downloads_as_bytes(self, wechat: WeChatClient) -> None:
        png = image_bytes("PNG")
        uploaded = wechat.media.upload("image", io.BytesIO(png))
        assert uploaded["type"] == "image"
        assert wechat.media.download(uploaded["media_id"]).content == png

    @pytest.mark.rule("R-MSG-10")
    def test_articles_upload_with_a_thumb(self, wechat: WeChatClient) -> None:
        thumb = wechat.media.upload("thumb", io.BytesIO(image_bytes("JPEG")))["thumb_media_id"]
        news = wechat.media.upload_articles(
            [{"thumb_media_id": thumb, "title": "停水通知", "content": "<p>明日 8:00–12:00 停水</p>"}]
        )
        assert news["type"] == "news"
        assert news["media_id"]

    @pytest.mark.rule("R-MSG-11")
    def test_voice_over_60_seconds_raises_45007(self, wechat: WeChatClient) -> None:
        with pytest.raises(WeChatClientException) as caught:
            wechat.media.upload("voice", io.BytesIO(wav_bytes(61)))
        assert caught.value.errcode == 45007
