"""Pure follower and tag rules (no database)."""

from __future__ import annotations

import pytest

from servicekit.errors import CgiError
from services.messaging.followers import rules
from services.messaging.followers.repository import openid_prefix


def errcode(exc: pytest.ExceptionInfo[CgiError]) -> int | None:
    return exc.value.instance_errcode


@pytest.mark.rule("R-MSG-02")
class TestCheckTagName:
    def test_thirty_bytes_of_chinese_is_accepted(self) -> None:
        assert rules.check_tag_name("广" * 10) == "广" * 10

    def test_thirty_one_bytes_is_too_long(self) -> None:
        with pytest.raises(CgiError) as exc:
            rules.check_tag_name("广" * 10 + "a")
        assert errcode(exc) == 45158

    @pytest.mark.parametrize("name", ["", "   ", None, 12])
    def test_empty_or_non_text_name_is_invalid(self, name: object) -> None:
        with pytest.raises(CgiError) as exc:
            rules.check_tag_name(name)
        assert errcode(exc) == 45157


@pytest.mark.rule("R-MSG-02")
class TestCheckRemark:
    def test_twenty_nine_bytes_is_accepted(self) -> None:
        assert rules.check_remark("a" * 29) == "a" * 29

    def test_thirty_bytes_is_refused(self) -> None:
        with pytest.raises(CgiError) as exc:
            rules.check_remark("备注" * 5)  # 30 bytes
        assert errcode(exc) == 40092

    def test_empty_remark_clears(self) -> None:
        assert rules.check_remark("") == ""


@pytest.mark.rule("R-MSG-02")
class TestCheckOpenidList:
    def test_fifty_is_accepted_and_duplicates_fold(self) -> None:
        assert rules.check_openid_list(["a"] * 50, limit=50) == ["a"]

    def test_fifty_one_is_refused(self) -> None:
        with pytest.raises(CgiError) as exc:
            rules.check_openid_list([f"o{i}" for i in range(51)], limit=50)
        assert errcode(exc) == 40032

    def test_empty_list_is_refused(self) -> None:
        with pytest.raises(CgiError) as exc:
            rules.check_openid_list([], limit=50)
        assert errcode(exc) == 40032

    def test_missing_list_is_openid_missing(self) -> None:
        with pytest.raises(CgiError) as exc:
            rules.check_openid_list(None, limit=50)
        assert errcode(exc) == 41009


class TestRegionSpread:
    def test_province_spreads_over_its_known_cities(self) -> None:
        countries, provinces, cities = rules.region_spread(None, "广东", None)
        assert set(provinces) == {"广东"}
        assert set(cities) == {"广州", "深圳"}
        assert set(countries) == {"中国"}

    def test_unknown_region_is_used_as_given(self) -> None:
        assert rules.region_spread("中国", "西藏", None) == (["中国"], ["西藏"], [""])

    def test_default_weights_add_up_to_a_hundred(self) -> None:
        assert len(rules.region_spread(None, None, None)[0]) == 100
        assert len(rules.spread(rules.GENDER_BUCKETS)) == 100
        assert len(rules.spread(rules.LANGUAGE_BUCKETS)) == 100


@pytest.mark.rule("R-MSG-01")
class TestOpenidPrefix:
    def test_prefix_is_stable_and_openid_safe(self) -> None:
        prefix = openid_prefix("acc_1")
        assert prefix == openid_prefix("acc_1")
        assert len(prefix) == 6
        assert rules.OPENID_PATTERN.match(prefix * 4 + "abcd")
        assert openid_prefix("acc_2") != prefix
