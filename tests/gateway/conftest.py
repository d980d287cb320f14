"""Four fake services on loopback ports and a gateway in front of them (called in-process)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from gateway.app import Gateway
from gateway.config import GatewaySettings
from tests.gateway.gateway_fakes import FakeService, openapi_of, serving

ADMIN_KEY = "test-admin-key"
SERVICE_PATHS = {
    "registration": "/api/v1/account",
    "certification": "/api/v1/certifications",
    "messaging": "/cgi-bin/message/mass/sendall",
    "scheduler": "/_sandbox/clock",
}


@pytest.fixture(scope="module")
async def fakes() -> AsyncIterator[dict[str, FakeService]]:
    services = {
        name: FakeService(name, openapi=openapi_of(name, path)) for name, path in SERVICE_PATHS.items()
    }
    async with (
        serving(services["registration"]) as reg,
        serving(services["certification"]) as cert,
        serving(services["messaging"]) as msg,
        serving(services["scheduler"]) as sch,
    ):
        for service, url in zip(services.values(), (reg, cert, msg, sch), strict=True):
            service.url = url
        yield services


@pytest.fixture
def services(fakes: dict[str, FakeService]) -> dict[str, FakeService]:
    """The fakes with a clean record for this test."""
    for service in fakes.values():
        service.seen.clear()
        service.tokens.clear()
        service.sessions.clear()
        service.introspections = 0
    return fakes


def settings_for(urls: dict[str, str]) -> GatewaySettings:
    return GatewaySettings(
        admin_key=ADMIN_KEY,
        registration_url=urls["registration"],
        certification_url=urls["certification"],
        messaging_url=urls["messaging"],
        scheduler_url=urls["scheduler"],
        connect_timeout_seconds=1.0,
        health_timeout_seconds=1.0,
    )


@pytest.fixture
def gateway(services: dict[str, FakeService]) -> Gateway:
    return Gateway(settings_for({name: s.url for name, s in services.items()}))


@pytest.fixture
async def client(gateway: Gateway) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=gateway)
    async with httpx.AsyncClient(transport=transport, base_url="http://sandbox.test") as http:
        yield http
    gateway.close()
