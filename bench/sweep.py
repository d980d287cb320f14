"""Deregistration sweep at 1,000,000 accounts (R-DER-06), against a raw indexed scan of the due rows.

    .venv/bin/python bench/sweep.py [--accounts 1000000] [--relay-sample 2000] [--profile] [--skip-advance]

Starts a throwaway PostgreSQL (servicekit.testing.TestDatabase, migrated like the tests) and seeds,
set-based (one INSERT … SELECT generate_series), `--accounts` approved accounts in one namespace of
the scheduler's `deregistration_accounts`, consistent with `deregistration/rules.py` and the steps SQL:
every 4th account is due at the same instant D (its R-DER-02 cycle anchored 180, 190, 200 or 210 days
before D — a quarter each, the earlier notices of the cycle already in `deregistration_notices`, the
day-210 quarter ending in a termination), the others approved 9–179 days before D (nothing due).
Every account has an e-mail and an operator phone, every second one a bound admin WeChat; every due
account has all four channels (R-DER-03's worst case: 4 messages per notice or termination).
The seed is then copied (`CREATE DATABASE … TEMPLATE`) so each
measurement starts from the same state.

Measured in the same run, on the same copy, right before the measured call:

- baseline: the raw indexed scan of the due rows (`WHERE namespace = $1 AND next_due_at <= $2`,
  the columns the sweep locks), fetched through asyncpg; median of 3 after a warm-up;
- the periodic sweep: `services.scheduler.sweep.jobs.sweep` — ownership of every namespace, then
  `fanout.run_clock_hooks(ClockHookRequest(namespace=None))`: registration, certification and
  messaging are in-process MockTransports answering at once (terminations batch-acknowledged), so the
  figure is the scheduler's own work (its SQL, its Python, its httpx client code), not its peers';
- an advance over D (`clock.service.advance_clock`, D − 1 min → D + 1 min; namespace request);
- the batch: the time of each 500-account batch of the transitions, and how long an advance of
  another namespace started during the sweep's second batch waits (R-DER-06: at most one batch).

Messages go to messaging one HTTP call each (`contracts/messaging/relay.py`); relaying a million takes
minutes, so the fake messaging acknowledges the first `--relay-sample` messages and then refuses (the
relay stops as it does when messaging is down). The relay's total is extrapolated from that sample,
labelled so. SQL time per statement (SQLAlchemy cursor events) is printed for every run; with
`--profile` a third copy is swept under cProfile (transitions and relay profiled apart) and the top
functions printed. At 1,000,000 accounts a full run takes well over half an hour on 2 cores because of
the costs it exposes (docs/performance.md, R-DER-06); `--skip-advance` halves it.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import io
import itertools
import json
import pstats
import resource
import statistics
import sys
import time
from collections import defaultdict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import asyncpg
import httpx
from sqlalchemy import event, text

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from contracts.messaging.client import OUTBOX_PATH  # noqa: E402
from contracts.registration.client import TERMINATIONS_PATH  # noqa: E402
from contracts.scheduler.schemas import ClockAdvance  # noqa: E402
from servicekit.db import make_engine, make_sessionmaker  # noqa: E402
from servicekit.lifecycle import CLOCK_HOOK_PATH, RESET_PATH  # noqa: E402
from servicekit.settings import to_asyncpg_url  # noqa: E402
from servicekit.testing import TestDatabase, _plain, _with_database  # noqa: E402
from services.scheduler.clock.service import advance_clock  # noqa: E402
from services.scheduler.deregistration import jobs, repository  # noqa: E402
from services.scheduler.deregistration import service as deregistration  # noqa: E402
from services.scheduler.runtime import PEER_SERVICES, Runtime  # noqa: E402
from services.scheduler.sweep.jobs import sweep  # noqa: E402

NAMESPACE = "bench"
PROBE = "bench_probe"  # the other namespace an advance is started in while the sweep runs
DAY_SQL = "interval '24 hours'"

SEED_ACCOUNTS = f"""
INSERT INTO scheduler.deregistration_accounts
    (account_id, namespace, signed_up_at, activated_at, approved_at, last_login_at,
     email, email_at, email_seq, phone, phone_at, phone_seq, wechat, wechat_at, wechat_seq,
     next_due_at, terminates_at)
