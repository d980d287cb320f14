"""`mpsandbox account create|show`: ready-made accounts from the control plane (SPEC §7).

`create` prints everything a developer needs to start at once — AppID, AppSecret (shown only here,
the sandbox keeps a hash), original id and the operator's console login; `show` prints the state the
sandbox holds for an AppID. `--json` prints the raw answer for scripts. The lead registers the
commands with `register(app)`.
"""

from __future__ import annotations

import json
from enum import StrEnum
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from .client import ApiError, DataDirOption, PortOption, Target, admin_client, err_console, request_json

console = Console(highlight=False)


class AccountType(StrEnum):
    service = "service"
    subscription = "subscription"


CREATED_FIELDS = (
    ("AppID", "appid"),
    ("AppSecret", "secret"),
    ("original id", "original_id"),
    ("operator e-mail", "email"),
    ("operator password", "password"),
    ("name", "name"),
    ("type", "type"),
    ("certified", "certified"),
    ("status", "status"),
    ("namespace", "namespace"),
    ("account id", "account_id"),
)
SHOWN_FIELDS = (
    ("AppID", "appid"),
    ("original id", "original_id"),
    ("name", "name"),
    ("type", "type"),
    ("status", "status"),
    ("namespace", "namespace"),
    ("account id", "account_id"),
    ("operator e-mail", "email"),
    ("WeChat ID", "wechat_id"),
    ("approved at", "approved_at"),
    ("last login at", "last_login_at"),
    ("terminated at", "terminated_at"),
    ("termination reason", "termination_reason"),
    ("followers", "followers"),
)


def _text(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list | dict):
        return json.dumps(value, ensure_ascii=False)
    return str(value)


def field_table(body: dict[str, Any], fields: tuple[tuple[str, str], ...]) -> Table:
    table = Table(show_header=False, box=None, pad_edge=False)
    table.add_column(style="bold", no_wrap=True)
    # Secrets and ids are copied from the terminal: on a narrow one, fold them whole rather than cut them.
    table.add_column(overflow="fold")
    for label, key in fields:
        if key in body:
            table.add_row(label, _text(body[key]))
    return table


def _call(
    target: Target, method: str, path: str, namespace: str | None, payload: dict[str, Any] | None = None
) -> Any:
    with admin_client(namespace, target=target) as http:
        try:
            return request_json(method, path, json=payload, client=http)
        except ApiError as exc:
            status = f"[{exc.status}] " if exc.status else ""
            err_console.print(f"[bold red]error[/] {status}", end="")
            err_console.print(str(exc), markup=False)
            raise typer.Exit(1) from exc


def create(
    account_type: Annotated[
        AccountType, typer.Option("--type", help="service (服务号) or subscription (订阅号).")
    ],
    certified: Annotated[bool, typer.Option("--certified", help="Certify it too (认证).")] = False,
    name: Annotated[
        str | None, typer.Option(help="Account name (R-REG-16 rules); random if omitted.")
    ] = None,
    namespace: Annotated[str | None, typer.Option(help="X-Sandbox-Namespace to create it in.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the raw JSON answer.")] = False,
    port: PortOption = None,
    data_dir: DataDirOption = None,
) -> None:
    """Create an approved account with an operator login, AppID and AppSecret."""
    payload: dict[str, Any] = {"type": account_type.value, "certified": certified}
    if name is not None:
        payload["name"] = name
    body = _call(Target.locate(port, data_dir), "POST", "/_sandbox/accounts", namespace, payload)
    if as_json:
        console.print_json(data=body)
        return
    console.print(field_table(body, CREATED_FIELDS))
    console.print("[dim]The AppSecret is shown only now; reset it in the console if lost.[/]")


def show(
    appid: Annotated[str, typer.Argument(help="The account's AppID.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print the raw JSON answer.")] = False,
    port: PortOption = None,
    data_dir: DataDirOption = None,
) -> None:
    """Show an account's state: status, certification, deadlines, capabilities, timeline."""
    body = _call(Target.locate(port, data_dir), "GET", f"/_sandbox/accounts/{appid}", None)
    if as_json:
        console.print_json(data=body)
        return
    table = field_table(body, SHOWN_FIELDS)
    certification = body.get("certification") or {}
    table.add_row("certified", _text(bool(certification.get("certified"))))
    if certification.get("certified_name"):
        table.add_row("certified name", certification["certified_name"])
    for key, value in (body.get("deadlines") or {}).items():
        if value is not None:
            table.add_row(key.replace("_", " "), _text(value))
    table.add_row("capabilities", ", ".join(body.get("capabilities") or []) or "-")
    console.print(table)
    timeline = body.get("timeline") or []
    if timeline:
        events = Table("at", "event")
        for event in timeline:
            events.add_row(_text(event.get("at")), _text(event.get("kind")))
        console.print(events)


def register(app: typer.Typer) -> None:
    """Add `account create …` and `account show …` to the CLI."""
    account_app = typer.Typer(help="Ready-made sandbox accounts.", no_args_is_help=True)
    account_app.command("create")(create)
    account_app.command("show")(show)
    app.add_typer(account_app, name="account")
