"""R-MSG-21, R-MSG-22, R-MSG-23, R-MSG-26 as pure rules."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from servicekit.clock import SHANGHAI
from servicekit.errors import SandboxError
from services.messaging.mass import messages, rules


def text_too_long(text: str) -> bool:
    """The send's own check: 45002 when the text is over 1200 units."""
    try:
        messages.check_text(text)
    except SandboxError as refused:
        return refused.instance_errcode == 45002
    return False


@pytest.mark.rule("R-MSG-21")
class TestTextUnits:
    def test_600_chinese_characters_fit(self) -> None:
        assert not text_too_long("政" * 600)

    def test_601_chinese_characters_are_too_long(self) -> None:
        assert text_too_long("政" * 601)

    def test_1200_ascii_characters_fit_and_1201_do_not(self) -> None:
        assert not text_too_long("a" * 1200)
        assert text_too_long("a" * 1201)


@pytest.mark.rule("R-MSG-22")
class TestUnsupportedCharacters:
    @pytest.mark.parametrize(
        "text",
        [
            "今天下午3点停水，请提前储水。",
            "Notice: water cut 3pm-5pm!",
            "全角标点：（）【】《》“”、。！？",
            "表情 😀👍🇨🇳 1️⃣ 👨‍👩‍👧",
            "拼音 zhèngwù café ① Ⅷ ½ №5",
            "多行\n\t文本 ㄓㄨˋ 〇 々",
        ],
    )
    def test_chinese_english_digits_punctuation_and_emoji_pass(self, text: str) -> None:
        assert rules.unsupported_characters(text) == []

    @pytest.mark.parametrize(
        ("text", "refused"),
        [
            ("通知ありがとう", ["あ", "り", "が", "と", "う"]),
            ("カタカナ", ["カ", "タ", "ナ"]),
            ("안녕 hello", ["안", "녕"]),
            ("Привет", ["П", "р", "и", "в", "е", "т"]),
            ("مرحبا", ["م", "ر", "ح", "ب", "ا"]),
            ("สวัส", ["ส", "ว", "ั"]),
            ("नमस्ते", ["न", "म", "स", "्", "त", "े"]),
        ],
    )
    def test_other_scripts_are_named(self, text: str, refused: list[str]) -> None:
        assert rules.unsupported_characters(text) == refused


@pytest.mark.rule("R-MSG-26")
class TestClientMsgId:
    def test_64_bytes_fit(self) -> None:
        assert not rules.clientmsgid_too_long("x" * 64)

    def test_65_bytes_are_too_long_even_as_22_chinese_characters(self) -> None:
        assert rules.clientmsgid_too_long("x" * 65)
        assert rules.clientmsgid_too_long("政" * 22)


@pytest.mark.rule("R-MSG-20")
class TestOpenidListSize:
    def test_bounds(self) -> None:
        assert [rules.openid_list_size_ok(n) for n in (1, 2, 10_000, 10_001)] == [False, True, True, False]


@pytest.mark.rule("R-MSG-23")
class TestQuotaPeriod:
    def test_subscription_day_is_the_shanghai_calendar_day(self) -> None:
        # 2026-03-01 17:30 UTC is already 2026-03-02 01:30 in Shanghai.
        period = rules.mass_quota_period("subscription", datetime(2026, 3, 1, 17, 30, tzinfo=UTC))
        assert (period.period, period.limit) == ("day", 1)
        assert period.start == datetime(2026, 3, 2, tzinfo=SHANGHAI)
        assert period.resets_at == datetime(2026, 3, 3, tzinfo=SHANGHAI)

    def test_service_month_is_the_shanghai_calendar_month(self) -> None:
        period = rules.mass_quota_period("service", datetime(2026, 12, 31, 16, 5, tzinfo=UTC))
        assert (period.period, period.limit) == ("month", 4)
        assert period.start == datetime(2027, 1, 1, tzinfo=SHANGHAI)
        assert period.resets_at == datetime(2027, 2, 1, tzinfo=SHANGHAI)

    def test_december_resets_on_the_first_of_january(self) -> None:
        period = rules.mass_quota_period("service", datetime(2026, 12, 10, tzinfo=SHANGHAI))
        assert period.resets_at == datetime(2027, 1, 1, tzinfo=SHANGHAI)

    def test_unknown_account_type_has_no_quota(self) -> None:
        with pytest.raises(ValueError, match="no mass-send quota"):
            rules.mass_quota_period(None, datetime(2026, 1, 1, tzinfo=UTC))


@pytest.mark.rule("R-MSG-24")
class TestFolder:
    def test_subscription_goes_to_the_subscription_folder_and_service_to_the_chat_list(self) -> None:
        assert (rules.folder_for("subscription"), rules.folder_for("service")) == ("subscription", "chat")
