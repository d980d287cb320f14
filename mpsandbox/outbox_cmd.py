"""`mpsandbox outbox --to ADDRESS`: what the sandbox sent (R-OUT-01), read from the control plane.

Without `--wait` it lists every matching message, oldest first; with `--wait N` it long-polls for the
newest one (up to N seconds, at most 30) — the way a script waits for an activation e-mail or an SMS
code. `--json` prints the raw answer for scripts. The lead registers the command with `register(app)`.
"""

from __future__ import annotations

import json
from enum import StrEnum
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from .client import ApiError, DataDirOption, PortOption, Target, admin_client, err_console, request_json

MAX_WAIT = 30.0
console = Console(highlight=False)


class Channel(StrEnum):
    email = "email"
    sms = "sms"
    wechat = "wechat"
    notification = "notification"


def query(to: str, kind: str | None, channel: Channel | None) -> dict[str, str]:
    params = {"to": to, "kind": kind, "channel": channel.value if channel else None}
    return {k: v for k, v in params.items() if v is not None}


def parsed_fields(data: dict[str, Any]) -> str:
    """The fields testers look for (link, token, code, day), one `name=value` each."""
    return "  ".join(f"{name}={data[name]}" for name in ("link", "token", "code", "day") if name in data)


def print_entries(entries: list[dict[str, Any]]) -> None:
    table = Table("created_at", "channel", "kind", "to", "subject", "parsed")
    for entry in entries:
        table.add_row(
            str(entry.get("created_at", "")),
            str(entry.get("channel", "")),
            str(entry.get("kind", "")),
            str(entry.get("to", "")),
            str(entry.get("subject", "")),
            parsed_fields(entry.get("data") or {}),
        )
    console.print(table)


def outbox(
    to: Annotated[str, typer.Option("--to", help="E-mail address, phone number or account id.")],
    kind: Annotated[str | None, typer.Option(help="e.g. activation, sms_code, deregistration_notice")] = None,
    channel: Annotated[Channel | None, typer.Option(help="email, sms, wechat or notification")] = None,
    wait: Annotated[
        float | None,
        typer.Option(min=0, max=MAX_WAIT, help="Wait up to N seconds for the newest matching message."),
    ] = None,
    namespace: Annotated[str | None, typer.Option(help="X-Sandbox-Namespace to send.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the raw JSON answer.")] = False,
    port: PortOption = None,
    data_dir: DataDirOption = None,
) -> None:
    """Messages the sandbox sent: activation e-mails, SMS codes, WeChat notices, notifications."""
    params: dict[str, Any] = query(to, kind, channel)
    path = "/_sandbox/outbox"
    if wait is not None:
        path, params["wait"] = "/_sandbox/outbox/latest", wait
    # The long-poll holds the request open for `wait` seconds: the client must outlast it.
    target = Target.locate(port, data_dir)
    with admin_client(namespace, target=target, timeout=(wait or 0) + 15.0) as http:
        try:
            result = request_json("GET", path, params=params, client=http)
        except ApiError as exc:
            if exc.status == 404 and wait is not None:
                err_console.print(f"no matching message within {wait:g} s")
            else:
                status = f"[{exc.status}] " if exc.status else ""
                err_console.print("[bold red]error[/] ", end="")
                err_console.print(f"{status}{exc}", markup=False)
            raise typer.Exit(1) from exc
    entries = [result] if wait is not None else list(result.get("items", []))
    if as_json:
        console.print_json(json.dumps(result, ensure_ascii=False))
    elif not entries:
        console.print("no matching messages")
    else:
        print_entries(entries)


def register(app: typer.Typer) -> None:
    app.command("outbox")(outbox)
