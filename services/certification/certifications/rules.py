"""Certification's pure rules (SPEC §4.1, R-CER-02/03): the application form, field by field.

Each `check_*` returns the normalised value or raises `BadRequest` naming the field (R-CER-02). The
form itself (`FIELDS`, `FILES`, `FEE`, `REVIEW_WORKING_DAYS`) is described once, here: the validators
read their bounds from it and `GET /api/v1/certifications/requirements` shows it.

Choices made where SPEC leaves room (documented in docs/rules.md through the tests):
- an organization code is returned in its machine form, without the dash (GB 11714 §2.2: 机读时，连字符
  省略); a unified social credit code as its 18 characters; both upper-cased;
- an 18-character code must also carry a valid GB 11714 check on characters 9–17, which GB 32100 §4
  defines as the organization's code (主体标识码（组织机构代码）): every published code we checked does;
- a bank account may be typed in groups separated by spaces; the digits are kept;
- an office landline is returned as `area-number[-extension]` (`转` becomes `-`); a mobile as 11 digits.
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from servicekit import identity
from servicekit.clock import SHANGHAI
from servicekit.errors import BadRequest, RuleError
from servicekit.text import mainland_mobile
from servicekit.uploads import MB


@dataclass(frozen=True, slots=True)
class Field:
    name: str
    label: str
    required: bool = True
    min_length: int | None = None
    max_length: int | None = None
    choices: tuple[tuple[str, str], ...] = ()  # (value, label)
    min_value: int | None = None
    max_value: int | None = None


@dataclass(frozen=True, slots=True)
class FileField:
    field: str
    label: str


INSTITUTION_NATURES = (("government_agency", "政府机构"), ("public_institution", "事业单位"))
HEADCOUNT_RANGE = (1, 1_000_000)
BANK_ACCOUNT_DIGITS = (8, 30)
WEBSITE_MAX_LENGTH = 256  # the sandbox's bound; SPEC gives none
OPTIONAL_TEXT_MAX_LENGTH = 64  # tencent_contact*: SPEC gives no bound; the same as the other names

# SPEC §4.1, in the order of the 申请信息表.
FIELDS: tuple[Field, ...] = (
    Field("institution_name", "机构名称", min_length=2, max_length=64),
    Field("institution_nature", "机构性质", choices=INSTITUTION_NATURES),
    Field("organization_code", "组织机构代码（或统一社会信用代码）", min_length=9, max_length=18),
    Field("website", "机构官网", required=False, max_length=WEBSITE_MAX_LENGTH),
    Field("office_address", "办公地址", min_length=4, max_length=120),
    Field("headcount", "机构人数", min_value=HEADCOUNT_RANGE[0], max_value=HEADCOUNT_RANGE[1]),
    Field("intro", "机构简介", min_length=4, max_length=300),
    Field("certified_name", "认证名称", min_length=2, max_length=32),
    Field("certification_reason", "申请认证原因", min_length=4, max_length=300),
    Field("services", "提供的服务", min_length=4, max_length=300),
    Field(
        "operator_name",
        "运营者姓名",
        min_length=identity.OPERATOR_NAME_LENGTH[0],
        max_length=identity.OPERATOR_NAME_LENGTH[1],
    ),
    Field("operator_department", "运营者所在部门", min_length=2, max_length=64),
    Field("operator_position", "运营者职务", min_length=2, max_length=64),
    Field("operator_id_number", "运营者身份证号码", min_length=18, max_length=18),
    Field("operator_phone", "运营者手机号码", min_length=11, max_length=14),
    Field("office_phone", "办公电话", min_length=7, max_length=24),
    Field("contact_email", "联系邮箱", max_length=254),
    Field("tencent_contact", "腾讯联系人", required=False, max_length=OPTIONAL_TEXT_MAX_LENGTH),
    Field(
        "tencent_contact_department",
        "腾讯联系人所在部门",
        required=False,
        max_length=OPTIONAL_TEXT_MAX_LENGTH,
    ),
    Field("bank_name", "开户银行", min_length=2, max_length=64),
    Field("bank_account", "银行账号", min_length=BANK_ACCOUNT_DIGITS[0], max_length=BANK_ACCOUNT_DIGITS[1]),
)
FIELDS_BY_NAME = {f.name: f for f in FIELDS}

# R-CER-02: each file jpg/jpeg/bmp/gif/png or PDF, ≤ 5 MiB.
FILE_TYPES = ("jpg", "jpeg", "bmp", "gif", "png", "pdf")
FILE_MAX_BYTES = 5 * MB
FILES: tuple[FileField, ...] = (
    FileField("application_letter", "认证申请公函"),
    FileField("information_form", "申请信息表（签字盖章）"),
    FileField("organization_code_certificate", "组织机构代码证"),
)

# R-CER-03: free for government agencies and public institutions (FAQ 4).
FEE_AMOUNT = 0
FEE_CURRENCY = "CNY"
FEE_WAIVED_REASON = "政府机构、事业单位申请认证免收审核服务费"
# SPEC §4.2: the review deadline is the end of the 5th working day after submission.
REVIEW_WORKING_DAYS = 5

# GB 11714-1997: 8 body characters (digits or capital letters, valued 0–35) and a check character.
ORG_CODE_CHARS = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
ORG_CODE_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)
ORG_CODE_CHECK_CHARS = "0123456789X"
# GB 32100-2015: 31 characters (no I, O, S, V, Z), check by MOD 31 over the first 17.
USCC_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"
USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
_DASHES = "-－"

_LANDLINE = re.compile(r"(0[1-9]\d{1,2})-(\d{7,8})(?:(?:-|转)(\d{1,6}))?")
_HOST = re.compile(r"[^\s/:@]+\.[^\s/:@.]+")


def _refuse(field: str, code: str, message: str) -> BadRequest:
    return BadRequest(message, field=field, code=code)


def org_code_check_char(body: str) -> str:
    """GB 11714 check character of 8 body characters: C = 11 − (Σ value·weight mod 11); 10 → X, 11 → 0."""
    total = sum(ORG_CODE_CHARS.index(ch) * w for ch, w in zip(body, ORG_CODE_WEIGHTS, strict=True))
    return ORG_CODE_CHECK_CHARS[(11 - total % 11) % 11]


def uscc_check_char(first17: str) -> str:
    """GB 32100 check character of the first 17 characters: C = 31 − (Σ value·weight mod 31); 31 → 0."""
    total = sum(USCC_CHARS.index(ch) * w for ch, w in zip(first17, USCC_WEIGHTS, strict=True))
    return USCC_CHARS[(31 - total % 31) % 31]


def _is_org_code(code: str) -> bool:
    return org_code_check_char(code[:8]) == code[8]


def check_organization_code(value: str) -> str:
    """R-CER-02: a 9-character organization code (GB 11714, `XXXXXXXX-X` or undashed) → undashed; or an
    18-character unified social credit code (GB 32100) whose characters 9–17 are an organization code."""
    field, code = "organization_code", "invalid_organization_code"
    text = value.strip().upper()
    if len(text) == 10 and text[8] in _DASHES:
        text = text[:8] + text[9]
    if len(text) == 9:
        if any(ch not in ORG_CODE_CHARS for ch in text[:8]) or text[8] not in ORG_CODE_CHECK_CHARS:
            raise _refuse(field, code, "组织机构代码须为 8 位数字或大写字母加 1 位校验码")
        if not _is_org_code(text):
            raise _refuse(field, code, "组织机构代码校验码不正确")
        return text
    if len(text) == 18:
        if any(ch not in USCC_CHARS for ch in text) or not text[2:8].isdigit():
            raise _refuse(field, code, "统一社会信用代码格式不正确（不使用 I、O、S、V、Z）")
        if uscc_check_char(text[:17]) != text[17]:
            raise _refuse(field, code, "统一社会信用代码校验码不正确")
        if not _is_org_code(text[8:17]):
            raise _refuse(field, code, "统一社会信用代码第 9–17 位（组织机构代码）校验码不正确")
        return text
    raise _refuse(field, code, "请填写 9 位组织机构代码或 18 位统一社会信用代码")


def check_text(field: str, value: str) -> str:
    """R-CER-02: a text field of §4.1 within its length (characters, surrounding spaces trimmed)."""
    spec = FIELDS_BY_NAME[field]
    text = value.strip()
    low, high = spec.min_length or 0, spec.max_length
    if len(text) < low or (high is not None and len(text) > high):
        raise _refuse(field, f"invalid_{field}", f"{spec.label}须为 {low}–{high} 个字")
    return text


def check_optional_text(field: str, value: str | None) -> str | None:
    """R-CER-02: an optional text field; empty means absent."""
    if value is None or not value.strip():
        return None
    return check_text(field, value)


def check_institution_nature(value: str) -> str:
    """R-CER-02: `government_agency` (政府机构) or `public_institution` (事业单位)."""
    if value not in dict(INSTITUTION_NATURES):
        raise _refuse("institution_nature", "invalid_institution_nature", "机构性质须为政府机构或事业单位")
    return value


def check_headcount(value: str | int) -> int:
    """R-CER-02: an integer 1–1,000,000 (multipart sends it as text)."""
    low, high = HEADCOUNT_RANGE
    text = str(value).strip() if not isinstance(value, bool) else ""
    if not text.isascii() or not text.isdigit() or not low <= int(text) <= high:
        raise _refuse("headcount", "invalid_headcount", f"机构人数须为 {low}–{high:,} 的整数")
    return int(text)


def check_website(value: str | None) -> str | None:
    """R-CER-02: optional; an http or https URL with a host name."""
    if value is None or not value.strip():
        return None
    text = value.strip()
    refused = _refuse("website", "invalid_website", "机构官网须为以 http:// 或 https:// 开头的网址")
    if len(text) > WEBSITE_MAX_LENGTH or any(ch.isspace() for ch in text):
        raise refused
    try:
        parts = urlsplit(text)
        parts.port  # noqa: B018 - a malformed port raises here
    except ValueError:
        raise refused from None
    if parts.scheme.lower() not in ("http", "https") or not _HOST.fullmatch(parts.hostname or ""):
        raise refused
    return text


def check_office_phone(value: str) -> str:
    """R-CER-02: a mainland landline `0XX(X)-XXXXXXX(X)` with an optional extension (`-` or `转`, 1–6
    digits), or a mainland mobile."""
    text = value.strip().replace(" ", "")
    match = _LANDLINE.fullmatch(text)
    if match:
        area, number, extension = match.groups()
        return f"{area}-{number}" + (f"-{extension}" if extension else "")
    mobile = mainland_mobile(text)
    if mobile is None:
        raise _refuse(
            "office_phone", "invalid_office_phone", "办公电话须为固定电话（如 010-12345678 转 123）或手机号码"
        )
    return mobile


def check_bank_account(value: str) -> str:
    """R-CER-02: 8–30 digits; spaces between groups of digits are allowed and dropped."""
    digits = value.strip().replace(" ", "")
    low, high = BANK_ACCOUNT_DIGITS
    if not (digits.isascii() and digits.isdigit() and low <= len(digits) <= high):
        raise _refuse("bank_account", "invalid_bank_account", f"银行账号须为 {low}–{high} 位数字")
    return digits


def _as_field(field: str, rule: Callable[..., str], *args: Any) -> str:
    """A shared identity rule (`servicekit.identity`), its refusal naming this form's `field`."""
    try:
        return rule(*args)
    except RuleError as exc:
        raise exc.refusal(field) from None


