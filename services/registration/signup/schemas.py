"""Request and response bodies of the wizard's steps."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field


class Strict(BaseModel):
    model_config = ConfigDict(extra="ignore", strict=True)


class RegistrationBody(Strict):
    email: str = Field(max_length=254)
    password: str = Field(max_length=128)
    captcha_id: str = Field(max_length=40)
    captcha_answer: str = Field(max_length=16)
    agreement_accepted: bool


class TokenBody(Strict):
    token: str = Field(min_length=1, max_length=200)


class EmailBody(Strict):
    email: str = Field(max_length=254)


class TypeBody(Strict):
    type: Literal["subscription", "service"]


class PhoneBody(Strict):
    phone: str = Field(max_length=20)


class Region(Strict):
    country: str = Field(max_length=32)
    province: str | None = Field(default=None, max_length=32)
    city: str | None = Field(default=None, max_length=32)


class ProfileBody(Strict):
    name: str = Field(max_length=64)
    intro: str = Field(max_length=400)
    region: Region
    language: str = Field(max_length=8)
    category: str | None = Field(default=None, max_length=64)


class CaptchaOut(BaseModel):
    captcha_id: str
    image: str
    expires_at: datetime


class CaptchaAnswer(BaseModel):
    captcha_id: str
    answer: str


class Registered(BaseModel):
    account_id: str
    status: str
    activation_expires_at: datetime | None


class Activated(BaseModel):
    account_id: str
    status: str


class ActivationResent(BaseModel):
    account_id: str
    activation_expires_at: datetime | None


class TypeSet(BaseModel):
    account_id: str
    type: str | None


class SmsCodeSent(BaseModel):
    phone: str
    expires_at: datetime
    resend_after: datetime


class SubjectSubmitted(BaseModel):
    account_id: str
    status: str
    subject_submitted_at: datetime


class ReviewStarted(BaseModel):
    review_id: str
    status: str
    deadline: datetime


class ProfileSubmitted(BaseModel):
    account_id: str
    status: str
    review: ReviewStarted
