"""Pure rules of the clock API: namespace names and where an advance lands."""

from __future__ import annotations

import re
from datetime import datetime, timedelta

from servicekit.clock import CEILING, SHANGHAI
from servicekit.workdays import add_working_days

NAMESPACE_PATTERN = re.compile(r"[A-Za-z0-9_.-]{1,64}")
# An advance never lands on or past the clock's ceiling, however it gets there (one huge amount, a
# far `to`, many advances adding up). A clock that ran into it reads the instant just below, so a
# zero advance from there still lands below it (R-CLK-01).
LATEST = CEILING


class OutOfRange(ValueError):
    """The advance would move the clock past `LATEST`."""


def is_valid_namespace(name: str) -> bool:
    return NAMESPACE_PATTERN.fullmatch(name) is not None


def advance_target(
    now: datetime,
    *,
    days: float | None = None,
    hours: float | None = None,
    minutes: float | None = None,
    working_days: int | None = None,
    to: datetime | None = None,
) -> datetime:
    """Where a clock at `now` lands (SPEC §6.1).

    `to` is absolute (naive means Asia/Shanghai). Otherwise working days come first — the same
    Shanghai time of day on the N-th working day after today — and the plain duration is added after,
    so `{working_days: 1, hours: 2}` on a Friday 10:00 lands on Monday 12:00. Raises OutOfRange past
    `LATEST`.
    """
    if to is not None:
        target = to if to.tzinfo is not None else to.replace(tzinfo=SHANGHAI)
    else:
        try:
            target = now.astimezone(SHANGHAI)
            if working_days:
                day = add_working_days(target.date(), working_days)
                target = datetime.combine(day, target.timetz())
            target += timedelta(days=days or 0, hours=hours or 0, minutes=minutes or 0)
        except OverflowError:
            raise OutOfRange(f"clock would pass {LATEST.isoformat()}") from None
    if target >= LATEST:
        raise OutOfRange(f"clock would pass {LATEST.isoformat()}")
    return target
