from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field


class RecordCertification(BaseModel):
    model_config = ConfigDict(extra="ignore")

    certified_name: str
    certification_text: str = ""
    namespace: str = "default"


class SummariesQuery(BaseModel):
    model_config = ConfigDict(extra="ignore")

    account_ids: list[str] = Field(max_length=1000)


class CertificationSummary(BaseModel):
    model_config = ConfigDict(extra="ignore")

    account_id: str
    certified: bool
    certified_name: str | None = None
    certification_text: str | None = None
    certified_at: datetime | None = None