def check_contact_email(value: str) -> str:
    """R-CER-02: a valid e-mail address, read as R-REG-01 reads one."""
    return _as_field("contact_email", identity.normalize_email, value)


def check_certified_name(value: str, protected: tuple[str, ...] = ()) -> str:
    """R-CER-02: the name applied for follows R-REG-16 (uniqueness, R-CER-04, is the service's)."""
    return _as_field("certified_name", identity.check_account_name, value, protected)


def check_operator_name(value: str) -> str:
    """R-CER-02 with R-REG-10."""
    return _as_field("operator_name", identity.check_operator_name, value)


def check_operator_id_number(value: str, today: date) -> str:
    """R-CER-02 with R-REG-11 (age on the sandbox date `today`)."""
    return _as_field("operator_id_number", identity.check_id_number, value, today)


def check_operator_phone(value: str) -> str:
    """R-CER-02 with R-REG-13 (no SMS code is asked again)."""
    return _as_field("operator_phone", identity.check_phone, value)


_TEXT_FIELDS = (
    "institution_name",
    "office_address",
    "intro",
    "certification_reason",
    "services",
    "operator_department",
    "operator_position",
    "bank_name",
)
_OPTIONAL_TEXT_FIELDS = ("tencent_contact", "tencent_contact_department")


