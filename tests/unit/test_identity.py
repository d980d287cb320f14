from __future__ import annotations

from datetime import date

import pytest

from servicekit import identity as rules
from servicekit.errors import RuleError

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


@pytest.mark.rule("R-REG-10")
class TestOperatorName:
    def test_middle_dot_is_kept_and_normalised(self) -> None:
        assert rules.check_operator_name("阿依古丽•买买提") == "阿依古丽·买买提"

    def test_full_stop_as_the_handbook_writes_the_separator_is_a_middle_dot(self) -> None:
        assert rules.check_operator_name("阿卜杜.热合曼") == "阿卜杜·热合曼"

    @pytest.mark.parametrize("value", ["李", "x" * 31, "·李明", "李明1"])
    def test_invalid_names_are_refused(self, value: str) -> None:
        assert code_of(rules.check_operator_name, value) == "invalid_operator_name"


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
