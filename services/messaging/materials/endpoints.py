from fastapi import APIRouter

from services.messaging.materials.endpoints_cgi import router as cgi_router
from services.messaging.materials.endpoints_console import router as console_router

routers: list[APIRouter] = [cgi_router, console_router]
