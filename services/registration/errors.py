"""Registration's error helpers on top of servicekit.errors."""

from __future__ import annotations

from typing import Any

from servicekit.errors import BadRequest, SandboxError
from services.registration.rules import RuleError


class KeepChanges(Exception):
    """Refuse the request but commit what was flushed (failed-login and wrong-code counters, used captcha).

    Every other refusal rolls back; these counters must survive the refusal they cause.
    """

    def __init__(self, error: SandboxError) -> None:
        super().__init__(str(error))
        self.error = error


def bad_input(exc: RuleError, *, field: str | None = None, **extra: Any) -> BadRequest:
    """A broken rule as 400; `field` names the request's own field when it differs from the rule's."""
    return BadRequest(exc.message, field=field or exc.field, code=exc.code, errcode=40035, **extra)
