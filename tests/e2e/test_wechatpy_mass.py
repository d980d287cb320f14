"""Unmodified wechatpy 1.8.18 against the running sandbox: mass send (R-MSG-20..27)."""

from __future__ import annotations

import io
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import pytest
from wechatpy import WeChatClient
from wechatpy.exceptions import WeChatClientException

from tests.e2e.wechat import certified_client
from tests.messaging.factories import image_bytes, mp3_bytes, mp4_bytes

if TYPE_CHECKING:
    from tests.e2e.conftest import Sandbox

pytestmark = pytest.mark.e2e


@dataclass
class Developer:
    """A certified account's developer (wechatpy) plus the control plane for its followers."""

    sandbox: Sandbox
    namespace: str
    appid: str
    wechat: WeChatClient

    def followers(self, count: int) -> list[str]:
        with self.sandbox.admin(self.namespace) as http:
            response = http.post(f"/_sandbox/accounts/{self.appid}/followers", json={"count": count})
        assert response.status_code in (200, 201), response.text
        return list(response.json()["openids"])

    def inbox(self, openid: str) -> list[dict[str, Any]]:
        with self.sandbox.admin(self.namespace) as http:
            response = http.get(f"/_sandbox/followers/{openid}/inbox")
        assert response.status_code == 200, response.text
        return list(response.json()["items"])

    def wait_sent(self, msg_id: int) -> str:
        for _ in range(100):
            status = str(self.wechat.message.get_mass(msg_id)["msg_status"])
            if status != "SENDING":
                return status
            time.sleep(0.05)
        return "SENDING"


def developer(sandbox: Sandbox, namespace: str, account_type: str) -> Developer:
    wechat = certified_client(sandbox, namespace, account_type)
    return Developer(sandbox, namespace, wechat.appid, wechat)


@pytest.fixture
def service_dev(sandbox: Sandbox, unique_namespace: str) -> Developer:
    return developer(sandbox, unique_namespace, "service")


@pytest.fixture
def subscription_dev(sandbox: Sandbox, unique_namespace: str) -> Developer:
    return developer(sandbox, unique_namespace, "subscription")


class TestWechatpyMassSend:
    @pytest.mark.rule("R-MSG-20", "R-MSG-24")
    def test_text_to_all_lands_in_the_chat_list_of_every_follower(self, service_dev: Developer) -> None:
        fans = service_dev.followers(3)

        sent = service_dev.wechat.message.send_mass_text(None, "明日停水通知", is_to_all=True)

        assert service_dev.wait_sent(sent["msg_id"]) == "SEND_SUCCESS"
        items = [service_dev.inbox(openid) for openid in fans]
        assert [(i[0]["content"], i[0]["folder"]) for i in items] == [("明日停水通知", "chat")] * 3

    @pytest.mark.rule("R-MSG-10", "R-MSG-20")
    def test_image_to_a_tag_reaches_its_members_only(self, service_dev: Developer) -> None:
        tagged, untagged = service_dev.followers(2)
        tag_id = service_dev.wechat.tag.create("居民")["id"]
        service_dev.wechat.tag.tag_user(tag_id, [tagged])
        media_id = service_dev.wechat.material.add("image", io.BytesIO(image_bytes("PNG")))["media_id"]

        sent = service_dev.wechat.message.send_mass_image(int(tag_id), media_id)

        assert service_dev.wait_sent(sent["msg_id"]) == "SEND_SUCCESS"
        assert [i["media_id"] for i in service_dev.inbox(tagged)] == [media_id]
        assert service_dev.inbox(untagged) == []

    @pytest.mark.rule("R-MSG-20")
    def test_voice_to_an_openid_list(self, service_dev: Developer) -> None:
        fans = service_dev.followers(3)
        media_id = service_dev.wechat.material.add("voice", io.BytesIO(mp3_bytes(3)))["media_id"]

        sent = service_dev.wechat.message.send_mass_voice(fans[:2], media_id)

        assert service_dev.wait_sent(sent["msg_id"]) == "SEND_SUCCESS"
        assert [len(service_dev.inbox(o)) for o in fans] == [1, 1, 0]

    @pytest.mark.rule("R-MSG-20", "R-MSG-27")
    def test_video_and_article_to_all(self, service_dev: Developer) -> None:
        fan = service_dev.followers(1)[0]
        video = service_dev.wechat.media.upload("video", io.BytesIO(mp4_bytes()))["media_id"]
        mpvideo = service_dev.wechat.media.upload_video(video, "发布会", "全程回放")["media_id"]
        thumb = service_dev.wechat.media.upload("thumb", io.BytesIO(image_bytes("JPEG")))["thumb_media_id"]
        news = service_dev.wechat.media.upload_articles(
            [{"thumb_media_id": thumb, "title": "停水通知", "content": "<p>明日停水</p>"}]
        )["media_id"]

        video_sent = service_dev.wechat.message.send_mass_video(None, mpvideo, title="发布会", is_to_all=True)
        article_sent = service_dev.wechat.message.send_mass_article(None, news, is_to_all=True)

        assert "msg_data_id" in article_sent
        assert service_dev.wait_sent(article_sent["msg_id"]) == "SEND_SUCCESS"
        assert service_dev.wait_sent(video_sent["msg_id"]) == "SEND_SUCCESS"
        assert [i["msgtype"] for i in service_dev.inbox(fan)] == ["mpnews", "mpvideo"]

    @pytest.mark.rule("R-MSG-20")
    def test_preview_by_openid_reaches_one_follower(self, service_dev: Developer) -> None:
        fans = service_dev.followers(2)

        result = service_dev.wechat.message.send_mass_text(fans[0], "预览", preview=True)

        assert result["errmsg"] == "preview success"
        assert [len(service_dev.inbox(o)) for o in fans] == [1, 0]

    @pytest.mark.rule("R-MSG-20")
    def test_get_and_delete(self, service_dev: Developer) -> None:
        service_dev.followers(1)
        msg_id = service_dev.wechat.message.send_mass_text(None, "可删除", is_to_all=True)["msg_id"]
        service_dev.wait_sent(msg_id)

        service_dev.wechat.message.delete_mass(msg_id)

        assert service_dev.wechat.message.get_mass(msg_id)["msg_status"] == "DELETE"

    @pytest.mark.rule("R-MSG-23")
    def test_second_send_of_the_day_raises_45028(self, subscription_dev: Developer) -> None:
        subscription_dev.followers(1)
        subscription_dev.wechat.message.send_mass_text(None, "今日第一条", is_to_all=True)

        with pytest.raises(WeChatClientException) as caught:
            subscription_dev.wechat.message.send_mass_text(None, "今日第二条", is_to_all=True)

        assert caught.value.errcode == 45028


