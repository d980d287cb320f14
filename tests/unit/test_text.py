import pytest

from servicekit import identity
from servicekit.text import is_cjk, mainland_mobile, text_units
from services.messaging.mass import rules as mass_rules


@pytest.mark.rule("R-REG-16", "R-MSG-21")
class TestTextUnits:
    def test_cjk_counts_two_and_anything_else_one(self) -> None:
        assert text_units("政务a1") == 6

    def test_traditional_and_extension_ideographs_count_two(self) -> None:
        # 臺 (unified), 㐀 (extension A), 𠀀 (B), 𰀀 (G, U+30000), 﨑 (compatibility)
        assert all(is_cjk(ch) for ch in "臺㐀𠀀\U00030000﨑")
        assert text_units("\U00030000") == 2

    def test_cjk_punctuation_and_kana_count_one(self) -> None:
        assert not any(is_cjk(ch) for ch in "，。（）あア")

    def test_names_and_mass_text_measure_alike(self) -> None:
        sample = "东城\U00030000发布ab（）"
        assert identity.name_units(sample) == 14
        # 600 such characters are exactly the mass-send limit; one more is too long
        assert text_units("\U00030000" * 600) == mass_rules.MAX_TEXT_UNITS


@pytest.mark.rule("R-REG-13")
class TestMainlandMobile:
    @pytest.mark.parametrize("typed", ["13800138000", "+8613800138000", "8613800138000", "138-0013-8000"])
    def test_the_forms_an_operator_types_are_the_same_number(self, typed: str) -> None:
        assert mainland_mobile(typed) == "13800138000"

    @pytest.mark.parametrize("typed", ["12800138000", "1380013800", "+85261234567", "ops@x.gov.cn"])
    def test_other_numbers_and_addresses_are_not_mainland_mobiles(self, typed: str) -> None:
        assert mainland_mobile(typed) is None
