"""Shared test data for certification: the §4.1 form filled in validly, and real scans built offline."""

from __future__ import annotations

import io

from PIL import Image
from pypdf import PdfWriter


def pdf_bytes() -> bytes:
    writer = PdfWriter()
    writer.add_blank_page(595, 842)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def png_bytes() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (300, 200), "white").save(out, "PNG")
    return out.getvalue()


def files() -> dict[str, tuple[str, bytes, str]]:
    return {
        "application_letter": ("letter.pdf", pdf_bytes(), "application/pdf"),
        "information_form": ("form.png", png_bytes(), "image/png"),
        "organization_code_certificate": ("code.pdf", pdf_bytes(), "application/pdf"),
    }


def form(certified_name: str, **changes: str) -> dict[str, str]:
    fields = {
        "institution_name": "北京市东城区人民政府",
        "institution_nature": "government_agency",
        "organization_code": "00000001-9",
        "office_address": "北京市东城区钱粮胡同3号",
        "headcount": "120",
        "intro": "东城区人民政府官方公众号",
        "certified_name": certified_name,
        "certification_reason": "发布政务信息",
        "services": "政务公开、办事指南",
        "operator_name": "张三",
        "operator_department": "办公室",
        "operator_position": "科员",
        "operator_id_number": "11010519491231002X",
        "operator_phone": "13800138000",
        "office_phone": "010-12345678转123",
        "contact_email": "ops@example.gov.cn",
        "bank_name": "中国工商银行",
        "bank_account": "6222 0000 1111 2222",
    }
    fields.update(changes)
    return fields
