"""Registration's pure rules (SPEC R-REG-01..32): no I/O, each returns a clean value or raises RuleError."""

from __future__ import annotations

import calendar
import re
from collections.abc import Iterable
from datetime import date, datetime

from email_validator import EmailNotValidError, validate_email

from servicekit.clock import SHANGHAI
from servicekit.text import is_cjk, mainland_mobile, text_units

SUBJECT_TYPES = ("government", "media", "enterprise", "other")
LANGUAGES = ("zh_CN", "zh_TW", "en")
CHINA = ("CN", "CHINA", "中国", "中华人民共和国")
# Official full names end in one of these: 广西壮族自治区, 内蒙古自治区, 广东省, 北京市.
PROVINCE_SUFFIXES = ("维吾尔自治区", "壮族自治区", "回族自治区", "自治区", "省", "市")
# Province-level divisions of the mainland (HK/MO/TW have their own "country" entries on the platform).
PROVINCES = frozenset(
    "北京 天津 河北 山西 内蒙古 辽宁 吉林 黑龙江 上海 江苏 浙江 安徽 福建 江西 山东 河南 湖北 湖南 广东 广西 "
    "海南 重庆 四川 贵州 云南 西藏 陕西 甘肃 青海 宁夏 新疆".split()
)
# GB/T 2260 first two digits of mainland administrative codes.
MAINLAND_REGION_PREFIXES = frozenset(
    "11 12 13 14 15 21 22 23 31 32 33 34 35 36 37 41 42 43 44 45 46 50 51 52 53 54 61 62 63 64 65".split()
)
ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
ID_CHECK_CHARS = "10X98765432"
NAME_SPECIALS = frozenset(".()（）-")
# The handbook's own hint writes the separator as "." (§1.10: 如果名字包含分隔号“.”，请勿省略).
MIDDLE_DOTS = "·•‧・.．"
WECHAT_ID_RE = re.compile(r"^[A-Za-z][A-Za-z0-9_-]{5,19}$")


class RuleError(ValueError):
    """A broken rule: the field it concerns, a stable code and the message shown to the operator."""

    def __init__(self, field: str, code: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.code = code
        self.message = message


def normalize_email(value: str) -> str:
    """R-REG-01: syntax only (no DNS); the domain is lower-cased, the local part kept."""
    try:
        result = validate_email(value.strip(), check_deliverability=False)
    except EmailNotValidError as exc:
        raise RuleError("email", "invalid_email", f"邮箱格式不正确：{exc}") from None
    return str(result.normalized)


def check_password(value: str) -> str:
    """R-REG-02: 6–32 printable ASCII characters (letters, digits, symbols); no spaces."""
    if not 6 <= len(value) <= 32:
        raise RuleError("password", "invalid_password", "密码长度须为 6–32 位")
    if any(not ("!" <= ch <= "~") for ch in value):
        raise RuleError("password", "invalid_password", "密码只能由字母、数字或英文符号组成")
    return value


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


def check_intro(value: str) -> str:
    """R-REG-17: 4–120 characters."""
    text = value.strip()
    if not 4 <= len(text) <= 120:
        raise RuleError("intro", "invalid_intro", "功能介绍须为 4–120 个字")
    return text


def check_region(country: str, province: str | None, city: str | None) -> tuple[str, str | None, str | None]:
    """R-REG-17: a country; for China also a province-level division and a city."""
    country = country.strip()
    if not country or len(country) > 32:
        raise RuleError("region.country", "invalid_region", "请选择运营地区（国家）")
    if country.upper() not in CHINA:
        return country, (province or "").strip() or None, (city or "").strip() or None
    province = (province or "").strip()
    for suffix in PROVINCE_SUFFIXES:
        if province.endswith(suffix) and province.removesuffix(suffix) in PROVINCES:
            province = province.removesuffix(suffix)
            break
    if province not in PROVINCES:
        raise RuleError("region.province", "invalid_region", "请选择中国内地的省级行政区")
    city = (city or "").strip()
    if not city or len(city) > 32:
        raise RuleError("region.city", "invalid_region", "请选择城市")
    return "CN", province, city


def check_language(value: str) -> str:
    if value not in LANGUAGES:
        raise RuleError("language", "invalid_language", "语言须为 zh_CN、zh_TW 或 en")
    return value


def check_government_name(value: str) -> str:
    """R-REG-08: 政府全称, 2–64 characters."""
    text = value.strip()
    if not 2 <= len(text) <= 64:
        raise RuleError("government_name", "invalid_government_name", "政府全称须为 2–64 个字")
    return text


def check_operator_name(value: str) -> str:
    """R-REG-10: 2–30 characters; a middle dot is allowed and kept (normalised to U+00B7)."""
    text = value.strip()
    for dot in MIDDLE_DOTS[1:]:
        text = text.replace(dot, "·")
    if not 2 <= len(text) <= 30:
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


def check_wechat_id(value: str) -> str:
    """R-REG-32: 6–20 characters, letters/digits/_/-, starting with a letter."""
    if not WECHAT_ID_RE.fullmatch(value):
        raise RuleError(
            "wechat_id", "invalid_wechat_id", "微信号须为 6–20 个字母、数字、下划线或减号，并以字母开头"
        )
    return value


def add_one_month(moment: datetime) -> datetime:
    """R-REG-32: the same wall time one calendar month later in Asia/Shanghai (31 Jan → 28/29 Feb)."""
    local = moment.astimezone(SHANGHAI)
    year, month = (local.year + 1, 1) if local.month == 12 else (local.year, local.month + 1)
    day = min(local.day, calendar.monthrange(year, month)[1])
    return local.replace(year=year, month=month, day=day)


IMAGE_FORMATS = ("jpg", "bmp", "gif")
AVATAR_FORMATS = ("jpg", "bmp", "gif", "png")


def check_image_format(field: str, detected: str | None, allowed: tuple[str, ...]) -> str:
    """R-REG-09/12: the real type, detected from content, must be one of `allowed`."""
    if detected not in allowed:
        raise RuleError(
            field, "unsupported_file_type", f"{field} 仅支持 {'/'.join(allowed)} 格式（按文件内容判断）"
        )
    return detected
