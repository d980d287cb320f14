"""Deregistration's pure rules (SPEC §6.2, §操作流程 4, FAQ 15–17): no I/O.

- R-DER-01: an activated application not approved within 80 days of sign-up is terminated
  (`registration_incomplete`); notices on day 60, 70 and 80.
- R-DER-02: an approved account with no operator login for 210 days is terminated (`inactive`);
  notices on day 180, 190, 200 and 210; a login starts a new cycle.
- Day N of a rule is `anchor + N × 24 h` on the namespace's clock; its last notice day is also the
  termination, and that notice comes first.

Which steps are due is set-based SQL (`repository.STEPS`); this module holds what it is built from,
how facts fold into an account, and the words of every message.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from contracts.messaging.schemas import Channel
from contracts.scheduler.schemas import NOTICE_DAYS, TERMINATION_REASONS, LifecycleFact
from servicekit.clock import SHANGHAI

DAY = timedelta(hours=24)
REGISTRATION_RULE = "R-DER-01"
INACTIVITY_RULE = "R-DER-02"
NOTICE_KIND = "deregistration_notice"
TERMINATED_KIND = "account_terminated"
RULE_TEXT = {
    REGISTRATION_RULE: "申请后80天内未完成注册的，注册流程将被终止",
    INACTIVITY_RULE: "完成注册后，连续210天未登录的，微信公众帐号将被终止使用",
}
REASON_TEXT = {"registration_incomplete": "申请后80天内未完成注册", "inactive": "连续210天未登录"}
RULE_OF_REASON = {reason: rule for rule, reason in TERMINATION_REASONS.items()}


def last_day(rule: str) -> int:
    return NOTICE_DAYS[rule][-1]


def day_instant(anchor_at: datetime, day: int) -> datetime:
    """Day `day` of a cycle anchored at `anchor_at`."""
    return anchor_at + day * DAY


# --- facts → one row per account ---


@dataclass
class Contact:
    """A contact detail and the (at, seq) of the fact that set it: the latest wins."""

    value: str | None
    at: datetime
    seq: int

    def newer_than(self, other: Contact | None) -> bool:
        return other is None or (self.at, self.seq) >= (other.at, other.seq)


@dataclass
class AccountFacts:
    """What a batch of facts says about one account, folded: the first sign-up, activation, approval
    and termination, the latest login, the latest of each contact."""

    account_id: str
    namespace: str
    signed_up_at: datetime | None = None
    activated_at: datetime | None = None
    approved_at: datetime | None = None
    last_login_at: datetime | None = None
    terminated_at: datetime | None = None
    termination_reason: str | None = None
    contacts: dict[str, Contact] = field(default_factory=dict)

    def row(self) -> dict[str, Any]:
        """The values of a `deregistration_accounts` row (every column, so rows of one batch align)."""
        values: dict[str, Any] = {
            "account_id": self.account_id,
            "namespace": self.namespace,
            "signed_up_at": self.signed_up_at,
            "activated_at": self.activated_at,
            "approved_at": self.approved_at,
            "last_login_at": self.last_login_at,
            "terminated_at": self.terminated_at,
            "termination_reason": self.termination_reason,
        }
        for name in CONTACTS:
            contact = self.contacts.get(name)
            values[name] = contact.value if contact else None
            values[f"{name}_at"] = contact.at if contact else None
            values[f"{name}_seq"] = contact.seq if contact else None
        return values


# fact kind → (contact, the data key holding its value)
CONTACT_FACTS = {
    "signed_up": ("email", "email"),
    "login_email": ("email", "email"),
    "operator_phone": ("phone", "phone"),
    "admin_wechat": ("wechat", "wechat_id"),
}
CONTACTS = ("email", "phone", "wechat")


def _earliest(current: datetime | None, moment: datetime) -> datetime:
    return moment if current is None or moment < current else current


def fold_facts(facts: Iterable[LifecycleFact]) -> list[AccountFacts]:
    """One `AccountFacts` per account, in account order (the order rows are locked in)."""
    accounts: dict[str, AccountFacts] = {}
    for fact in sorted(facts, key=lambda f: (f.at, f.seq)):
        account = accounts.setdefault(fact.account_id, AccountFacts(fact.account_id, fact.namespace))
        if fact.kind == "signed_up":
            account.signed_up_at = _earliest(account.signed_up_at, fact.at)
        elif fact.kind == "activated":
            account.activated_at = _earliest(account.activated_at, fact.at)
        elif fact.kind == "approved":
            account.approved_at = _earliest(account.approved_at, fact.at)
        elif fact.kind == "login":
            account.last_login_at = max(account.last_login_at or fact.at, fact.at)
        elif fact.kind == "terminated" and (account.terminated_at is None or fact.at < account.terminated_at):
            account.terminated_at, account.termination_reason = fact.at, fact.data.get("reason")
        if fact.kind in CONTACT_FACTS:
            name, key = CONTACT_FACTS[fact.kind]
            contact = Contact(fact.data.get(key), fact.at, fact.seq)
            if contact.newer_than(account.contacts.get(name)):
                account.contacts[name] = contact
    return [accounts[key] for key in sorted(accounts)]


# --- messages ---


def channels(
    account_id: str, email: str | None, phone: str | None, wechat: str | None
) -> list[tuple[Channel, str]]:
    """R-DER-03: the notification centre and the login e-mail always; SMS to the step-4 operator phone
    when there is one; WeChat when an administrator WeChat is bound."""
    found: list[tuple[Channel, str]] = [("notification", account_id)]
    if email:
        found.append(("email", email))
    if phone:
        found.append(("sms", phone))
    if wechat:
        found.append(("wechat", wechat))
    return found


def message_id(prefix: str, *parts: object) -> str:
    """A message's id from what it is about: the same message is always the same row. `dn_` (notice)
    sorts before `dt_` (termination), so at one instant the notice is relayed first."""
    key = "|".join(p.astimezone(UTC).isoformat() if isinstance(p, datetime) else str(p) for p in parts)
    return f"{prefix}_{hashlib.md5(key.encode(), usedforsecurity=False).hexdigest()}"


def shown(moment: datetime) -> str:
    return moment.astimezone(SHANGHAI).strftime("%Y年%m月%d日 %H:%M")


def notice_text(rule: str, day: int, anchor_at: datetime, terminates_at: datetime) -> tuple[str, str]:
    """The notice's subject and body: which rule, which day, and when the account ends (R-DER-03)."""
    subject = f"公众号注销通知（{rule} 第{day}天）"
    if rule == REGISTRATION_RULE:
        situation = f"你的公众号于{shown(anchor_at)}申请注册，今天是第{day}天，注册仍未完成。"
        consequence = f"如在{shown(terminates_at)}前仍未完成注册，注册流程将于{shown(terminates_at)}被终止。"
    else:
        situation = f"你的公众号已连续{day}天没有运营者登录（自{shown(anchor_at)}起）。"
        consequence = (
            f"如在{shown(terminates_at)}前仍无运营者登录，帐号将于{shown(terminates_at)}被终止使用；"
            "登录一次公众平台即重新计算。"
        )
    rule_text = f"根据注销规则 {rule}（{RULE_TEXT[rule]}，第{last_day(rule)}天终止），"
    return subject, situation + rule_text + consequence


def termination_text(reason: str, at: datetime) -> tuple[str, str]:
    rule = RULE_OF_REASON.get(reason, "")
    subject = "公众号已注销"
    body = (
        f"你的公众号因{REASON_TEXT.get(reason, reason)}，已于{shown(at)}被终止使用（注销规则 {rule}）。"
        "帐号一旦被终止使用则无法找回，如需继续使用请重新申请注册。"
    )
    return subject, body
