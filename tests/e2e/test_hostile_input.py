"""Input built to break parsers, sent through the gateway: a clear refusal every time, never a 500
or errcode -1, and nothing changed (SPEC §2, §8).

- nesting 100,000 deep: `/cgi-bin` 47001, elsewhere 400 `malformed_json`;
- a lone UTF-16 surrogate (`"\\ud800"`) in any JSON string: 47001 / 400 `invalid_value`;
- a multipart boundary of 5,000 characters: 400 `malformed_multipart` (41005 on `/cgi-bin`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import httpx
import pytest

from tests.e2e.wechat import create_account

if TYPE_CHECKING:
    from tests.e2e.conftest import Sandbox

pytestmark = pytest.mark.e2e

DEEP_ARRAYS = b"[" * 100_000 + b"]" * 100_000
DEEP_OBJECTS = b'{"a":' * 100_000 + b"1" + b"}" * 100_000
LONE = "\\ud800"  # as written in a JSON text: the escape, not the character


def lone(template: str) -> bytes:
    """A JSON text with `LONE` where the template says `@`."""
    return template.replace("@", LONE).encode()


class Account:
    def __init__(self, sandbox: Sandbox, namespace: str) -> None:
        self.sandbox = sandbox
        self.namespace = namespace
        self.fields = create_account(sandbox, namespace, type="service", certified=True)
        with sandbox.client() as http:
            token = http.get(
                "/cgi-bin/token",
                params={
                    "grant_type": "client_credential",
                    "appid": self.fields["appid"],
                    "secret": self.fields["secret"],
                },
            ).json()["access_token"]
            session = http.post(
                "/api/v1/sessions",
                json={"email": self.fields["email"], "password": self.fields["password"]},
            )
        assert session.status_code in (200, 201), session.text
        self.token = token
        self.bearer = {"Authorization": f"Bearer {session.json()['token']}"}
        with sandbox.admin(namespace) as admin:
            created = admin.post(f"/_sandbox/accounts/{self.fields['appid']}/followers", json={"count": 2})
        assert created.status_code in (200, 201), created.text
        self.openids: list[str] = created.json()["openids"]

    def cgi(
        self, path: str, body: bytes, params: dict[str, str] | None = None, **headers: str
    ) -> httpx.Response:
        with self.sandbox.client() as http:
            return http.post(
                f"/cgi-bin/{path}",
                params={"access_token": self.token, **(params or {})},
                content=body,
                headers=headers,
            )

    def cgi_get(self, path: str, **params: str) -> dict[str, Any]:
        with self.sandbox.client() as http:
            response = http.get(f"/cgi-bin/{path}", params={"access_token": self.token, **params})
        assert response.status_code == 200
        return dict(response.json())


@pytest.fixture
def account(sandbox: Sandbox, unique_namespace: str) -> Account:
    return Account(sandbox, unique_namespace)


def assert_errcode(response: httpx.Response, errcode: int) -> None:
    assert response.status_code == 200, response.text
    assert response.json()["errcode"] == errcode, response.text


def assert_error(response: httpx.Response, status: int, code: str) -> None:
    assert response.status_code == status, response.text
    assert response.json()["error"]["code"] == code, response.text


class TestDeeplyNestedJson:
    @pytest.mark.parametrize("body", [DEEP_ARRAYS, DEEP_OBJECTS], ids=["arrays", "objects"])
    def test_stable_token_without_a_token_is_47001(self, sandbox: Sandbox, body: bytes) -> None:
        with sandbox.client() as http:
            assert_errcode(http.post("/cgi-bin/stable_token", content=body), 47001)

    @pytest.mark.parametrize(
        "path", ["menu/create", "message/mass/sendall", "tags/create", "user/info/batchget"]
    )
    @pytest.mark.parametrize("body", [DEEP_ARRAYS, DEEP_OBJECTS], ids=["arrays", "objects"])
    def test_cgi_calls_with_a_token_are_47001(self, account: Account, path: str, body: bytes) -> None:
        assert_errcode(account.cgi(path, body), 47001)

    @pytest.mark.parametrize("body", [DEEP_ARRAYS, DEEP_OBJECTS], ids=["arrays", "objects"])
    def test_console_and_control_plane_are_400_malformed_json(
        self, sandbox: Sandbox, account: Account, body: bytes
    ) -> None:
        with sandbox.client() as http:
            assert_error(http.post("/api/v1/registrations", content=body), 400, "malformed_json")
            assert_error(
                http.post("/api/v1/mass-sends", content=body, headers=account.bearer), 400, "malformed_json"
            )
        with sandbox.admin(account.namespace) as admin:
            assert_error(admin.post("/_sandbox/accounts", content=body), 400, "malformed_json")
            assert_error(admin.post("/_sandbox/clock/advance", content=body), 400, "malformed_json")

    def test_a_menu_nested_as_deep_as_wechat_allows_still_works(self, account: Account) -> None:
        menu = {"button": [{"name": "服务", "sub_button": [{"type": "click", "name": "查", "key": "Q"}]}]}
        with account.sandbox.client() as http:
            created = http.post("/cgi-bin/menu/create", params={"access_token": account.token}, json=menu)
        assert_errcode(created, 0)


class TestLoneSurrogates:
    @pytest.mark.parametrize(
        ("path", "template"),
        [
            (
                "message/mass/sendall",
                '{"filter":{"is_to_all":true},"msgtype":"text","text":{"content":"通知@"}}',
            ),
            ("message/mass/preview", '{"touser":"OPENID","msgtype":"text","text":{"content":"@"}}'),
            (
                "message/mass/sendall",
                '{"filter":{"is_to_all":true},"msgtype":"text","text":{"content":"ok"},"clientmsgid":"@"}',
            ),
            ("menu/create", '{"button":[{"type":"click","name":"@","key":"K"}]}'),
            ("user/info/updateremark", '{"openid":"OPENID","remark":"@"}'),
            ("tags/create", '{"tag":{"name":"@"}}'),
            ("tags/update", '{"tag":{"id":100,"name":"@"}}'),
            ("media/uploadnews", '{"articles":[{"thumb_media_id":"x","title":"@","content":"c"}]}'),
            ("tags/create", '{"tag":{"name":"a\\udc00b"}}'),  # a low surrogate alone
            ("tags/create", '{"tag":{"name":"\\udc00\\ud800"}}'),  # a pair in the wrong order
        ],
    )
    def test_cgi_calls_are_47001_and_change_nothing(self, account: Account, path: str, template: str) -> None:
        body = lone(template.replace("OPENID", account.openids[0]))

        assert_errcode(account.cgi(path, body), 47001)

        assert [t["name"] for t in account.cgi_get("tags/get")["tags"]] == ["星标组"]
        assert account.cgi_get("menu/get")["errcode"] == 46003

    def test_surrogates_encoded_as_utf8_bytes_are_refused_too(
        self, sandbox: Sandbox, account: Account
    ) -> None:
        """json.loads decodes bytes with "surrogatepass": ED A0 80 would arrive as a lone surrogate."""
        assert_errcode(account.cgi("tags/create", b'{"tag":{"name":"\xed\xa0\x80"}}'), 47001)
        with sandbox.admin(account.namespace) as admin:
            refused = admin.post("/_sandbox/accounts", content=b'{"type":"service","name":"\xed\xa0\x80"}')
        assert_error(refused, 400, "invalid_value")

    def test_a_valid_surrogate_pair_is_a_character_like_any_other(self, account: Account) -> None:
        created = account.cgi("tags/create", b'{"tag":{"name":"\\ud83d\\ude00 tag"}}')

        assert created.status_code == 200
        assert created.json()["tag"]["name"] == "😀 tag"

    def test_an_escaped_backslash_before_u_is_plain_text(self, account: Account) -> None:
        created = account.cgi("tags/create", b'{"tag":{"name":"a\\\\ud800"}}')

        assert created.json()["tag"]["name"] == "a\\ud800"

    def test_console_mass_send_is_400_invalid_value(self, sandbox: Sandbox, account: Account) -> None:
        body = lone('{"msgtype":"text","text":{"content":"通知@"},"audience":{"all":true}}')
        with sandbox.client() as http:
            refused = http.post("/api/v1/mass-sends", content=body, headers=account.bearer)
            quota = http.get("/api/v1/mass-sends/quota", headers=account.bearer).json()

        assert_error(refused, 400, "invalid_value")
        assert quota["used"] == 0

    def test_control_plane_account_name_is_400_invalid_value(
        self, sandbox: Sandbox, unique_namespace: str
    ) -> None:
        with sandbox.admin(unique_namespace) as admin:
            refused = admin.post("/_sandbox/accounts", content=lone('{"type":"service","name":"市@局"}'))
            accepted = admin.post("/_sandbox/accounts", json={"type": "service", "name": "市局"})

        assert_error(refused, 400, "invalid_value")
        assert accepted.status_code == 201, accepted.text


LONG_BOUNDARY = "a" * 5000


def multipart_with(boundary: str) -> bytes:
    return (
        f'--{boundary}\r\nContent-Disposition: form-data; name="type"\r\n\r\nimage\r\n--{boundary}--\r\n'
    ).encode()


class TestMultipartBoundary:
    @pytest.mark.parametrize(
        ("method", "path"),
        [("POST", "/api/v1/materials"), ("PUT", "/api/v1/account/avatar")],
    )
    def test_console_uploads_are_400_malformed_multipart(
        self, sandbox: Sandbox, account: Account, method: str, path: str
    ) -> None:
        headers = {**account.bearer, "Content-Type": f"multipart/form-data; boundary={LONG_BOUNDARY}"}
        with sandbox.client() as http:
            response = http.request(method, path, content=multipart_with(LONG_BOUNDARY), headers=headers)

        assert_error(response, 400, "malformed_multipart")

    def test_step_4_upload_is_400_malformed_multipart(self, sandbox: Sandbox, unique_namespace: str) -> None:
        fields = create_account(sandbox, unique_namespace, type="service", status="activated")
        with sandbox.client() as http:
            token = http.post(
                "/api/v1/sessions", json={"email": fields["email"], "password": fields["password"]}
            ).json()["token"]
            response = http.put(
                "/api/v1/account/subject",
                content=multipart_with(LONG_BOUNDARY),
                headers={
                    "Authorization": f"Bearer {token}",
                    "Content-Type": f"multipart/form-data; boundary={LONG_BOUNDARY}",
                },
            )

        assert_error(response, 400, "malformed_multipart")

    @pytest.mark.parametrize("path", ["material/add_material", "media/upload", "media/uploadimg"])
    def test_cgi_uploads_are_41005(self, account: Account, path: str) -> None:
        response = account.cgi(
            path,
            multipart_with(LONG_BOUNDARY),
            {"type": "image"},
            **{"Content-Type": f"multipart/form-data; boundary={LONG_BOUNDARY}"},
        )

        assert_errcode(response, 41005)
