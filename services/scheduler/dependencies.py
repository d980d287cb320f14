from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Header, Request

from servicekit.clock import DEFAULT_NAMESPACE
from servicekit.context import NAMESPACE_HEADER
from servicekit.errors import BadRequest
from services.scheduler.clock.rules import is_valid_namespace
from services.scheduler.runtime import Runtime


def sandbox_namespace(
    namespace: Annotated[str | None, Header(alias=NAMESPACE_HEADER)] = None,
) -> str:
    if namespace is None:
        return DEFAULT_NAMESPACE
    if not is_valid_namespace(namespace):
        raise BadRequest(
            "命名空间只能包含字母、数字、下划线、点和连字符，长度 1–64",
            code="invalid_namespace",
            field=NAMESPACE_HEADER,
        )
    return namespace


def runtime(request: Request) -> Runtime:
    return Runtime.from_app(request.app)


NamespaceDep = Annotated[str, Depends(sandbox_namespace)]
RuntimeDep = Annotated[Runtime, Depends(runtime)]