SELECT 'acc_' || lpad(to_hex(g), 20, '0'), $1,
       x.anchor - interval '3 days', x.anchor - interval '3 days' + interval '1 hour', x.anchor, NULL,
       'op' || g || '@example.com', x.anchor - interval '3 days', 2 * g,
       '138' || lpad((g % 100000000)::text, 8, '0'), x.anchor - interval '2 days', 2 * g,
       CASE WHEN g % 2 = 0 THEN 'wx_' || to_hex(g) END,
       CASE WHEN g % 2 = 0 THEN x.anchor - interval '1 day' END,
       CASE WHEN g % 2 = 0 THEN 2 * g + 1 END,
       x.anchor + x.next_day * {DAY_SQL}, x.anchor + 210 * {DAY_SQL}
FROM generate_series(1, $2::bigint) AS g
CROSS JOIN LATERAL (
    -- due (every 4th): anchored 180/190/200/210 days before D, so that day is due at D;
    -- not due: approved 9–179 days before D, the day-180 notice still ahead
    SELECT CASE WHEN g % 4 = 0 THEN $3::timestamptz - (180 + 10 * ((g / 4) % 4)) * {DAY_SQL}
                ELSE $3::timestamptz - (179 - g % 171) * {DAY_SQL} END AS anchor,
           CASE WHEN g % 4 = 0 THEN 180 + 10 * ((g / 4) % 4) ELSE 180 END AS next_day
) AS x
"""

# The notices of each due cycle performed before D (its earlier days), as the sweeps before did.
SEED_NOTICES = f"""
INSERT INTO scheduler.deregistration_notices
    (account_id, namespace, rule, anchor_at, day, at, terminates_at, final, performed_at)
SELECT a.account_id, a.namespace, 'R-DER-02', a.approved_at, d.day, a.approved_at + d.day * {DAY_SQL},
       a.approved_at + 210 * {DAY_SQL}, false, a.approved_at + d.day * {DAY_SQL}
