"""R-MSG-10/11 as pure functions: media kinds and their limits, real file types, voice length, articles.

Everything here judges the file's content (magic bytes, frame headers), never its name or the
Content-Type the client claims. Size limits are also applied while the body streams in
(`upload_limit`), so a file over its limit is refused before it is read whole.
"""

from __future__ import annotations

import io
import math
import re
from dataclasses import dataclass
from typing import Any

from mutagen import MutagenError
from mutagen.asf import ASF
from mutagen.mp3 import MP3
from mutagen.wave import WAVE

from servicekit.errors import BadRequest, CgiError, NotFound, PayloadTooLarge, UnsupportedMediaType
from servicekit.uploads import KB, MB, MultipartBody, UploadedFile, sniff

TEMPORARY_LIFETIME_DAYS = 3
MAX_TITLE_BYTES = 64
MAX_ARTICLES = 8
DIGEST_CHARS = 64  # WeChat fills an empty digest with the start of the text
AMR_FRAME_SECONDS = 0.02

ASF_GUID = bytes.fromhex("3026b2758e66cf11a6d900aa0062ce6c")
# ASF_Video_Media (BC19EFC0-5B4D-11CF-A8FD-00805F5C442B, little-endian): the stream type a Stream
# Properties Object names for a video stream. WMA and WMV share the container; only this tells them apart.
ASF_VIDEO_MEDIA = bytes.fromhex("c0ef19bc4d5bcf11a8fd00805f5c442b")
AMR_NB_MAGIC = b"#!AMR\n"
AMR_WB_MAGIC = b"#!AMR-WB\n"
# Bytes per stored frame (TOC byte included) by frame type, as ffmpeg's amrdec reads them.
AMR_NB_FRAME_BYTES = (13, 14, 16, 18, 20, 21, 27, 32, 6, 1, 1, 1, 1, 1, 1, 1)
AMR_WB_FRAME_BYTES = (18, 24, 33, 37, 41, 47, 51, 59, 61, 6, 1, 1, 1, 1, 1, 1)

CONTENT_TYPES = {
    "jpg": "image/jpeg",
    "png": "image/png",
    "gif": "image/gif",
    "bmp": "image/bmp",
    "mp3": "audio/mpeg",
    "wav": "audio/wav",
    "amr": "audio/amr",
    "wma": "audio/x-ms-wma",
    "rm": "application/vnd.rn-realmedia",
    "wmv": "video/x-ms-wmv",
    "avi": "video/x-msvideo",
    "mpg": "video/mpeg",
    "mp4": "video/mp4",
}


class InvalidMediaType(BadRequest):
    code = "invalid_media_type"
    message = "素材类型不支持"
    errcode = 40004


class WrongFileType(UnsupportedMediaType):
    code = "unsupported_file_type"
    message = "文件格式不符合要求"


class MediaMissing(BadRequest):
    code = "media_missing"
    message = "缺少上传的文件"
    errcode = 41005


def required_file(body: MultipartBody, part: str) -> UploadedFile:
    """The non-empty file uploaded as `part`, else MediaMissing (41005) naming that part."""
    upload = body.files.get(part)
    if upload is None or not upload.data:
        raise MediaMissing(field=part)
    return upload


class VoiceTooLong(BadRequest):
    code = "voice_too_long"
    message = "语音时长超过 60 秒"
    errcode = 45007


class MaterialNotFound(NotFound):
    """Missing, expired, another account's or of the wrong type: all refused alike (40007)."""

    code = "material_not_found"
    message = "素材不存在或已过期"
    errcode = 40007


@dataclass(frozen=True)
class MediaKind:
    name: str
    max_bytes: int
    formats: frozenset[str]
    max_seconds: float | None = None


KINDS: dict[str, MediaKind] = {
    "image": MediaKind("image", 10 * MB, frozenset({"bmp", "png", "jpg", "gif"})),
    "voice": MediaKind("voice", 5 * MB, frozenset({"mp3", "wma", "wav", "amr"}), max_seconds=60.0),
    "video": MediaKind("video", 20 * MB, frozenset({"rm", "wmv", "avi", "mpg", "mp4"})),
    "thumb": MediaKind("thumb", 64 * KB, frozenset({"jpg"})),
}
ARTICLE_IMAGE = MediaKind("uploadimg", 1 * MB, frozenset({"jpg", "png"}))
LARGEST_UPLOAD = max(kind.max_bytes for kind in KINDS.values())


@dataclass(frozen=True)
class CheckedMedia:
    format: str
    content_type: str
    duration_seconds: float | None


def media_kind(name: str | None) -> MediaKind:
    """The kind named by `type`; anything else → 40004 (checked before the body is read)."""
    kind = KINDS.get(name or "")
    if kind is None:
        raise InvalidMediaType(f"不支持的素材类型：{name}", field="type")
    return kind


def asf_has_video(data: bytes) -> bool:
    """Does the ASF header (the file's first object, its size at bytes 16–24) declare a video stream?"""
    header_size = int.from_bytes(data[16:24], "little")
    return ASF_VIDEO_MEDIA in data[: max(header_size, 30)]


