"""What the gateway answers itself: `/healthz`, `/_sandbox/health`, `/openapi.json`, `/docs`.

Off the hot path, so plain Starlette. Swagger UI's assets come from the `swagger-ui-py` wheel and
are served from here: the sandbox runs offline, a CDN link would render an empty page.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Mapping
from pathlib import Path

from fastapi.openapi.docs import get_swagger_ui_html, get_swagger_ui_oauth2_redirect_html
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from gateway.health import sandbox_health
from gateway.openapi import OpenApiDocument
from gateway.upstream import Pool

ASSETS = "/docs/assets"


def swagger_ui_dir() -> Path:
    spec = importlib.util.find_spec("swagger_ui")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("swagger-ui-py is not installed: it ships the Swagger UI assets")
    return Path(next(iter(spec.submodule_search_locations))) / "static"


def build_pages(pools: Mapping[str, Pool], *, health_timeout: float, openapi: OpenApiDocument) -> Starlette:
    async def healthz(request: Request) -> Response:
        return JSONResponse({"status": "ok", "service": "gateway"})

    async def health(request: Request) -> Response:
        status, body = await sandbox_health(pools, health_timeout)
        return JSONResponse(body, status_code=status)

    async def openapi_json(request: Request) -> Response:
        return JSONResponse(await openapi.get())

    async def docs(request: Request) -> Response:
        return get_swagger_ui_html(
            openapi_url="/openapi.json",
            title="mpsandbox API",
            swagger_js_url=f"{ASSETS}/swagger-ui-bundle.js",
            swagger_css_url=f"{ASSETS}/swagger-ui.css",
            swagger_favicon_url=f"{ASSETS}/favicon-32x32.png",
            oauth2_redirect_url="/docs/oauth2-redirect",
        )

    async def oauth2_redirect(request: Request) -> Response:
        return get_swagger_ui_oauth2_redirect_html()

    async def http_error(request: Request, exc: Exception) -> Response:
        status = exc.status_code if isinstance(exc, HTTPException) else 500
        code = {404: "not_found", 405: "method_not_allowed"}.get(status, "http_error")
        message = {404: "没有这个接口", 405: "不支持这个请求方法"}.get(status, "请求有误")
        return JSONResponse({"error": {"code": code, "message": message}}, status_code=status)

    return Starlette(
        routes=[
            Route("/healthz", healthz, methods=["GET"]),
            Route("/_sandbox/health", health, methods=["GET"]),
            Route("/openapi.json", openapi_json, methods=["GET"]),
            Route("/docs", docs, methods=["GET"]),
            Route("/docs/oauth2-redirect", oauth2_redirect, methods=["GET"]),
            Mount(ASSETS, StaticFiles(directory=swagger_ui_dir()), name="assets"),
        ],
        exception_handlers={HTTPException: http_error},
    )
