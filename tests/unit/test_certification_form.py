"""Certification's pure rules as a whole (SPEC §4): the form (`check_form`), validity and renewal
dates (R-CER-07), the certification text (R-CER-05), the file kinds and image decoding (R-CER-02).

The field-by-field rules are in test_certification_rules.py; here the form is checked as one.
"""

from __future__ import annotations

import io
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from PIL import Image, ImageFile

from servicekit.clock import SHANGHAI
from servicekit.errors import BadRequest
from servicekit.identity import id_check_char
from servicekit.uploads import decodes_as_image
from services.certification.certifications import rules
from tests.certification.factories import image_bytes, png_declaring

TODAY = date(2026, 3, 2)
FIRST17 = "11010519900307123"
OPERATOR_ID = FIRST17 + id_check_char(FIRST17)


def typed_form(**overrides: str | None) -> dict[str, str]:
    """A complete form as an operator types it (dashes, spaces, mixed case); `field=None` omits one."""
    chosen: dict[str, str | None] = {
        "institution_name": "  北京市东城区人民政府办公室 ",
        "institution_nature": " public_institution ",
        "organization_code": "12345678-8",
        "website": " https://www.bjdch.gov.cn/ ",
        "office_address": "北京市东城区钱粮胡同3号",
        "headcount": " 120 ",
        "intro": "负责东城区政府日常政务工作",
        "certified_name": "东城政务发布",
        "certification_reason": "发布政务信息，提供便民服务",
        "services": "政务公开、办事指南、便民查询",
        "operator_name": "阿依古丽•买买提",
        "operator_department": "信息中心",
        "operator_position": "科员",
        "operator_id_number": OPERATOR_ID,
        "operator_phone": "+86 138 0013 8000",
        "office_phone": "010-64012345转123",
        "contact_email": " Office@BJDCH.gov.cn ",
        "tencent_contact": "",
        "bank_name": "中国工商银行北京东城支行",
        "bank_account": "0200 0012 3456 7890",
        **overrides,
    }
    return {k: v for k, v in chosen.items() if v is not None}


def refusal(values: dict[str, str], protected: tuple[str, ...] = ()) -> BadRequest:
    with pytest.raises(BadRequest) as info:
        rules.check_form(values, TODAY, protected)
    return info.value


