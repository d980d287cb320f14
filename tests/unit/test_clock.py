from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

from sqlalchemy.dialects import postgresql

from servicekit import clock
from servicekit.clock import SHANGHAI, ClockState, shanghai_date


class TestClockState:
    def test_now_is_rendered_in_shanghai_time_with_offset(self) -> None:
        state = ClockState("ns", datetime(2026, 10, 1, 0, 0, tzinfo=UTC), True, 3600.0)
        assert state.as_dict() == {
            "namespace": "ns",
            "now": "2026-10-01T08:00:00+08:00",
            "frozen": True,
            "offset_seconds": 3600.0,
        }

    def test_rendered_now_names_the_same_instant(self) -> None:
        moment = datetime(2026, 12, 31, 23, 59, 59, 123456, tzinfo=timezone(timedelta(hours=-5)))
        rendered = ClockState("ns", moment, False, 0.0).as_dict()["now"]
        assert isinstance(rendered, str)
        assert datetime.fromisoformat(rendered) == moment


class TestRealNow:
    def test_real_now_is_aware_utc(self) -> None:
        moment = clock.real_now()
        assert moment.utcoffset() == timedelta(0)
        assert abs(moment - datetime.now(UTC)) < timedelta(seconds=1)


class TestShanghaiDate:
    def test_utc_evening_is_the_next_shanghai_day(self) -> None:
        # 16:00 UTC is midnight in Shanghai: the calendar day has already turned.
        assert shanghai_date(datetime(2026, 9, 30, 16, 0, tzinfo=UTC)) == datetime(
            2026, 10, 1, tzinfo=SHANGHAI
        )

    def test_one_microsecond_before_shanghai_midnight_is_the_same_day(self) -> None:
        moment = datetime(2026, 9, 30, 15, 59, 59, 999999, tzinfo=UTC)
        assert shanghai_date(moment) == datetime(2026, 9, 30, tzinfo=SHANGHAI)

    def test_midnight_is_a_shanghai_midnight(self) -> None:
        midnight = shanghai_date(datetime(2026, 5, 5, 13, 45, tzinfo=SHANGHAI))
        assert (midnight.hour, midnight.minute, midnight.second, midnight.microsecond) == (0, 0, 0, 0)
        assert midnight.utcoffset() == timedelta(hours=8)


class TestSqlNow:
    def test_sql_twin_calls_the_schema_function(self) -> None:
        expr = clock.sql_now("tenant-a")
        sql = str(expr.compile(dialect=postgresql.dialect(), compile_kwargs={"literal_binds": True}))
        assert sql == "sandbox.clock_now('tenant-a')"