FROM scheduler.deregistration_accounts a
JOIN unnest(ARRAY[180, 190, 200]) AS d(day) ON a.approved_at + d.day * {DAY_SQL} < a.next_due_at
WHERE a.namespace = $1 AND a.next_due_at <= $2
"""

RAW_SCAN = """
SELECT account_id, namespace, email, phone, wechat FROM scheduler.deregistration_accounts
WHERE namespace = $1 AND next_due_at <= $2
"""

# What REFRESH_DUE would compute for a sample of accounts, to check the seed against the rules.
CHECK_DUE = f"""
SELECT st.account_id, min(st.at) AS at, min(st.at) FILTER (WHERE st.final) AS ends_at
FROM ({repository.STEPS}) AS st GROUP BY st.account_id
"""


def rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


# --- peers: in-process fakes that answer at once ---


@dataclass
class Peers:
    relay_sample: int
    messages: int = 0
    refused: int = 0
    termination_batches: int = 0
    terminations: int = 0
    first_message_at: float | None = None
    last_message_at: float | None = None

    def registration(self, request: httpx.Request) -> httpx.Response:
        if request.url.path == TERMINATIONS_PATH:
            items = json.loads(request.content)["items"]
            self.termination_batches += 1
            self.terminations += len(items)
            answers = [
                {
                    "account_id": i["account_id"],
                    "outcome": "terminated",
                    "terminated_at": i["at"],
                    "reason": i["reason"],
                }
                for i in items
            ]
            return httpx.Response(200, json={"items": answers})
        return quiet(request)

    def messaging(self, request: httpx.Request) -> httpx.Response:
        if request.url.path != OUTBOX_PATH:
            return quiet(request)
        if self.messages >= self.relay_sample:
            self.refused += 1
            raise httpx.ConnectError("sample taken", request=request)
        now = time.perf_counter()
        self.first_message_at = self.first_message_at or now
        self.last_message_at = now
        self.messages += 1
        body = json.loads(request.content)
        return httpx.Response(200, json={**body, "id": body["key"]})

    def clients(self) -> dict[str, httpx.AsyncClient]:
        handlers = {"registration": self.registration, "certification": quiet, "messaging": self.messaging}
        assert set(handlers) == set(PEER_SERVICES)
        return {
            name: httpx.AsyncClient(transport=httpx.MockTransport(h), base_url=f"http://{name}")
            for name, h in handlers.items()
        }


def quiet(request: httpx.Request) -> httpx.Response:
    if request.url.path == CLOCK_HOOK_PATH:
        return httpx.Response(200, json={"events": []})
    if request.url.path == RESET_PATH:
        return httpx.Response(200, json={"service": "peer", "tables": 0})
    return httpx.Response(404, json={"error": {"code": "not_found", "message": "no route"}})


# --- instrumentation: phase timers, batch marks, SQL time per statement ---


@dataclass
class Probe:
    """Wraps module attributes the hook calls (restored afterwards) and times SQL per statement."""

    batches: list[float] = field(default_factory=list)  # perf_counter at each lock_due of `namespace`
    durations: list[float] = field(default_factory=list)  # of each batch (see mark_batches)
    _seen: int = 0
    phases: dict[str, float] = field(default_factory=lambda: defaultdict(float))
    sql: dict[str, list[float]] = field(default_factory=lambda: defaultdict(lambda: [0, 0.0, 0]))
    _undo: list[tuple[Any, str, Any]] = field(default_factory=list)
    on_batch: Callable[[int], None] | None = None

    def wrap(self, owner: Any, name: str, label: str) -> None:
        original = getattr(owner, name, None)
        if original is None:  # the code under test moved on: that phase is simply not split out
            return

        async def timed(*args: Any, **kwargs: Any) -> Any:
            started = time.perf_counter()
            try:
                return await original(*args, **kwargs)
            finally:
                self.phases[label] += time.perf_counter() - started

        setattr(owner, name, timed)
        self._undo.append((owner, name, original))

    def mark_batches(self, namespace: str | None) -> None:
        """Mark each lock_due of `namespace` and the end of each clock_hook call: a batch runs from one
        mark to the next within one hook call (deliveries between rounds are not a batch)."""
        original = repository.lock_due
        hook = deregistration.clock_hook

        async def marked(*args: Any, **kwargs: Any) -> Any:
            if kwargs.get("namespace") == namespace:
                self.batches.append(time.perf_counter())
                if self.on_batch is not None:
                    self.on_batch(len(self.batches))
            return await original(*args, **kwargs)

        async def hook_marked(*args: Any, **kwargs: Any) -> Any:
            try:
                return await hook(*args, **kwargs)
            finally:
                self.durations += [
                    b - a for a, b in itertools.pairwise([*self.batches[self._seen :], time.perf_counter()])
                ]
                self._seen = len(self.batches)

        repository.lock_due = marked  # type: ignore[assignment]
        deregistration.clock_hook = hook_marked  # type: ignore[assignment]
        self._undo.append((repository, "lock_due", original))
        self._undo.append((deregistration, "clock_hook", hook))

    def restore(self) -> None:
        for owner, name, original in reversed(self._undo):
            setattr(owner, name, original)
        self._undo.clear()

    def attach(self, engine: Any) -> None:
        started: dict[int, float] = {}

        @event.listens_for(engine.sync_engine, "before_cursor_execute")
        def before(conn: Any, cursor: Any, statement: str, params: Any, context: Any, many: bool) -> None:
            started[id(context)] = time.perf_counter()

        @event.listens_for(engine.sync_engine, "after_cursor_execute")
        def after(conn: Any, cursor: Any, statement: str, params: Any, context: Any, many: bool) -> None:
            began = started.pop(id(context), None)
            if began is None:
                return
            entry = self.sql[statement_label(statement)]
            entry[0] += 1
            entry[1] += time.perf_counter() - began
            entry[2] += cursor.rowcount if isinstance(cursor.rowcount, int) and cursor.rowcount > 0 else 0


def statement_label(statement: str) -> str:
    s = " ".join(statement.split())
    known = [
        (
            "SELECT account_id, namespace, email, phone, wechat FROM scheduler.deregistration_accounts",
            "lock_due",
        ),
        ("INSERT INTO scheduler.deregistration_notices", "perform_steps (notices INSERT…RETURNING)"),
        ("INSERT INTO scheduler.pending_messages", "add_messages (INSERT per row, executemany)"),
        ("INSERT INTO scheduler.terminations", "add_terminations"),
        ("WITH due AS", "refresh_due"),
        ("UPDATE scheduler.pending_messages", "relay: UPDATE per message"),
        ("FROM scheduler.pending_messages", "relay: lock 100 pending"),
        ("FROM scheduler.terminations", "terminations: lock pending"),
        ("UPDATE scheduler.terminations", "terminations: UPDATE acknowledged"),
        ("UPDATE scheduler.deregistration_accounts t SET terminated_at", "mark_terminated"),
        (
            "FROM scheduler.deregistration_accounts WHERE scheduler.deregistration_accounts.account_id IN",
            "contacts_of",
        ),
        ("min(scheduler.deregistration_accounts.terminates_at)", "next_termination"),
    ]
    for needle, label in known:
        if needle in s:
            return label
    return s[:60]


# --- seeding ---


async def seed(url: str, accounts: int) -> tuple[datetime, dict[str, float]]:
    conn = await asyncpg.connect(_plain(url))
    try:
        due_at: datetime = await conn.fetchval("SELECT date_trunc('minute', now())")
        times: dict[str, float] = {}
        started = time.perf_counter()
        await conn.execute(SEED_ACCOUNTS, NAMESPACE, accounts, due_at)
        times["accounts"] = time.perf_counter() - started
        started = time.perf_counter()
        await conn.execute(SEED_NOTICES, NAMESPACE, due_at)
        times["notices"] = time.perf_counter() - started
        started = time.perf_counter()
        await conn.execute(
            "INSERT INTO sandbox.namespaces (namespace, frozen_at) VALUES ($1, $2), ($3, $2)",
            NAMESPACE,
            due_at,
            PROBE,
        )
        await conn.execute("VACUUM ANALYZE scheduler.deregistration_accounts")
        await conn.execute("VACUUM ANALYZE scheduler.deregistration_notices")
        await conn.execute("CHECKPOINT")
        times["vacuum"] = time.perf_counter() - started
        return due_at, times
    finally:
        await conn.close()


async def check_seed(url: str, due_at: datetime) -> dict[str, int]:
    """The seed agrees with the rules: for a sample, `next_due_at`/`terminates_at` are what the
    scheduler's own steps SQL computes; and the counts."""
    engine = make_engine(to_asyncpg_url(url), pool_size=1)
    try:
        async with engine.connect() as conn:
            ids = list(
                (
                    await conn.execute(
                        text(
                            "SELECT account_id FROM scheduler.deregistration_accounts"
                            " TABLESAMPLE SYSTEM (1) LIMIT 2000"
                        )
                    )
                ).scalars()
            )
            computed = {
                r.account_id: (r.at, r.ends_at)
                for r in await conn.execute(text(CHECK_DUE), {**repository.RULE_PARAMS, "ids": ids})
            }
            stored = {
                r.account_id: (r.next_due_at, r.terminates_at)
                for r in await conn.execute(
                    text(
                        "SELECT account_id, next_due_at, terminates_at"
                        " FROM scheduler.deregistration_accounts "
                        "WHERE account_id = ANY(CAST(:ids AS text[]))"
                    ),
                    {"ids": ids},
                )
            }
            if computed != stored:
                bad = [k for k in stored if computed.get(k) != stored[k]][:3]
                raise RuntimeError(
                    f"seed disagrees with the rules: {[(k, stored[k], computed.get(k)) for k in bad]}"
                )
            counts = (
                await conn.execute(
                    text(
                        "SELECT count(*) AS accounts, count(*) FILTER (WHERE next_due_at <= :d) AS due, "
                        "count(*) FILTER (WHERE next_due_at <= :d AND terminates_at = :d) AS final "
                        "FROM scheduler.deregistration_accounts WHERE namespace = :ns"
                    ),
                    {"d": due_at, "ns": NAMESPACE},
                )
            ).one()
            return {
                "accounts": counts.accounts,
                "due": counts.due,
                "final": counts.final,
                "sampled": len(ids),
            }
    finally:
        await engine.dispose()


