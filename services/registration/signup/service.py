"""Steps 3–5 of the wizard (R-REG-07..19): type, SMS code, subject, profile and submission."""

from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from contracts.certification.client import CertificationClient
from servicekit import clock
from servicekit.clock import shanghai_date
from servicekit.db import keep_writes
from servicekit.errors import BadRequest, Conflict, RateLimited, RuleError
from servicekit.identity import check_account_name, check_id_number, check_operator_name, check_phone
from servicekit.uploads import UploadedFile
from services.registration.accounts import repository as accounts
from services.registration.accounts.documents import image_format, store_document
from services.registration.accounts.models import Account
from services.registration.credentials import new_id, new_sms_code, sha256_hex
from services.registration.lifecycle.service import record_fact
from services.registration.outbox_relay import service as outbox
from services.registration.review import service as review_service
from services.registration.rules import (
    IMAGE_FORMATS,
    SUBJECT_TYPES,
    check_government_name,
    check_intro,
    check_language,
    check_region,
)
from services.registration.signup import repository
from services.registration.signup.models import SmsCode
from services.registration.signup.schemas import (
    ProfileSubmitted,
    ReviewStarted,
    SmsCodeSent,
    SubjectSubmitted,
    TypeSet,
)

SMS_LIFETIME = timedelta(minutes=10)
SMS_SPACING = timedelta(seconds=60)
SMS_PER_DAY = 10
SMS_WRONG_TRIES = 5
REGISTRATIONS_PER_IDENTITY = 5  # R-REG-14


def _editable(account: Account, what: str) -> None:
    """R-REG-15/19: steps 3–5 are open before submission and after a rejection, never during review."""
    if account.status == "in_review":
        raise Conflict("审核期间已提交信息不能修改", code="under_review")
    if account.status == "approved":
        raise Conflict(f"帐号已通过审核，{what}不能修改", code="registration_completed")
    if account.status == "email_unverified":
        raise Conflict("请先激活邮箱", code="email_not_activated")


async def set_type(session: AsyncSession, account: Account, account_type: str) -> TypeSet:
    """R-REG-07: fixed once step 4 is submitted."""
    _editable(account, "类型")
    if account.subject_submitted_at is not None and account.type != account_type:
        raise Conflict("信息登记提交后帐号类型不能修改", field="type", code="type_fixed")
    account.type = account_type
    await session.flush()
    return TypeSet(account_id=account.id, type=account.type)


async def send_sms_code(session: AsyncSession, account: Account, phone: str) -> SmsCodeSent:
    """R-REG-13: 6 digits, 10 minutes; one per phone per 60 s and 10 a day (serialised per phone)."""
    _editable(account, "信息")
    try:
        number = check_phone(phone)
    except RuleError as exc:
        raise exc.refusal(field="phone") from None
    # Limits are per namespace: each namespace is its own world, on its own clock.
    await accounts.advisory_lock(session, f"sms:{account.namespace}:{number}")
    now = await clock.now(session, account.namespace)
    sends = await repository.sms_sends(session, number, namespace=account.namespace, since=shanghai_date(now))
    if sends and now - sends[0] < SMS_SPACING:
        retry = sends[0] + SMS_SPACING
        raise RateLimited(
            "验证码发送过于频繁，请60秒后再试", code="sms_too_frequent", retry_at=retry.isoformat()
        )
    if len(sends) >= SMS_PER_DAY:
        raise RateLimited("该手机号今天获取验证码次数已达上限", code="sms_daily_limit")
    code = new_sms_code()
    row = SmsCode(
        id=new_id("sms"),
        account_id=account.id,
        phone=number,
        code_hash="",
        created_at=now,
        expires_at=now + SMS_LIFETIME,
        wrong_tries=0,
    )
    row.code_hash = sha256_hex(f"{row.id}:{code}")
    session.add(row)
    outbox.enqueue(
        session,
        account,
        channel="sms",
        to=number,
        kind="sms_code",
        created_at=now,
        body=f"【微信公众平台】你的验证码是 {code}，10分钟内有效。",
        data={"code": code},
    )
    await session.flush()
    return SmsCodeSent(phone=number, expires_at=row.expires_at, resend_after=now + SMS_SPACING)


@dataclass
class SubjectForm:
    subject_type: str
    government_name: str
    operator_name: str
    operator_id_number: str
    operator_phone: str
    sms_code: str
    authorization_letter: UploadedFile | None
    operator_photo: UploadedFile | None


def _image(field: str, upload: UploadedFile | None) -> tuple[str, UploadedFile]:
    """R-REG-09/12: a required picture whose type comes from its content."""
    if upload is None or upload.size == 0:
        raise BadRequest(f"请上传 {field}", field=field, code="file_required")
    return image_format(field, upload, IMAGE_FORMATS), upload


async def _verify_sms(
    session: AsyncSession, account: Account, phone: str, code: str, now: datetime
) -> SmsCode:
    row = await repository.latest_sms_code(session, account.id, phone)
    if row is None or row.used_at is not None or now >= row.expires_at:
        raise BadRequest("短信验证码已失效，请重新获取", field="sms_code", code="sms_code_expired")
    if row.wrong_tries >= SMS_WRONG_TRIES:
        raise BadRequest("短信验证码错误次数过多，请重新获取", field="sms_code", code="sms_code_exhausted")
    if sha256_hex(f"{row.id}:{code.strip()}") != row.code_hash:
        row.wrong_tries += 1
        raise keep_writes(
            BadRequest(
                "短信验证码错误",
                field="sms_code",
                code="sms_code_incorrect",
                tries_left=SMS_WRONG_TRIES - row.wrong_tries,
            )
        )
    return row