Send = Callable[..., dict[str, Any]]


def sender(dev: Developer, kind: str) -> Send:
    """wechatpy's send_mass_<kind> bound to media of this developer's account (None for text)."""
    message = dev.wechat.message
    if kind == "text":
        return lambda who, **kw: dict(message.send_mass_text(who, "停水通知", **kw))
    if kind == "image":
        image = dev.wechat.material.add("image", io.BytesIO(image_bytes("PNG")))["media_id"]
        return lambda who, **kw: dict(message.send_mass_image(who, image, **kw))
    if kind == "voice":
        voice = dev.wechat.media.upload("voice", io.BytesIO(mp3_bytes(3)))["media_id"]
        return lambda who, **kw: dict(message.send_mass_voice(who, voice, **kw))
    if kind == "video":
        video = dev.wechat.media.upload("video", io.BytesIO(mp4_bytes()))["media_id"]
        mpvideo = dev.wechat.media.upload_video(video, "发布会", "全程回放")["media_id"]
        return lambda who, **kw: dict(message.send_mass_video(who, mpvideo, title="发布会", **kw))
    thumb = dev.wechat.media.upload("thumb", io.BytesIO(image_bytes("JPEG")))["thumb_media_id"]
    article = {"thumb_media_id": thumb, "title": "通知", "content": "<p>正文</p>"}
    news = dev.wechat.media.upload_articles([article])
    return lambda who, **kw: dict(message.send_mass_article(who, news["media_id"], **kw))


@pytest.mark.parametrize("kind", ["text", "image", "voice", "video", "article"])
@pytest.mark.rule("R-MSG-20", "R-MSG-24")
class TestEveryTypeToEveryAudience:
    def test_to_all_to_a_tag_to_openids_and_as_preview(self, service_dev: Developer, kind: str) -> None:
        fans = service_dev.followers(4)
        tag_id = int(service_dev.wechat.tag.create("社区")["id"])
        service_dev.wechat.tag.tag_user(tag_id, fans[:3])
        service_dev.wechat.tag.untag_user(tag_id, [fans[2]])
        send = sender(service_dev, kind)

        sent = [send(None, is_to_all=True), send(tag_id), send(fans[1:3])]
        preview = send(fans[3], preview=True)

        assert [service_dev.wait_sent(s["msg_id"]) for s in sent] == ["SEND_SUCCESS"] * 3
        assert preview["errcode"] == 0
        # all: everyone; tag: fans 0 and 1; openids: fans 1 and 2; preview: fan 3.
        assert [len(service_dev.inbox(openid)) for openid in fans] == [2, 3, 2, 2]
        assert {i["folder"] for openid in fans for i in service_dev.inbox(openid)} == {"chat"}
        service_dev.wechat.message.delete_mass(sent[0]["msg_id"])
        assert service_dev.wechat.message.get_mass(sent[0]["msg_id"])["msg_status"] == "DELETE"
