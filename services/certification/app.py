"""Certification (认证) service: `uvicorn services.certification.app:app`."""

from __future__ import annotations

from fastapi import FastAPI

from servicekit.app import ServiceSpec, create_app
from services.certification.config import CertificationSettings
from services.certification.endpoints import internal
from services.certification.models import Base


def build_app(settings: CertificationSettings | None = None) -> FastAPI:
    return create_app(
        ServiceSpec(
            name="certification",
            settings=settings or CertificationSettings(),
            routers=[internal],
            metadata=[Base.metadata],
            migrations_section="certification",
            description="认证: certification applications, review and certified names.",
        )
    )


app = build_app()
