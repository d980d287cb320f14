"""Certification (认证) service: `uvicorn services.certification.app:app`.

Split along its seams: certifications/ (granted certifications, as other services read them); the
application and review flow (R-CER-*) gets its own domain package when its issue lands.
"""

from __future__ import annotations

from fastapi import FastAPI

from servicekit.app import ServiceSpec, create_app
from services.certification.certifications import endpoints as certifications
from services.certification.config import CertificationSettings
from services.certification.models import metadata


def build_app(settings: CertificationSettings | None = None) -> FastAPI:
    return create_app(
        ServiceSpec(
            name="certification",
            settings=settings or CertificationSettings(),
            routers=[certifications.router],
            metadata=[metadata],
            migrations_section="certification",
            description="认证: certification applications, review and certified names.",
        )
    )


app = build_app()
