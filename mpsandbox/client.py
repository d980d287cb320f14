"""The command line's HTTP helper: the gateway's address, the admin key, and errors printed as SPEC §2.

Commands call `api_call(...)`; a gateway error or an unreachable gateway prints one clear line on
stderr and exits non-zero, so every command behaves the same way.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

import httpx
import typer
from rich.console import Console

from servicekit.context import ADMIN_KEY_HEADER, NAMESPACE_HEADER
from servicekit.settings import DEFAULT_GATEWAY_PORT, loopback_url

from .supervisor import ADMIN_KEY_FILENAME, data_dir_from_env

err_console = Console(stderr=True, highlight=False)

# Every command takes these, with the meaning `mpsandbox up` gives them, so a second sandbox
# (`up --port 9000 --data-dir .sandbox2`) is driven with the same two flags.
PortOption = Annotated[
    int | None,
    typer.Option(
        "--port", "-p", min=1, max=65535,
        help="The sandbox's gateway port (default $MPSANDBOX_GATEWAY_PORT or 8000).",
    ),
]  # fmt: skip
DataDirOption = Annotated[
    Path | None,
    typer.Option(
        "--data-dir", file_okay=False,
        help="The sandbox's data directory (default $MPSANDBOX_DATA_DIR or ./.mpsandbox).",
    ),
]  # fmt: skip


class ApiError(Exception):
    """The gateway answered with an error status, or could not be reached."""

    def __init__(self, message: str, *, status: int | None = None, code: str | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.code = code


@dataclass(frozen=True)
class Target:
    """The sandbox a command talks to: its gateway and the admin key for `/_sandbox`."""

    url: str
    admin_key: str | None

    @classmethod
    def locate(
        cls,
        port: int | None = None,
        data_dir: Path | None = None,
        environ: Mapping[str, str] | None = None,
    ) -> Target:
        """`--port`/`--data-dir` when given, else the environment `mpsandbox up` reads."""
        return cls(
            url=gateway_url(environ, port=port),
            admin_key=configured_admin_key(environ, data_dir=data_dir),
        )


def gateway_url(environ: Mapping[str, str] | None = None, *, port: int | None = None) -> str:
    """`port` (the flag), else MPSANDBOX_URL, else MPSANDBOX_GATEWAY_PORT on loopback, else :8000."""
    env = os.environ if environ is None else environ
    if port is not None:
        return loopback_url(port)
    if env.get("MPSANDBOX_URL"):
        return env["MPSANDBOX_URL"].rstrip("/")
    return loopback_url(int(env.get("MPSANDBOX_GATEWAY_PORT") or DEFAULT_GATEWAY_PORT))


def configured_admin_key(
    environ: Mapping[str, str] | None = None, *, data_dir: Path | None = None
) -> str | None:
    """The key `mpsandbox up` saved in `data_dir` (the flag), else MPSANDBOX_ADMIN_KEY, else the key
    saved in $MPSANDBOX_DATA_DIR (or ./.mpsandbox); None if there is none.

    A sandbox started with MPSANDBOX_ADMIN_KEY saves no key: then even with `--data-dir` the
    environment's key is the one.
    """
    env = os.environ if environ is None else environ
    if data_dir is not None:
        saved = _saved_key(data_dir)
        if saved:
            return saved
    if env.get("MPSANDBOX_ADMIN_KEY"):
        return env["MPSANDBOX_ADMIN_KEY"]
    if data_dir is not None:
        return None
    return _saved_key(data_dir_from_env(env))


def _saved_key(data_dir: Path) -> str | None:
    try:
        return (data_dir / ADMIN_KEY_FILENAME).read_text().strip() or None
    except FileNotFoundError:
        return None


def admin_client(
    namespace: str | None = None, *, target: Target | None = None, timeout: float = 30.0
) -> httpx.Client:
    """An httpx client on the gateway carrying the admin key (and the namespace, when given)."""
    target = target or Target.locate()
    headers: dict[str, str] = {}
    if target.admin_key:
        headers[ADMIN_KEY_HEADER] = target.admin_key
    if namespace:
        headers[NAMESPACE_HEADER] = namespace
    # trust_env=False: the sandbox is local; an HTTP proxy from the environment would only get in the way.
    return httpx.Client(base_url=target.url, headers=headers, timeout=timeout, trust_env=False)


def describe_error(response: httpx.Response) -> ApiError:
    """SPEC §2 body → "code: message (field)"; anything else → the status and the start of the body."""
    try:
        body = response.json()
    except ValueError:
        body = None
    error = body.get("error") if isinstance(body, dict) else None
    if isinstance(error, dict) and "message" in error:
        code = str(error.get("code", "error"))
        field = f" (field: {error['field']})" if error.get("field") else ""
        return ApiError(f"{code}: {error['message']}{field}", status=response.status_code, code=code)
    text = response.text.strip()[:300] or response.reason_phrase
    return ApiError(f"HTTP {response.status_code}: {text}", status=response.status_code)


def request_json(
    method: str,
    path: str,
    *,
    namespace: str | None = None,
    json: Any = None,
    params: Mapping[str, Any] | None = None,
    client: httpx.Client | None = None,
    target: Target | None = None,
    accept: tuple[int, ...] = (),
) -> Any:
    """One admin request; returns the decoded JSON body or raises ApiError.

    Statuses in `accept` are answers, not errors (the health report comes with 503 when degraded).
    """
    own = client is None
    http = client or admin_client(namespace, target=target)
    try:
        response = http.request(method, path, json=json, params=params)
    except httpx.TransportError as exc:
        raise ApiError(
            f"cannot reach the sandbox at {http.base_url} ({type(exc).__name__}); is `mpsandbox up` running?"
        ) from exc
    finally:
        if own:
            http.close()
    if response.status_code >= 400 and response.status_code not in accept:
        raise describe_error(response)
    if not response.content:
        return None
    return response.json()


def api_call(method: str, path: str, **kwargs: Any) -> Any:
    """`request_json` for commands: on error print it on stderr and exit with status 1."""
    try:
        return request_json(method, path, **kwargs)
    except ApiError as exc:
        status = f"[{exc.status}] " if exc.status else ""
        err_console.print(f"[bold red]error[/] {status}", end="")
        err_console.print(str(exc), markup=False)
        raise typer.Exit(1) from exc
