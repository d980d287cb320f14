"""Shared test data for the messaging service: accounts as the gateway presents them, and media files.

Media samples are real files built offline: Pillow images, WAV from the `wave` module, MP3 from
hand-assembled MPEG-1 Layer III frames, AMR frames, an ASF header mutagen reads, video magic bytes.
"""

from __future__ import annotations

import io
import json
import math
import random
import struct
import uuid
import wave
from datetime import UTC, datetime
from typing import Any

import httpx
from PIL import Image
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from contracts.capabilities import capabilities
from contracts.registration.schemas import AccountView, encode_account_header
from servicekit import clock
from servicekit.context import ACCOUNT_HEADER
from servicekit.testing import asgi_client, wire_app


def account_view(
    *,
    account_type: str = "service",
    certified: bool = True,
    status: str = "approved",
    namespace: str | None = None,
) -> AccountView:
    """A distinct account each call, as registration would describe it."""
    suffix = uuid.uuid4().hex[:16]
    return AccountView(
        account_id=f"acc_{suffix}",
        namespace=namespace or f"ns_{suffix}",
        status=status,
        type=account_type,
        appid=f"wx{suffix}",
        original_id=f"gh_{suffix[:12]}",
        name=f"测试账号{suffix[:4]}",
        certified=certified,
        capabilities=capabilities(account_type, certified, status),
    )


def account_headers(account: AccountView) -> dict[str, str]:
    """The header the gateway adds once it has resolved the token or console session."""
    return {ACCOUNT_HEADER: encode_account_header(account.model_dump_json().encode())}


# --- media samples -------------------------------------------------------------------------------


def image_bytes(fmt: str = "PNG", size: tuple[int, int] = (16, 16), *, noise: bool = False) -> bytes:
    """A real image; `noise` makes it incompressible so a given pixel size means a given byte size."""
    if noise:
        image = Image.frombytes("RGB", size, random.Random(7).randbytes(size[0] * size[1] * 3))
    else:
        image = Image.new("RGB", size, (30, 120, 200))
    buffer = io.BytesIO()
    image.save(buffer, format=fmt)
    return buffer.getvalue()


def wav_bytes(seconds: float, *, rate: int = 8000) -> bytes:
    """8-bit mono PCM silence of exactly `seconds`."""
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(1)
        out.setframerate(rate)
        out.writeframes(b"\x80" * int(rate * seconds))
    return buffer.getvalue()


MP3_FRAME = b"\xff\xfb\x10\xc0" + bytes(100)  # MPEG-1 Layer III, 32 kbit/s, 44.1 kHz, mono: 104 bytes
MP3_FRAME_SECONDS = 1152 / 44100


# MPEG 2.5 Layer III, 32 kbit/s, 8 kHz: what LAME writes for low-rate voice; 288 bytes, 576 samples
MP3_VOICE_FRAME = b"\xff\xe3\x48\xc0" + bytes(284)
MP3_VOICE_FRAME_SECONDS = 576 / 8000


def mp3_bytes(seconds: float, *, voice_rate: bool = False) -> bytes:
    """Untagged MP3 frames (no ID3 header): MPEG-1 at 44.1 kHz, or with `voice_rate` MPEG 2.5 at 8 kHz."""
    if voice_rate:
        return MP3_VOICE_FRAME * math.ceil(seconds / MP3_VOICE_FRAME_SECONDS)
    return MP3_FRAME * math.ceil(seconds / MP3_FRAME_SECONDS)


AMR_NB_MODE7_FRAME = bytes([7 << 3 | 0x04]) + bytes(31)  # 12.2 kbit/s: TOC byte + 31 bytes, 20 ms


def amr_bytes(seconds: float) -> bytes:
    return b"#!AMR\n" + AMR_NB_MODE7_FRAME * round(seconds / 0.02)


def _guid(text: str) -> bytes:
    return uuid.UUID(text).bytes_le


