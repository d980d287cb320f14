"""The account the gateway resolved for this request (X-Sandbox-Account), for every service."""

from __future__ import annotations

from starlette.requests import Request

from contracts.registration.schemas import AccountView, decode_account_header
from servicekit.context import ACCOUNT_HEADER


def account_from_request(request: Request) -> AccountView | None:
    value = request.headers.get(ACCOUNT_HEADER)
    if not value:
        return None
    try:
        return decode_account_header(value)
    except ValueError:
        return None
