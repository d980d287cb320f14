"""Shared test data for certification: the §4.1 form filled in validly, and real scans built offline
(PDF from pypdf, images from Pillow, a decompression bomb written chunk by chunk)."""

from __future__ import annotations

import io
import struct
import zlib

from PIL import Image
from pypdf import PdfWriter

from servicekit.identity import id_check_char

FIRST17 = "11010519900307123"
OPERATOR_ID = FIRST17 + id_check_char(FIRST17)
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def pdf_bytes() -> bytes:
    writer = PdfWriter()
    writer.add_blank_page(width=595, height=842)
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


def image_bytes(fmt: str = "PNG", size: tuple[int, int] = (40, 30)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, (200, 30, 30)).save(buffer, format=fmt)
    return buffer.getvalue()


def half(data: bytes) -> bytes:
    return data[: len(data) // 2]


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def png_declaring(width: int, height: int) -> bytes:
    """A valid, all-black 1-bit greyscale PNG of `width` × `height`, compressed row by row: a few kB
    declaring a huge picture (a decompression bomb)."""
    row = b"\x00" + bytes((width + 7) // 8)
    packer = zlib.compressobj(9)
    idat = b"".join(packer.compress(row) for _ in range(height)) + packer.flush()
    header = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    return PNG_SIGNATURE + _chunk(b"IHDR", header) + _chunk(b"IDAT", idat) + _chunk(b"IEND", b"")


def bmp_of_exactly(size: int) -> bytes:
    """A real BMP padded with trailing bytes (which readers ignore) to exactly `size` bytes."""
    data = image_bytes("BMP", (1000, 1000))
    assert len(data) <= size
    return data + bytes(size - len(data))


def files(**overrides: tuple[str, bytes, str] | None) -> dict[str, tuple[str, bytes, str]]:
    """The three scans; `field=None` leaves one out, `field=(name, data, type)` replaces it."""
    chosen: dict[str, tuple[str, bytes, str] | None] = {
        "application_letter": ("公函.pdf", pdf_bytes(), "application/pdf"),
        "information_form": ("申请信息表.png", image_bytes("PNG"), "image/png"),
        "organization_code_certificate": ("代码证.jpg", image_bytes("JPEG"), "image/jpeg"),
        **overrides,
    }
    return {k: v for k, v in chosen.items() if v is not None}


def form(**overrides: str | None) -> dict[str, str]:
    """A complete, valid §4.1 form; `field=None` leaves one out."""
    chosen: dict[str, str | None] = {
        "institution_name": "北京市东城区人民政府办公室",
        "institution_nature": "government_agency",
        "organization_code": "12345678-8",
        "website": "https://www.bjdch.gov.cn",
        "office_address": "北京市东城区钱粮胡同3号",
        "headcount": "120",
        "intro": "负责东城区政府日常政务工作",
        "certified_name": "东城政务发布",
        "certification_reason": "发布政务信息，提供便民服务",
        "services": "政务公开、办事指南、便民查询",
        "operator_name": "张三",
        "operator_department": "信息中心",
        "operator_position": "科员",
        "operator_id_number": OPERATOR_ID,
        "operator_phone": "13800138000",
        "office_phone": "010-64012345转123",
        "contact_email": "office@bjdch.gov.cn",
        "bank_name": "中国工商银行北京东城支行",
        "bank_account": "0200 0012 3456 7890",
        **overrides,
    }
    return {k: v for k, v in chosen.items() if v is not None}
