"""Unmodified wechatpy 1.8.18 against the running sandbox: the custom menu and its §5.4 capability."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest
from wechatpy.exceptions import WeChatClientException

from tests.e2e.wechat import SandboxWeChatClient, create_account

if TYPE_CHECKING:
    from tests.e2e.conftest import Sandbox

pytestmark = pytest.mark.e2e

MENU = {
    "button": [
        {"type": "click", "name": "今日通知", "key": "TODAY"},
        {"name": "办事", "sub_button": [{"type": "view", "name": "指南", "url": "http://www.gov.cn/"}]},
    ]
}


class TestWechatpyMenu:
    def test_create_get_and_delete(self, wechat: SandboxWeChatClient) -> None:
        assert wechat.menu.get() is None  # wechatpy reads 46003 as "no menu"

        wechat.menu.create(MENU)

        buttons = wechat.menu.get()["menu"]["button"]
        assert [b["name"] for b in buttons] == ["今日通知", "办事"]
        assert wechat.menu.get_menu_info()["is_menu_open"] == 1
        wechat.menu.delete()
        assert wechat.menu.get() is None

    def test_uncertified_subscription_account_is_48001(self, sandbox: Sandbox, unique_namespace: str) -> None:
        account = create_account(sandbox, unique_namespace, type="subscription")
        wechat = SandboxWeChatClient(sandbox.url, account["appid"], account["secret"])

        with pytest.raises(WeChatClientException) as caught:
            wechat.menu.create(MENU)

        assert caught.value.errcode == 48001
