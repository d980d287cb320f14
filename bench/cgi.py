"""The /cgi-bin hot path through the gateway, against a bare one-row route, measured in one run.

    .venv/bin/python bench/cgi.py [--duration 5] [--connections 16] [--repeat 3] [--followers 100]

Starts a throwaway sandbox exactly as `mpsandbox up` does (the `Supervisor`: embedded PostgreSQL in a
temporary data dir, migrations, the four services and the gateway on free ports, child output relayed
through the supervisor's pipes to a log file, default log level). Through the gateway's control plane
it creates an approved, certified service account, adds followers, gets an access token from
`/cgi-bin/token` and creates a menu. It also starts `bench/bare_route.py` — FastAPI + an asyncpg pool
reading one row by primary key from the same PostgreSQL — as the baseline.

Then it loads, at --connections with `wrk` (pinned to one core when `taskset` exists; a Python
keep-alive generator without wrk): the bare route, `getcallbackip`, `menu/get`, `user/info` and
`user/get`. For each: req/s, p50, p99, the ratio to the bare route (goal ≥ 0.5×), p99/p50 (goal ≤ 3×),
the CPU each sandbox process spent per request (the supervisor's is this process: it relays every
line the children write), and how many PostgreSQL sessions were opened during
the run (pool churn). With --repeat N the summary gives the median of N rounds.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import bare_route
from loadgen import Load, Result, cpu_seconds, free_port, pick_load, start, wait_ready

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import asyncpg  # noqa: E402
import httpx  # noqa: E402

from mpsandbox.supervisor import PROCESSES, Supervisor, plain_sink  # noqa: E402
from servicekit.context import ADMIN_KEY_HEADER, NAMESPACE_HEADER  # noqa: E402

BARE = "bare route"
MENU = {
    "button": [
        {"type": "click", "name": "今日通知", "key": "TODAY"},
        {"name": "办事", "sub_button": [{"type": "view", "name": "指南", "url": "http://www.gov.cn/"}]},
    ]
}
WATCHED = ("gateway", "registration", "messaging")


@dataclass
class Measurement:
    result: Result
    cpu_us: dict[str, float]  # CPU per request of each watched process
    new_sessions: int | None  # PostgreSQL sessions opened during the run


@dataclass
class Target:
    name: str
    url: str
    check: Callable[[dict[str, Any]], bool]


class Sessions:
    """PostgreSQL's own count of sessions opened on the database (pg_stat_database, PG ≥ 14)."""

    def __init__(self, url: str) -> None:
        self.url = url.replace("postgresql+asyncpg://", "postgresql://")

    def count(self) -> int | None:
        async def read() -> int | None:
            conn = await asyncpg.connect(self.url)
            try:
                await conn.execute("SELECT pg_stat_force_next_flush()")
                await conn.execute("SELECT pg_stat_clear_snapshot()")
                value = await conn.fetchval(
                    "SELECT sessions FROM pg_stat_database WHERE datname = current_database()"
                )
            except asyncpg.PostgresError:
                return None
            finally:
                await conn.close()
            return None if value is None else int(value)

        return asyncio.run(read())


def prepare(gateway: str, admin_key: str, followers: int) -> dict[str, str]:
    """An approved certified service account with followers, a menu and an access token."""
    admin = {ADMIN_KEY_HEADER: admin_key, NAMESPACE_HEADER: "bench"}
    with httpx.Client(base_url=gateway, timeout=120, trust_env=False) as http:
        created = http.post("/_sandbox/accounts", headers=admin, json={"type": "service", "certified": True})
        created.raise_for_status()
        account = created.json()
        appid, secret = account["appid"], account["secret"]
        seeded = http.post(f"/_sandbox/accounts/{appid}/followers", headers=admin, json={"count": followers})
        seeded.raise_for_status()
        openid = seeded.json()["openids"][0]
        query = {"grant_type": "client_credential", "appid": appid, "secret": secret}
        token = http.get("/cgi-bin/token", params=query).json()["access_token"]
        made = http.post("/cgi-bin/menu/create", params={"access_token": token}, json=MENU).json()
        if made.get("errcode") != 0:
            raise SystemExit(f"menu/create refused: {made}")
    return {"token": token, "openid": openid}


def targets(bare: str, gateway: str, token: str, openid: str, followers: int) -> list[Target]:
    def cgi(path: str, **params: str) -> str:
        return f"{gateway}/cgi-bin/{path}?{urlencode({'access_token': token, **params})}"

    return [
        Target(BARE, f"{bare}/row", lambda body: body.get("id") == 42),
        Target("getcallbackip", cgi("getcallbackip"), lambda body: bool(body.get("ip_list"))),
        Target("menu/get", cgi("menu/get"), lambda body: "menu" in body),
        Target(
            "user/info",
            cgi("user/info", openid=openid, lang="zh_CN"),
            lambda body: body.get("openid") == openid and body.get("subscribe") == 1,
        ),
        Target("user/get", cgi("user/get"), lambda body: body.get("total") == followers),
    ]


def check_answers(all_targets: list[Target]) -> None:
    with httpx.Client(timeout=10, trust_env=False) as http:
        for target in all_targets:
            response = http.get(target.url)
            if response.status_code != 200 or not target.check(response.json()):
                raise SystemExit(f"{target.name} answered {response.status_code}: {response.text[:300]}")


