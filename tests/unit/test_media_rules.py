"""R-MSG-11 rules on real files: kinds, formats by content, voice length, article checks."""

from __future__ import annotations

import pytest

from servicekit.errors import CgiError, PayloadTooLarge
from servicekit.uploads import KB
from services.messaging.materials.rules import (
    KINDS,
    InvalidMediaType,
    MediaMissing,
    VoiceTooLong,
    WrongFileType,
    amr_duration,
    audio_duration,
    check_articles,
    check_media,
    detect_format,
    media_kind,
)
from tests.messaging.factories import (
    amr_bytes,
    asf_bytes,
    avi_bytes,
    image_bytes,
    mp3_bytes,
    mp4_bytes,
    mpg_bytes,
    pdf_bytes,
    rm_bytes,
    wav_bytes,
)

VOICE = KINDS["voice"]
VIDEO = KINDS["video"]
IMAGE = KINDS["image"]
THUMB = KINDS["thumb"]


@pytest.mark.rule("R-MSG-11")
class TestMediaKind:
    @pytest.mark.parametrize("name", ["image", "voice", "video", "thumb"])
    def test_known_kind_is_returned(self, name: str) -> None:
        assert media_kind(name).name == name

    @pytest.mark.parametrize("name", ["news", "file", "", None])
    def test_unknown_kind_is_40004(self, name: str | None) -> None:
        with pytest.raises(InvalidMediaType) as caught:
            media_kind(name)
        assert caught.value.instance_errcode == 40004


@pytest.mark.rule("R-MSG-11")
class TestDetectFormat:
    @pytest.mark.parametrize(
        ("data", "kind", "expected"),
        [
            (image_bytes("JPEG"), IMAGE, "jpg"),
            (image_bytes("PNG"), IMAGE, "png"),
            (image_bytes("GIF"), IMAGE, "gif"),
            (image_bytes("BMP"), IMAGE, "bmp"),
            (mp3_bytes(2), VOICE, "mp3"),
            (mp3_bytes(2, voice_rate=True), VOICE, "mp3"),
            (wav_bytes(1), VOICE, "wav"),
            (amr_bytes(1), VOICE, "amr"),
            (asf_bytes(1), VOICE, "wma"),
            (asf_bytes(1, video=True), VIDEO, "wmv"),
            (rm_bytes(), VIDEO, "rm"),
            (avi_bytes(), VIDEO, "avi"),
            (mpg_bytes(), VIDEO, "mpg"),
            (mp4_bytes(), VIDEO, "mp4"),
        ],
    )
    def test_format_is_read_from_content(self, data: bytes, kind: object, expected: str) -> None:
        assert detect_format(data) == expected


@pytest.mark.rule("R-MSG-11")
class TestVoiceDuration:
    def test_wav_duration_is_read_from_the_header(self) -> None:
        assert audio_duration("wav", wav_bytes(42)) == pytest.approx(42.0)

    def test_mp3_duration_is_read_from_frames(self) -> None:
        # mutagen estimates from the bitrate after the first frame: within a fraction of a second.
        assert audio_duration("mp3", mp3_bytes(30)) == pytest.approx(30.0, abs=0.5)

    def test_wma_duration_excludes_preroll(self) -> None:
        assert audio_duration("wma", asf_bytes(61)) == pytest.approx(61.0)

    def test_amr_duration_counts_20ms_frames(self) -> None:
        assert amr_duration(amr_bytes(12.5)) == pytest.approx(12.5)

    def test_amr_wb_frames_use_wideband_sizes(self) -> None:
        frame = bytes([2 << 3 | 0x04]) + bytes(32)  # WB mode 2: 33 bytes with the TOC byte
        assert amr_duration(b"#!AMR-WB\n" + frame * 100) == pytest.approx(2.0)

    def test_amr_cut_off_last_frame_adds_no_time(self) -> None:
        assert amr_duration(amr_bytes(1) + b"\x3c\x00") == pytest.approx(1.0)

    def test_garbage_has_no_duration(self) -> None:
        assert audio_duration("mp3", b"\x00" * 500) is None


