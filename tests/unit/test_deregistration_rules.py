"""Deregistration's pure rules (SPEC §6.2, §7): facts folded, messages worded, the lifecycle as
registration computes it, termination verdicts, back-dated fixture moments."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest

from contracts.scheduler.schemas import LifecycleFact
from servicekit.clock import SHANGHAI
from servicekit.errors import RuleError
from services.registration.fixtures.rules import fixture_moments
from services.registration.lifecycle import rules as registration
from services.scheduler.deregistration import rules

T0 = datetime(2026, 3, 2, 10, 0, tzinfo=SHANGHAI)
DAY = timedelta(hours=24)


def fact(kind: str, at: datetime, seq: int, account: str = "acc_1", **data: Any) -> LifecycleFact:
    return LifecycleFact(
        fact_id=f"f{seq}", seq=seq, account_id=account, namespace="ns", kind=kind, at=at, data=data
    )


@pytest.mark.rule("R-DER-01", "R-DER-02")
class TestFoldFacts:
    def test_first_milestones_and_latest_login_win_whatever_the_arrival_order(self) -> None:
        (folded,) = rules.fold_facts(
            [
                fact("login", T0 + 20 * DAY, 5),
                fact("approved", T0 + 9 * DAY, 3),
                fact("login", T0 + 10 * DAY, 4),
                fact("signed_up", T0, 1, email="a@example.com"),
                fact("activated", T0 + DAY, 2),
                fact("terminated", T0 + 300 * DAY, 7, reason="inactive"),
                fact("terminated", T0 + 400 * DAY, 8, reason="later"),
            ]
        )
        assert (folded.signed_up_at, folded.activated_at, folded.approved_at) == (T0, T0 + DAY, T0 + 9 * DAY)
        assert folded.last_login_at == T0 + 20 * DAY
        assert (folded.terminated_at, folded.termination_reason) == (T0 + 300 * DAY, "inactive")

    def test_the_latest_contact_wins_by_time_then_sequence(self) -> None:
        (folded,) = rules.fold_facts(
            [
                fact("login_email", T0 + DAY, 9, email="new@example.com"),
                fact("signed_up", T0, 1, email="old@example.com"),
                fact("operator_phone", T0, 3, phone="13900000002"),
                fact("operator_phone", T0, 2, phone="13900000001"),
                fact("admin_wechat", T0, 4, wechat_id="admin_1"),
                fact("admin_wechat", T0, 5, wechat_id=None),
            ]
        )
        row = folded.row()
        assert (row["email"], row["phone"], row["wechat"]) == ("new@example.com", "13900000002", None)
        assert (row["wechat_at"], row["wechat_seq"]) == (T0, 5)

    def test_one_row_per_account_in_account_order(self) -> None:
        folded = rules.fold_facts(
            [fact("login", T0, 1, account="acc_b"), fact("login", T0, 2, account="acc_a")]
        )
        assert [f.account_id for f in folded] == ["acc_a", "acc_b"]


@pytest.mark.rule("R-DER-03")
class TestMessages:
    def test_channels_are_the_centre_and_email_plus_sms_and_wechat_when_known(self) -> None:
        assert rules.channels("acc_1", "a@example.com", None, None) == [
            ("notification", "acc_1"),
            ("email", "a@example.com"),
        ]
        assert [c for c, _ in rules.channels("acc_1", "a@example.com", "13800138000", "admin_1")] == [
            "notification",
            "email",
            "sms",
            "wechat",
        ]

    def test_a_notice_names_its_rule_its_day_and_the_termination_date(self) -> None:
        subject, body = rules.notice_text("R-DER-02", 190, T0, T0 + 210 * DAY)
        assert "R-DER-02" in subject
        assert "第190天" in subject
        assert "R-DER-02" in body
        assert "连续210天未登录" in body
        assert "190天" in body
        assert (T0 + 210 * DAY).strftime("%Y年%m月%d日") in body

    def test_a_registration_notice_names_the_80_day_rule(self) -> None:
        _, body = rules.notice_text("R-DER-01", 60, T0, T0 + 80 * DAY)
        assert "80天内未完成注册" in body
        assert "第60天" in body
        assert (T0 + 80 * DAY).strftime("%Y年%m月%d日") in body

    def test_a_termination_says_why_and_when(self) -> None:
        _, body = rules.termination_text("registration_incomplete", T0)
        assert "R-DER-01" in body
        assert T0.strftime("%Y年%m月%d日") in body

    def test_message_ids_are_the_same_for_the_same_message_and_notices_sort_first(self) -> None:
        one = rules.message_id("dn", "acc_1", "R-DER-02", T0, 210, "email")
        assert one == rules.message_id("dn", "acc_1", "R-DER-02", T0.astimezone(SHANGHAI), 210, "email")
        assert one != rules.message_id("dn", "acc_1", "R-DER-02", T0, 210, "sms")
        assert one < rules.message_id("dt", "acc_1", "R-DER-02", T0, "email")
        assert len(one) <= 40


@pytest.mark.rule("R-DER-07")
class TestRegistrationLifecycle:
    def test_the_rule_follows_the_status(self) -> None:
        assert registration.lifecycle_rule("email_unverified", None) is None
        assert registration.lifecycle_rule("in_review", None) == "R-DER-01"
        assert registration.lifecycle_rule("approved", None) == "R-DER-02"
        assert registration.lifecycle_rule("terminated", "registration_incomplete") == "R-DER-01"
        assert registration.lifecycle_rule("terminated", "激活链接已过期（48小时），需重新注册") is None

    def test_the_anchor_is_the_sign_up_or_the_later_of_approval_and_login(self) -> None:
        anchor = registration.lifecycle_anchor
        assert anchor("R-DER-01", signed_up_at=T0, approved_at=None, last_login_at=None) == T0
        assert anchor("R-DER-02", signed_up_at=T0, approved_at=T0 + DAY, last_login_at=T0) == T0 + DAY
        assert anchor("R-DER-02", signed_up_at=T0, approved_at=T0, last_login_at=T0 + 9 * DAY) == T0 + 9 * DAY

    def test_the_next_notice_is_the_first_not_sent(self) -> None:
        assert registration.next_notice_at("R-DER-02", T0, [180]) == T0 + 190 * DAY
        assert registration.next_notice_at("R-DER-01", T0, [60, 70, 80]) is None
        assert registration.next_notice_at(None, None, []) is None


@pytest.mark.rule("R-DER-04")
class TestTerminationVerdict:
    def verdict(self, **overrides: Any) -> str:
        values: dict[str, Any] = {
            "status": "approved",
            "activated_at": T0,
            "approved_at": T0,
            "last_login_at": T0 + DAY,
            "rule": "R-DER-02",
            "anchor_at": T0 + DAY,
        }
        return registration.termination_verdict(**{**values, **overrides})

    def test_the_cycle_the_scheduler_ran_is_the_accounts_own(self) -> None:
        assert self.verdict() == "terminate"

    def test_a_login_after_the_anchor_refuses(self) -> None:
        assert self.verdict(last_login_at=T0 + 2 * DAY) == "refused"

    def test_registration_incomplete_needs_an_unfinished_activated_application(self) -> None:
        assert self.verdict(rule="R-DER-01", status="rejected") == "terminate"
        assert self.verdict(rule="R-DER-01", status="approved") == "refused"
        assert self.verdict(rule="R-DER-01", status="activated", activated_at=None) == "refused"

    def test_a_terminated_account_is_already_terminated(self) -> None:
        assert self.verdict(status="terminated") == "already_terminated"


@pytest.mark.rule("R-DER-01", "R-DER-02")
class TestFixtureMoments:
    def test_none_given_is_now(self) -> None:
        assert set(fixture_moments({}, T0).values()) == {T0}

    def test_an_omitted_one_takes_the_nearest_given_one_the_earlier_on_a_tie(self) -> None:
        moments = fixture_moments({"signed_up_at": T0 - 9 * DAY, "last_login_at": T0 - DAY}, T0)
        assert moments == {
            "signed_up_at": T0 - 9 * DAY,
            "approved_at": T0 - 9 * DAY,
            "last_login_at": T0 - DAY,
        }
        assert set(fixture_moments({"last_login_at": T0 - DAY}, T0).values()) == {T0 - DAY}

    def test_a_naive_moment_is_shanghai(self) -> None:
        moments = fixture_moments({"signed_up_at": datetime(2026, 1, 1, 8)}, T0)
        assert moments["signed_up_at"] == datetime(2026, 1, 1, 8, tzinfo=SHANGHAI)

    def test_out_of_order_or_future_names_the_field(self) -> None:
        with pytest.raises(RuleError) as out_of_order:
            fixture_moments({"approved_at": T0 - DAY, "last_login_at": T0 - 2 * DAY}, T0)
        with pytest.raises(RuleError) as future:
            fixture_moments({"signed_up_at": T0 + timedelta(seconds=1)}, T0)
        assert (out_of_order.value.field, out_of_order.value.code) == (
            "last_login_at",
            "fixture_times_out_of_order",
        )
        assert (future.value.field, future.value.code) == ("signed_up_at", "fixture_time_in_future")
