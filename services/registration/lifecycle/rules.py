"""Deregistration as registration sees it (SPEC §6.2, R-DER-01/02/04/07): pure rules, no I/O.

The scheduler keeps the schedule and sends the notices; registration, which owns the account, knows
which rule applies now, from which anchor, and whether a termination the scheduler asks for still
holds (it may not yet have heard of an approval or a login).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Literal

from contracts.scheduler.schemas import NOTICE_DAYS, TERMINATION_REASONS

REGISTRATION_RULE = "R-DER-01"
INACTIVITY_RULE = "R-DER-02"
DAY = timedelta(hours=24)  # day N of a rule is anchor + N × 24 h on the namespace's clock
IN_REGISTRATION = ("activated", "in_review", "rejected")
RULE_OF_REASON = {reason: rule for rule, reason in TERMINATION_REASONS.items()}

Verdict = Literal["terminate", "already_terminated", "refused"]


def lifecycle_rule(status: str, termination_reason: str | None) -> str | None:
    """The rule an account is under: R-DER-01 while an activated application is unfinished, R-DER-02
    once approved, the rule that ended it once terminated by one; none before activation (R-REG-06's
    business) or after a termination for another reason."""
    if status == "approved":
        return INACTIVITY_RULE
    if status in IN_REGISTRATION:
        return REGISTRATION_RULE
    if status == "terminated" and termination_reason is not None:
        return RULE_OF_REASON.get(termination_reason)
    return None


def lifecycle_anchor(
    rule: str | None, *, signed_up_at: datetime, approved_at: datetime | None, last_login_at: datetime | None
) -> datetime | None:
    """R-DER-01 runs from the sign-up; R-DER-02 from the later of approval and the last operator login."""
    if rule == REGISTRATION_RULE:
        return signed_up_at
    if rule == INACTIVITY_RULE and approved_at is not None:
        return max(approved_at, last_login_at or approved_at)
    return None


def next_notice_at(rule: str | None, anchor_at: datetime | None, sent_days: Iterable[int]) -> datetime | None:
    """The instant of the cycle's first notice not yet sent (its last is also the termination)."""
    if rule is None or anchor_at is None:
        return None
    sent = set(sent_days)
    for day in NOTICE_DAYS[rule]:
        if day not in sent:
            return anchor_at + day * DAY
    return None


def termination_verdict(
    *,
    status: str,
    activated_at: datetime | None,
    approved_at: datetime | None,
    last_login_at: datetime | None,
    rule: str,
    anchor_at: datetime,
) -> Verdict:
    """Does a termination the scheduler asks for still hold (R-DER-04)? Registration owns the facts:
    an application approved meanwhile, or an approved account logged into after `anchor_at`, is
    refused — the scheduler's schedule was behind, and the fact on its way moves it."""
    if status == "terminated":
        return "already_terminated"
    if rule == REGISTRATION_RULE:
        return "terminate" if status in IN_REGISTRATION and activated_at is not None else "refused"
    if status != "approved" or approved_at is None:
        return "refused"
    anchor = max(approved_at, last_login_at or approved_at)
    return "terminate" if anchor <= anchor_at else "refused"
