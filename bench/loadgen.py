"""What the benchmarks in bench/ share: free ports, readiness, and the two load generators.

`wrk` (pinned to one core when `taskset` exists) when it is installed, else a Python keep-alive
generator (httptools) — `pick_load()` chooses. Every generator returns a `Result`: req/s, p50, p99.
Scripts in bench/ run as `python bench/<name>.py`, so this module is imported as `loadgen`.
"""

from __future__ import annotations

import asyncio
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
Load = Callable[[str, int, int], "Result"]


@dataclass
class Result:
    rps: float
    p50_ms: float
    p99_ms: float


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


def start(app: str, port: int, env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    """`uvicorn app` on 127.0.0.1:port (uvloop, httptools, no access log), output appended to `log`."""
    command = [sys.executable, "-m", "uvicorn", app, "--host", "127.0.0.1", "--port", str(port)]
    command += ["--loop", "uvloop", "--http", "httptools", "--no-access-log", "--log-level", "warning"]
    with log.open("ab") as out:
        return subprocess.Popen(command, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)


def wait_ready(url: str, deadline: float = 30.0) -> None:
    until = time.monotonic() + deadline
    while time.monotonic() < until:
        try:
            with urllib.request.urlopen(url, timeout=1):
                return
        except OSError:
            time.sleep(0.2)
    raise SystemExit(f"{url} did not come up")


def status_of(url: str) -> int:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            status: int = response.status
    except urllib.error.HTTPError as exc:
        status = exc.code
    return status


_UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0}


def _ms(text: str) -> float:
    number, unit = re.fullmatch(r"([\d.]+)(us|ms|s)", text.strip()).groups()  # type: ignore[union-attr]
    return float(number) * _UNITS[unit]


def run_wrk(url: str, connections: int, duration: int) -> Result:
    command = ["wrk", "-t1", f"-c{connections}", f"-d{duration}s", "--latency", url]
    if shutil.which("taskset") and (os.cpu_count() or 1) > 1:
        command = ["taskset", "-c", "0", *command]
    output = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))  # type: ignore[union-attr]
    p50 = _ms(re.search(r"\s50%\s+(\S+)", output).group(1))  # type: ignore[union-attr]
    p99 = _ms(re.search(r"\s99%\s+(\S+)", output).group(1))  # type: ignore[union-attr]
    return Result(rps, p50, p99)


async def _python_load(host: str, port: int, path: str, connections: int, duration: float) -> Result:
    import httptools

    request = f"GET {path} HTTP/1.1\r\nHost: {host}:{port}\r\n\r\n".encode()
    latencies: list[float] = []
    stop = time.monotonic() + duration

    async def one() -> None:
        reader, writer = await asyncio.open_connection(host, port)
        done = asyncio.Event()

        class Sink:
            def on_message_complete(self) -> None:
                done.set()

        parser = httptools.HttpResponseParser(Sink())
        while time.monotonic() < stop:
            done.clear()
            started = time.perf_counter()
            writer.write(request)
            while not done.is_set():
                parser.feed_data(await reader.read(65536))
            latencies.append((time.perf_counter() - started) * 1000)
        writer.close()

    began = time.monotonic()
    await asyncio.gather(*(one() for _ in range(connections)))
    elapsed = time.monotonic() - began
    cuts = statistics.quantiles(latencies, n=100)
    return Result(len(latencies) / elapsed, cuts[49], cuts[98])


def run_python(url: str, connections: int, duration: int) -> Result:
    parts = urllib.parse.urlsplit(url)
    path = parts.path + (f"?{parts.query}" if parts.query else "")
    return asyncio.run(_python_load(parts.hostname or "", parts.port or 80, path, connections, duration))


def cpu_seconds(pid: int) -> float | None:
    """User + system CPU of a process so far (Linux /proc), or None elsewhere."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def pick_load() -> tuple[Load, str]:
    """The load generator and how to describe it in the output."""
    if shutil.which("wrk"):
        return run_wrk, "wrk (pinned to cpu 0)"
    return run_python, "python keep-alive fallback (no wrk found)"
