from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict


class RecordCertification(BaseModel):
    model_config = ConfigDict(extra="ignore")

    certified_name: str
    certification_text: str = ""
    namespace: str = "default"


class CertificationSummary(BaseModel):
    model_config = ConfigDict(extra="ignore")

    account_id: str
    certified: bool
    certified_name: str | None = None
    certification_text: str | None = None
    certified_at: datetime | None = None
