"""Clock advances hammered alongside other traffic (R-CLK-01/02): every advance answers 200 (or 409
`clock_busy`), never a 5xx, and no request of the traffic around it fails with a 5xx either."""

from __future__ import annotations

import random
import threading
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

from tests.e2e.conftest import Sandbox

pytestmark = [pytest.mark.e2e, pytest.mark.rule("R-CLK-01"), pytest.mark.rule("R-CLK-02")]

ADVANCERS_PER_NAMESPACE = 2
ADVANCES_EACH = 12
TRAFFIC_WORKERS = 8
ROUNDS_EACH = 5


class TestAdvancesUnderLoad:
    def test_no_advance_and_no_request_around_it_fails(self, sandbox: Sandbox) -> None:
        namespaces = [f"load-{random.randrange(16**8):08x}" for _ in range(2)]
        seen: Counter[str] = Counter()
        failures: list[str] = []
        lock = threading.Lock()

        def note(tag: str, response: httpx.Response) -> None:
            with lock:
                seen[f"{tag} {response.status_code}"] += 1
                if response.status_code >= 500:
                    failures.append(f"{tag} {response.status_code} {response.text[:300]}")

        def advancer(namespace: str) -> None:
            with sandbox.admin(namespace, timeout=120) as admin:
                for _ in range(ADVANCES_EACH):
                    moved = admin.post("/_sandbox/clock/advance", json={"hours": random.choice([1, 13, 49])})
                    note("advance", moved)
                    assert moved.status_code in (200, 409), moved.text

        def traffic(worker: int) -> None:
            namespace = namespaces[worker % len(namespaces)]
            with sandbox.admin(namespace, timeout=120) as admin, sandbox.client(timeout=120) as public:
                for round_ in range(ROUNDS_EACH):
                    status = ("approved", "in_review", "email_unverified", "activated")[(worker + round_) % 4]
                    made = admin.post("/_sandbox/accounts", json={"type": "service", "status": status})
                    note("fixture", made)
                    if made.status_code != 201:
                        continue
                    account = made.json()
                    login = {"email": account["email"], "password": account["password"]}
                    note("login", public.post("/api/v1/sessions", json=login))
                    if account.get("secret"):
                        params = {
                            "grant_type": "client_credential",
                            **{k: account[k] for k in ("appid", "secret")},
                        }
                        token = public.get("/cgi-bin/token", params=params)
                        note("token", token)
                        if "access_token" in token.json():
                            access = {"access_token": token.json()["access_token"]}
                            note("cgi", public.get("/cgi-bin/getcallbackip", params=access))
                    note("reviews", admin.get("/_sandbox/reviews", params={"status": "pending"}))

        for namespace in namespaces:
            with sandbox.admin(namespace) as admin:
                admin.put("/_sandbox/settings", json={"review_policy": "at_deadline"})
        jobs = [(advancer, ns) for ns in namespaces for _ in range(ADVANCERS_PER_NAMESPACE)]
        with ThreadPoolExecutor(len(jobs) + TRAFFIC_WORKERS) as pool:
            running = [pool.submit(fn, arg) for fn, arg in jobs]
            running += [pool.submit(traffic, worker) for worker in range(TRAFFIC_WORKERS)]
            for future in running:
                future.result()

        assert not failures, failures
        assert seen["advance 200"] >= len(namespaces) * ADVANCES_EACH  # most advances went through
