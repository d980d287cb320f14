from __future__ import annotations

import io
from dataclasses import dataclass, field

import pytest
from PIL import Image
from starlette.requests import Request
from starlette.types import Message

from servicekit.errors import BadRequest, PayloadTooLarge, UnsupportedMediaType
from servicekit.uploads import KB, MB, read_multipart, sniff

BOUNDARY = "----mpsandboxBoundary7MA4YWxk"


def image_bytes(fmt: str) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), (200, 30, 30)).save(buffer, format=fmt)
    return buffer.getvalue()


def multipart(*parts: tuple[str, str | None, bytes]) -> bytes:
    """(name, filename or None for a plain field, data) → a multipart/form-data body."""
    out = bytearray()
    for name, filename, data in parts:
        out += f"--{BOUNDARY}\r\n".encode()
        disposition = f'form-data; name="{name}"' + (f'; filename="{filename}"' if filename else "")
        out += f"Content-Disposition: {disposition}\r\n".encode()
        if filename:
            out += b"Content-Type: application/octet-stream\r\n"
        out += b"\r\n" + data + b"\r\n"
    out += f"--{BOUNDARY}--\r\n".encode()
    return bytes(out)


@dataclass
class ChunkedBody:
    """An ASGI `receive` that hands the body over in chunks and counts how many were taken."""

    body: bytes
    chunk_size: int = 64 * KB
    consumed: int = 0
    chunks: list[bytes] = field(init=False)

    def __post_init__(self) -> None:
        self.chunks = [self.body[i : i + self.chunk_size] for i in range(0, len(self.body), self.chunk_size)]

    async def receive(self) -> Message:
        index = self.consumed
        self.consumed += 1
        return {
            "type": "http.request",
            "body": self.chunks[index],
            "more_body": index + 1 < len(self.chunks),
        }


def make_request(
    source: ChunkedBody,
    *,
    content_type: str = f"multipart/form-data; boundary={BOUNDARY}",
    content_length: int | None = None,
) -> Request:
    headers = [(b"content-type", content_type.encode())]
    if content_length is not None:
        headers.append((b"content-length", str(content_length).encode()))
    scope = {"type": "http", "method": "POST", "path": "/upload", "headers": headers, "query_string": b""}
    return Request(scope, source.receive)


@pytest.mark.rule("R-REG-09", "R-MSG-11")
class TestSniff:
    @pytest.mark.parametrize(
        ("fmt", "expected"), [("PNG", "png"), ("JPEG", "jpg"), ("GIF", "gif"), ("BMP", "bmp")]
    )
    def test_real_images_are_recognised_by_content(self, fmt: str, expected: str) -> None:
        assert sniff(image_bytes(fmt)) == expected

    def test_text_is_not_an_image(self) -> None:
        assert sniff(b"just some text pretending to be a picture.png") is None

    @pytest.mark.parametrize(
        "data",
        [
            b"GIF? no, plain text" * 10,
            b"GIF89a" + b"junk" * 40,
            b"\xff\xd8\xff" + b"junk" * 50,
            b"BM" + b"x" * 60,
        ],
        ids=["gif-prefix", "gif-signature", "jpeg-magic", "bmp-magic"],
    )
    def test_a_signature_followed_by_junk_is_not_an_image(self, data: bytes) -> None:
        assert sniff(data) is None

    def test_mp3_without_id3_is_recognised_by_its_frame_header(self) -> None:
        assert sniff(b"\xff\xe3\x48\xc0" + bytes(284)) == "mp3"  # MPEG 2.5, 8 kHz
        assert sniff(b"\xff\xfb\x10\xc0" + bytes(100)) == "mp3"  # MPEG 1, 44.1 kHz

    def test_bytes_that_only_look_like_a_frame_sync_are_unknown(self) -> None:
        assert sniff(b"\xff\xff\xff\xff" + bytes(100)) is None

    def test_empty_data_is_unknown(self) -> None:
        assert sniff(b"") is None


