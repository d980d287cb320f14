"""Who an operator and an account are, read alike wherever a form asks (R-REG-01/10/11/13/16, §4.1).

Registration's wizard and certification's application form both take an operator's name, resident ID
number and mobile number, an e-mail address and an account name (the certified name follows R-REG-16):
one implementation of each, here, so the two phases cannot drift. Each function returns the normalised
value or raises `RuleError`; the caller turns it into its own 400 (the field a request reports may differ
from the rule's default).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import date

from email_validator import EmailNotValidError, validate_email

from servicekit.errors import RuleError
from servicekit.text import is_cjk, mainland_mobile, text_units

# GB/T 2260 first two digits of mainland administrative codes.
MAINLAND_REGION_PREFIXES = frozenset(
    "11 12 13 14 15 21 22 23 31 32 33 34 35 36 37 41 42 43 44 45 46 50 51 52 53 54 61 62 63 64 65".split()
)
ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
ID_CHECK_CHARS = "10X98765432"
# The handbook's own hint writes the separator as "." (§1.10: 如果名字包含分隔号“.”，请勿省略).
MIDDLE_DOTS = "·•‧・.．"
OPERATOR_NAME_LENGTH = (2, 30)
NAME_SPECIALS = frozenset(".()（）-")


# R-REG-16: names that may not be used (substring match, case-insensitive). Configurable per deployment
# (MPSANDBOX_REGISTRATION_PROTECTED_NAMES, MPSANDBOX_CERTIFICATION_PROTECTED_NAMES).
DEFAULT_PROTECTED_NAMES = ("微信", "腾讯", "wechat", "weixin", "tencent", "公众平台")


def normalize_email(value: str) -> str:
    """R-REG-01: syntax only (no DNS); the domain is lower-cased, the local part kept."""
    try:
        result = validate_email(value.strip(), check_deliverability=False)
    except EmailNotValidError as exc:
        raise RuleError("email", "invalid_email", f"邮箱格式不正确：{exc}") from None
    return str(result.normalized)


def check_operator_name(value: str) -> str:
    """R-REG-10: 2–30 characters; a middle dot is allowed and kept (normalised to U+00B7)."""
    text = value.strip()
    for dot in MIDDLE_DOTS[1:]:
        text = text.replace(dot, "·")
    low, high = OPERATOR_NAME_LENGTH
    if not low <= len(text) <= high:
        raise RuleError("operator_name", "invalid_operator_name", "运营者姓名须为 2–30 个字")
    if text.startswith("·") or text.endswith("·") or any(not (ch.isalpha() or ch == "·") for ch in text):
        raise RuleError("operator_name", "invalid_operator_name", "运营者姓名只能包含文字和分隔号“·”")
    return text


def id_check_char(first17: str) -> str:
    """ISO 7064 MOD 11-2 check character of the first 17 digits (GB 11643)."""
    total = sum(int(d) * w for d, w in zip(first17, ID_WEIGHTS, strict=True))
    return ID_CHECK_CHARS[total % 11]


def check_id_number(value: str, today: date) -> str:
    """R-REG-11: 18-character mainland resident ID, real birth date, age ≥ 18 on `today`, valid check."""
    number = value.strip().upper()
    if not re.fullmatch(r"\d{17}[\dX]", number):
        raise RuleError("operator_id_number", "invalid_id_number", "身份证号码须为 18 位")
    if number[:2] in ("81", "82", "83"):
        raise RuleError(
            "operator_id_number", "id_number_not_mainland", "仅支持中国内地居民身份证（不含港澳台）"
        )
    if number[:2] not in MAINLAND_REGION_PREFIXES:
        raise RuleError("operator_id_number", "invalid_id_number", "身份证号码的地区码不正确")
    try:
        birth = date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    except ValueError:
        raise RuleError("operator_id_number", "invalid_id_number", "身份证号码的出生日期不正确") from None
    if birth.year < 1900 or birth > today:
        raise RuleError("operator_id_number", "invalid_id_number", "身份证号码的出生日期不正确")
    if id_check_char(number[:17]) != number[17]:
        raise RuleError("operator_id_number", "invalid_id_number", "身份证号码校验位不正确")
    if age_on(birth, today) < 18:
        raise RuleError("operator_id_number", "operator_under_18", "运营者须年满 18 周岁")
    return number


def age_on(birth: date, today: date) -> int:
    return today.year - birth.year - ((today.month, today.day) < (birth.month, birth.day))


def check_phone(value: str) -> str:
    """R-REG-13: mainland mobile number `1[3-9]` + 9 digits, optional +86; returns the 11 digits."""
    number = mainland_mobile(value)
    if number is None:
        raise RuleError("operator_phone", "invalid_phone", "仅支持中国内地手机号码")
    return number


def name_units(value: str) -> int:
    """R-REG-16: a CJK character counts 2, any other character 1."""
    return text_units(value)


def check_account_name(value: str, protected: Iterable[str] = ()) -> str:
    """R-REG-16: 4–32 units; CJK, ASCII letters/digits and . ( ) （ ） - only; protected names refused."""
    if not value or any(ch.isspace() for ch in value):
        raise RuleError("name", "invalid_name", "名称不能为空，也不能包含空格")
    bad = sorted(
        {ch for ch in value if not (is_cjk(ch) or (ch.isascii() and ch.isalnum()) or ch in NAME_SPECIALS)}
    )
    if bad:
        raise RuleError("name", "invalid_name", f"名称包含不允许的字符：{''.join(bad)}")
    if not 4 <= name_units(value) <= 32:
        raise RuleError("name", "invalid_name", "名称须为 2–16 个汉字或 4–32 个字符")
    lowered = value.lower()
    for word in protected:
        if word and word.lower() in lowered:
            raise RuleError("name", "protected_name", f"名称不能包含受保护的词：{word}")
    return value
