"""wechatpy 1.8.18 against the running sandbox: followers, user info and tags end to end."""

from __future__ import annotations

from typing import Any

import pytest
from wechatpy.exceptions import WeChatClientException

from tests.e2e.conftest import Sandbox
from tests.e2e.wechat import SandboxWeChatClient

pytestmark = pytest.mark.e2e


def seed(sandbox: Sandbox, appid: str, count: int) -> dict[str, Any]:
    with sandbox.admin(timeout=120) as admin:
        response = admin.post(f"/_sandbox/accounts/{appid}/followers", json={"count": count})
    assert response.status_code == 200, response.text
    return dict(response.json())


@pytest.mark.rule("R-MSG-02")
class TestWechatpyFollowers:
    def test_follower_list_pages_and_iterates(self, sandbox: Sandbox, wechat: SandboxWeChatClient) -> None:
        seed(sandbox, wechat.appid, 10_001)
        first = wechat.user.get_followers()
        assert (first["total"], first["count"]) == (10_001, 10_000)
        rest = wechat.user.get_followers(first["next_openid"])
        assert (rest["count"], rest["next_openid"]) == (1, "")
        everyone = list(wechat.user.iter_followers())
        assert len(everyone) == len(set(everyone)) == 10_001

    def test_user_info_single_and_batch(self, sandbox: Sandbox, wechat: SandboxWeChatClient) -> None:
        openids = seed(sandbox, wechat.appid, 3)["openids"]
        info = wechat.user.get(openids[0])
        assert (info["subscribe"], info["openid"]) == (1, openids[0])
        batch = wechat.user.get_batch(openids)
        assert [u["openid"] for u in batch] == openids
        wechat.user.update_remark(openids[0], "测试")
        assert wechat.user.get(openids[0])["remark"] == "测试"

    def test_tags_round_trip(self, sandbox: Sandbox, wechat: SandboxWeChatClient) -> None:
        openids = seed(sandbox, wechat.appid, 2)["openids"]
        tag = wechat.tag.create("广东")
        assert tag["name"] == "广东"
        wechat.tag.update(tag["id"], "广州")
        wechat.tag.tag_user(tag["id"], openids)
        tags = {t["id"]: t for t in wechat.tag.get()}
        assert tags[tag["id"]] == {"id": tag["id"], "name": "广州", "count": 2}
        assert tags[2]["name"] == "星标组"
        assert wechat.tag.get_tag_users(tag["id"])["data"]["openid"] == openids
        assert wechat.tag.get_user_tag(openids[0]) == [tag["id"]]
        wechat.tag.delete(tag["id"])
        assert wechat.tag.get_user_tag(openids[0]) == []

    def test_errors_surface_as_wechat_exceptions(self, sandbox: Sandbox, wechat: SandboxWeChatClient) -> None:
        with pytest.raises(WeChatClientException) as exc:
            wechat.tag.update(2, "x")
        assert exc.value.errcode == 45058
