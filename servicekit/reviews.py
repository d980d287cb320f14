"""The review control plane's shared request (SPEC §3.4): both kinds of review are rejected alike."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from servicekit.errors import BadRequest


class RejectBody(BaseModel):
    model_config = ConfigDict(extra="ignore")

    reason: str | None = Field(default=None, max_length=500)

    def required_reason(self) -> str:
        """SPEC §3.4: a non-empty reason is required; 400 `reason_required` otherwise."""
        reason = (self.reason or "").strip()
        if not reason:
            raise BadRequest("驳回必须填写原因", field="reason", code="reason_required")
        return reason


def required_reason(body: RejectBody | None) -> str:
    """The reason of a reject call whose body may be absent altogether (also 400, not 422)."""
    return (body or RejectBody()).required_reason()
