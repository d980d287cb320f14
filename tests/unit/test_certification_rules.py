"""Certification's form rules (SPEC §4.1): R-CER-02 field by field, R-CER-03 the fee."""

from __future__ import annotations

from datetime import date

import pytest

from servicekit.errors import BadRequest
from servicekit.identity import id_check_char
from services.certification.certifications import rules

TODAY = date(2026, 3, 2)

# Published unified social credit codes, as quoted by other validators' tests:
# python-stdnum tests/test_cn_uscc.doctest ("found online"), hutool CreditCodeUtilTest,
# HerbertHe/chinese-unique-identification-code's checker test, 02020/vite validateSocialCreditCode.js.
PUBLISHED_USCC = (
    "121200004013590816",  # stdnum: 机构编制 · 事业单位 (1 2 …), Tianjin
    "123502001549897397",  # 02020/vite: 机构编制 · 事业单位, Xiamen
    "91110000600037341L",  # stdnum
    "91110000710926094P",  # stdnum
    "91310000631696382C",  # stdnum
    "9144030071526726XG",  # stdnum: organization code check X
    "91152201078382010M",  # stdnum: organization code check 0
    "91310115MA1K3BTP2B",  # stdnum: post-2015 body starting MA
    "91620105L015101280",  # stdnum: body starting with a letter, USCC check 0
    "92340621MA2UK3PJXE",  # stdnum: 个体工商户 (9 2 …)
    "91310110666007217T",  # hutool CreditCodeUtilTest.isCreditCode
    "91310115591693856A",  # hutool CreditCodeUtilTest.isCreditCodeBySimple
    "9135052155323005XL",  # HerbertHe/chinese-unique-identification-code
    "91350213678251743X",  # 02020/vite: USCC check X
)
# GB 32100 makes characters 9–17 of a USCC the organization's GB 11714 code: these are those codes.
PUBLISHED_ORG_CODES = tuple(f"{c[8:16]}-{c[16]}" for c in PUBLISHED_USCC)


def refusal(call: object, *args: object) -> BadRequest:
    with pytest.raises(BadRequest) as info:
        call(*args)  # type: ignore[operator]
    return info.value


@pytest.mark.rule("R-CER-02")
class TestOrganizationCodeChecksums:
    def test_gb_11714_worked_example(self) -> None:
        # 3·1+7·2+9·3+10·4+5·5+8·6+4·7+2·8 = 201; 201 mod 11 = 3; C = 11 − 3 = 8
        assert rules.org_code_check_char("12345678") == "8"

    def test_gb_11714_remainders_0_and_1_give_0_and_x(self) -> None:
        assert rules.org_code_check_char("07838201") == "0"
        assert rules.org_code_check_char("71526726") == "X"

    def test_gb_32100_remainder_0_gives_0(self) -> None:
        assert rules.uscc_check_char("91620105L01510128") == "0"


@pytest.mark.rule("R-CER-02")
class TestUnifiedSocialCreditCode:
    @pytest.mark.parametrize("code", PUBLISHED_USCC)
    def test_published_code_is_accepted(self, code: str) -> None:
        assert rules.check_organization_code(code) == code

    def test_lower_case_and_spaces_around_are_normalised(self) -> None:
        assert rules.check_organization_code(" 91310110666007217t ") == "91310110666007217T"

    @pytest.mark.parametrize("code", PUBLISHED_USCC)
    def test_every_single_character_corruption_is_refused(self, code: str) -> None:
        refusals, accepted = set(), []
        corruptions = 0
        for position, original in enumerate(code):
            for ch in rules.USCC_CHARS.replace(original, ""):
                corruptions += 1
                try:
                    rules.check_organization_code(code[:position] + ch + code[position + 1 :])
                except BadRequest as exc:
                    refusals.add((exc.field, exc.instance_code))
                else:
                    accepted.append(code[:position] + ch + code[position + 1 :])
        assert corruptions == 18 * 30
        assert accepted == []
        assert refusals == {("organization_code", "invalid_organization_code")}

    @pytest.mark.parametrize("letter", "IOSVZ")
    def test_letters_outside_the_gb_32100_alphabet_are_refused(self, letter: str) -> None:
        assert (
            refusal(rules.check_organization_code, "91310110666007217" + letter).field == "organization_code"
        )

    def test_valid_outer_check_over_a_broken_organization_code_is_refused(self) -> None:
        # Characters 9–17 changed to a body whose GB 11714 check is wrong, then the USCC check recomputed.
        first17 = "91310110" + "66600721" + "8"
        code = first17 + rules.uscc_check_char(first17)
        assert "第 9–17 位" in refusal(rules.check_organization_code, code).instance_message

    def test_letters_in_the_region_code_are_refused(self) -> None:
        first17 = "9131A110666007217"
        code = first17 + rules.uscc_check_char(first17)
        assert refusal(rules.check_organization_code, code).instance_code == "invalid_organization_code"