@pytest.mark.rule("R-MSG-11")
class TestCheckMedia:
    def test_png_image_is_accepted_with_its_content_type(self) -> None:
        checked = check_media(IMAGE, image_bytes("PNG"))
        assert (checked.format, checked.content_type) == ("png", "image/png")

    def test_pdf_named_like_an_image_is_refused(self) -> None:
        with pytest.raises(WrongFileType) as caught:
            check_media(IMAGE, pdf_bytes())
        assert (caught.value.instance_errcode, caught.value.instance_status) == (40004, 415)

    def test_png_thumb_is_refused_because_thumbs_are_jpg(self) -> None:
        with pytest.raises(WrongFileType):
            check_media(THUMB, image_bytes("PNG"))

    def test_thumb_over_64kb_is_45001(self) -> None:
        big = image_bytes("JPEG", (400, 400), noise=True)
        assert len(big) > 64 * KB
        with pytest.raises(PayloadTooLarge) as caught:
            check_media(THUMB, big)
        assert caught.value.instance_errcode == 45001

    def test_untagged_8_khz_mp3_is_voice_with_its_duration(self) -> None:
        checked = check_media(VOICE, mp3_bytes(5, voice_rate=True))
        assert checked.duration_seconds == pytest.approx(5.0, abs=0.1)

    def test_untagged_8_khz_mp3_over_60_seconds_is_45007(self) -> None:
        with pytest.raises(VoiceTooLong):
            check_media(VOICE, mp3_bytes(62, voice_rate=True))

    def test_voice_of_exactly_60_seconds_is_accepted(self) -> None:
        assert check_media(VOICE, wav_bytes(60)).duration_seconds == pytest.approx(60.0)

    @pytest.mark.parametrize("data", [mp3_bytes(60), wav_bytes(60.4)], ids=["mp3-padded", "wav"])
    def test_voice_that_plays_as_60_seconds_is_accepted(self, data: bytes) -> None:
        # An encoder pads the last MP3 frame: a 60 s recording reads 60.003 s here (60.03 s by LAME).
        assert check_media(VOICE, data).duration_seconds == pytest.approx(60.0, abs=0.5)

    def test_wmv_sent_as_voice_is_refused(self) -> None:
        with pytest.raises(WrongFileType):
            check_media(VOICE, asf_bytes(5, video=True))

    def test_wma_sent_as_video_is_refused(self) -> None:
        with pytest.raises(WrongFileType):
            check_media(VIDEO, asf_bytes(5))

    @pytest.mark.parametrize(
        "data",
        [wav_bytes(60.5), mp3_bytes(65), amr_bytes(61), asf_bytes(61)],
        ids=["wav", "mp3", "amr", "wma"],
    )
    def test_voice_over_60_seconds_is_45007(self, data: bytes) -> None:
        with pytest.raises(VoiceTooLong) as caught:
            check_media(VOICE, data)
        assert caught.value.instance_errcode == 45007

    def test_mp4_sent_as_voice_is_refused(self) -> None:
        with pytest.raises(WrongFileType):
            check_media(VOICE, mp4_bytes())

    def test_voice_whose_length_cannot_be_read_is_refused(self) -> None:
        with pytest.raises(WrongFileType):
            check_media(VOICE, b"#!AMR\n")

    def test_image_sent_as_video_is_refused(self) -> None:
        with pytest.raises(WrongFileType):
            check_media(VIDEO, image_bytes("JPEG"))

    def test_empty_file_is_41005(self) -> None:
        with pytest.raises(MediaMissing) as caught:
            check_media(IMAGE, b"")
        assert caught.value.instance_errcode == 41005


def article(**overrides: object) -> dict[str, object]:
    base: dict[str, object] = {"title": "通知", "thumb_media_id": "T1", "content": "<p>正文内容</p>"}
    base.update(overrides)
    return base


class TestCheckArticles:
    def test_defaults_are_filled_like_wechat(self) -> None:
        [normalised] = check_articles([article()])
        assert normalised["digest"] == "正文内容"
        assert (normalised["author"], normalised["show_cover_pic"]) == ("", 0)

    @pytest.mark.rule("R-MSG-11")
    def test_eight_articles_are_accepted(self) -> None:
        assert len(check_articles([article()] * 8)) == 8

    @pytest.mark.parametrize("count", [0, 9])
    @pytest.mark.rule("R-MSG-11")
    def test_article_count_outside_1_to_8_is_45008(self, count: int) -> None:
        with pytest.raises(CgiError) as caught:
            check_articles([article()] * count)
        assert caught.value.instance_errcode == 45008

    @pytest.mark.rule("R-MSG-11")
    def test_title_of_64_bytes_is_accepted(self) -> None:
        assert check_articles([article(title="政" * 21 + "a")])[0]["title"] == "政" * 21 + "a"

    @pytest.mark.rule("R-MSG-11")
    def test_title_of_65_bytes_is_45003(self) -> None:
        # 22 Chinese characters are 66 bytes in UTF-8 though only 22 characters long.
        with pytest.raises(CgiError) as caught:
            check_articles([article(title="政" * 22)])
        assert caught.value.instance_errcode == 45003

    def test_missing_content_is_44004(self) -> None:
        with pytest.raises(CgiError) as caught:
            check_articles([article(content="")])
        assert caught.value.instance_errcode == 44004

    def test_missing_thumb_is_41006(self) -> None:
        with pytest.raises(CgiError) as caught:
            check_articles([article(thumb_media_id=None)])
        assert caught.value.instance_errcode == 41006
