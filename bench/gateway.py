"""Gateway overhead, measured in one run: a light request to a service direct vs. through the gateway.

    .venv/bin/python bench/gateway.py [--duration 5] [--path /api/v1/certifications/bench]

Starts a throwaway PostgreSQL, the certification service and the gateway (uvicorn, uvloop,
httptools, 127.0.0.1 only), then loads both with `wrk` (pinned to one core when `taskset` exists)
or, without wrk, a Python keep-alive load generator. Prints req/s at --connections, p50, p99 at
--tail-connections, and the ratios the goal is stated in (docs/performance.md: ≥ 0.5×, < 2 ms at p50);
with --repeat N the final summary line gives the median of N rounds.

The default path is one certification does not route: its 404 is the lightest complete answer the
service stack gives (request-id middleware, access log, router, the SPEC §2 error handler, JSON) with
no database work, so the ratio isolates the hop. Any other path can be passed with --path.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

from loadgen import Load, Result, cpu_seconds, free_port, pick_load, start, status_of, wait_ready

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


@dataclass
class Round:
    ratio: float  # gateway/direct req/s at --connections
    added_p50_ms: float  # gateway minus direct p50, one connection
    added_p50_loaded_ms: float  # the same at --connections (includes queueing)
    gateway_cpu_us: float | None  # gateway CPU per forwarded request at --connections


def measure_round(
    load: Load,
    direct: str,
    through: str,
    args: argparse.Namespace,
    gateway_pid: int,
) -> Round:
    results: dict[str, Result] = {}
    cpu_us: float | None = None
    for name, url, connections in (
        ("direct-single", direct, 1),
        ("gateway-single", through, 1),
        ("direct", direct, args.connections),
        ("gateway", through, args.connections),
        ("direct-tail", direct, args.tail_connections),
        ("gateway-tail", through, args.tail_connections),
    ):
        before = cpu_seconds(gateway_pid)
        results[name] = r = load(url, connections, args.duration)
        after = cpu_seconds(gateway_pid)
        if name == "gateway" and before is not None and after is not None:
            cpu_us = (after - before) / (r.rps * args.duration) * 1e6
        print(
            f"{name:>14} c={connections:<3} {r.rps:9.0f} req/s",
            f"p50 {r.p50_ms:6.2f} ms  p99 {r.p99_ms:7.2f} ms",
            flush=True,
        )
    d, g = results["direct"], results["gateway"]
    ds, gs = results["direct-single"], results["gateway-single"]
    dt, gt = results["direct-tail"], results["gateway-tail"]
    one = Round(g.rps / d.rps, gs.p50_ms - ds.p50_ms, g.p50_ms - d.p50_ms, cpu_us)
    cpu = f"; gateway CPU {cpu_us:.0f} µs/request" if cpu_us is not None else ""
    print(
        f"  ratio {one.ratio:.2f}×, added p50 {one.added_p50_ms:.2f} ms (c=1), "
        f"{one.added_p50_loaded_ms:.2f} ms (c={args.connections}); "
        f"p99 at c={args.tail_connections}: direct {dt.p99_ms:.2f} ms, gateway {gt.p99_ms:.2f} ms{cpu}",
        flush=True,
    )
    return one


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--duration", type=int, default=5, help="seconds per measurement")
    parser.add_argument("--repeat", type=int, default=1, help="rounds; the summary gives their median")
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--tail-connections", type=int, default=64)
    parser.add_argument("--path", default="/api/v1/certifications/bench", help="routed to certification")
    args = parser.parse_args()

    from servicekit.testing import TestDatabase

    load, generator = pick_load()
    print(f"load generator: {generator}; {args.duration}s per run, {args.repeat} round(s)", flush=True)
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
    rounds: list[Round] = []
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
            for number in range(1, args.repeat + 1):
                if args.repeat > 1:
                    print(f"round {number}/{args.repeat}", flush=True)
                rounds.append(measure_round(load, direct, through, args, processes[1].pid))
        finally:
            for process in processes:
                process.terminate()
            for process in processes:
                process.wait(timeout=10)
            db.stop()
    ratio = statistics.median(r.ratio for r in rounds)
    added = statistics.median(r.added_p50_ms for r in rounds)
    loaded = statistics.median(r.added_p50_loaded_ms for r in rounds)
    cpus = [r.gateway_cpu_us for r in rounds if r.gateway_cpu_us is not None]
    median = f"median of {len(rounds)} rounds" if len(rounds) > 1 else "one round"
    print(f"added p50 at c={args.connections} (includes queueing): {loaded:.2f} ms", end="")
    print(f"; gateway CPU per request: {statistics.median(cpus):.0f} µs" if cpus else "")
    print(
        f"gateway/direct throughput ratio: {ratio:.2f}× (goal ≥ 0.50×); "
        f"added p50: {added:.2f} ms (goal < 2 ms) — c={args.connections} for throughput, "
        f"c=1 for p50, load generator: {generator}, {median}"
    )


if __name__ == "__main__":
    main()
