"""Answers the gateway gives itself, in the SPEC §2 shapes (`error` object, or WeChat errcode)."""

from __future__ import annotations

import json

from starlette.types import Send

JSON_HEADERS = ((b"content-type", b"application/json"),)
CGI_NOT_FOUND = b'{"errcode":40066,"errmsg":"invalid url"}'
CGI_TOKEN_MISSING = b'{"errcode":41001,"errmsg":"access_token missing"}'
CGI_SYSTEM_ERROR = b'{"errcode":-1,"errmsg":"system error"}'


def error_body(code: str, message: str) -> bytes:
    return json.dumps({"error": {"code": code, "message": message}}, ensure_ascii=False).encode()


NOT_FOUND = error_body("not_found", "没有这个接口")
INVALID_SANDBOX_KEY = error_body("invalid_sandbox_key", "缺少或错误的 X-Sandbox-Key")
INTERNAL_ERROR = error_body("internal_error", "网关内部错误")
_UNAVAILABLE = {
    name: error_body("service_unavailable", f"{name} 服务暂时不可用")
    for name in ("registration", "certification", "messaging", "scheduler", "gateway")
}


def unavailable_body(service: str) -> bytes:
    return _UNAVAILABLE.get(service) or error_body("service_unavailable", f"{service} 服务暂时不可用")


async def send_json(send: Send, status: int, body: bytes, request_id: bytes) -> int:
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                *JSON_HEADERS,
                (b"content-length", str(len(body)).encode()),
                (b"x-request-id", request_id),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body, "more_body": False})
    return status