@pytest.mark.rule("R-CER-02")
class TestNineCharacterOrganizationCode:
    @pytest.mark.parametrize("code", PUBLISHED_ORG_CODES)
    def test_published_code_dashed_or_not_is_accepted_undashed(self, code: str) -> None:
        undashed = code.replace("-", "")
        assert rules.check_organization_code(code) == undashed
        assert rules.check_organization_code(undashed) == undashed
        assert rules.check_organization_code(code.replace("-", "－").lower()) == undashed

    @pytest.mark.parametrize("code", PUBLISHED_ORG_CODES)
    def test_every_detectable_single_character_corruption_is_refused(self, code: str) -> None:
        """GB 11714 works modulo 11 over values 0–35: a body character replaced by one whose value
        differs by 11, 22 or 33 (1 → C, 2 → N…) keeps the sum, which no check character can see. Every
        other substitution — all digit-for-digit ones and every change of the check — is refused."""
        undashed = code.replace("-", "")
        accepted = set()
        for position, original in enumerate(undashed):
            alphabet = rules.ORG_CODE_CHARS if position < 8 else rules.ORG_CODE_CHECK_CHARS
            for ch in alphabet:
                if ch == original:
                    continue
                corrupted = undashed[:position] + ch + undashed[position + 1 :]
                try:
                    rules.check_organization_code(corrupted)
                except BadRequest:
                    continue
                accepted.add(corrupted)
        blind = {
            undashed[:p] + ch + undashed[p + 1 :]
            for p in range(8)
            for ch in rules.ORG_CODE_CHARS
            if ch != undashed[p]
            and (rules.ORG_CODE_CHARS.index(ch) - rules.ORG_CODE_CHARS.index(undashed[p])) % 11 == 0
        }
        assert accepted == blind
        assert all(not (a[:8].isdigit() and undashed[:8].isdigit()) for a in accepted)

    @pytest.mark.parametrize(
        "value", ["", "12345678", "1234567-8", "12345678-88", "1234567_8-8", "12345678-A"]
    )
    def test_malformed_codes_are_refused(self, value: str) -> None:
        assert refusal(rules.check_organization_code, value).field == "organization_code"


@pytest.mark.rule("R-CER-02")
class TestOfficePhone:
    @pytest.mark.parametrize(
        ("typed", "kept"),
        [
            ("010-12345678", "010-12345678"),
            ("0755-8765432", "0755-8765432"),
            ("0571-87654321-123", "0571-87654321-123"),
            ("010-12345678转6", "010-12345678-6"),
            ("0898-66881234转123456", "0898-66881234-123456"),
            ("13800138000", "13800138000"),
            ("+86 139 1234 5678", "13912345678"),
        ],
    )
    def test_landlines_and_mobiles_are_accepted(self, typed: str, kept: str) -> None:
        assert rules.check_office_phone(typed) == kept

    @pytest.mark.parametrize(
        "typed",
        [
            "01012345678",  # no dash between area code and number
            "10-12345678",  # area code must start 0
            "00-12345678",
            "010-123456",  # 6 digits
            "010-123456789",  # 9 digits
            "01234-1234567",  # 5-digit area code
            "010-12345678-1234567",  # 7-digit extension
            "010-12345678转",
            "010-12345678ext12",
            "12800138000",
            "",
        ],
    )
    def test_other_numbers_are_refused(self, typed: str) -> None:
        error = refusal(rules.check_office_phone, typed)
        assert (error.field, error.instance_code) == ("office_phone", "invalid_office_phone")


@pytest.mark.rule("R-CER-02")
class TestBankAccount:
    @pytest.mark.parametrize(
        ("typed", "kept"),
        [("12345678", "12345678"), ("6222 0202 0000 1234 567", "6222020200001234567"), ("9" * 30, "9" * 30)],
    )
    def test_8_to_30_digits_are_accepted_spaces_dropped(self, typed: str, kept: str) -> None:
        assert rules.check_bank_account(typed) == kept

    @pytest.mark.parametrize(
        "typed", ["1234567", "9" * 31, "6222-0202-0000", "62220202000O", "１２３４５６７８"]
    )
    def test_other_values_are_refused(self, typed: str) -> None:
        assert refusal(rules.check_bank_account, typed).field == "bank_account"


@pytest.mark.rule("R-CER-02")
class TestWebsite:
    @pytest.mark.parametrize(
        "url", ["http://www.gov.cn", "https://www.beijing.gov.cn/zwgk/", "HTTPS://gaj.sz.gov.cn:8443/a?b=1"]
    )
    def test_http_and_https_urls_with_a_host_are_accepted(self, url: str) -> None:
        assert rules.check_website(url) == url

    @pytest.mark.parametrize("value", [None, "", "  "])
    def test_absent_website_is_none(self, value: str | None) -> None:
        assert rules.check_website(value) is None

    @pytest.mark.parametrize(
        "url",
        [
            "www.gov.cn",
            "ftp://gov.cn",
            "http://",
            "http:///path",
            "http://localhost",
            "https://gov cn",
            "http://gov.cn:port/",
            "javascript:alert(1)",
            "http://" + "a" * 250 + ".cn",
        ],
    )
    def test_other_values_are_refused(self, url: str) -> None:
        assert refusal(rules.check_website, url).instance_code == "invalid_website"


