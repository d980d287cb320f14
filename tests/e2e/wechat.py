"""Unmodified wechatpy pointed at the running sandbox, and the certified accounts it signs in as."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from wechatpy import WeChatClient

if TYPE_CHECKING:
    from tests.e2e.conftest import Sandbox


class SandboxWeChatClient(WeChatClient):  # type: ignore[misc]
    """wechatpy pointed at the sandbox: API base URL and the (hard-coded) token fetch."""

    def __init__(self, sandbox_url: str, appid: str, secret: str) -> None:
        self.sandbox_url = sandbox_url
        self.API_BASE_URL = f"{sandbox_url}/cgi-bin/"
        super().__init__(appid, secret)

    def fetch_access_token(self) -> dict[str, Any]:
        return dict(
            self._fetch_access_token(
                url=f"{self.sandbox_url}/cgi-bin/token",
                params={"grant_type": "client_credential", "appid": self.appid, "secret": self.secret},
            )
        )


def create_account(
    sandbox: Sandbox, namespace: str, *, expected: tuple[int, ...] = (200, 201), **fields: Any
) -> dict[str, Any]:
    """An account made through the control plane (`fields` is the request body)."""
    with sandbox.admin(namespace) as admin:
        response = admin.post("/_sandbox/accounts", json=fields)
    assert response.status_code in expected, response.text
    return dict(response.json())


def certified_client(sandbox: Sandbox, namespace: str, account_type: str = "service") -> SandboxWeChatClient:
    """wechatpy signed in as a new certified account of `account_type`."""
    account = create_account(sandbox, namespace, type=account_type, certified=True)
    return SandboxWeChatClient(sandbox.url, account["appid"], account["secret"])