def measure(
    load: Load, target: Target, args: argparse.Namespace, pids: dict[str, int], sessions: Sessions
) -> Measurement:
    opened = sessions.count()
    before = {name: cpu_seconds(pid) for name, pid in pids.items()}
    result = load(target.url, args.connections, args.duration)
    after = {name: cpu_seconds(pid) for name, pid in pids.items()}
    closed = sessions.count()
    requests = result.rps * args.duration
    cpu_us = {
        name: (after[name] - start_cpu) / requests * 1e6  # type: ignore[operator]
        for name, start_cpu in before.items()
        if start_cpu is not None and after[name] is not None and requests > 0
    }
    # The two counting connections of this function are sessions too.
    churn = None if opened is None or closed is None else max(0, closed - opened - 1)
    return Measurement(result, cpu_us, churn)


def report(name: str, m: Measurement, bare: Result, connections: int) -> None:
    r = m.result
    cpu = " ".join(f"{n[:4]} {us:4.0f}" for n, us in m.cpu_us.items() if name != BARE)
    sessions = "" if m.new_sessions is None else f"  new PG sessions {m.new_sessions:3d}"
    print(
        f"{name:>14} c={connections:<3} {r.rps:7.0f} req/s  p50 {r.p50_ms:6.2f} ms  p99 {r.p99_ms:7.2f} ms"
        f"  ratio {r.rps / bare.rps:4.2f}×  p99/p50 {r.p99_ms / r.p50_ms:4.1f}"
        f"{sessions}{'  CPU µs/req: ' + cpu if cpu else ''}",
        flush=True,
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--duration", type=int, default=5, help="seconds per measurement")
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--repeat", type=int, default=1, help="rounds; the summary gives their median")
    parser.add_argument("--followers", type=int, default=100)
    parser.add_argument(
        "--hold", type=int, default=0, help="seconds to keep the sandbox up after the runs (to profile it)"
    )
    args = parser.parse_args()

    # `kill` (and Ctrl-C in a shell's background job) stops the sandbox cleanly too, database included.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    signal.signal(signal.SIGINT, signal.default_int_handler)
    load, generator = pick_load()
    print(f"load generator: {generator}; {args.duration}s per run, {args.repeat} round(s)", flush=True)
    rounds: list[dict[str, Result]] = []
    with tempfile.TemporaryDirectory(prefix="mpsandbox-bench-cgi-") as tmp:
        log_path = Path(tmp) / "sandbox.log"
        bare_process: subprocess.Popen[bytes] | None = None
        with log_path.open("a", encoding="utf-8") as log:
            used: set[int] = set()
            ports: dict[str, int] = {}
            for name in (*PROCESSES, BARE):
                port = free_port()
                while port in used:
                    port = free_port()
                used.add(port)
                ports[name] = port
            bare_port = ports.pop(BARE)
            supervisor = Supervisor(
                data_dir=Path(tmp) / "data", database_url="", ports=ports, sink=plain_sink(log)
            )
            try:
                supervisor.start()
                database_url = supervisor.database_url or ""
                asyncio.run(bare_route.setup(database_url))
                bare_env = {**supervisor.child_env(), "BENCH_DATABASE_URL": database_url}
                bare_process = start("bench.bare_route:app", bare_port, bare_env, Path(tmp) / "bare.log")
                bare = f"http://127.0.0.1:{bare_port}"
                wait_ready(f"{bare}/row")
                gateway = supervisor.gateway_url
                seeded = prepare(gateway, supervisor.admin_key, args.followers)
                all_targets = targets(bare, gateway, seeded["token"], seeded["openid"], args.followers)
                check_answers(all_targets)
                sessions = Sessions(database_url)
                pids = {name: supervisor.children[name].process.pid for name in WATCHED}  # type: ignore[union-attr]
                pids["supervisor"] = os.getpid()  # this process relays the children's output
                for target in all_targets:  # warm-up: connections, pools, caches
                    load(target.url, args.connections, 1)
                for number in range(1, args.repeat + 1):
                    if args.repeat > 1:
                        print(f"round {number}/{args.repeat}", flush=True)
                    results: dict[str, Result] = {}
                    for target in all_targets:
                        m = measure(load, target, args, pids, sessions)
                        results[target.name] = m.result
                        report(target.name, m, results[BARE], args.connections)
                    rounds.append(results)
                if args.hold:
                    print(f"holding {args.hold} s; pids {pids}", flush=True)
                    for target in all_targets:
                        print(f"  {target.name}: {target.url}", flush=True)
                    time.sleep(args.hold)
            finally:
                if bare_process is not None:
                    bare_process.terminate()
                    bare_process.wait(timeout=10)
                supervisor.stop()
    summarize(rounds, args, generator)


def summarize(rounds: list[dict[str, Result]], args: argparse.Namespace, generator: str) -> None:
    median = f"median of {len(rounds)} rounds" if len(rounds) > 1 else "one round"
    print(f"\nsummary at c={args.connections}, {median}, load generator: {generator}")
    bare_rps = statistics.median(r[BARE].rps for r in rounds)
    for name in rounds[0]:
        rps = statistics.median(r[name].rps for r in rounds)
        p50 = statistics.median(r[name].p50_ms for r in rounds)
        p99 = statistics.median(r[name].p99_ms for r in rounds)
        ratio = statistics.median(r[name].rps / r[BARE].rps for r in rounds)
        goal = "" if name == BARE else ("  ok" if ratio >= 0.5 and p99 <= 3 * p50 else "  below goal")
        print(
            f"{name:>14} {rps:7.0f} req/s  p50 {p50:6.2f} ms  p99 {p99:7.2f} ms  "
            f"ratio {ratio:4.2f}×  p99/p50 {p99 / p50:4.1f}{goal}"
        )
    print(f"(bare route {bare_rps:.0f} req/s; goals: ratio ≥ 0.50×, p99 ≤ 3× p50)")


if __name__ == "__main__":
    main()
