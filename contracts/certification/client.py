"""Typed client for the certification service's internal endpoints."""

from __future__ import annotations

import httpx

from contracts.certification.schemas import (
    CertificationEnded,
    CertificationReview,
    CertificationReviewList,
    CertificationSummary,
    EndCertification,
    RecordCertification,
    SummariesQuery,
)
from servicekit.errors import SandboxError
from servicekit.http import call_peer, peer_path

RECORD_PATH = "/internal/certifications/{account_id}"
SUMMARY_PATH = "/internal/certifications/{account_id}"
SUMMARIES_PATH = "/internal/certifications/summaries"
BY_NAME_PATH = "/internal/certifications/by-name/{name}"
END_PATH = "/internal/certifications/{account_id}/end"
REVIEWS_PATH = "/internal/certification-reviews"
REVIEW_ID_PREFIX = "crev_"  # certification reviews' ids; the gateway routes their decisions here
NAME_NOT_HELD = "certified_name_not_found"  # the 404 code of BY_NAME_PATH: no certified account holds it


class CertificationClient:
    def __init__(self, client: httpx.AsyncClient) -> None:
        self._client = client

    async def record(self, account_id: str, body: RecordCertification) -> CertificationSummary:
        response = await call_peer(
            self._client,
            "PUT",
            peer_path(RECORD_PATH, account_id=account_id),
            service="certification",
            json=body.model_dump(mode="json"),
        )
        return CertificationSummary.model_validate(response.json())

    async def summary(self, account_id: str) -> CertificationSummary:
        response = await call_peer(
            self._client, "GET", peer_path(SUMMARY_PATH, account_id=account_id), service="certification"
        )
        return CertificationSummary.model_validate(response.json())

    async def summaries(self, account_ids: list[str]) -> dict[str, CertificationSummary]:
        """One call for many accounts (search results): account_id → summary, every id answered."""
        if not account_ids:
            return {}
        response = await call_peer(
            self._client,
            "POST",
            SUMMARIES_PATH,
            service="certification",
            json=SummariesQuery(account_ids=account_ids).model_dump(),
        )
        items = [CertificationSummary.model_validate(item) for item in response.json()["items"]]
        return {item.account_id: item for item in items}

    async def by_name(self, name: str, *, namespace: str = "default") -> CertificationSummary | None:
        """The certified account of `namespace` holding `name` (R-CER-04 / R-REG-16), or None when no
        one holds it."""
        path = peer_path(BY_NAME_PATH, name=name)
        try:
            response = await call_peer(
                self._client, "GET", path, service="certification", params={"namespace": namespace}
            )
        except SandboxError as exc:
            # Only the endpoint's own "not held" answer means free; a 404 for the route itself must not.
            if exc.instance_status == 404 and exc.instance_code == NAME_NOT_HELD:
                return None
            raise
        return CertificationSummary.model_validate(response.json())

    async def end(self, account_id: str, body: EndCertification) -> CertificationEnded:
        """R-CER-08: the account is terminated; its certification ends and its name becomes free."""
        response = await call_peer(
            self._client,
            "POST",
            peer_path(END_PATH, account_id=account_id),
            service="certification",
            json=body.model_dump(mode="json"),
        )
        return CertificationEnded.model_validate(response.json())

    async def reviews(self, *, status: str | None, namespace: str | None) -> list[CertificationReview]:
        """Certification reviews, for `GET /_sandbox/reviews` (registration lists both kinds)."""
        params = {k: v for k, v in (("status", status), ("namespace", namespace)) if v}
        response = await call_peer(self._client, "GET", REVIEWS_PATH, service="certification", params=params)
        return CertificationReviewList.model_validate(response.json()).items
