from __future__ import annotations

from servicekit.db import keep_writes, keeps_writes
from servicekit.errors import BadRequest


class TestKeepWrites:
    def test_a_marked_refusal_keeps_its_writes(self) -> None:
        refusal = keep_writes(BadRequest("验证码错误", code="captcha_incorrect"))

        assert keeps_writes(refusal)

    def test_an_unmarked_refusal_rolls_back(self) -> None:
        assert not keeps_writes(BadRequest("验证码错误", code="captcha_incorrect"))

    def test_marking_returns_the_refusal_itself(self) -> None:
        refusal = BadRequest("验证码错误", code="captcha_incorrect")

        assert keep_writes(refusal) is refusal
