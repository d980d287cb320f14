from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from servicekit.clock import SHANGHAI
from servicekit.workdays import add_working_days, end_of_nth_working_day, is_holiday, is_working_day


@pytest.mark.rule("R-REG-18")
class TestIsWorkingDay:
    def test_ordinary_weekday_is_a_working_day(self) -> None:
        assert is_working_day(date(2026, 10, 14))

    def test_ordinary_weekend_is_not(self) -> None:
        assert not is_working_day(date(2026, 10, 17))
        assert not is_working_day(date(2026, 10, 18))

    @pytest.mark.parametrize("day", [1, 2, 5, 6, 7])
    def test_national_day_weekdays_are_holidays(self, day: int) -> None:
        assert is_holiday(date(2026, 10, day))
        assert not is_working_day(date(2026, 10, day))

    def test_makeup_saturday_is_a_working_day(self) -> None:
        # 2026-10-10 is a Saturday worked in exchange for the National Day break (调休上班).
        assert date(2026, 10, 10).weekday() == 5
        assert is_working_day(date(2026, 10, 10))


class TestAddWorkingDays:
    def test_zero_is_the_start_day(self) -> None:
        assert add_working_days(date(2026, 10, 3), 0) == date(2026, 10, 3)

    @pytest.mark.rule("R-REG-18")
    def test_start_day_itself_is_not_counted(self) -> None:
        assert add_working_days(date(2026, 10, 12), 1) == date(2026, 10, 13)

    def test_friday_plus_one_is_monday(self) -> None:
        assert add_working_days(date(2026, 10, 16), 1) == date(2026, 10, 19)

    @pytest.mark.rule("R-REG-18")
    def test_national_day_is_skipped_and_makeup_saturday_counted(self) -> None:
        # From Wed 30 Sep: Thu 8, Fri 9, Sat 10 (make-up), then Sun 11 is skipped, Mon 12.
        assert add_working_days(date(2026, 9, 30), 1) == date(2026, 10, 8)
        assert add_working_days(date(2026, 9, 30), 3) == date(2026, 10, 10)
        assert add_working_days(date(2026, 9, 30), 4) == date(2026, 10, 12)

    def test_negative_count_is_refused(self) -> None:
        with pytest.raises(ValueError, match="count"):
            add_working_days(date(2026, 10, 1), -1)


@pytest.mark.rule("R-REG-18")
class TestEndOfNthWorkingDay:
    def test_seven_working_days_over_national_day_end_at_midnight(self) -> None:
        # Submitted Tue 29 Sep: 30 Sep, 8, 9, 10 (make-up), 12, 13, 14 Oct → ends 15 Oct 00:00.
        submitted = datetime(2026, 9, 29, 15, 30, tzinfo=SHANGHAI)
        assert end_of_nth_working_day(submitted, 7) == datetime(2026, 10, 15, 0, 0, tzinfo=SHANGHAI)

    def test_day_is_taken_in_shanghai_not_utc(self) -> None:
        # 17:00 UTC on Thu 15 Oct is already Fri 16 Oct in Shanghai: one working day later is Monday.
        late_thursday_utc = datetime(2026, 10, 15, 17, 0, tzinfo=UTC)
        assert end_of_nth_working_day(late_thursday_utc, 1) == datetime(2026, 10, 20, 0, 0, tzinfo=SHANGHAI)
        early_thursday_utc = datetime(2026, 10, 15, 1, 0, tzinfo=UTC)
        assert end_of_nth_working_day(early_thursday_utc, 1) == datetime(2026, 10, 17, 0, 0, tzinfo=SHANGHAI)

    def test_deadline_is_shanghai_midnight(self) -> None:
        end = end_of_nth_working_day(datetime(2026, 10, 14, 9, 0, tzinfo=SHANGHAI), 1)
        assert end == datetime(2026, 10, 16, 0, 0, tzinfo=SHANGHAI)
        assert end.astimezone(UTC) == datetime(2026, 10, 15, 16, 0, tzinfo=UTC)
