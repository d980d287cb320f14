"""The one JSON reader: nesting bounded, lone surrogates refused, everything else as `json.loads`."""

from __future__ import annotations

import json

import pytest

from servicekit import jsonbody
from servicekit.jsonbody import MAX_JSON_DEPTH, JsonRefused


class TestNestingDepth:
    @pytest.mark.parametrize(
        ("raw", "depth"),
        [
            (b"{}", 1),
            (b'{"a":[1,{"b":[]}]}', 4),
            (b'{"a":"[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[["}', 1),
            (b'["\\"[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[["]', 1),
            (b"[" * 200 + b"]" * 200, 200),
            (b"[]" * 500, 1),
        ],
    )
    def test_counts_brackets_outside_strings(self, raw: bytes, depth: int) -> None:
        assert jsonbody.nesting_depth(raw) == depth

    def test_the_limit_itself_is_accepted_and_one_more_refused(self) -> None:
        assert jsonbody.loads(b"[" * MAX_JSON_DEPTH + b"]" * MAX_JSON_DEPTH) is not None
        with pytest.raises(JsonRefused) as refused:
            jsonbody.loads(b"[" * (MAX_JSON_DEPTH + 1) + b"]" * (MAX_JSON_DEPTH + 1))
        assert refused.value.reason == "too_deep"

    def test_a_hundred_thousand_levels_are_refused_without_recursing(self) -> None:
        with pytest.raises(JsonRefused):
            jsonbody.loads(b'{"a":' * 100_000 + b"1" + b"}" * 100_000)


class TestUnicode:
    @pytest.mark.parametrize("text", ['"\\ud800"', '"a\\udfffb"', '"\\udc00\\ud800"', '["\\uD800x"]'])
    def test_lone_surrogates_are_refused(self, text: str) -> None:
        with pytest.raises(JsonRefused) as refused:
            jsonbody.loads(text)
        assert refused.value.reason == "invalid_unicode"

    @pytest.mark.parametrize(
        ("text", "value"),
        [
            ('"\\ud83d\\ude00"', "😀"),
            ('"\\\\ud800"', "\\ud800"),
            ('"\\\\\\ud83d\\ude00"', "\\😀"),
            ('"\\u4e2d\\n"', "中\n"),
        ],
    )
    def test_pairs_and_escaped_backslashes_decode_as_usual(self, text: str, value: str) -> None:
        assert jsonbody.loads(text) == value

    @pytest.mark.parametrize("raw", [b'"\xed\xa0\x80"', b'"\xff"', '"中文"'.encode("gbk")])
    def test_bytes_that_are_not_utf8_are_refused(self, raw: bytes) -> None:
        """json.loads itself would let encoded surrogates (ED A0 80) through as a lone surrogate."""
        with pytest.raises(JsonRefused) as refused:
            jsonbody.loads(raw)
        assert refused.value.reason == "invalid_unicode"

    def test_anything_else_reads_as_json_loads_does(self) -> None:
        sample = {"button": [{"name": "服务", "sub_button": [{"type": "view", "url": "http://a/?q=[1]"}]}]}
        raw = json.dumps(sample, ensure_ascii=False).encode()
        assert jsonbody.loads(raw) == sample
