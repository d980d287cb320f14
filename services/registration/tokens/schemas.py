"""Request and response bodies of operator sessions."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class LoginBody(BaseModel):
    model_config = ConfigDict(extra="ignore", strict=True)

    email: str = Field(max_length=254)
    password: str = Field(max_length=128)