async def copy_database(admin_url: str, template: str, name: str) -> str:
    conn = await asyncpg.connect(_plain(admin_url))
    try:
        await conn.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template}" STRATEGY FILE_COPY')
    finally:
        await conn.close()
    return _with_database(admin_url, name)


async def drop_database(admin_url: str, name: str) -> None:
    conn = await asyncpg.connect(_plain(admin_url))
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await conn.close()


# --- measurements ---


async def raw_scan(url: str, bound: datetime) -> tuple[float, int, str]:
    conn = await asyncpg.connect(_plain(url))
    try:
        plan = await conn.fetch("EXPLAIN " + RAW_SCAN, NAMESPACE, bound)
        plan_line = " ".join(str(plan[0][0]).split())
        await conn.fetch(RAW_SCAN, NAMESPACE, bound)  # warm-up
        runs = []
        for _ in range(3):
            started = time.perf_counter()
            rows = await conn.fetch(RAW_SCAN, NAMESPACE, bound)
            runs.append(time.perf_counter() - started)
        return statistics.median(runs), len(rows), plan_line
    finally:
        await conn.close()


async def set_clock(url: str, namespace: str, at: datetime) -> None:
    conn = await asyncpg.connect(_plain(url))
    try:
        await conn.execute("UPDATE sandbox.namespaces SET frozen_at = $2 WHERE namespace = $1", namespace, at)
    finally:
        await conn.close()