class TestReadMultipart:
    async def test_fields_and_files_are_read(self) -> None:
        png = image_bytes("PNG")
        source = ChunkedBody(multipart(("title", None, "政务公开".encode()), ("media", "a.png", png)), 7)
        body = await read_multipart(make_request(source), file_limits={"media": 1 * MB})
        assert body.fields == {"title": "政务公开"}
        upload = body.files["media"]
        assert (upload.filename, upload.data, upload.size) == ("a.png", png, len(png))

    @pytest.mark.rule("R-REG-09", "R-MSG-11")
    async def test_oversized_part_is_refused_before_the_body_is_read(self) -> None:
        source = ChunkedBody(multipart(("media", "big.jpg", b"\xff" * (2 * MB))))
        with pytest.raises(PayloadTooLarge) as caught:
            await read_multipart(make_request(source), file_limits={"media": 100 * KB})
        assert caught.value.field == "media"
        assert caught.value.instance_status == 413
        assert caught.value.extra["limit_bytes"] == 100 * KB
        assert source.consumed < len(source.chunks) // 4

    async def test_oversized_plain_field_is_too_long_not_too_large(self) -> None:
        source = ChunkedBody(multipart(("intro", None, b"x" * (10 * KB))))
        with pytest.raises(BadRequest) as caught:
            await read_multipart(make_request(source), file_limits={}, field_limit=1 * KB)
        assert caught.value.field == "intro"
        assert (caught.value.instance_status, caught.value.instance_code) == (400, "field_too_long")

    @pytest.mark.rule("R-REG-09", "R-MSG-11")
    async def test_declared_length_over_every_limit_is_refused_unread(self) -> None:
        source = ChunkedBody(multipart(("media", "a.bin", b"0")))
        request = make_request(source, content_length=50 * MB)
        with pytest.raises(PayloadTooLarge):
            await read_multipart(request, file_limits={"media": 1 * MB}, max_parts=4)
        assert source.consumed == 0

    async def test_malformed_body_is_a_bad_request(self) -> None:
        source = ChunkedBody(b"this is not multipart at all\r\n")
        with pytest.raises(BadRequest) as caught:
            await read_multipart(make_request(source), file_limits={"media": 1 * MB})
        assert caught.value.instance_code == "malformed_multipart"
        assert caught.value.instance_status == 400

    async def test_non_multipart_content_type_is_unsupported(self) -> None:
        source = ChunkedBody(b'{"media": "x"}')
        with pytest.raises(UnsupportedMediaType) as caught:
            await read_multipart(make_request(source, content_type="application/json"), file_limits={})
        assert caught.value.instance_status == 415
        assert source.consumed == 0

    async def test_too_many_parts_are_refused(self) -> None:
        source = ChunkedBody(multipart(*[(f"f{i}", None, b"v") for i in range(5)]))
        with pytest.raises(BadRequest) as caught:
            await read_multipart(make_request(source), file_limits={}, max_parts=3)
        assert caught.value.instance_code == "too_many_parts"


class TestTruncatedMultipart:
    async def test_body_cut_before_the_closing_boundary_is_refused(self) -> None:
        from starlette.requests import Request

        from servicekit.errors import BadRequest
        from servicekit.uploads import read_multipart

        body = b'--b\r\nContent-Disposition: form-data; name="media"; filename="a.jpg"\r\n\r\nabc'
        sent = False

        async def receive() -> dict[str, object]:
            nonlocal sent
            if sent:
                return {"type": "http.disconnect"}
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}

        request = Request(
            {
                "type": "http",
                "method": "POST",
                "path": "/",
                "headers": [(b"content-type", b"multipart/form-data; boundary=b")],
            },
            receive,
        )
        with pytest.raises(BadRequest):
            await read_multipart(request, file_limits={"media": 1024})
