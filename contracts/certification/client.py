"""Typed client for the certification service's internal endpoints."""

from __future__ import annotations

import httpx

from contracts.certification.schemas import CertificationSummary, RecordCertification
from servicekit.http import call_peer

RECORD_PATH = "/internal/certifications/{account_id}"
SUMMARY_PATH = "/internal/certifications/{account_id}"


class CertificationClient:
    def __init__(self, client: httpx.AsyncClient) -> None:
        self._client = client

    async def record(self, account_id: str, body: RecordCertification) -> CertificationSummary:
        response = await call_peer(
            self._client,
            "PUT",
            RECORD_PATH.format(account_id=account_id),
            service="certification",
            json=body.model_dump(mode="json"),
        )
        return CertificationSummary.model_validate(response.json())

    async def summary(self, account_id: str) -> CertificationSummary:
        response = await call_peer(
            self._client, "GET", SUMMARY_PATH.format(account_id=account_id), service="certification"
        )
        return CertificationSummary.model_validate(response.json())
