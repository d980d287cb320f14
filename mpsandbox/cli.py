"""`mpsandbox`: start the sandbox and drive its control plane (`/_sandbox`) from a terminal.

More commands live in their own modules (`<topic>_cmd.py`, calling `client.api_call`), each with a
`register(app)` function called at the bottom of this file.
"""

from __future__ import annotations

import re
import shlex
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape
from rich.panel import Panel
from rich.table import Table

from . import account_cmd, followers_cmd, outbox_cmd
from .client import DataDirOption, PortOption, Target, api_call
from .supervisor import Supervisor, SupervisorError, rich_sink

app = typer.Typer(
    name="mpsandbox",
    help="Offline sandbox of the WeChat Official Accounts Platform for government accounts.",
    no_args_is_help=True,
    add_completion=False,
)
clock_app = typer.Typer(help="Show and move a namespace's sandbox clock.", no_args_is_help=True)
app.add_typer(clock_app, name="clock")

console = Console(highlight=False)
err_console = Console(stderr=True, highlight=False)

NamespaceOption = Annotated[
    str | None,
    typer.Option(
        "--namespace", "-n", help="Sandbox namespace (header X-Sandbox-Namespace); default: default."
    ),
]

_UNITS = {"wd": "working_days", "d": "days", "h": "hours", "m": "minutes"}
_DURATION = re.compile(r"(\d+)(wd|d|h|m)")


def parse_duration(text: str) -> dict[str, int]:
    """`3d`, `12h`, `30m`, `5wd`, or a combination like `1d12h` → the clock-advance body.

    Raises ValueError on anything else (empty, negative, unknown unit, zero in total).
    """
    compact = text.strip().lower().replace(" ", "")
    if not compact:
        raise ValueError("empty duration")
    body: dict[str, int] = {}
    position = 0
    for match in _DURATION.finditer(compact):
        if match.start() != position:
            break
        field = _UNITS[match.group(2)]
        if field in body:
            raise ValueError(f"unit {match.group(2)!r} given twice in {text!r}")
        body[field] = int(match.group(1))
        position = match.end()
    if position != len(compact):
        raise ValueError(f"cannot read {text!r}: use e.g. 3d, 12h, 30m, 5wd or 1d12h")
    if not any(body.values()):
        raise ValueError(f"{text!r} does not move the clock")
    return body


# -- up ---------------------------------------------------------------------------------------------


@app.command()
def up(
    gateway_port: PortOption = None,
    data_dir: Annotated[
        Path | None,
        typer.Option(
            "--data-dir",
            file_okay=False,
            help="Database files and the generated admin key (default $MPSANDBOX_DATA_DIR or ./.mpsandbox).",
        ),
    ] = None,
) -> None:
    """Start PostgreSQL (embedded unless DATABASE_URL is set), migrate, and run every service.

    The services listen on the gateway port + 101…104 (8101…8104 for 8000) unless
    MPSANDBOX_<SERVICE>_PORT says otherwise: a second sandbox needs only another --port and --data-dir.
    """
    try:
        supervisor = Supervisor(
            data_dir=data_dir, ports={"gateway": gateway_port} if gateway_port else None, sink=rich_sink()
        )
    except SupervisorError as exc:
        err_console.print("[bold red]mpsandbox could not start[/]")
        err_console.print(str(exc), markup=False)
        raise typer.Exit(1) from exc

    def announce(ready: Supervisor) -> None:
        # Other commands find this sandbox with the same flags; say so when the defaults would miss it.
        hint = ""
        if gateway_port is not None or data_dir is not None:
            where = f"--port {ready.ports['gateway']} --data-dir {shlex.quote(str(ready.data_dir))}"
            hint = f"\n[bold]commands[/]  mpsandbox … {escape(where)}"
        console.print(
            Panel.fit(
                f"[bold]gateway[/]   {ready.gateway_url}\n"
                f"[bold]API docs[/]  {ready.gateway_url}/docs\n"
                f"[bold]admin key[/] {ready.admin_key}   (header X-Sandbox-Key)\n"
                f"[bold]data dir[/]  {ready.data_dir}{hint}",
                title="mpsandbox is ready",
                border_style="green",
            )
        )

    console.print(f"starting the sandbox in {supervisor.data_dir} (database, migrations, services)…")
    try:
        code = supervisor.run(on_ready=announce)
    except SupervisorError as exc:
        err_console.print("[bold red]mpsandbox could not start[/]")
        err_console.print(str(exc), markup=False)
        raise typer.Exit(1) from exc
    raise typer.Exit(code)


# -- status, reset ----------------------------------------------------------------------------------


