"""What `/docs` shows for certification's console calls (SPEC §4.1)."""

from __future__ import annotations

from pydantic import BaseModel


class Choice(BaseModel):
    value: str
    label: str


class RequiredField(BaseModel):
    name: str
    label: str
    required: bool
    min_length: int | None = None
    max_length: int | None = None
    choices: list[Choice] | None = None
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
