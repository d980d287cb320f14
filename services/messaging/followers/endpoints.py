from fastapi import APIRouter

from services.messaging.followers import endpoints_cgi, endpoints_console, endpoints_sandbox

routers: list[APIRouter] = [endpoints_cgi.router, endpoints_sandbox.router, endpoints_console.router]
