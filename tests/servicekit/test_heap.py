"""Start-up objects frozen out of the collector's full passes, once per process (in a child process:
freezing pytest's own heap would outlive this test)."""

from __future__ import annotations

import subprocess
import sys

PROGRAM = """
import gc
from servicekit.heap import freeze_startup_heap
assert gc.get_freeze_count() == 0
assert freeze_startup_heap()
frozen = gc.get_freeze_count()
assert frozen > 1000, frozen
assert not freeze_startup_heap()
assert gc.get_freeze_count() == frozen
print("ok")
"""


class TestFreezeStartupHeap:
    def test_freezes_what_exists_once(self) -> None:
        run = subprocess.run([sys.executable, "-c", PROGRAM], capture_output=True, text=True, timeout=60)

        assert run.returncode == 0, run.stderr
        assert run.stdout.strip() == "ok"
