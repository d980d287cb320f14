from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from services.registration import rules
from services.registration.rules import RuleError

TODAY = date(2026, 3, 2)


def make_id(region: str = "110105", birth: str = "19900307", seq: str = "123") -> str:
    first17 = f"{region}{birth}{seq}"
    return first17 + rules.id_check_char(first17)


def code_of(call: object, *args: object) -> str:
    with pytest.raises(RuleError) as info:
        call(*args)  # type: ignore[operator]
    return info.value.code


@pytest.mark.rule("R-REG-01")
class TestEmail:
    def test_valid_address_is_normalised(self) -> None:
        assert rules.normalize_email(" Op@Example.COM ") == "Op@example.com"

    @pytest.mark.parametrize("value", ["", "no-at-sign", "a@", "a b@example.com", "a@localhost"])
    def test_invalid_address_is_refused(self, value: str) -> None:
        assert code_of(rules.normalize_email, value) == "invalid_email"


@pytest.mark.rule("R-REG-02")
class TestPassword:
    @pytest.mark.parametrize("value", ["abc123", "A" * 32, "P@ss~w0rd!{}"])
    def test_printable_ascii_of_6_to_32_is_accepted(self, value: str) -> None:
        assert rules.check_password(value) == value

    @pytest.mark.parametrize("value", ["abc12", "A" * 33, "with space1", "中文密码abc", "tab\tpass"])
    def test_other_passwords_are_refused(self, value: str) -> None:
        assert code_of(rules.check_password, value) == "invalid_password"


@pytest.mark.rule("R-REG-11")
class TestIdNumber:
    def test_known_valid_number_with_x_check_is_accepted(self) -> None:
        # The handbook's example number (§1.10) has a valid check character X.
        assert rules.check_id_number("63010519890912201x", TODAY) == "63010519890912201X"

    def test_wrong_check_character_is_refused(self) -> None:
        good = make_id()
        bad = good[:17] + ("0" if good[17] != "0" else "1")
        assert code_of(rules.check_id_number, bad, TODAY) == "invalid_id_number"

    @pytest.mark.parametrize("prefix", ["81", "82", "83"])
    def test_hk_mo_tw_residence_permits_are_refused(self, prefix: str) -> None:
        assert (
            code_of(rules.check_id_number, make_id(region=prefix + "0000"), TODAY) == "id_number_not_mainland"
        )

    def test_unknown_region_code_is_refused(self) -> None:
        assert code_of(rules.check_id_number, make_id(region="990101"), TODAY) == "invalid_id_number"

    @pytest.mark.parametrize("birth", ["19900230", "19901301", "18991231", "20270101"])
    def test_impossible_birth_dates_are_refused(self, birth: str) -> None:
        assert code_of(rules.check_id_number, make_id(birth=birth), TODAY) == "invalid_id_number"

    def test_eighteenth_birthday_is_the_first_allowed_day(self) -> None:
        assert rules.check_id_number(make_id(birth="20080302"), TODAY)
        assert code_of(rules.check_id_number, make_id(birth="20080303"), TODAY) == "operator_under_18"

    @pytest.mark.parametrize("value", ["11010519900307123", "1101051990030712345", "11010519900307123Y"])
    def test_wrong_length_or_characters_are_refused(self, value: str) -> None:
        assert code_of(rules.check_id_number, value, TODAY) == "invalid_id_number"


@pytest.mark.rule("R-REG-13")
class TestPhone:
    @pytest.mark.parametrize("value", ["13800138000", "+8619912345678", "86 159-1234-5678"])
    def test_mainland_mobiles_are_accepted(self, value: str) -> None:
        assert len(rules.check_phone(value)) == 11

    @pytest.mark.parametrize("value", ["12800138000", "1380013800", "+85291234567", "+14155550100", "abc"])
    def test_other_numbers_are_refused(self, value: str) -> None:
        assert code_of(rules.check_phone, value) == "invalid_phone"


@pytest.mark.rule("R-REG-16")
class TestAccountName:
    def test_units_count_cjk_as_two(self) -> None:
        assert rules.name_units("东城发布ab") == 10

    @pytest.mark.parametrize("value", ["政务", "ab（东城）", "Dong.City-1", "政" * 16, "a" * 32])
    def test_names_within_4_to_32_units_are_accepted(self, value: str) -> None:
        assert rules.check_account_name(value) == value

    @pytest.mark.parametrize("value", ["政", "abc", "政" * 17, "a" * 33, "东城 发布", "东城@发布", "東城ー"])
    def test_names_outside_the_rules_are_refused(self, value: str) -> None:
        assert code_of(rules.check_account_name, value) == "invalid_name"

    def test_protected_names_are_refused_case_insensitively(self) -> None:
        with pytest.raises(RuleError) as info:
            rules.check_account_name("东城WeChat", ["wechat"])
        assert info.value.code == "protected_name"


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


@pytest.mark.rule("R-REG-10")
class TestOperatorName:
    def test_middle_dot_is_kept_and_normalised(self) -> None:
        assert rules.check_operator_name("阿依古丽•买买提") == "阿依古丽·买买提"

    def test_full_stop_as_the_handbook_writes_the_separator_is_a_middle_dot(self) -> None:
        assert rules.check_operator_name("阿卜杜.热合曼") == "阿卜杜·热合曼"

    @pytest.mark.parametrize("value", ["李", "x" * 31, "·李明", "李明1"])
    def test_invalid_names_are_refused(self, value: str) -> None:
        assert code_of(rules.check_operator_name, value) == "invalid_operator_name"


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
