"""Registration's side of deregistration (SPEC §6.2): the facts the scheduler's schedule runs on, the
terminations it asks for (R-DER-04), and the lifecycle an account view shows (R-DER-07)."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from contracts.certification.client import CertificationClient
from contracts.certification.schemas import EndCertification
from contracts.registration.schemas import (
    Termination,
    TerminationBatch,
    TerminationResult,
    TerminationResults,
)
from contracts.scheduler.client import SchedulerClient
from contracts.scheduler.relay import new_fact_id
from contracts.scheduler.schemas import FactKind
from servicekit.errors import SandboxError
from services.registration.accounts.models import Account
from services.registration.accounts.schemas import LifecycleBlock, NoticeSent
from services.registration.lifecycle import repository, rules
from services.registration.lifecycle.models import LifecycleFact
from services.registration.peers import Peers

log = logging.getLogger("registration.lifecycle")


def record_fact(
    session: AsyncSession, account: Account, kind: FactKind, at: datetime, **data: str | None
) -> None:
    """A fact about `account`, relayed to the scheduler once the current transaction commits."""
    session.add(
        LifecycleFact(
            id=new_fact_id(),
            account_id=account.id,
            namespace=account.namespace,
            kind=kind,
            at=at,
            data=data,
            attempts=0,
        )
    )


def record_history(session: AsyncSession, account: Account) -> None:
    """Every fact of an account made in one go (a control-plane fixture), except its approval, which
    `review.service.approve` records as every approval does."""
    record_fact(session, account, "signed_up", account.created_at, email=account.email)
    if account.activated_at is not None:
        record_fact(session, account, "activated", account.activated_at)
    if account.subject_submitted_at is not None and account.operator_phone:
        record_fact(
            session, account, "operator_phone", account.subject_submitted_at, phone=account.operator_phone
        )
    if account.last_login_at is not None:
        record_fact(session, account, "login", account.last_login_at)
    if account.terminated_at is not None:
        record_fact(session, account, "terminated", account.terminated_at, reason=account.termination_reason)


async def terminate(session: AsyncSession, batch: TerminationBatch, peers: Peers) -> TerminationResults:
    """R-DER-04: terminate what still deserves it, one answer per item; idempotent.

    The batch's accounts are locked in id order and judged by `rules.termination_verdict`; those
    terminated have their pending review cancelled, sessions and tokens ended, a `terminated` fact
    recorded, and their certification ended (R-CER-08; retried by the clock hook when certification
    cannot be reached).
    """
    wanted: dict[str, Termination] = {}
    for item in batch.items:  # one account asked twice: the earlier instant
        if item.account_id not in wanted or item.at < wanted[item.account_id].at:
            wanted[item.account_id] = item
    accounts = {a.id: a for a in await repository.lock_accounts(session, sorted(wanted))}
    results: list[TerminationResult] = []
    terminated: list[Account] = []
    for account_id, item in wanted.items():
        account = accounts.get(account_id)
        if account is None:
            results.append(TerminationResult(account_id=account_id, outcome="not_found"))
            continue
        verdict = rules.termination_verdict(
            status=account.status,
            activated_at=account.activated_at,
            approved_at=account.approved_at,
            last_login_at=account.last_login_at,
            rule=item.rule,
            anchor_at=item.anchor_at,
        )
        if verdict == "terminate":
            account.status, account.terminated_at, account.termination_reason = (
                "terminated",
                item.at,
                item.reason,
            )
            if account.appid is None:  # never approved: never certified
                account.certification_ended_at = item.at
            record_fact(session, account, "terminated", item.at, reason=item.reason)
            terminated.append(account)
        outcome = "terminated" if verdict == "terminate" else verdict
        results.append(
            TerminationResult(
                account_id=account_id,
                outcome=outcome,
                terminated_at=account.terminated_at,
                reason=account.termination_reason,
            )
        )
    if terminated:
        await session.flush()
        await repository.close_terminated(session, [a.id for a in terminated])
        await end_certifications(session, peers.certification, terminated)
    return TerminationResults(items=results)


async def end_certifications(
    session: AsyncSession, certification: CertificationClient | None, accounts: Sequence[Account]
) -> int:
    """R-CER-08: end the certification (or cancel the pending application) of terminated accounts,
    asking certification once which of them have one; marks each confirmed end. Certification down:
    nothing is marked, and the clock hook tries again. Returns how many were confirmed."""
    pending = [a for a in accounts if a.certification_ended_at is None]
    if not pending:
        return 0
    failed: set[str] = set()
    if certification is not None:
        try:
            summaries = await certification.summaries([a.id for a in pending])
        except SandboxError as exc:
            log.warning("certification summaries failed: %s; ending later", exc.instance_code)
            return 0
        for account in pending:
            summary = summaries.get(account.id)
            if summary is None or not (summary.certified or summary.pending):
                continue
            try:
                await certification.end(
                    account.id, EndCertification(namespace=account.namespace, at=account.terminated_at)
                )
            except SandboxError as exc:
                log.warning("ending the certification of %s failed: %s", account.id, exc.instance_code)
                failed.add(account.id)
    # Without a certification peer nothing was ever certified (as `accounts.service.certification_of`).
    confirmed = [a for a in pending if a.id not in failed]
    for account in confirmed:
        account.certification_ended_at = account.terminated_at
    await session.flush()
    return len(confirmed)


async def lifecycle_of(account: Account, scheduler: SchedulerClient | None) -> LifecycleBlock:
    """R-DER-07: the rule the account is under, its anchor, the notices sent in this cycle and the
    next one. Registration knows the rule and the anchor; the scheduler, which sends the notices,
    knows which were sent. Without an answer from it, `schedule_known` is false and the next notice
    is the cycle's first one not known to be sent."""
    rule = rules.lifecycle_rule(account.status, account.termination_reason)
    anchor = rules.lifecycle_anchor(
        rule,
        signed_up_at=account.created_at,
        approved_at=account.approved_at,
        last_login_at=account.last_login_at,
    )
    known = rule is None  # no rule applies: nothing to ask
    sent: list[NoticeSent] = []
    if scheduler is not None and rule is not None:
        try:
            schedule = await scheduler.schedule(account.id)
        except SandboxError as exc:
            log.warning("scheduler did not answer for %s: %s", account.id, exc.instance_code)
        else:
            known = True
            if schedule is not None:
                sent = [
                    NoticeSent(day=n.day, at=n.at)
                    for n in schedule.notices
                    if n.rule == rule and n.anchor_at == anchor
                ]
    sent.sort(key=lambda n: n.day)
    upcoming = (
        None if account.status == "terminated" else rules.next_notice_at(rule, anchor, (n.day for n in sent))
    )
    return LifecycleBlock(
        rule=rule,
        anchor_at=anchor,
        next_notice_at=upcoming,
        notices_sent=sent,
        terminated_at=account.terminated_at,
        reason=account.termination_reason,
        schedule_known=known,
    )
