"""Ready-made accounts for tests (`POST /_sandbox/accounts`) and the full state view of one account."""

from __future__ import annotations

import secrets
from datetime import date, datetime, timedelta
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict
from sqlalchemy.ext.asyncio import AsyncSession

from contracts.capabilities import capabilities
from contracts.certification.client import CertificationClient
from contracts.certification.schemas import RecordCertification
from contracts.messaging.client import MessagingClient
from servicekit import clock
from servicekit.errors import DependencyDown, NotFound, SandboxError, Unprocessable
from services.registration import repository, service_review
from services.registration.credentials import Passwords, new_id, new_password
from services.registration.dependencies import Peers
from services.registration.errors import bad_input
from services.registration.models import Account, Review
from services.registration.rules import RuleError, check_account_name, id_check_char
from services.registration.service_steps import refuse_certified_name
from services.registration.views import (
    account_view,
    certification_of,
    deregistration_due_at,
    registration_expires_at,
    review_block,
)

FixtureStatus = Literal["email_unverified", "activated", "in_review", "rejected", "approved", "terminated"]


class FixtureRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    type: Literal["subscription", "service"]
    certified: bool = False
    name: str | None = None
    status: FixtureStatus = "approved"


def fake_id_number(today: date) -> str:
    """A valid mainland ID (Beijing Dongcheng) of an adult, random enough to stay under R-REG-14."""
    birth = date(today.year - 30, 1, 1) + timedelta(days=secrets.randbelow(365 * 20))
    first17 = f"110101{birth:%Y%m%d}{secrets.randbelow(1000):03d}"
    return first17 + id_check_char(first17)


def fake_phone() -> str:
    return f"13{secrets.randbelow(10**9):09d}"


async def create_fixture(
    session: AsyncSession,
    body: FixtureRequest,
    *,
    namespace: str,
    passwords: Passwords,
    peers: Peers,
    protected_names: tuple[str, ...] = (),
) -> dict[str, Any]:
    if body.certified and body.status != "approved":
        raise Unprocessable(
            "只有已通过审核的帐号才能认证", code="certified_requires_approved", field="certified"
        )
    name = body.name or f"政务测试{secrets.token_hex(6)}"  # unique enough never to collide (R-CER-04)
    check_fixture_name(name, protected_names)
    now = await clock.now(session, namespace)
    password = new_password()
    account = Account(
        id=new_id("acc"),
        namespace=namespace,
        email=f"fx-{secrets.token_hex(6)}@fixtures.mpsandbox.cn",
        password_hash=passwords.hash(password),
        status="email_unverified",
        type=body.type,
        created_at=now,
        activation_expires_at=now + timedelta(hours=48),
        failed_logins=0,
    )
    if body.status != "email_unverified":
        account.status, account.activated_at = "activated", now
    if body.status not in ("email_unverified", "activated"):
        account.subject_type, account.government_name = "government", f"{name}管理办公室"
        account.operator_name, account.operator_id_number = "张三", fake_id_number(now.date())
        account.operator_phone, account.subject_submitted_at = fake_phone(), now
        account.name, account.intro, account.language = name, "沙箱生成的测试公众号", "zh_CN"
        account.region_country, account.region_province, account.region_city = "CN", "北京", "北京"
    if account.name is not None:  # R-REG-16 / R-CER-04: a certified name is taken, as at step 5
        await refuse_certified_name(session, account, name, peers.certification)
    session.add(account)
    await session.flush()
    secret: str | None = None
    if account.subject_submitted_at is not None:
        review = await service_review.open_review(session, account, now=now)
        if body.status in ("approved", "terminated"):
            secret = await service_review.approve(session, account, review, now=now, decided_by="fixture")
        elif body.status == "rejected":
            await service_review.reject(session, account, review, now=now, reason="沙箱生成：材料不全")
    if body.status == "terminated":
        account.status, account.terminated_at, account.termination_reason = "terminated", now, "沙箱生成"
    await session.flush()
    certified = False
    if body.certified:
        if peers.certification is None:
            raise DependencyDown("certification 服务暂时不可用", code="certification_unavailable")
        summary = await CertificationClient(peers.certification).record(
            account.id, RecordCertification(certified_name=name, namespace=namespace)
        )
        certified = summary.certified
    return {
        "account_id": account.id,
        "namespace": namespace,
        "appid": account.appid,
        "secret": secret,
        "original_id": account.original_id,
        "email": account.email,
        "password": password,
        "type": account.type,
        "certified": certified,
        "status": account.status,
        "name": account.name,
    }


def check_fixture_name(name: str, protected_names: tuple[str, ...] = ()) -> None:
    """A fixture's name obeys R-REG-16 like a registered one, protected names included."""
    try:
        check_account_name(name, protected_names)
    except RuleError as exc:
        raise bad_input(exc) from None


def _timeline(account: Account, reviews: list[Review]) -> list[dict[str, Any]]:
    events: list[tuple[datetime | None, str, dict[str, Any]]] = [
        (account.created_at, "registered", {}),
        (account.activated_at, "activated", {}),
        (account.subject_submitted_at, "subject_submitted", {}),
    ]
    for review in reviews:
        events.append((review.submitted_at, "review_submitted", {"review_id": review.id}))
        if review.decided_at is not None:
            detail = {"review_id": review.id, "decided_by": review.decided_by, "reason": review.reason}
            events.append((review.decided_at, f"review_{review.status}", detail))
    events += [
        (account.approved_at, "approved", {}),
        (account.last_login_at, "last_login", {}),
        (account.terminated_at, "terminated", {"reason": account.termination_reason}),
    ]
    done = [(at, kind, extra) for at, kind, extra in events if at is not None]
    done.sort(key=lambda e: e[0])
    return [{"at": at, "kind": kind, **extra} for at, kind, extra in done]


async def account_state(session: AsyncSession, appid: str, *, peers: Peers) -> dict[str, Any]:
    """`GET /_sandbox/accounts/{appid}`: status, timeline, deadlines, capabilities, messaging counters."""
    account = await repository.account_by_appid(session, appid)
    if account is None:
        raise NotFound("帐号不存在", code="account_not_found")
    summary = await certification_of(peers.certification, account)
    reviews = list(await repository.reviews_of(session, account.id))
    state: dict[str, Any] = account_view(account, summary.certified).model_dump(mode="json")
    state |= {
        "email": account.email,
        "wechat_id": account.wechat_id,
        "created_at": account.created_at,
        "approved_at": account.approved_at,
        "last_login_at": account.last_login_at,
        "termination_reason": account.termination_reason,
        "certification": summary.model_dump(mode="json", exclude={"account_id"}),
        "review": review_block(reviews[-1] if reviews else None),
        "timeline": _timeline(account, reviews),
        "deadlines": {
            "activation_expires_at": account.activation_expires_at if account.activated_at is None else None,
            "review_deadline": reviews[-1].deadline if reviews and reviews[-1].status == "pending" else None,
            "registration_expires_at": registration_expires_at(account),
            "deregistration_due_at": deregistration_due_at(account),
        },
        "capabilities": capabilities(account.type, summary.certified, account.status),
    }
    if peers.messaging is not None:
        try:
            stats = await MessagingClient(peers.messaging).account_stats(
                account.id, namespace=account.namespace, account_type=account.type
            )
        except SandboxError:
            pass  # messaging's counters are optional in this view
        else:
            state["followers"] = stats.followers
            state["quota"] = stats.quota.model_dump(mode="json") if stats.quota else None
    return state
