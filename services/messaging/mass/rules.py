"""Pure mass-send rules (SPEC §5.3): text units, languages, clientmsgid, quota periods. No I/O."""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from contracts.capabilities import MASS_SEND_QUOTA
from servicekit.clock import SHANGHAI
from servicekit.text import is_cjk

MAX_TEXT_UNITS = 1200  # R-MSG-21: 1200 characters or 600 汉字
MAX_CLIENTMSGID_BYTES = 64  # R-MSG-26
MIN_OPENIDS, MAX_OPENIDS = 2, 10_000  # mass/send touser list
PREVIEW_LIMIT_PER_DAY = 100
CLIENTMSGID_WINDOW = timedelta(hours=24)
NAMED_CHARACTERS = 10  # how many refused characters the error message lists
MSG_ID_MAX = 2**63 - 1  # msg_id is an int8: anything above names no job


# Letters, digits and marks are where a script shows; these ranges are the Chinese and English ones.
_ALLOWED_WORD_RANGES: tuple[tuple[int, int], ...] = (
    (0x0030, 0x0039),  # ASCII digits
    (0x0041, 0x005A),
    (0x0061, 0x007A),  # ASCII letters
    (0x00AA, 0x00AA),
    (0x00B5, 0x00B5),
    (0x00BA, 0x00BA),
    (0x00C0, 0x024F),  # Latin-1 letters and Latin Extended A/B (pinyin tones, café)
    (0x02B0, 0x02FF),  # spacing modifiers (bopomofo tone marks ˊ ˇ ˋ)
    (0x0300, 0x036F),  # combining diacritics used with Latin letters
    (0x1E00, 0x1EFF),  # Latin Extended Additional
    (0x20D0, 0x20FF),  # combining marks for symbols (emoji keycap ⃣)
    (0x2E80, 0x2FDF),  # CJK and Kangxi radicals
    (0x3005, 0x3007),  # 々 〆 〇
    (0x3021, 0x3029),  # Hangzhou numerals
    (0x3038, 0x303B),
    (0x3100, 0x312F),  # bopomofo (zhuyin)
    (0x31A0, 0x31BF),
    (0x31C0, 0x31EF),  # CJK strokes
    (0xFE00, 0xFE0F),  # variation selectors (emoji presentation)
    (0xFF10, 0xFF19),  # full-width digits
    (0xFF21, 0xFF3A),
    (0xFF41, 0xFF5A),  # full-width Latin letters
    (0xE0020, 0xE007F),  # tag characters (subdivision flag emoji)
    (0xE0100, 0xE01EF),  # variation selectors supplement
)
_INVISIBLE_FORMAT = frozenset("\u200b\u200c\u200d\u200e\u200f\u2060\ufeff")


def _allowed(ch: str) -> bool:
    category = unicodedata.category(ch)
    head = category[0]
    if head in "PSZ":  # punctuation, symbols (emoji), separators of any block
        return True
    if head == "C":
        return category == "Cc" or ch in _INVISIBLE_FORMAT or ord(ch) >= 0xE0000
    if category in ("No", "Nl"):  # ① Ⅷ ½ ² — numbers, not words of a language
        return True
    if is_cjk(ch):
        return True
    code = ord(ch)
    return any(low <= code <= high for low, high in _ALLOWED_WORD_RANGES)


def unsupported_characters(value: str) -> list[str]:
    """R-MSG-22: the distinct characters of other scripts (kana, hangul, Cyrillic, …) in order of use."""
    seen: dict[str, None] = {}
    for ch in value:
        if ch not in seen and not _allowed(ch):
            seen[ch] = None
    return list(seen)


def clientmsgid_too_long(value: str) -> bool:
    return len(value.encode("utf-8")) > MAX_CLIENTMSGID_BYTES


def openid_list_size_ok(count: int) -> bool:
    return MIN_OPENIDS <= count <= MAX_OPENIDS


@dataclass(frozen=True)
class QuotaPeriod:
    """One counting window of R-MSG-23: `[start, resets_at)` in Asia/Shanghai, with its limit."""

    period: str
    start: datetime
    resets_at: datetime
    limit: int


def _shanghai_midnight(day: date) -> datetime:
    return datetime.combine(day, time(0), tzinfo=SHANGHAI)


def calendar_period(period: str, moment: datetime, limit: int) -> QuotaPeriod:
    """The natural day or natural month holding `moment`, Asia/Shanghai (unused sends never carry over)."""
    local = moment.astimezone(SHANGHAI).date()
    if period == "day":
        start = _shanghai_midnight(local)
        end = _shanghai_midnight(local + timedelta(days=1))
    elif period == "month":
        start = _shanghai_midnight(local.replace(day=1))
        first_next = date(local.year + local.month // 12, local.month % 12 + 1, 1)
        end = _shanghai_midnight(first_next)
    else:
        raise ValueError(f"unknown quota period {period!r}")
    return QuotaPeriod(period=period, start=start, resets_at=end, limit=limit)


def mass_quota_period(account_type: str | None, moment: datetime) -> QuotaPeriod:
    """R-MSG-23: subscription 1 per natural day, service 4 per natural month (contracts.capabilities)."""
    if account_type not in MASS_SEND_QUOTA:
        raise ValueError(f"no mass-send quota for account type {account_type!r}")
    limit, period = MASS_SEND_QUOTA[account_type]
    return calendar_period(period, moment, limit)


def preview_period(moment: datetime) -> QuotaPeriod:
    return calendar_period("day", moment, PREVIEW_LIMIT_PER_DAY)


def folder_for(account_type: str | None) -> str:
    """FAQ 9: subscription accounts land in the 订阅号 folder, service accounts in the chat list."""
    return "subscription" if account_type == "subscription" else "chat"
