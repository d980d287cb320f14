"""R-REG-03 captchas: 4 characters drawn into a real PNG, valid 5 minutes, single use."""

from __future__ import annotations

import base64
import io
import secrets
from datetime import datetime, timedelta

from PIL import Image, ImageDraw, ImageFont
from sqlalchemy.ext.asyncio import AsyncSession

from servicekit import clock
from servicekit.db import keep_writes
from servicekit.errors import BadRequest, NotFound
from services.registration.credentials import new_captcha_answer, new_id
from services.registration.signup import repository
from services.registration.signup.models import Captcha
from services.registration.signup.schemas import CaptchaAnswer, CaptchaOut

LIFETIME = timedelta(minutes=5)
WIDTH, HEIGHT = 120, 44


def draw_png(answer: str) -> bytes:
    """The answer in jittered glyphs over noise lines; readable by a person, not trivially by a regex."""
    image = Image.new("RGB", (WIDTH, HEIGHT), (245, 247, 250))
    draw = ImageDraw.Draw(image)
    font = ImageFont.load_default(size=26)
    for _ in range(6):
        points = [(secrets.randbelow(WIDTH), secrets.randbelow(HEIGHT)) for _ in range(2)]
        draw.line(points, fill=(160 + secrets.randbelow(60),) * 3, width=1)
    for i, ch in enumerate(answer):
        x = 10 + i * 26 + secrets.randbelow(5)
        y = 4 + secrets.randbelow(8)
        colour = (secrets.randbelow(120), secrets.randbelow(120), 60 + secrets.randbelow(120))
        draw.text((x, y), ch, font=font, fill=colour)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


async def create(session: AsyncSession, *, namespace: str) -> CaptchaOut:
    now = await clock.now(session, namespace)
    answer = new_captcha_answer()
    row = Captcha(id=new_id("cap"), namespace=namespace, answer=answer, expires_at=now + LIFETIME)
    session.add(row)
    await session.flush()
    image = base64.b64encode(draw_png(answer)).decode("ascii")
    return CaptchaOut(captcha_id=row.id, image=f"data:image/png;base64,{image}", expires_at=row.expires_at)


async def answer_of(session: AsyncSession, captcha_id: str) -> CaptchaAnswer:
    row = await repository.get_captcha(session, captcha_id)
    if row is None:
        raise NotFound("验证码不存在", code="captcha_not_found")
    return CaptchaAnswer(captcha_id=row.id, answer=row.answer)


async def consume(session: AsyncSession, captcha_id: str, answer: str, *, now: datetime) -> None:
    """Any attempt uses the captcha up; a wrong answer is kept as used (keep_writes), then refused."""
    row = await repository.get_captcha(session, captcha_id, lock=True)
    if row is None or row.used_at is not None or now >= row.expires_at:
        raise BadRequest("验证码已失效，请重新获取", field="captcha_answer", code="captcha_expired")
    row.used_at = now
    await session.flush()
    if not secrets.compare_digest(row.answer.upper().encode(), answer.strip().upper().encode()):
        raise keep_writes(BadRequest("验证码错误", field="captcha_answer", code="captcha_incorrect"))