def check_subject_open(account: Account) -> None:
    """Step 4 is open now (R-REG-15/19): checked before the upload is read, so review answers 409."""
    _editable(account, "主体信息")
    if account.type is None:
        raise Conflict("请先选择帐号类型", code="type_required")
    if account.profile_submitted_at is not None and account.status != "rejected":
        raise Conflict("公众号信息已提交，不能再修改主体信息", code="under_review")


async def submit_subject(session: AsyncSession, account: Account, form: SubjectForm) -> SubjectSubmitted:
    """Step 4 (R-REG-08..15). Checks in order: fields, files, SMS code, then the R-REG-14 count under lock."""
    check_subject_open(account)
    now = await clock.now(session, account.namespace)
    if form.subject_type not in SUBJECT_TYPES:
        raise BadRequest("主体类型不正确", field="subject_type", code="invalid_subject_type")
    try:
        government_name = check_government_name(form.government_name)
        operator_name = check_operator_name(form.operator_name)
        id_number = check_id_number(form.operator_id_number, now.astimezone(clock.SHANGHAI).date())
        phone = check_phone(form.operator_phone)
    except RuleError as exc:
        raise exc.refusal() from None
    letter = _image("authorization_letter", form.authorization_letter)
    photo = _image("operator_photo", form.operator_photo)
    sms = await _verify_sms(session, account, phone, form.sms_code, now)
    # R-REG-14 under concurrency: lock the ID number, then the phone (always this order), then count.
    # Counted per namespace, like every limit: each namespace is its own world.
    namespace = account.namespace
    await accounts.advisory_lock(session, f"id:{namespace}:{id_number}")
    await accounts.advisory_lock(session, f"phone:{namespace}:{phone}")
    live = functools.partial(accounts.count_live_with, session, namespace=namespace, exclude=account.id)
    if await live("id_number", id_number) >= REGISTRATIONS_PER_IDENTITY:
        raise Conflict(
            "同一身份证最多可登记5次信息", field="operator_id_number", code="id_number_limit_reached"
        )
    if await live("phone", phone) >= REGISTRATIONS_PER_IDENTITY:
        raise Conflict("同一手机号最多可登记5次信息", field="operator_phone", code="phone_limit_reached")
    sms.used_at = now
    account.subject_type, account.government_name = form.subject_type, government_name
    account.operator_name, account.operator_id_number, account.operator_phone = (
        operator_name,
        id_number,
        phone,
    )
    account.subject_submitted_at = now
    record_fact(session, account, "operator_phone", now, phone=phone)  # R-DER-03: where SMS notices go
    for kind, (fmt, upload) in (("authorization_letter", letter), ("operator_photo", photo)):
        await store_document(session, account.id, kind, fmt, upload, now=now)
    await session.flush()
    return SubjectSubmitted(account_id=account.id, status=account.status, subject_submitted_at=now)


@dataclass
class ProfileForm:
    name: str
    intro: str
    country: str
    province: str | None
    city: str | None
    language: str
    category: str | None


async def submit_profile(
    session: AsyncSession,
    account: Account,
    form: ProfileForm,
    *,
    protected_names: tuple[str, ...],
    default_policy: str,
    certification: CertificationClient | None,
) -> ProfileSubmitted:
    """Step 5 (R-REG-16..18): the name, intro, region, language; then review starts."""
    _editable(account, "公众号信息")
    if account.subject_submitted_at is None:
        raise Conflict("请先完成信息登记（第4步）", code="subject_required")
    try:
        name = check_account_name(form.name, protected_names)
        intro = check_intro(form.intro)
        country, province, city = check_region(form.country, form.province, form.city)
        language = check_language(form.language)
    except RuleError as exc:
        raise exc.refusal() from None
    await refuse_certified_name(session, account, name, certification)
    now = await clock.now(session, account.namespace)
    account.name, account.intro, account.language = name, intro, language
    account.region_country, account.region_province, account.region_city = country, province, city
    account.category = (form.category or "").strip() or None
    review = await review_service.start_review(session, account, now=now, default_policy=default_policy)
    return ProfileSubmitted(
        account_id=account.id,
        status=account.status,
        review=ReviewStarted(review_id=review.id, status=review.status, deadline=review.deadline),
    )


async def refuse_certified_name(
    session: AsyncSession, account: Account, name: str, certification: CertificationClient | None
) -> None:
    """R-REG-16: duplicate names are allowed, except the name of a certified account (FAQ 8).

    Certified names are unique per namespace (a namespace is a world of its own), so the account's
    namespace is asked. A holder registration knows to be terminated no longer holds anything
    (R-DER-04); one it does not know at all still blocks, since certification says the name is
    taken. Without a certification peer nothing is certified (as in `accounts.service.certification_of`).
    """
    if certification is None:
        return
    holder = await certification.by_name(name, namespace=account.namespace)
    if holder is None or holder.account_id == account.id:
        return
    holder_account = await accounts.get_account(session, holder.account_id)
    if holder_account is not None and holder_account.status == "terminated":
        return
    raise Conflict("该名称已被认证帐号使用", field="name", code="certified_name_taken")