@pytest.mark.rule("R-CER-02")
class TestHeadcountAndNature:
    @pytest.mark.parametrize(("typed", "kept"), [("1", 1), (" 250 ", 250), ("1000000", 1_000_000), (42, 42)])
    def test_integers_1_to_a_million_are_accepted(self, typed: str | int, kept: int) -> None:
        assert rules.check_headcount(typed) == kept

    @pytest.mark.parametrize("typed", ["0", "1000001", "-5", "1.5", "1e3", "十", "", "１２", True])
    def test_other_values_are_refused(self, typed: str | int) -> None:
        assert refusal(rules.check_headcount, typed).field == "headcount"

    @pytest.mark.parametrize("nature", ["government_agency", "public_institution"])
    def test_both_natures_are_accepted(self, nature: str) -> None:
        assert rules.check_institution_nature(nature) == nature

    @pytest.mark.parametrize("nature", ["enterprise", "政府机构", ""])
    def test_other_natures_are_refused(self, nature: str) -> None:
        assert refusal(rules.check_institution_nature, nature).instance_code == "invalid_institution_nature"


TEXT_BOUNDS = {
    "institution_name": (2, 64),
    "office_address": (4, 120),
    "intro": (4, 300),
    "certification_reason": (4, 300),
    "services": (4, 300),
    "operator_department": (2, 64),
    "operator_position": (2, 64),
    "bank_name": (2, 64),
}


@pytest.mark.rule("R-CER-02")
class TestTextLengths:
    @pytest.mark.parametrize(("field", "bounds"), TEXT_BOUNDS.items())
    def test_bounds_are_inclusive_and_count_characters(self, field: str, bounds: tuple[int, int]) -> None:
        low, high = bounds
        assert rules.check_text(field, "政" * low) == "政" * low
        assert rules.check_text(field, f"  {'政' * high}  ") == "政" * high
        for length in (low - 1, high + 1):
            error = refusal(rules.check_text, field, "政" * length)
            assert (error.field, error.instance_code) == (field, f"invalid_{field}")

    def test_optional_texts_may_be_absent(self) -> None:
        assert rules.check_optional_text("tencent_contact", "  ") is None
        assert rules.check_optional_text("tencent_contact", " 王五 ") == "王五"
        assert refusal(rules.check_optional_text, "tencent_contact", "x" * 65).field == "tencent_contact"


@pytest.mark.rule("R-CER-02", "R-REG-01", "R-REG-10", "R-REG-11", "R-REG-13", "R-REG-16")
class TestSharedIdentityRules:
    def test_contact_email_is_normalised_and_errors_name_the_field(self) -> None:
        assert rules.check_contact_email(" Office@Example.GOV.CN ") == "Office@example.gov.cn"
        assert refusal(rules.check_contact_email, "no-at-sign").field == "contact_email"

    def test_operator_fields_follow_the_registration_rules(self) -> None:
        first17 = "11010519900307123"
        assert rules.check_operator_id_number(first17 + id_check_char(first17), TODAY)
        assert rules.check_operator_name("阿依古丽•买买提") == "阿依古丽·买买提"
        assert rules.check_operator_phone("+86 138 0013 8000") == "13800138000"
        assert refusal(rules.check_operator_id_number, "810105199003071230", TODAY).instance_code == (
            "id_number_not_mainland"
        )
        assert refusal(rules.check_operator_name, "李").field == "operator_name"
        assert refusal(rules.check_operator_phone, "010-12345678").field == "operator_phone"

    def test_certified_name_follows_the_account_name_rule(self) -> None:
        assert rules.check_certified_name("北京市（东城）公安局") == "北京市（东城）公安局"
        error = refusal(rules.check_certified_name, "东城 公安")
        assert (error.field, error.instance_code) == ("certified_name", "invalid_name")
        assert refusal(rules.check_certified_name, "微信东城", ("微信",)).instance_code == "protected_name"


class TestRequirementsCatalogue:
    @pytest.mark.rule("R-CER-02")
    def test_every_form_field_is_described_once(self) -> None:
        names = [f.name for f in rules.FIELDS]
        assert len(names) == len(set(names)) == 21
        assert {f.name for f in rules.FIELDS if not f.required} == {
            "website",
            "tencent_contact",
            "tencent_contact_department",
        }
        for field, (low, high) in TEXT_BOUNDS.items():
            spec = rules.FIELDS_BY_NAME[field]
            assert (spec.min_length, spec.max_length) == (low, high)

    @pytest.mark.rule("R-CER-03")
    def test_fee_is_waived_for_government_bodies(self) -> None:
        assert (rules.FEE_AMOUNT, rules.FEE_CURRENCY) == (0, "CNY")
        assert "政府机构" in rules.FEE_WAIVED_REASON
