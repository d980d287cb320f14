"""Access tokens on the sandbox clock (SPEC §3.3, reference §1): issue, stable pool, introspection."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from contracts.registration.schemas import Introspection
from servicekit import clock
from servicekit.clock import shanghai_date
from servicekit.errors import CgiError
from services.registration.accounts import repository as accounts
from services.registration.accounts.models import Account
from services.registration.accounts.service import (
    account_view,
    certification_of,
    deregistration_due_at,
    registration_expires_at,
)
from services.registration.credentials import matches, new_access_token, sha256_hex
from services.registration.peers import Peers
from services.registration.tokens import repository
from services.registration.tokens.models import AccessToken

LIFETIME = timedelta(seconds=7200)
GRACE = timedelta(minutes=5)  # R-TOK-01: the previous token keeps working this long
STABLE_RENEW_BEFORE = timedelta(minutes=5)  # the stable pool renews within the last 5 minutes
STABLE_FORCE_PER_DAY = 20
STABLE_FORCE_SPACING = timedelta(seconds=30)


@dataclass
class Issued:
    access_token: str
    expires_in: int

    def body(self) -> dict[str, Any]:
        return {"access_token": self.access_token, "expires_in": self.expires_in}


async def _authenticate(
    session: AsyncSession, grant_type: str | None, appid: str | None, secret: str | None
) -> Account:
    if grant_type != "client_credential":
        raise CgiError(40002)
    if not appid:
        raise CgiError(41002)
    if not secret:
        raise CgiError(41004)
    account = await accounts.account_by_appid(session, appid)
    # R-TOK-03: accounts not approved (or terminated) have no usable AppID.
    if account is None or account.status != "approved":
        raise CgiError(40013)
    if not matches(account.secret_hash, secret):
        raise CgiError(40125)
    return account


async def _issue(
    session: AsyncSession, account: Account, pool: str, now: datetime, *, forced: bool
) -> Issued:
    token = new_access_token()
    if pool == "token":
        grace = GRACE
    else:  # a forced refresh kills the old stable token now; a renewal lets it run out
        grace = timedelta(0) if forced else LIFETIME
    await repository.replace_tokens(session, account.id, pool, now + grace)
    session.add(
        AccessToken(
            token_hash=sha256_hex(token),
            account_id=account.id,
            pool=pool,
            token=token if pool == "stable" else None,
            issued_at=now,
            expires_at=now + LIFETIME,
            forced=forced,
        )
    )
    await session.flush()
    return Issued(token, int(LIFETIME.total_seconds()))


async def issue_token(
    session: AsyncSession, *, grant_type: str | None, appid: str | None, secret: str | None
) -> Issued:
    """R-TOK-01: a new token; the previous one stays valid for 5 more minutes."""
    account = await _authenticate(session, grant_type, appid, secret)
    await accounts.get_account(session, account.id, lock=True)  # one issuer at a time per account
    now = await clock.now(session, account.namespace)
    return await _issue(session, account, "token", now, forced=False)


async def issue_stable_token(session: AsyncSession, body: dict[str, Any]) -> Issued:
    """R-TOK-02: the same token while it has over 5 minutes left; `force_refresh` replaces it at once."""
    fields = [_text(body.get(k)) for k in ("grant_type", "appid", "secret")]
    account = await _authenticate(session, *fields)
    await accounts.get_account(session, account.id, lock=True)
    now = await clock.now(session, account.namespace)
    force = body.get("force_refresh") in (True, "true", "True", 1, "1")
    current = await repository.current_stable_token(session, account.id)
    if not force and current is not None and current.token and current.valid_until is None:
        left = current.expires_at - now
        if left > STABLE_RENEW_BEFORE:
            return Issued(current.token, int(left.total_seconds()))
    if force:
        if current is not None and current.forced and now - current.issued_at < STABLE_FORCE_SPACING:
            raise CgiError(45011)
        forced_today = await repository.forced_stable_refreshes_since(session, account.id, shanghai_date(now))
        if forced_today >= STABLE_FORCE_PER_DAY:
            raise CgiError(45009)
    return await _issue(session, account, "stable", now, forced=force)


def _text(value: Any) -> str | None:
    if value is None or isinstance(value, str):
        return value
    raise CgiError(40035)


@dataclass
class TokenCheck:
    account: Account | None
    ttl: float
    errcode: int

    def error_body(self) -> dict[str, Any]:
        return CgiError(self.errcode).cgi_body()


async def check_token(session: AsyncSession, access_token: str | None) -> TokenCheck:
    """R-TOK-04: missing 41001; unknown, replaced past grace, or account unusable 40001; expired 42001."""
    if not access_token:
        return TokenCheck(None, 0, 41001)
    row = await repository.access_token(session, sha256_hex(access_token))
    if row is None:
        return TokenCheck(None, 0, 40001)
    account = await accounts.get_account(session, row.account_id)
    if account is None or account.status != "approved":
        return TokenCheck(None, 0, 40001)
    now = await clock.now(session, account.namespace)
    end = row.expires_at if row.valid_until is None else min(row.expires_at, row.valid_until)
    if now >= end:
        return TokenCheck(None, 0, 42001 if end == row.expires_at else 40001)
    return TokenCheck(account, (end - now).total_seconds(), 0)


async def introspection(session: AsyncSession, account: Account, peers: Peers, ttl: float) -> Introspection:
    """The gateway's answer for a token or session: the account as services see it, and how long the
    gateway may reuse it — never past the next instant its certification changes by itself (an expiry,
    an `at_deadline` decision; R-CER-05/07), so capabilities follow at once, old tokens included; nor
    past the instant its deregistration falls due (R-DER-04), after which nothing is cached until the
    sweep has terminated it."""
    summary = await certification_of(peers.certification, account)
    changes = [
        moment
        for moment in (summary.changes_at, deregistration_due_at(account), registration_expires_at(account))
        if moment is not None
    ]
    if changes:
        now = await clock.now(session, account.namespace)
        ttl = max(0.0, min(ttl, (min(changes) - now).total_seconds()))
    return Introspection(account=account_view(account, summary.certified), ttl=ttl)
