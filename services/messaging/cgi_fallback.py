"""`/cgi-bin` paths no endpoint serves still answer by the §5.4 matrix first.

An account outside a capability gets 48001 for every path of it, served here or not — the nine
advanced interfaces include customer-service messages and QR codes, which the sandbox does not
simulate yet. Anyone else gets the shared answer for an unknown path or method (40066, 43001/43002).
"""

from __future__ import annotations

from fastapi import FastAPI, Request
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import Response

from contracts.capabilities import required_capability
from contracts.registration.identity import account_from_request
from servicekit.app import is_cgi, render_error
from servicekit.errors import SandboxError
from services.messaging.dependencies import require_capability


def install(app: FastAPI) -> None:
    """Put the capability check in front of the app's 404/405 answer on `/cgi-bin`."""
    fallback = app.exception_handlers[StarletteHTTPException]

    async def unserved(request: Request, exc: Exception) -> Response:
        account = account_from_request(request)
        capability = required_capability(request.url.path)
        if is_cgi(request) and account is not None and capability is not None:
            try:
                require_capability(account, capability)
            except SandboxError as refused:
                return render_error(request, refused)
        response = fallback(request, exc)
        return await response if not isinstance(response, Response) else response

    app.add_exception_handler(StarletteHTTPException, unserved)
