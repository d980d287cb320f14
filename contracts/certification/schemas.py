from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field


class RecordCertification(BaseModel):
    """A certification granted by a fixture (`POST /_sandbox/accounts` with `certified: true`): a real,
    approved application with its one-year validity, so it expires like any other (R-CER-07)."""

    model_config = ConfigDict(extra="ignore")

    certified_name: str
    certification_text: str = ""
    institution_name: str = ""
    namespace: str = "default"
    email: str | None = None  # where the expiry notices go (the login e-mail)


class EndCertification(BaseModel):
    """R-CER-08: end an account's certification (the account is terminated)."""

    model_config = ConfigDict(extra="ignore")

    namespace: str = "default"
    reason: str = "account_terminated"
    at: datetime | None = None  # the virtual moment of the termination (defaults to the clock)


class SummariesQuery(BaseModel):
    model_config = ConfigDict(extra="ignore")

    account_ids: list[str] = Field(max_length=1000)


class CertificationSummary(BaseModel):
    """An account's certification as others show it (R-CER-06). `changes_at`: the next instant the
    answer changes by itself (an expiry, an `at_deadline` decision), for whoever caches it."""

    model_config = ConfigDict(extra="ignore")

    account_id: str
    certified: bool
    certified_name: str | None = None
    certification_text: str | None = None
    certified_at: datetime | None = None
    expires_at: datetime | None = None
    pending: bool = False
    changes_at: datetime | None = None


class CertificationEnded(BaseModel):
    account_id: str
    ended: bool  # an active certification ended now
    cancelled: list[str] = []  # pending applications closed as `cancelled`


class CertificationReview(BaseModel):
    """A certification review, in the shape of `GET /_sandbox/reviews` (SPEC §7.1)."""

    model_config = ConfigDict(extra="ignore")

    review_id: str
    kind: str = "certification"
    account_id: str
    namespace: str
    status: str
    submitted_at: datetime
    deadline: datetime
    decided_at: datetime | None = None
    reason: str | None = None
    certification_id: str
    application_kind: str
    certified_name: str


class CertificationReviewList(BaseModel):
    items: list[CertificationReview]
