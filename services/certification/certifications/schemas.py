"""What `/docs` shows for certification's console calls (SPEC §4.1)."""

from __future__ import annotations

from pydantic import BaseModel


class RequiredField(BaseModel):
    name: str
    label: str
    required: bool
    min_length: int | None = None
    max_length: int | None = None
    choices: list[str] | None = None  # the values a client sends, as SPEC §4.1 lists them
    choice_labels: dict[str, str] | None = None  # value → what a console shows for it
    min_value: int | None = None
    max_value: int | None = None


class RequiredFile(BaseModel):
    field: str
    label: str
    types: list[str]
    max_bytes: int


class Fee(BaseModel):
    amount: int
    currency: str
    waived_reason: str


class ReviewTerms(BaseModel):
    working_days: int


class CertificationRequirements(BaseModel):
    """`GET /api/v1/certifications/requirements`: what an application needs, to build its form."""

    fields: list[RequiredField]
    files: list[RequiredFile]
    fee: Fee
    review: ReviewTerms
