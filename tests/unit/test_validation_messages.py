from __future__ import annotations

from typing import Annotated, Literal

import httpx
import pytest
from fastapi import FastAPI
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from servicekit.app import install_error_handlers
from servicekit.validation import describe


class Body(BaseModel):
    model_config = ConfigDict(extra="forbid")

    email: str
    type: Literal["subscription", "service"] = "service"
    hours: Annotated[float, Field(ge=0, le=24)] = 0
    count: int = 1
    flag: bool = False
    name: Annotated[str, Field(max_length=4)] = "ab"
    at: str = ""

    @field_validator("at")
    @classmethod
    def _at(cls, value: str) -> str:
        if value == "bad":
            raise ValueError("时间格式不正确")
        return value


def first_error(data: dict[str, object]) -> dict[str, object]:
    with pytest.raises(ValidationError) as caught:
        Body.model_validate(data)
    return dict(caught.value.errors()[0])


def has_chinese(text: str) -> bool:
    return any("\u4e00" <= ch <= "\u9fff" for ch in text)


class TestDescribe:
    @pytest.mark.parametrize(
        ("data", "expected"),
        [
            ({}, "缺少必填字段"),
            ({"email": 5}, "应为字符串"),
            ({"email": "a", "type": "x"}, "取值应为 'subscription' 或 'service'"),
            ({"email": "a", "hours": -1}, "不能小于 0"),
            ({"email": "a", "hours": 25}, "不能大于 24"),
            ({"email": "a", "count": "many"}, "应为整数"),
            ({"email": "a", "flag": "maybe"}, "应为布尔值（true 或 false）"),
            ({"email": "a", "name": "abcdef"}, "长度不能超过 4 个字符"),
            ({"email": "a", "weeks": 1}, "不支持这个字段"),
            ({"email": "a", "at": "bad"}, "时间格式不正确"),
        ],
        ids=["missing", "type", "literal", "ge", "le", "int", "bool", "max_length", "extra", "own_validator"],
    )
    def test_pydantic_errors_read_in_chinese(self, data: dict[str, object], expected: str) -> None:
        assert describe(first_error(data)) == expected

    def test_an_unknown_kind_still_reads_in_chinese(self) -> None:
        assert has_chinese(describe({"type": "something_new", "msg": "Something new went wrong"}))


class TestValidationResponse:
    async def test_422_message_is_chinese_and_names_the_field(self) -> None:
        app = FastAPI()
        install_error_handlers(app)

        @app.post("/api/v1/things")
        async def things(body: Body) -> dict[str, str]:
            return {"email": body.email}

        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
            r = await client.post("/api/v1/things", json={"email": 5})
        assert r.status_code == 422
        assert r.json() == {
            "error": {"code": "validation_error", "message": "email: 应为字符串", "field": "email"}
        }