@pytest.mark.rule("R-CER-02")
class TestCheckForm:
    def test_valid_form_is_returned_normalised(self) -> None:
        form = rules.check_form(typed_form(), TODAY)

        assert form == {
            "institution_name": "北京市东城区人民政府办公室",
            "institution_nature": "public_institution",
            "organization_code": "123456788",
            "website": "https://www.bjdch.gov.cn/",
            "office_address": "北京市东城区钱粮胡同3号",
            "headcount": 120,
            "intro": "负责东城区政府日常政务工作",
            "certified_name": "东城政务发布",
            "certification_reason": "发布政务信息，提供便民服务",
            "services": "政务公开、办事指南、便民查询",
            "operator_name": "阿依古丽·买买提",
            "operator_department": "信息中心",
            "operator_position": "科员",
            "operator_id_number": OPERATOR_ID,
            "operator_phone": "13800138000",
            "office_phone": "010-64012345-123",
            "contact_email": "Office@bjdch.gov.cn",
            "tencent_contact": None,
            "tencent_contact_department": None,
            "bank_name": "中国工商银行北京东城支行",
            "bank_account": "0200001234567890",
        }

    def test_every_field_of_the_form_is_in_the_result_in_form_order(self) -> None:
        form = rules.check_form(typed_form(website=None), TODAY)

        assert list(form) == [f.name for f in rules.FIELDS]
        assert form["website"] is None

    def test_optional_fields_are_kept_when_given(self) -> None:
        form = rules.check_form(
            typed_form(tencent_contact=" 王五 ", tencent_contact_department="政务行业部"), TODAY
        )

        assert (form["tencent_contact"], form["tencent_contact_department"]) == ("王五", "政务行业部")

    @pytest.mark.parametrize("field", [f.name for f in rules.FIELDS if f.required])
    def test_each_missing_required_field_is_named(self, field: str) -> None:
        for absent in (None, "", "  \t"):
            error = refusal(typed_form(**{field: absent}))
            assert (error.field, error.instance_code, error.instance_status) == (field, "missing_field", 400)

    def test_first_missing_field_in_form_order_is_named(self) -> None:
        error = refusal(typed_form(bank_account=None, headcount=None, contact_email=None))

        assert error.field == "headcount"

    def test_first_invalid_field_in_form_order_is_named(self) -> None:
        error = refusal(typed_form(bank_account="12", office_phone="12345", organization_code="12345678-9"))

        assert (error.field, error.instance_code) == ("organization_code", "invalid_organization_code")

    def test_missing_fields_are_reported_before_invalid_values(self) -> None:
        # The form is read in two passes: what is absent first, then what is wrong.
        error = refusal(typed_form(institution_name="东", bank_name=None))

        assert (error.field, error.instance_code) == ("bank_name", "missing_field")

    @pytest.mark.parametrize(
        ("overrides", "field", "code"),
        [
            ({"institution_nature": "企业"}, "institution_nature", "invalid_institution_nature"),
            ({"headcount": "一百"}, "headcount", "invalid_headcount"),
            ({"intro": "政" * 301}, "intro", "invalid_intro"),
            ({"website": "www.bjdch.gov.cn"}, "website", "invalid_website"),
            ({"operator_id_number": FIRST17 + ("1" if OPERATOR_ID[-1] == "0" else "0")},
             "operator_id_number", "invalid_id_number"),
            ({"operator_phone": "12800138000"}, "operator_phone", "invalid_phone"),
            ({"office_phone": "010-123"}, "office_phone", "invalid_office_phone"),
            ({"contact_email": "office"}, "contact_email", "invalid_email"),
            ({"tencent_contact": "王" * 65}, "tencent_contact", "invalid_tencent_contact"),
            ({"bank_account": "6222 0212 3456 789x"}, "bank_account", "invalid_bank_account"),
            ({"certified_name": "东"}, "certified_name", "invalid_name"),
        ],
    )  # fmt: skip
    def test_refusal_names_its_field(self, overrides: dict[str, str], field: str, code: str) -> None:
        error = refusal(typed_form(**overrides))

        assert (error.field, error.instance_code) == (field, code)

    def test_operator_age_is_judged_on_the_sandbox_date(self) -> None:
        first17 = "11010520080302123"  # born 2 March 2008: 18 on 2 March 2026, not the day before
        values = typed_form(operator_id_number=first17 + id_check_char(first17))

        assert rules.check_form(values, TODAY)["operator_id_number"].startswith(first17)
        with pytest.raises(BadRequest) as info:
            rules.check_form(values, TODAY - timedelta(days=1))
        assert (info.value.field, info.value.instance_code) == ("operator_id_number", "operator_under_18")

    def test_protected_words_are_refused_in_the_certified_name(self) -> None:
        error = refusal(typed_form(certified_name="东城腾讯发布"), ("腾讯",))

        assert (error.field, error.instance_code) == ("certified_name", "protected_name")
        assert rules.check_form(typed_form(certified_name="东城腾讯发布"), TODAY)["certified_name"]

    def test_unknown_fields_are_ignored(self) -> None:
        form = rules.check_form({**typed_form(), "fee": "-100", "status": "approved"}, TODAY)

        assert "fee" not in form
        assert "status" not in form


@pytest.mark.rule("R-CER-05")
class TestCertificationText:
    def test_name_then_institution_in_full_width_parentheses(self) -> None:
        text = rules.certification_text("东城政务发布", "北京市东城区人民政府办公室")

        assert text == "东城政务发布（北京市东城区人民政府办公室）"
        assert "(" not in text