def _health_rows(health: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    """`services` as a mapping or a list, plus the database entry, as (name, details) rows."""
    services = health.get("services", {})
    if isinstance(services, dict):
        rows = [
            (str(name), info if isinstance(info, dict) else {"status": info})
            for name, info in services.items()
        ]
    else:
        rows = [
            (str(info.get("service") or info.get("name")), info)
            for info in services
            if isinstance(info, dict)
        ]
    database = health.get("database")
    if database is not None:
        rows.append(("database", database if isinstance(database, dict) else {"status": database}))
    return rows


@app.command()
def status(port: PortOption = None, data_dir: DataDirOption = None) -> None:
    """Health of the gateway, every service and the database."""
    # A degraded sandbox answers 503 with the same report: show it, it says what is down.
    health = api_call("GET", "/_sandbox/health", target=Target.locate(port, data_dir), accept=(503,))
    table = Table(title=f"mpsandbox — {health.get('status', '?')}")
    for column in ("component", "status", "version", "migrations", "detail"):
        table.add_column(column)
    healthy = True
    for name, info in _health_rows(health):
        state = str(info.get("status", "?"))
        healthy = healthy and state == "ok"
        migrations = info.get("migrations") or {}
        at_head = migrations.get("at_head") if isinstance(migrations, dict) else None
        table.add_row(
            name,
            f"[green]{state}[/]" if state == "ok" else f"[red]{state}[/]",
            str(info.get("version", "")),
            "" if at_head is None else ("at head" if at_head else f"behind ({migrations.get('current')})"),
            str(info.get("error") or info.get("detail") or info.get("database") or ""),
        )
    console.print(table)
    if not healthy or health.get("status", "ok") != "ok":
        raise typer.Exit(1)


@app.command()
def reset(
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Do not ask for confirmation.")] = False,
    port: PortOption = None,
    data_dir: DataDirOption = None,
) -> None:
    """Delete every account, message and setting; clocks back to real time (schemas stay)."""
    target = Target.locate(port, data_dir)
    if not yes:
        typer.confirm(f"Delete all data of the sandbox at {target.url}?", abort=True)
    api_call("POST", "/_sandbox/reset", target=target)
    console.print("[green]sandbox reset[/]")


# -- clock ------------------------------------------------------------------------------------------


def _print_clock(body: dict[str, Any]) -> None:
    frozen = " [yellow](frozen)[/]" if body.get("frozen") else ""
    console.print(f"[bold]{body.get('namespace', 'default')}[/]  {body.get('now')}{frozen}")
    if body.get("offset_seconds") is not None:
        console.print(f"offset {body['offset_seconds']} s from real time")


@clock_app.command("show")
def clock_show(
    namespace: NamespaceOption = None, port: PortOption = None, data_dir: DataDirOption = None
) -> None:
    """The namespace's current sandbox time."""
    target = Target.locate(port, data_dir)
    _print_clock(api_call("GET", "/_sandbox/clock", namespace=namespace, target=target))


@clock_app.command("advance")
def clock_advance(
    duration: Annotated[
        str | None, typer.Argument(help="3d, 12h, 30m, 5wd (working days) or e.g. 1d12h")
    ] = None,
    to: Annotated[str | None, typer.Option("--to", help="Move to this ISO 8601 time instead.")] = None,
    namespace: NamespaceOption = None,
    port: PortOption = None,
    data_dir: DataDirOption = None,
) -> None:
    """Move the clock forward and run everything that falls due (deadlines, sweeps, notices)."""
    if (duration is None) == (to is None):
        raise typer.BadParameter("give either a duration (e.g. 3d) or --to ISO-TIME")
    if duration is not None:
        try:
            body: dict[str, Any] = dict(parse_duration(duration))
        except ValueError as exc:
            raise typer.BadParameter(str(exc), param_hint="DURATION") from exc
    else:
        body = {"to": to}
    target = Target.locate(port, data_dir)
    result = api_call("POST", "/_sandbox/clock/advance", namespace=namespace, json=body, target=target)
    console.print(
        f"[bold]{result.get('namespace', 'default')}[/]  {result.get('from')} → {result.get('now')}"
    )
    events = result.get("events") or []
    if events:
        table = Table("at", "service", "kind", "account")
        for event in events:
            table.add_row(str(event.get("at")), str(event.get("service")), str(event.get("kind")),
                          str(event.get("account_id") or ""))  # fmt: skip
        console.print(table)
    else:
        console.print("no events")


@clock_app.command("freeze")
def clock_freeze(
    namespace: NamespaceOption = None, port: PortOption = None, data_dir: DataDirOption = None
) -> None:
    """Stop the namespace's clock at its current time."""
    target = Target.locate(port, data_dir)
    _print_clock(api_call("POST", "/_sandbox/clock/freeze", namespace=namespace, target=target))


@clock_app.command("unfreeze")
def clock_unfreeze(
    namespace: NamespaceOption = None, port: PortOption = None, data_dir: DataDirOption = None
) -> None:
    """Let the namespace's clock run again (the offset is kept)."""
    target = Target.locate(port, data_dir)
    _print_clock(api_call("POST", "/_sandbox/clock/unfreeze", namespace=namespace, target=target))


# -- commands kept in their own modules (each has `register(app)`) ----------------------------------

for _module in (account_cmd, followers_cmd, outbox_cmd):
    _module.register(app)
