from __future__ import annotations

from datetime import UTC, datetime

import pytest

from servicekit.clock import SHANGHAI
from services.scheduler.clock.rules import advance_target, is_valid_namespace

NOW = datetime(2026, 10, 9, 1, 30, tzinfo=UTC)  # Fri 9 Oct 2026, 09:30 in Shanghai


class TestIsValidNamespace:
    @pytest.mark.parametrize("name", ["default", "ci-42", "team_a.v2", "x" * 64])
    def test_allowed_names(self, name: str) -> None:
        assert is_valid_namespace(name)

    @pytest.mark.parametrize("name", ["", "x" * 65, "a b", "a/b", "名字", "a\n"])
    def test_refused_names(self, name: str) -> None:
        assert not is_valid_namespace(name)


@pytest.mark.rule("R-CLK-01")
class TestAdvanceTarget:
    def test_naive_to_is_shanghai_time(self) -> None:
        target = advance_target(NOW, to=datetime(2026, 10, 20, 8, 0))
        assert target == datetime(2026, 10, 20, 8, 0, tzinfo=SHANGHAI)

    def test_aware_to_is_kept(self) -> None:
        to = datetime(2026, 10, 20, 0, 0, tzinfo=UTC)
        assert advance_target(NOW, to=to) == to

    def test_working_day_keeps_the_shanghai_time_of_day(self) -> None:
        # Friday → make-up Saturday 10 Oct, same 09:30 Shanghai.
        assert advance_target(NOW, working_days=1) == datetime(2026, 10, 10, 9, 30, tzinfo=SHANGHAI)

    def test_duration_is_added_after_working_days(self) -> None:
        target = advance_target(NOW, working_days=2, days=1, hours=1.5, minutes=15)
        assert target == datetime(2026, 10, 13, 11, 15, tzinfo=SHANGHAI)

    def test_zero_amounts_stay_put(self) -> None:
        assert advance_target(NOW, minutes=0) == NOW
