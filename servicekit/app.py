"""The app factory every service uses: lifespan, errors, health, request ids, lifecycle hooks."""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import AbstractAsyncContextManager, asynccontextmanager, nullcontext
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import asyncpg
from alembic.config import Config
from alembic.script import ScriptDirectory
from fastapi import APIRouter, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy import MetaData
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.exceptions import HTTPException as StarletteHTTPException

from servicekit.bodies import BodyRefused, JsonBodyByDefault
from servicekit.db import SessionDep, make_engine, make_sessionmaker
from servicekit.errors import BadRequest, DatabaseUnavailable, DependencyDown, SandboxError
from servicekit.heap import freeze_startup_heap
from servicekit.http import make_peer_clients
from servicekit.lifecycle import (
    CLOCK_HOOK_PATH,
    RESET_PATH,
    ClockEvent,
    ClockHookRequest,
    ClockHookResponse,
    Readiness,
    ResetResponse,
)
from servicekit.logs import RequestContextMiddleware, access_log, configure_logging
from servicekit.reads import PoolReader
from servicekit.repository import migration_version, truncate_tables
from servicekit.settings import ServiceSettings
from servicekit.supervised import exit_with_supervisor
from servicekit.validation import describe

VERSION = "0.1.0"
ROOT = Path(__file__).resolve().parent.parent
ClockHook = Callable[[AsyncSession, ClockHookRequest], Awaitable[list[ClockEvent]]]
Lifespan = Callable[[FastAPI], AbstractAsyncContextManager[None]]

log = logging.getLogger("servicekit")


@dataclass
class ServiceSpec:
    """What a service hands to `create_app`."""

    name: str
    settings: ServiceSettings
    routers: Sequence[APIRouter]
    metadata: Sequence[MetaData]
    migrations_section: str
    clock_hook: ClockHook | None = None
    extra_lifespan: Lifespan | None = None
    description: str = ""
    peers: Sequence[str] = field(default_factory=tuple)


def migration_head(section: str) -> str | None:
    cfg = Config(str(ROOT / "alembic.ini"), ini_section=section)
    cfg.set_main_option("script_location", str(ROOT / cfg.get_main_option("script_location", "")))
    return ScriptDirectory.from_config(cfg).get_current_head()


def is_cgi(request: Request) -> bool:
    return request.url.path.startswith("/cgi-bin")


class ErrorResponse(JSONResponse):
    """An error body that always encodes: a message quoting what the client sent can never fail on a
    character UTF-8 cannot carry (a lone surrogate is written as `?`)."""

    def render(self, content: Any) -> bytes:
        text = json.dumps(content, ensure_ascii=False, allow_nan=False, separators=(",", ":"))
        return text.encode("utf-8", "replace")


def render_error(request: Request, exc: SandboxError) -> JSONResponse:
    if is_cgi(request):
        # WeChat's shape with HTTP 200, except an outage: -1 with 503 (SPEC §2).
        return ErrorResponse(exc.cgi_body(), status_code=503 if exc.instance_status == 503 else 200)
    return ErrorResponse(exc.body(), status_code=exc.instance_status)


# A character the server cannot store (NUL in text, an invalid byte sequence): the data's format.
_CHARACTER_SQLSTATES = frozenset({"22021", "22P05"})