async def leftovers(url: str, bound: datetime) -> dict[str, int]:
    conn = await asyncpg.connect(_plain(url))
    try:
        row = await conn.fetchrow(
            """SELECT (SELECT count(*) FROM scheduler.pending_messages) AS messages,
                      (SELECT count(*) FROM scheduler.pending_messages
                        WHERE delivered_at IS NULL) AS undelivered,
                      (SELECT count(*) FROM scheduler.terminations) AS terminations,
                      (SELECT count(*) FROM scheduler.terminations WHERE acknowledged_at IS NULL) AS unacked,
                      (SELECT count(*) FROM scheduler.deregistration_accounts
                        WHERE namespace = $1 AND next_due_at <= $2) AS still_due""",
            NAMESPACE,
            bound,
        )
        return dict(row)
    finally:
        await conn.close()


@dataclass
class Run:
    seconds: float
    probe: Probe
    peers: Peers
    events: int
    extra: dict[str, float] = field(default_factory=dict)
    profile: str = ""


def profile_part(profilers: dict[str, cProfile.Profile], owner: Any, name: str, probe: Probe) -> None:
    """Profile every call of `owner.name` (an async function; the event loop's other tasks run inside
    it too, so the figures are the work done while it was running)."""
    original = getattr(owner, name, None)
    if original is None:
        return
    profiler = profilers.setdefault(name, cProfile.Profile())

    async def profiled(*args: Any, **kwargs: Any) -> Any:
        profiler.enable()
        try:
            return await original(*args, **kwargs)
        finally:
            profiler.disable()

    setattr(owner, name, profiled)
    probe._undo.append((owner, name, original))


def instrument(probe: Probe) -> None:
    probe.wrap(deregistration, "clock_hook", "transitions (clock_hook)")
    probe.wrap(jobs, "deliver", "after commit (jobs.deliver)")
    probe.wrap(jobs, "deliver_terminations", "terminations to registration")
    probe.wrap(jobs, "deliver_all_pending", "message relay (sampled)")


async def measure(
    url: str,
    relay_sample: int,
    body: Callable[[Runtime, Probe], Awaitable[tuple[int, dict[str, float]]]],
    *,
    profile: bool = False,
) -> Run:
    engine = make_engine(to_asyncpg_url(url), pool_size=10)
    peers = Peers(relay_sample)
    clients = peers.clients()
    probe = Probe()
    probe.attach(engine)
    runtime = Runtime(
        sessionmaker=make_sessionmaker(engine), peers=clients, hook_timeout=3600, clock_wait=3600
    )
    profilers: dict[str, cProfile.Profile] = {}
    try:
        instrument(probe)
        if profile:  # one profiler per part: the transitions, and the relay
            profile_part(profilers, deregistration, "clock_hook", probe)
            profile_part(profilers, jobs, "deliver_all_pending", probe)
        started = time.perf_counter()
        events, extra = await body(runtime, probe)
        seconds = time.perf_counter() - started
    finally:
        probe.restore()
        for client in clients.values():
            await client.aclose()
        await engine.dispose()
    report = ""
    for name, profiler in profilers.items():
        out = io.StringIO()
        stats = pstats.Stats(profiler, stream=out)
        out.write(f"\n=== {name}: by own time ===\n")
        stats.sort_stats("tottime").print_stats(15)
        out.write(f"\n=== {name}: by cumulative time (project code) ===\n")
        stats.sort_stats("cumulative").print_stats(r"mpsandbox|wt-bench/(services|contracts|servicekit)", 25)
        report += out.getvalue()
    return Run(seconds, probe, peers, events, extra, report)


