"""Gateway overhead, measured in one run: a light request to a service direct vs. through the gateway.

    .venv/bin/python bench/gateway.py [--duration 5] [--path /api/v1/certifications/bench]

Starts a throwaway PostgreSQL, the certification service and the gateway (uvicorn, uvloop,
httptools, 127.0.0.1 only), then loads both with `wrk` (pinned to one core when `taskset` exists)
or, without wrk, a Python keep-alive load generator. Prints req/s at --connections, p50, p99 at
--tail-connections, and the ratios the goal is stated in (PERFORMANCE.md: ≥ 0.5×, ≤ 2 ms at p50).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


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


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--duration", type=int, default=5, help="seconds per measurement")
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--tail-connections", type=int, default=64)
    parser.add_argument("--path", default="/api/v1/certifications/bench", help="routed to certification")
    args = parser.parse_args()

    from servicekit.testing import TestDatabase

    load = run_wrk if shutil.which("wrk") else run_python
    generator = "wrk (pinned to cpu 0)" if load is run_wrk else "python keep-alive fallback (no wrk found)"
    print(f"load generator: {generator}; {args.duration}s per run", flush=True)
    db = TestDatabase()
    database_url = db.start()
    service_port, gateway_port = free_port(), free_port()
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "MPSANDBOX_ADMIN_KEY": "bench-key",
        "MPSANDBOX_CERTIFICATION_URL": f"http://127.0.0.1:{service_port}",
        "MPSANDBOX_LOG_LEVEL": "info",  # the gateway's access log stays on: its cost is part of the hop
    }
    processes: list[subprocess.Popen[bytes]] = []
    with tempfile.TemporaryDirectory(prefix="mpsandbox-bench-") as tmp:
        log = Path(tmp) / "servers.log"
        try:
            processes.append(start("services.certification.app:app", service_port, env, log))
            processes.append(start("gateway.app:app", gateway_port, env, log))
            wait_ready(f"http://127.0.0.1:{service_port}/healthz")
            wait_ready(f"http://127.0.0.1:{gateway_port}/healthz")
            direct = f"http://127.0.0.1:{service_port}{args.path}"
            through = f"http://127.0.0.1:{gateway_port}{args.path}"
            print(f"GET {args.path}: HTTP {status_of(direct)} direct, HTTP {status_of(through)} via gateway")
            load(direct, 4, 1)  # warm-up: connections, pools, caches
            load(through, 4, 1)
            results: dict[str, Result] = {}
            for name, url, connections in (
                ("direct-single", direct, 1),
                ("gateway-single", through, 1),
                ("direct", direct, args.connections),
                ("gateway", through, args.connections),
                ("direct-tail", direct, args.tail_connections),
                ("gateway-tail", through, args.tail_connections),
            ):
                results[name] = load(url, connections, args.duration)
                r = results[name]
                print(
                    f"{name:>14} c={connections:<3} {r.rps:9.0f} req/s",
                    f"p50 {r.p50_ms:6.2f} ms  p99 {r.p99_ms:7.2f} ms",
                    flush=True,
                )
        finally:
            for process in processes:
                process.terminate()
            for process in processes:
                process.wait(timeout=10)
            db.stop()
    d, g = results["direct"], results["gateway"]
    print(f"throughput ratio (gateway/direct, c={args.connections}): {g.rps / d.rps:.2f}x  (goal >= 0.50x)")
    ds, gs = results["direct-single"], results["gateway-single"]
    print(f"added latency at p50, one connection: {gs.p50_ms - ds.p50_ms:.2f} ms  (goal <= 2 ms)")
    print(f"added latency at p50, c={args.connections} (includes queueing): {g.p50_ms - d.p50_ms:.2f} ms")
    dt, gt = results["direct-tail"], results["gateway-tail"]
    print(f"p99 at c={args.tail_connections}: direct {dt.p99_ms:.2f} ms, gateway {gt.p99_ms:.2f} ms")


if __name__ == "__main__":
    main()
