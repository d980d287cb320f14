"""Registration's error helpers on top of servicekit.errors."""

from __future__ import annotations

from servicekit.errors import Gone, RuleError
from servicekit.identity import normalize_email
from services.registration.accounts.models import Account


def email_address(value: str) -> str:
    """An e-mail address normalised (R-REG-01), or 400."""
    try:
        return normalize_email(value)
    except RuleError as exc:
        raise exc.refusal() from None


def terminated_error(account: Account) -> Gone:
    return Gone(
        "该帐号已被注销",
        code="account_terminated",
        terminated_at=account.terminated_at.isoformat() if account.terminated_at else None,
        reason=account.termination_reason,
    )
