"""Streaming multipart reading with per-part size limits, and file-type sniffing by content.

`read_multipart` parses the request body as it arrives and stops at the first part that passes its
limit (413) — a 20 MB upload is never buffered whole before it is judged. `sniff` detects the real
type from its content (magic bytes, then Pillow for images), never from the file name.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

import filetype
from PIL import Image
from python_multipart.multipart import MultipartParser, parse_options_header
from starlette.requests import Request

from servicekit.errors import BadRequest, PayloadTooLarge, UnsupportedMediaType

KB = 1024
MB = 1024 * 1024


@dataclass
class UploadedFile:
    field: str
    filename: str
    content_type: str
    data: bytes

    @property
    def size(self) -> int:
        return len(self.data)


@dataclass
class MultipartBody:
    fields: dict[str, str] = field(default_factory=dict)
    files: dict[str, UploadedFile] = field(default_factory=dict)


@dataclass
class _Part:
    name: str = ""
    filename: str | None = None
    content_type: str = "application/octet-stream"
    chunks: list[bytes] = field(default_factory=list)
    size: int = 0
    limit: int | None = None


class _TooLarge(Exception):
    def __init__(self, name: str, limit: int, *, is_file: bool) -> None:
        self.name = name
        self.limit = limit
        self.is_file = is_file


async def read_multipart(
    request: Request,
    *,
    file_limits: dict[str, int],
    default_file_limit: int = 1 * MB,
    field_limit: int = 64 * KB,
    max_parts: int = 64,
    file_limit_from_fields: Callable[[str, Mapping[str, str]], int | None] | None = None,
) -> MultipartBody:
    """Read a multipart/form-data body; a file over its limit raises 413 naming the field, a plain
    field over `field_limit` 400 `field_too_long`.

    `file_limit_from_fields(part_name, fields_so_far)` may narrow a file part's limit from the plain
    fields sent before it (a `type` field choosing the material's limit); None keeps `file_limits`.
    """
    content_type, params = parse_options_header(request.headers.get("content-type", ""))
    boundary = params.get(b"boundary")
    if content_type != b"multipart/form-data" or not boundary:
        raise UnsupportedMediaType("请求必须是 multipart/form-data", code="multipart_required", errcode=41005)
    overall = sum(file_limits.values()) + max_parts * field_limit + MB
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > overall:
        raise PayloadTooLarge("上传内容超过大小限制", field=_largest(file_limits))

    body = MultipartBody()
    parts: list[_Part] = []
    current = _Part()
    header_field = bytearray()
    header_value = bytearray()
    headers: dict[bytes, bytes] = {}

    def limit_for(part: _Part) -> int:
        if part.filename is None:
            return field_limit
        if part.limit is not None:
            return part.limit
        return file_limits.get(part.name, default_file_limit)

    def on_part_begin() -> None:
        nonlocal current
        current = _Part()
        headers.clear()

    def on_header_field(data: bytes, start: int, end: int) -> None:
        header_field.extend(data[start:end])

    def on_header_value(data: bytes, start: int, end: int) -> None:
        header_value.extend(data[start:end])

    def on_header_end() -> None:
        headers[bytes(header_field).lower()] = bytes(header_value)
        header_field.clear()
        header_value.clear()

    def on_headers_finished() -> None:
        _, disp = parse_options_header(headers.get(b"content-disposition", b""))
        current.name = disp.get(b"name", b"").decode("utf-8", "replace")
        filename = disp.get(b"filename")
        current.filename = filename.decode("utf-8", "replace") if filename is not None else None
        current.content_type = headers.get(b"content-type", b"application/octet-stream").decode("latin-1")
        if len(parts) >= max_parts:
            raise BadRequest("表单字段过多", code="too_many_parts")
        if current.filename is not None and file_limit_from_fields is not None:
            fields_so_far = {
                p.name: b"".join(p.chunks).decode("utf-8", "replace") for p in parts if p.filename is None
            }
            current.limit = file_limit_from_fields(current.name, fields_so_far)

    def on_part_data(data: bytes, start: int, end: int) -> None:
        current.size += end - start
        limit = limit_for(current)
        if current.size > limit:
            raise _TooLarge(current.name, limit, is_file=current.filename is not None)
        current.chunks.append(data[start:end])

    def on_part_end() -> None:
        parts.append(current)

    finished = False

    def on_end() -> None:
        nonlocal finished
        finished = True

    try:
        # Inside the try: the parser refuses some boundaries itself (longer than 70 bytes, RFC 2046).
        parser = MultipartParser(
            boundary,
            {
                "on_part_begin": on_part_begin,
                "on_header_field": on_header_field,
                "on_header_value": on_header_value,
                "on_header_end": on_header_end,
                "on_headers_finished": on_headers_finished,
                "on_part_data": on_part_data,
                "on_part_end": on_part_end,
                "on_end": on_end,
            },
        )
        async for chunk in request.stream():
            if chunk:
                parser.write(chunk)
        parser.finalize()
        if not finished:
            raise BadRequest(
                "multipart 请求体不完整（缺少结束边界）", code="malformed_multipart", errcode=41005
            )
    except _TooLarge as exc:
        if not exc.is_file:  # a text field far past any rule's length: bad input, not a big upload
            raise BadRequest(f"{exc.name} 过长", code="field_too_long", field=exc.name) from None
        raise PayloadTooLarge(
            f"{exc.name} 超过大小限制（{_human(exc.limit)}）", field=exc.name, limit_bytes=exc.limit
        ) from None
    except (BadRequest, PayloadTooLarge):
        raise
    except Exception as exc:  # python-multipart raises several error types on malformed input
        raise BadRequest("multipart 请求体格式有误", code="malformed_multipart", errcode=41005) from exc

    for part in parts:
        data = b"".join(part.chunks)
        if part.filename is None:
            body.fields[part.name] = data.decode("utf-8", "replace")
        else:
            body.files[part.name] = UploadedFile(part.name, part.filename, part.content_type, data)
    return body


_IMAGE_TYPES = frozenset({"jpg", "png", "gif", "bmp", "webp", "tif"})


def sniff(data: bytes) -> str | None:
    """The file's real type as an extension (jpg, png, gif, bmp, mp3, mp4, pdf …), or None.

    Magic bytes first (`filetype`); an image must then also open as that image in Pillow, so a
    signature followed by anything else is not taken for a picture. MP3 without an ID3 tag is
    recognised by its first frame header, MPEG 2.5 (the 8–12 kHz rates of voice recordings) included.
    """
    if not data:
        return None
    kind = filetype.guess(data[:8192])
    found = str(kind.extension) if kind is not None else None
    if found is None and data[:2] == b"BM":
        found = "bmp"
    if found is None and is_mpeg_audio_frame(data[:4]):
        found = "mp3"
    if found in _IMAGE_TYPES and not _opens_as_image(data):
        return None
    return found


def is_mpeg_audio_frame(header: bytes) -> bool:
    """An MPEG audio frame header: 11 sync bits, a known version and layer, a valid bitrate and rate."""
    if len(header) < 4 or header[0] != 0xFF or header[1] & 0xE0 != 0xE0:
        return False
    version, layer = (header[1] >> 3) & 0b11, (header[1] >> 1) & 0b11
    bitrate, rate = header[2] >> 4, (header[2] >> 2) & 0b11
    return version != 0b01 and layer != 0b00 and bitrate not in (0b0000, 0b1111) and rate != 0b11


def _opens_as_image(data: bytes) -> bool:
    try:
        with Image.open(io.BytesIO(data)) as image:
            image.verify()
    except (OSError, SyntaxError, ValueError, Image.DecompressionBombError, Image.DecompressionBombWarning):
        return False
    return True


def decodes_as_image(data: bytes, *, max_pixels: int) -> bool:
    """The picture decodes in full (every pixel read, so a truncated file is caught) and has at most
    `max_pixels` pixels. The size is read from the header first: a decompression bomb (a small file
    declaring a huge picture) is refused without being decoded."""
    try:
        with Image.open(io.BytesIO(data)) as image:
            width, height = image.size
            if width * height > max_pixels:
                return False
            image.load()
    except (OSError, SyntaxError, ValueError, Image.DecompressionBombError, Image.DecompressionBombWarning):
        return False
    return True


def _human(limit: int) -> str:
    return f"{limit // MB} MB" if limit >= MB else f"{limit // KB} KB"


def _largest(limits: dict[str, int]) -> str | None:
    return max(limits, key=lambda k: limits[k]) if limits else None
