"""wechatpy 1.8.18 against the running sandbox: followers, user info and tags end to end."""

from __future__ import annotations

from typing import Any

import pytest
from wechatpy import WeChatClient
from wechatpy.exceptions import WeChatClientException

from tests.e2e.conftest import Sandbox

pytestmark = pytest.mark.e2e


class SandboxWeChatClient(WeChatClient):  # type: ignore[misc]
    """wechatpy pointed at the sandbox: API base URL and the (hard-coded) token fetch."""

    def __init__(self, sandbox_url: str, appid: str, secret: str) -> None:
        self.sandbox_url = sandbox_url
        self.API_BASE_URL = f"{sandbox_url}/cgi-bin/"
        super().__init__(appid, secret)

    def fetch_access_token(self) -> Any:
        return self._fetch_access_token(
            url=f"{self.sandbox_url}/cgi-bin/token",
            params={"grant_type": "client_credential", "appid": self.appid, "secret": self.secret},
        )


@pytest.fixture
def account(sandbox: Sandbox, unique_namespace: str) -> dict[str, Any]:
    with sandbox.admin(unique_namespace) as admin:
        response = admin.post("/_sandbox/accounts", json={"type": "service", "certified": True})
    assert response.status_code in (200, 201), response.text
    return dict(response.json())


def seed(sandbox: Sandbox, appid: str, count: int) -> dict[str, Any]:
    with sandbox.admin(timeout=120) as admin:
        response = admin.post(f"/_sandbox/accounts/{appid}/followers", json={"count": count})
    assert response.status_code == 200, response.text
    return dict(response.json())


class TestWechatpyFollowers:
    def test_follower_list_pages_and_iterates(self, sandbox: Sandbox, account: dict[str, Any]) -> None:
        seed(sandbox, account["appid"], 10_001)
        client = SandboxWeChatClient(sandbox.url, account["appid"], account["secret"])
        first = client.user.get_followers()
        assert (first["total"], first["count"]) == (10_001, 10_000)
        rest = client.user.get_followers(first["next_openid"])
        assert (rest["count"], rest["next_openid"]) == (1, "")
        everyone = list(client.user.iter_followers())
        assert len(everyone) == len(set(everyone)) == 10_001

    def test_user_info_single_and_batch(self, sandbox: Sandbox, account: dict[str, Any]) -> None:
        openids = seed(sandbox, account["appid"], 3)["openids"]
        client = SandboxWeChatClient(sandbox.url, account["appid"], account["secret"])
        info = client.user.get(openids[0])
        assert (info["subscribe"], info["openid"]) == (1, openids[0])
        batch = client.user.get_batch(openids)
        assert [u["openid"] for u in batch] == openids
        client.user.update_remark(openids[0], "测试")
        assert client.user.get(openids[0])["remark"] == "测试"

    def test_tags_round_trip(self, sandbox: Sandbox, account: dict[str, Any]) -> None:
        openids = seed(sandbox, account["appid"], 2)["openids"]
        client = SandboxWeChatClient(sandbox.url, account["appid"], account["secret"])
        tag = client.tag.create("广东")
        assert tag["name"] == "广东"
        client.tag.update(tag["id"], "广州")
        client.tag.tag_user(tag["id"], openids)
        tags = {t["id"]: t for t in client.tag.get()}
        assert tags[tag["id"]] == {"id": tag["id"], "name": "广州", "count": 2}
        assert tags[2]["name"] == "星标组"
        assert client.tag.get_tag_users(tag["id"])["data"]["openid"] == openids
        assert client.tag.get_user_tag(openids[0]) == [tag["id"]]
        client.tag.delete(tag["id"])
        assert client.tag.get_user_tag(openids[0]) == []

    def test_errors_surface_as_wechat_exceptions(self, sandbox: Sandbox, account: dict[str, Any]) -> None:
        client = SandboxWeChatClient(sandbox.url, account["appid"], account["secret"])
        with pytest.raises(WeChatClientException) as exc:
            client.tag.update(2, "x")
        assert exc.value.errcode == 45058
