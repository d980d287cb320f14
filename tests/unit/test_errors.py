from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from fastapi import FastAPI
from pydantic import BaseModel
from sqlalchemy.exc import DBAPIError

from servicekit.app import install_error_handlers
from servicekit.errors import CgiError, Conflict, DependencyDown, PayloadTooLarge, SandboxError


class TestSandboxErrorBody:
    def test_body_has_code_message_and_field(self) -> None:
        err = Conflict("该邮箱已被占用", code="email_taken", field="email")
        assert err.body() == {"error": {"code": "email_taken", "message": "该邮箱已被占用", "field": "email"}}

    def test_field_is_omitted_when_absent_and_extras_are_kept(self) -> None:
        err = Conflict(code="once_a_month", next_allowed_at="2026-12-01T00:00:00+08:00")
        assert err.body() == {
            "error": {
                "code": "once_a_month",
                "message": Conflict.message,
                "next_allowed_at": "2026-12-01T00:00:00+08:00",
            }
        }


class TestCgiBody:
    def test_explicit_errcode_wins(self) -> None:
        assert PayloadTooLarge().cgi_body() == {"errcode": 45001, "errmsg": "media size out of limit"}

    def test_status_maps_to_errcode_when_none_given(self) -> None:
        assert Conflict().cgi_body() == {"errcode": 40035, "errmsg": "invalid args"}

    def test_cgi_error_uses_the_wechat_message(self) -> None:
        assert CgiError(40007).cgi_body() == {"errcode": 40007, "errmsg": "invalid media_id"}

    def test_custom_errmsg_is_kept(self) -> None:
        assert CgiError(45028, "has no masssend quota").cgi_body()["errmsg"] == "has no masssend quota"

    def test_unknown_status_is_system_error(self) -> None:
        assert SandboxError(status=418).cgi_body()["errcode"] == -1


DEEP = b"[" * 100_000 + b"]" * 100_000  # deeper than json.loads can go
JSON = {"Content-Type": "application/json"}


class DriverError(Exception):
    """What the asyncpg dialect hands SQLAlchemy: the message and the SQLSTATE."""

    def __init__(self, message: str, *, sqlstate: str) -> None:
        super().__init__(message)
        self.sqlstate = sqlstate


class Payload(BaseModel):
    count: int


def error_app() -> FastAPI:
    app = FastAPI()
    install_error_handlers(app)

    @app.get("/api/v1/conflict")
    @app.get("/cgi-bin/conflict")
    async def conflict() -> None:
        raise Conflict("状态冲突", code="state_conflict")

    @app.get("/_sandbox/down")
    async def down() -> None:
        raise DependencyDown("messaging 服务暂时不可用", code="messaging_unavailable")

    @app.post("/api/v1/payload")
    @app.post("/cgi-bin/payload")
    async def payload(body: Payload) -> dict[str, int]:
        return {"count": body.count}

    @app.get("/api/v1/boom")
    async def boom() -> None:
        raise RuntimeError("unexpected")

    @app.get("/api/v1/out-of-range")
    @app.get("/cgi-bin/out-of-range")
    async def out_of_range() -> None:
        raise DBAPIError("SELECT $1", None, DriverError("value out of int32 range", sqlstate="22003"))

    @app.get("/api/v1/database-gone")
    async def database_gone() -> None:
        raise DBAPIError("SELECT 1", None, DriverError("connection refused", sqlstate="08006"))

    return app


@pytest.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=error_app(), raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as c:
        yield c


