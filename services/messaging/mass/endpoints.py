from fastapi import APIRouter

from services.messaging.mass import endpoints_cgi, endpoints_console, endpoints_sandbox

routers: list[APIRouter] = [
    endpoints_cgi.router,
    endpoints_console.router,
    endpoints_sandbox.sandbox_router,
    endpoints_sandbox.internal_router,
]
