"""One error root for every service, rendered as SPEC §2 — and the one map to WeChat errcodes.

Services raise these (never HTTPException). `/cgi-bin` paths render `{"errcode", "errmsg"}` with
HTTP 200; every other path renders `{"error": {"code", "message", "field"?}}` with the status.
"""

from __future__ import annotations

from typing import Any, ClassVar


class RuleError(ValueError):
    """A broken pure rule (a `rules.py` or `servicekit.identity` function): the field it concerns, a
    stable code and the message shown to the operator. The caller turns it into its 400 with
    `refusal()` — it is not a SandboxError itself because the field a request reports may differ from
    the rule's default (certification's `operator_phone` is registration's `phone`)."""

    def __init__(self, field: str, code: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.code = code
        self.message = message

    def refusal(self, field: str | None = None, **extra: Any) -> SandboxError:
        """The 400 that answers this broken rule, naming `field` (default: the rule's own)."""
        return BadRequest(self.message, field=field or self.field, code=self.code, **extra)


class SandboxError(Exception):
    status: ClassVar[int] = 400
    code: ClassVar[str] = "bad_request"
    message: ClassVar[str] = "请求参数有误"
    errcode: ClassVar[int | None] = None  # WeChat code when raised on a /cgi-bin path

    def __init__(
        self,
        message: str | None = None,
        *,
        field: str | None = None,
        code: str | None = None,
        status: int | None = None,
        errcode: int | None = None,
        errmsg: str | None = None,
        **extra: Any,
    ) -> None:
        self.instance_message = message or self.message
        self.instance_code = code or self.code
        self.instance_status = status or self.status
        self.instance_errcode = errcode if errcode is not None else self.errcode
        self.instance_errmsg = errmsg
        self.field = field
        self.extra = extra
        super().__init__(self.instance_message)

    def body(self) -> dict[str, Any]:
        error: dict[str, Any] = {"code": self.instance_code, "message": self.instance_message}
        if self.field:
            error["field"] = self.field
        error.update(self.extra)
        return {"error": error}

    def cgi_body(self) -> dict[str, Any]:
        errcode = self.instance_errcode
        if errcode is None:
            errcode = STATUS_TO_ERRCODE.get(self.instance_status, -1)
        errmsg = self.instance_errmsg or ERRMSG.get(errcode, self.instance_code)
        body: dict[str, Any] = {"errcode": errcode, "errmsg": errmsg}
        body.update(self.extra)
        return body


class BadRequest(SandboxError):
    status = 400
    code = "bad_request"


class Unauthorized(SandboxError):
    status = 401
    code = "unauthorized"
    message = "未登录或登录已失效"


class Forbidden(SandboxError):
    status = 403
    code = "forbidden"
    message = "当前状态下不允许此操作"


class NotFound(SandboxError):
    status = 404
    code = "not_found"
    message = "资源不存在"


class Conflict(SandboxError):
    status = 409
    code = "conflict"
    message = "与当前状态冲突"


class Gone(SandboxError):
    status = 410
    code = "gone"
    message = "已失效"


class PayloadTooLarge(SandboxError):
    status = 413
    code = "file_too_large"
    message = "文件大小超出限制"
    errcode = 45001


class UnsupportedMediaType(SandboxError):
    status = 415
    code = "unsupported_file_type"
    message = "文件格式不支持"
    errcode = 40004


class Unprocessable(SandboxError):
    status = 422
    code = "validation_error"
    message = "请求格式有误"


class RateLimited(SandboxError):
    status = 429
    code = "rate_limited"
    message = "操作过于频繁，请稍后再试"


class DependencyDown(SandboxError):
    status = 503
    code = "service_unavailable"
    message = "依赖的服务暂时不可用"
    errcode = -1


class DatabaseUnavailable(DependencyDown):
    """PostgreSQL cannot be reached (stopped, restarting, socket gone): 503 until it is back."""

    code = "database_unavailable"
    message = "数据库暂时不可用"


class CgiError(SandboxError):
    """A WeChat API error: `raise CgiError(40007)` → {"errcode": 40007, "errmsg": "invalid media_id"}."""

    status = 400

    def __init__(self, errcode: int, errmsg: str | None = None, **extra: Any) -> None:
        super().__init__(
            errmsg or ERRMSG.get(errcode, "error"),
            code=f"wechat_{errcode}",
            errcode=errcode,
            errmsg=errmsg,
            **extra,
        )


# The one place mapping statuses to WeChat codes when a shared error reaches /cgi-bin.
STATUS_TO_ERRCODE: dict[int, int] = {
    400: 40035,
    401: 40001,
    403: 48001,
    404: 46001,
    409: 40035,
    410: 40001,
    413: 45001,
    415: 40004,
    422: 47001,
    429: 45009,
    503: -1,
}

ERRMSG: dict[int, str] = {
    -1: "system error",
    0: "ok",
    40001: "invalid credential, access_token is invalid or not latest",
    40002: "invalid grant_type",
    40003: "invalid openid",
    40004: "invalid media type",
    40005: "invalid file type",
    40006: "invalid meida size",
    40007: "invalid media_id",
    40008: "invalid message type",
    40013: "invalid appid",
    40014: "invalid access_token",
    40015: "invalid menu type",
    40016: "invalid button size",
    40017: "invalid button type",
    40018: "invalid button name size",
    40019: "invalid button key size",
    40020: "invalid button url size",
    40022: "invalid sub_menu level",
    40023: "invalid sub button size",
    40024: "invalid sub button type",
    40025: "invalid sub button name size",
    40026: "invalid sub button key size",
    40027: "invalid sub button url size",
    40032: "invalid openid list size",
    40035: "invalid args",
    40054: "invalid sub button url domain",
    40055: "invalid button url domain",
    40059: "invalid msg id",
    40060: "invalid article idx",
    40066: "invalid url",
    40092: "invalid remark name",
    40125: "invalid appsecret",
    40130: "invalid openid list size, at least two openid",
    40152: "invalid group id",
    41001: "access_token missing",
    41002: "appid missing",
    41004: "appsecret missing",
    41005: "media data missing",
    41006: "media_id missing",
    41007: "missing submenu data",
    41009: "openid missing",
    42001: "access_token expired",
    43001: "require GET method",
    43002: "require POST method",
    43004: "require subscribe",
    44001: "empty media data",
    44002: "empty post data",
    44003: "empty news data",
    44004: "empty content",
    45001: "media size out of limit",
    45002: "content size out of limit",
    45003: "title size out of limit",
    45004: "description size out of limit",
    45007: "playtime out of limit",
    45008: "article size out of limit",
    45009: "reach max api daily quota limit",
    45011: "api minute-quota reach limit, must slower, retry next minute",
    45015: "response out of time limit or subscription is canceled",
    45028: "has no masssend quota",
    45056: "too many tag now, no need to add new",
    45057: "can't delete the tag that has too many fans",
    45058: "can't modify sys tag",
    45059: "can not tagging one user too much",
    45065: "clientmsgid exist",
    45066: "same clientmsgid retry too fast",
    45067: "clientmsgid size out of limit",
    45103: "This API has been unsupported",
    45157: "invalid tag name",
    45158: "tag name too long",
    45159: "invalid tag id",
    46001: "media data no exist",
    46003: "menu no exist",
    46004: "user no exist",
    47001: "data format error",
    47003: "argument invalid!",
    48001: "api unauthorized",
    48005: "forbid to delete material used by auto-reply or menu",
    49003: "not match openid with appid",
}
