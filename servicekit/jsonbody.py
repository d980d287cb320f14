"""The one JSON reader for request bodies: bounded in size and nesting, and valid Unicode only.

Python's `json` decoder recurses once per `[`/`{`: 100,000 of them end in RecursionError, and a
`"\\ud800"` escape decodes to a lone surrogate that PostgreSQL, the JSON encoder of the answer and
even the error message quoting it cannot encode. Both are refused here, on the raw bytes, before
anything decodes them: every JSON body of every service passes `check` (the middleware in
`servicekit.bodies` for FastAPI-parsed bodies, `loads` for bodies and fields read by hand).
"""

from __future__ import annotations

import json
import re
from itertools import accumulate
from typing import Any

MAX_JSON_BODY = 2 * 1024 * 1024
# WeChat's deepest documented body (a menu: button → sub_button → button) is 5 levels deep; 64 leaves
# room for any real client and keeps the decoder far from Python's recursion limit.
MAX_JSON_DEPTH = 64

_STRING = re.compile(rb'"(?:[^"\\]|\\.)*"', re.DOTALL)
_BRACKETS = re.compile(rb"[^\[\]{}]+")
# Escapes, left to right: a valid surrogate pair, then any lone surrogate, then every other escape
# (so an escaped backslash is consumed and `\\ud800` — a backslash, then text — is not misread).
_ESCAPE = re.compile(
    rb"\\u[dD][89abAB][0-9a-fA-F]{2}\\u[dD][c-fC-F][0-9a-fA-F]{2}"
    rb"|(?P<lone>\\u[dD][89a-fA-F][0-9a-fA-F]{2})"
    rb"|\\.",
    re.DOTALL,
)


class JsonRefused(ValueError):
    """A body that must not be decoded. `reason` is `too_deep` or `invalid_unicode`."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason
        self.message = message


def nesting_depth(raw: bytes) -> int:
    """How deep the arrays and objects of `raw` nest, strings skipped (malformed input: a bound)."""
    if raw.count(b"[") + raw.count(b"{") <= MAX_JSON_DEPTH:
        return raw.count(b"[") + raw.count(b"{")
    brackets = _BRACKETS.sub(b"", _STRING.sub(b'""', raw))
    steps = (1 if c in b"[{" else -1 for c in brackets)
    return max(accumulate(steps, initial=0))


def check(raw: bytes) -> None:
    """Refuse a body that is not UTF-8 (`json.loads` would decode bytes with "surrogatepass", letting
    encoded surrogates through), nested past `MAX_JSON_DEPTH`, or holding a lone surrogate escape."""
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError:
        raise JsonRefused("invalid_unicode", "请求体不是合法的 UTF-8 文本") from None
    if nesting_depth(raw) > MAX_JSON_DEPTH:
        raise JsonRefused("too_deep", f"JSON 嵌套层数超过 {MAX_JSON_DEPTH} 层")
    if b"\\" in raw and any(m.group("lone") for m in _ESCAPE.finditer(raw)):
        raise JsonRefused("invalid_unicode", "文本含有无效的 Unicode 字符（单独的代理项）")


def loads(raw: bytes | str) -> Any:
    """`json.loads` behind `check`: raises `JsonRefused` or `ValueError` (not JSON)."""
    data = raw.encode("utf-8", "surrogatepass") if isinstance(raw, str) else raw
    check(data)
    return json.loads(data)