class TestRenderedErrors:
    async def test_api_error_has_status_and_spec_body(self, client: httpx.AsyncClient) -> None:
        r = await client.get("/api/v1/conflict")
        assert r.status_code == 409
        assert r.json() == {"error": {"code": "state_conflict", "message": "状态冲突"}}

    async def test_cgi_error_is_http_200_with_errcode(self, client: httpx.AsyncClient) -> None:
        r = await client.get("/cgi-bin/conflict")
        assert r.status_code == 200
        assert r.json() == {"errcode": 40035, "errmsg": "invalid args"}

    async def test_dependency_down_is_503(self, client: httpx.AsyncClient) -> None:
        r = await client.get("/_sandbox/down")
        assert r.status_code == 503
        assert r.json()["error"]["code"] == "messaging_unavailable"

    async def test_schema_violation_is_422_naming_the_field(self, client: httpx.AsyncClient) -> None:
        r = await client.post("/api/v1/payload", json={"count": "many"})
        assert r.status_code == 422
        error = r.json()["error"]
        assert (error["code"], error["field"]) == ("validation_error", "count")

    async def test_schema_violation_on_cgi_is_errcode_47001(self, client: httpx.AsyncClient) -> None:
        r = await client.post("/cgi-bin/payload", json={"count": "many"})
        assert r.status_code == 200
        assert r.json()["errcode"] == 47001

    async def test_invalid_json_is_400_malformed_json(self, client: httpx.AsyncClient) -> None:
        r = await client.post(
            "/api/v1/payload", content=b"{not json", headers={"Content-Type": "application/json"}
        )
        assert r.status_code == 400
        assert r.json()["error"]["code"] == "malformed_json"

    async def test_unknown_route_is_404_in_spec_shape(self, client: httpx.AsyncClient) -> None:
        r = await client.get("/api/v1/nowhere")
        assert r.status_code == 404
        assert r.json()["error"]["code"] == "not_found"

    async def test_unknown_cgi_route_is_errcode(self, client: httpx.AsyncClient) -> None:
        r = await client.get("/cgi-bin/nowhere")
        assert r.status_code == 200
        assert r.json()["errcode"] == 40066

    async def test_value_the_database_refuses_is_400_not_an_outage(self, client: httpx.AsyncClient) -> None:
        r = await client.get("/api/v1/out-of-range")
        assert r.status_code == 400
        assert r.json()["error"]["code"] == "invalid_value"

    async def test_value_the_database_refuses_on_cgi_is_invalid_args(self, client: httpx.AsyncClient) -> None:
        r = await client.get("/cgi-bin/out-of-range")
        assert (r.status_code, r.json()["errcode"]) == (200, 40035)

    async def test_database_failure_is_503(self, client: httpx.AsyncClient) -> None:
        r = await client.get("/api/v1/database-gone")
        assert r.status_code == 503
        assert r.json()["error"]["code"] == "database_unavailable"

    async def test_wrong_method_is_405_in_chinese_with_allow(self, client: httpx.AsyncClient) -> None:
        r = await client.delete("/api/v1/conflict")
        assert r.status_code == 405
        assert r.json() == {"error": {"code": "method_not_allowed", "message": "不支持这个请求方法"}}
        assert r.headers["allow"] == "GET"

    async def test_json_too_deep_to_decode_is_malformed_json(self, client: httpx.AsyncClient) -> None:
        r = await client.post("/api/v1/payload", content=DEEP, headers=JSON)
        assert r.status_code == 400
        assert r.json() == {"error": {"code": "malformed_json", "message": "请求体无法解析为 JSON"}}

    async def test_json_too_deep_on_cgi_is_errcode_47001(self, client: httpx.AsyncClient) -> None:
        r = await client.post("/cgi-bin/payload", content=DEEP, headers=JSON)
        assert (r.status_code, r.json()["errcode"]) == (200, 47001)

    async def test_unexpected_exception_is_500_without_details(self, client: httpx.AsyncClient) -> None:
        r = await client.get("/api/v1/boom")
        assert r.status_code == 500
        assert r.json() == {"error": {"code": "internal_error", "message": "服务内部错误"}}


class EchoBody(BaseModel):
    name: str


def echo_app(calls: list[str] | None = None, **middleware: int) -> FastAPI:
    """An app whose POST /api/v1/echo and /cgi-bin/echo parse `EchoBody`, behind JsonBodyByDefault."""
    from servicekit.bodies import JsonBodyByDefault

    app = FastAPI()
    install_error_handlers(app)

    @app.post("/api/v1/echo")
    @app.post("/cgi-bin/echo")
    async def echo(body: EchoBody) -> dict[str, str]:
        if calls is not None:
            calls.append(body.name)
        return {"name": body.name}

    app.add_middleware(JsonBodyByDefault, **middleware)
    return app


