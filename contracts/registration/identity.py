"""The account the gateway resolved for this request (X-Sandbox-Account), for every service."""

from __future__ import annotations

from functools import lru_cache
from typing import Annotated

from fastapi import Depends
from starlette.requests import Request

from contracts.registration.schemas import AccountView, decode_account_header
from servicekit.context import ACCOUNT_HEADER
from servicekit.errors import Unauthorized


def account_from_request(request: Request) -> AccountView | None:
    value = request.headers.get(ACCOUNT_HEADER)
    if not value:
        return None
    return _decoded(value)


# Decoding (base64, JSON, pydantic) was the costliest step of an account check on every /cgi-bin call.
# The header value *is* the whole view the gateway passes on, so equal values always decode to equal
# accounts: a cache keyed by the value can never answer with a stale or another account's view, and
# needs no invalidation. The views it returns are shared between requests and never modified.
@lru_cache(maxsize=1024)
def _decoded(value: str) -> AccountView | None:
    try:
        return decode_account_header(value)
    except ValueError:
        return None


async def console_account(request: Request) -> AccountView:
    """The logged-in operator's account (console `/api/v1`); 401 without a valid session."""
    account = account_from_request(request)
    if account is None:
        raise Unauthorized(code="unauthorized")
    return account


ConsoleAccount = Annotated[AccountView, Depends(console_account)]