def check_form(values: dict[str, str], today: date, protected: tuple[str, ...] = ()) -> dict[str, Any]:
    """R-CER-02: the whole §4.1 form, field by field in the form's order; the first refusal names its
    field (a missing required field is 400 `missing_field`). Returns the normalised form."""
    for spec in FIELDS:
        if spec.required and not (values.get(spec.name) or "").strip():
            raise _refuse(spec.name, "missing_field", f"请填写{spec.label}")
    form: dict[str, Any] = {}
    for spec in FIELDS:
        name, raw = spec.name, values.get(spec.name)
        if name in _TEXT_FIELDS:
            form[name] = check_text(name, raw or "")
        elif name in _OPTIONAL_TEXT_FIELDS:
            form[name] = check_optional_text(name, raw)
        elif name == "institution_nature":
            form[name] = check_institution_nature((raw or "").strip())
        elif name == "organization_code":
            form[name] = check_organization_code(raw or "")
        elif name == "website":
            form[name] = check_website(raw)
        elif name == "headcount":
            form[name] = check_headcount(raw or "")
        elif name == "certified_name":
            form[name] = check_certified_name(raw or "", protected)
        elif name == "operator_name":
            form[name] = check_operator_name(raw or "")
        elif name == "operator_id_number":
            form[name] = check_operator_id_number(raw or "", today)
        elif name == "operator_phone":
            form[name] = check_operator_phone(raw or "")
        elif name == "office_phone":
            form[name] = check_office_phone(raw or "")
        elif name == "contact_email":
            form[name] = check_contact_email(raw or "")
        elif name == "bank_account":
            form[name] = check_bank_account(raw or "")
        else:  # pragma: no cover - every field of FIELDS has its rule above
            raise AssertionError(f"no rule for {name}")
    return form