@pytest.mark.rule("R-CER-07")
class TestValidity:
    def test_one_calendar_year_later_at_the_same_beijing_wall_time(self) -> None:
        assert rules.one_year_after(datetime(2026, 3, 2, 10, 0, tzinfo=SHANGHAI)) == datetime(
            2027, 3, 2, 10, 0, tzinfo=SHANGHAI
        )

    def test_29_february_becomes_28_february(self) -> None:
        assert rules.one_year_after(datetime(2028, 2, 29, 9, 30, tzinfo=SHANGHAI)) == datetime(
            2029, 2, 28, 9, 30, tzinfo=SHANGHAI
        )

    def test_28_february_before_a_leap_year_stays_28_february(self) -> None:
        assert rules.one_year_after(datetime(2027, 2, 28, 9, 30, tzinfo=SHANGHAI)) == datetime(
            2028, 2, 28, 9, 30, tzinfo=SHANGHAI
        )

    def test_the_calendar_is_beijings_not_utcs(self) -> None:
        # 28 Feb 2028 19:00 UTC is 29 Feb 03:00 in Beijing → 28 Feb 2029 03:00 in Beijing.
        moment = datetime(2028, 2, 28, 19, 0, tzinfo=UTC)

        result = rules.one_year_after(moment)

        assert result == datetime(2029, 2, 28, 3, 0, tzinfo=SHANGHAI)
        assert result.utcoffset() == timedelta(hours=8)

    def test_a_utc_evening_keeps_its_beijing_date(self) -> None:
        # 28 Feb 2027 20:00 UTC is 1 March 04:00 in Beijing → 1 March 2028 (not 28 or 29 February).
        assert rules.one_year_after(datetime(2027, 2, 28, 20, 0, tzinfo=UTC)) == datetime(
            2028, 3, 1, 4, 0, tzinfo=SHANGHAI
        )

    def test_an_initial_certification_runs_a_year_from_its_approval(self) -> None:
        approved = datetime(2026, 3, 10, 0, 0, tzinfo=SHANGHAI)
        old = datetime(2026, 5, 1, tzinfo=SHANGHAI)

        assert rules.new_expiry("initial", approved, None) == datetime(2027, 3, 10, tzinfo=SHANGHAI)
        assert rules.new_expiry("initial", approved, old) == datetime(2027, 3, 10, tzinfo=SHANGHAI)

    def test_a_renewal_extends_the_old_expiry_by_a_year(self) -> None:
        approved = datetime(2027, 1, 15, 14, 0, tzinfo=SHANGHAI)
        old = datetime(2027, 3, 10, 0, 0, tzinfo=SHANGHAI)

        assert rules.new_expiry("renewal", approved, old) == datetime(2028, 3, 10, tzinfo=SHANGHAI)
        # Approved after the old expiry (the lapse came first): still a year from the old expiry.
        late = datetime(2027, 3, 20, tzinfo=SHANGHAI)
        assert rules.new_expiry("renewal", late, old) == datetime(2028, 3, 10, tzinfo=SHANGHAI)

    def test_a_renewal_approved_after_even_the_extended_expiry_runs_from_its_approval(self) -> None:
        old = datetime(2027, 3, 10, 0, 0, tzinfo=SHANGHAI)
        much_later = datetime(2028, 4, 1, 9, 0, tzinfo=SHANGHAI)  # pending for over a year

        assert rules.new_expiry("renewal", much_later, old) == datetime(2029, 4, 1, 9, 0, tzinfo=SHANGHAI)

    def test_a_renewal_without_a_previous_expiry_runs_from_its_approval(self) -> None:
        approved = datetime(2027, 1, 15, 14, 0, tzinfo=SHANGHAI)

        assert rules.new_expiry("renewal", approved, None) == datetime(2028, 1, 15, 14, 0, tzinfo=SHANGHAI)

    def test_renewal_opens_exactly_90_days_before_expiry(self) -> None:
        expires = datetime(2027, 3, 10, 0, 0, tzinfo=SHANGHAI)

        opens = rules.renewal_opens_at(expires)

        assert opens == datetime(2026, 12, 10, 0, 0, tzinfo=SHANGHAI)
        assert expires - opens == timedelta(days=90)
        assert rules.EXPIRING_NOTICE_DAYS == (90, 30)


# --- R-CER-02: files by content ---------------------------------------------------------------------