def asf_bytes(seconds: float, *, preroll_ms: int = 3000, video: bool = False) -> bytes:
    """An ASF header: a File Properties Object with the play time and one Stream Properties Object
    declaring an audio stream (WMA) or, with `video`, a video stream (WMV)."""
    play_duration = int((seconds + preroll_ms / 1000) * 10_000_000)
    body = _guid("8d7c0e0e-0000-4000-8000-000000000001") + struct.pack(
        "<QQQQQQIIII", 0, 0, 0, play_duration, 0, preroll_ms, 2, 0, 0, 0
    )
    props = _guid("8CABDCA1-A947-11CF-8EE4-00C00C205365") + struct.pack("<Q", 24 + len(body)) + body
    media = "BC19EFC0-5B4D-11CF-A8FD-00805F5C442B" if video else "F8699E40-5B4D-11CF-A8FD-00805F5C442B"
    no_error_correction = _guid("20FB5700-5B55-11CF-A8FD-00805F5C442B")
    wave_format = struct.pack("<HHIIHHH", 0x161, 1, 8000, 1000, 1, 16, 0)  # WMA v2, read by mutagen
    stream_body = _guid(media) + no_error_correction + struct.pack("<QIIHI", 0, len(wave_format), 0, 1, 0)
    stream_body += wave_format
    stream = _guid("B7DC0791-A9B7-11CF-8EE6-00C00C205365") + struct.pack("<Q", 24 + len(stream_body))
    stream += stream_body
    header = _guid("75B22630-668E-11CF-A6D9-00AA0062CE6C") + struct.pack(
        "<QIBB", 30 + len(props) + len(stream), 2, 1, 2
    )
    return header + props + stream + bytes(64)


def mp4_bytes(size: int = 256) -> bytes:
    head = b"\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00mp42isom"
    return head + bytes(max(size - len(head), 0))


def avi_bytes(size: int = 256) -> bytes:
    return b"RIFF" + struct.pack("<I", size - 8) + b"AVI LIST" + bytes(size - 16)


def mpg_bytes(size: int = 256) -> bytes:
    return b"\x00\x00\x01\xba" + bytes(size - 4)


def rm_bytes(size: int = 256) -> bytes:
    return b".RMF\x00\x00\x00\x12\x00\x01" + bytes(size - 10)


def pdf_bytes() -> bytes:
    return b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\nendobj\ntrailer\n<<>>\n%%EOF\n"


# --- the service in-process ----------------------------------------------------------------------


def messaging_client(connection: AsyncConnection) -> httpx.AsyncClient:
    """The messaging app in-process, its sessions joined to the test's rolled-back connection."""
    from services.messaging.app import build_app

    return asgi_client(wire_app(build_app(), connection=connection))


