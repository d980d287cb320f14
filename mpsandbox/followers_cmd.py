"""`mpsandbox followers add APPID COUNT`: simulated followers through the control plane (R-MSG-01).

Large counts go in chunks (one set-based call each) so the progress bar moves and no single request
runs for long; the lead registers the command with `register(app)`.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from .client import ApiError, DataDirOption, PortOption, Target, admin_client, err_console, request_json

MAX_COUNT = 1_000_000  # what one call accepts; the CLI accepts more and chunks
DEFAULT_CHUNK = 100_000

console = Console(highlight=False)


class Gender(StrEnum):
    unknown = "unknown"
    male = "male"
    female = "female"

    @property
    def code(self) -> int:
        return {"unknown": 0, "male": 1, "female": 2}[self.value]


class Language(StrEnum):
    zh_CN = "zh_CN"
    zh_TW = "zh_TW"
    en = "en"


def chunks(total: int, size: int) -> list[int]:
    """Split `total` into calls of at most `size` (the last one smaller)."""
    full, rest = divmod(total, size)
    return [size] * full + ([rest] if rest else [])


def seed_body(count: int, **attributes: Any) -> dict[str, Any]:
    return {"count": count, **{k: v for k, v in attributes.items() if v is not None}}


def add(
    appid: Annotated[str, typer.Argument(help="The account's AppID.")],
    count: Annotated[int, typer.Argument(min=1, help="How many followers to create.")],
    gender: Annotated[Gender | None, typer.Option(help="Give every follower this gender.")] = None,
    country: Annotated[str | None, typer.Option(help="e.g. 中国")] = None,
    province: Annotated[str | None, typer.Option(help="e.g. 广东")] = None,
    city: Annotated[str | None, typer.Option(help="e.g. 广州")] = None,
    language: Annotated[Language | None, typer.Option(help="zh_CN, zh_TW or en")] = None,
    chunk: Annotated[int, typer.Option(min=1, max=MAX_COUNT, help="Followers per request.")] = DEFAULT_CHUNK,
    namespace: Annotated[str | None, typer.Option(help="X-Sandbox-Namespace to send.")] = None,
    port: PortOption = None,
    data_dir: DataDirOption = None,
) -> None:
    """Create COUNT simulated followers of APPID (unspecified attributes spread realistically)."""
    attributes = {
        "gender": gender.code if gender else None,
        "country": country,
        "province": province,
        "city": city,
        "language": language.value if language else None,
    }
    created = 0
    openids: list[str] = []
    columns = (TextColumn("followers"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn())
    target = Target.locate(port, data_dir)
    with (
        admin_client(namespace, target=target, timeout=300.0) as http,
        Progress(*columns, console=console) as progress,
    ):
        task = progress.add_task("seed", total=count)
        for size in chunks(count, chunk):
            try:
                body = request_json(
                    "POST",
                    f"/_sandbox/accounts/{appid}/followers",
                    json=seed_body(size, **attributes),
                    client=http,
                )
            except ApiError as exc:
                progress.stop()
                err_console.print(f"[bold red]error[/] after {created} created: ", end="")
                err_console.print(str(exc), markup=False)
                raise typer.Exit(1) from exc
            created += int(body["created"])
            openids.extend(body.get("openids") or [])
            progress.advance(task, int(body["created"]))
    console.print(f"created {created} followers of {appid}")
    if count <= 1000:
        for openid in openids:
            console.print(openid)


def register(app: typer.Typer) -> None:
    """Add `followers add …` to the CLI."""
    followers_app = typer.Typer(help="Simulated followers of an account.", no_args_is_help=True)
    followers_app.command("add")(add)
    app.add_typer(followers_app, name="followers")