def certification_text(certified_name: str, institution_name: str) -> str:
    """R-CER-05: `{certified_name}（{institution_name}）`."""
    return f"{certified_name}（{institution_name}）"


VALIDITY_YEARS = 1  # R-CER-07: a certification is valid for one year
RENEWAL_WINDOW = timedelta(days=90)  # R-CER-07: a renewal may be submitted in the last 90 days
EXPIRING_NOTICE_DAYS = (90, 30)  # R-CER-07: notices 90 and 30 days before expiry


def one_year_after(moment: datetime) -> datetime:
    """R-CER-07: the same wall time one calendar year later in Asia/Shanghai (29 Feb → 28 Feb)."""
    local = moment.astimezone(SHANGHAI)
    year = local.year + VALIDITY_YEARS
    day = min(local.day, calendar.monthrange(year, local.month)[1])
    return local.replace(year=year, day=day)


def renewal_opens_at(expires_at: datetime) -> datetime:
    """R-CER-07: the first instant a renewal may be submitted."""
    return expires_at - RENEWAL_WINDOW


def new_expiry(kind: str, approved_at: datetime, old_expiry: datetime | None) -> datetime:
    """R-CER-07: an initial certification runs one year from its approval; an approved renewal extends
    the old expiry by one year — unless even that has passed when it is approved (a renewal left
    pending past it), which then runs one year from its approval like an initial one."""
    if kind == "renewal" and old_expiry is not None:
        extended = one_year_after(old_expiry)
        if extended > approved_at:
            return extended
    return one_year_after(approved_at)


PDF_SIGNATURE = b"%PDF-"
IMAGE_MAX_PIXELS = 40_000_000  # a scan at 600 dpi of an A3 page is about 35 million pixels


def file_kind(sniffed: str | None, data: bytes) -> str | None:
    """R-CER-02: the upload's real type among `FILE_TYPES` ("pdf", "jpg", …), judged from the content,
    or None. A PDF must start with `%PDF-` (its parsing is the service's, with pypdf)."""
    if sniffed == "pdf":
        return "pdf" if data.startswith(PDF_SIGNATURE) else None
    if sniffed in FILE_TYPES:
        return sniffed
    return None


CONTENT_TYPES = {
    "pdf": "application/pdf",
    "jpg": "image/jpeg",
    "jpeg": "image/jpeg",
    "png": "image/png",
    "gif": "image/gif",
    "bmp": "image/bmp",
}
