"""wechatpy 1.8.18, unmodified, getting and renewing access tokens from the sandbox (SPEC §3.3).

wechatpy's `auto_retry` refetches the token and replays the call on 40001/40014/42001 with no cap
(reference §9.5), so a sandbox that kept answering 40001 would recurse until RecursionError. The
client below counts its token fetches and fails the test outright past a small number instead.
"""

from __future__ import annotations

from typing import Any

import pytest
from wechatpy.exceptions import WeChatClientException

from tests.e2e.conftest import Sandbox
from tests.e2e.wechat import SandboxWeChatClient, create_account

pytestmark = pytest.mark.e2e

MAX_TOKEN_FETCHES = 3


class CountingSandboxClient(SandboxWeChatClient):
    """The sandbox client with its token fetches counted and capped (see module docstring)."""

    def __init__(self, sandbox_url: str, appid: str, secret: str) -> None:
        self.token_fetches = 0
        super().__init__(sandbox_url, appid, secret)

    def fetch_access_token(self) -> dict[str, Any]:
        self.token_fetches += 1
        if self.token_fetches > MAX_TOKEN_FETCHES:
            pytest.fail(f"wechatpy fetched a token {self.token_fetches} times: the sandbox keeps refusing it")
        return super().fetch_access_token()


@pytest.fixture
def account(sandbox: Sandbox, unique_namespace: str) -> dict[str, Any]:
    return create_account(sandbox, unique_namespace, expected=(201,), type="service")


def callback_ips_errcode(sandbox: Sandbox, token: str) -> int:
    """What the sandbox says about `token` right now, asked without wechatpy (which would retry)."""
    with sandbox.client() as http:
        body: dict[str, Any] = http.get("/cgi-bin/getcallbackip", params={"access_token": token}).json()
    errcode: int = body.get("errcode", 0)
    return errcode


class TestWechatpyToken:
    @pytest.mark.rule("R-TOK-01", "R-TOK-04")
    def test_token_from_the_sandbox_works_for_getcallbackip(
        self, sandbox: Sandbox, account: dict[str, Any]
    ) -> None:
        client = CountingSandboxClient(sandbox.url, account["appid"], account["secret"])

        ips = client.misc.get_wechat_ips()

        assert ips
        assert all(isinstance(ip, str) for ip in ips)
        assert client.token_fetches == 1
        assert callback_ips_errcode(sandbox, client.access_token) == 0

    @pytest.mark.rule("R-TOK-01")
    def test_wrong_secret_raises_invalid_appsecret(self, sandbox: Sandbox, account: dict[str, Any]) -> None:
        client = CountingSandboxClient(sandbox.url, account["appid"], "0" * 32)

        with pytest.raises(WeChatClientException) as raised:
            client.misc.get_wechat_ips()

        # R-TOK-01 lists 40125 "invalid appsecret", what WeChat answers today; wechatpy raises it from the
        # token fetch itself, with no retry.
        assert raised.value.errcode == 40125
        assert client.token_fetches == 1

    @pytest.mark.rule("R-TOK-04")
    def test_token_expired_on_the_sandbox_clock_is_renewed_transparently(
        self, sandbox: Sandbox, account: dict[str, Any]
    ) -> None:
        client = CountingSandboxClient(sandbox.url, account["appid"], account["secret"])
        client.misc.get_wechat_ips()
        old_token = client.access_token

        with sandbox.admin(account["namespace"]) as admin:
            advanced = admin.post("/_sandbox/clock/advance", json={"hours": 3})
        assert advanced.status_code == 200, advanced.text

        # wechatpy still trusts the token (its expiry runs on the real clock); the sandbox does not.
        assert callback_ips_errcode(sandbox, old_token) == 42001
        ips = client.misc.get_wechat_ips()

        assert ips
        assert client.token_fetches == 2
        assert client.access_token != old_token
        assert callback_ips_errcode(sandbox, client.access_token) == 0

    @pytest.mark.rule("R-TOK-04", "R-CLK-01")
    def test_expiry_in_another_namespace_leaves_the_token_alone(
        self, sandbox: Sandbox, account: dict[str, Any], unique_namespace: str
    ) -> None:
        client = CountingSandboxClient(sandbox.url, account["appid"], account["secret"])
        client.misc.get_wechat_ips()
        other = f"{unique_namespace}-other"

        with sandbox.admin(other) as admin:
            advanced = admin.post("/_sandbox/clock/advance", json={"hours": 3})
        assert advanced.status_code == 200, advanced.text

        assert callback_ips_errcode(sandbox, client.access_token) == 0
        assert client.misc.get_wechat_ips()
        assert client.token_fetches == 1
