"""Schema-validation failures told in Chinese (SPEC §2: `message` is a 中文说明).

FastAPI reports what pydantic found as English sentences; `describe` turns one such error into the
sentence an operator reads, keeping the numbers and choices pydantic gives in `ctx`. Messages our own
validators raise (`ValueError("…")`) are Chinese already and pass through.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

_FIXED: dict[str, str] = {
    "missing": "缺少必填字段",
    "extra_forbidden": "不支持这个字段",
    "string_type": "应为字符串",
    "string_unicode": "应为字符串",
    "string_pattern_mismatch": "格式不正确",
    "int_type": "应为整数",
    "int_parsing": "应为整数",
    "int_from_float": "应为整数",
    "float_type": "应为数字",
    "float_parsing": "应为数字",
    "finite_number": "应为有限的数字",
    "decimal_parsing": "应为数字",
    "bool_type": "应为布尔值（true 或 false）",
    "bool_parsing": "应为布尔值（true 或 false）",
    "dict_type": "应为 JSON 对象",
    "model_type": "应为 JSON 对象",
    "model_attributes_type": "应为 JSON 对象",
    "list_type": "应为数组",
    "tuple_type": "应为数组",
    "set_type": "应为数组",
    "none_required": "应为空值（null）",
    "datetime_type": "应为 ISO 8601 时间",
    "datetime_parsing": "应为 ISO 8601 时间，如 2027-01-01T09:00:00+08:00",
    "datetime_from_date_parsing": "应为 ISO 8601 时间，如 2027-01-01T09:00:00+08:00",
    "datetime_object_invalid": "时间不存在",
    "timezone_aware": "时间须带时区",
    "date_type": "应为日期",
    "date_parsing": "应为日期，如 2027-01-01",
    "date_from_datetime_parsing": "应为日期，如 2027-01-01",
    "url_type": "应为 URL",
    "url_parsing": "应为合法的 URL",
    "url_scheme": "URL 协议不受支持",
    "uuid_parsing": "格式不正确",
    "json_invalid": "不是合法的 JSON",
    "json_type": "应为 JSON",
    "bytes_type": "应为字符串",
    "union_tag_invalid": "类型不受支持",
    "union_tag_not_found": "缺少类型字段",
}


def _number(value: Any) -> str:
    """24.0 reads as 24: bounds on a float field come back as floats."""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _choices(ctx: Mapping[str, Any]) -> str:
    return str(ctx.get("expected", "")).replace(" or ", " 或 ")


_WITH_CONTEXT: dict[str, Callable[[Mapping[str, Any]], str]] = {
    "greater_than": lambda c: f"必须大于 {_number(c.get('gt'))}",
    "greater_than_equal": lambda c: f"不能小于 {_number(c.get('ge'))}",
    "less_than": lambda c: f"必须小于 {_number(c.get('lt'))}",
    "less_than_equal": lambda c: f"不能大于 {_number(c.get('le'))}",
    "multiple_of": lambda c: f"必须是 {_number(c.get('multiple_of'))} 的倍数",
    "string_too_short": lambda c: f"长度不能少于 {c.get('min_length')} 个字符",
    "string_too_long": lambda c: f"长度不能超过 {c.get('max_length')} 个字符",
    "too_short": lambda c: f"至少需要 {c.get('min_length')} 项",
    "too_long": lambda c: f"最多 {c.get('max_length')} 项",
    "literal_error": lambda c: f"取值应为 {_choices(c)}",
    "enum": lambda c: f"取值应为 {_choices(c)}",
}


def describe(error: Mapping[str, Any]) -> str:
    """One pydantic error (an item of `exc.errors()`) as a Chinese sentence, without the field name."""
    kind = str(error.get("type", ""))
    ctx: Mapping[str, Any] = error.get("ctx") or {}
    if kind in _FIXED:
        return _FIXED[kind]
    if kind in _WITH_CONTEXT:
        return _WITH_CONTEXT[kind](ctx)
    if kind in ("value_error", "assertion_error"):
        own = str(ctx.get("error", "")) or str(error.get("msg", ""))
        own = own.removeprefix("Value error, ").removeprefix("Assertion failed, ")
        if any(ord(ch) > 0x2E7F for ch in own):  # written in Chinese by one of our validators
            return own
    return "格式有误"
