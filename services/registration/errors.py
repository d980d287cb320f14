"""Registration's error helpers on top of servicekit.errors."""

from __future__ import annotations

from typing import Any

from servicekit.errors import BadRequest, Gone, RuleError
from servicekit.identity import normalize_email
from services.registration.accounts.models import Account


def bad_input(exc: RuleError, *, field: str | None = None, **extra: Any) -> BadRequest:
    """A broken rule as 400; `field` names the request's own field when it differs from the rule's."""
    return BadRequest(exc.message, field=field or exc.field, code=exc.code, errcode=40035, **extra)


def email_address(value: str) -> str:
    """An e-mail address normalised (R-REG-01), or 400."""
    try:
        return normalize_email(value)
    except RuleError as exc:
        raise bad_input(exc) from None


def terminated_error(account: Account) -> Gone:
    return Gone(
        "该帐号已被注销",
        code="account_terminated",
        terminated_at=account.terminated_at.isoformat() if account.terminated_at else None,
        reason=account.termination_reason,
    )
