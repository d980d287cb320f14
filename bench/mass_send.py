"""Mass send at 1,000,000 followers: seeding, sendall latency, the fan-out job, against raw SQL.

    .venv/bin/python bench/mass_send.py [--followers 1000000]

Starts a throwaway PostgreSQL (servicekit.testing.TestDatabase), the messaging service under uvicorn
in a subprocess, and a tiny stand-in for registration (only `account_by_appid`). Seeds followers
through the control plane, sends one text to all through `/cgi-bin/message/mass/sendall`, polls
`mass/get` until SEND_SUCCESS. In the same database it then times raw `INSERT … SELECT`s of as many
follower and delivery rows into copies of the same tables (`LIKE … INCLUDING ALL`: same indexes), and
prints the ratios. Goals: sendall < 200 ms; job ≤ 1.5× raw; seeding ≤ 2× raw; messaging < 300 MB RSS.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import asyncpg
import httpx
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from contracts.capabilities import capabilities  # noqa: E402
from contracts.registration.schemas import AccountView, encode_account_header  # noqa: E402
from servicekit.context import ACCOUNT_HEADER  # noqa: E402
from servicekit.testing import TestDatabase  # noqa: E402

ACCOUNT = AccountView(
    account_id="acc_bench_mass",
    namespace="bench",
    status="approved",
    type="service",
    appid="wxbenchmass0000001",
    original_id="gh_benchmass01",
    name="压测账号",
    certified=True,
    capabilities=capabilities("service", True, "approved"),
)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def fake_registration(port: int) -> uvicorn.Server:
    async def by_appid(request: Request) -> JSONResponse:
        if request.path_params["appid"] != ACCOUNT.appid:
            return JSONResponse({"error": {"code": "account_not_found", "message": "no"}}, status_code=404)
        return JSONResponse(ACCOUNT.model_dump(mode="json"))

    app = Starlette(routes=[Route("/internal/accounts/by-appid/{appid}", by_appid)])
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    threading.Thread(target=server.run, daemon=True).start()
    return server


def start_messaging(database_url: str, port: int, registration_port: int) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "MPSANDBOX_REGISTRATION_URL": f"http://127.0.0.1:{registration_port}",
        "MPSANDBOX_MESSAGING_PORT": str(port),
        "MPSANDBOX_LOG_LEVEL": "warning",
    }
    cmd = [sys.executable, "-m", "uvicorn", "services.messaging.app:app", "--host", "127.0.0.1"]
    cmd += ["--port", str(port), "--no-access-log", "--log-level", "warning"]
    return subprocess.Popen(cmd, cwd=ROOT, env=env)


def peak_rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def wait_ready(client: httpx.Client) -> None:
    for _ in range(300):
        try:
            if client.get("/healthz").status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    raise RuntimeError("messaging did not start")


def checkpoint(database_url: str) -> None:
    """Flush dirty buffers so each timed statement starts from the same state (both sides do it)."""

    async def run() -> None:
        conn = await asyncpg.connect(database_url)
        try:
            await conn.execute("CHECKPOINT")
        finally:
            await conn.close()

    asyncio.run(run())


def through_the_service(base: str, database_url: str, followers: int) -> dict[str, float]:
    headers = {ACCOUNT_HEADER: encode_account_header(ACCOUNT.model_dump_json().encode())}
    with httpx.Client(base_url=base, timeout=600, trust_env=False) as client:
        wait_ready(client)
        started = time.perf_counter()
        seeded = client.post(f"/_sandbox/accounts/{ACCOUNT.appid}/followers", json={"count": followers})
        seed_s = time.perf_counter() - started
        seeded.raise_for_status()

        checkpoint(database_url)
        body = {"msgtype": "text", "filter": {"is_to_all": True}, "text": {"content": "压测：全体粉丝通知"}}
        started = time.perf_counter()
        answer = client.post("/cgi-bin/message/mass/sendall", json=body, headers=headers).json()
        accepted = time.perf_counter()
        if answer.get("errcode") != 0:
            raise RuntimeError(f"sendall refused: {answer}")
        msg_id = answer["msg_id"]
        while True:
            status = client.post("/cgi-bin/message/mass/get", json={"msg_id": msg_id}, headers=headers).json()
            if status["msg_status"] != "SENDING":
                break
            time.sleep(0.02)
        done = time.perf_counter()
        if status["msg_status"] != "SEND_SUCCESS":
            raise RuntimeError(f"job ended {status}")
        return {"seed_s": seed_s, "sendall_ms": (accepted - started) * 1000, "job_s": done - accepted}


async def raw_baseline(database_url: str, followers: int) -> dict[str, float]:
    conn = await asyncpg.connect(database_url.replace("postgresql+asyncpg://", "postgresql://"))
    try:
        await conn.execute("CREATE SCHEMA bench_raw")
        await conn.execute("CREATE TABLE bench_raw.followers (LIKE messaging.followers INCLUDING ALL)")
        await conn.execute("CREATE TABLE bench_raw.deliveries (LIKE messaging.mass_deliveries INCLUDING ALL)")
        await conn.execute("CHECKPOINT")
        started = time.perf_counter()
        await conn.execute(
            """INSERT INTO bench_raw.followers
                   (id, account_id, namespace, openid, subscribed, subscribe_time,
                    gender, country, province, city, language)
               SELECT g, 'acc_raw', 'bench', 'o' || lpad(to_hex(g), 27, '0'), true, now(),
                      (g % 3)::smallint, '中国', '广东', '广州', 'zh_CN'
               FROM generate_series(1, $1::bigint) AS g""",
            followers,
        )
        followers_s = time.perf_counter() - started
        await conn.execute("CHECKPOINT")
        started = time.perf_counter()
        await conn.execute(
            """INSERT INTO bench_raw.deliveries (follower_id, msg_id, delivered_at)
               SELECT id, 1, now() FROM bench_raw.followers WHERE account_id = 'acc_raw' AND subscribed"""
        )
        deliveries_s = time.perf_counter() - started
        return {"raw_followers_s": followers_s, "raw_deliveries_s": deliveries_s}
    finally:
        await conn.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--followers", type=int, default=1_000_000)
    args = parser.parse_args()

    database = TestDatabase()
    url = database.start()
    registration_port, messaging_port = free_port(), free_port()
    registration = fake_registration(registration_port)
    messaging = start_messaging(url, messaging_port, registration_port)
    try:
        service = through_the_service(f"http://127.0.0.1:{messaging_port}", url, args.followers)
        rss = peak_rss_mb(messaging.pid)
        raw = asyncio.run(raw_baseline(url, args.followers))
    finally:
        messaging.terminate()
        messaging.wait(timeout=30)
        registration.should_exit = True
        database.stop()

    n = args.followers
    seed_ratio = service["seed_s"] / raw["raw_followers_s"]
    job_ratio = service["job_s"] / raw["raw_deliveries_s"]
    print(f"\nmass send at {n:,} followers")
    print(
        f"  seeding via /_sandbox      {service['seed_s']:7.2f} s   raw INSERT…SELECT"
        f" {raw['raw_followers_s']:6.2f} s"
        f"   ratio {seed_ratio:.2f}× (goal ≤ 2×)"
    )
    print(f"  sendall answered in        {service['sendall_ms']:7.1f} ms  (goal < 200 ms)")
    print(
        f"  accepted → SEND_SUCCESS    {service['job_s']:7.2f} s   raw INSERT…SELECT"
        f" {raw['raw_deliveries_s']:6.2f} s"
        f"   ratio {job_ratio:.2f}× (goal ≤ 1.5×)"
    )
    print(f"  messaging peak RSS         {rss:7.1f} MB  (goal < 300 MB)")


if __name__ == "__main__":
    main()