def noise_png(size: tuple[int, int]) -> bytes:
    """Incompressible pixels, so cutting the file loses image data, not just its end marker."""
    pixels = bytes((x * 7919 + x // 3) % 251 for x in range(size[0] * size[1] * 3))
    buffer = io.BytesIO()
    Image.frombytes("RGB", size, pixels).save(buffer, format="PNG")
    return buffer.getvalue()


@pytest.mark.rule("R-CER-02")
class TestFileKind:
    @pytest.mark.parametrize("kind", ["jpg", "png", "gif", "bmp"])
    def test_listed_image_types_are_kept(self, kind: str) -> None:
        assert rules.file_kind(kind, b"...") == kind

    def test_pdf_must_start_with_the_pdf_signature(self) -> None:
        assert rules.file_kind("pdf", b"%PDF-1.7\n...") == "pdf"
        assert rules.file_kind("pdf", b"%PDF1.7\n...") is None
        assert rules.file_kind("pdf", b" %PDF-1.7") is None

    @pytest.mark.parametrize("kind", [None, "webp", "tif", "mp3", "mp4", "zip", "exe"])
    def test_other_types_are_refused(self, kind: str | None) -> None:
        assert rules.file_kind(kind, b"%PDF-1.7") is None

    def test_every_accepted_kind_has_a_content_type(self) -> None:
        assert {k: rules.CONTENT_TYPES[k] for k in ("pdf", "jpg", "png", "gif", "bmp")} == {
            "pdf": "application/pdf",
            "jpg": "image/jpeg",
            "png": "image/png",
            "gif": "image/gif",
            "bmp": "image/bmp",
        }


@pytest.mark.rule("R-CER-02")
class TestDecodesAsImage:
    @pytest.mark.parametrize("fmt", ["PNG", "JPEG", "GIF", "BMP"])
    def test_normal_image_is_accepted(self, fmt: str) -> None:
        assert decodes_as_image(image_bytes(fmt), max_pixels=rules.IMAGE_MAX_PIXELS)

    @pytest.mark.parametrize("keep", [0.5, 0.9])
    def test_truncated_image_is_refused(self, keep: float) -> None:
        data = noise_png((200, 200))

        assert decodes_as_image(data, max_pixels=rules.IMAGE_MAX_PIXELS)
        assert not decodes_as_image(data[: int(len(data) * keep)], max_pixels=rules.IMAGE_MAX_PIXELS)

    def test_truncated_jpeg_is_refused(self) -> None:
        data = image_bytes("JPEG", (300, 300))

        assert not decodes_as_image(data[: len(data) // 2], max_pixels=rules.IMAGE_MAX_PIXELS)

    def test_bytes_that_are_no_image_are_refused(self) -> None:
        assert not decodes_as_image(b"%PDF-1.7\n", max_pixels=rules.IMAGE_MAX_PIXELS)
        assert not decodes_as_image(b"\x89PNG\r\n\x1a\n" + bytes(64), max_pixels=rules.IMAGE_MAX_PIXELS)
        assert not decodes_as_image(b"", max_pixels=rules.IMAGE_MAX_PIXELS)

    def test_pixel_bound_is_inclusive(self) -> None:
        data = image_bytes("PNG", (100, 100))

        assert decodes_as_image(data, max_pixels=10_000)
        assert not decodes_as_image(data, max_pixels=9_999)

    @pytest.mark.parametrize("size", [(8_000, 8_000), (20_000, 20_000)])
    def test_bomb_is_refused_by_its_declared_size_without_being_decoded(
        self, size: tuple[int, int], monkeypatch: pytest.MonkeyPatch
    ) -> None:
        bomb = png_declaring(*size)
        assert len(bomb) < 100_000
        decoded: list[Any] = []

        def load(image: ImageFile.ImageFile) -> Any:
            decoded.append(image)
            raise AssertionError("the bomb was decoded")

        monkeypatch.setattr(ImageFile.ImageFile, "load", load)

        assert not decodes_as_image(bomb, max_pixels=rules.IMAGE_MAX_PIXELS)
        assert decoded == []

    def test_the_same_bomb_under_the_bound_would_be_decoded(self, monkeypatch: pytest.MonkeyPatch) -> None:
        # The counterpart of the test above: its monkeypatch would catch a decode, were there one.
        small = png_declaring(64, 64)
        decoded: list[Any] = []
        original = ImageFile.ImageFile.load

        def load(image: ImageFile.ImageFile) -> Any:
            decoded.append(image)
            return original(image)

        monkeypatch.setattr(ImageFile.ImageFile, "load", load)

        assert decodes_as_image(small, max_pixels=rules.IMAGE_MAX_PIXELS)
        assert len(decoded) == 1

    def test_service_bound_admits_an_a3_scan_at_600_dpi(self) -> None:
        a3_600dpi = (7016, 4961)  # 297 × 420 mm
        assert a3_600dpi[0] * a3_600dpi[1] <= rules.IMAGE_MAX_PIXELS < 8_000 * 8_000


class TestPillowsWarningRange:
    """Pillow only warns between 89.5M and 179M declared pixels; the warning must not escape."""

    def test_bomb_between_pillows_warning_and_error_limits_is_refused_not_raised(self) -> None:
        assert not decodes_as_image(png_declaring(10_000, 10_000), max_pixels=rules.IMAGE_MAX_PIXELS)
