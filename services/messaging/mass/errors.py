"""Mass-send refusals, each with its console code/status and its WeChat errcode (SPEC §2, §5.3)."""

from __future__ import annotations

from datetime import datetime

from servicekit.clock import SHANGHAI
from servicekit.errors import SandboxError
from services.messaging.mass.rules import MAX_TEXT_UNITS, NAMED_CHARACTERS


def content_too_long(units: int) -> SandboxError:
    return SandboxError(
        f"群发文字超出字数限制：上限为 1200 个字符或 600 个汉字（当前 {units} 个字符）",
        code="content_too_long",
        field="text",
        errcode=45002,
        limit=MAX_TEXT_UNITS,
    )


def unsupported_language(characters: list[str]) -> SandboxError:
    named = "、".join(characters[:NAMED_CHARACTERS]) + ("…" if len(characters) > NAMED_CHARACTERS else "")
    return SandboxError(
        f"群发内容目前只支持中文和英文，暂时不支持其他语言：{named}",
        code="unsupported_language",
        field="text",
        errcode=47003,
        errmsg=f"argument invalid! unsupported language: {''.join(characters[:NAMED_CHARACTERS])}",
        characters=characters,
    )


def empty_content() -> SandboxError:
    return SandboxError("群发文字不能为空", code="empty_content", field="text", errcode=44004)


def media_id_missing() -> SandboxError:
    return SandboxError(
        "请选择要群发的素材（media_id）", code="media_id_required", field="media_id", errcode=41006
    )


def invalid_msgtype(msgtype: object) -> SandboxError:
    return SandboxError(
        f"不支持的群发类型：{msgtype}", code="invalid_msgtype", field="msgtype", errcode=40008
    )


def bad_format(message: str, field: str | None = None) -> SandboxError:
    return SandboxError(message, code="invalid_request", field=field, errcode=47001)


def clientmsgid_too_long() -> SandboxError:
    return SandboxError(
        "clientmsgid 不能超过 64 字节", code="clientmsgid_too_long", field="clientmsgid", errcode=45067
    )


def clientmsgid_exists(msg_id: int) -> SandboxError:
    return SandboxError(
        "24 小时内已使用相同的 clientmsgid 群发，本次未发送",
        code="clientmsgid_exists",
        status=409,
        field="clientmsgid",
        errcode=45065,
        msg_id=msg_id,
        msgid=msg_id,
    )


def _limit_reached(message: str, *, code: str, errcode: int, resets_at: datetime) -> SandboxError:
    return SandboxError(
        message, code=code, status=429, errcode=errcode, resets_at=resets_at.astimezone(SHANGHAI).isoformat()
    )


def quota_exhausted(resets_at: datetime) -> SandboxError:
    return _limit_reached(
        "本期群发次数已用完（订阅号每天 1 次，服务号每月 4 次）",
        code="mass_send_quota_exhausted",
        errcode=45028,
        resets_at=resets_at,
    )


def preview_limit_reached(resets_at: datetime) -> SandboxError:
    return _limit_reached(
        "今日预览次数已达上限（每天 100 次）",
        code="preview_limit_reached",
        errcode=45009,
        resets_at=resets_at,
    )


def invalid_tag(tag_id: object) -> SandboxError:
    return SandboxError(
        f"标签不存在：{tag_id}", code="tag_not_found", status=404, field="audience.tag_id", errcode=40152
    )


def invalid_openid_list() -> SandboxError:
    return SandboxError("openid 列表须含 2 到 10000 个 openid", code="invalid_openid_list", errcode=40130)


def invalid_openid() -> SandboxError:
    return SandboxError("该用户不是本账号的粉丝", code="invalid_openid", field="touser", errcode=40003)


def mass_send_not_found() -> SandboxError:
    return SandboxError("群发任务不存在", code="mass_send_not_found", status=404, errcode=40059)


def invalid_article_idx() -> SandboxError:
    return SandboxError("article_idx 无效", code="invalid_article_idx", field="article_idx", errcode=40060)
