"""Certification's notices to the operator (R-CER-05, R-CER-07): the notification centre and the login
e-mail, each through messaging's outbox (`contracts.messaging.relay`), written with the change that
causes them so they exist exactly when it does."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from contracts.messaging import relay
from servicekit.clock import SHANGHAI
from services.certification.notices.models import PendingMessage

APPROVED = "certification_approved"
REJECTED = "certification_rejected"
EXPIRING = "certification_expiring"
EXPIRED = "certification_expired"
ENDED = "certification_ended"


@dataclass(frozen=True, slots=True)
class Recipient:
    account_id: str
    namespace: str
    email: str | None


def _day(moment: datetime) -> str:
    return moment.astimezone(SHANGHAI).strftime("%Y年%m月%d日")


def _text(kind: str, name: str, data: dict[str, Any]) -> tuple[str, str]:
    if kind == APPROVED:
        return (
            "微信认证审核通过",
            f"你申请的微信认证“{name}”已审核通过，认证有效期至{_day(data['expires_at'])}。",
        )
    if kind == REJECTED:
        return (
            "微信认证审核未通过",
            f"你申请的微信认证“{name}”未通过审核，原因：{data['reason']}。你可以修改后重新申请。",
        )
    if kind == EXPIRING:
        return (
            "微信认证即将到期",
            f"你的微信认证“{name}”将于{_day(data['expires_at'])}到期（剩余 {data['days_left']} 天），"
            "请在到期前提交年审（认证续期）申请，逾期认证将失效。",
        )
    if kind == EXPIRED:
        return (
            "微信认证已过期",
            f"你的微信认证“{name}”已于{_day(data['expires_at'])}到期失效，认证标识与认证名称已取消。",
        )
    return "微信认证已终止", f"你的微信认证“{name}”已随帐号注销而终止。"


def notify(
    session: AsyncSession, to: Recipient, *, kind: str, name: str, at: datetime, data: dict[str, Any]
) -> None:
    """One notice, to the notification centre and (when known) the login e-mail."""
    subject, body = _text(kind, name, data)
    wire = {k: (v.isoformat() if isinstance(v, datetime) else v) for k, v in data.items()}
    channels: list[tuple[str, str]] = [("notification", to.account_id)]
    if to.email:
        channels.append(("email", to.email))
    for channel, address in channels:
        relay.enqueue(
            session,
            PendingMessage,
            account_id=to.account_id,
            namespace=to.namespace,
            channel=channel,  # type: ignore[arg-type]
            to=address,
            kind=kind,
            created_at=at,
            subject=subject,
            body=body,
            data=wire,
        )