class CgiApi:
    """A developer's `/cgi-bin` calls for one account, shaped the way wechatpy sends them."""

    def __init__(self, client: httpx.AsyncClient, account: AccountView) -> None:
        self.client = client
        self.account = account
        self.headers = account_headers(account)

    async def upload(
        self, path: str, kind: str | None, data: bytes, *, fields: dict[str, str] | None = None, **params: str
    ) -> httpx.Response:
        query = {"type": kind, **params} if kind else params
        return await self.client.post(
            f"/cgi-bin/{path}",
            params=query,
            files={"media": ("upload.bin", data, "application/octet-stream")},
            data=fields or {},
            headers=self.headers,
        )

    async def post_json(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        # wechatpy sends JSON bytes with no Content-Type.
        raw = json.dumps(body, ensure_ascii=False).encode()
        response = await self.client.post(f"/cgi-bin/{path}", content=raw, headers=self.headers)
        assert response.status_code == 200
        return dict(response.json())

    async def temporary(self, kind: str, data: bytes) -> str:
        body = (await self.upload("media/upload", kind, data)).json()
        return str(body["thumb_media_id"] if kind == "thumb" else body["media_id"])

    async def permanent(self, kind: str, data: bytes, **params: str) -> str:
        return str((await self.upload("material/add_material", kind, data, **params)).json()["media_id"])


async def freeze_at(connection: AsyncConnection, account: AccountView, local: datetime) -> None:
    """Set `account`'s namespace clock to Shanghai wall time `local` (inside the rolled-back transaction)."""
    async with AsyncSession(bind=connection, join_transaction_mode="create_savepoint") as session:
        await clock.set_time(session, account.namespace, local.replace(tzinfo=clock.SHANGHAI))
        await session.commit()


async def api_at(
    client: httpx.AsyncClient, connection: AsyncConnection, account_type: str, local: datetime
) -> CgiApi:
    """A developer of a fresh account of `account_type`, its namespace's clock at Shanghai `local`."""
    api = CgiApi(client, account_view(account_type=account_type))
    await freeze_at(connection, api.account, local)
    return api


# --- followers as rows (mass send) -------------------------------------------------------------


async def insert_followers(
    connection: AsyncConnection,
    account: AccountView,
    count: int,
    *,
    subscribed: bool = True,
    gender: int = 0,
    country: str = "中国",
    province: str = "广东",
    city: str = "广州",
    tag_id: int | None = None,
) -> list[str]:
    """`count` followers of `account` written straight into the table; their openids.

    `tag_id` also tags them (the tag row is created when it does not exist yet).
    """
    from sqlalchemy import insert
    from sqlalchemy.dialects.postgresql import insert as pg_insert

    from services.messaging.followers.models import Follower, FollowerTag, Tag

    now = datetime.now(UTC)
    rows = [
        {
            "account_id": account.account_id,
            "namespace": account.namespace,
            "openid": "o" + uuid.uuid4().hex[:27],
            "subscribed": subscribed,
            "subscribe_time": now,
            "unsubscribe_time": None if subscribed else now,
            "gender": gender,
            "country": country,
            "province": province,
            "city": city,
        }
        for _ in range(count)
    ]
    result = await connection.execute(insert(Follower).returning(Follower.id, Follower.openid), rows)
    created = result.all()
    if tag_id is not None:
        await connection.execute(
            pg_insert(Tag)
            .values(account_id=account.account_id, id=tag_id, name=f"tag{tag_id}")
            .on_conflict_do_nothing()
        )
        await connection.execute(
            insert(FollowerTag),
            [{"account_id": account.account_id, "follower_id": fid, "tag_id": tag_id} for fid, _ in created],
        )
    return [openid for _, openid in created]


# --- followers through the real code path (followers part) --------------------------------------


def make_account_header(
    account_type: str = "service", certified: bool = True, status: str = "approved"
) -> dict[str, str]:
    """The gateway's account header for a fresh account of this type (use `account_view` to keep it)."""
    return account_headers(account_view(account_type=account_type, certified=certified, status=status))


def registration_peer(*accounts: AccountView) -> httpx.AsyncClient:
    """Registration as a MockTransport: `/internal/accounts/by-appid/{appid}` for these accounts, else 404."""
    by_appid = {account.appid: account for account in accounts}

    def answer(request: httpx.Request) -> httpx.Response:
        appid = request.url.path.rsplit("/", 1)[-1]
        if request.url.path.startswith("/internal/accounts/by-appid/") and appid in by_appid:
            return httpx.Response(200, content=by_appid[appid].model_dump_json())
        return httpx.Response(404, json={"error": {"code": "account_not_found", "message": "没有这个账号"}})

    return httpx.AsyncClient(transport=httpx.MockTransport(answer), base_url="http://registration")


def followers_client(connection: AsyncConnection, *accounts: AccountView) -> httpx.AsyncClient:
    """The messaging app in-process with registration knowing `accounts` (control-plane calls)."""
    from services.messaging.app import build_app

    app = wire_app(build_app(), connection=connection, peers={"registration": registration_peer(*accounts)})
    return asgi_client(app)


async def seed_followers(
    connection: AsyncConnection,
    account: AccountView,
    count: int,
    *,
    gender: int | None = None,
    country: str | None = None,
    province: str | None = None,
    city: str | None = None,
    language: str | None = None,
) -> list[str]:
    """`count` followers created by the seeding code itself (one set-based statement); their openids
    in creation order. Unspecified attributes spread as the control plane spreads them."""
    from services.messaging.followers import service

    request = service.SeedRequest(count, gender, country, province, city, language)
    async with AsyncSession(bind=connection, join_transaction_mode="create_savepoint") as session:
        openids = await service.seed_followers(session, account, request, list_openids=True)
        await session.commit()
    return openids
