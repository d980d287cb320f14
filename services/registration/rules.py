"""Registration's pure rules (SPEC R-REG-01..32): no I/O, each returns a clean value or raises RuleError.

The account name (R-REG-16) and the operator's e-mail, name, ID number and mobile (R-REG-01/10/11/13)
are shared with certification's form (§4.1) and live in `servicekit.identity`.
"""

from __future__ import annotations

import calendar
import re
from datetime import datetime

from servicekit.clock import SHANGHAI
from servicekit.errors import RuleError

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
WECHAT_ID_RE = re.compile(r"^[A-Za-z][A-Za-z0-9_-]{5,19}$")


def check_password(value: str) -> str:
    """R-REG-02: 6–32 printable ASCII characters (letters, digits, symbols); no spaces."""
    if not 6 <= len(value) <= 32:
        raise RuleError("password", "invalid_password", "密码长度须为 6–32 位")
    if any(not ("!" <= ch <= "~") for ch in value):
        raise RuleError("password", "invalid_password", "密码只能由字母、数字或英文符号组成")
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
