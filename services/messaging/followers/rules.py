"""Pure rules of simulated followers and tags (SPEC §5.1 R-MSG-01, R-MSG-02): limits, names, spreads."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TypeVar

from servicekit.errors import CgiError

SEED_MAX = 1_000_000  # followers created by one control-plane call
SEED_LIST_MAX = 1000  # openids listed in the answer up to this count (SPEC §7.1)
PAGE_SIZE = 10_000  # user/get and user/tag/get
BATCHGET_MAX = 100  # user/info/batchget → 40032 above
TAGGING_MAX = 50  # tags/members/batch(un)tagging → 40032 above
TAGS_PER_ACCOUNT = 100  # → 45056
TAGS_PER_FOLLOWER = 20  # → 45059
TAG_NAME_MAX_BYTES = 30  # → 45158
REMARK_MAX_BYTES = 30  # the remark must stay strictly below this → 40092
UNDELETABLE_TAG_FANS = 100_000  # a tag with more fans cannot be deleted → 45057
FIRST_TAG_ID = 100
TAG_ID_MAX = 2**31 - 1  # the column is an int4: anything above names no tag
STAR_TAG_ID = 2  # 星标组: exists for every account, cannot be edited
STAR_TAG_NAME = "星标组"
RESERVED_TAG_IDS = frozenset({0, 1, 2})
LANGUAGES = ("zh_CN", "zh_TW", "en")
SUBSCRIBE_SCENE = "ADD_SCENE_OTHERS"  # followers come from the control plane, not a real scene

T = TypeVar("T")

OPENID_PATTERN = re.compile(r"^[A-Za-z0-9_-]{28}$")


def utf8_len(value: str) -> int:
    return len(value.encode("utf-8"))


def check_tag_name(name: object) -> str:
    """WeChat: empty or non-text → 45157, over 30 UTF-8 bytes → 45158 (duplicates are the database's)."""
    if not isinstance(name, str) or not name.strip():
        raise CgiError(45157)
    if utf8_len(name) > TAG_NAME_MAX_BYTES:
        raise CgiError(45158)
    return name


def check_remark(remark: object) -> str:
    """The remark is under 30 bytes (UTF-8); an empty remark clears it."""
    if not isinstance(remark, str) or utf8_len(remark) >= REMARK_MAX_BYTES:
        raise CgiError(40092)
    return remark


def check_openid_list(value: object, *, limit: int) -> list[str]:
    """A non-empty list of at most `limit` openid strings (40032), duplicates folded, order kept."""
    if value is None:
        raise CgiError(41009)
    if not isinstance(value, list) or not value or len(value) > limit:
        raise CgiError(40032)
    if not all(isinstance(item, str) and item for item in value):
        raise CgiError(40003)
    return list(dict.fromkeys(value))


def check_tag_id(value: object) -> int:
    """A tag id in a JSON body: an integer (numeric strings tolerated, as WeChat does); missing → 47001,
    anything else, or past any tag id there can be → 45159."""
    if value is None:
        raise CgiError(47001)
    if isinstance(value, str) and value.strip().isdigit():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= TAG_ID_MAX:
        raise CgiError(45159)
    return value


@dataclass(frozen=True)
class Region:
    country: str
    province: str
    city: str
    weight: int


# A plausible spread of a government account's audience; weights are percent and add up to 100.
REGIONS: tuple[Region, ...] = (
    Region("中国", "广东", "广州", 14),
    Region("中国", "广东", "深圳", 12),
    Region("中国", "北京", "朝阳", 9),
    Region("中国", "北京", "海淀", 7),
    Region("中国", "上海", "浦东新区", 10),
    Region("中国", "浙江", "杭州", 8),
    Region("中国", "江苏", "南京", 7),
    Region("中国", "四川", "成都", 8),
    Region("中国", "湖北", "武汉", 6),
    Region("中国", "陕西", "西安", 5),
    Region("中国", "山东", "济南", 5),
    Region("中国", "香港", "", 3),
    Region("中国", "台湾", "台北", 2),
    Region("美国", "加利福尼亚", "旧金山", 2),
    Region("英国", "英格兰", "伦敦", 2),
)
# gender spread: 1 male, 2 female, 0 unknown (percent buckets).
GENDER_BUCKETS: tuple[tuple[int, int], ...] = ((1, 47), (2, 47), (0, 6))
LANGUAGE_BUCKETS: tuple[tuple[str, int], ...] = (("zh_CN", 92), ("zh_TW", 4), ("en", 4))


def spread(buckets: tuple[tuple[T, int], ...]) -> list[T]:
    """Expand (value, weight) into a list where each value occurs `weight` times (SQL picks by index)."""
    return [value for value, weight in buckets for _ in range(weight)]


def region_spread(
    country: str | None, province: str | None, city: str | None
) -> tuple[list[str], list[str], list[str]]:
    """The weighted candidate regions for a seeding call, as three parallel lists.

    Fields the caller gave are fixed; the others spread over the known regions matching them (so
    `province="广东"` spreads over 广州 and 深圳). A combination the table does not know is used as
    given, the missing parts left empty, as WeChat leaves unknown location fields.
    """
    matching = [
        r
        for r in REGIONS
        if (country is None or r.country == country)
        and (province is None or r.province == province)
        and (city is None or r.city == city)
    ]
    if not matching:
        matching = [Region(country or "", province or "", city or "", 1)]
    rows = [r for r in matching for _ in range(r.weight)]
    return [r.country for r in rows], [r.province for r in rows], [r.city for r in rows]
