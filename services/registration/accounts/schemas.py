"""Response bodies of the account endpoints (SPEC §7.1); datetimes go out as ISO 8601."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel


class DocumentOut(BaseModel):
    format: str
    size: int
    sha256: str
    uploaded_at: datetime


class SubjectOut(BaseModel):
    subject_type: str | None
    government_name: str | None
    operator_name: str | None
    operator_id_number: str | None
    operator_phone: str | None
    authorization_letter: DocumentOut | None
    operator_photo: DocumentOut | None
    submitted_at: datetime | None


class RegionOut(BaseModel):
    country: str | None
    province: str | None
    city: str | None


class ProfileOut(BaseModel):
    name: str | None
    intro: str | None
    region: RegionOut
    language: str | None
    category: str | None
    avatar: DocumentOut | None
    submitted_at: datetime | None


class ReviewBlock(BaseModel):
    """The latest review; without one every field is null and `decided_at` is left out."""

    review_id: str | None
    status: str | None
    submitted_at: datetime | None
    deadline: datetime | None
    decided_at: datetime | None = None
    reason: str | None


class CertificationBlock(BaseModel):
    """R-CER-06: the certification summary (`pending`: an application is in review)."""

    certified: bool
    certified_name: str | None
    certification_text: str | None
    certified_at: datetime | None
    expires_at: datetime | None = None
    pending: bool = False


class NoticeSent(BaseModel):
    day: int
    at: datetime


class LifecycleBlock(BaseModel):
    """R-DER-07: the deregistration rule the account is under (R-DER-01 until approved, then R-DER-02),
    the anchor of its current cycle, the notices of that cycle already sent and the next one, and how
    it ended. `schedule_known` is false when the scheduler could not be asked (`notices_sent` is then
    empty and `next_notice_at` the cycle's first notice)."""

    rule: str | None
    anchor_at: datetime | None
    next_notice_at: datetime | None
    notices_sent: list[NoticeSent]
    terminated_at: datetime | None
    reason: str | None
    schedule_known: bool = True


class NextAllowed(BaseModel):
    login_email: datetime | None
    avatar: datetime | None


class AccountDetail(BaseModel):
    """`GET /api/v1/account`: every field of SPEC §7.1."""

    account_id: str
    namespace: str
    status: str
    step: int
    type: str | None
    subject: SubjectOut
    profile: ProfileOut
    review: ReviewBlock
    certification: CertificationBlock
    capabilities: list[str]
    appid: str | None
    original_id: str | None
    created_at: datetime
    activated_at: datetime | None
    approved_at: datetime | None
    last_login_at: datetime | None
    registration_expires_at: datetime | None
    deregistration_due_at: datetime | None
    lifecycle: LifecycleBlock
    login_email: str
    wechat_id: str | None
    admin_wechat: str | None
    next_allowed_at: NextAllowed
    terminated_at: datetime | None
    termination_reason: str | None


class SearchHit(BaseModel):
    appid: str | None
    name: str | None
    intro: str | None
    certified: bool
    certified_name: str | None = None
    certification_text: str | None = None


class SearchResult(BaseModel):
    items: list[SearchHit]