async def periodic_sweep(runtime: Runtime, probe: Probe) -> tuple[int, dict[str, float]]:
    """`sweep(runtime)`; when its second batch starts, an advance of another namespace is started."""
    probe.mark_batches(None)
    waits: dict[str, float] = {}
    tasks: list[asyncio.Task[Any]] = []

    async def advance_elsewhere() -> None:
        started = time.perf_counter()
        await advance_clock(runtime, PROBE, ClockAdvance(minutes=1))
        waits["advance of another namespace, started at batch 2"] = time.perf_counter() - started
        waits["_probe_done_at"] = time.perf_counter()

    def on_batch(n: int) -> None:
        if n == 2:
            tasks.append(asyncio.get_running_loop().create_task(advance_elsewhere()))

    probe.on_batch = on_batch
    events = await sweep(runtime)
    waits["_sweep_done_at"] = time.perf_counter()
    if tasks:
        await tasks[0]
    return events or 0, waits


async def advance_over_due(runtime: Runtime, probe: Probe) -> tuple[int, dict[str, float]]:
    probe.mark_batches(NAMESPACE)
    advanced = await advance_clock(runtime, NAMESPACE, ClockAdvance(minutes=2))
    started = time.perf_counter()
    body = advanced.model_dump_json(by_alias=True)
    return len(advanced.events), {
        "response JSON": time.perf_counter() - started,
        "_response_mb": len(body) / 1e6,
    }


# --- report ---


def batch_figures(run: Run) -> dict[str, float]:
    durations = run.probe.durations
    if not durations:
        return {}
    return {
        "batches": len(durations),
        "first": durations[0],
        "median": statistics.median(durations),
        "p90": sorted(durations)[int(len(durations) * 0.9)],
        "max": max(durations),
    }


