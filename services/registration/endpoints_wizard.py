"""The registration wizard on `/api/v1` (SPEC §3.1): steps 1–5, login and logout."""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter, Query, Request, Response
from pydantic import BaseModel, ConfigDict, Field

from servicekit.db import SessionDep
from servicekit.errors import BadRequest
from servicekit.uploads import MB, read_multipart
from services.registration import captcha, service_steps, service_wizard
from services.registration.dependencies import (
    CurrentAccount,
    NamespaceDep,
    PasswordsDep,
    PeersDep,
    SettingsDep,
    bearer_token,
    keep_on_refusal,
)

wizard = APIRouter(prefix="/api/v1", tags=["registration"])


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


class LoginBody(Strict):
    email: str = Field(max_length=254)
    password: str = Field(max_length=128)


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


@wizard.post("/captchas", status_code=201)
async def create_captcha(session: SessionDep, namespace: NamespaceDep) -> dict[str, Any]:
    return await captcha.create(session, namespace=namespace)


@wizard.post("/registrations", status_code=201)
async def register(
    body: RegistrationBody,
    session: SessionDep,
    namespace: NamespaceDep,
    passwords: PasswordsDep,
    settings: SettingsDep,
) -> dict[str, Any]:
    async with keep_on_refusal(session):
        return await service_wizard.register(
            session,
            namespace=namespace,
            email=body.email,
            password=body.password,
            captcha_id=body.captcha_id,
            captcha_answer=body.captcha_answer,
            agreement_accepted=body.agreement_accepted,
            passwords=passwords,
            base_url=settings.public_base_url,
        )


@wizard.post("/registrations/activation")
async def activate(body: TokenBody, session: SessionDep) -> dict[str, Any]:
    async with keep_on_refusal(session):
        return await service_wizard.activate(session, token=body.token)


@wizard.get("/registrations/activation")
async def activate_by_link(
    session: SessionDep, token: str = Query(min_length=1, max_length=200)
) -> dict[str, Any]:
    """The e-mail's link (`GET …/activation?token=`) does what `POST {token}` does, so a click works."""
    async with keep_on_refusal(session):
        return await service_wizard.activate(session, token=token)


@wizard.post("/registrations/activation-email")
async def resend_activation(body: EmailBody, session: SessionDep, settings: SettingsDep) -> dict[str, Any]:
    async with keep_on_refusal(session):
        return await service_wizard.resend_activation(
            session, email=body.email, base_url=settings.public_base_url
        )


@wizard.post("/sessions", status_code=201)
async def login(body: LoginBody, session: SessionDep, passwords: PasswordsDep) -> dict[str, Any]:
    async with keep_on_refusal(session):
        return await service_wizard.login(
            session, email=body.email, password=body.password, passwords=passwords
        )


@wizard.delete("/sessions", status_code=204)
async def logout(request: Request, session: SessionDep) -> Response:
    await service_wizard.logout(session, token=bearer_token(request))
    return Response(status_code=204)


@wizard.put("/account/type")
async def set_type(body: TypeBody, account: CurrentAccount, session: SessionDep) -> dict[str, Any]:
    return await service_steps.set_type(session, account, body.type)


@wizard.post("/sms-codes", status_code=201)
async def send_sms_code(body: PhoneBody, account: CurrentAccount, session: SessionDep) -> dict[str, Any]:
    return await service_steps.send_sms_code(session, account, body.phone)


SUBJECT_FIELDS = (
    "subject_type",
    "government_name",
    "operator_name",
    "operator_id_number",
    "operator_phone",
    "sms_code",
)


@wizard.put("/account/subject")
async def submit_subject(request: Request, account: CurrentAccount, session: SessionDep) -> dict[str, Any]:
    """Multipart step 4; files are judged while streaming (413 before the body is read whole)."""
    service_steps.check_subject_open(account)
    form = await read_multipart(
        request, file_limits={"authorization_letter": 5 * MB, "operator_photo": 2 * MB}, field_limit=1024
    )
    missing = [name for name in SUBJECT_FIELDS if not form.fields.get(name, "").strip()]
    if missing:
        raise BadRequest(f"缺少字段：{', '.join(missing)}", field=missing[0], code="field_required")
    async with keep_on_refusal(session):
        return await service_steps.submit_subject(
            session,
            account,
            service_steps.SubjectForm(
                **{name: form.fields[name] for name in SUBJECT_FIELDS},
                authorization_letter=form.files.get("authorization_letter"),
                operator_photo=form.files.get("operator_photo"),
            ),
        )


@wizard.put("/account/profile")
async def submit_profile(
    body: ProfileBody, account: CurrentAccount, session: SessionDep, settings: SettingsDep, peers: PeersDep
) -> dict[str, Any]:
    return await service_steps.submit_profile(
        session,
        account,
        service_steps.ProfileForm(
            name=body.name,
            intro=body.intro,
            country=body.region.country,
            province=body.region.province,
            city=body.region.city,
            language=body.language,
            category=body.category,
        ),
        protected_names=settings.protected_names,
        default_policy=settings.review_policy,
        certification=peers.certification,
    )