async def post_echo(
    app: FastAPI, path: str, content: bytes | AsyncIterator[bytes], headers: dict[str, str] | None = None
) -> httpx.Response:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        return await client.post(path, content=content, headers=headers)


class TestJsonBodyByDefault:
    async def test_json_sent_without_content_type_is_parsed(self) -> None:
        bare = await post_echo(echo_app(), "/api/v1/echo", b'{"name": "a"}')
        form = await post_echo(
            echo_app(),
            "/api/v1/echo",
            b'{"name": "b"}',
            headers={"content-type": "application/x-www-form-urlencoded"},
        )
        assert bare.json() == {"name": "a"}
        assert form.json() == {"name": "b"}

    @pytest.mark.parametrize("content_type", ["text/plain;charset=UTF-8", "application/xml", "Text/Plain"])
    async def test_json_sent_as_any_other_type_is_parsed(self, content_type: str) -> None:
        headers = {"content-type": content_type}
        r = await post_echo(echo_app(), "/api/v1/echo", b'{"name": "c"}', headers=headers)
        assert r.json() == {"name": "c"}


class TestJsonBodyLimit:
    """A JSON body over the limit is refused with 413 before it is read whole."""

    @staticmethod
    async def post(path: str, content: bytes | AsyncIterator[bytes], calls: list[str]) -> httpx.Response:
        return await post_echo(echo_app(calls, limit=1024), path, content)

    async def test_body_declared_over_the_limit_is_413(self) -> None:
        calls: list[str] = []
        r = await self.post("/api/v1/echo", b'{"name": "' + b"x" * 2000 + b'"}', calls)
        assert r.status_code == 413
        assert r.json() == {"error": {"code": "payload_too_large", "message": "请求体过大"}}
        assert calls == []

    async def test_streamed_body_stops_being_read_at_the_limit(self) -> None:
        pulled: list[int] = []

        async def chunks() -> AsyncIterator[bytes]:
            yield b'{"name": "'
            for i in range(100):
                pulled.append(i)
                yield b"x" * 512
            yield b'"}'

        calls: list[str] = []
        r = await self.post("/api/v1/echo", chunks(), calls)
        assert r.status_code == 413
        assert len(pulled) < 5
        assert calls == []

    async def test_too_large_on_cgi_is_errcode_47001(self) -> None:
        r = await self.post("/cgi-bin/echo", b'{"name": "' + b"x" * 2000 + b'"}', [])
        assert (r.status_code, r.json()["errcode"]) == (200, 47001)

    async def test_body_under_the_limit_passes(self) -> None:
        calls: list[str] = []
        r = await self.post("/api/v1/echo", b'{"name": "' + b"x" * 900 + b'"}', calls)
        assert r.status_code == 200
        assert calls == ["x" * 900]


class TestErrmsgWording:
    def test_every_errcode_the_code_raises_has_wechats_errmsg(self) -> None:
        """No `wechat_40016`-style placeholder reaches a client: each code in use has its wording."""
        import re
        from pathlib import Path

        from servicekit.errors import ERRMSG

        root = Path(__file__).resolve().parents[2]
        raised: set[int] = set()
        for path in [
            *root.glob("services/**/*.py"),
            *root.glob("servicekit/*.py"),
            *root.glob("gateway/*.py"),
        ]:
            text = path.read_text(encoding="utf-8")
            raised |= {int(c) for c in re.findall(r"CgiError\(\s*(\d{5})", text)}
            raised |= {int(c) for c in re.findall(r"errcode=(\d{5})", text)}
            raised |= {int(c) for c in re.findall(r"\b(400[1-5]\d|4002\d)\b", text)}  # menu Codes tables
        missing = sorted(code for code in raised if code not in ERRMSG)
        assert missing == []
        assert len(raised) > 40
