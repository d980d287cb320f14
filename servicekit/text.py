"""Text rules shared by every phase.

The platform counts a CJK ideograph as 2 units: the same measure limits account names (R-REG-16),
certified names (§4.1 `certified_name`, by the same rule) and mass-send text (R-MSG-21). A mainland
mobile number is read the same way where an operator types it (R-REG-13) and where the outbox is
searched for what was sent to it.
"""

from __future__ import annotations

import re

_MAINLAND_MOBILE = re.compile(r"(?:\+?86)?(1[3-9]\d{9})")

# Unified Ideographs, Extension A, Extensions B–H (the supplementary ideographic planes) and the
# compatibility ideographs: simplified and traditional characters alike.
_CJK_RANGES: tuple[tuple[int, int], ...] = (
    (0x3400, 0x4DBF),
    (0x4E00, 0x9FFF),
    (0xF900, 0xFAFF),
    (0x20000, 0x3134F),
)


def is_cjk(ch: str) -> bool:
    """A CJK ideograph: one of the characters that count 2 units."""
    code = ord(ch)
    return any(low <= code <= high for low, high in _CJK_RANGES)


def text_units(value: str) -> int:
    """A CJK ideograph counts 2 units, any other character 1 ("600 汉字 or 1200 characters")."""
    return sum(2 if is_cjk(ch) else 1 for ch in value)


def mainland_mobile(value: str) -> str | None:
    """The 11 digits of a mainland mobile number (`1[3-9]…`, optional `+86`, spaces and dashes
    ignored), or None when `value` is not one."""
    match = _MAINLAND_MOBILE.fullmatch(value.strip().replace(" ", "").replace("-", ""))
    return match.group(1) if match else None