def detect_format(data: bytes) -> str | None:
    """The file's real format by content: an ASF file with a video stream is WMV, else WMA."""
    if data.startswith(b".RMF"):
        return "rm"
    if data.startswith(ASF_GUID):
        return "wmv" if asf_has_video(data) else "wma"
    if data.startswith((AMR_NB_MAGIC, AMR_WB_MAGIC)):
        return "amr"
    found = sniff(data)
    return "mpg" if found == "mpeg" else found


def amr_duration(data: bytes) -> float | None:
    """AMR-NB/WB storage format: 20 ms per frame, frame sizes from each frame's TOC byte."""
    if data.startswith(AMR_WB_MAGIC):
        sizes, pos = AMR_WB_FRAME_BYTES, len(AMR_WB_MAGIC)
    elif data.startswith(AMR_NB_MAGIC):
        sizes, pos = AMR_NB_FRAME_BYTES, len(AMR_NB_MAGIC)
    else:
        return None
    frames = 0
    while pos < len(data):
        step = sizes[(data[pos] >> 3) & 0x0F]
        if pos + step > len(data):
            break  # a cut-off last frame plays as silence; it adds no time
        pos += step
        frames += 1
    return frames * AMR_FRAME_SECONDS if frames else None


def audio_duration(fmt: str, data: bytes) -> float | None:
    """Playing time in seconds read from the file, or None when the file is not a readable audio file."""
    if fmt == "amr":
        return amr_duration(data)
    reader = {"mp3": MP3, "wav": WAVE, "wma": ASF}.get(fmt)
    if reader is None:
        return None
    try:
        # mutagen's constructors are unannotated and FileType declares `info` as None.
        audio = reader(io.BytesIO(data))  # type: ignore[no-untyped-call]
        length = getattr(audio.info, "length", None)
    except (MutagenError, ValueError, EOFError, IndexError):
        return None
    return float(length) if length and length > 0 else None


def played_seconds(duration: float) -> int:
    """The length a player shows: whole seconds, rounded. Encoders pad the last frame, so a 60 s
    recording reads 60.03 s as MP3; the 60 s limit (R-MSG-11) is on this number."""
    return math.floor(duration + 0.5)


def check_media(kind: MediaKind, data: bytes) -> CheckedMedia:
    """R-MSG-11 on a whole file: size (45001), real format (40004), voice length (45007)."""
    if not data:
        raise MediaMissing("上传的文件为空", field="media")
    if len(data) > kind.max_bytes:
        raise PayloadTooLarge(f"文件超过 {kind.max_bytes // KB} KB 的限制", field="media")
    fmt = detect_format(data)
    if fmt not in kind.formats:
        allowed = "/".join(sorted(kind.formats))
        raise WrongFileType(f"{kind.name} 只支持 {allowed} 格式（按文件内容识别）", field="media")
    duration = None
    if kind.max_seconds is not None:
        duration = audio_duration(fmt, data)
        if duration is None:
            raise WrongFileType("无法读取语音文件的时长，文件已损坏或格式不符", field="media")
        if played_seconds(duration) > kind.max_seconds:
            raise VoiceTooLong(
                f"语音时长 {played_seconds(duration)} 秒，超过 {kind.max_seconds:.0f} 秒", field="media"
            )
    return CheckedMedia(fmt, CONTENT_TYPES[fmt], duration)


def title_too_long(title: str) -> bool:
    return len(title.encode("utf-8")) > MAX_TITLE_BYTES


def _flag(value: Any) -> int:
    return 1 if value in (1, "1", True) else 0


def _digest(content: str) -> str:
    text = re.sub(r"<[^>]*>", "", content)
    return re.sub(r"\s+", " ", text).strip()[:DIGEST_CHARS]


def check_articles(articles: Any) -> list[dict[str, Any]]:
    """A news item's articles (media/uploadnews), normalised the way WeChat stores them.

    1–8 articles (45008); each needs a title of at most 64 UTF-8 bytes (45003), content (44004) and
    a thumb_media_id (41006) — whether that id is the caller's material is the service's check.
    """
    if not isinstance(articles, list) or not 1 <= len(articles) <= MAX_ARTICLES:
        raise CgiError(45008, "article size out of limit: 1 to 8 articles")
    normalised = []
    for index, article in enumerate(articles):
        if not isinstance(article, dict):
            raise CgiError(47001, f"data format error: articles[{index}] is not an object")
        title = article.get("title")
        if not isinstance(title, str) or not title.strip():
            raise CgiError(44003, f"empty news data: articles[{index}].title")
        if title_too_long(title):
            raise CgiError(45003, f"title size out of limit: articles[{index}].title > 64 bytes")
        content = article.get("content")
        if not isinstance(content, str) or not content.strip():
            raise CgiError(44004, f"empty content: articles[{index}].content")
        thumb = article.get("thumb_media_id")
        if not isinstance(thumb, str) or not thumb:
            raise CgiError(41006, f"media_id missing: articles[{index}].thumb_media_id")
        normalised.append(
            {
                "title": title,
                "thumb_media_id": thumb,
                "author": str(article.get("author") or ""),
                "digest": str(article.get("digest") or _digest(content)),
                "content": content,
                "content_source_url": str(article.get("content_source_url") or ""),
                "show_cover_pic": _flag(article.get("show_cover_pic", 0)),
                "need_open_comment": _flag(article.get("need_open_comment", 0)),
                "only_fans_can_comment": _flag(article.get("only_fans_can_comment", 0)),
            }
        )
    return normalised
