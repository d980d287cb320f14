"""Review of registrations (SPEC §3.4, R-REG-18/30/31): open, approve, reject, decide.

Lock order: the account row first, then its review row — everywhere a review is opened or decided.
The account is the aggregate every registration write starts from (wizard steps, tokens, fixtures),
so a decision takes it too before touching the review:

- a manual decision (`decide`) locks the account FOR UPDATE, then the review FOR UPDATE, and only
  then checks that both are still pending (409 `review_decided` otherwise);
- the `at_deadline` clock hook (`repository.approve_due`) locks the due accounts FOR UPDATE in id
  order in one statement, then updates their reviews;
- the `instant` policy and the fixtures (`open_review`) lock the account before inserting the
  review, which nobody else can see until commit.

Two deciders of one review therefore queue on the account row; the later one finds it decided.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from servicekit import clock
from servicekit.errors import Conflict, NotFound
from servicekit.workdays import end_of_nth_working_day
from services.registration.accounts import repository as accounts
from services.registration.accounts.models import Account
from services.registration.credentials import new_app_secret, new_appid, new_id, new_original_id, sha256_hex
from services.registration.lifecycle.service import record_fact
from services.registration.outbox_relay import service as outbox
from services.registration.review import repository
from services.registration.review.models import Review

REVIEW_WORKING_DAYS = 7


async def open_review(session: AsyncSession, account: Account, *, now: datetime) -> Review:
    """R-REG-18: status in_review, deadline = end of the 7th working day after the submission date."""
    await accounts.get_account(session, account.id, lock=True)  # the lock order: account first
    review = Review(
        id=new_id("rev"),
        account_id=account.id,
        namespace=account.namespace,
        kind="registration",
        status="pending",
        submitted_at=now,
        deadline=end_of_nth_working_day(now, REVIEW_WORKING_DAYS),
    )
    session.add(review)
    account.status = "in_review"
    account.profile_submitted_at = now
    await session.flush()
    return review


async def start_review(
    session: AsyncSession, account: Account, *, now: datetime, default_policy: str
) -> Review:
    """Step 5 submitted: open the review; the namespace's `instant` policy approves it at once."""
    review = await open_review(session, account, now=now)
    if await clock.review_policy(session, account.namespace, default_policy) == "instant":
        await approve(session, account, review, now=now, decided_by="instant")
    return review


async def approve(
    session: AsyncSession, account: Account, review: Review, *, now: datetime, decided_by: str
) -> str:
    """R-REG-30: AppID, AppSecret (hashed; returned here, shown only where the caller may) and original id."""
    secret = new_app_secret()
    review.status, review.decided_at, review.decided_by = "approved", now, decided_by
    account.status = "approved"
    account.approved_at = now
    account.appid = account.appid or new_appid()
    account.original_id = account.original_id or new_original_id()
    account.secret_hash = sha256_hex(secret)
    record_fact(session, account, "approved", now)  # R-DER-01 ends, R-DER-02 starts
    outbox.enqueue(
        session,
        account,
        channel="notification",
        to=account.id,
        kind="registration_approved",
        created_at=now,
        subject="公众号信息登记审核通过",
        body=f"你的公众号“{account.name}”信息登记审核已通过，可以正常使用微信公众平台。",
        data={"appid": account.appid},
    )
    await session.flush()
    return secret


async def reject(
    session: AsyncSession, account: Account, review: Review, *, now: datetime, reason: str
) -> None:
    """R-REG-31: a mandatory reason, shown to the operator, who may fix steps 4–5 and resubmit."""
    review.status, review.decided_at, review.decided_by, review.reason = "rejected", now, "operator", reason
    account.status = "rejected"
    outbox.enqueue(
        session,
        account,
        channel="notification",
        to=account.id,
        kind="registration_rejected",
        created_at=now,
        subject="公众号信息登记审核未通过",
        body=f"你的公众号信息登记审核未通过，原因：{reason}",
        data={"reason": reason},
    )
    await session.flush()


async def _pending(session: AsyncSession, review_id: str) -> tuple[Review, Account]:
    """The review and its account, both locked in the module's order and both still undecided."""
    found = await repository.get_review(session, review_id)
    if found is None:
        raise NotFound("审核单不存在", code="review_not_found")
    account = await accounts.get_account(session, found.account_id, lock=True)
    review = await repository.get_review(session, review_id, lock=True)
    if review is None or review.status != "pending" or account is None or account.status != "in_review":
        status = review.status if review is not None else found.status
        raise Conflict("该审核已处理", code="review_decided", review_status=status)
    return review, account


async def decide(session: AsyncSession, review_id: str, *, approve_it: bool, reason: str | None) -> Review:
    review, account = await _pending(session, review_id)
    now = await clock.now(session, account.namespace)
    if approve_it:
        await approve(session, account, review, now=now, decided_by="operator")
    else:
        await reject(session, account, review, now=now, reason=reason or "")
    return review


async def list_reviews(
    session: AsyncSession, *, kind: str | None, status: str | None, namespace: str | None
) -> Sequence[Review]:
    return await repository.list_reviews(session, kind=kind, status=status, namespace=namespace)
