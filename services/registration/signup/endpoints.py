"""The registration wizard on `/api/v1` (SPEC §3.1): steps 1–5; captcha answers on the control plane."""

from __future__ import annotations

from fastapi import APIRouter, Query, Request

from servicekit.db import SessionDep
from servicekit.errors import BadRequest
from servicekit.uploads import MB, read_multipart
from services.registration.dependencies import (
    CurrentAccount,
    NamespaceDep,
    PasswordsDep,
    PeersDep,
    SettingsDep,
)
from services.registration.signup import activation, captcha, service
from services.registration.signup.schemas import (
    Activated,
    ActivationResent,
    CaptchaAnswer,
    CaptchaOut,
    EmailBody,
    PhoneBody,
    ProfileBody,
    ProfileSubmitted,
    Registered,
    RegistrationBody,
    SmsCodeSent,
    SubjectSubmitted,
    TokenBody,
    TypeBody,
    TypeSet,
)

wizard = APIRouter(prefix="/api/v1", tags=["registration"])
sandbox = APIRouter(prefix="/_sandbox", tags=["sandbox"])


@wizard.post("/captchas", status_code=201)
async def create_captcha(session: SessionDep, namespace: NamespaceDep) -> CaptchaOut:
    return await captcha.create(session, namespace=namespace)


@wizard.post("/registrations", status_code=201)
async def register(
    body: RegistrationBody,
    session: SessionDep,
    namespace: NamespaceDep,
    passwords: PasswordsDep,
    settings: SettingsDep,
) -> Registered:
    return await activation.register(
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
async def activate(body: TokenBody, session: SessionDep) -> Activated:
    return await activation.activate(session, token=body.token)


@wizard.get("/registrations/activation")
async def activate_by_link(
    session: SessionDep, token: str = Query(min_length=1, max_length=200)
) -> Activated:
    """The e-mail's link (`GET …/activation?token=`) does what `POST {token}` does, so a click works."""
    return await activation.activate(session, token=token)


@wizard.post("/registrations/activation-email")
async def resend_activation(body: EmailBody, session: SessionDep, settings: SettingsDep) -> ActivationResent:
    return await activation.resend_activation(session, email=body.email, base_url=settings.public_base_url)


@wizard.put("/account/type")
async def set_type(body: TypeBody, account: CurrentAccount, session: SessionDep) -> TypeSet:
    return await service.set_type(session, account, body.type)


@wizard.post("/sms-codes", status_code=201)
async def send_sms_code(body: PhoneBody, account: CurrentAccount, session: SessionDep) -> SmsCodeSent:
    return await service.send_sms_code(session, account, body.phone)


SUBJECT_FIELDS = (
    "subject_type",
    "government_name",
    "operator_name",
    "operator_id_number",
    "operator_phone",
    "sms_code",
)


@wizard.put("/account/subject")
async def submit_subject(request: Request, account: CurrentAccount, session: SessionDep) -> SubjectSubmitted:
    """Multipart step 4; files are judged while streaming (413 before the body is read whole)."""
    service.check_subject_open(account)
    form = await read_multipart(
        request, file_limits={"authorization_letter": 5 * MB, "operator_photo": 2 * MB}, field_limit=1024
    )
    missing = [name for name in SUBJECT_FIELDS if not form.fields.get(name, "").strip()]
    if missing:
        raise BadRequest(f"缺少字段：{', '.join(missing)}", field=missing[0], code="field_required")
    return await service.submit_subject(
        session,
        account,
        service.SubjectForm(
            **{name: form.fields[name] for name in SUBJECT_FIELDS},
            authorization_letter=form.files.get("authorization_letter"),
            operator_photo=form.files.get("operator_photo"),
        ),
    )


@wizard.put("/account/profile")
async def submit_profile(
    body: ProfileBody, account: CurrentAccount, session: SessionDep, settings: SettingsDep, peers: PeersDep
) -> ProfileSubmitted:
    return await service.submit_profile(
        session,
        account,
        service.ProfileForm(
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


@sandbox.get("/captchas/{captcha_id}")
async def captcha_answer(captcha_id: str, session: SessionDep) -> CaptchaAnswer:
    return await captcha.answer_of(session, captcha_id)
