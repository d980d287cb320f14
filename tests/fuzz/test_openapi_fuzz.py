"""API fuzzing (SPEC §8: no request can produce a 5xx): every operation of every service's OpenAPI
document, with schemathesis-generated requests that fit the schema and requests that break it.

Cases are generated deterministically (derandomized Hypothesis, a few per operation) and sent
in-process to the real app on the test's rolled-back connection, carrying the credentials a gateway
would have resolved. Every answer must be below 500 — a 503 included, since no dependency is down —
and in its SPEC §2 shape: `{"error": {code, message}}` outside `/cgi-bin`, HTTP 200 with an
`errcode` on `/cgi-bin`.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Callable
from typing import Any

import httpx
import pytest
import schemathesis
from fastapi import FastAPI
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from hypothesis.errors import HypothesisException
from schemathesis.generation.modes import GenerationMode

from tests.fuzz.conftest import Target

# Per operation and generation mode; raise it for a deeper run: MPSANDBOX_FUZZ_EXAMPLES=200 pytest tests/fuzz
pytestmark = pytest.mark.fuzz

EXAMPLES = int(os.environ.get("MPSANDBOX_FUZZ_EXAMPLES", "6"))
BASE_URL = "http://testserver"
# Fixed values where a generated one would only make the test slow, not more thorough.
FIXED_QUERY: dict[str, dict[str, Any]] = {"GET /_sandbox/outbox/latest": {"wait": 0}}


def _builders() -> dict[str, Callable[[], FastAPI]]:
    from services.certification.app import build_app as certification
    from services.messaging.app import build_app as messaging
    from services.registration.app import build_app as registration
    from services.scheduler.app import build_app as scheduler

    return {
        "registration": registration,
        "certification": certification,
        "messaging": messaging,
        "scheduler": scheduler,
    }


def _schemas() -> dict[str, Any]:
    return {name: schemathesis.openapi.from_dict(build().openapi()) for name, build in _builders().items()}


SCHEMAS = _schemas()
OPERATIONS = [
    pytest.param(service, result.ok().label, id=f"{service}:{result.ok().label}")
    for service, schema in SCHEMAS.items()
    for result in schema.get_all_operations()
]


_settings = settings(
    max_examples=EXAMPLES,
    derandomize=True,
    database=None,
    deadline=None,
    phases=[Phase.explicit, Phase.generate],
    suppress_health_check=list(HealthCheck),
)


def generate(operation: Any, mode: GenerationMode, path_parameters: dict[str, str]) -> list[Any]:
    """A few deterministic cases of one operation (none when the mode cannot express any)."""
    cases: list[Any] = []
    known = {k: v for k, v in path_parameters.items() if "{" + k + "}" in operation.path}
    query = FIXED_QUERY.get(operation.label)
    strategies = [operation.as_strategy(generation_mode=mode, query=query)]
    if known and mode.is_positive:  # also aim at real rows, not only at 404s
        strategies.append(operation.as_strategy(generation_mode=mode, path_parameters=known, query=query))

    for strategy in strategies:

        @_settings
        @given(case=strategy)
        def collect(case: Any) -> None:
            cases.append(case)

        try:
            collect()
        except HypothesisException:  # e.g. nothing negative to say about an operation without inputs
            continue
    return cases


# Handlers that read their JSON themselves (`cgi_json`: WeChat bodies, sent with no Content-Type)
# declare no body in OpenAPI, so schemathesis sends them none. These bodies use the field names such
# handlers look up, with values of every JSON type, nested, so type confusion reaches the handler.
FIELD_NAMES = (
    "filter", "is_to_all", "tag_id", "group_id", "msgtype", "text", "content", "media_id", "touser",
    "towxname", "openid", "openid_list", "user_list", "lang", "remark", "tag", "tagid", "id", "name",
    "msg_id", "article_idx", "type", "offset", "count", "articles", "title", "thumb_media_id",
    "author", "digest", "show_cover_pic", "content_source_url", "index", "description", "clientmsgid",
    "send_ignore_reprint", "mpnews", "image", "voice", "mpvideo", "video", "next_openid",
    "begin_openid", "grant_type", "appid", "secret", "force_refresh",
)  # fmt: skip
_keys = st.sampled_from(FIELD_NAMES) | st.text(max_size=4)
_scalars = (
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=12)
    | st.sampled_from(["", "0", "1", "text", "image", "mpnews", "news", "zh_CN", "\x00", "a" * 300])
)  # fmt: skip
JSON_VALUES = st.recursive(
    _scalars,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(_keys, inner, max_size=4),
    max_leaves=12,
)
JSON_BODIES = st.dictionaries(_keys, JSON_VALUES, max_size=6) | JSON_VALUES


def undeclared_bodies(operation: Any) -> list[bytes]:
    """Raw JSON bodies for a POST/PUT/PATCH whose OpenAPI document declares none."""
    if operation.method.upper() not in ("POST", "PUT", "PATCH") or operation.body:
        return []
    bodies: list[bytes] = []

    @_settings
    @given(body=JSON_BODIES)
    def collect(body: Any) -> None:
        bodies.append(json.dumps(body, ensure_ascii=False).encode())

    collect()
    return [b"", b"{", b"null", b"[]", *bodies]


def as_httpx(case: Any, headers: dict[str, str]) -> dict[str, Any]:
    """schemathesis' requests-style arguments as httpx's."""
    kwargs = case.as_transport_kwargs(base_url=BASE_URL)
    generated = kwargs.get("headers") or {}
    request_headers = {k: v for k, v in generated.items() if k.lower() not in ("connection", "user-agent")}
    request_headers.update(headers)
    out: dict[str, Any] = {
        "method": kwargs["method"],
        "url": kwargs["url"],
        "headers": request_headers,
        "params": kwargs.get("params") or None,
        "cookies": kwargs.get("cookies") or None,
    }
    if "json" in kwargs:
        out["content"] = json.dumps(kwargs["json"]).encode()
    elif isinstance(kwargs.get("data"), str | bytes):
        data = kwargs["data"]
        out["content"] = data.encode() if isinstance(data, str) else data
    else:
        if kwargs.get("data"):
            out["data"] = kwargs["data"]
        if kwargs.get("files"):
            out["files"] = kwargs["files"]
    return out


def _concrete(path: str, known: dict[str, str]) -> str:
    """The operation's path with real values where known, a placeholder elsewhere."""
    for name in re.findall(r"{(\w+)}", path):
        path = path.replace("{" + name + "}", known.get(name, "x"))
    return path


