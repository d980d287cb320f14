from __future__ import annotations

from datetime import UTC, datetime

import pytest

from servicekit.errors import RuleError
from services.registration import rules


def code_of(call: object, *args: object) -> str:
    with pytest.raises(RuleError) as info:
        call(*args)  # type: ignore[operator]
    return info.value.code


@pytest.mark.rule("R-REG-02")
class TestPassword:
    @pytest.mark.parametrize("value", ["abc123", "A" * 32, "P@ss~w0rd!{}"])
    def test_printable_ascii_of_6_to_32_is_accepted(self, value: str) -> None:
        assert rules.check_password(value) == value

    @pytest.mark.parametrize("value", ["abc12", "A" * 33, "with space1", "中文密码abc", "tab\tpass"])
    def test_other_passwords_are_refused(self, value: str) -> None:
        assert code_of(rules.check_password, value) == "invalid_password"


@pytest.mark.rule("R-REG-17")
class TestProfileFields:
    @pytest.mark.parametrize(
        ("value", "ok"), [("四个字呀", True), ("三个字", False), ("x" * 120, True), ("x" * 121, False)]
    )
    def test_intro_is_4_to_120_characters(self, value: str, ok: bool) -> None:
        if ok:
            assert rules.check_intro(value) == value
        else:
            assert code_of(rules.check_intro, value) == "invalid_intro"

    def test_china_needs_a_province_and_city(self) -> None:
        assert rules.check_region("中国", "广东省", "广州") == ("CN", "广东", "广州")
        assert code_of(rules.check_region, "CN", "火星", "X") == "invalid_region"
        assert code_of(rules.check_region, "CN", "北京", "") == "invalid_region"

    @pytest.mark.parametrize(
        ("country", "province", "expected"),
        [
            ("CN", "广西壮族自治区", "广西"),
            ("CN", "内蒙古自治区", "内蒙古"),
            ("cn", "新疆维吾尔自治区", "新疆"),
            ("China", "宁夏回族自治区", "宁夏"),
            ("中华人民共和国", "西藏自治区", "西藏"),
            ("CN", "北京市", "北京"),
        ],
    )
    def test_official_full_names_of_provinces_are_accepted(
        self, country: str, province: str, expected: str
    ) -> None:
        assert rules.check_region(country, province, "首府") == ("CN", expected, "首府")

    def test_other_countries_need_no_province(self) -> None:
        assert rules.check_region("SG", None, None) == ("SG", None, None)

    @pytest.mark.parametrize(("value", "ok"), [("zh_CN", True), ("zh_TW", True), ("en", True), ("fr", False)])
    def test_language(self, value: str, ok: bool) -> None:
        if ok:
            assert rules.check_language(value) == value
        else:
            assert code_of(rules.check_language, value) == "invalid_language"


@pytest.mark.rule("R-REG-32")
class TestWechatId:
    @pytest.mark.parametrize("value", ["dongcheng", "a_b-c1", "a" * 20])
    def test_valid_ids(self, value: str) -> None:
        assert rules.check_wechat_id(value) == value

    @pytest.mark.parametrize("value", ["1abcdef", "abcde", "a" * 21, "ab cdef", "中文微信号号"])
    def test_invalid_ids(self, value: str) -> None:
        assert code_of(rules.check_wechat_id, value) == "invalid_wechat_id"


@pytest.mark.rule("R-REG-32")
class TestAddOneMonth:
    def test_end_of_january_becomes_end_of_february(self) -> None:
        moment = datetime(2026, 1, 31, 4, 0, tzinfo=UTC)  # 12:00 Shanghai
        assert rules.add_one_month(moment).astimezone(UTC) == datetime(2026, 2, 28, 4, 0, tzinfo=UTC)

    def test_december_rolls_into_next_year(self) -> None:
        moment = datetime(2026, 12, 15, 4, 0, tzinfo=UTC)
        assert rules.add_one_month(moment).astimezone(UTC) == datetime(2027, 1, 15, 4, 0, tzinfo=UTC)


@pytest.mark.rule("R-REG-09", "R-REG-12")
class TestImageFormat:
    def test_allowed_format_passes_and_others_fail(self) -> None:
        assert rules.check_image_format("f", "gif", rules.IMAGE_FORMATS) == "gif"
        assert code_of(rules.check_image_format, "f", "png", rules.IMAGE_FORMATS) == "unsupported_file_type"
        assert code_of(rules.check_image_format, "f", None, rules.IMAGE_FORMATS) == "unsupported_file_type"
