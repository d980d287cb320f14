"""Request and response bodies of the review control plane."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class RejectBody(BaseModel):
    model_config = ConfigDict(extra="ignore")

    reason: str = Field(min_length=1, max_length=500)