def shape_problem(path: str, response: httpx.Response) -> str | None:
    """What is wrong with this answer, by SPEC §2 and §8; None when nothing is."""
    if response.status_code >= 500:
        return "server error"
    try:
        body = response.json()
    except ValueError:
        body = None
    if path.startswith("/cgi-bin"):
        if response.status_code != 200:
            return "/cgi-bin answers HTTP 200"
        if isinstance(body, dict) and ("error" in body or not isinstance(body.get("errcode", 0), int)):
            return "/cgi-bin errors are {errcode, errmsg}"
        return None
    if response.status_code >= 400:
        error = body.get("error") if isinstance(body, dict) else None
        if not (isinstance(error, dict) and isinstance(error.get("code"), str) and error.get("message")):
            return 'errors are {"error": {"code", "message"}}'
    return None


class TestNoServerErrors:
    @pytest.mark.parametrize(("service", "label"), OPERATIONS)
    async def test_generated_requests_get_a_client_answer(
        self, service: str, label: str, target: Target
    ) -> None:
        operation = SCHEMAS[service].find_operation_by_label(label)
        assert operation is not None
        problems: list[str] = []
        sent = 0
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            for case in generate(operation, mode, target.path_parameters):
                try:
                    request = target.client.build_request(**as_httpx(case, target.headers))
                    request.read()
                except (UnicodeEncodeError, httpx.InvalidURL, TypeError, ValueError, AttributeError):
                    continue  # not expressible on the wire by an HTTP client: nothing to send
                response = await target.client.send(request)
                sent += 1
                problem = shape_problem(operation.path, response)
                if problem:
                    body = request.content[:300] if request.content else b""
                    problems.append(
                        f"{problem}: {request.method} {request.url} body={body!r} "
                        f"→ {response.status_code} {response.text[:300]}"
                    )
        url = BASE_URL + _concrete(operation.path, target.path_parameters)
        base = {"url": url, "headers": target.headers}
        for body in undeclared_bodies(operation):
            request = target.client.build_request(operation.method.upper(), content=body, **base)
            response = await target.client.send(request)
            sent += 1
            problem = shape_problem(operation.path, response)
            if problem:
                problems.append(
                    f"{problem}: {request.method} {request.url} body={body[:300]!r} "
                    f"→ {response.status_code} {response.text[:300]}"
                )
        assert sent, f"no request could be generated for {label}"
        assert not problems, "\n".join(problems)