def bad_value_errcode(exc: DBAPIError) -> int | None:
    """Did PostgreSQL or the driver refuse a value the request carried? That is bad input (400), not an
    outage (503): PostgreSQL's class 22 "data exception", or asyncpg's own DataError (a ValueError) for
    an argument it cannot encode, such as an integer past int8. Returns the /cgi-bin errcode — 47001
    for a character that cannot be stored, 40035 for any other value — or None for a real failure.
    """
    err: BaseException | None = exc.orig
    while err is not None:
        sqlstate = getattr(err, "sqlstate", None)
        if isinstance(sqlstate, str) and sqlstate.startswith("22"):
            return 47001 if sqlstate in _CHARACTER_SQLSTATES else 40035
        if isinstance(err, asyncpg.exceptions.InterfaceError) and isinstance(err, ValueError):
            return 40035
        err = err.__cause__
    return None


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(SandboxError)
    async def sandbox_error(request: Request, exc: SandboxError) -> JSONResponse:
        return render_error(request, exc)

    @app.exception_handler(RequestValidationError)
    async def validation_error(request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = exc.errors()
        first = errors[0] if errors else {}
        loc = [str(p) for p in first.get("loc", ()) if p not in ("body", "query", "path", "header")]
        if first.get("type") == "json_invalid":
            err: SandboxError = SandboxError("请求体不是合法的 JSON", code="malformed_json", errcode=47001)
        else:
            err = SandboxError(
                f"{'.'.join(loc) or '请求'}: {describe(first)}",
                code="validation_error",
                status=422,
                field=".".join(loc) or None,
                errcode=47001,
            )
        return render_error(request, err)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        if isinstance(exc, BodyRefused):
            return render_error(request, exc.error)
        # FastAPI's own 400 is a body it could not parse (e.g. JSON nested too deep to decode).
        codes = {400: "malformed_json", 404: "not_found", 405: "method_not_allowed", 413: "payload_too_large"}
        messages = {
            400: "请求体无法解析为 JSON",
            404: "没有这个接口",
            405: "不支持这个请求方法",
            413: "请求体过大",
        }
        err = SandboxError(
            messages.get(exc.status_code, str(exc.detail)),
            code=codes.get(exc.status_code, "http_error"),
            status=exc.status_code,
            errcode={400: 47001, 404: 40066, 405: _method_errcode(exc), 413: 47001}.get(exc.status_code),
        )
        response = render_error(request, err)
        if exc.headers and not is_cgi(request):  # e.g. Allow on a 405
            response.headers.update(exc.headers)
        return response

    @app.exception_handler(IntegrityError)
    async def integrity_error(request: Request, exc: IntegrityError) -> JSONResponse:
        log.warning("integrity error: %s", exc.orig)
        return render_error(request, SandboxError("与已有数据冲突", code="conflict", status=409))

    @app.exception_handler(DBAPIError)
    async def database_error(request: Request, exc: DBAPIError) -> JSONResponse:
        errcode = bad_value_errcode(exc)
        if errcode is not None:
            log.warning("value refused by the database: %s", exc.orig)
            message = "参数取值超出范围或含有无法保存的字符"
            return render_error(request, BadRequest(message, code="invalid_value", errcode=errcode))
        log.error("database error: %s", exc.orig)
        return render_error(request, DatabaseUnavailable())

    @app.exception_handler(Exception)
    async def unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.exception("unhandled error")
        return render_error(
            request, SandboxError("服务内部错误", code="internal_error", status=500, errcode=-1)
        )


def _method_errcode(exc: StarletteHTTPException) -> int:
    """WeChat's answer to a wrong method: 43002 "require POST method" where POST is allowed, else
    43001 "require GET method" (a POST to `/cgi-bin/token`)."""
    allowed = (exc.headers or {}).get("Allow", "")
    return 43002 if "POST" in allowed else 43001


def lifecycle_router(spec: ServiceSpec) -> APIRouter:
    router = APIRouter(tags=["lifecycle"])
    head = migration_head(spec.migrations_section)
    tables = [t for md in spec.metadata for t in md.sorted_tables]

    @router.get("/healthz", include_in_schema=False)
    async def healthz() -> dict[str, str]:
        return {"status": "ok", "service": spec.name}

    @router.get("/readyz", response_model=Readiness)
    async def readyz(request: Request) -> JSONResponse:
        database, current = "ok", None
        try:
            async with request.app.state.engine.connect() as conn:
                current = await migration_version(conn, spec.migrations_section)
        except Exception as exc:  # any failure here is "not ready", reported, never raised
            database = "ok" if current is None and "alembic_version" in str(exc) else "unavailable"
        at_head = current == head
        status = "ok" if database == "ok" and at_head else "unavailable"
        body = Readiness(
            service=spec.name,
            status=status,
            version=VERSION,
            database=database,
            migrations={"current": current, "head": head, "at_head": at_head},
        )
        return JSONResponse(body.model_dump(), status_code=200 if status == "ok" else 503)

    @router.post(CLOCK_HOOK_PATH, response_model=ClockHookResponse, tags=["internal"])
    async def clock_hook(payload: ClockHookRequest, session: SessionDep) -> ClockHookResponse:
        events = await spec.clock_hook(session, payload) if spec.clock_hook else []
        return ClockHookResponse(events=sorted(events, key=lambda e: e.at))

    @router.post(RESET_PATH, response_model=ResetResponse, tags=["internal"])
    async def reset(session: SessionDep) -> ResetResponse:
        return ResetResponse(service=spec.name, tables=await truncate_tables(session, tables))

    return router


def create_app(spec: ServiceSpec) -> FastAPI:
    configure_logging(spec.settings.log_level)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        exit_with_supervisor()
        engine = make_engine(spec.settings.async_database_url, pool_size=spec.settings.db_pool_size)
        app.state.engine = engine
        app.state.sessionmaker = make_sessionmaker(engine)
        app.state.reader = reader = PoolReader(spec.settings.async_database_url)
        app.state.peers = make_peer_clients(spec.settings, spec.peers)
        # FastAPI builds each included router's route table (dependants, response fields) when a
        # request first scans it: milliseconds that some early request paid (a first sendall ~10 ms).
        # Building the OpenAPI document builds them all now, and caches the document.
        app.openapi()
        try:
            async with spec.extra_lifespan(app) if spec.extra_lifespan else nullcontext():
                freeze_startup_heap()
                yield
        finally:
            for client in app.state.peers.values():
                await client.aclose()
            await reader.close()
            await engine.dispose()
            access_log(spec.name).flush()  # the lines of the last requests, before the process exits

    app = FastAPI(
        title=f"mpsandbox {spec.name}",
        version=VERSION,
        description=spec.description,
        lifespan=lifespan,
        # No OpenTelemetry in the sandbox; left on, FastAPI looked up three unconfigured providers
        # (environment reads included) on every request, ~3 % of a /cgi-bin read.
        telemetry={"tracing": False, "metrics": False, "logs": False},
    )
    app.state.settings = spec.settings
    app.state.service_name = spec.name
    install_error_handlers(app)
    app.include_router(lifecycle_router(spec))
    for router in spec.routers:
        app.include_router(router)
    app.add_middleware(JsonBodyByDefault)
    app.add_middleware(RequestContextMiddleware, service=spec.name)
    return app


def peer(request: Request, name: str) -> Any:
    """The shared httpx client for a peer service, built in lifespan."""
    try:
        return request.app.state.peers[name]
    except KeyError as exc:  # a wiring mistake, not user input
        raise DependencyDown(f"peer {name} is not configured") from exc
