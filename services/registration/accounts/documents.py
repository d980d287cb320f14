"""Uploaded images (authorization letter, operator photo, avatar): judged by content, kept per kind."""

from __future__ import annotations

import hashlib
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from servicekit.errors import RuleError, UnsupportedMediaType
from servicekit.uploads import UploadedFile, sniff
from services.registration.accounts import repository
from services.registration.accounts.models import Document
from services.registration.rules import check_image_format


def image_format(field: str, upload: UploadedFile, allowed: tuple[str, ...]) -> str:
    """R-REG-09/12/32: the real type, from the content, one of `allowed`; 415 otherwise.

    `sniff` has already decoded the picture (a signature that does not open is no image), so it is
    decoded exactly once.
    """
    try:
        return check_image_format(field, sniff(upload.data), allowed)
    except RuleError as exc:
        raise UnsupportedMediaType(exc.message, field=field, code="unsupported_file_type") from None


async def store_document(
    session: AsyncSession, account_id: str, kind: str, fmt: str, upload: UploadedFile, *, now: datetime
) -> None:
    """The latest upload of `kind` replaces the previous one."""
    await repository.put_document(
        session,
        Document(
            account_id=account_id,
            kind=kind,
            format=fmt,
            size=upload.size,
            sha256=hashlib.sha256(upload.data).hexdigest(),
            data=upload.data,
            uploaded_at=now,
        ),
    )