def print_run(title: str, run: Run, raw_s: float, due: int, left: dict[str, int]) -> None:
    phases = run.probe.phases
    transitions = phases.get("transitions (clock_hook)", float("nan"))
    terminations = phases.get("terminations to registration", 0.0)
    relay = phases.get("message relay (sampled)", 0.0)
    sent = run.peers.messages
    total_messages = left["messages"]
    per_message = relay / sent if sent else float("nan")
    relay_full = per_message * total_messages if sent else 0.0
    measured_rest = run.seconds - relay
    full = measured_rest + relay_full
    print(f"\n{title}")
    print(f"  measured wall time            {run.seconds:8.2f} s   (relay stopped after {sent:,} messages)")
    print(
        f"    transitions (clock_hook)    {transitions:8.2f} s   {due / transitions:10,.0f} due rows/s"
        f"   ratio {transitions / raw_s:7.1f}× raw scan (goal ≤ 2×)"
    )
    print(
        f"    terminations → registration {terminations:8.2f} s   {run.peers.terminations:,} in "
        f"{run.peers.termination_batches} batches"
    )
    print(
        f"    message relay, sample       {relay:8.2f} s   {sent:,} messages,"
        f" {per_message * 1e6:,.0f} µs each"
    )
    print(
        f"  with the relay extrapolated   {full:8.2f} s   ({total_messages:,} messages written: relay ≈ "
        f"{relay_full:,.0f} s)   ratio {full / raw_s:,.0f}× raw scan"
    )
    print(f"  events returned               {run.events:,}")
    for key, value in run.extra.items():
        if not key.startswith("_"):
            print(f"  {key:<30}{value:8.2f} s")
    b = batch_figures(run)
    if b:
        print(
            f"  one batch of {deregistration.BATCH} (transitions)  first {b['first'] * 1e3:,.0f} ms, median "
            f"{b['median'] * 1e3:,.0f} ms, p90 {b['p90'] * 1e3:,.0f} ms, max {b['max'] * 1e3:,.0f} ms"
            f" over {b['batches']:.0f} batches"
        )
    print(f"  left: {left}")
    print("  SQL time by statement (count, seconds, rows):")
    for label, (count, seconds, rows) in sorted(run.probe.sql.items(), key=lambda kv: -kv[1][1])[:12]:
        print(f"    {seconds:8.2f} s  {count:8,}×  {rows:10,} rows  {label}")


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--accounts", type=int, default=1_000_000)
    parser.add_argument(
        "--relay-sample",
        type=int,
        default=2_000,
        help="messages the fake messaging acknowledges before refusing (relay extrapolated)",
    )
    parser.add_argument(
        "--profile", action="store_true", help="profile a third sweep even if the ratio holds"
    )
    parser.add_argument("--skip-advance", action="store_true")
    args = parser.parse_args()

    database = TestDatabase()
    url = database.start()
    copies: list[str] = []
    try:
        started = time.perf_counter()
        due_at, seed_times = asyncio.run(seed(url, args.accounts))
        seed_s = time.perf_counter() - started
        counts = asyncio.run(check_seed(url, due_at))
        print(
            f"\nderegistration sweep at {counts['accounts']:,} accounts, {counts['due']:,} due at D"
            f" ({counts['final']:,} of them day 210 → termination); seed checked against the rules"
            f" on {counts['sampled']:,} sampled accounts"
        )
        print(
            f"  seed                          {seed_s:8.2f} s   (accounts {seed_times['accounts']:.2f} s,"
            f" earlier notices {seed_times['notices']:.2f} s, VACUUM ANALYZE + CHECKPOINT"
            f" {seed_times['vacuum']:.2f} s)   {args.accounts / seed_times['accounts']:,.0f} rows/s"
        )

        def fresh(name: str, clock_at: datetime) -> str:
            copy = f"{database.name}_{name}"
            started = time.perf_counter()
            copy_url = asyncio.run(copy_database(database.admin_url, database.name, copy))
            copies.append(copy)
            asyncio.run(set_clock(copy_url, NAMESPACE, clock_at))
            print(f"  [copy {name}: {time.perf_counter() - started:.1f} s]")
            return copy_url

        bound = due_at + timedelta(minutes=1)
        # 1. periodic sweep (namespace None), the namespace's clock just past D
        sweep_url = fresh("sweep", bound)
        raw_s, raw_rows, plan = asyncio.run(raw_scan(sweep_url, bound))
        print(
            f"  raw indexed scan of due rows  {raw_s:8.3f} s   {raw_rows:,} rows,"
            f" {raw_rows / raw_s:,.0f} rows/s"
            f"   [{plan}]"
        )
        rss_before = rss_mb()
        run = asyncio.run(measure(sweep_url, args.relay_sample, periodic_sweep))
        left = asyncio.run(leftovers(sweep_url, bound))
        print_run(
            "periodic sweep (sweep.jobs.sweep → run_clock_hooks, namespace None)", run, raw_s, raw_rows, left
        )
        sweep_done = run.extra.get("_sweep_done_at", 0.0)
        probe_done = run.extra.get("_probe_done_at", 0.0)
        if probe_done:
            b = batch_figures(run)
            print(
                f"  the advance waited until {'after' if probe_done >= sweep_done else 'before'}"
                f" the sweep ended;"
                f" one batch (median) is {b.get('median', float('nan')) * 1e3:,.0f} ms"
            )
        print(f"  peak RSS                      {rss_mb():8.1f} MB  (before the sweep {rss_before:.1f} MB)")

        # 2. an advance over D in the namespace (clock D − 1 min → D + 1 min)
        if not args.skip_advance:
            advance_url = fresh("advance", due_at - timedelta(minutes=1))
            raw_a, _, _ = asyncio.run(raw_scan(advance_url, bound))
            print(f"\n  raw indexed scan (this copy)  {raw_a:8.3f} s")
            run = asyncio.run(measure(advance_url, args.relay_sample, advance_over_due))
            left = asyncio.run(leftovers(advance_url, bound))
            print_run(
                "advance over D (clock.service.advance_clock, namespace request, 2 minutes)",
                run,
                raw_a,
                raw_rows,
                left,
            )
            print(f"  response body                 {run.extra.get('_response_mb', 0):8.1f} MB")
            print(f"  peak RSS                      {rss_mb():8.1f} MB")

        # 3. where the time goes
        if args.profile:
            profile_url = fresh("profile", bound)
            run = asyncio.run(
                measure(profile_url, min(args.relay_sample, 2_000), periodic_sweep, profile=True)
            )
            print(
                f"\nprofile of the periodic sweep under cProfile (wall {run.seconds:.1f} s,"
                " inflated by the profiler)"
            )
            print(run.profile)
    finally:
        for copy in copies:
            asyncio.run(drop_database(database.admin_url, copy))
        database.stop()


if __name__ == "__main__":
    main()
