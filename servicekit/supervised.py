"""A process started by `mpsandbox up` stops when the supervisor is gone.

The supervisor stops its children in order on Ctrl-C or SIGTERM. If it dies without that chance
(SIGKILL, the OOM killer, a CI timeout), each child notices that its parent changed and sends itself
SIGTERM, so uvicorn shuts down gracefully and no orphan keeps holding its port.
"""

from __future__ import annotations

import os
import signal
import threading
import time

SUPERVISOR_PID_ENV = "MPSANDBOX_SUPERVISOR_PID"

_started = False


def exit_with_supervisor(poll_seconds: float = 1.0) -> bool:
    """Watch the parent when `MPSANDBOX_SUPERVISOR_PID` names it; True when the watch started."""
    global _started
    expected = os.environ.get(SUPERVISOR_PID_ENV, "")
    if _started or not expected.isdigit() or int(expected) != os.getppid():
        return False
    parent = int(expected)

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(poll_seconds)
        os.kill(os.getpid(), signal.SIGTERM)

    threading.Thread(target=watch, name="supervisor-watch", daemon=True).start()
    _started = True
    return True
